"""The local inference server: cold start, warm latency against in-process, peak memory."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from typing import Any

from scripts._progress import Progress
from scripts.bench.report import Report, Row
from scripts.bench.sections import MeasurementFailedError

TARGET_COLD_START_S = 1.0
TARGET_SERVER_OVERHEAD_MS = 1.0
# Requests per spawn and batch size (after a few unmeasured warm-up calls).
SERVER_WARMUP_REQUESTS = 20
SERVER_REQUESTS = 300
SERVER_BATCH_ROWS = 100


@dataclass(frozen=True)
class ServerSample:
    """One spawn of the local server: cold start, latencies per batch size, peak memory."""

    cold_start_s: float
    server_ms: dict[int, list[float]]  # rows per request -> latency of each request
    in_process_ms: dict[int, list[float]]
    peak_rss_bytes: int


def _server_sample(booster: Any, batches: dict[int, tuple[Any, bytes]]) -> ServerSample:
    """Spawn serve_local.py on the sample model, time /ping, then keep-alive requests."""
    import xgboost as xgb

    from scripts.right_size import DEFAULT_MODEL, MeasurementError, ServerProcess, UsageError
    from scripts.smoke.errors import CheckFailedError
    from scripts.smoke.local import LocalServer

    try:
        server = ServerProcess.start(DEFAULT_MODEL)
    except (MeasurementError, UsageError) as error:
        raise MeasurementFailedError(str(error)) from None
    try:
        client = LocalServer(server.url, timeout=30.0)
        while client.request("GET", "/ping", headers={})[0] != 200:
            time.sleep(0.01)  # the server loads the model before it listens: never in practice
        cold_start_s = time.perf_counter() - server.started_at
        headers = {"Content-Type": "text/csv"}
        server_ms: dict[int, list[float]] = {}
        in_process_ms: dict[int, list[float]] = {}
        for rows, (array, body) in batches.items():
            for _ in range(SERVER_WARMUP_REQUESTS):
                client.request("POST", "/invocations", body=body, headers=headers)
            timings = []
            for _ in range(SERVER_REQUESTS):
                started = time.perf_counter()
                status, answer = client.request("POST", "/invocations", body=body, headers=headers)
                timings.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    raise MeasurementFailedError(
                        f"the local server answered {status}: {answer[:200]!r}"
                    )
            server_ms[rows] = timings
            # In-process: what a Python caller holding the rows pays (DMatrix + predict), with
            # the server's settings (nthread=1); the difference is HTTP, CSV parsing, formatting.
            local = []
            for _ in range(SERVER_WARMUP_REQUESTS + SERVER_REQUESTS):
                started = time.perf_counter()
                booster.predict(xgb.DMatrix(array, nthread=1), validate_features=False)
                local.append((time.perf_counter() - started) * 1000)
            in_process_ms[rows] = local[SERVER_WARMUP_REQUESTS:]
        client.close()
        peak_rss_bytes = server.memory().peak_bytes
    except (CheckFailedError, MeasurementError) as error:
        raise MeasurementFailedError(f"the local server: {error}") from None
    finally:
        server.stop()
    return ServerSample(cold_start_s, server_ms, in_process_ms, peak_rss_bytes)


def bench_server(report: Report, runs: int, progress: Progress) -> None:
    """The local inference server: cold start, warm latency against in-process, peak memory."""
    import numpy as np

    from scripts.local_endpoint.model import ModelSource, load_model_dir
    from scripts.right_size import DEFAULT_MODEL, MIB, csv_payload, payload_rows
    from scripts.smoke.load import percentile

    try:
        source = ModelSource.open(DEFAULT_MODEL)
        try:
            model = load_model_dir(source.directory, ensemble=True)
        finally:
            source.close()
    except Exception as error:
        raise MeasurementFailedError(f"cannot load {DEFAULT_MODEL}: {error}") from None
    batches: dict[int, tuple[Any, bytes]] = {}
    for rows in (1, SERVER_BATCH_ROWS):
        values = payload_rows(model.num_features, rows)
        batches[rows] = (np.array(values), csv_payload(values))
    samples = []
    for run in range(runs):
        progress.item(
            run + 1,
            runs,
            f"server: spawn, {SERVER_REQUESTS} requests x {len(batches)} batch sizes, in-process",
        )
        samples.append(_server_sample(model.boosters[0], batches))

    cold = tuple(s.cold_start_s * 1000 for s in samples)
    report.add(
        Row.judged(
            "server: cold start, spawn to first /ping 200",
            "ms",
            cold,
            target=TARGET_COLD_START_S * 1000,
        )
    )
    for rows in batches:
        label = "1 row" if rows == 1 else f"{rows} rows"
        server_p50 = tuple(statistics.median(s.server_ms[rows]) for s in samples)
        local_p50 = tuple(statistics.median(s.in_process_ms[rows]) for s in samples)
        overhead = tuple(
            server - local for server, local in zip(server_p50, local_p50, strict=True)
        )
        report.add(Row.spread(f"server: {label}: p50 (keep-alive, http.client)", "ms", server_p50))
        report.add(
            Row.spread(
                f"server: {label}: p99",
                "ms",
                tuple(percentile(s.server_ms[rows], 99) for s in samples),
            )
        )
        report.add(
            Row.spread(f"in-process: {label}: p50 (DMatrix + Booster.predict)", "ms", local_p50)
        )
        name = f"server: {label}: overhead p50 (server - in-process)"
        if rows == 1:
            report.add(Row.judged(name, "ms", overhead, target=TARGET_SERVER_OVERHEAD_MS))
        else:
            report.add(Row.spread(name, "ms", overhead))
    report.add(
        Row.spread(
            "server: peak RSS (VmHWM) after the requests",
            "MB",
            tuple(s.peak_rss_bytes / MIB for s in samples),
        )
    )
