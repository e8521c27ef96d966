#!/usr/bin/env python3
"""Recommend the smallest SageMaker Serverless MemorySizeInMB for a model artifact.

    python -m scripts.right_size [--model model/model.tar.gz] [--payload-file rows.csv]
                                 [--concurrency 5] [--requests 500] [--headroom 1.5] [--json]
                                 [--chart build/size-chart.png]

Run it from the project root (`make size`).

Loads the artifact in the local server (`python -m scripts.serve_local --port 0`), drives it with a
payload under the intended concurrency (the smoke script's load mode: --requests calls, at most
--concurrency in flight), reads the server process's memory from /proc/<pid>/status, and
recommends the smallest serverless memory size that holds

    required = workers x peak x headroom + container baseline

- peak: VmHWM, the process's peak resident memory over its whole life, so it includes loading
  the model (the artifact is read and parsed in memory) as well as serving the load.
- headroom (default 1.5x): the local process is not the managed container. Its Python, XGBoost
  and allocator differ from the image's; a long-lived worker's memory grows with fragmentation;
  real payloads vary. 50% on top of a measured peak is a margin that keeps one size step of
  error from becoming an out-of-memory restart, which on serverless is a failed invocation.
- container baseline (default 256 MB): memory the managed image uses that the local server has
  no counterpart for. On a single-model (every serverless) endpoint the image runs nginx, the
  `serve` entrypoint process (it imports the XGBoost serving code: xgboost, numpy, scipy,
  Flask, and stays alive) and gunicorn's master besides the workers (serving.py,
  sagemaker_containers' server.start). The figure is an estimate, not a measurement (no AWS
  account or Docker here); pass --container-baseline-mb 0 for the project's own image
  (container/), which runs this same server and nothing else.
- workers (default 1): the managed XGBoost image starts one gunicorn worker per CPU it sees,
  each loading its own copy of the model. SageMaker does not publish a serverless endpoint's vCPU
  count; pass --workers to size for more.

Not included: the container's operating system and page cache, the memory SageMaker Serverless
keeps for its own agent, payloads larger than the one sent, and models that allocate lazily on
their first large batch. It is an estimate to start from; watch the endpoint's MemoryUtilization
metric after deploying.

Exit codes: 0 a size fits; 1 no serverless size fits, or the server or a request failed;
2 usage error (bad arguments, unusable model or payload).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from scripts._cli import RaisingArgumentParser, positive_int

if __package__ in (None, ""):  # `python scripts/right_size.py`: `scripts` is not importable
    sys.stderr.write("error: from the project root, run: python -m scripts.right_size\n")
    sys.exit(2)

from sagemaker_serverless.artifact import inspect_model_artifact
from scripts._progress import Progress
from scripts.smoke import load as smoke_load
from scripts.smoke import local as smoke_local
from scripts.smoke import payload as smoke_payload
from scripts.smoke.errors import UsageError as SmokeUsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
SERVER_MODULE = "scripts.serve_local"
DEFAULT_MODEL = PROJECT_ROOT / "model" / "model.tar.gz"
# SageMaker Serverless memory sizes (the construct checks the same list at synth).
SERVERLESS_MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
MIB = 1024 * 1024  # SageMaker's "MB" in MemorySizeInMB: 1024 MB is 1 GiB
DEFAULT_HEADROOM = 1.5
DEFAULT_CONTAINER_BASELINE_MB = 256
DEFAULT_CONCURRENCY = 5
DEFAULT_REQUESTS = 500
SERVER_START_TIMEOUT_S = 120.0
BANNER = re.compile(r"serving (?P<url>https?://\S+) \(.*?(?P<features>\d+) features")


class UsageError(Exception):
    """Bad arguments or an unusable model or payload (exit code 2)."""


class MeasurementError(Exception):
    """The server did not start, or requests failed (exit code 1)."""


@dataclass(frozen=True)
class ProcessMemory:
    rss_bytes: int  # VmRSS: resident now
    peak_bytes: int  # VmHWM: the most resident at any time so far


@dataclass(frozen=True)
class ArtifactSizes:
    compressed_bytes: int | None  # None for a model directory
    uncompressed_bytes: int


@dataclass(frozen=True)
class Recommendation:
    memory_size_in_mb: int | None  # None: no serverless size fits
    required_mb: float
    reasoning: tuple[str, ...]


# --- Pure parts (unit-tested) ------------------------------------------------------------------


def parse_proc_status(text: str) -> ProcessMemory:
    """VmRSS and VmHWM from the text of /proc/<pid>/status (values in kB)."""
    values: dict[str, int] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            amount, unit = rest.split()
            if unit != "kB":
                raise ValueError(f"unexpected unit in /proc status: {line!r}")
            values[name] = int(amount) * 1024
    if set(values) != {"VmRSS", "VmHWM"}:
        raise ValueError("no VmRSS/VmHWM in /proc status (not Linux, or the process ended)")
    return ProcessMemory(rss_bytes=values["VmRSS"], peak_bytes=values["VmHWM"])


def recommend_memory(
    *,
    peak_bytes: int,
    headroom: float,
    container_baseline_mb: float = DEFAULT_CONTAINER_BASELINE_MB,
    workers: int = 1,
    sizes_mb: Sequence[int] = SERVERLESS_MEMORY_SIZES_MB,
) -> Recommendation:
    """The smallest size >= workers x peak x headroom + baseline, with the reasoning as text."""
    if headroom < 1:
        raise ValueError(f"headroom {headroom} is below 1: it would size under the peak")
    peak_mb = peak_bytes / MIB
    required_mb = workers * peak_mb * headroom + container_baseline_mb
    # A requirement of 1024.0000000001 MB from float rounding is 1024 MB.
    fitting = [size for size in sorted(sizes_mb) if size >= required_mb - 1e-6]
    workers_text = f"{workers} workers x " if workers != 1 else ""
    arithmetic = (
        f"{workers_text}peak {peak_mb:.1f} MB x headroom {headroom:g} "
        f"+ container baseline {container_baseline_mb:g} MB = {required_mb:.1f} MB"
    )
    allowed = ", ".join(str(size) for size in sorted(sizes_mb))
    if not fitting:
        return Recommendation(
            memory_size_in_mb=None,
            required_mb=required_mb,
            reasoning=(
                arithmetic,
                f"that is more than the largest serverless size ({max(sizes_mb)} MB): "
                "this model does not fit SageMaker Serverless Inference with this headroom. "
                "Use a real-time endpoint (instance-backed), or make the model smaller.",
            ),
        )
    chosen = fitting[0]
    spare = chosen - required_mb
    return Recommendation(
        memory_size_in_mb=chosen,
        required_mb=required_mb,
        reasoning=(
            arithmetic,
            f"smallest serverless size at least that: {chosen} MB (of {allowed}); "
            f"{spare:.0f} MB to spare beyond the headroom",
        ),
    )


def payload_rows(num_features: int, rows: int, *, seed: int = 0) -> list[list[float]]:
    """Deterministic rows for a model with ``num_features`` features.

    Around the smoke script's sample row when the model takes as many features (the sample
    model), else uniform in [0, 1): values vary so that trees are not walked the same way.
    """
    base_cells = smoke_payload.DEFAULT_PAYLOAD.strip().split(",")
    base = (
        [float(cell) for cell in base_cells]
        if len(base_cells) == num_features
        else [1.0] * num_features
    )
    generator = random.Random(seed)
    if rows == 1 and len(base_cells) == num_features:
        return [base]
    if len(base_cells) == num_features:
        return [[value * generator.uniform(0.5, 1.5) for value in base] for _ in range(rows)]
    return [[generator.random() for _ in range(num_features)] for _ in range(rows)]


def default_payload(num_features: int) -> tuple[bytes, str]:
    """The smoke script's sample row if the model takes as many features, else a generated row."""
    if len(smoke_payload.DEFAULT_PAYLOAD.strip().split(",")) == num_features:
        return smoke_payload.DEFAULT_PAYLOAD.encode(), "the smoke script's sample row"
    return (
        csv_payload(payload_rows(num_features, 1)),
        f"one generated row of {num_features} features",
    )


