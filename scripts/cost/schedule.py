"""Provisioned concurrency over a week, from an environment's scaling schedules.

The minimum in effect is what is billed at least; target tracking can add more, up to the
maximum in effect, which bounds it from above (no target tracking: the minimum is all there is).
A week is simulated minute by minute
(twice, so the second week starts in the state the first one ends in) and scaled to a month of
730 hours, AWS's monthly convention (365 x 24 / 12).
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass

from sagemaker_serverless import ProvisionedConcurrencyScaling, ScheduledConcurrency

from .errors import CostInputError

HOURS_PER_MONTH = 730.0
HOURS_PER_WEEK = 168
WEEKS_PER_MONTH = HOURS_PER_MONTH / HOURS_PER_WEEK
_MINUTES_PER_WEEK = HOURS_PER_WEEK * 60
# Application Auto Scaling's cron day-of-week: 1-7 are SUN-SAT; weekday() here is 0 for Monday.
_DAY_NAMES = {"MON": 0, "TUE": 1, "WED": 2, "THU": 3, "FRI": 4, "SAT": 5, "SUN": 6}
_DAY_NUMBERS = {"1": 6, "2": 0, "3": 1, "4": 2, "5": 3, "6": 4, "7": 5}
# A Monday whose offset stands for each time zone's (daylight saving time is not modelled).
_REFERENCE_MONDAY = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)
CONFIG_PATH = "stacks/config.py"


@dataclass(frozen=True, kw_only=True)
class WeeklyConcurrency:
    """Mean provisioned concurrency in each hour of the week (0: Monday 00:00-01:00 UTC)."""

    by_hour: tuple[float, ...]
    source: str  # how it was derived, for the assumptions
    # The most it can be in each hour: target tracking fully scaled out to the maximum in effect.
    upper_by_hour: tuple[float, ...] | None = None  # None: the same as by_hour

    @property
    def upper(self) -> tuple[float, ...]:
        return self.by_hour if self.upper_by_hour is None else self.upper_by_hour

    def hours_at_each_level(self) -> dict[float, float]:
        """Hours per month at each level (levels of 0 left out)."""
        hours: dict[float, float] = {}
        for level in self.by_hour:
            if level > 0:
                hours[level] = hours.get(level, 0.0) + WEEKS_PER_MONTH
        return dict(sorted(hours.items()))


def constant(level: int, *, source: str) -> WeeklyConcurrency:
    return WeeklyConcurrency(by_hour=(float(level),) * HOURS_PER_WEEK, source=source)


def from_scaling(scaling: ProvisionedConcurrencyScaling, *, environment: str) -> WeeklyConcurrency:
    """The minimum in effect in every hour of the week, and the most target tracking may reach."""
    firings: list[tuple[int, int, int | None, int | None]] = []  # (minute, order, min, max)
    for index, action in enumerate(scaling.schedules):
        low, high = action.min_provisioned_concurrency, action.max_provisioned_concurrency
        for minute in _firing_minutes(action, environment=environment, index=index):
            firings.append((minute, index, low, high))
    firings.sort()
    low_level = scaling.min_provisioned_concurrency
    high_level = scaling.max_provisioned_concurrency
    lows, highs = [0] * _MINUTES_PER_WEEK, [0] * _MINUTES_PER_WEEK
    for week in range(2):
        pending = iter(firings)
        upcoming = next(pending, None)
        for minute in range(_MINUTES_PER_WEEK):
            while upcoming is not None and upcoming[0] == minute:
                low_level = low_level if upcoming[2] is None else upcoming[2]
                high_level = high_level if upcoming[3] is None else upcoming[3]
                upcoming = next(pending, None)
            if week == 1:
                lows[minute] = low_level
                # A raised minimum lifts capacity even above a lower maximum.
                highs[minute] = max(low_level, high_level)
    names = ", ".join(action.name for action in scaling.schedules) or "none"
    tracking = scaling.target_utilization is not None
    return WeeklyConcurrency(
        by_hour=_hourly(lows),
        upper_by_hour=_hourly(highs) if tracking else None,
        source=(
            "the minimum of provisioned_concurrency_scaling "
            f"({scaling.min_provisioned_concurrency}) as changed by its schedules ({names}); "
            + (
                "the upper bound has target tracking at the maximum in effect "
                f"({scaling.max_provisioned_concurrency}, as changed by the schedules) all the time"
                if tracking
                else "no target tracking, so nothing above the minimum"
            )
        ),
    )


def _hourly(minutes: list[int]) -> tuple[float, ...]:
    return tuple(sum(minutes[hour * 60 : hour * 60 + 60]) / 60 for hour in range(HOURS_PER_WEEK))


def _firing_minutes(action: ScheduledConcurrency, *, environment: str, index: int) -> list[int]:
    field = f"environment {environment!r}: provisioned_concurrency_scaling.schedules[{index}]"
    unsupported = CostInputError(
        path=CONFIG_PATH,
        field=f"{field}.schedule",
        problem=f"={action.schedule!r} cannot be turned into hours per week here (only "
        "cron(M H ? * DAYS *) or cron(M H * * ? *) with fixed minutes and hours); give "
        'the hours in cost/traffic.json instead: "provisioned_hours": '
        '[{"concurrency": n, "hours_per_month": h}, ...]',
    )
    schedule = action.schedule
    if not schedule.startswith("cron(") or not schedule.endswith(")"):
        raise unsupported
    fields = schedule[5:-1].split()
    if len(fields) != 6:
        raise unsupported
    minute, hour, day_of_month, month, day_of_week, year = fields
    if not (minute.isdigit() and hour.isdigit()) or month != "*" or year != "*":
        raise unsupported
    if day_of_month not in ("?", "*"):
        raise unsupported
    days = _days(day_of_week)
    if days is None:
        raise unsupported
    offset = _utc_offset_minutes(action.time_zone)
    return sorted(
        (day * 1440 + int(hour) * 60 + int(minute) - offset) % _MINUTES_PER_WEEK for day in days
    )


def _days(field: str) -> list[int] | None:
    """Days of the week (0 Monday) of a cron day-of-week field, or None if not understood."""
    if field in ("*", "?"):
        return list(range(7))
    days: list[int] = []
    for part in field.upper().split(","):
        ends = part.split("-")
        if len(ends) > 2:
            return None
        numbers = [_DAY_NAMES.get(end, _DAY_NUMBERS.get(end)) for end in ends]
        if any(number is None for number in numbers):
            return None
        first, last = numbers[0], numbers[-1]
        assert first is not None
        assert last is not None
        day = first
        while True:
            days.append(day)
            if day == last:
                break
            day = (day + 1) % 7
    return sorted(set(days))


def _utc_offset_minutes(time_zone: str | None) -> int:
    if time_zone in (None, "UTC"):
        return 0
    offset = _REFERENCE_MONDAY.astimezone(zoneinfo.ZoneInfo(time_zone)).utcoffset()
    return 0 if offset is None else int(offset.total_seconds() // 60)
