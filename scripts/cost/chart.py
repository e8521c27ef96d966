"""A chart: monthly on-demand cost against requests per month, one line per memory size.

Deterministic (same inputs, same bytes): see plotting.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .estimate import BYTES_PER_GB
from .plotting import figure, save
from .prices import RegionPrices
from .traffic import Traffic

MEMORY_SIZES_MB = (1024, 2048, 3072, 4096, 5120, 6144)
NEEDED = (
    "on_demand_inference_per_gb_second",
    "data_processed_in_per_gb",
    "data_processed_out_per_gb",
)
REQUEST_STEPS = 50


@dataclass(frozen=True, kw_only=True)
class ChartResult:
    path: Path | None  # None when not written
    message: str


def on_demand_cost(
    *, requests: float, memory_mb: int, traffic: Traffic, prices: RegionPrices
) -> float:
    """Monthly cost of ``requests`` on demand (no provisioned concurrency); prices must be set."""
    od, data_in, data_out = (prices.figures[name].value for name in NEEDED)
    assert od is not None
    assert data_in is not None
    assert data_out is not None
    compute = requests * traffic.mean_duration_ms / 1000 * memory_mb / 1024 * od
    data = (
        requests
        / BYTES_PER_GB
        * (traffic.request_bytes * data_in + traffic.response_bytes * data_out)
    )
    return compute + data


def write_chart(
    path: Path, *, traffic: Traffic, prices: RegionPrices, max_requests: float, label: str
) -> ChartResult:
    missing = prices.missing(NEEDED)
    if missing:
        return ChartResult(
            path=None, message=f"chart: not written, missing price figure(s): {', '.join(missing)}"
        )
    steps = [max_requests * step / REQUEST_STEPS for step in range(REQUEST_STEPS + 1)]
    with figure(width=8, height=5) as (fig, axes):
        for memory in MEMORY_SIZES_MB:
            costs = [
                on_demand_cost(requests=r, memory_mb=memory, traffic=traffic, prices=prices)
                for r in steps
            ]
            axes.plot(steps, costs, label=f"{memory} MB")
        axes.set_xlabel("requests per month")
        axes.set_ylabel(f"monthly cost, on demand ({prices.currency})")
        read = sorted({prices.figures[name].read_on for name in NEEDED})
        secondary = any(prices.figures[name].source_kind == "secondary" for name in NEEDED)
        axes.set_title(
            f"{label}: {traffic.mean_duration_ms:g} ms per request, prices {prices.region} "
            f"read {', '.join(read)}" + (" (SECONDARY sources)" if secondary else "")
        )
        axes.legend(title="MemorySizeInMB")
        axes.grid(visible=True, alpha=0.3)
        save(fig, path)
    return ChartResult(path=path, message=f"chart: {path}")
