"""sagemaker_serverless.artifact: a model.tar.gz checked as SageMaker and its XGBoost image use it.

Archives are built in tmp_path from real XGBoost 3.0 models; where the module claims to mirror
XGBoost (which files load, which do not), the test asks XGBoost too.
"""

from __future__ import annotations

import gzip
import pickle
import random
import re
import struct
import tarfile
from pathlib import Path

import pytest
import xgboost as xgb

from sagemaker_serverless import artifact
from sagemaker_serverless.artifact import (
    ArtifactInspection,
    ModelFormat,
    XGBoostModelInfo,
    inspect_model_artifact,
    read_xgboost_model_info,
)
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.model_files import MODELS, model_bytes, trained, write_archive

PACK = "tar -czf model.tar.gz -C <model dir> xgboost-model"
SAVE = 'booster.save_model("xgboost-model") (UBJSON)'


def xgboost_loads(path: Path) -> int | None:
    """What XGBoost itself says: the file's feature count, or None when it refuses the file."""
    booster = xgb.Booster()
    try:
        booster.load_model(str(path))
    except xgb.core.XGBoostError:
        return None
    return booster.num_features()


def archive(
    tmp_path: Path,
    files: dict[str, bytes],
    *,
    directories: tuple[str, ...] = (),
    compress: bool = True,
) -> Path:
    return write_archive(
        tmp_path / "model.tar.gz", files, directories=directories, compress=compress
    )


# --- good artifacts ------------------------------------------------------------------------------


def test_the_sample_model_is_read_from_its_archive() -> None:
    inspection = inspect_model_artifact(SAMPLE_MODEL_ARTIFACT)
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as tar:
        (member,) = tar.getmembers()
    assert inspection.ok
    assert (inspection.errors, inspection.warnings, inspection.ignored) == ((), (), ())
    assert inspection.num_feature == 10  # scikit-learn's diabetes data
    assert inspection.compressed_size == SAMPLE_MODEL_ARTIFACT.stat().st_size
    assert inspection.uncompressed_size == member.size
    (model,) = inspection.model_files
    assert (model.name, model.size, model.format) == ("xgboost-model", member.size, "ubjson")
    assert (model.objective, model.num_class, model.problem) == ("reg:squarederror", 0, None)


@pytest.mark.filterwarnings("ignore:.*Saving model in the UBJSON format as default")
def test_xgboost_writes_ubjson_for_a_name_without_extension(tmp_path: Path) -> None:
    # Why the sample's xgboost-model is UBJSON (XGBoost >= 2.1's default), and JSON needs .json.
    trained("reg:squarederror").save_model(str(tmp_path / "xgboost-model"))
    trained("reg:squarederror").save_model(str(tmp_path / "model.json"))
    assert (tmp_path / "xgboost-model").read_bytes()[:2] == b"{L"
    assert (tmp_path / "model.json").read_bytes()[:2] == b'{"'


@pytest.mark.parametrize("raw_format", ["json", "ubj"])
@pytest.mark.parametrize("objective", list(MODELS))
@pytest.mark.parametrize("with_extension", [False, True], ids=["xgboost-model", "extension"])
def test_feature_count_objective_and_classes_match_xgboost(
    tmp_path: Path, objective: str, raw_format: str, with_extension: bool
) -> None:
    name = f"model.{raw_format}" if with_extension else "xgboost-model"
    data = model_bytes(objective, raw_format)
    inspection = inspect_model_artifact(archive(tmp_path, {name: data}))
    assert inspection.ok, inspection.errors
    (model,) = inspection.model_files
    (tmp_path / name).write_bytes(data)
    assert model.num_feature == xgboost_loads(tmp_path / name) == MODELS[objective][0]
    assert inspection.num_feature == MODELS[objective][0]
    assert model.format == ("json" if raw_format == "json" else "ubjson")
    assert model.objective == objective
    assert model.num_class == MODELS[objective][1].get("num_class", 0)


def test_a_leading_dot_slash_and_the_root_directory_entry_are_the_root(tmp_path: Path) -> None:
    # `tar -czf model.tar.gz -C dir .` writes "./" and "./xgboost-model".
    path = archive(tmp_path, {"./xgboost-model": model_bytes()}, directories=("./",))
    inspection = inspect_model_artifact(path)
    assert inspection.ok
    assert [model.name for model in inspection.model_files] == ["xgboost-model"]
    assert inspection.ignored == ()


