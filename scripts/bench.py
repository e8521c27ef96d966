#!/usr/bin/env python3
"""Measure what the product costs its users in time: synth, scaling, the test suite, the server.

    python -m scripts.bench [--runs N] [--only synth,scaling,suite,server] [--json]   # from the
                                                                    # project root (make bench)

Every figure is measured now, on this machine: each sample runs in a fresh Python process (as
`cdk synth` does), and the table shows the median of ``--runs`` samples with min and max. Targets
are printed next to the figures; a missed target is reported, never hidden. Nothing here is a
test: timings vary with the machine, so the test suite never asserts them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ENVIRON = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "us-east-1"}
SCALING_COUNTS = (1, 10, 50, 100)
# CloudFormation allows 500 resources per stack; the scaling app spreads endpoints over stacks.
ENDPOINTS_PER_STACK = 20

TARGET_SYNTH_RATIO = 1.3
TARGET_MS_PER_ENDPOINT = 25.0
TARGET_SUITE_SECONDS = 60.0
TARGET_COLD_START_S = 1.0
TARGET_SERVER_OVERHEAD_MS = 1.0
# The server section: requests per spawn and batch size (after a few unmeasured warm-up calls).
SERVER_WARMUP_REQUESTS = 20
SERVER_REQUESTS = 300
SERVER_BATCH_ROWS = 100


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


@dataclass(frozen=True)
class Sample:
    """Figures from one measurement process, in seconds."""

    values: dict[str, float]


@dataclass(frozen=True)
class Row:
    """One line of the result table."""

    name: str
    unit: str
    samples: tuple[float, ...]
    target: str = ""
    met: bool | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(_format_row(row), flush=True)


# --- measurement processes -------------------------------------------------------------------
# `python -m scripts.bench _measure KIND ...` runs inside a fresh interpreter and prints one JSON
# object.


def _measure(kind: str, argument: str) -> dict[str, float]:
    started = time.perf_counter()
    from stacks.node_runtime import use_project_node

    use_project_node()
    import tempfile

    import aws_cdk as cdk

    imported = time.perf_counter()
    outdir = tempfile.mkdtemp(prefix="bench-")
    app = cdk.App(outdir=outdir, analytics_reporting=False, context=_cdk_json_context())
    if kind == "full":
        from stacks.app import build_app
        from stacks.compliance import add_compliance_checks

        build_app(app, environ=SAMPLE_ENVIRON)
        if argument == "with-packs":
            add_compliance_checks(app)
    elif kind == "bare":
        _bare_app(app)
    elif kind == "scaling":
        _scaling_app(app, int(argument))
    else:
        raise UsageError(f"unknown measurement {kind!r}")
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return {
        "startup_s": imported - started,
        "build_s": built - imported,
        "synth_s": done - built,
        "construct_and_synth_s": done - imported,
    }


def _cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


def _bare_app(app: Any) -> None:
    """The same three endpoints with only L1 resources and one role each: the floor."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_sagemaker as sagemaker

    from stacks.config import ENVIRONMENTS

    image = "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5"
    env = cdk.Environment(account="123456789012", region="us-east-1")
    for config in ENVIRONMENTS:
        stack = cdk.Stack(app, f"Bare-{config.name}", env=env)
        role = iam.CfnRole(
            stack,
            "Role",
            assume_role_policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        )
        model = sagemaker.CfnModel(
            stack,
            "Model",
            execution_role_arn=role.attr_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image, model_data_url="s3://bucket/model.tar.gz"
            ),
        )
        endpoint_config = sagemaker.CfnEndpointConfig(
            stack,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="AllTraffic",
                    model_name=model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=config.memory_size_in_mb,
                        max_concurrency=config.max_concurrency,
                    ),
                )
            ],
        )
        sagemaker.CfnEndpoint(
            stack, "Endpoint", endpoint_config_name=endpoint_config.attr_endpoint_config_name
        )


def _scaling_app(app: Any, count: int) -> None:
    import aws_cdk as cdk

    from sagemaker_serverless import ContainerImage, ModelData, ServerlessEndpoint
    from stacks.compliance import add_compliance_checks
    from stacks.config import SAMPLE_MODEL_ARTIFACT

    env = cdk.Environment(account="123456789012", region="us-east-1")
    image = ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")
    stack: cdk.Stack | None = None
    for index in range(count):
        if index % ENDPOINTS_PER_STACK == 0:
            stack = cdk.Stack(app, f"Scaling{index // ENDPOINTS_PER_STACK}", env=env)
        assert stack is not None
        ServerlessEndpoint(
            stack,
            f"Endpoint{index}",
            image=image,
            model_data=ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
        )
    add_compliance_checks(app)


