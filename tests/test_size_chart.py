"""``make size``'s chart (scripts/cost/size_chart.py, right_size --chart): written, byte-identical
from the same inputs, cost per million requests by hand, GB-seconds when the price is missing.

The price here is made up for the arithmetic; it is not AWS's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from scripts import right_size
from scripts.cost.prices import RegionPrices, load_prices
from scripts.cost.size_chart import MEMORY_SIZES_MB, SizeChartInput, per_million, write_size_chart
from scripts.right_size import MIB, ProcessMemory
from scripts.smoke import load as smoke_load

MEASURED = SizeChartInput(
    p50_ms=4.0, p95_ms=9.0, concurrency=5, requests=500, required_mb=1500.0, recommended_mb=2048
)


def _prices(tmp_path: Path, value: float | None) -> RegionPrices:
    path = tmp_path / "prices.json"
    figures = {
        name: {"value": value, "source": "https://example.test/made-up", "read_on": "2026-12-01"}
        for name in (
            "on_demand_inference_per_gb_second",
            "provisioned_concurrency_per_gb_second",
            "provisioned_inference_per_gb_second",
            "data_processed_in_per_gb",
            "data_processed_out_per_gb",
        )
    }
    path.write_text(json.dumps({"regions": {"us-east-1": {"currency": "USD", "figures": figures}}}))
    return load_prices(path, region="us-east-1")


def test_cost_per_million_requests_by_hand(tmp_path: Path) -> None:
    points = per_million(p50_ms=4.0, prices=_prices(tmp_path, 0.00002))
    assert points.money
    # 1e6 requests x 0.004 s x 1 GB x 0.00002 = 0.08 USD at 1024 MB; linear in memory.
    assert points.values == pytest.approx([0.08 * mb / 1024 for mb in MEMORY_SIZES_MB])
    assert "USD" in points.label


def test_without_a_price_it_plots_billed_gb_seconds_and_says_so(tmp_path: Path) -> None:
    for prices in (_prices(tmp_path, None), None):
        points = per_million(p50_ms=4.0, prices=prices)
        assert not points.money
        assert points.values == pytest.approx([4000.0 * mb / 1024 for mb in MEMORY_SIZES_MB])
        assert points.label == "billed GB-seconds per million requests (price missing)"


def test_the_chart_is_written_and_byte_identical(tmp_path: Path) -> None:
    prices = _prices(tmp_path, None)
    first, second = tmp_path / "a" / "size.png", tmp_path / "b" / "size.png"
    for path in (first, second):
        write_size_chart(path, measured=MEASURED, prices=prices, title="t")
    assert first.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert first.read_bytes() == second.read_bytes()
    assert b"Software" not in first.read_bytes()
    # A different measurement draws a different picture.
    other = tmp_path / "c" / "size.png"
    write_size_chart(
        other,
        measured=SizeChartInput(**{**MEASURED.__dict__, "p95_ms": 20.0}),
        prices=prices,
        title="t",
    )
    assert other.read_bytes() != first.read_bytes()


def test_right_size_writes_the_chart_from_its_measurement(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    load = smoke_load.summarize_load(
        [smoke_load.RequestResult(0, 0, 0.004, smoke_load.OK)], concurrency=1, wall_seconds=0.004
    )
    measured = right_size.Measurement(
        model="model.tar.gz",
        artifact=right_size.ArtifactSizes(compressed_bytes=MIB, uncompressed_bytes=MIB),
        payload="x",
        payload_rows=1,
        payload_bytes=1,
        idle=ProcessMemory(rss_bytes=100 * MIB, peak_bytes=100 * MIB),
        after_load=ProcessMemory(rss_bytes=100 * MIB, peak_bytes=120 * MIB),
        load=load,
    )

    def fake_measure(_options: argparse.Namespace) -> right_size.Measurement:
        return measured

    monkeypatch.setattr(right_size, "measure", fake_measure)
    chart = tmp_path / "size.png"
    _prices(tmp_path, None)
    null_prices = ["--prices", str(tmp_path / "prices.json")]
    assert right_size.main(["--chart", str(chart), *null_prices]) == 0
    out = capsys.readouterr().out
    assert f"chart: {chart} (cost per million requests in billed GB-seconds, price missing)" in out
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    _prices(tmp_path, 0.00002)
    assert right_size.main(["--chart", str(chart), *null_prices]) == 0
    assert f"chart: {chart} (cost per million requests in money)" in capsys.readouterr().out

    bad = tmp_path / "bad.json"
    bad.write_text("{")
    assert right_size.main(["--chart", str(chart), "--prices", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: --prices: ")
    assert "is not valid JSON" in err
    assert "Traceback" not in err