def test_a_macos_resource_fork_next_to_the_model_is_ignored(tmp_path: Path) -> None:
    path = archive(
        tmp_path, {"._xgboost-model": b"\x00\x05\x16\x07Mac OS X", "xgboost-model": model_bytes()}
    )
    inspection = inspect_model_artifact(path)
    assert inspection.ok
    assert (inspection.errors, inspection.warnings) == ((), ())
    assert inspection.ignored == ("._xgboost-model",)
    assert [model.name for model in inspection.model_files] == ["xgboost-model"]
    assert inspection.num_feature == 10


def test_subdirectories_next_to_the_model_are_ignored(tmp_path: Path) -> None:
    path = archive(
        tmp_path,
        {"xgboost-model": model_bytes(), "code/inference.py": b"print('hi')\n"},
        directories=("code",),
    )
    inspection = inspect_model_artifact(path)
    assert inspection.ok
    assert inspection.ignored == ("code", "code/inference.py")
    assert inspection.uncompressed_size == len(model_bytes()) + len(b"print('hi')\n")


def test_two_model_files_that_agree_are_an_ensemble(tmp_path: Path) -> None:
    files = {"a-model": model_bytes(), "b-model.json": model_bytes(raw_format="json")}
    inspection = inspect_model_artifact(archive(tmp_path, files))
    assert inspection.ok
    assert inspection.warnings == ()
    assert [model.name for model in inspection.model_files] == ["a-model", "b-model.json"]
    assert inspection.num_feature == 10
    assert inspection.model_bytes == sum(len(data) for data in files.values())


@pytest.mark.filterwarnings("ignore:.*Saving into deprecated binary model format")
def test_xgboosts_deprecated_binary_format_loads_in_3_0_with_a_warning(tmp_path: Path) -> None:
    # XGBoost 3.0.5 still loads (and writes) it; 3.1 removed it.
    trained("multi:softprob").save_model(str(tmp_path / "model.deprecated"))
    legacy = (tmp_path / "model.deprecated").read_bytes()
    (tmp_path / "xgboost-model").write_bytes(legacy)
    assert xgboost_loads(tmp_path / "xgboost-model") == 4
    inspection = inspect_model_artifact(archive(tmp_path, {"xgboost-model": legacy}))
    assert inspection.ok
    (model,) = inspection.model_files
    assert (model.format, model.num_feature, model.num_class) == ("legacy-binary", 4, 3)
    assert model.objective == "multi:softprob"
    assert inspection.warnings == (
        f"model file 'xgboost-model' in '{tmp_path / 'model.tar.gz'}' is in XGBoost's "
        "deprecated binary format: XGBoost 3.0 still loads it, 3.1 and later do not; save it "
        f"again with {SAVE}",
    )


# --- broken archives -----------------------------------------------------------------------------


def test_random_bytes_are_not_a_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(random.Random(0).randbytes(4096))
    inspection = inspect_model_artifact(path)
    first = " ".join(f"{byte:02x}" for byte in path.read_bytes()[:4])
    assert not inspection.ok
    assert inspection.errors == (
        f"model artifact '{path}' is not a gzip file (it starts with bytes {first}, not 1f 8b); "
        f"SageMaker needs a gzip-compressed tar archive: create it with {PACK}",
    )
    assert (inspection.uncompressed_size, inspection.model_files, inspection.num_feature) == (
        None,
        (),
        None,
    )


