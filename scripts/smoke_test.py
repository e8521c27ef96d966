#!/usr/bin/env python3
"""Prove that a deployed SageMaker Serverless endpoint answers.

    python scripts/smoke_test.py --stack SageMakerServerless-dev [--region eu-west-1]
    python scripts/smoke_test.py --endpoint-name my-endpoint --payload-file rows.csv --json
    python scripts/smoke_test.py --local-url http://localhost:8080   # scripts/serve_local.py

Steps: find the endpoint (from the stack's EndpointName output, or by name); wait until it is
InService (progress on stderr, --timeout); invoke it once (the cold call) and --warm-invocations
more times, retrying throttling and cold-start errors with exponential backoff; check that the
answer holds one finite number per request row; report cold and warm latencies.

With --local-url the same checks run against a server on the SageMaker container contract (e.g.
`make serve`) instead: GET /ping must answer 200 (polled while it answers 503, up to --timeout),
then POST /invocations, without retries and without AWS credentials.

Load mode (--requests N [--concurrency C]): instead of the cold and warm calls, send a bounded
burst of exactly N invocations, at most C in flight (C threads, each sending one request at a
time), and report latency percentiles, cold starts, throttled and failed requests:

- Every request is sent once: no retries in load mode, neither ours nor botocore's. A throttle
  (ThrottlingException, TooManyRequestsException or HTTP 429) is counted as throttled, since
  retrying it would hide what a load test is for and send more than N requests; any other error
  or a wrong answer (not one finite number per row) is counted as failed, by reason.
- Percentiles (p50, p95, p99) are nearest-rank over the latencies of the successful requests.
- A cold start is a worker's first call (its first request that was not throttled: a throttle is
  refused before it reaches a container) that succeeded in more than max(1 s, 5 x the warm
  median), the warm median being that of the successful requests that are not first calls (1 s
  alone when there are none). A warm serverless call of a tabular model takes milliseconds to
  tens of milliseconds, a cold start seconds (container start and model load): the 1 s floor
  keeps network jitter out, the factor 5 keeps slow models' warm calls out.
- Against SageMaker, C may not exceed the endpoint's MaxConcurrency (its endpoint config's
  ServerlessConfig; the smallest if several variants have one): requests past it are throttled,
  so the burst would measure the limit rather than the endpoint. That is a usage error (exit 2)
  unless --allow-over-max-concurrency says that throttling is what you want to see. A local
  server has no MaxConcurrency: C is not checked.
- Exit 1 when any request failed (throttles alone do not fail the run) or none succeeded.

Exit codes: 0 the endpoint answered correctly; 1 endpoint or invocation failure (Failed status,
timeout, error response, answer that is not a number); 2 usage or configuration error (bad
arguments, no credentials or region, unknown stack, output or endpoint).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import random
import re
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
OUTPUT_ENDPOINT_NAME = "EndpointName"  # the stacks' CfnOutput id (stacks/serverless_stack.py)
# The first row of the sample model's training data, features only (no label, no header).
DEFAULT_PAYLOAD = "59,2,32.1,101,157,93.2,38,4,4.8598,87\n"
DEFAULT_CONTENT_TYPE = "text/csv"
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # SageMaker Serverless request limit
WAITING_STATUSES = {"Creating", "Updating", "SystemUpdating", "RollingBack"}
# Errors a healthy serverless endpoint returns while scaling or starting a container.
RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ModelNotReadyException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalDependencyException",
}
COLD_START_MESSAGE = re.compile(r"timed out|not ready|cold start", re.IGNORECASE)
LOCAL_PING_INTERVAL = 0.5  # seconds between /ping polls of a local server that answers 503
# Load mode: request outcomes, what counts as a throttle, and the cold-start rule (docstring).
OK, THROTTLED, FAILED = "ok", "throttled", "failed"
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException"}
HTTP_TOO_MANY_REQUESTS = 429
COLD_START_FLOOR_S = 1.0
COLD_START_FACTOR = 5.0

Sleep = Callable[[float], None]
Clock = Callable[[], float]


class CheckFailedError(Exception):
    """The endpoint or an invocation failed (exit code 1)."""


class UsageError(Exception):
    """The command line or the environment is wrong (exit code 2)."""


@dataclass(frozen=True)
class RequestResult:
    """One request of a load burst: who sent it, how long it took, how it ended."""

    worker: int
    sequence: int  # 0-based position among this worker's requests
    latency_s: float
    outcome: str  # OK, THROTTLED or FAILED
    reason: str = ""  # for throttles and failures: the error code, e.g. "ModelError", "HTTP 500"
    message: str = ""


@dataclass(frozen=True)
class LoadSummary:
    """The figures of a load burst (summarize_load)."""

    requests: int
    concurrency: int
    max_concurrency: int | None  # the endpoint's; None for a local server
    succeeded: int
    throttled: int
    failed: int
    cold_starts: int
    cold_start_threshold_ms: float
    warm_median_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    wall_seconds: float
    failure_reasons: dict[str, int] = field(default_factory=dict)
    first_failure: str | None = None  # one full message, to diagnose with

    @property
    def requests_per_second(self) -> float | None:
        return self.requests / self.wall_seconds if self.wall_seconds > 0 else None


@dataclass
class Report:
    endpoint_name: str
    region: str
    status: str = "unknown"
    predictions: list[float] = field(default_factory=list)
    cold_latency_ms: float | None = None
    warm_latencies_ms: list[float] = field(default_factory=list)
    attempts: int = 0
    ok: bool = False
    error: str | None = None
    load: LoadSummary | None = None

    @property
    def warm_p50_ms(self) -> float | None:
        return statistics.median(self.warm_latencies_ms) if self.warm_latencies_ms else None


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        description="Prove a deployed SageMaker Serverless endpoint answers.",
        epilog="Exit codes: 0 success, 1 endpoint or invocation failure, 2 usage/configuration.",
    )
    # Not required=True: parse_options names --local-url apart from the two AWS targets.
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--stack", help="CloudFormation stack whose EndpointName output to test")
    target.add_argument("--endpoint-name", help="the endpoint to test")
    target.add_argument(
        "--local-url",
        help="a local server on the container contract, e.g. http://localhost:8080 (no AWS)",
    )
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--profile", help="AWS profile (default: your AWS configuration)")
    parser.add_argument(
        "--timeout", type=_positive_float, default=1200.0, help="seconds to wait (default 1200)"
    )
    parser.add_argument(
        "--poll-interval", type=_positive_float, default=15.0, help="seconds between status checks"
    )
    parser.add_argument("--payload-file", type=Path, help="request body (default: a sample row)")
    parser.add_argument("--content-type", default=DEFAULT_CONTENT_TYPE, help="default text/csv")
    parser.add_argument("--accept", default=None, help="Accept header (default: the image's)")
    parser.add_argument(
        "--warm-invocations", type=int, default=3, help="invocations after the cold one"
    )
    parser.add_argument(
        "--max-attempts", type=int, default=6, help="tries per invocation for retryable errors"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    load = parser.add_argument_group(
        "load mode", "a bounded burst instead of the cold and warm calls (no retries)"
    )
    load.add_argument(
        "--requests", type=_positive_int, help="send exactly N requests and report their figures"
    )
    load.add_argument(
        "--concurrency",
        type=_positive_int,
        help="at most C requests in flight (default 1; at most the endpoint's MaxConcurrency)",
    )
    load.add_argument(
        "--allow-over-max-concurrency",
        action="store_true",
        help="let --concurrency exceed the endpoint's MaxConcurrency (to measure throttling)",
    )
    return parser


def parse_options(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = build_parser()
    options = parser.parse_args(argv)
    if options.stack is None and options.endpoint_name is None and options.local_url is None:
        parser.error(
            "one of the arguments --stack --endpoint-name is required "
            "(or --local-url for a local server)"
        )
    if options.requests is None and (
        options.concurrency is not None or options.allow_over_max_concurrency
    ):
        parser.error("--concurrency and --allow-over-max-concurrency need --requests (load mode)")
    return options


def _positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of at least 1")
    return int(text)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def read_payload(path: Path | None) -> bytes:
    if path is None:
        return DEFAULT_PAYLOAD.encode()
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise UsageError(f"--payload-file {str(path)!r}: {error.strerror}") from None
    if not payload:
        raise UsageError(f"--payload-file {str(path)!r} is empty")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise UsageError(
            f"--payload-file {str(path)!r} is {len(payload)} bytes; "
            f"SageMaker Serverless accepts at most {MAX_PAYLOAD_BYTES} bytes"
        )
    return payload


def expected_prediction_count(payload: bytes, content_type: str) -> int | None:
    """Rows in a CSV or libsvm request (one prediction each); None when unknown."""
    if content_type.split(";", maxsplit=1)[0].strip() not in ("text/csv", "text/libsvm"):
        return None
    return sum(1 for line in payload.decode(errors="replace").splitlines() if line.strip())


def parse_predictions(body: bytes) -> list[float]:
    """The numbers in an answer: CSV or lines, a JSON number or list, or {"predictions": [...]}."""
    text = body.decode(errors="replace").strip()
    if not text:
        raise CheckFailedError("the endpoint answered with an empty body")
    values: list[Any]
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        values = [cell for cell in re.split(r"[,\s]+", text) if cell]
    else:
        if isinstance(parsed, dict) and isinstance(parsed.get("predictions"), list):
            parsed = [p.get("score") if isinstance(p, dict) else p for p in parsed["predictions"]]
        values = parsed if isinstance(parsed, list) else [parsed]
    numbers: list[float] = []
    for value in values:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise CheckFailedError(f"the answer is not a number: {text[:200]!r}") from None
        if not math.isfinite(number):
            raise CheckFailedError(f"the answer is not a finite number: {text[:200]!r}")
        numbers.append(number)
    return numbers


def _error_code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _error_message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", error))


def is_retryable(error: Exception) -> bool:
    code = _error_code(error)
    if code in RETRYABLE_CODES:
        return True
    # A serverless cold start can surface as a ModelError whose message says the container
    # timed out; a real model error (bad input, crash) does not say that and is not retried.
    return code == "ModelError" and bool(COLD_START_MESSAGE.search(_error_message(error)))


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 20.0) -> float:
    """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
    ceiling: float = min(cap, base * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def invoke_request(
    endpoint_name: str, body: bytes, content_type: str, accept: str | None
) -> dict[str, Any]:
    """The keyword arguments of one ``invoke_endpoint`` call."""
    request: dict[str, Any] = {
        "EndpointName": endpoint_name,
        "Body": body,
        "ContentType": content_type,
    }
    if accept:
        request["Accept"] = accept
    return request


def invoke_with_retries(
    runtime: Any,
    *,
    endpoint_name: str,
    body: bytes,
    content_type: str,
    accept: str | None,
    max_attempts: int,
    sleep: Sleep,
    clock: Clock,
    progress: Callable[[str], None],
) -> tuple[bytes, float, int]:
    """Invoke once, retrying retryable errors. Returns (answer, seconds of the last try, tries)."""
    request = invoke_request(endpoint_name, body, content_type, accept)
    for attempt in range(1, max_attempts + 1):
        started = clock()
        try:
            response = runtime.invoke_endpoint(**request)
            answer: bytes = response["Body"].read()
            return answer, clock() - started, attempt
        except Exception as error:
            if not _error_code(error):
                raise
            if not is_retryable(error) or attempt == max_attempts:
                raise CheckFailedError(
                    f"invocation failed after {attempt} attempt(s): "
                    f"{_error_code(error)}: {_error_message(error)}"
                ) from None
            delay = backoff_seconds(attempt)
            progress(f"{_error_code(error)} (attempt {attempt}); retrying in {delay:.1f}s")
            sleep(delay)
    raise AssertionError("unreachable")  # the loop always returns or raises


def resolve_endpoint_name(cloudformation: Any, stack: str) -> str:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack)["Stacks"]
    except Exception as error:
        if _error_code(error) == "ValidationError":
            raise UsageError(f"stack {stack!r} was not found: {_error_message(error)}") from None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if OUTPUT_ENDPOINT_NAME not in outputs:
        raise UsageError(
            f"stack {stack!r} has no {OUTPUT_ENDPOINT_NAME} output "
            f"(outputs: {', '.join(sorted(outputs)) or 'none'})"
        )
    return str(outputs[OUTPUT_ENDPOINT_NAME])


