"""Small real XGBoost models and model.tar.gz archives built in a test's tmp_path."""

from __future__ import annotations

import functools
import gzip
import io
import tarfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import xgboost as xgb

# Objective -> (features, extra training parameters): one regressor, two classifiers.
MODELS: dict[str, tuple[int, dict[str, object]]] = {
    "reg:squarederror": (10, {}),
    "binary:logistic": (5, {}),
    "multi:softprob": (4, {"num_class": 3}),
}


@functools.cache
def trained(objective: str) -> xgb.Booster:
    features, extra = MODELS[objective]
    generator = np.random.default_rng(0)
    rows = generator.random((60, features))
    labels = (
        generator.integers(0, int(str(extra["num_class"])), 60)
        if "num_class" in extra
        else generator.integers(0, 2, 60)
        if objective.startswith("binary:")
        else generator.random(60)
    )
    params = {"objective": objective, "nthread": 1, "seed": 0, "max_depth": 2, **extra}
    return xgb.train(params, xgb.DMatrix(rows, label=labels), num_boost_round=3)


def model_bytes(objective: str = "reg:squarederror", raw_format: str = "ubj") -> bytes:
    """The model as XGBoost saves it: ``"json"`` or ``"ubj"`` (UBJSON)."""
    return bytes(trained(objective).save_raw(raw_format=raw_format))


def write_archive(
    path: Path,
    files: Mapping[str, bytes],
    *,
    directories: tuple[str, ...] = (),
    symlinks: Mapping[str, str] | None = None,
    compress: bool = True,
) -> Path:
    """A tar (gzip-compressed unless ``compress=False``) holding ``files`` by member name."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name in directories:
            info = tarfile.TarInfo(name)
            info.type = tarfile.DIRTYPE
            archive.addfile(info)
        for name, target in (symlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type = tarfile.SYMTYPE
            info.linkname = target
            archive.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    data = buffer.getvalue()
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)
    return path