def test_a_truncated_archive_is_reported_as_truncated(tmp_path: Path) -> None:
    data = SAMPLE_MODEL_ARTIFACT.read_bytes()
    path = tmp_path / "model.tar.gz"
    path.write_bytes(data[: len(data) // 2])
    inspection = inspect_model_artifact(path)
    assert inspection.errors == (
        f"model artifact '{path}' is truncated: its gzip stream ends before its end marker (an "
        "interrupted download or copy?); build or download it again",
    )
    # No size and no model read from half an archive.
    assert (inspection.uncompressed_size, inspection.model_files) == (None, ())


def test_an_archive_missing_only_its_gzip_trailer_is_truncated(tmp_path: Path) -> None:
    data = SAMPLE_MODEL_ARTIFACT.read_bytes()
    path = tmp_path / "model.tar.gz"
    path.write_bytes(data[:-8])  # every tar byte is there; gzip's CRC and length are not
    assert "is truncated" in inspect_model_artifact(path).errors[0]


def test_a_bad_checksum_is_corrupt(tmp_path: Path) -> None:
    data = bytearray(SAMPLE_MODEL_ARTIFACT.read_bytes())
    data[-8] ^= 0xFF  # gzip's CRC-32 of the content
    path = tmp_path / "model.tar.gz"
    path.write_bytes(bytes(data))
    assert inspect_model_artifact(path).errors == (
        f"model artifact '{path}' is corrupt (Error -3 while decompressing data: incorrect data "
        "check); build or download it again",
    )


def test_a_tar_that_is_not_gzipped(tmp_path: Path) -> None:
    path = archive(tmp_path, {"xgboost-model": model_bytes()}, compress=False)
    assert inspect_model_artifact(path).errors == (
        f"model artifact '{path}' is a tar archive that is not gzip-compressed; SageMaker needs "
        f"a .tar.gz: compress it (gzip -n) or create it with {PACK}",
    )


def test_a_gzip_that_is_not_a_tar(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(gzip.compress(model_bytes(), mtime=0))  # `gzip xgboost-model`, no tar
    errors = inspect_model_artifact(path).errors
    assert errors == (
        f"model artifact '{path}' is gzip-compressed but holds no tar archive (bad checksum); "
        f"SageMaker extracts model.tar.gz with tar: create it with {PACK}, not with gzip alone",
    )


def test_an_empty_archive_has_no_model_file(tmp_path: Path) -> None:
    path = archive(tmp_path, {})
    inspection = inspect_model_artifact(path)
    assert inspection.errors == (
        f"model artifact '{path}' has no model file at its root (it holds no files); SageMaker "
        "extracts it into /opt/ml/model and the container loads the regular files directly in "
        "that directory, skipping names that start with '.': put the model file at the root of "
        f"the archive ({PACK})",
    )
    assert inspection.uncompressed_size == 0


def test_an_archive_with_only_a_dotfile_has_no_model_file(tmp_path: Path) -> None:
    path = archive(tmp_path, {".xgboost-model": model_bytes()})
    inspection = inspect_model_artifact(path)
    assert inspection.errors == (
        f"model artifact '{path}' has no model file at its root (found only '.xgboost-model'); "
        "SageMaker extracts it into /opt/ml/model and the container loads the regular files "
        "directly in that directory, skipping names that start with '.': put the model file at "
        f"the root of the archive ({PACK})",
    )
    assert inspection.ignored == (".xgboost-model",)


def test_a_model_only_in_a_subdirectory_is_not_loaded(tmp_path: Path) -> None:
    path = archive(tmp_path, {"model/xgboost-model": model_bytes()}, directories=("model",))
    inspection = inspect_model_artifact(path)
    assert inspection.errors == (
        f"model artifact '{path}' has no model file at its root (found only 'model', "
        "'model/xgboost-model'); SageMaker extracts it into /opt/ml/model and the container "
        "loads the regular files directly in that directory, skipping names that start with "
        f"'.': put the model file at the root of the archive ({PACK})",
    )
    assert inspection.archive_errors == inspection.errors


def test_a_missing_file_is_an_error_not_an_exception(tmp_path: Path) -> None:
    path = tmp_path / "missing.tar.gz"
    assert inspect_model_artifact(path).errors == (
        f"model artifact '{path}' cannot be read (No such file or directory)",
    )


# --- model files XGBoost cannot load -------------------------------------------------------------


def cannot_load(path: Path, name: str, reason: str) -> str:
    return (
        f"model file {name!r} in '{path}' cannot be loaded by XGBoost: {reason}. Save the model "
        f"with {SAVE} and package that file ({PACK})"
    )


def test_a_file_in_no_xgboost_format_is_an_error(tmp_path: Path) -> None:
    data = random.Random(1).randbytes(2048)
    path = archive(tmp_path, {"xgboost-model": data})
    (tmp_path / "xgboost-model").write_bytes(data)
    assert xgboost_loads(tmp_path / "xgboost-model") is None
    inspection = inspect_model_artifact(path)
    reason = (
        "it is not JSON, UBJSON or a pickle, and not XGBoost's binary format either (no "
        "objective and booster names after the model parameters)"
    )
    assert inspection.errors == (cannot_load(path, "xgboost-model", reason),)
    (model,) = inspection.model_files
    assert (model.format, model.num_feature, model.problem) == (
        "unknown",
        None,
        inspection.errors[0],
    )
    assert inspection.archive_errors == ()  # another image might read this file


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "xgboost-model",
            model_bytes(raw_format="json")[:-200],
            "JSON model is not valid JSON: ",
        ),
        ("xgboost-model", model_bytes()[:-200], "UBJSON model ends early (truncated?) at byte"),
        (
            "model.json",
            model_bytes(),  # UBJSON under a .json name: XGBoost parses it as JSON
            "JSON model is not UTF-8 text (byte ",
        ),
        (
            "xgboost-model",
            model_bytes(raw_format="json").replace(b'"num_feature":"10"', b'"num_feature":10'),
            "JSON model's learner.learner_model_param.num_feature is 10; XGBoost reads a string "
            "holding a whole number",
        ),
        (
            "xgboost-model",
            b'{"version": [3, 0, 5]}',
            "JSON model has no learner object (found none)",
        ),
        (
            "xgboost-model",
            b"{}",
            "it starts with '{' but is neither JSON nor UBJSON (XGBoost: Invalid model format)",
        ),
    ],
    ids=[
        "json-cut",
        "ubjson-cut",
        "ubjson-named-json",
        "number-not-string",
        "no-learner",
        "braces",
    ],
)
def test_broken_xgboost_files_are_errors_that_xgboost_agrees_with(
    tmp_path: Path, name: str, data: bytes, reason: str
) -> None:
    (tmp_path / name).write_bytes(data)
    assert xgboost_loads(tmp_path / name) is None
    path = archive(tmp_path, {name: data})
    inspection = inspect_model_artifact(path)
    (error,) = inspection.errors
    prefix, _, _ = cannot_load(path, name, reason).partition(reason)
    assert error.startswith(prefix + reason)
    assert error.endswith(f". Save the model with {SAVE} and package that file ({PACK})")
    assert inspection.model_files[0].problem == error
    assert inspection.num_feature is None


