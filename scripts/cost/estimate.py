"""The arithmetic: one environment's monthly cost from its config, traffic and prices."""

from __future__ import annotations

from dataclasses import dataclass

from stacks.config import EnvironmentConfig

from .prices import RegionPrices
from .schedule import (
    HOURS_PER_MONTH,
    HOURS_PER_WEEK,
    WEEKS_PER_MONTH,
    WeeklyConcurrency,
    constant,
    from_scaling,
)
from .traffic import Traffic

BYTES_PER_GB = 1024**3  # data processed is counted in GiB; memory GB = MemorySizeInMB / 1024
SECONDS_PER_HOUR = 3600


@dataclass(frozen=True, kw_only=True)
class LineItem:
    label: str
    quantity: float
    unit: str  # what quantity counts, e.g. "GB-s"
    figure: str  # the price figure it is multiplied by
    cost: float | None  # None when the figure is missing
    # At the upper bound of provisioned concurrency (target tracking fully scaled out).
    quantity_max: float | None = None  # None: the same as quantity
    cost_max: float | None = None

    @property
    def ranged(self) -> bool:
        return self.quantity_max is not None and self.quantity_max != self.quantity


@dataclass(frozen=True, kw_only=True)
class Estimate:
    environment: str
    memory_gb: float
    requests_per_month: float
    items: tuple[LineItem, ...]
    missing: tuple[str, ...]
    assumptions: tuple[str, ...]
    provisioned_hours: dict[float, float]

    @property
    def total(self) -> float | None:
        """The monthly total, or None when any figure it needs is missing."""
        if self.missing:
            return None
        return sum(item.cost or 0.0 for item in self.items)

    @property
    def total_max(self) -> float | None:
        """The total with provisioned concurrency at its upper bound (None: a figure missing)."""
        if self.missing:
            return None
        return sum(
            (item.cost_max if item.cost_max is not None else item.cost) or 0.0
            for item in self.items
        )

    @property
    def ranged(self) -> bool:
        return any(item.ranged for item in self.items)


def weekly_concurrency(*, environment: EnvironmentConfig, traffic: Traffic) -> WeeklyConcurrency:
    """Provisioned concurrency in each hour of the week: from the profile, else the config."""
    if traffic.provisioned_hours is not None:
        concurrency_hours = sum(
            h.concurrency * h.hours_per_month for h in traffic.provisioned_hours
        )
        return WeeklyConcurrency(
            by_hour=(concurrency_hours / HOURS_PER_MONTH,) * HOURS_PER_WEEK,
            source="provisioned_hours in the traffic profile (spread evenly over the month for "
            "the split between provisioned and on-demand inference)",
        )
    scaling = environment.provisioned_concurrency_scaling
    if scaling is not None:
        return from_scaling(scaling, environment=environment.name)
    if environment.provisioned_concurrency:
        return constant(
            environment.provisioned_concurrency,
            source=f"provisioned_concurrency={environment.provisioned_concurrency}, all month",
        )
    return constant(0, source="no provisioned concurrency")


