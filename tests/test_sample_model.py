"""The sample model artifact: the layout SageMaker's XGBoost image loads, built reproducibly."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import numpy as np
import pytest
import xgboost as xgb

from scripts import build_sample_model
from scripts.smoke.payload import DEFAULT_PAYLOAD
from stacks.config import SAMPLE_MODEL_ARTIFACT, XGBOOST_IMAGE_VERSION


@pytest.fixture(scope="module")
def rebuilt_archive() -> bytes:
    archive, _dataset = build_sample_model.build(None)
    return archive


def load_booster(archive: bytes) -> xgb.Booster:
    with tarfile.open(fileobj=io.BytesIO(archive), mode="r:gz") as tar:
        member = tar.extractfile("xgboost-model")
        assert member is not None
        booster = xgb.Booster()
        booster.load_model(bytearray(member.read()))
        return booster


def test_archive_holds_exactly_one_model_file_at_the_root() -> None:
    with tarfile.open(SAMPLE_MODEL_ARTIFACT, mode="r:gz") as tar:
        members = tar.getmembers()
    assert [(m.name, m.isfile()) for m in members] == [("xgboost-model", True)]


def test_committed_artifact_is_what_the_script_builds(rebuilt_archive: bytes) -> None:
    # Same bytes => same CDK asset hash => the snapshots stay valid.
    assert rebuilt_archive == SAMPLE_MODEL_ARTIFACT.read_bytes()


def test_build_is_deterministic(rebuilt_archive: bytes) -> None:
    again, _dataset = build_sample_model.build(None)
    assert again == rebuilt_archive


def test_gzip_and_tar_metadata_are_fixed() -> None:
    raw = SAMPLE_MODEL_ARTIFACT.read_bytes()
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME
    assert raw[3] & 0x08 == 0  # no FNAME field
    with tarfile.open(SAMPLE_MODEL_ARTIFACT, mode="r:gz") as tar:
        (member,) = tar.getmembers()
    assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")


def test_saved_by_the_xgboost_of_the_chosen_image() -> None:
    image_major_minor = XGBOOST_IMAGE_VERSION.split("-")[0]  # "3.0-5" -> "3.0"
    assert ".".join(xgb.__version__.split(".")[:2]) == image_major_minor


def test_smoke_payload_matches_the_model() -> None:
    booster = load_booster(SAMPLE_MODEL_ARTIFACT.read_bytes())
    row = [float(cell) for cell in DEFAULT_PAYLOAD.strip().split(",")]
    assert booster.num_features() == len(row)
    (prediction,) = booster.predict(xgb.DMatrix(np.asarray([row], dtype=np.float32)))
    assert np.isfinite(prediction)
    # A regressor of disease progression (targets 25-346) should answer inside that range.
    assert 25 <= prediction <= 346


def test_trains_from_a_csv_with_the_label_first(tmp_path: Path) -> None:
    rows = ["10,1,2", "20,2,4", "30,3,6", "40,4,8"] * 5
    data = tmp_path / "train.csv"
    data.write_text("\n".join(rows) + "\n")
    output = tmp_path / "model.tar.gz"
    assert build_sample_model.main(["--data", str(data), "--output", str(output)]) == 0
    booster = load_booster(output.read_bytes())
    assert booster.num_features() == 2
    (low, high) = booster.predict(xgb.DMatrix(np.asarray([[1, 2], [4, 8]], dtype=np.float32)))
    assert low < high


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("label,a,b\n1,2,3\n", "non-numeric value (no header row, numbers only)"),
        ("1,2,3\n4,5\n", "line 2: 2 columns, expected 3"),
        ("5\n6\n", "need a label column and at least one feature"),
    ],
)
def test_bad_csv_exits_2_with_the_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    data = tmp_path / "train.csv"
    data.write_text(content)
    output = tmp_path / "model.tar.gz"
    assert build_sample_model.main(["--data", str(data), "--output", str(output)]) == 2
    assert message in capsys.readouterr().err
    assert not output.exists()


def test_missing_data_file_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert build_sample_model.main(["--data", "/nonexistent.csv", "--output", "/tmp/x"]) == 2
    assert "no such file" in capsys.readouterr().err
