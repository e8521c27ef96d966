"""The smoke script's feature-count net: a payload that does not fit the model is never sent.

XGBoost answers 200 for rows with fewer values than the model has features, so without this a
payload built for another model passes. Offline: a scripted local server, moto, and a stand-in
for sagemaker_serverless.artifact (written on another branch) unless the real one is installed.
"""

from __future__ import annotations

import json
import sys
import types
from dataclasses import dataclass
from pathlib import Path

import pytest

from scripts.smoke.cli import main
from scripts.smoke.errors import CheckFailedError, UsageError
from scripts.smoke.features import (
    NOT_CHECKED,
    FeatureCount,
    check_payload,
    count_from_model,
    count_from_outputs,
    resolve_feature_count,
)
from scripts.smoke.payload import DEFAULT_PAYLOAD, expected_prediction_count
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.fake_http import Script, scripted_server
from tests.smoke_moto import (
    ENDPOINT,
    FakeTime,
    create_endpoint,
    create_stack,
    fake_endpoint,
    queue_answer,
    run_main,
)

ARTIFACT_MODULE = "sagemaker_serverless.artifact"


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


TEN = FeatureCount(count=10, source="--feature-count")
ROW = DEFAULT_PAYLOAD.strip()  # the sample model's 10 values
SHORT_ROW = ROW.rsplit(",", 1)[0]  # 9 values


def check(
    payload: str | bytes, count: FeatureCount | None = TEN, content_type: str = "text/csv"
) -> str:
    body = payload.encode() if isinstance(payload, str) else payload
    return check_payload(body, content_type, count)


# --- The check, as the image counts ---------------------------------------------------------


def test_rows_with_the_models_count_pass() -> None:
    assert check(f"{ROW}\n{ROW}\n") == (
        "every row has 10 values: the model's 10 features (--feature-count)"
    )


def test_a_short_row_fails_naming_row_values_and_model_count_without_invoking() -> None:
    with pytest.raises(CheckFailedError) as caught:
        check(f"{ROW}\n{SHORT_ROW}\n")
    message = str(caught.value)
    assert "checked before invoking (not invoked): row 2 has 9 values." in message
    assert "The model has 10 features (--feature-count)" in message
    assert "row 1" not in message


def test_a_long_row_fails_too_and_only_three_are_listed() -> None:
    rows = [f"{ROW},1"] * 5
    with pytest.raises(
        CheckFailedError,
        match=r"row 1 has 11 values; row 2 has 11 values; row 3 "
        r"has 11 values; 2 more\.",
    ):
        check("\n".join(rows))


@pytest.mark.parametrize(
    ("payload", "count"),
    [
        ("1;2;3\n4;5;6\n", 3),  # the sniffed delimiter, as the image splits
        ("1\t2\t3\n", 3),
        ("1 2 3\n", 3),  # the sniffer picks " " and so does the image
        ("5\n7\n", 1),  # a letter or digit guess means ","
        ("\n\n1,2\n3,4\n\n", 2),  # the body is stripped first
        ("1,,3\n", 3),  # an empty cell is a missing value, still a value
    ],
)
def test_values_are_counted_on_the_sniffed_delimiter(payload: str, count: int) -> None:
    assert check(payload, FeatureCount(count=count, source="x")).startswith(
        f"every row has {count} values"
    )


def test_a_blank_row_inside_the_body_is_a_row_of_one_value() -> None:
    with pytest.raises(CheckFailedError, match=r"row 2 has 1 value\. "):
        check(f"{ROW}\n\n{ROW}\n")
    assert expected_prediction_count(f"{ROW}\n\n{ROW}\n".encode(), "text/csv") == 3


def test_csv_content_type_aliases_and_parameters_are_checked() -> None:
    for content_type in ("text/csv; charset=utf-8", "CSV", "text/CSV"):
        with pytest.raises(CheckFailedError, match="row 1 has 9 values"):
            check(SHORT_ROW, content_type=content_type)