def estimate(*, environment: EnvironmentConfig, traffic: Traffic, prices: RegionPrices) -> Estimate:
    memory_gb = environment.memory_size_in_mb / 1024
    weekly = weekly_concurrency(environment=environment, traffic=traffic)
    per_hour = _requests_by_hour_of_week(traffic)
    low = _seconds(per_hour, weekly.by_hour, traffic=traffic)
    high = _seconds(per_hour, weekly.upper, traffic=traffic)
    requests = sum(per_hour) * WEEKS_PER_MONTH
    # (label, quantity at the minimum, at the upper bound, unit, figure)
    quantities = [
        (
            "on-demand compute",
            low.on_demand * memory_gb,
            high.on_demand * memory_gb,
            "GB-s",
            "on_demand_inference_per_gb_second",
        ),
    ]
    if high.configured > 0:
        quantities += [
            (
                "provisioned concurrency (billed while configured)",
                low.configured * memory_gb,
                high.configured * memory_gb,
                "GB-s",
                "provisioned_concurrency_per_gb_second",
            ),
            (
                "inference on provisioned capacity",
                low.provisioned * memory_gb,
                high.provisioned * memory_gb,
                "GB-s",
                "provisioned_inference_per_gb_second",
            ),
        ]
    data_in = requests * traffic.request_bytes / BYTES_PER_GB
    data_out = requests * traffic.response_bytes / BYTES_PER_GB
    quantities += [
        ("data processed in", data_in, data_in, "GB", "data_processed_in_per_gb"),
        ("data processed out", data_out, data_out, "GB", "data_processed_out_per_gb"),
    ]
    items = []
    for label, quantity, quantity_max, unit, figure in quantities:
        price = prices.figures[figure].value
        items.append(
            LineItem(
                label=label,
                quantity=quantity,
                unit=unit,
                figure=figure,
                cost=None if price is None else quantity * price,
                quantity_max=quantity_max,
                cost_max=None if price is None else quantity_max * price,
            )
        )
    missing = prices.missing(tuple(item.figure for item in items))
    return Estimate(
        environment=environment.name,
        memory_gb=memory_gb,
        requests_per_month=requests,
        items=tuple(items),
        missing=missing,
        assumptions=_assumptions(environment=environment, traffic=traffic, weekly=weekly),
        provisioned_hours=weekly.hours_at_each_level(),
    )


@dataclass(frozen=True, kw_only=True)
class _Seconds:
    """Seconds per month: on demand, on provisioned capacity, provisioned capacity configured."""

    on_demand: float
    provisioned: float
    configured: float


def _seconds(
    per_hour: tuple[float, ...], levels: tuple[float, ...], *, traffic: Traffic
) -> _Seconds:
    duration_s = traffic.mean_duration_ms / 1000
    on_demand_s = provisioned_s = 0.0
    for requests, level in zip(per_hour, levels, strict=True):
        busy = requests * duration_s
        served = min(busy, level * SECONDS_PER_HOUR)
        provisioned_s += served
        on_demand_s += busy - served
    return _Seconds(
        on_demand=on_demand_s * WEEKS_PER_MONTH,
        provisioned=provisioned_s * WEEKS_PER_MONTH,
        configured=sum(levels) * SECONDS_PER_HOUR * WEEKS_PER_MONTH,
    )


def _requests_by_hour_of_week(traffic: Traffic) -> tuple[float, ...]:
    """Requests in each hour of an average week (0: Monday 00:00 UTC)."""
    if traffic.requests_per_hour_of_day is not None:
        return tuple(traffic.requests_per_hour_of_day[hour % 24] for hour in range(HOURS_PER_WEEK))
    assert traffic.requests_per_month is not None
    return (traffic.requests_per_month / HOURS_PER_MONTH,) * HOURS_PER_WEEK


def _assumptions(
    *, environment: EnvironmentConfig, traffic: Traffic, weekly: WeeklyConcurrency
) -> tuple[str, ...]:
    requests = (
        f"{traffic.requests_per_month:g} requests per month, spread evenly over its hours"
        if traffic.requests_per_month is not None
        else "requests per hour of day (UTC) from the profile, every day alike"
    )
    duration = f"mean duration {traffic.mean_duration_ms:g} ms" + (
        " (the default: make size's p50 for the sample model in the local server; replace it "
        "with your measurement)"
        if traffic.mean_duration_is_default
        else ""
    )
    return (
        f"memory {environment.memory_size_in_mb} MB = {environment.memory_size_in_mb / 1024:g} "
        "GB; a month is 730 hours",
        requests,
        duration,
        f"request {traffic.request_bytes:g} bytes, response {traffic.response_bytes:g} bytes "
        "(data processed counted in GiB)",
        f"provisioned concurrency: {weekly.source}",
        "in each hour, requests run on provisioned capacity up to its concurrency x 3600 s; the "
        "rest is on-demand (cold starts and idle keep-warm time are not counted)",
    )