def test_model_files_that_disagree_on_features_are_an_error(tmp_path: Path) -> None:
    files = {"a-model": model_bytes(), "b-model": model_bytes("binary:logistic")}
    path = archive(tmp_path, files)
    inspection = inspect_model_artifact(path)
    assert inspection.num_feature is None
    assert inspection.errors == (
        f"model files in '{path}' disagree on their feature count ('a-model': 10, 'b-model': 5); "
        "the container loads every file at the archive's root as one ensemble and averages "
        "their predictions, so no request width suits them all: keep only the model you mean "
        "to serve",
    )
    assert inspection.feature_count_conflict == inspection.errors[0]
    assert inspection.archive_errors == ()


# --- pickles: never unpickled --------------------------------------------------------------------


class WritesAMarkerWhenUnpickled:
    """Unpickling this calls open(marker, "w"): proof of whether anything unpickled it."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_pickle_is_a_warning_and_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    payload = pickle.dumps(WritesAMarkerWhenUnpickled(marker), protocol=4)
    path = archive(tmp_path, {"xgboost-model": payload})
    inspection = inspect_model_artifact(path)
    assert not marker.exists()
    assert inspection.ok
    (model,) = inspection.model_files
    assert (model.format, model.num_feature, model.problem) == ("pickle", None, None)
    assert inspection.num_feature is None
    assert inspection.warnings == (
        f"model file 'xgboost-model' in '{path}' is a pickle (a pickled Booster?): it cannot be "
        "verified at synth without executing it; feature count unknown. The container "
        f"unpickles it, which runs code from the file: prefer {SAVE}, which synth checks",
    )
    # The payload does run code when unpickled (what the container would do):
    pickle.loads(payload)
    assert marker.exists()


def test_a_pickled_booster_is_recognised_by_its_header(tmp_path: Path) -> None:
    for protocol in range(6):
        payload = pickle.dumps(trained("reg:squarederror"), protocol=protocol)
        path = archive(tmp_path, {"xgboost-model": payload})
        (model,) = inspect_model_artifact(path).model_files
        assert model.format == "pickle"


# --- reading model bytes directly ----------------------------------------------------------------


@pytest.mark.parametrize(("raw_format", "expected_format"), [("json", "json"), ("ubj", "ubjson")])
def test_read_xgboost_model_info(raw_format: str, expected_format: ModelFormat) -> None:
    info = read_xgboost_model_info(model_bytes("multi:softprob", raw_format))
    assert info == XGBoostModelInfo(
        format=expected_format, num_feature=4, num_class=3, objective="multi:softprob"
    )


def test_read_xgboost_model_info_never_unpickles(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    with pytest.raises(ValueError, match=r"^it is a pickle, which is not read without executing"):
        read_xgboost_model_info(pickle.dumps(WritesAMarkerWhenUnpickled(marker)))
    assert not marker.exists()


def ubj_key(text: str) -> bytes:
    return b"L" + struct.pack(">q", len(text)) + text.encode()


def ubj_string(text: str) -> bytes:
    return b"S" + ubj_key(text)


def minimal_ubjson(extra: bytes = b"") -> bytes:
    """A learner as XGBoost reads it, with every UBJSON construct in ``extra``."""
    return (
        b"{"
        + ubj_key("learner")
        + b"{"
        + ubj_key("attributes")
        + b"{}"
        + ubj_key("extra")
        + (extra or b"Z")
        + ubj_key("gradient_booster")
        + b"{"
        + ubj_key("name")
        + ubj_string("gbtree")
        + b"}"
        + ubj_key("learner_model_param")
        + b"{"
        + ubj_key("base_score")
        + ubj_string("5E-1")
        + ubj_key("num_class")
        + ubj_string("0")
        + ubj_key("num_feature")
        + ubj_string("7")
        + b"}"
        + ubj_key("objective")
        + b"{"
        + ubj_key("name")
        + ubj_string("reg:squarederror")
        + b"}"
        + b"}}"
    )


def test_the_ubjson_reader_reads_every_construct_xgboost_writes() -> None:
    typed = b"".join(
        b"[$" + kind + b"#" + b"L" + struct.pack(">q", 2) + b"\x00" * (2 * size)
        for kind, size in (
            (b"d", 4),
            (b"D", 8),
            (b"i", 1),
            (b"U", 1),
            (b"I", 2),
            (b"l", 4),
            (b"L", 8),
        )
    )
    counted = b"[#L" + struct.pack(">q", 3) + b"TFZ"
    scalars = (
        b"i\x01U\x02I\x00\x03l\x00\x00\x00\x04L"
        + b"\x00" * 7
        + b"\x05d\x00\x00\x00\x00D"
        + b"\x00" * 8
        + b"C\x41"
    )
    extra = b"[" + typed + counted + scalars + ubj_string("text") + b"]"
    info = read_xgboost_model_info(minimal_ubjson(extra))
    assert (info.format, info.num_feature, info.objective) == ("ubjson", 7, "reg:squarederror")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (b"H" + ubj_key("1"), "high-precision number"),
        (b"?", "unknown marker '?'"),
        (b"[$S#L" + struct.pack(">q", 1), "typed array of 'S'"),
        (b"[" * 100, "nests deeper than 64 levels"),
        (b"[$d#L" + struct.pack(">q", 2**40), "ends early (truncated?)"),
    ],
)
def test_the_ubjson_reader_refuses_what_xgboost_refuses(extra: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=r"^UBJSON model .*" + re.escape(message)):
        read_xgboost_model_info(minimal_ubjson(extra))


def test_the_minimal_ubjson_model_shape_is_what_xgboost_reads(tmp_path: Path) -> None:
    # Guards the hand-made document above: XGBoost needs the same keys (it then fails on the
    # empty booster, past everything synth reads).
    (tmp_path / "m.ubj").write_bytes(minimal_ubjson())
    booster = xgb.Booster()
    with pytest.raises(xgb.core.XGBoostError) as refused:
        booster.load_model(str(tmp_path / "m.ubj"))
    assert "learner_model_param" not in str(refused.value)
    assert "objective" not in str(refused.value)


# --- caching -------------------------------------------------------------------------------------


def test_each_artifact_version_is_read_once(tmp_path: Path) -> None:
    path = archive(tmp_path, {"xgboost-model": model_bytes()})
    before = artifact._scan.cache_info()
    first = inspect_model_artifact(path)
    again = inspect_model_artifact(tmp_path / "." / "model.tar.gz")  # another spelling
    after = artifact._scan.cache_info()
    assert (after.misses - before.misses, after.hits - before.hits) == (1, 1)
    assert first.model_files == again.model_files
    assert again.path == tmp_path / "." / "model.tar.gz"  # messages name the path as given
    write_archive(path, {"xgboost-model": model_bytes("binary:logistic")})
    assert inspect_model_artifact(path).num_feature == 5  # a new version is read again


def test_an_inspection_is_a_frozen_value() -> None:
    inspection = inspect_model_artifact(SAMPLE_MODEL_ARTIFACT)
    assert isinstance(inspection, ArtifactInspection)
    with pytest.raises(AttributeError):
        inspection.errors = ("x",)  # type: ignore[misc]