def csv_payload(rows: Sequence[Sequence[float]]) -> bytes:
    """Rows as the container's CSV: no header, no label, repr() floats (exact round trip)."""
    return "".join(",".join(repr(value) for value in row) + "\n" for row in rows).encode()


def artifact_sizes(path: Path) -> ArtifactSizes:
    """The artifact's size as stored and as SageMaker extracts it (regular files).

    :raises UsageError: for an archive the endpoint could not load (not gzip, truncated, no
        model file at its root, a model file XGBoost cannot load), in one line.
    """
    if path.is_dir():
        total = sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
        return ArtifactSizes(compressed_bytes=None, uncompressed_bytes=total)
    # The construct's synth-time check (standard library only: no aws_cdk is loaded).
    inspection = inspect_model_artifact(path)
    if inspection.errors or inspection.uncompressed_size is None:
        raise UsageError("; ".join(inspection.errors))
    return ArtifactSizes(
        compressed_bytes=inspection.compressed_size,
        uncompressed_bytes=inspection.uncompressed_size,
    )


# --- The server process ------------------------------------------------------------------------


@dataclass
class ServerProcess:
    """The local server (python -m scripts.serve_local) in a child process, on a free port."""

    process: subprocess.Popen[str]
    url: str
    num_features: int
    banner: str
    started_at: float  # time.perf_counter() just before the process was spawned
    stderr: IO[str]

    @classmethod
    def start(cls, model: Path, *, timeout: float = SERVER_START_TIMEOUT_S) -> ServerProcess:
        # stderr to a file, not a pipe: a server logging many refused requests must not block.
        stderr = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115  # closed by stop()
        started_at = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "--model", str(model), "--port", "0"],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
        )
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], timeout)
        banner = process.stdout.readline() if ready else ""
        match = BANNER.search(banner)
        if match is None:
            if process.poll() is None:
                process.kill()
            process.wait()
            process.stdout.close()
            stderr.seek(0)
            reason = stderr.read().strip().splitlines()[-1:] or [f"no banner in {timeout:g} s"]
            stderr.close()
            error_class = UsageError if process.returncode == EXIT_USAGE else MeasurementError
            raise error_class(f"the local server did not start: {reason[0]}")
        return cls(
            process, match["url"], int(match["features"]), banner.strip(), started_at, stderr
        )

    def memory(self) -> ProcessMemory:
        try:
            return parse_proc_status(Path(f"/proc/{self.process.pid}/status").read_text())
        except (OSError, ValueError) as error:
            raise MeasurementError(f"cannot read the server's memory: {error}") from None

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.stderr.close()


