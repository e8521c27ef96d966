"""The command line: options, the header (printed at once), the sections, the verdict summary."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from collections.abc import Callable, Sequence

from scripts._progress import Progress, format_elapsed
from scripts.bench.noise import Verdict
from scripts.bench.report import Report, row_json
from scripts.bench.sections import (
    MeasurementFailedError,
    bench_scaling,
    bench_suite,
    bench_synth,
)


class UsageError(Exception):
    """Bad command-line input (exit status 2)."""


def _bench_server(report: Report, runs: int, progress: Progress) -> None:
    # Imported when run: it pulls in numpy and xgboost, which the other sections never need.
    from scripts.bench.server import bench_server

    bench_server(report, runs, progress)


SECTIONS: dict[str, Callable[[Report, int, Progress], None]] = {
    "synth": bench_synth,
    "scaling": bench_scaling,
    "suite": bench_suite,
    "server": _bench_server,
}


def machine_description() -> str:
    cpus = os.cpu_count() or 0
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"
    )


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def busy_warning(load_at_start: float, cpus: int) -> str | None:
    """Noise the intervals cannot see: load that competes with every sample alike can skew a
    ratio or a slope without widening its interval. Read before the first measurement, so that
    the bench's own processes are not counted."""
    if load_at_start <= cpus:
        return None
    return (
        f"Warning: the machine was busy (load average {load_at_start:.2f} on {cpus} CPUs at the "
        "start): even a met or MISSED verdict may be skewed; rerun when `uptime` shows a load "
        "below the CPU count."
    )


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.bench",
        description="Measure synth cost, per-endpoint cost against the aws-sagemaker-alpha L2, "
        "the test suite and the local server; judge each target by its 95% interval "
        "(docs/benchmarks.md).",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=5,
        help="repeats of each measurement (default 5; the scaling fit gets 4 sizes x runs points)",
    )
    parser.add_argument(
        "--suite-runs",
        type=int,
        default=3,
        help="test-suite runs (default 3, about a minute each; 1 gives no verdict: no spread)",
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
        raise UsageError(
            f"--runs and --suite-runs must be at least 1 (got {args.runs} and {args.suite_runs})"
        )
    args.sections = sections
    return args


def summary(report: Report) -> list[str]:
    lines = []
    for verdict, label in (
        (Verdict.MISSED, "Targets missed"),
        (Verdict.BORDERLINE, "Too close to call (interval spans the target)"),
        (Verdict.UNSTABLE, "Unstable, no verdict (machine busy? rerun when quiet, or more --runs)"),
        (Verdict.NO_VERDICT, "No verdict (one sample)"),
    ):
        rows = report.with_verdict(verdict)
        if rows:
            lines.append(f"{label}: {'; '.join(row.name for row in rows)}")
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_measure"]:
        from scripts.bench.apps import measure

        print(json.dumps(measure(argv[1], argv[2] if len(argv) > 2 else "")))
        return 0
    try:
        args = parse_args(argv)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    # First, at once: what runs where (the sections take minutes; progress goes to stderr).
    print(
        f"Benchmarks on {machine_description()}, {load_average()} at the start; "
        f"sections {', '.join(args.sections)}. Each row: median, min, max, 95% interval, "
        "target and verdict.",
        flush=True,
    )
    load_at_start = os.getloadavg()[0]
    progress = Progress()
    report = Report()
    try:
        for name in args.sections:
            runs = args.suite_runs if name == "suite" else args.runs
            progress.say(f"section {name}")
            SECTIONS[name](report, runs, progress)
    except MeasurementFailedError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps([row_json(row) for row in report.rows], indent=2))
    for line in summary(report):
        print(line)
    warning = busy_warning(load_at_start, os.cpu_count() or 1)
    if warning:
        print(warning)
    print(f"Done in {format_elapsed(progress.elapsed)}; {load_average()} at the end.")
    return 0
