"""Reading an XGBoost model file's bytes without XGBoost: format, feature count, objective.

How XGBoost 3.0.5 reads a model file (``XGBoosterLoadModel`` and ``Learner::LoadModel``): a name
ending in ``.json`` is parsed as JSON and one ending in ``.ubj`` as UBJSON; any other name is
sniffed: ``{`` followed (after white space) by ``"`` is JSON, ``{`` followed by a letter is UBJSON,
anything else is the deprecated binary format (optionally after a ``binf`` header), which XGBoost
3.0 still loads and 3.1 no longer does. Pickles are recognised by their header and never
unpickled: unpickling runs code from the file.
"""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass
from typing import Any, Literal

# Enough for the format sniffing, including the deprecated binary format's 136-byte parameter
# block and the objective name after it.
HEADER_BYTES = 512

ModelFormat = Literal["json", "ubjson", "pickle", "legacy-binary", "unknown"]

_PICKLE_PROTOCOLS = range(2, 6)  # b"\x80" + protocol byte
# Protocols 0 and 1 have no header; a pickled object starts with its class: c<module>\n<name>\n.
_OLD_PICKLE = re.compile(rb"^c[A-Za-z_][\w.]*\n[A-Za-z_]\w*\n")


@dataclass(frozen=True)
class XGBoostModelInfo:
    """What :func:`read_xgboost_model_info` reads from an XGBoost model file.

    :param format: ``"json"``, ``"ubjson"`` or ``"legacy-binary"``.
    :param num_feature: the number of features the model was trained on.
    :param num_class: the number of classes of a ``multi:*`` model, 0 otherwise.
    :param objective: the objective's name, e.g. ``"reg:squarederror"``.
    """

    format: ModelFormat
    num_feature: int
    num_class: int
    objective: str


# --- reading XGBoost model files -----------------------------------------------------------------


def read_xgboost_model_info(data: bytes, *, name: str = "") -> XGBoostModelInfo:
    """Read the feature count, classes and objective of an XGBoost model file's bytes.

    Follows XGBoost 3.0's own dispatch: ``name`` ending in ``.json`` / ``.ubj`` forces that
    format, otherwise the first bytes decide (JSON, UBJSON, or the deprecated binary format).
    Checks what ``Learner::LoadModel`` reads first (the learner, its model parameters, objective
    and booster names); it does not rebuild the trees.

    :raises ValueError: with the reason when XGBoost would refuse the file, or for a pickle
        (the container unpickles it; reading it here would mean running its code).
    """
    if is_pickle(data[:HEADER_BYTES]):
        raise ValueError("it is a pickle, which is not read without executing it")
    extension = _extension(name)
    if extension in _FORMAT_BY_EXTENSION:
        if len(data) < 3 or data[:1] != b"{":
            raise ValueError(
                f"a '.{extension}' file must start with '{{'; it starts with {data[:8]!r}"
            )
        if extension == "json":
            return _info_from_document(_parse_json(data), "json")
        return _info_from_document(_UBJReader(data).document(), "ubjson")
    header = data[:4]
    if header == b"bs64":
        raise ValueError("it is in the base64 format, which XGBoost no longer reads")
    if data[:1] == b"{":
        after = _after_brace(data)
        if after == b'"':
            return _info_from_document(_parse_json(data), "json")
        if after.isalpha():
            return _info_from_document(_UBJReader(data).document(), "ubjson")
        raise ValueError(
            "it starts with '{' but is neither JSON nor UBJSON (XGBoost: Invalid model format)"
        )
    return _read_legacy_binary(data)


def _extension(name: str) -> str:
    # XGBoost's common::FileExtension: what follows the last '.', lower-cased.
    return name.lower().rsplit(".", 1)[-1] if "." in name else ""


_FORMAT_BY_EXTENSION: dict[str, ModelFormat] = {"json": "json", "ubj": "ubjson"}


def _after_brace(data: bytes) -> bytes:
    # XGBoost tells JSON from UBJSON by the first non-space byte after the opening brace.
    return data[1:].lstrip(b" \t\n\r\f\v")[:1]