# --- Command line ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    model: str
    artifact: ArtifactSizes
    payload: str  # where it came from
    payload_rows: int
    payload_bytes: int
    idle: ProcessMemory  # after the model is loaded, before any request
    after_load: ProcessMemory
    load: smoke_load.LoadSummary


def _number_at_least(minimum: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not (math.isfinite(value) and value >= minimum):
            raise argparse.ArgumentTypeError(f"{text!r} must be at least {minimum:g}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--model", type=Path, default=DEFAULT_MODEL, help="model.tar.gz or model directory"
    )
    parser.add_argument(
        "--payload-file",
        type=Path,
        help="a representative request body, text/csv (default: the smoke script's sample row "
        "when the model takes its 10 features, else one generated row)",
    )
    parser.add_argument(
        "--concurrency",
        type=positive_int,
        default=DEFAULT_CONCURRENCY,
        help=f"requests in flight, e.g. the endpoint's MaxConcurrency "
        f"(default {DEFAULT_CONCURRENCY})",
    )
    parser.add_argument(
        "--requests",
        type=positive_int,
        default=DEFAULT_REQUESTS,
        help=f"requests to send (default {DEFAULT_REQUESTS})",
    )
    parser.add_argument(
        "--headroom",
        type=_number_at_least(1.0),
        default=DEFAULT_HEADROOM,
        help=f"multiplier on the measured peak (default {DEFAULT_HEADROOM})",
    )
    parser.add_argument(
        "--container-baseline-mb",
        type=_number_at_least(0.0),
        default=float(DEFAULT_CONTAINER_BASELINE_MB),
        help=f"memory of the managed container's own runtime (default "
        f"{DEFAULT_CONTAINER_BASELINE_MB}; 0 for the project's own image)",
    )
    parser.add_argument(
        "--workers",
        type=positive_int,
        default=1,
        help="worker processes, each with the model, in the container (default 1)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
    parser.add_argument(
        "--chart",
        type=Path,
        help="also write a PNG: the measured latency, and on-demand compute per million "
        "requests (or billed GB-seconds without a price), against memory size",
    )
    parser.add_argument(
        "--prices",
        type=Path,
        default=PROJECT_ROOT / "cost" / "prices.json",
        help="price file of the chart (default: cost/prices.json)",
    )
    parser.add_argument(
        "--region", default="us-east-1", help="region of the chart's prices (default us-east-1)"
    )
    return parser


def write_chart(
    options: argparse.Namespace, measurement: Measurement, recommendation: Recommendation
) -> str:
    """Write --chart; the line to print. UsageError for a price file that cannot be read."""
    from scripts.cost.errors import CostInputError
    from scripts.cost.prices import load_prices
    from scripts.cost.size_chart import SizeChartInput, write_size_chart

    load = measurement.load
    if load.p50_ms is None or load.p95_ms is None:
        return "chart: not written, the load run has no latencies"
    try:
        prices = load_prices(options.prices, region=options.region)
    except CostInputError as error:
        raise UsageError(f"--prices: {error}") from None
    points = write_size_chart(
        options.chart,
        measured=SizeChartInput(
            p50_ms=load.p50_ms,
            p95_ms=load.p95_ms,
            concurrency=load.concurrency,
            requests=load.requests,
            required_mb=recommendation.required_mb,
            recommended_mb=recommendation.memory_size_in_mb,
        ),
        prices=prices,
        title=Path(measurement.model).name,
    )
    unit = "money" if points.money else "billed GB-seconds, price missing"
    return f"chart: {options.chart} (cost per million requests in {unit})"


def _read_payload_file(path: Path) -> bytes:
    try:
        return smoke_payload.read_payload(path)
    except SmokeUsageError as error:
        raise UsageError(str(error)) from None


def measure(options: argparse.Namespace) -> Measurement:
    model: Path = options.model
    if not model.exists():
        raise UsageError(f"--model {str(model)!r}: no such file or directory")
    artifact = artifact_sizes(model)
    given_payload = _read_payload_file(options.payload_file) if options.payload_file else None
    progress = Progress()  # on stderr: the report (or --json) alone goes to stdout
    progress.say(f"starting the local server on {model}")
    server = ServerProcess.start(model)
    try:
        if given_payload is not None:
            payload, source = given_payload, str(options.payload_file)
        else:
            payload, source = default_payload(server.num_features)
        idle = server.memory()
        invoke, close = smoke_local.local_invoker(
            server.url,
            workers=min(options.concurrency, options.requests),
            body=payload,
            headers={"Content-Type": "text/csv"},
            expected=smoke_payload.expected_prediction_count(payload, "text/csv"),
        )
        progress.say(
            f"server up; sending {options.requests} requests, {options.concurrency} in flight"
        )
        try:
            with progress.heartbeat("requests in flight"):
                results, wall_seconds = smoke_load.run_burst(
                    invoke,
                    requests=options.requests,
                    concurrency=options.concurrency,
                    clock=time.perf_counter,
                )
        finally:
            close()
        progress.say("requests done; reading the server's peak memory")
        after_load = server.memory()
    finally:
        server.stop()
    load = smoke_load.summarize_load(
        results, concurrency=min(options.concurrency, options.requests), wall_seconds=wall_seconds
    )
    failure = smoke_load.load_failure(load)
    if failure:
        raise MeasurementError(f"the load run failed: {failure}")
    return Measurement(
        model=str(model),
        artifact=artifact,
        payload=source,
        payload_rows=smoke_payload.expected_prediction_count(payload, "text/csv") or 0,
        payload_bytes=len(payload),
        idle=idle,
        after_load=after_load,
        load=load,
    )


def _size(size_bytes: int | None) -> str:
    if size_bytes is None:
        return "n/a"
    if size_bytes < MIB:
        return f"{size_bytes / 1024:.1f} KB"
    return f"{size_bytes / MIB:.1f} MB"


def format_report(measurement: Measurement, recommendation: Recommendation) -> list[str]:
    load = measurement.load
    artifact = measurement.artifact
    lines = [
        f"Right-sizing {measurement.model}",
        "  (an estimate from the local server, not the managed container: see --help for what "
        "it covers)",
        f"  artifact: {_size(artifact.compressed_bytes)} compressed, "
        f"{_size(artifact.uncompressed_bytes)} uncompressed",
        f"  payload: {measurement.payload} ({measurement.payload_rows} row(s), "
        f"{measurement.payload_bytes} bytes, text/csv)",
        f"  load: {load.requests} requests, concurrency {load.concurrency}, "
        f"{load.wall_seconds:.2f} s: p50 {load.p50_ms} ms, p95 {load.p95_ms} ms, "
        f"p99 {load.p99_ms} ms; failed {load.failed}",
        f"  server memory: idle {_size(measurement.idle.rss_bytes)} (VmRSS, model loaded), "
        f"after load {_size(measurement.after_load.rss_bytes)} (VmRSS), "
        f"peak {_size(measurement.after_load.peak_bytes)} (VmHWM)",
    ]
    if recommendation.memory_size_in_mb is None:
        lines.append("Recommendation: none: no serverless memory size fits")
    else:
        lines.append(f"Recommendation: MemorySizeInMB={recommendation.memory_size_in_mb}")
    lines.extend(f"  {reason}" for reason in recommendation.reasoning)
    lines.append(
        "  not included: the managed container's OS and SageMaker's own agent, payloads larger "
        "than this one; check MemoryUtilization after deploying"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    try:
        options = build_parser().parse_args(argv)
        measurement = measure(options)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except MeasurementError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILURE
    recommendation = recommend_memory(
        peak_bytes=measurement.after_load.peak_bytes,
        headroom=options.headroom,
        container_baseline_mb=options.container_baseline_mb,
        workers=options.workers,
    )
    chart_line = None
    if options.chart is not None:
        try:
            chart_line = write_chart(options, measurement, recommendation)
        except UsageError as error:
            print(f"error: {error}", file=sys.stderr)
            return EXIT_USAGE
    if options.json:
        document = {
            "measurement": asdict(measurement),
            "recommendation": asdict(recommendation),
        }
        print(json.dumps(document, indent=2, sort_keys=True))
    else:
        print("\n".join(format_report(measurement, recommendation)))
    if chart_line is not None:
        print(chart_line, file=sys.stderr if options.json else sys.stdout)
    return EXIT_OK if recommendation.memory_size_in_mb is not None else EXIT_FAILURE


if __name__ == "__main__":
    sys.exit(main())
