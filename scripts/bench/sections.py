"""The synth, scaling and test-suite sections: processes started, samples gathered, rows judged.

Every measurement is its own process (``python -m scripts.bench _measure ...``), so each sample
pays start-up as ``cdk synth`` does. Kinds and sizes are interleaved and their order rotates from
one repeat to the next, so that a burst of load from elsewhere hits them all alike instead of
inflating one size (which would tilt the fitted slope).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from scripts._progress import Progress
from scripts.bench.apps import PROJECT_ROOT
from scripts.bench.noise import Estimate, Judgement, Verdict, fit_line
from scripts.bench.report import Report, Row

TARGET_SYNTH_RATIO = 1.3
TARGET_MS_PER_ENDPOINT = 25.0
TARGET_SUITE_SECONDS = 60.0

# Sizes of the scaling apps: several, so the per-endpoint cost is a fitted slope, not two points.
SCALING_SIZES = (10, 25, 50, 100)


class MeasurementFailedError(RuntimeError):
    """A measurement process failed: its stderr is in the message."""


@dataclass(frozen=True)
class Sample:
    """Figures from one measurement process, in seconds."""

    values: dict[str, float]


def measure(
    progress: Progress, *, index: int, total: int, what: str, kind: str, argument: str
) -> Sample:
    """One measurement, announced as ``(i/n) what``; a busy machine's slow ones say they run."""
    progress.item(index, total, what)
    with progress.heartbeat(f"still measuring: {what}"):
        return run_measurement(kind, argument)


def run_measurement(kind: str, argument: str = "") -> Sample:
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
        raise MeasurementFailedError(
            f"measurement {kind} {argument} failed:\n{completed.stderr[-2000:]}"
        )
    values: dict[str, float] = json.loads(completed.stdout.strip().splitlines()[-1])
    values["process_s"] = wall
    return Sample(values=values)


Item = TypeVar("Item")


def rotated(items: Sequence[Item], shift: int) -> list[Item]:
    """``items`` starting at ``shift`` (mod its length): 10 25 50 100, 25 50 100 10, ..."""
    shift %= len(items)
    return [*items[shift:], *items[:shift]]


# --- synth: the full app against the bare L1 floor -------------------------------------------

SYNTH_KINDS = {
    "full app, with compliance packs": ("full", "with-packs"),
    "full app, without packs": ("full", "no-packs"),
    "bare L1 app (same 3 endpoints)": ("bare", ""),
}
BARE = "bare L1 app (same 3 endpoints)"


def bench_synth(report: Report, runs: int, progress: Progress) -> None:
    """The full app (with and without compliance packs) against the bare L1 app."""
    names = tuple(SYNTH_KINDS)
    samples: dict[str, list[Sample]] = {name: [] for name in names}
    total, done = runs * len(names), 0
    for repeat in range(runs):
        for name in rotated(names, repeat):
            done += 1
            what = f"synth: {name} (repeat {repeat + 1}/{runs})"
            kind, argument = SYNTH_KINDS[name]
            samples[name].append(
                measure(progress, index=done, total=total, what=what, kind=kind, argument=argument)
            )
    for name in names:
        for figure, label in (("construct_and_synth_s", "construct + synth"), ("process_s", "")):
            report.add(
                Row.spread(
                    f"synth: {name}: {label or 'whole process'}",
                    "ms",
                    tuple(s.values[figure] * 1000 for s in samples[name]),
                )
            )
    for name in names[:2]:
        for figure, label in (("construct_and_synth_s", "construct + synth"), ("process_s", "")):
            # Paired: each full sample over the bare sample taken next to it.
            ratios = tuple(
                full.values[figure] / floor.values[figure]
                for full, floor in zip(samples[name], samples[BARE], strict=True)
            )
            report.add(
                Row.judged(
                    f"synth ratio: {name} / bare ({label or 'process'})",
                    "x",
                    ratios,
                    target=TARGET_SYNTH_RATIO,
                )
            )


# --- scaling: the per-endpoint cost, this library against the alpha L2 peer -----------------

SCALING_APPS = {
    "ours + packs": "scaling",  # ServerlessEndpoint with the compliance packs (the target's row)
    "ours, no packs": "scaling-no-packs",  # the same construct alone: like for like with the peer
    "alpha L2 (peer)": "peer",  # aws-cdk.aws-sagemaker-alpha: Model, EndpointConfig, Endpoint
}
OURS = "ours + packs"
OURS_NO_PACKS = "ours, no packs"
PEER = "alpha L2 (peer)"


def sign_check(slope: Estimate) -> Judgement | None:
    """A slope row without a target still says when its sign is noise."""
    if slope.low <= 0:
        interval = f"95% interval {slope.low:.3g} .. {slope.high:.3g}"
        return Judgement(Verdict.UNSTABLE, f"not significantly > 0: {interval}")
    return None


