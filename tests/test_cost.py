"""``make cost`` (scripts/cost/): the arithmetic by hand, missing prices, bad inputs, provenance.

The prices here are made up for the arithmetic and written by the tests; they are not AWS's.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from sagemaker_serverless import ProvisionedConcurrencyScaling, ScheduledConcurrency
from scripts.cost.cli import main
from stacks.config import ENVIRONMENTS, EnvironmentConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SOURCE = "https://example.test/made-up-prices"
PRICES = {
    "on_demand_inference_per_gb_second": 0.00002,
    "provisioned_concurrency_per_gb_second": 0.000005,
    "provisioned_inference_per_gb_second": 0.00001,
    "data_processed_in_per_gb": 0.01,
    "data_processed_out_per_gb": 0.02,
}
# Weekdays 08:00-18:00 UTC at a minimum of 3, otherwise 1.
ENVIRONMENT = EnvironmentConfig(
    name="prod",
    memory_size_in_mb=2048,
    max_concurrency=10,
    provisioned_concurrency=1,
    provisioned_concurrency_scaling=ProvisionedConcurrencyScaling(
        min_provisioned_concurrency=1,
        max_provisioned_concurrency=4,
        schedules=(
            ScheduledConcurrency(
                name="up", schedule="cron(0 8 ? * MON-FRI *)", min_provisioned_concurrency=3
            ),
            ScheduledConcurrency(
                name="down", schedule="cron(0 18 ? * MON-FRI *)", min_provisioned_concurrency=1
            ),
        ),
    ),
)
HOURLY = [0] * 24
HOURLY[2] = 7200  # 02:00 UTC, minimum 1: 7200 s busy, 3600 s of it beyond provisioned capacity
HOURLY[12] = 3600  # 12:00 UTC: 3600 s busy, all on provisioned capacity (1 or 3)
TRAFFIC = {
    "requests_per_hour_of_day": HOURLY,
    "mean_duration_ms": 1000,
    "request_bytes": 1_000_000,
    "response_bytes": 500_000,
}


def _write(
    tmp_path: Path, *, prices: dict[str, Any] | None = None, traffic: Any = None
) -> list[str]:
    figures = {
        name: {"value": value, "source": SOURCE, "read_on": "2026-11-30"}
        for name, value in (prices or PRICES).items()
    }
    price_file, traffic_file = tmp_path / "prices.json", tmp_path / "traffic.json"
    price_file.write_text(
        json.dumps({"regions": {"us-east-1": {"currency": "USD", "figures": figures}}})
    )
    traffic_file.write_text(
        json.dumps({"environments": {"prod": TRAFFIC if traffic is None else traffic}})
    )
    return ["--prices", str(price_file), "--traffic", str(traffic_file)]


def _run(args: list[str], environments: tuple[EnvironmentConfig, ...] = (ENVIRONMENT,)):
    out, err = io.StringIO(), io.StringIO()
    code = main(args, environments=environments, out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def _money(value: float) -> str:
    return f"{value:,.2f} USD"


def test_the_arithmetic_matches_a_hand_computation(tmp_path: Path) -> None:
    code, out, err = _run(_write(tmp_path))
    assert (code, err) == (0, "")
    weeks = 730 / 168
    # Schedule: 5 days x 10 h at 3, the other 118 h of the week at 1.
    assert "217.3 h at 3" in out
    assert "512.7 h at 1" in out
    assert round(50 * weeks, 1) == 217.3
    assert round(118 * weeks, 1) == 512.7
    provisioned_configured = (50 * 3 + 118 * 1) * weeks * 3600 * 2 * 0.000005
    # 02:00 each day: 3600 s on provisioned, 3600 s on demand; 12:00: 3600 s on provisioned.
    on_demand = 7 * 3600 * weeks * 2 * 0.00002
    provisioned_inference = 14 * 3600 * weeks * 2 * 0.00001
    requests = (7200 + 3600) * 730 / 24
    data_in = requests * 1_000_000 / 2**30 * 0.01
    data_out = requests * 500_000 / 2**30 * 0.02
    assert round(on_demand, 2) == 4.38
    assert round(provisioned_inference, 2) == 4.38
    # Upper bound: target tracking (default 0.7) holds the maximum of 4 all week; 4 x 3600 s per
    # hour covers both busy hours, so nothing runs on demand.
    provisioned_configured_max = 4 * 168 * weeks * 3600 * 2 * 0.000005
    provisioned_inference_max = (7200 + 3600) * 7 * weeks * 2 * 0.00001
    assert round(provisioned_configured_max, 2) == 105.12  # 4 x 730 h x 3600 s x 2 GB x 5e-6
    for label, low, high in [
        ("on-demand compute", on_demand, 0.0),
        (
            "provisioned concurrency (billed while configured)",
            provisioned_configured,
            provisioned_configured_max,
        ),
        ("inference on provisioned capacity", provisioned_inference, provisioned_inference_max),
    ]:
        line = next(line for line in out.splitlines() if line.strip().startswith(label))
        assert line.endswith(f"{low:,.2f}..{_money(high)}"), line
    for label, value in [("data processed in", data_in), ("data processed out", data_out)]:
        line = next(line for line in out.splitlines() if line.strip().startswith(label))
        assert line.endswith(_money(value)), line
    total = on_demand + provisioned_configured + provisioned_inference + data_in + data_out
    total_max = provisioned_configured_max + provisioned_inference_max + data_in + data_out
    (line,) = [line for line in out.splitlines() if "total per month" in line]
    assert line.endswith(f"{total:,.2f}..{_money(total_max)}"), line
    assert "b with target tracking scaled out to the maximum in effect" in out
    assert f"{requests:,.0f} requests per month" in out


def test_a_missing_price_is_named_and_no_total_is_printed(tmp_path: Path) -> None:
    prices = {**PRICES, "provisioned_concurrency_per_gb_second": None}
    code, out, _ = _run(_write(tmp_path, prices=prices))
    assert code == 0
    assert "total per month" not in out
    assert (
        "total: not computed, missing price figure(s): provisioned_concurrency_per_gb_second" in out
    )
    assert "n/a: price missing (provisioned_concurrency_per_gb_second)" in out
    assert "provisioned_concurrency_per_gb_second: MISSING (null)" in out
    # The rest is still priced.
    assert f"{7 * 3600 * (730 / 168) * 2 * 0.00002:,.2f}..{_money(0)}" in out  # up to 0 at 4


def test_every_figure_prints_its_source_and_date(tmp_path: Path) -> None:
    _, out, _ = _run(_write(tmp_path))
    assert f"prices: {tmp_path / 'prices.json'}, region us-east-1, USD" in out
    for name, value in PRICES.items():
        assert f"{name}: {value:g} USD; source {SOURCE}, read 2026-11-30" in out
    assert "assumptions:" in out
    assert "mean duration 1000 ms" in out


@pytest.mark.parametrize(
    ("traffic", "message"),
    [
        (
            {**TRAFFIC, "mean_duration_ms": -5},
            "environments.prod.mean_duration_ms=-5 is not allowed; use a number above 0",
        ),
        (
            {**TRAFFIC, "requests_per_hour_of_day": [1, 2]},
            "environments.prod.requests_per_hour_of_day=[1, 2] is not allowed; use a list of 24",
        ),
        (
            {**TRAFFIC, "requests_per_month": 5},
            "environments.prod.requests_per_month or requests_per_hour_of_day: set exactly one",
        ),
        (
            {**TRAFFIC, "request_bytes": "big"},
            "environments.prod.request_bytes='big' is not allowed; use a number of at least 0",
        ),
        ({**TRAFFIC, "reqests": 1}, "environments.prod.reqests is not a known field"),
        (
            {**TRAFFIC, "provisioned_hours": [{"concurrency": 0, "hours_per_month": 1}]},
            "environments.prod.provisioned_hours[0].concurrency=0 is not allowed",
        ),
    ],
)
def test_a_bad_traffic_file_names_the_field_and_exits_2(
    tmp_path: Path, traffic: dict[str, Any], message: str
) -> None:
    code, out, err = _run(_write(tmp_path, traffic=traffic))
    assert code == 2
    assert out == ""
    assert err.startswith(f"error: {tmp_path / 'traffic.json'}: ")
    assert message in err


def test_a_schedule_it_cannot_read_asks_for_the_hours(tmp_path: Path) -> None:
    scaling = ProvisionedConcurrencyScaling(
        min_provisioned_concurrency=1,
        max_provisioned_concurrency=2,
        schedules=(
            ScheduledConcurrency(name="r", schedule="rate(2 hours)", min_provisioned_concurrency=2),
        ),
    )
    environment = EnvironmentConfig(
        name="prod",
        memory_size_in_mb=1024,
        max_concurrency=2,
        provisioned_concurrency=1,
        provisioned_concurrency_scaling=scaling,
    )
    code, _, err = _run(_write(tmp_path), environments=(environment,))
    assert code == 2
    assert "schedules[0].schedule='rate(2 hours)' cannot be turned into hours" in err
    assert '"provisioned_hours"' in err
    override = {**TRAFFIC, "provisioned_hours": [{"concurrency": 2, "hours_per_month": 730}]}
    code, out, _ = _run(_write(tmp_path, traffic=override), environments=(environment,))
    assert code == 0
    assert "730.0 h at 2" in out


def test_the_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    args = _write(tmp_path, traffic={**TRAFFIC, "mean_duration_ms": 0})
    result = subprocess.run(
        [sys.executable, "-m", "scripts.cost", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert "environments.prod.mean_duration_ms=0 is not allowed" in result.stderr


def test_the_checked_in_files_cover_every_environment() -> None:
    code, out, err = _run([], environments=ENVIRONMENTS)
    assert (code, err) == (0, "")
    for environment in ENVIRONMENTS:
        assert out.count(f"\n{environment.name}: ") + out.startswith(f"{environment.name}: ") == 1
    assert out.count("prices: cost/prices.json, region us-east-1, USD") == len(ENVIRONMENTS)
    # prod's schedule (stacks/config.py): weekdays 07:00-19:00 UTC at 2, otherwise 1.
    assert "469.3 h at 1, 260.7 h at 2" in out
    prices = json.loads((PROJECT_ROOT / "cost" / "prices.json").read_text())
    for figure in prices["regions"]["us-east-1"]["figures"].values():
        if figure["value"] is None:
            assert "total: not computed" in out


def test_the_chart_is_written_and_deterministic(tmp_path: Path) -> None:
    args = _write(tmp_path)
    first, second = tmp_path / "a" / "cost.png", tmp_path / "b" / "cost.png"
    for path in (first, second):
        code, out, _ = _run([*args, "--chart", str(path)])
        assert code == 0
        assert f"chart: {path}" in out
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()
    assert b"Software" not in first.read_bytes()


def test_the_chart_is_not_drawn_without_its_prices(tmp_path: Path) -> None:
    prices = {**PRICES, "on_demand_inference_per_gb_second": None}
    path = tmp_path / "cost.png"
    code, out, _ = _run([*_write(tmp_path, prices=prices), "--chart", str(path)])
    assert code == 0
    assert "chart: not written, missing price figure(s): on_demand_inference_per_gb_second" in out
    assert not path.exists()