def _run_measurement(kind: str, argument: str = "") -> Sample:
    started = time.perf_counter()
    completed = subprocess.run(
        # As a module from the project root, so that `stacks` and `scripts` import.
        [sys.executable, "-m", "scripts.bench", "_measure", kind, argument],
        capture_output=True,
        text=True,
        check=False,
        cwd=PROJECT_ROOT,
    )
    wall = time.perf_counter() - started
    if completed.returncode != 0:
        raise RuntimeError(f"measurement {kind} {argument} failed:\n{completed.stderr[-2000:]}")
    values: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    values["process_s"] = wall
    return Sample(values=values)


# --- sections ------------------------------------------------------------------------------


def bench_synth(report: Report, runs: int) -> None:
    """The full app (with and without compliance packs) against the bare L1 app."""
    kinds = {
        "full app, with compliance packs": ("full", "with-packs"),
        "full app, without packs": ("full", "no-packs"),
        "bare L1 app (same 3 endpoints)": ("bare", ""),
    }
    samples: dict[str, list[Sample]] = {name: [] for name in kinds}
    # Interleave the kinds so that machine noise hits them alike.
    for _ in range(runs):
        for name, (kind, argument) in kinds.items():
            samples[name].append(_run_measurement(kind, argument))
    for name in kinds:
        report.add(
            Row(
                f"synth: {name}: construct + synth",
                "ms",
                tuple(s.values["construct_and_synth_s"] * 1000 for s in samples[name]),
            )
        )
        report.add(
            Row(
                f"synth: {name}: whole process",
                "ms",
                tuple(s.values["process_s"] * 1000 for s in samples[name]),
            )
        )
    bare = samples["bare L1 app (same 3 endpoints)"]
    for name in ("full app, with compliance packs", "full app, without packs"):
        for figure, label in (
            ("construct_and_synth_s", "construct + synth"),
            ("process_s", "process"),
        ):
            ratios = tuple(
                full.values[figure] / floor.values[figure]
                for full, floor in zip(samples[name], bare, strict=True)
            )
            median = statistics.median(ratios)
            report.add(
                Row(
                    f"synth ratio: {name} / bare ({label})",
                    "x",
                    ratios,
                    target=f"<= {TARGET_SYNTH_RATIO}",
                    met=median <= TARGET_SYNTH_RATIO,
                )
            )


def bench_scaling(report: Report, runs: int) -> None:
    """Apps of 1, 10, 50 and 100 endpoints (with compliance packs); marginal cost per endpoint."""
    medians: dict[int, float] = {}
    for count in SCALING_COUNTS:
        samples = [_run_measurement("scaling", str(count)) for _ in range(runs)]
        values = tuple(s.values["construct_and_synth_s"] * 1000 for s in samples)
        medians[count] = statistics.median(values)
        report.add(Row(f"scaling: {count} endpoints: construct + synth", "ms", values))
    low, high = SCALING_COUNTS[-2], SCALING_COUNTS[-1]
    marginal = (medians[high] - medians[low]) / (high - low)
    report.add(
        Row(
            f"scaling: marginal ms per endpoint ({low} -> {high})",
            "ms",
            (marginal,),
            target=f"<= {TARGET_MS_PER_ENDPOINT}",
            met=marginal <= TARGET_MS_PER_ENDPOINT,
        )
    )


def bench_suite(report: Report, runs: int) -> None:
    """Wall time of the test suite after set-up (what `make test` spends in pytest)."""
    seconds: list[float] = []
    reported: list[float] = []
    for _ in range(runs):
        started = time.perf_counter()
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        seconds.append(time.perf_counter() - started)
        if completed.returncode != 0:
            raise RuntimeError(f"the test suite failed:\n{completed.stdout[-2000:]}")
        summary = re.search(r" in ([0-9.]+)s", completed.stdout.strip().splitlines()[-1])
        if summary:
            reported.append(float(summary.group(1)))
    median = statistics.median(seconds)
    report.add(
        Row(
            "test suite: whole `python -m pytest` process",
            "s",
            tuple(seconds),
            target=f"<= {TARGET_SUITE_SECONDS:.0f}",
            met=median <= TARGET_SUITE_SECONDS,
        )
    )
    if reported:
        report.add(Row("test suite: pytest's own run time (after start-up)", "s", tuple(reported)))


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
        raise RuntimeError(str(error)) from None
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
                    raise RuntimeError(f"the local server answered {status}: {answer[:200]!r}")
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
        raise RuntimeError(f"the local server: {error}") from None
    finally:
        server.stop()
    return ServerSample(cold_start_s, server_ms, in_process_ms, peak_rss_bytes)


