"""The smoke script's load mode: its accounting on synthetic results (no timing), the burst's
bounds, and end-to-end runs against the local server and a server that answers badly."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import pytest

from scripts import right_size
from scripts.smoke import load as smoke_load
from scripts.smoke.cli import main
from scripts.smoke.load import FAILED, OK, THROTTLED, RequestResult
from tests.fake_http import Script, scripted_server


def result(
    worker: int, sequence: int, seconds: float, outcome: str = OK, reason: str = ""
) -> RequestResult:
    return RequestResult(worker, sequence, seconds, outcome, reason, f"{reason} message")


# --- Accounting ------------------------------------------------------------------------------


def test_percentiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(100, 0, -1)]  # 1..100, unsorted
    assert smoke_load.percentile(values, 50) == 50.0
    assert smoke_load.percentile(values, 95) == 95.0
    assert smoke_load.percentile(values, 99) == 99.0
    assert smoke_load.percentile([1.0, 2.0], 50) == 1.0
    assert smoke_load.percentile([1.0, 2.0], 99) == 2.0
    assert smoke_load.percentile([7.0], 99) == 7.0
    with pytest.raises(ValueError, match="no values"):
        smoke_load.percentile([], 50)


def test_summary_counts_and_percentiles_of_successes_only() -> None:
    results = [result(0, index, 0.010 * (index + 1)) for index in range(10)]
    results += [
        result(1, 0, 0.001, THROTTLED, "ThrottlingException"),
        result(1, 1, 0.002, FAILED, "ModelError"),
        result(1, 2, 0.003, FAILED, "ModelError"),
        result(1, 3, 0.004, FAILED, "HTTP 500"),
    ]
    summary = smoke_load.summarize_load(results, concurrency=2, wall_seconds=0.5)
    assert (summary.requests, summary.succeeded, summary.throttled, summary.failed) == (
        14,
        10,
        1,
        3,
    )
    assert summary.failure_reasons == {"HTTP 500": 1, "ModelError": 2}
    assert summary.first_failure == "ModelError: ModelError message"
    assert (summary.p50_ms, summary.p95_ms, summary.p99_ms, summary.max_ms) == (50, 100, 100, 100)
    assert summary.requests_per_second == 28
    assert summary.max_concurrency is None


def test_a_slow_first_call_is_a_cold_start() -> None:
    results = [
        result(0, 0, 3.0),  # cold: over max(1 s, 5 x 0.1 s)
        result(0, 1, 0.1),
        result(0, 2, 0.1),
        result(1, 0, 0.12),  # a first call, but fast
        result(1, 1, 0.1),
    ]
    summary = smoke_load.summarize_load(results, concurrency=2, wall_seconds=1)
    assert summary.cold_starts == 1
    assert summary.warm_median_ms == 100
    assert summary.cold_start_threshold_ms == 1000


def test_slow_calls_after_the_first_are_not_cold_starts() -> None:
    results = [result(0, 0, 0.1), result(0, 1, 0.1), result(0, 2, 0.1), result(0, 3, 4.0)]
    assert smoke_load.summarize_load(results, concurrency=1, wall_seconds=1).cold_starts == 0


def test_a_throttled_first_request_moves_the_first_call_to_the_next() -> None:
    results = [
        result(0, 0, 0.01, THROTTLED, "ThrottlingException"),  # never reached a container
        result(0, 1, 2.5),  # the worker's first call: cold
        result(0, 2, 0.2),
        result(0, 3, 0.2),
    ]
    summary = smoke_load.summarize_load(results, concurrency=1, wall_seconds=3)
    assert summary.cold_starts == 1
    assert summary.throttled == 1


def test_the_threshold_scales_with_a_slow_models_warm_median() -> None:
    # Warm calls take 0.5 s: a 2 s first call is within 5 x the median (2.5 s), not cold.
    results = [result(0, 0, 2.0), result(0, 1, 0.5), result(0, 2, 0.5), result(1, 0, 3.0)]
    summary = smoke_load.summarize_load(results, concurrency=2, wall_seconds=4)
    assert summary.cold_start_threshold_ms == 2500
    assert summary.cold_starts == 1  # only the 3 s one


def test_without_warm_calls_the_floor_alone_decides() -> None:
    results = [result(worker, 0, seconds) for worker, seconds in enumerate([0.4, 1.5, 0.9])]
    summary = smoke_load.summarize_load(results, concurrency=3, wall_seconds=2)
    assert summary.warm_median_ms is None
    assert summary.cold_start_threshold_ms == 1000
    assert summary.cold_starts == 1


def test_a_failed_first_call_is_a_failure_not_a_cold_start() -> None:
    results = [result(0, 0, 30.0, FAILED, "ModelError"), result(0, 1, 0.1), result(0, 2, 0.1)]
    summary = smoke_load.summarize_load(results, concurrency=1, wall_seconds=31)
    assert (summary.cold_starts, summary.failed) == (0, 1)


def test_verdict_fails_on_any_failure_or_when_nothing_succeeded() -> None:
    def verdict(results: list[RequestResult]) -> str | None:
        summary = smoke_load.summarize_load(results, concurrency=1, wall_seconds=1)
        return smoke_load.load_failure(summary)

    throttled = result(0, 0, 0.1, THROTTLED, "ThrottlingException")
    assert verdict([throttled, result(0, 1, 0.1)]) is None  # throttles alone do not fail
    assert verdict([throttled]) == "no request succeeded (1 of 1 throttled)"
    message = verdict([result(0, 0, 0.1), result(0, 1, 0.1, FAILED, "HTTP 500")])
    assert message is not None
    assert message.startswith("1 of 2 request(s) failed (HTTP 500 x1); first: HTTP 500")


# --- The burst ---------------------------------------------------------------------------------


def test_burst_sends_exactly_n_with_at_most_c_in_flight() -> None:
    lock = threading.Lock()
    in_flight = 0
    most_in_flight = 0
    calls = 0

    def invoke(_worker: int) -> smoke_load.Outcome:
        nonlocal in_flight, most_in_flight, calls
        with lock:
            in_flight += 1
            calls += 1
            most_in_flight = max(most_in_flight, in_flight)
        time.sleep(0.001)  # lets the threads overlap; the assertions do not depend on timing
        with lock:
            in_flight -= 1
        return OK, "", ""

    results, _wall = smoke_load.run_burst(
        invoke, requests=40, concurrency=3, clock=time.perf_counter
    )
    assert calls == len(results) == 40
    assert most_in_flight <= 3
    for worker in {r.worker for r in results}:
        sequences = sorted(r.sequence for r in results if r.worker == worker)
        assert sequences == list(range(len(sequences)))


def test_burst_turns_an_unexpected_exception_into_a_failed_request() -> None:
    def invoke(_worker: int) -> smoke_load.Outcome:
        raise RuntimeError("boom")

    results, _wall = smoke_load.run_burst(invoke, requests=2, concurrency=1, clock=time.monotonic)
    assert [(r.outcome, r.reason, r.message) for r in results] == [
        (FAILED, "RuntimeError", "boom")
    ] * 2


# --- End to end --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_url() -> Iterator[str]:
    server = right_size.ServerProcess.start(right_size.DEFAULT_MODEL)
    yield server.url
    server.stop()


def test_load_against_the_local_server(local_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--local-url", local_url, "--requests", "30", "--concurrency", "3", "--json"]
    assert main(args) == 0
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    load = report["load"]
    assert report["ok"] is True
    assert (load["requests"], load["concurrency"], load["max_concurrency"]) == (30, 3, None)
    assert (load["succeeded"], load["throttled"], load["failed"]) == (30, 0, 0)
    assert 0 < load["p50_ms"] <= load["p95_ms"] <= load["p99_ms"] <= load["max_ms"]
    assert "local server: no MaxConcurrency" in captured.err


def test_load_text_summary_against_the_local_server(
    local_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--local-url", local_url, "--requests", "4", "--concurrency", "9"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK {local_url} (local)\n")
    assert "load: 4 requests, concurrency 4, no MaxConcurrency (local server)" in out
    assert "cold starts 0 (first calls over 1000 ms); throttled 0; failed 0" in out


def test_load_counts_throttles_and_fails_on_errors_with_the_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # 429, then 500, then good answers.
    script = Script(answers=((429, b"slow down"), (500, b"model crashed")))
    with scripted_server(script) as url:
        assert main(["--local-url", url, "--requests", "5"]) == 1
    assert len(script.calls) == 5  # no retries
    captured = capsys.readouterr()
    assert captured.out.startswith(f"FAIL {url} (local)\n")
    assert "throttled 1; failed 1" in captured.out
    assert "failures: HTTP 500 x1" in captured.out
    assert "error: 1 of 5 request(s) failed (HTTP 500 x1); first: HTTP 500: model crashed" in (
        captured.err
    )
    assert "Traceback" not in captured.err