def wait_in_service(
    sagemaker: Any,
    endpoint_name: str,
    *,
    timeout: float,
    poll_interval: float,
    sleep: Sleep,
    clock: Clock,
    progress: Callable[[str], None],
) -> str:
    started = clock()
    last_status = None
    while True:
        try:
            description = sagemaker.describe_endpoint(EndpointName=endpoint_name)
        except Exception as error:
            if _error_code(error) == "ValidationException":
                raise UsageError(f"endpoint {endpoint_name!r} was not found") from None
            raise
        status = str(description["EndpointStatus"])
        elapsed = clock() - started
        if status != last_status or status in WAITING_STATUSES:
            progress(f"[{elapsed:6.0f}s] endpoint {endpoint_name}: {status}")
        last_status = status
        if status == "InService":
            return status
        if status not in WAITING_STATUSES:
            reason = description.get("FailureReason") or "no FailureReason given"
            raise CheckFailedError(f"endpoint {endpoint_name} is {status}: {reason}")
        if elapsed + poll_interval > timeout:
            raise CheckFailedError(
                f"endpoint {endpoint_name} is still {status} after {elapsed:.0f}s "
                f"(--timeout {timeout:.0f})"
            )
        sleep(poll_interval)


def run(
    options: argparse.Namespace,
    *,
    session: Any,
    sleep: Sleep,
    clock: Clock,
    progress: Callable[[str], None],
) -> Report:
    from botocore.config import Config

    region = options.region or session.region_name
    if not region:
        raise UsageError("no AWS region: pass --region or configure one (AWS_REGION)")
    if session.get_credentials() is None:
        raise UsageError("no AWS credentials found: configure a profile or pass --profile")
    payload = read_payload(options.payload_file)
    concurrency = min(options.concurrency or 1, options.requests or 1)
    # We own the retry policy (backoff with progress; none in load mode: botocore must not retry
    # either); the invocation limit is 60 s. One pooled connection per load thread.
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        read_timeout=70,
        max_pool_connections=max(10, concurrency),
    )
    if options.stack:
        endpoint_name = resolve_endpoint_name(
            session.client("cloudformation", region_name=region), options.stack
        )
    else:
        endpoint_name = options.endpoint_name
    report = Report(endpoint_name=endpoint_name, region=region)
    sagemaker = session.client("sagemaker", region_name=region)
    max_concurrency = None
    if options.requests:  # refuse an over-limit burst before waiting for the endpoint
        max_concurrency = read_max_concurrency(sagemaker, endpoint_name)
        note = check_concurrency(
            concurrency,
            max_concurrency,
            allow_over=options.allow_over_max_concurrency,
            endpoint_name=endpoint_name,
        )
        if note:
            progress(note)
    report.status = wait_in_service(
        sagemaker,
        endpoint_name,
        timeout=options.timeout,
        poll_interval=options.poll_interval,
        sleep=sleep,
        clock=clock,
        progress=progress,
    )
    runtime = session.client("sagemaker-runtime", region_name=region, config=config)
    expected = expected_prediction_count(payload, options.content_type)
    if options.requests:
        invoke = sagemaker_invoker(
            runtime,
            endpoint_name=endpoint_name,
            body=payload,
            content_type=options.content_type,
            accept=options.accept,
            expected=expected,
        )
        results, wall_seconds = run_burst(
            invoke, requests=options.requests, concurrency=concurrency, clock=clock
        )
        return finish_load(
            report,
            results,
            wall_seconds=wall_seconds,
            concurrency=concurrency,
            max_concurrency=max_concurrency,
        )
    for _call in range(1 + max(0, options.warm_invocations)):
        answer, seconds, attempts = invoke_with_retries(
            runtime,
            endpoint_name=endpoint_name,
            body=payload,
            content_type=options.content_type,
            accept=options.accept,
            max_attempts=max(1, options.max_attempts),
            sleep=sleep,
            clock=clock,
            progress=progress,
        )
        record_answer(report, answer, seconds=seconds, attempts=attempts, expected=expected)
    report.ok = True
    return report


