"""Small XGBoost models and RecordIO-protobuf payloads for tests/test_container_contract.py.

Models: four features, a few depth-2 trees, fixed seeds, one thread; trained in milliseconds.
Model directories are laid out as SageMaker extracts model.tar.gz into /opt/ml/model.

RecordIO-protobuf: a writer and a reader written from sagemaker-containers 2.8.6.post2
(``_recordio.py``: little-endian magic 0xCED7230A, little-endian uint32 length, payload, zero
padding to a multiple of 4 bytes) and ``record_pb2.py`` (proto2 ``aialgs.data``: Record.features
= 1 and Record.label = 2, both map<string, Value>; Value.float32_tensor = 2; Float32Tensor.values
= 1, keys = 2, shape = 3, all packed). No protobuf dependency.
"""

from __future__ import annotations

import io
import json
import pickle
import struct
import tarfile
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

N_FEATURES = 4
NUM_CLASS = 3
MODEL_FILE = "xgboost-model"  # the name SageMaker's XGBoost training job writes

RECORDIO_MAGIC = 0xCED7230A
_LENGTH_DELIMITED = 2  # the only wire type these messages use


# --- models ------------------------------------------------------------------------------------


def training_data(objective: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    features = rng.normal(size=(80, N_FEATURES))
    score = features[:, 0] - 0.5 * features[:, 1] + 0.25 * features[:, 2]
    if objective.startswith("binary:"):
        labels = (score + rng.normal(scale=0.3, size=80) > 0).astype(np.float64)
    elif objective.startswith("multi:"):
        labels = np.digitize(score, [-0.5, 0.5]).astype(np.float64)
    elif objective == "count:poisson":
        labels = rng.poisson(np.exp(score / 2)).astype(np.float64)
    elif objective == "reg:logistic":
        labels = 1 / (1 + np.exp(-score))
    else:
        labels = score + rng.normal(scale=0.1, size=80)
    return features, labels


def train(objective: str, *, seed: int = 0, rounds: int = 3) -> Any:
    """A tiny xgboost.Booster for ``objective``."""
    features, labels = training_data(objective, seed)
    params: dict[str, Any] = {
        "objective": objective,
        "max_depth": 2,
        "eta": 0.5,
        "seed": seed,
        "nthread": 1,
    }
    if objective.startswith("multi:"):
        params["num_class"] = NUM_CLASS
    return xgb.train(params, xgb.DMatrix(features, label=labels), num_boost_round=rounds)


def saved_model_bytes(booster: Any, model_format: str) -> bytes:
    """Booster.save_model output: ``json`` or ``ubj`` (XGBoost picks the format by extension)."""
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"model.{model_format}"
        booster.save_model(str(path))
        return path.read_bytes()


def pickled_model_bytes(booster: Any) -> bytes:
    """A pickled Booster, what older SageMaker XGBoost training jobs wrote."""
    return pickle.dumps(booster)


def write_model_dir(directory: Path, files: Mapping[str, bytes]) -> Path:
    """A model directory; names containing "/" create subdirectories."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return directory


def write_model_tar(path: Path, files: Mapping[str, bytes]) -> Path:
    """A model.tar.gz holding ``files`` at its root, in the given order."""
    with tarfile.open(path, "w:gz") as archive:
        for name, content in files.items():
            member = tarfile.TarInfo(name)
            member.size = len(content)
            archive.addfile(member, io.BytesIO(content))
    return path


def predict(booster: Any, data: Any) -> np.ndarray:
    """What the container computes: Booster.predict(DMatrix, validate_features=False)."""
    matrix = data if isinstance(data, xgb.DMatrix) else xgb.DMatrix(data)
    result: np.ndarray = booster.predict(matrix, validate_features=False)
    return result


@dataclass(frozen=True)
class ModelConfig:
    objective: str
    num_class: str  # learner_model_param.num_class, a string in save_config()


def model_config(booster: Any) -> ModelConfig:
    config = json.loads(booster.save_config())
    learner = config["learner"]
    return ModelConfig(
        objective=learner["objective"]["name"],
        num_class=learner["learner_model_param"].get("num_class", ""),
    )


# --- protobuf (proto2 wire format) -----------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tag(field: int, wire_type: int) -> bytes:
    return _varint(field << 3 | wire_type)


def _length_delimited(field: int, payload: bytes) -> bytes:
    return _tag(field, _LENGTH_DELIMITED) + _varint(len(payload)) + payload


def float32_tensor(
    values: Sequence[float],
    keys: Sequence[int] | None = None,
    shape: Sequence[int] | None = None,
) -> bytes:
    """A Float32Tensor message: packed values (1), keys (2) and shape (3); empty ones omitted."""
    out = b""
    if values:
        out += _length_delimited(1, struct.pack(f"<{len(values)}f", *values))
    if keys:
        out += _length_delimited(2, b"".join(_varint(key) for key in keys))
    if shape:
        out += _length_delimited(3, b"".join(_varint(size) for size in shape))
    return out


def _map_entry(key: str, tensor: bytes) -> bytes:
    value = _length_delimited(2, tensor)  # Value.float32_tensor
    return _length_delimited(1, key.encode()) + _length_delimited(2, value)


def record(
    features: Mapping[str, bytes] | None = None, label: Mapping[str, bytes] | None = None
) -> bytes:
    """A Record message; map values are Float32Tensor messages."""
    out = b""
    for key, tensor in (features or {}).items():
        out += _length_delimited(1, _map_entry(key, tensor))
    for key, tensor in (label or {}).items():
        out += _length_delimited(2, _map_entry(key, tensor))
    return out


def recordio(payloads: Sequence[bytes]) -> bytes:
    """RecordIO framing as sagemaker_containers._recordio._write_recordio writes it."""
    out = b""
    for payload in payloads:
        padding = (-len(payload)) % 4
        out += struct.pack("<II", RECORDIO_MAGIC, len(payload)) + payload + b"\0" * padding
    return out


def dense_rows(rows: Sequence[Sequence[float]], labels: Sequence[float] | None = None) -> bytes:
    """One record per row: features["values"] = Float32Tensor(values=row), optional labels."""
    return recordio(
        [
            record(
                features={"values": float32_tensor(row)},
                label=None if labels is None else {"values": float32_tensor([labels[index]])},
            )
            for index, row in enumerate(rows)
        ]
    )


def sparse_rows(rows: Sequence[Mapping[int, float]], n_columns: int) -> bytes:
    """One record per row: features["values"] = Float32Tensor(values, keys, shape=[n_columns])."""
    payloads = []
    for row in rows:
        keys = sorted(row)
        tensor = float32_tensor([row[key] for key in keys], keys=keys, shape=[n_columns])
        payloads.append(record(features={"values": tensor}))
    return recordio(payloads)


def read_recordio(data: bytes) -> list[bytes]:
    payloads = []
    offset = 0
    while offset < len(data):
        magic, length = struct.unpack_from("<II", data, offset)
        if magic != RECORDIO_MAGIC:
            raise ValueError(f"bad RecordIO magic at {offset}: {magic:#x}")
        offset += 8
        payloads.append(data[offset : offset + length])
        offset += length + (-length) % 4
    return payloads


def _read_varint(data: bytes, offset: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[offset]
        offset += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, offset


def _fields(data: bytes) -> list[tuple[int, bytes]]:
    """(field number, payload) of every length-delimited field; other wire types refused."""
    fields = []
    offset = 0
    while offset < len(data):
        key, offset = _read_varint(data, offset)
        if key & 7 != _LENGTH_DELIMITED:
            raise ValueError(f"unexpected wire type {key & 7} for field {key >> 3}")
        length, offset = _read_varint(data, offset)
        fields.append((key >> 3, data[offset : offset + length]))
        offset += length
    return fields


def read_label_entries(payload: bytes) -> list[tuple[str, list[float]]]:
    """Every Record.label map entry in wire order, as (key, float32 values)."""
    entries = []
    for field, entry in _fields(payload):
        if field != 2:
            raise ValueError(f"unexpected Record field {field}")
        parts = dict(_fields(entry))
        tensor = dict(_fields(parts[2]))[2]  # Value.float32_tensor
        packed = dict(_fields(tensor)).get(1, b"")
        values = list(struct.unpack(f"<{len(packed) // 4}f", packed))
        entries.append((parts[1].decode(), values))
    return entries
