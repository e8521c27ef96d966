"""The result table: one row per figure, its spread, its 95% interval, its target and verdict."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from typing import Any

from scripts.bench.noise import Estimate, Judgement, Verdict, judge, mean_estimate


@dataclass(frozen=True)
class Row:
    """One line of the result table.

    ``samples`` are the measured values (median, min and max are shown); ``interval`` is the 95%
    interval of what the verdict judges (the mean of the samples, or a fitted slope).
    """

    name: str
    unit: str
    samples: tuple[float, ...]
    interval: Estimate | None = None
    target: float | None = None  # an upper bound, in ``unit``
    judgement: Judgement | None = None
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @classmethod
    def judged(
        cls,
        name: str,
        unit: str,
        samples: tuple[float, ...],
        *,
        target: float,
        interval: Estimate | None = None,
        must_be_positive: bool = False,
        note: str = "",
    ) -> Row:
        """A row with a target: judged by its interval (the samples' mean unless given)."""
        estimate = interval if interval is not None else mean_estimate(samples)
        return cls(
            name,
            unit,
            samples,
            interval=estimate,
            target=target,
            judgement=judge(estimate, target=target, must_be_positive=must_be_positive),
            note=note,
        )

    @classmethod
    def spread(cls, name: str, unit: str, samples: tuple[float, ...], *, note: str = "") -> Row:
        """A row without a target: its figures and their 95% interval."""
        return cls(name, unit, samples, interval=mean_estimate(samples), note=note)


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(format_row(row), flush=True)

    def with_verdict(self, verdict: Verdict) -> list[Row]:
        return [row for row in self.rows if row.judgement and row.judgement.verdict is verdict]


def _number(value: float) -> str:
    return f"{value:.2f}" if abs(value) < 1000 else f"{value:.0f}"


def format_row(row: Row) -> str:
    if len(row.samples) > 1:
        spread = f"min {_number(min(row.samples)):>8}  max {_number(max(row.samples)):>8}"
    else:
        spread = " " * 27
    if row.interval is not None:
        low, high = _number(row.interval.low), _number(row.interval.high)
        interval = f"95% {low:>8} .. {high:<8} (n={row.interval.n})"
    else:
        interval = f"{'':24} (n={len(row.samples)})"
    line = f"{row.name:<72} {_number(row.median):>9} {row.unit:<2}  {spread}  {interval}"
    if row.target is not None:
        line += f"  target <= {row.target:g}"
    if row.judgement is not None:
        line += f"  {row.judgement}" if row.target is None else f": {row.judgement}"
    if row.note:
        line += f"  [{row.note}]"
    return line


def row_json(row: Row) -> dict[str, Any]:
    return {
        "name": row.name,
        "unit": row.unit,
        "median": row.median,
        "min": min(row.samples),
        "max": max(row.samples),
        "samples": list(row.samples),
        "interval_95": (
            None
            if row.interval is None
            else {"value": row.interval.value, "low": row.interval.low, "high": row.interval.high}
        ),
        "n": row.interval.n if row.interval is not None else len(row.samples),
        "target": row.target,
        "verdict": row.judgement.verdict.value if row.judgement else None,
        "reason": row.judgement.reason if row.judgement else None,
        "note": row.note,
    }
