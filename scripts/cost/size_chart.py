"""``make size``'s chart: latency and cost per million requests against memory size.

What ``make size`` measures is one load run of the model in the local server, whose speed does not
depend on a memory setting: the p50/p95 are drawn as one horizontal line each, labelled as the
same measurement at every size, not as a memory/latency relationship (the managed endpoint gets
more vCPU with more memory; measure that with the smoke script's ``--load`` on each size).

Cost per million requests is on-demand compute at the measured p50 duration: p50 x GB x the price
per GB-second, which grows linearly with memory. With that price missing the chart shows the
billed GB-seconds per million requests instead, labelled so. Data processed is left out (it does
not depend on memory). Sizes below the recommendation's required memory are shaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .plotting import figure, save
from .prices import RegionPrices

MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
PRICE = "on_demand_inference_per_gb_second"
PER_REQUESTS = 1_000_000


@dataclass(frozen=True, kw_only=True)
class SizeChartInput:
    p50_ms: float
    p95_ms: float
    concurrency: int
    requests: int
    required_mb: float  # the recommendation's required memory (sizes below it do not fit)
    recommended_mb: int | None


@dataclass(frozen=True, kw_only=True)
class PerMillion:
    """The right panel's points: money when the price is known, else billed GB-seconds."""

    values: tuple[float, ...]  # one per MEMORY_SIZES_MB
    label: str  # the y axis
    money: bool


def per_million(*, p50_ms: float, prices: RegionPrices | None) -> PerMillion:
    gb_seconds = tuple(PER_REQUESTS * p50_ms / 1000 * mb / 1024 for mb in MEMORY_SIZES_MB)
    price = None if prices is None else prices.figures[PRICE].value
    if prices is None or price is None:
        return PerMillion(
            values=gb_seconds,
            label="billed GB-seconds per million requests (price missing)",
            money=False,
        )
    return PerMillion(
        values=tuple(value * price for value in gb_seconds),
        label=f"compute per million requests ({prices.currency})",
        money=True,
    )


def write_size_chart(
    path: Path, *, measured: SizeChartInput, prices: RegionPrices | None, title: str
) -> PerMillion:
    points = per_million(p50_ms=measured.p50_ms, prices=prices)
    with figure(width=11, height=4.5, columns=2) as (fig, (latency, cost)):
        for axes in (latency, cost):
            for mb in MEMORY_SIZES_MB:
                if mb < measured.required_mb:
                    axes.axvspan(mb - 512, mb + 512, color="0.9", zorder=0)
            if measured.recommended_mb is not None:
                axes.axvline(
                    measured.recommended_mb,
                    color="tab:green",
                    linestyle="--",
                    label=f"recommended {measured.recommended_mb} MB",
                )
            axes.set_xticks(MEMORY_SIZES_MB)
            axes.set_xlim(512, 6656)
            axes.set_xlabel("MemorySizeInMB (shaded: below the required memory)")
            axes.grid(visible=True, alpha=0.3)
        for value, name, style in (
            (measured.p50_ms, "p50", "-"),
            (measured.p95_ms, "p95", ":"),
        ):
            latency.axhline(value, linestyle=style, label=f"{name} {value:g} ms")
        latency.set_ylim(0, max(measured.p95_ms, measured.p50_ms) * 1.3 or 1.0)
        latency.set_ylabel("latency (ms)")
        latency.set_title(
            f"{title}: one local-server run, {measured.requests} requests at concurrency "
            f"{measured.concurrency}\n(its speed does not depend on memory: the same "
            "measurement at every size)"
        )
        latency.legend(loc="lower right")
        cost.plot(
            MEMORY_SIZES_MB, points.values, marker="o", label=f"at p50 {measured.p50_ms:g} ms"
        )
        cost.set_ylim(bottom=0)
        cost.set_ylabel(points.label)
        source = f"no money: {PRICE} is missing"
        if points.money and prices is not None:
            used = prices.figures[PRICE]
            kind = " (SECONDARY source)" if used.source_kind == "secondary" else ""
            source = f"on demand, price {prices.region} read {used.read_on}{kind}"
        cost.set_title(f"compute at the p50, data processed not included\n({source})")
        cost.legend(loc="upper left")
        save(fig, path)
    return points
