#!/usr/bin/env python3
"""Train the sample XGBoost regressor and package it as SageMaker's XGBoost image loads it.

The archive holds exactly one file, ``xgboost-model``, at its root: a Booster saved by XGBoost 3.0,
the version inside the managed image ``sagemaker-xgboost:3.0-5`` the stacks deploy.

Data (CSV, no header, label in the first column, numeric features after it):
  --data PATH | https://... | s3://bucket/key   e.g. the SageMaker Abalone sample training CSV
  (no --data)                                   offline: scikit-learn's bundled diabetes dataset
                                                (442 rows, 10 numeric features, real measurements),
                                                which ships inside the scikit-learn wheel.

The build is deterministic: fixed seed, one thread, and fixed tar/gzip metadata (mtime 0, owner 0,
no file name in the gzip header), so the same data gives a byte-identical archive, the same CDK
asset hash, and an unchanged template snapshot.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import sys
import tarfile
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE_NAME = "xgboost-model"
DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "model" / "model.tar.gz"
SEED = 0
# Small, fast to load (cold starts) and accurate enough to show the wiring works.
TRAINING_PARAMS = {
    "objective": "reg:squarederror",
    "max_depth": 4,
    "eta": 0.1,
    "subsample": 1.0,
    "tree_method": "hist",
    "seed": SEED,
    "nthread": 1,
}
BOOST_ROUNDS = 100


class UsageError(Exception):
    """A problem with the command line or the input data (exit code 2)."""


@dataclass(frozen=True)
class Dataset:
    features: np.ndarray
    labels: np.ndarray
    source: str


def load_offline_dataset() -> Dataset:
    from sklearn.datasets import load_diabetes

    bunch = load_diabetes(scaled=False)
    return Dataset(
        features=np.asarray(bunch.data, dtype=np.float32),
        labels=np.asarray(bunch.target, dtype=np.float32),
        source="scikit-learn load_diabetes(scaled=False)",
    )


def _read_bytes(location: str) -> bytes:
    if location.startswith("s3://"):
        import boto3

        bucket, _, key = location.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise UsageError(f"--data {location!r} is not an s3://bucket/key URL")
        body: bytes = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        return body
    if location.startswith(("https://", "http://")):
        with urllib.request.urlopen(location, timeout=60) as response:
            data: bytes = response.read()
            return data
    path = Path(location)
    if not path.is_file():
        raise UsageError(f"--data {location!r}: no such file")
    return path.read_bytes()


def parse_csv(text: str, source: str) -> Dataset:
    """Label in column 0, numeric features after it, no header (SageMaker's XGBoost CSV format)."""
    rows = [row for row in csv.reader(io.StringIO(text)) if row]
    if not rows:
        raise UsageError(f"--data {source!r} has no rows")
    width = len(rows[0])
    if width < 2:
        raise UsageError(f"--data {source!r}: need a label column and at least one feature")
    values = []
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise UsageError(
                f"--data {source!r} line {number}: {len(row)} columns, expected {width}"
            )
        try:
            values.append([float(cell) for cell in row])
        except ValueError:
            raise UsageError(
                f"--data {source!r} line {number}: non-numeric value (no header row, numbers only)"
            ) from None
    matrix = np.asarray(values, dtype=np.float32)
    return Dataset(features=matrix[:, 1:], labels=matrix[:, 0], source=source)


def load_dataset(location: str | None) -> Dataset:
    if location is None:
        return load_offline_dataset()
    try:
        text = _read_bytes(location).decode("utf-8")
    except UsageError:
        raise
    except Exception as error:  # network, S3 or decoding problems: report, do not trace back
        raise UsageError(f"--data {location!r}: cannot read it: {error}") from error
    return parse_csv(text, location)


def train(dataset: Dataset) -> bytes:
    """Train the booster and return its saved bytes (XGBoost's default UBJSON model format)."""
    import xgboost as xgb

    matrix = xgb.DMatrix(dataset.features, label=dataset.labels)
    booster = xgb.train(TRAINING_PARAMS, matrix, num_boost_round=BOOST_ROUNDS)
    with tempfile.TemporaryDirectory() as tmp:
        # An explicit .ubj extension selects the format without XGBoost's "no extension" warning;
        # the archive member is still called xgboost-model, and load_model detects the format.
        path = Path(tmp) / "model.ubj"
        booster.save_model(path)
        return path.read_bytes()


def package(model_bytes: bytes) -> bytes:
    """A reproducible model.tar.gz holding one regular file, xgboost-model, at the root."""
    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo(MODEL_FILE_NAME)
        info.size = len(model_bytes)
        info.mode = 0o644
        info.mtime = 0
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        archive.addfile(info, io.BytesIO(model_bytes))
    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, mtime=0, compresslevel=9) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def build(location: str | None) -> tuple[bytes, Dataset]:
    dataset = load_dataset(location)
    return package(train(dataset)), dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the sample XGBoost model.tar.gz.")
    parser.add_argument("--data", help="training CSV: local path, https:// or s3:// URL")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="archive to write")
    args = parser.parse_args(argv)
    try:
        archive, dataset = build(args.data)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(archive)
    rows, columns = dataset.features.shape
    first_row = ",".join(f"{value:g}" for value in dataset.features[0])
    print(f"trained on {dataset.source}: {rows} rows, {columns} features")
    print(f"wrote {args.output} ({len(archive)} bytes)")
    print(f"a sample request row (text/csv): {first_row}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