def record_answer(
    report: Report, answer: bytes, *, seconds: float, attempts: int, expected: int | None
) -> None:
    """Check one answer (one finite number per row) and add it to the report."""
    predictions = parse_predictions(answer)
    if expected is not None and len(predictions) != expected:
        raise CheckFailedError(
            f"sent {expected} row(s) but got {len(predictions)} prediction(s): {answer[:200]!r}"
        )
    if report.attempts == 0:
        report.predictions = predictions
        report.cold_latency_ms = round(seconds * 1000, 1)
    else:
        report.warm_latencies_ms.append(round(seconds * 1000, 1))
    report.attempts += attempts


class LocalServer:
    """A server on the SageMaker container contract, over one keep-alive connection."""

    def __init__(self, url: str, *, timeout: float) -> None:
        parts = urlsplit(url)
        try:
            port = parts.port
        except ValueError:
            raise UsageError(f"--local-url {url!r} has an invalid port") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"--local-url {url!r} is not an http:// or https:// URL with a host")
        self.url = url.rstrip("/")
        self._path_prefix = parts.path.rstrip("/")
        connection_class = (
            http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        )
        self._connection = connection_class(parts.hostname, port, timeout=timeout)

    def request(
        self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        try:
            self._connection.request(method, self._path_prefix + path, body=body, headers=headers)
            response = self._connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            reason = getattr(error, "strerror", None) or str(error) or type(error).__name__
            raise CheckFailedError(
                f"{method} {self.url}{path} failed: {reason} (is the server running? `make serve`)"
            ) from None

    def close(self) -> None:
        self._connection.close()


def wait_local_ready(
    server: LocalServer,
    *,
    timeout: float,
    sleep: Sleep,
    clock: Clock,
    progress: Callable[[str], None],
) -> str:
    """GET /ping until 200; a 503 (still loading) is waited for, anything else fails."""
    started = clock()
    while True:
        status, body = server.request("GET", "/ping", headers={})
        if status == 200:
            return "Healthy"
        elapsed = clock() - started
        if status != 503 or elapsed + LOCAL_PING_INTERVAL > timeout:
            raise CheckFailedError(f"GET {server.url}/ping answered {status}: {body[:200]!r}")
        progress(f"[{elapsed:6.1f}s] {server.url}/ping: {status}")
        sleep(LOCAL_PING_INTERVAL)


# --- Load mode -------------------------------------------------------------------------------
# The accounting is pure (summarize_load and its helpers) so that tests need no timing.


def percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``percent``% of values <= it."""
    if not values:
        raise ValueError("percentile of no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


def first_calls(results: Sequence[RequestResult]) -> list[RequestResult]:
    """Each worker's first request that was not throttled (the first to reach a container)."""
    firsts: dict[int, RequestResult] = {}
    for result in sorted(results, key=lambda r: (r.worker, r.sequence)):
        if result.outcome != THROTTLED and result.worker not in firsts:
            firsts[result.worker] = result
    return list(firsts.values())


def cold_start_threshold_s(warm_median_s: float | None) -> float:
    if warm_median_s is None:
        return COLD_START_FLOOR_S
    return max(COLD_START_FLOOR_S, COLD_START_FACTOR * warm_median_s)


def summarize_load(
    results: Sequence[RequestResult],
    *,
    concurrency: int,
    wall_seconds: float,
    max_concurrency: int | None = None,
) -> LoadSummary:
    """Percentiles, cold starts, throttled and failed counts of a burst (rules: module doc)."""
    succeeded = [r for r in results if r.outcome == OK]
    firsts = {(r.worker, r.sequence) for r in first_calls(results)}
    warm = [r.latency_s for r in succeeded if (r.worker, r.sequence) not in firsts]
    warm_median = statistics.median(warm) if warm else None
    threshold = cold_start_threshold_s(warm_median)
    cold_starts = sum(
        1 for r in succeeded if (r.worker, r.sequence) in firsts and r.latency_s > threshold
    )
    failures = [r for r in results if r.outcome == FAILED]
    reasons: dict[str, int] = {}
    for failure in failures:
        reasons[failure.reason] = reasons.get(failure.reason, 0) + 1
    latencies = [r.latency_s for r in succeeded]

    def milliseconds(seconds: float | None) -> float | None:
        return None if seconds is None else round(seconds * 1000, 2)

    return LoadSummary(
        requests=len(results),
        concurrency=concurrency,
        max_concurrency=max_concurrency,
        succeeded=len(succeeded),
        throttled=sum(1 for r in results if r.outcome == THROTTLED),
        failed=len(failures),
        cold_starts=cold_starts,
        cold_start_threshold_ms=round(threshold * 1000, 2),
        warm_median_ms=milliseconds(warm_median),
        p50_ms=milliseconds(percentile(latencies, 50)) if latencies else None,
        p95_ms=milliseconds(percentile(latencies, 95)) if latencies else None,
        p99_ms=milliseconds(percentile(latencies, 99)) if latencies else None,
        max_ms=milliseconds(max(latencies)) if latencies else None,
        wall_seconds=round(wall_seconds, 3),
        failure_reasons=dict(sorted(reasons.items())),
        first_failure=f"{failures[0].reason}: {failures[0].message}" if failures else None,
    )


def load_failure(summary: LoadSummary) -> str | None:
    """Why a burst fails the run (exit 1), or None: any failed request, or none succeeded."""
    if summary.failed:
        reasons = ", ".join(
            f"{reason} x{count}" for reason, count in summary.failure_reasons.items()
        )
        return (
            f"{summary.failed} of {summary.requests} request(s) failed ({reasons}); "
            f"first: {summary.first_failure}"
        )
    if not summary.succeeded:
        return f"no request succeeded ({summary.throttled} of {summary.requests} throttled)"
    return None


def read_max_concurrency(sagemaker: Any, endpoint_name: str) -> int | None:
    """The endpoint's MaxConcurrency (ServerlessConfig of its endpoint config), None if none."""
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except Exception as error:
        if _error_code(error) == "ValidationException":
            raise UsageError(f"endpoint {endpoint_name!r} was not found") from None
        raise
    config = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    limits = [
        int(variant["ServerlessConfig"]["MaxConcurrency"])
        for variant in config.get("ProductionVariants", [])
        if "ServerlessConfig" in variant
    ]
    # Serverless endpoints have one variant; were there several, any one could take the burst.
    return min(limits) if limits else None


def check_concurrency(
    concurrency: int, max_concurrency: int | None, *, allow_over: bool, endpoint_name: str
) -> str | None:
    """UsageError when the burst would exceed MaxConcurrency unasked; else a note, or None."""
    if max_concurrency is None:
        return f"{endpoint_name} has no ServerlessConfig MaxConcurrency: --concurrency is unchecked"
    if concurrency <= max_concurrency:
        return None
    if not allow_over:
        raise UsageError(
            f"--concurrency {concurrency} is more than the MaxConcurrency {max_concurrency} of "
            f"endpoint {endpoint_name}: SageMaker throttles the requests past it, so the burst "
            "would measure the limit, not the endpoint. Lower --concurrency, or pass "
            "--allow-over-max-concurrency to measure the throttling on purpose"
        )
    return (
        f"--concurrency {concurrency} exceeds MaxConcurrency {max_concurrency} "
        "(--allow-over-max-concurrency): expect throttled requests"
    )


Outcome = tuple[str, str, str]  # (OK, THROTTLED or FAILED; reason; message)
Invoker = Callable[[int], Outcome]  # called with the worker's number


def run_burst(
    invoke: Invoker, *, requests: int, concurrency: int, clock: Clock
) -> tuple[list[RequestResult], float]:
    """Send exactly ``requests`` calls from ``concurrency`` threads; (results, wall seconds)."""
    lock = threading.Lock()
    issued = 0
    results: list[RequestResult] = []

    def worker(worker_id: int) -> None:
        nonlocal issued
        sequence = 0
        while True:
            with lock:
                if issued >= requests:
                    return
                issued += 1
            started = clock()
            try:
                outcome, reason, message = invoke(worker_id)
            except (
                Exception
            ) as error:  # a bug or an unexpected error: a failed request, not a crash
                outcome, reason, message = FAILED, type(error).__name__, str(error)
            result = RequestResult(worker_id, sequence, clock() - started, outcome, reason, message)
            with lock:
                results.append(result)
            sequence += 1

    started = clock()
    threads = [
        threading.Thread(target=worker, args=(worker_id,), name=f"load-{worker_id}", daemon=True)
        for worker_id in range(min(concurrency, requests))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, clock() - started


def check_answer(answer: bytes, expected: int | None) -> Outcome:
    """An OK outcome for one finite number per row, else FAILED "bad answer"."""
    try:
        predictions = parse_predictions(answer)
        if expected is not None and len(predictions) != expected:
            raise CheckFailedError(
                f"sent {expected} row(s) but got {len(predictions)} prediction(s)"
            )
    except CheckFailedError as error:
        return FAILED, "bad answer", str(error)
    return OK, "", ""


def sagemaker_invoker(
    runtime: Any,
    *,
    endpoint_name: str,
    body: bytes,
    content_type: str,
    accept: str | None,
    expected: int | None,
) -> Invoker:
    """One invoke_endpoint per call; a throttle is THROTTLED, any other error FAILED."""
    request = invoke_request(endpoint_name, body, content_type, accept)

    def invoke(_worker: int) -> Outcome:
        try:
            response = runtime.invoke_endpoint(**request)
            answer: bytes = response["Body"].read()
        except Exception as error:
            code = _error_code(error)
            response_meta = getattr(error, "response", None) or {}
            status = response_meta.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in THROTTLE_CODES or status == HTTP_TOO_MANY_REQUESTS:
                return THROTTLED, code or "HTTP 429", _error_message(error)
            return FAILED, code or type(error).__name__, _error_message(error)
        return check_answer(answer, expected)

    return invoke


def local_invoker(
    url: str, *, workers: int, body: bytes, headers: dict[str, str], expected: int | None
) -> tuple[Invoker, Callable[[], None]]:
    """One keep-alive connection per worker; (invoke, close)."""
    connections = [LocalServer(url, timeout=70.0) for _ in range(workers)]

    def invoke(worker: int) -> Outcome:
        try:
            status, answer = connections[worker].request(
                "POST", "/invocations", body=body, headers=headers
            )
        except CheckFailedError as error:
            return FAILED, "connection error", str(error)
        if status == HTTP_TOO_MANY_REQUESTS:
            return THROTTLED, "HTTP 429", answer.decode(errors="replace")[:300]
        if status != 200:
            return FAILED, f"HTTP {status}", answer.decode(errors="replace")[:300]
        return check_answer(answer, expected)

    def close() -> None:
        for connection in connections:
            connection.close()

    return invoke, close


def finish_load(
    report: Report,
    results: list[RequestResult],
    *,
    wall_seconds: float,
    concurrency: int,
    max_concurrency: int | None,
) -> Report:
    report.load = summarize_load(
        results,
        concurrency=concurrency,
        wall_seconds=wall_seconds,
        max_concurrency=max_concurrency,
    )
    report.attempts = len(results)
    report.error = load_failure(report.load)
    report.ok = report.error is None
    return report


def run_local(
    options: argparse.Namespace,
    *,
    sleep: Sleep,
    clock: Clock,
    progress: Callable[[str], None],
) -> Report:
    """The same checks against a local server: no AWS session, no retries."""
    server = LocalServer(options.local_url, timeout=70.0)
    payload = read_payload(options.payload_file)
    report = Report(endpoint_name=server.url, region="local")
    try:
        report.status = wait_local_ready(
            server, timeout=options.timeout, sleep=sleep, clock=clock, progress=progress
        )
        headers = {"Content-Type": options.content_type}
        if options.accept:
            headers["Accept"] = options.accept
        expected = expected_prediction_count(payload, options.content_type)
        if options.requests:
            return run_local_load(
                options,
                report,
                payload=payload,
                headers=headers,
                expected=expected,
                clock=clock,
                progress=progress,
            )
        for _call in range(1 + max(0, options.warm_invocations)):
            started = clock()
            status, answer = server.request("POST", "/invocations", body=payload, headers=headers)
            seconds = clock() - started
            if status != 200:
                message = answer.decode(errors="replace")[:300]
                raise CheckFailedError(f"invocation answered HTTP {status}: {message}")
            record_answer(report, answer, seconds=seconds, attempts=1, expected=expected)
    finally:
        server.close()
    report.ok = True
    return report


def run_local_load(
    options: argparse.Namespace,
    report: Report,
    *,
    payload: bytes,
    headers: dict[str, str],
    expected: int | None,
    clock: Clock,
    progress: Callable[[str], None],
) -> Report:
    concurrency = min(options.concurrency or 1, options.requests)
    progress(
        f"{report.endpoint_name} is a local server: no MaxConcurrency, --concurrency unchecked"
    )
    invoke, close = local_invoker(
        options.local_url, workers=concurrency, body=payload, headers=headers, expected=expected
    )
    try:
        results, wall_seconds = run_burst(
            invoke, requests=options.requests, concurrency=concurrency, clock=clock
        )
    finally:
        close()
    return finish_load(
        report, results, wall_seconds=wall_seconds, concurrency=concurrency, max_concurrency=None
    )


def format_load(summary: LoadSummary) -> list[str]:
    limit = (
        "no MaxConcurrency (local server)"
        if summary.max_concurrency is None
        else f"MaxConcurrency {summary.max_concurrency}"
    )
    rate = summary.requests_per_second
    lines = [
        f"   load: {summary.requests} requests, concurrency {summary.concurrency}, {limit}, "
        f"{summary.wall_seconds:.2f} s" + (f", {rate:.0f} requests/s" if rate else ""),
        f"   latency of {summary.succeeded} successful: p50 {summary.p50_ms} ms, "
        f"p95 {summary.p95_ms} ms, p99 {summary.p99_ms} ms, max {summary.max_ms} ms",
        f"   cold starts {summary.cold_starts} (first calls over "
        f"{summary.cold_start_threshold_ms:g} ms); throttled {summary.throttled}; "
        f"failed {summary.failed}",
    ]
    if summary.failure_reasons:
        reasons = ", ".join(
            f"{reason} x{count}" for reason, count in summary.failure_reasons.items()
        )
        lines.append(f"   failures: {reasons}")
    return lines


def _print_report(report: Report, as_json: bool) -> None:
    if as_json:
        document = asdict(report) | {"warm_p50_ms": report.warm_p50_ms}
        if report.load is not None:
            document["load"]["requests_per_second"] = report.load.requests_per_second
        print(json.dumps(document, sort_keys=True))
        return
    verdict = "OK" if report.ok else "FAIL"
    if report.load is not None:
        print(f"{verdict} {report.endpoint_name} ({report.region})")
        print("\n".join(format_load(report.load)))
        return
    shown = ", ".join(f"{p:g}" for p in report.predictions[:5])
    print(f"OK {report.endpoint_name} ({report.region}) answered: {shown}")
    print(f"   cold call {report.cold_latency_ms} ms; warm p50 {report.warm_p50_ms} ms")


def main(
    argv: Sequence[str] | None = None,
    *,
    session_factory: Callable[..., Any] | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> int:
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    report = Report(endpoint_name="", region="")
    try:
        options = parse_options(argv)
        if options.local_url:
            report = run_local(options, sleep=sleep, clock=clock, progress=progress)
        else:
            if session_factory is None:
                import boto3

                session_factory = boto3.Session
            session = session_factory(profile_name=options.profile, region_name=options.region)
            report = run(options, session=session, sleep=sleep, clock=clock, progress=progress)
        code = EXIT_OK if report.ok else EXIT_FAILURE  # a load burst reports its failures
    except UsageError as error:
        report.error, code = f"usage: {error}", EXIT_USAGE
    except CheckFailedError as error:
        report.error, code = str(error), EXIT_FAILURE
    except Exception as error:  # AWS errors outside the checks above: report, never trace back
        name = type(error).__name__
        code = EXIT_USAGE if name in {"ProfileNotFound", "NoRegionError"} else EXIT_FAILURE
        report.error = f"{name}: {error}"
    if as_json or code == EXIT_OK or report.load is not None:
        _print_report(report, as_json)
    if code != EXIT_OK and not as_json:
        print(f"error: {report.error}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