@pytest.mark.parametrize(
    ("payload", "problem"),
    [
        ("1 0:1.5 9:2\n0 3:1\n", None),
        ("0:1 10:2\n", "row 1 has feature index 10 (0-based: 0 to 9 exist)"),
        ("1 2:1\n1 -1:2\n", "row 2 has feature index -1"),
        ("1 a:1\n", "row 1 has 'a:1', whose index is not a whole number"),
    ],
)
def test_libsvm_indices_must_be_below_the_count(payload: str, problem: str | None) -> None:
    for content_type in ("text/libsvm", "text/x-libsvm", "libsvm"):
        if problem is None:
            assert check(payload, content_type=content_type).startswith(
                "every feature index is below 10"
            )
            continue
        with pytest.raises(CheckFailedError) as caught:
            check(payload, content_type=content_type)
        assert problem in str(caught.value)


def test_without_a_count_or_for_json_the_report_says_it_was_not_checked() -> None:
    assert check(SHORT_ROW, None) == NOT_CHECKED
    assert "--feature-count N or --model" in NOT_CHECKED
    assert check('{"instances": [[1]]}', content_type="application/json").startswith(
        "feature count not checked: 'application/json' payloads are not counted"
    )


def test_a_payload_that_is_not_utf8_fails() -> None:
    with pytest.raises(CheckFailedError, match=r"not UTF-8 text .* not invoked"):
        check(b"1,2,\xff\n")


# --- Where the count comes from ---------------------------------------------------------------


def test_the_stack_output_and_the_option_must_agree() -> None:
    assert resolve_feature_count(option=None, deployed=None, stack=None) is None
    assert resolve_feature_count(option=TEN, deployed=None, stack="s") == TEN
    assert resolve_feature_count(option=None, deployed=12, stack="s") == FeatureCount(
        count=12, source="stack 's' output ModelFeatureCount"
    )
    assert resolve_feature_count(option=TEN, deployed=10, stack="s") == FeatureCount(
        count=10, source="--feature-count, = stack 's' output ModelFeatureCount"
    )
    with pytest.raises(CheckFailedError) as caught:
        resolve_feature_count(option=TEN, deployed=12, stack="s")
    assert str(caught.value).startswith(
        "--feature-count says the model has 10 features, but the model stack 's' deployed has 12"
    )


@pytest.mark.parametrize(
    ("outputs", "count", "note"),
    [
        ({}, None, None),
        ({"ModelFeatureCount": "10"}, 10, None),
        ({"ModelFeatureCount": "unknown"}, None, "ModelFeatureCount='unknown' is not a whole"),
        ({"ModelFeatureCount": "0"}, None, "is not a whole number of at least 1"),
    ],
)
def test_the_stack_output_is_read_when_it_is_a_count(
    outputs: dict[str, str], count: int | None, note: str | None
) -> None:
    found, message = count_from_outputs(outputs, "s")
    assert found == count
    assert (message is None) if note is None else (note in (message or ""))


@dataclass(frozen=True)
class Inspection:
    num_feature: int | None
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def stub_artifact_module(monkeypatch: pytest.MonkeyPatch, inspection: Inspection) -> list[Path]:
    """sagemaker_serverless.artifact as the construct library will have it; returns the calls."""
    calls: list[Path] = []

    def inspect_model_artifact(path: Path) -> Inspection:
        calls.append(path)
        return inspection

    module = types.ModuleType(ARTIFACT_MODULE)
    module.inspect_model_artifact = inspect_model_artifact  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, ARTIFACT_MODULE, module)
    return calls


def test_model_reads_the_count_from_the_artifact(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = stub_artifact_module(monkeypatch, Inspection(num_feature=7))
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"x")
    assert count_from_model(model) == 7
    assert calls == [model]


def test_model_without_a_readable_count_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    stub_artifact_module(monkeypatch, Inspection(num_feature=None, errors=("not a tar archive",)))
    model = tmp_path / "model.tar.gz"
    model.write_bytes(b"x")
    with pytest.raises(
        UsageError,
        match=r"no feature count could be read \(not a tar archive\); "
        "pass --feature-count N",
    ):
        count_from_model(model)
    with pytest.raises(UsageError, match="no such file or directory"):
        count_from_model(tmp_path / "missing.tar.gz")


def test_model_without_the_construct_library_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, ARTIFACT_MODULE, None)  # the import fails
    needs = r"--model needs sagemaker_serverless\.artifact .* or pass --feature-count N"
    with pytest.raises(UsageError, match=needs):
        count_from_model(SAMPLE_MODEL_ARTIFACT)