def _parse_json(data: bytes) -> Any:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"JSON model is not UTF-8 text (byte {error.start})") from None
    try:
        # raw_decode: XGBoost also ignores anything after the model's closing brace.
        document, _end = json.JSONDecoder().raw_decode(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"JSON model is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None
    return document


def _info_from_document(document: Any, model_format: ModelFormat) -> XGBoostModelInfo:
    # The parts Learner::LoadModel(Json) reads before the trees, with the types it insists on
    # (num_feature saved as a number instead of a string is "Invalid cast" in XGBoost).
    kind = "JSON" if model_format == "json" else "UBJSON"
    if not isinstance(document, dict):
        raise ValueError(f"{kind} model is not an object at the top level")
    learner = _object_at(document, "learner", kind)
    parameters = _object_at(learner, "learner_model_param", kind, "learner.")
    num_feature = _count_at(parameters, "num_feature", kind)
    num_class = _count_at(parameters, "num_class", kind)
    if not isinstance(parameters.get("base_score"), str):
        raise ValueError(f"{kind} model has no learner.learner_model_param.base_score string")
    objective = _object_at(learner, "objective", kind, "learner.")
    if not isinstance(objective.get("name"), str):
        raise ValueError(f"{kind} model has no learner.objective.name string")
    booster = _object_at(learner, "gradient_booster", kind, "learner.")
    if not isinstance(booster.get("name"), str):
        raise ValueError(f"{kind} model has no learner.gradient_booster.name string")
    _object_at(learner, "attributes", kind, "learner.")
    return XGBoostModelInfo(
        format=model_format,
        num_feature=num_feature,
        num_class=num_class,
        objective=objective["name"],
    )


def _object_at(parent: dict[str, Any], key: str, kind: str, prefix: str = "") -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        found = "none" if value is None else type(value).__name__
        raise ValueError(f"{kind} model has no {prefix}{key} object (found {found})")
    return value


def _count_at(parameters: dict[str, Any], key: str, kind: str) -> int:
    value = parameters.get(key)
    if not isinstance(value, str) or not value.isdigit():
        raise ValueError(
            f"{kind} model's learner.learner_model_param.{key} is {value!r}; XGBoost reads a "
            "string holding a whole number"
        )
    return int(value)


_LEGACY_PARAMETERS = struct.Struct("<fIi")  # base_score, num_feature, num_class (of 136 bytes)
_LEGACY_PARAMETERS_SIZE = 136
_LEGACY_OBJECTIVE = re.compile(r"^[a-z_]+:[a-z_]+$")
_LEGACY_BOOSTERS = ("gbtree", "gblinear", "dart")


def _read_legacy_binary(data: bytes) -> XGBoostModelInfo:
    start = 4 if data[:4] == b"binf" else 0
    if len(data) < start + _LEGACY_PARAMETERS_SIZE:
        raise ValueError(
            f"it is not JSON, UBJSON or a pickle, and at {len(data)} bytes it is too short for "
            "XGBoost's binary format"
        )
    _base_score, num_feature, num_class = _LEGACY_PARAMETERS.unpack_from(data, start)
    objective, offset = _legacy_string(data, start + _LEGACY_PARAMETERS_SIZE)
    booster, _offset = _legacy_string(data, offset)
    if (
        objective is None
        or booster is None
        or not _LEGACY_OBJECTIVE.match(objective)
        or booster not in _LEGACY_BOOSTERS
    ):
        raise ValueError(
            "it is not JSON, UBJSON or a pickle, and not XGBoost's binary format either (no "
            "objective and booster names after the model parameters)"
        )
    return XGBoostModelInfo(
        format="legacy-binary",
        num_feature=num_feature,
        num_class=max(num_class, 0),
        objective=objective,
    )


def _legacy_string(data: bytes, offset: int) -> tuple[str | None, int]:
    # dmlc::Stream strings: a little-endian uint64 length, then the bytes.
    if len(data) < offset + 8:
        return None, offset
    (length,) = struct.unpack_from("<Q", data, offset)
    end = offset + 8 + length
    if length > 64 or len(data) < end:
        return None, offset
    raw = data[offset + 8 : end]
    return (raw.decode("ascii") if raw.isascii() else None), end


class _Skipped:
    """A typed array's place in a parsed document: the values are skipped, never decoded."""

    __slots__ = ("count",)

    def __init__(self, count: int) -> None:
        self.count = count


# XGBoost's UBJSON scalars (big-endian) and constants.
_UBJ_NUMBERS: dict[int, struct.Struct] = {
    ord("i"): struct.Struct(">b"),
    ord("U"): struct.Struct(">B"),
    ord("I"): struct.Struct(">h"),
    ord("l"): struct.Struct(">i"),
    ord("L"): struct.Struct(">q"),
    ord("d"): struct.Struct(">f"),
    ord("D"): struct.Struct(">d"),
    ord("C"): struct.Struct(">b"),
}
_UBJ_CONSTANTS: dict[int, bool | None] = {ord("Z"): None, ord("T"): True, ord("F"): False}


class _UBJReader:
    """XGBoost's UBJSON dialect (``UBJReader`` in src/common/json.cc): big-endian numbers,
    object keys as ``L`` + int64 length + bytes, typed arrays ``[$<type>#L<count>``, counted
    arrays ``[#L<count>``. Typed arrays (the trees' bulk) are skipped, not decoded."""

    _TYPED_ARRAY_TYPES = b"dDiUIlL"
    _MAX_DEPTH = 64

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.position = 0
        self.depth = 0

    def document(self) -> Any:
        # Like XGBoost, whatever follows the first value is ignored.
        return self._value()

    def _fail(self, what: str) -> ValueError:
        return ValueError(f"UBJSON model {what} at byte {self.position}")

    def _byte(self) -> int:
        if self.position >= len(self.data):
            raise self._fail("ends early (truncated?)")
        marker = self.data[self.position]
        self.position += 1
        return marker

    def _expect(self, marker: bytes) -> None:
        found = self._byte()
        if found != marker[0]:
            self.position -= 1
            raise self._fail(f"has {chr(found)!r} where XGBoost expects {marker.decode()!r}")

    def _number(self, marker: int) -> Any:
        layout = _UBJ_NUMBERS[marker]
        end = self.position + layout.size
        if end > len(self.data):
            raise self._fail("ends early (truncated?)")
        (value,) = layout.unpack_from(self.data, self.position)
        self.position = end
        return value

    def _length(self) -> int:
        self._expect(b"L")
        length = int(self._number(ord("L")))
        if length < 0:
            raise self._fail(f"has a negative length {length}")
        return length

    def _string(self) -> str:
        length = self._length()
        end = self.position + length
        if end > len(self.data):
            raise self._fail("ends early (truncated?)")
        text = self.data[self.position : end].decode("utf-8", errors="replace")
        self.position = end
        return text

    def _value(self) -> Any:
        marker = self._byte()
        if marker in _UBJ_NUMBERS:
            return self._number(marker)
        if marker == ord("{"):
            return self._object()
        if marker == ord("["):
            return self._array()
        if marker == ord("S"):
            return self._string()
        if marker in _UBJ_CONSTANTS:
            return _UBJ_CONSTANTS[marker]
        if marker == ord("H"):
            raise self._fail("has a high-precision number, which XGBoost does not read")
        self.position -= 1
        raise self._fail(f"has an unknown marker {chr(marker)!r}")

    def _nested(self) -> None:
        self.depth += 1
        if self.depth > self._MAX_DEPTH:
            raise self._fail(f"nests deeper than {self._MAX_DEPTH} levels")

    def _object(self) -> dict[str, Any]:
        self._nested()
        result: dict[str, Any] = {}
        while True:
            if self.position < len(self.data) and self.data[self.position] == ord("}"):
                self.position += 1
                break
            key = self._string()
            result[key] = self._value()
        self.depth -= 1
        return result

    def _array(self) -> list[Any] | _Skipped:
        self._nested()
        result: list[Any] | _Skipped
        upcoming = self.data[self.position : self.position + 1]
        if upcoming == b"$":
            self.position += 1
            element = self._byte()
            if element not in self._TYPED_ARRAY_TYPES:
                raise self._fail(f"has a typed array of {chr(element)!r}, which XGBoost rejects")
            self._expect(b"#")
            count = self._length()
            end = self.position + count * _UBJ_NUMBERS[element].size
            if end > len(self.data):
                raise self._fail("ends early (truncated?)")
            self.position = end
            result = _Skipped(count)
        elif upcoming == b"#":
            self.position += 1
            count = self._length()
            if count > len(self.data) - self.position:  # every value takes a byte at least
                raise self._fail("ends early (truncated?)")
            result = [self._value() for _ in range(count)]
        else:
            result = []
            while True:
                if self.position < len(self.data) and self.data[self.position] == ord("]"):
                    self.position += 1
                    break
                result.append(self._value())
        self.depth -= 1
        return result


def is_pickle(header: bytes) -> bool:
    if header[:1] == b"\x80":
        return bool(header[1:2]) and header[1] in _PICKLE_PROTOCOLS
    return _OLD_PICKLE.match(header) is not None


def sniff_format(header: bytes, name: str) -> ModelFormat:
    """The format a file's first bytes announce (pickle first: the container tries it first)."""
    if is_pickle(header):
        return "pickle"
    by_extension = _FORMAT_BY_EXTENSION.get(_extension(name))
    if by_extension is not None:
        return by_extension
    if header[:1] == b"{":
        after = _after_brace(header)
        return "json" if after == b'"' else "ubjson" if after.isalpha() else "unknown"
    try:
        _read_legacy_binary(header)
    except ValueError:
        return "unknown"
    return "legacy-binary"
