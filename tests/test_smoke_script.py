"""The smoke script (scripts/smoke/) against moto's SageMaker, CloudFormation and SageMaker Runtime.

Offline: no credentials, no network. moto answers invoke_endpoint from a queue we fill through
its backend, so the answer checks run on realistic bodies.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from scripts.smoke.aws import read_max_concurrency
from scripts.smoke.errors import CheckFailedError, UsageError
from scripts.smoke.invoke import invoke_with_retries
from scripts.smoke.load import (
    FAILED,
    OK,
    THROTTLED,
    check_concurrency,
    run_burst,
    sagemaker_invoker,
)
from tests.smoke_moto import (
    ENDPOINT,
    REGION,
    FakeTime,
    create_endpoint,
    create_stack,
    fake_endpoint,
    queue_answer,
    run_main,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.mark.usefixtures("aws")
def test_success_by_endpoint_name(fake_time: FakeTime, capsys: pytest.CaptureFixture[str]) -> None:
    create_endpoint()
    queue_answer("151.25\n")
    assert run_main(fake_time, "--endpoint-name", ENDPOINT) == 0
    out = capsys.readouterr().out
    assert f"OK {ENDPOINT} ({REGION}) answered: 151.25" in out
    assert "cold call" in out
    assert "warm p50" in out


@pytest.mark.usefixtures("aws")
def test_success_by_stack_output_as_json(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    create_stack("SageMakerServerless-dev", {"EndpointName": ENDPOINT, "EndpointArn": "arn"})
    queue_answer("151.25")
    # An outputs-only stack (create_stack): tests/test_smoke_drift.py checks real ones.
    code = run_main(
        fake_time,
        *("--stack", "SageMakerServerless-dev", "--json", "--warm-invocations", "2"),
        "--no-config-check",
    )
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True
    assert report["endpoint_name"] == ENDPOINT
    assert report["status"] == "InService"
    assert report["predictions"] == [151.25]
    assert isinstance(report["cold_latency_ms"], float)
    assert len(report["warm_latencies_ms"]) == 2
    assert report["attempts"] == 3


@pytest.mark.usefixtures("aws")
def test_reports_the_deployed_model_package_version(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    version = "arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/4"
    create_endpoint()
    create_stack(
        "SageMakerServerless-prod", {"EndpointName": ENDPOINT, "ModelPackageVersionArn": version}
    )
    queue_answer("151.25")
    args = ("--stack", "SageMakerServerless-prod", "--no-config-check")
    assert run_main(fake_time, *args) == 0
    assert f"model package: {version}" in capsys.readouterr().out
    queue_answer("151.25")
    assert run_main(fake_time, *args, "--json") == 0
    assert json.loads(capsys.readouterr().out)["model_package"] == version


@pytest.mark.usefixtures("aws")
def test_waits_while_creating_with_progress(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("1.5")
    fake_endpoint().endpoint_status = "Creating"

    def become_ready(sleeps: int) -> None:
        if sleeps == 12:  # two 30 s poll intervals, slept in 5 s slices
            fake_endpoint().endpoint_status = "InService"

    fake_time.on_sleep.append(become_ready)
    assert run_main(fake_time, "--endpoint-name", ENDPOINT, "--poll-interval", "30") == 0
    err = capsys.readouterr().err
    assert err.count(f"endpoint {ENDPOINT}: Creating") == 2
    assert f"[    60s] endpoint {ENDPOINT}: InService" in err
    # Between two polls, a line every 5 s with the elapsed time: never silent for longer.
    assert f"[    35s] endpoint {ENDPOINT}: still Creating, next check in 25s" in err
    assert err.count("still Creating") == 10
    assert fake_time.sleeps == [5.0] * 12


@pytest.mark.usefixtures("aws")
def test_failed_endpoint_reports_failure_reason(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    fake_endpoint().endpoint_status = "Failed"
    fake_endpoint().failure_reason = "Image pull failed: access denied"
    assert run_main(fake_time, "--endpoint-name", ENDPOINT) == 1
    err = capsys.readouterr().err
    assert f"endpoint {ENDPOINT} is Failed: Image pull failed: access denied" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("aws")
def test_timeout_while_creating(fake_time: FakeTime, capsys: pytest.CaptureFixture[str]) -> None:
    create_endpoint()
    fake_endpoint().endpoint_status = "Creating"
    code = run_main(
        fake_time, "--endpoint-name", ENDPOINT, "--timeout", "100", "--poll-interval", "30"
    )
    assert code == 1
    assert "is still Creating after 90s (--timeout 100)" in capsys.readouterr().err
    assert sum(fake_time.sleeps) <= 100


@pytest.mark.usefixtures("aws")
def test_answer_that_is_not_a_number_fails(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("<html>oops</html>")
    assert run_main(fake_time, "--endpoint-name", ENDPOINT) == 1
    assert "the answer is not a number" in capsys.readouterr().err


@pytest.mark.usefixtures("aws")
def test_answer_must_have_one_prediction_per_row(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    create_endpoint()
    queue_answer("1.0")
    payload = tmp_path / "rows.csv"
    payload.write_text("1,2,3\n4,5,6\n")
    assert run_main(fake_time, "--endpoint-name", ENDPOINT, "--payload-file", str(payload)) == 1
    assert "sent 2 row(s) but got 1 prediction(s)" in capsys.readouterr().err


@pytest.mark.usefixtures("aws")
def test_multi_row_payload_passes(fake_time: FakeTime, tmp_path: Path) -> None:
    create_endpoint()
    queue_answer("1.0\n2.0\n")
    payload = tmp_path / "rows.csv"
    payload.write_text("1,2,3\n4,5,6\n")
    assert run_main(fake_time, "--endpoint-name", ENDPOINT, "--payload-file", str(payload)) == 0


@pytest.mark.usefixtures("aws")
def test_json_answer_of_two_rows_passes(
    fake_time: FakeTime, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What the image answers with Accept: application/json (the formats: test_smoke_predictions).
    create_endpoint()
    queue_answer('{"predictions": [{"score": 152.5887908935547}, {"score": 138.1}]}')
    payload = tmp_path / "rows.csv"
    payload.write_text("1,2,3\n4,5,6\n")
    args = ["--endpoint-name", ENDPOINT, "--payload-file", str(payload), "--json"]
    assert run_main(fake_time, *args, "--accept", "application/json") == 0
    assert json.loads(capsys.readouterr().out)["predictions"] == [152.5887908935547, 138.1]


@pytest.mark.usefixtures("aws")
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--stack", "missing-stack"], "stack 'missing-stack' was not found"),
        (["--endpoint-name", ENDPOINT, "--payload-file", "/nonexistent.csv"], "/nonexistent.csv"),
        (["--endpoint-name", ENDPOINT, "--timeout", "-5"], "must be greater than 0"),
        ([], "one of the arguments --stack --endpoint-name is required"),
    ],
)
def test_configuration_errors_exit_2(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    create_endpoint()
    assert run_main(fake_time, *args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("aws")
def test_stack_without_endpoint_output_exits_2(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_stack("other", {"Something": "x"})
    assert run_main(fake_time, "--stack", "other") == 2
    assert "stack 'other' has no EndpointName output (outputs: Something)" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    ("extra_args", "message"),
    [([], "no AWS region"), (["--region", "eu-west-1"], "no AWS credentials found")],
)
def test_no_credentials_or_region_exit_2_without_traceback(
    tmp_path: Path, extra_args: list[str], message: str
) -> None:
    # A real process with an empty AWS configuration: what a new user sees.
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    result = subprocess.run(
        [sys.executable, "-m", "scripts.smoke_test", "--endpoint-name", "x", *extra_args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


class FlakyRuntime:
    """invoke_endpoint raising the given errors first, then answering."""

    def __init__(self, errors: list[tuple[str, str]], answer: bytes = b"3.5") -> None:
        self.errors = list(errors)
        self.answer = answer
        self.calls = 0

    def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
        self.calls += 1
        if self.errors:
            code, message = self.errors.pop(0)
            raise ClientError({"Error": {"Code": code, "Message": message}}, "InvokeEndpoint")
        return {"Body": io.BytesIO(self.answer)}


def invoke(runtime: FlakyRuntime, fake_time: FakeTime, max_attempts: int = 5) -> Any:
    return invoke_with_retries(
        runtime,
        endpoint_name=ENDPOINT,
        body=b"1,2",
        content_type="text/csv",
        accept=None,
        max_attempts=max_attempts,
        sleep=fake_time.sleep,
        clock=fake_time.clock,
        progress=lambda _message: None,
    )


def test_throttling_and_cold_start_errors_are_retried_with_backoff(fake_time: FakeTime) -> None:
    runtime = FlakyRuntime(
        [
            ("ThrottlingException", "Rate exceeded"),
            ("ModelError", "Your invocation timed out while waiting for a response from container"),
            ("ServiceUnavailable", "busy"),
        ]
    )
    answer, _seconds, attempts = invoke(runtime, fake_time)
    assert (answer, attempts, runtime.calls) == (b"3.5", 4, 4)
    assert len(fake_time.sleeps) == 3
    # Exponential: each wait is drawn from a window that doubles (jitter in [ceiling/2, ceiling]).
    for attempt, waited in enumerate(fake_time.sleeps, start=1):
        assert 2 ** (attempt - 1) / 2 <= waited <= 2 ** (attempt - 1)


def test_a_real_model_error_is_not_retried(fake_time: FakeTime) -> None:
    runtime = FlakyRuntime([("ModelError", "Received client error (400): bad feature count")])
    with pytest.raises(CheckFailedError, match="bad feature count"):
        invoke(runtime, fake_time)
    assert runtime.calls == 1


def test_retries_stop_after_max_attempts(fake_time: FakeTime) -> None:
    runtime = FlakyRuntime([("ThrottlingException", "Rate exceeded")] * 10)
    with pytest.raises(CheckFailedError, match="after 3 attempt"):
        invoke(runtime, fake_time, max_attempts=3)
    assert runtime.calls == 3


# --- Load mode against moto: the MaxConcurrency guard -----------------------------------------


@pytest.mark.usefixtures("aws")
def test_load_refuses_concurrency_over_max_concurrency(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()  # MaxConcurrency 2
    code = run_main(fake_time, "--endpoint-name", ENDPOINT, "--requests", "4", "--concurrency", "3")
    assert code == 2
    err = capsys.readouterr().err
    assert f"--concurrency 3 is more than the MaxConcurrency 2 of endpoint {ENDPOINT}" in err
    assert "--allow-over-max-concurrency" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("aws")
def test_load_within_max_concurrency_reports_the_burst(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("151.25")  # moto answers every identical request with it
    args = ["--endpoint-name", ENDPOINT, "--requests", "6", "--concurrency", "2", "--json"]
    assert run_main(fake_time, *args) == 0
    report = json.loads(capsys.readouterr().out)
    load = report["load"]
    assert report["ok"] is True
    assert load["max_concurrency"] == 2
    assert (load["requests"], load["concurrency"]) == (6, 2)
    assert (load["succeeded"], load["throttled"], load["failed"]) == (6, 0, 0)
    assert report["attempts"] == 6  # one call per request: no retries in load mode


@pytest.mark.usefixtures("aws")
def test_load_over_max_concurrency_when_asked(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    create_endpoint()
    queue_answer("151.25")
    args = ["--endpoint-name", ENDPOINT, "--requests", "3", "--concurrency", "3"]
    assert run_main(fake_time, *args, "--allow-over-max-concurrency") == 0
    captured = capsys.readouterr()
    assert "exceeds MaxConcurrency 2 (--allow-over-max-concurrency): expect throttled" in (
        captured.err
    )
    assert "load: 3 requests, concurrency 3, MaxConcurrency 2" in captured.out


def test_max_concurrency_is_read_from_the_endpoint_config() -> None:
    class Described:
        def describe_endpoint(self, **request: Any) -> dict[str, Any]:
            return {"EndpointConfigName": "config"}

        def describe_endpoint_config(self, **request: Any) -> dict[str, Any]:
            assert request == {"EndpointConfigName": "config"}
            return {
                "ProductionVariants": [
                    {"VariantName": "a", "ServerlessConfig": {"MaxConcurrency": 7}},
                    {"VariantName": "b", "InstanceType": "ml.m5.large"},
                ]
            }

    assert read_max_concurrency(Described(), "e") == 7


@pytest.mark.parametrize(
    ("concurrency", "limit", "allow", "note"),
    [
        (5, 5, False, None),
        (1, 5, False, None),
        (6, 5, True, "exceeds MaxConcurrency 5"),
        (6, None, False, "has no ServerlessConfig MaxConcurrency"),
    ],
)
def test_check_concurrency(
    concurrency: int, limit: int | None, allow: bool, note: str | None
) -> None:
    result = check_concurrency(concurrency, limit, allow_over=allow, endpoint_name="e")
    assert result == note if note is None else note in (result or "")


def test_check_concurrency_refuses_one_over() -> None:
    with pytest.raises(UsageError, match="--concurrency 6 is more than"):
        check_concurrency(6, 5, allow_over=False, endpoint_name="e")


def test_load_throttles_are_counted_not_retried(fake_time: FakeTime) -> None:
    runtime = FlakyRuntime(
        [
            ("ThrottlingException", "Rate exceeded"),
            ("ModelError", "Received client error (400): bad feature count"),
        ],
        answer=b"2.5",
    )
    invoke = sagemaker_invoker(
        runtime,
        endpoint_name=ENDPOINT,
        body=b"1,2\n",
        content_type="text/csv",
        accept=None,
        expected=1,
    )
    results, _wall = run_burst(invoke, requests=3, concurrency=1, clock=fake_time.clock)
    assert runtime.calls == 3
    assert fake_time.sleeps == []  # no backoff
    assert [(r.outcome, r.reason) for r in results] == [
        (THROTTLED, "ThrottlingException"),
        (FAILED, "ModelError"),
        (OK, ""),
    ]


def test_load_http_429_without_a_throttle_code_is_a_throttle() -> None:
    class TooMany:
        def invoke_endpoint(self, **request: Any) -> dict[str, Any]:
            raise ClientError(
                {"Error": {"Code": "Unknown"}, "ResponseMetadata": {"HTTPStatusCode": 429}},
                "InvokeEndpoint",
            )

    invoke = sagemaker_invoker(
        TooMany(), endpoint_name="e", body=b"1", content_type="text/csv", accept=None, expected=1
    )
    assert invoke(0)[0] == THROTTLED


def test_load_options_need_requests(
    fake_time: FakeTime, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_main(fake_time, "--endpoint-name", ENDPOINT, "--concurrency", "2") == 2
    assert "need --requests" in capsys.readouterr().err
    assert run_main(fake_time, "--endpoint-name", ENDPOINT, "--requests", "0") == 2
    assert "at least 1" in capsys.readouterr().err
