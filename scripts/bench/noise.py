"""When a benchmark figure is noise: 95% intervals, the least-squares slope, and the verdict.

The rule (docs/benchmarks.md says the same): every figure with a target is judged by its 95%
interval, never by its point value alone.

- fewer than two samples: no interval, so no verdict ("no verdict", not "met");
- a per-endpoint cost (a slope) whose interval reaches zero or below: the sizes did not take
  measurably longer than the smaller ones, which synth cannot do; the machine was busy:
  "unstable (machine busy?)";
- an interval wider than the target itself (half-width > half the target): "unstable";
- the whole interval at or under the target: "met"; the whole interval above it: "MISSED";
- otherwise the interval spans the target: "borderline" (a quiet machine and more runs decide).
"""

from __future__ import annotations

import enum
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# Two-sided 95% quantiles of Student's t by degrees of freedom (any statistics table). Between
# the listed ones the next smaller df is used: its quantile is larger, so the interval is wider.
_T95 = {
    1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
    9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131, 16: 2.120,
    17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 21: 2.080, 22: 2.074, 23: 2.069, 24: 2.064,
    25: 2.060, 26: 2.056, 27: 2.052, 28: 2.048, 29: 2.045, 30: 2.042, 40: 2.021, 60: 2.000,
    120: 1.980,
}  # fmt: skip
_T95_LARGE = 1.960

# An interval whose half-width exceeds this fraction of the target says nothing about it.
MAX_HALF_WIDTH_OF_TARGET = 0.5


def t95(degrees_of_freedom: int) -> float:
    """The two-sided 95% quantile of Student's t (conservative between table rows)."""
    if degrees_of_freedom < 1:
        raise ValueError(f"degrees of freedom must be at least 1, not {degrees_of_freedom}")
    if degrees_of_freedom > max(_T95):
        return _T95_LARGE
    return _T95[max(df for df in _T95 if df <= degrees_of_freedom)]


@dataclass(frozen=True)
class Estimate:
    """A figure and its 95% interval."""

    value: float
    low: float
    high: float
    n: int

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2


def mean_estimate(samples: Sequence[float]) -> Estimate | None:
    """The mean with its t interval; None for fewer than two samples (no spread to judge)."""
    n = len(samples)
    if n < 2:
        return None
    mean = statistics.fmean(samples)
    half = t95(n - 1) * statistics.stdev(samples) / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


@dataclass(frozen=True)
class LineFit:
    """``y = intercept + slope * x`` by least squares, with the slope's 95% interval."""

    slope: Estimate
    intercept: float
    r_squared: float


def fit_line(points: Sequence[tuple[float, float]]) -> LineFit:
    """Ordinary least squares over (x, y) points; the slope's interval is slope +- t * SE with
    n - 2 degrees of freedom. Needs at least three points at two or more distinct x."""
    n = len(points)
    xs = [float(x) for x, _ in points]
    ys = [float(y) for _, y in points]
    if n < 3 or len(set(xs)) < 2:
        raise ValueError(
            f"a line needs at least 3 points at 2 or more sizes, got {n} at {len(set(xs))}"
        )
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    sxx = sum((x - mean_x) ** 2 for x in xs)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = mean_y - slope * mean_x
    residual = sum((y - intercept - slope * x) ** 2 for x, y in zip(xs, ys, strict=True))
    total = sum((y - mean_y) ** 2 for y in ys)
    standard_error = math.sqrt(residual / (n - 2) / sxx)
    half = t95(n - 2) * standard_error
    return LineFit(
        slope=Estimate(slope, slope - half, slope + half, n),
        intercept=intercept,
        r_squared=1 - residual / total if total > 0 else 1.0,
    )


class Verdict(enum.Enum):
    MET = "met"
    MISSED = "MISSED"
    BORDERLINE = "borderline"
    UNSTABLE = "unstable (machine busy?)"
    NO_VERDICT = "no verdict"


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str

    def __str__(self) -> str:
        return f"{self.verdict.value} ({self.reason})" if self.reason else self.verdict.value


def judge(estimate: Estimate | None, *, target: float, must_be_positive: bool = False) -> Judgement:
    """Judge a figure against an upper-bound ``target`` by its 95% interval (module docstring).

    ``must_be_positive``: the figure cannot really be zero or negative (a per-endpoint cost), so
    an interval that reaches zero is noise, not a fast result.
    """
    if target <= 0:
        raise ValueError(f"target must be > 0, not {target!r}")
    if estimate is None:
        return Judgement(Verdict.NO_VERDICT, "one sample: no spread to judge; more runs")
    interval = f"95% interval {estimate.low:.3g} .. {estimate.high:.3g}"
    if must_be_positive and estimate.low <= 0:
        return Judgement(Verdict.UNSTABLE, f"not significantly > 0: {interval}")
    if estimate.half_width > MAX_HALF_WIDTH_OF_TARGET * target:
        return Judgement(Verdict.UNSTABLE, f"{interval} is wider than the target {target:g}")
    if estimate.high <= target:
        return Judgement(Verdict.MET, "")
    if estimate.low > target:
        return Judgement(Verdict.MISSED, "")
    return Judgement(Verdict.BORDERLINE, f"{interval} spans the target {target:g}")