def bench_scaling(report: Report, runs: int, progress: Progress) -> None:
    """Apps of 10 to 100 endpoints, ours and the peer's, interleaved; slope per endpoint."""
    apps = tuple(SCALING_APPS)
    points: dict[str, list[tuple[float, float]]] = {app: [] for app in apps}
    total, done = runs * len(SCALING_SIZES) * len(apps), 0
    for repeat in range(runs):
        for size in rotated(SCALING_SIZES, repeat):
            for app in rotated(apps, repeat + size):
                done += 1
                what = f"scaling: {app}, {size} endpoints (repeat {repeat + 1}/{runs})"
                sample = measure(
                    progress,
                    index=done,
                    total=total,
                    what=what,
                    kind=SCALING_APPS[app],
                    argument=str(size),
                )
                points[app].append((size, sample.values["construct_and_synth_s"] * 1000))
    span = f"{SCALING_SIZES[0]}-{SCALING_SIZES[-1]}"
    slopes: dict[str, Estimate] = {}
    for app in apps:
        for size in SCALING_SIZES:
            values = tuple(y for x, y in points[app] if x == size)
            report.add(
                Row.spread(f"scaling: {app}: {size} endpoints: construct + synth", "ms", values)
            )
        largest = SCALING_SIZES[-1]
        report.add(
            Row.spread(
                f"scaling: {app}: ms per endpoint at {largest} (total / {largest})",
                "ms",
                tuple(y / largest for x, y in points[app] if x == largest),
            )
        )
        if runs * len(SCALING_SIZES) < 3:
            continue  # a line needs three points: --runs 1 with fewer sizes cannot happen
        fit = fit_line(points[app])
        slopes[app] = fit.slope
        name = f"scaling: {app}: marginal ms per endpoint (fit over {span})"
        note = f"fixed {fit.intercept:.0f} ms, r2 {fit.r_squared:.2f}"
        if app == OURS:
            report.add(
                Row.judged(
                    name,
                    "ms",
                    (fit.slope.value,),
                    target=TARGET_MS_PER_ENDPOINT,
                    interval=fit.slope,
                    must_be_positive=True,
                    note=note,
                )
            )
        else:
            report.add(
                Row(
                    name,
                    "ms",
                    (fit.slope.value,),
                    interval=fit.slope,
                    judgement=sign_check(fit.slope),
                    note=note,
                )
            )
    for ours in (OURS, OURS_NO_PACKS):
        if ours in slopes and PEER in slopes:
            report.add(slope_ratio_row(slopes[ours], slopes[PEER], label=ours))


def slope_ratio_row(ours: Estimate, peer: Estimate, *, label: str = OURS) -> Row:
    """Ours over the peer's marginal cost. Its interval is the widest the two slopes' intervals
    allow (low / high .. high / low): conservative, and meaningless when either reaches zero."""
    name = f"scaling: marginal cost, {label} / {PEER}"
    if ours.low <= 0 or peer.low <= 0:
        value = ours.value / peer.value if peer.value > 0 else float("nan")
        reason = "a slope above is not significantly > 0"
        return Row(name, "x", (value,), judgement=Judgement(Verdict.UNSTABLE, reason))
    ratio = Estimate(
        ours.value / peer.value, ours.low / peer.high, ours.high / peer.low, min(ours.n, peer.n)
    )
    return Row(name, "x", (ratio.value,), interval=ratio, note="from the two fitted slopes")


# --- the test suite ----------------------------------------------------------------------------


def bench_suite(report: Report, runs: int, progress: Progress) -> None:
    """Wall time of the test suite after set-up (what `make test` spends in pytest)."""
    seconds: list[float] = []
    reported: list[float] = []
    for run in range(runs):
        progress.item(run + 1, runs, "test suite: python -m pytest -q (about a minute)")
        started = time.perf_counter()
        with progress.heartbeat("the test suite is running"):
            completed = subprocess.run(
                [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                cwd=PROJECT_ROOT,
                capture_output=True,
                text=True,
                check=False,
            )
        seconds.append(time.perf_counter() - started)
        if completed.returncode != 0:
            raise MeasurementFailedError(f"the test suite failed:\n{completed.stdout[-2000:]}")
        summary = re.search(r" in ([0-9.]+)s", completed.stdout.strip().splitlines()[-1])
        if summary:
            reported.append(float(summary.group(1)))
    report.add(
        Row.judged(
            "test suite: whole `python -m pytest` process",
            "s",
            tuple(seconds),
            target=TARGET_SUITE_SECONDS,
        )
    )
    if reported:
        report.add(
            Row.spread("test suite: pytest's own run time (after start-up)", "s", tuple(reported))
        )