def bench_server(report: Report, runs: int) -> None:
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
        raise RuntimeError(f"cannot load {DEFAULT_MODEL}: {error}") from None
    batches: dict[int, tuple[Any, bytes]] = {}
    for rows in (1, SERVER_BATCH_ROWS):
        values = payload_rows(model.num_features, rows)
        batches[rows] = (np.array(values), csv_payload(values))
    samples = [_server_sample(model.boosters[0], batches) for _ in range(runs)]

    cold = tuple(s.cold_start_s * 1000 for s in samples)
    report.add(
        Row(
            "server: cold start, spawn to first /ping 200",
            "ms",
            cold,
            target=f"<= {TARGET_COLD_START_S * 1000:.0f}",
            met=statistics.median(cold) <= TARGET_COLD_START_S * 1000,
        )
    )
    for rows in batches:
        label = "1 row" if rows == 1 else f"{rows} rows"
        server_p50 = tuple(statistics.median(s.server_ms[rows]) for s in samples)
        local_p50 = tuple(statistics.median(s.in_process_ms[rows]) for s in samples)
        overhead = tuple(
            server - local for server, local in zip(server_p50, local_p50, strict=True)
        )
        report.add(Row(f"server: {label}: p50 (keep-alive, http.client)", "ms", server_p50))
        report.add(
            Row(
                f"server: {label}: p99",
                "ms",
                tuple(percentile(s.server_ms[rows], 99) for s in samples),
            )
        )
        report.add(Row(f"in-process: {label}: p50 (DMatrix + Booster.predict)", "ms", local_p50))
        target = TARGET_SERVER_OVERHEAD_MS if rows == 1 else None
        report.add(
            Row(
                f"server: {label}: overhead p50 (server - in-process)",
                "ms",
                overhead,
                target=f"<= {target:g}" if target is not None else "",
                met=statistics.median(overhead) <= target if target is not None else None,
            )
        )
    report.add(
        Row(
            "server: peak RSS (VmHWM) after the requests",
            "MB",
            tuple(s.peak_rss_bytes / MIB for s in samples),
        )
    )


SECTIONS: dict[str, Callable[[Report, int], None]] = {
    "synth": bench_synth,
    "scaling": bench_scaling,
    "suite": bench_suite,
    "server": bench_server,
}


# --- output --------------------------------------------------------------------------------


def _format_row(row: Row) -> str:
    spread = (
        f"min {min(row.samples):9.1f}  max {max(row.samples):9.1f}"
        if len(row.samples) > 1
        else " " * 28
    )
    verdict = "" if row.met is None else ("  met" if row.met else "  MISSED")
    target = f"  target {row.target}{verdict}" if row.target else ""
    return (
        f"{row.name:<62} {row.median:10.2f} {row.unit:<2}  {spread}  (n={len(row.samples)}){target}"
    )


def machine_description() -> str:
    cpus = os.cpu_count() or 0
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="samples per figure (default 5)")
    parser.add_argument(
        "--suite-runs", type=int, default=1, help="test-suite runs (default 1; ~40 s each)"
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections (default: all of {', '.join(SECTIONS)})",
    )
    parser.add_argument("--json", action="store_true", help="also print the rows as JSON")
    args = parser.parse_args(argv)
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = [name for name in sections if name not in SECTIONS]
    if unknown:
        raise UsageError(
            f"--only: unknown section(s) {', '.join(unknown)}; use {', '.join(SECTIONS)}"
        )
    if args.runs < 1 or args.suite_runs < 1:
        raise UsageError("--runs and --suite-runs must be at least 1")
    args.sections = sections
    return args


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_measure"]:
        print(json.dumps(_measure(argv[1], argv[2] if len(argv) > 2 else "")))
        return 0
    try:
        args = parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Benchmarks on {machine_description()}; median of n samples, min and max.")
    report = Report()
    try:
        for name in args.sections:
            runs = args.suite_runs if name == "suite" else args.runs
            SECTIONS[name](report, runs)
    except RuntimeError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": row.name,
                        "unit": row.unit,
                        "median": row.median,
                        "min": min(row.samples),
                        "max": max(row.samples),
                        "n": len(row.samples),
                        "target": row.target,
                        "met": row.met,
                    }
                    for row in report.rows
                ],
                indent=2,
            )
        )
    missed = [row.name for row in report.rows if row.met is False]
    if missed:
        print(f"Targets missed: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):  # `python scripts/bench.py`: `scripts` is not importable
        sys.stderr.write("error: from the project root, run: python -m scripts.bench\n")
        sys.exit(2)
    sys.exit(main())