def test_model_reads_the_sample_artifacts_ten_features() -> None:
    pytest.importorskip(ARTIFACT_MODULE, reason="sagemaker_serverless.artifact is not merged yet")
    assert count_from_model(SAMPLE_MODEL_ARTIFACT) == 10


# --- End to end ------------------------------------------------------------------------------


def test_locally_a_mismatch_exits_1_and_sends_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    script = Script()
    with scripted_server(script) as url:
        assert main(["--local-url", url, "--feature-count", "9"]) == 1
    assert script.calls == []  # not even one invocation
    err = capsys.readouterr().err
    assert "(not invoked): row 1 has 10 values. The model has 9 features (--feature-count)" in err
    assert "Traceback" not in err


def test_locally_a_fitting_payload_is_reported_as_checked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    stub_artifact_module(monkeypatch, Inspection(num_feature=10))
    with scripted_server(Script()) as url:
        assert main(["--local-url", url, "--model", str(SAMPLE_MODEL_ARTIFACT)]) == 0
        assert main(["--local-url", url, "--json", "--feature-count", "10"]) == 0
        assert main(["--local-url", url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2] == (
        f"   features: every row has 10 values: the model's 10 features "
        f"(--model {SAMPLE_MODEL_ARTIFACT})"
    )
    report = json.loads(out[3])
    assert (report["feature_count"], report["feature_check"]) == (
        10,
        "every row has 10 values: the model's 10 features (--feature-count)",
    )
    assert out[-1] == f"   features: {NOT_CHECKED}"


def test_the_load_mode_checks_first_too(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    payload = tmp_path / "rows.csv"
    payload.write_text(f"{ROW}\n{SHORT_ROW}\n")
    script = Script()
    with scripted_server(script) as url:
        args = ["--local-url", url, "--payload", str(payload), "--feature-count", "10"]
        assert main([*args, "--requests", "5"]) == 1
    assert script.calls == []
    assert "row 2 has 9 values" in capsys.readouterr().err


def test_feature_count_and_model_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--local-url", "http://127.0.0.1:1", "--feature-count", "3", "--model", "m.tar.gz"]
    assert main(args) == 2
    assert "argument --model: not allowed with argument --feature-count" in capsys.readouterr().err


@pytest.mark.usefixtures("aws")
def test_the_stacks_output_fails_a_mismatch_before_waiting(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    fake_endpoint().endpoint_status = "Creating"  # waiting would sleep
    create_stack("dev", {"EndpointName": ENDPOINT, "ModelFeatureCount": "12"})
    assert run_main(fake_time, "--stack", "dev") == 1
    assert fake_time.sleeps == []
    err = capsys.readouterr().err
    assert (
        "row 1 has 10 values. The model has 12 features (stack 'dev' output ModelFeatureCount)"
        in err
    )


@pytest.mark.usefixtures("aws")
def test_the_stacks_output_checks_a_fitting_payload(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("151.25\n")
    create_stack("dev", {"EndpointName": ENDPOINT, "ModelFeatureCount": "10"})
    # An outputs-only stack (create_stack): no endpoint resources for the configuration check.
    args = ["--stack", "dev", "--json", "--feature-count", "10", "--no-config-check"]
    assert run_main(fake_time, *args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["feature_count"] == 10
    assert report["feature_check"].endswith(
        "(--feature-count, = stack 'dev' output ModelFeatureCount)"
    )


@pytest.mark.usefixtures("aws")
def test_an_option_that_disagrees_with_the_stack_fails(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    create_stack("dev", {"EndpointName": ENDPOINT, "ModelFeatureCount": "12"})
    assert run_main(fake_time, "--stack", "dev", "--feature-count", "10") == 1
    assert "but the model stack 'dev' deployed has 12" in capsys.readouterr().err


@pytest.mark.usefixtures("aws")
def test_without_the_output_the_feature_count_is_not_checked(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("151.25\n")
    create_stack("dev", {"EndpointName": ENDPOINT, "ModelFeatureCount": "n/a"})
    assert run_main(fake_time, "--stack", "dev", "--no-config-check") == 0
    captured = capsys.readouterr()
    assert "output ModelFeatureCount='n/a' is not a whole number of at least 1: ignored" in (
        captured.err
    )
    assert f"features: {NOT_CHECKED}" in captured.out
