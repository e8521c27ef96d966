"""RecordIO-framed protobuf ``Record`` messages (SageMaker's ``application/x-recordio-protobuf``).

Framing (sagemaker_containers/_recordio.py:200-215): a little-endian uint32 magic 0xCED7230A,
a uint32 length, the record, zero padding to a multiple of 4 bytes. ``Record`` (record.proto,
package ``aialgs.data``, in sagemaker_containers/record_pb2.py): ``features`` (field 1) and
``label`` (field 2) are maps from a name to a ``Value`` whose ``float32_tensor`` (2),
``float64_tensor`` (3) or ``int32_tensor`` (7) holds ``values`` (1), ``keys`` (2, sparse column
indexes) and ``shape`` (3). A small wire-format reader and writer: no protobuf dependency.

Requests: image 3.0-5 reads them with mlio's RecordIOProtobufReader (encoder.py:80-102): the
``values`` feature of every record, dense (one row each) or sparse (keys), labels ignored. mlio
is not installable here; this reader follows the same schema, and its error messages differ.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

MAGIC = 0xCED7230A
_VARINT, _FIXED64, _LENGTH, _FIXED32 = 0, 1, 2, 5
_TENSOR_FIELDS = {2: ("<f", 4), 3: ("<d", 8), 7: (None, 0)}  # int32 values are varints


@dataclass(frozen=True)
class Tensor:
    values: tuple[float, ...]
    keys: tuple[int, ...] = ()
    shape: tuple[int, ...] = ()


def iter_records(buffer: bytes) -> Iterator[bytes]:
    offset = 0
    while offset < len(buffer):
        if offset + 8 > len(buffer):
            raise ValueError(f"truncated RecordIO header at byte {offset}")
        magic, length = struct.unpack_from("<II", buffer, offset)
        if magic != MAGIC:
            raise ValueError(f"invalid RecordIO magic 0x{magic:08x} at byte {offset}")
        length &= (1 << 29) - 1  # the top 3 bits are RecordIO's continuation flag
        start = offset + 8
        if start + length > len(buffer):
            raise ValueError(f"truncated record at byte {start}")
        yield buffer[start : start + length]
        offset = start + ((length + 3) // 4) * 4


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if offset >= len(data):
            raise ValueError("truncated varint")
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, offset
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, bytes | int]]:
    offset = 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, offset = _varint(data, offset)
            yield number, wire_type, value
        elif wire_type == _LENGTH:
            length, offset = _varint(data, offset)
            if offset + length > len(data):
                raise ValueError("truncated length-delimited field")
            yield number, wire_type, data[offset : offset + length]
            offset += length
        elif wire_type in (_FIXED32, _FIXED64):
            size = 4 if wire_type == _FIXED32 else 8
            yield number, wire_type, data[offset : offset + size]
            offset += size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")


def _packed_varints(value: bytes | int) -> list[int]:
    if isinstance(value, int):
        return [value]
    numbers, offset = [], 0
    while offset < len(value):
        number, offset = _varint(value, offset)
        numbers.append(number)
    return numbers


def _tensor(field_number: int, data: bytes) -> Tensor:
    fmt, size = _TENSOR_FIELDS[field_number]
    values: list[float] = []
    keys: list[int] = []
    shape: list[int] = []
    for number, wire_type, value in _fields(data):
        if number == 1:
            if fmt is None:  # int32: varints, negative numbers as 64-bit two's complement
                values.extend(n - (1 << 64) if n >= 1 << 63 else n for n in _packed_varints(value))
            elif isinstance(value, bytes):
                values.extend(
                    v for (v,) in struct.iter_unpack(fmt, value[: len(value) // size * size])
                )
        elif number == 2:
            keys.extend(_packed_varints(value))
        elif number == 3:
            shape.extend(_packed_varints(value))
        del wire_type
    return Tensor(tuple(values), tuple(keys), tuple(shape))


def _value(data: bytes) -> Tensor:
    for number, _wire_type, value in _fields(data):
        if number in _TENSOR_FIELDS and isinstance(value, bytes):
            return _tensor(number, value)
        if number == 9:
            raise ValueError("a Bytes value cannot be read as features")
    raise ValueError("a Value with no tensor")


def _map_entries(data: bytes) -> tuple[str, bytes]:
    key, value = "", b""
    for number, _wire_type, field_value in _fields(data):
        if number == 1 and isinstance(field_value, bytes):
            key = field_value.decode("utf-8")
        elif number == 2 and isinstance(field_value, bytes):
            value = field_value
    return key, value


def read_features(record: bytes) -> Tensor | None:
    """The record's ``features["values"]`` tensor, or None when it has none."""
    found: Tensor | None = None
    for number, _wire_type, value in _fields(record):
        if number == 1 and isinstance(value, bytes):
            key, entry = _map_entries(value)
            if key == "values":
                found = _value(entry)  # a repeated key: the last one wins, as in protobuf
    return found


# --- Writing (answers with Accept: application/x-recordio-protobuf) --------------------------


def _encode_varint(number: int) -> bytes:
    out = bytearray()
    while True:
        byte = number & 0x7F
        number >>= 7
        if number:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _length_delimited(number: int, payload: bytes) -> bytes:
    return _encode_varint(number << 3 | _LENGTH) + _encode_varint(len(payload)) + payload


def encode_label_record(labels: Mapping[str, Sequence[float]]) -> bytes:
    """A Record whose ``label`` map holds float32 tensors (serve_utils.py:480-481)."""
    out = b""
    for key, values in labels.items():
        packed = struct.pack(f"<{len(values)}f", *values)
        tensor = _length_delimited(1, packed) if values else b""
        value = _length_delimited(2, tensor)  # Value.float32_tensor
        entry = _length_delimited(1, key.encode()) + _length_delimited(2, value)
        out += _length_delimited(2, entry)  # Record.label
    return out


def frame(record: bytes) -> bytes:
    """One RecordIO frame (sagemaker_containers/_recordio.py:203-215)."""
    padding = ((len(record) + 3) // 4) * 4 - len(record)
    return struct.pack("<II", MAGIC, len(record)) + record + b"\x00" * padding


def read_label_records(buffer: bytes) -> list[dict[str, tuple[float, ...]]]:
    """Decode an answer: each record's label map (for clients and tests)."""
    answers = []
    for record in iter_records(buffer):
        labels: dict[str, tuple[float, ...]] = {}
        for number, _wire_type, value in _fields(record):
            if number == 2 and isinstance(value, bytes):
                key, entry = _map_entries(value)
                labels[key] = _value(entry).values
        answers.append(labels)
    return answers
