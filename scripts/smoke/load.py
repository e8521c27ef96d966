"""Load mode: a bounded burst of invocations, and its accounting (rules: the package docstring).

The accounting is pure (summarize_load and its helpers) so that tests need no timing.
"""

from __future__ import annotations

import math
import statistics
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import CheckFailedError, UsageError, error_code, error_message
from .invoke import Clock, invoke_request
from .predictions import parse_predictions

# Request outcomes, what counts as a throttle, and the cold-start rule.
OK, THROTTLED, FAILED = "ok", "throttled", "failed"
THROTTLE_CODES = {"ThrottlingException", "TooManyRequestsException"}
HTTP_TOO_MANY_REQUESTS = 429
COLD_START_FLOOR_S = 1.0
COLD_START_FACTOR = 5.0

Outcome = tuple[str, str, str]  # (OK, THROTTLED or FAILED; reason; message)
Invoker = Callable[[int], Outcome]  # called with the worker's number


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
    """Percentiles, cold starts, throttled and failed counts of a burst."""
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
            except Exception as error:  # a bug or an unexpected error: a failed request, no crash
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
    """An OK outcome for one prediction of finite numbers per row, else FAILED "bad answer"."""
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
            code = error_code(error)
            response_meta = getattr(error, "response", None) or {}
            status = response_meta.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in THROTTLE_CODES or status == HTTP_TOO_MANY_REQUESTS:
                return THROTTLED, code or "HTTP 429", error_message(error)
            return FAILED, code or type(error).__name__, error_message(error)
        return check_answer(answer, expected)

    return invoke
