"""The benchmark script's plumbing (its figures are measured by `make bench`, never asserted)."""

from __future__ import annotations

import pytest

from scripts import bench


def test_unknown_section_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--only", "synth,warp"]) == 2
    assert "unknown section(s) warp" in capsys.readouterr().err


def test_runs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench.main(["--runs", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err


def test_rows_report_median_spread_and_a_missed_target() -> None:
    row = bench.Row("synth ratio", "x", (1.2, 1.5, 1.4), target="<= 1.3", met=False)
    assert row.median == 1.4
    line = bench._format_row(row)
    assert "1.40 x" in line
    assert "min       1.2  max       1.5" in line
    assert "(n=3)" in line
    assert line.endswith("target <= 1.3  MISSED")


def test_server_section_prints_its_rows_with_targets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real spawn with few requests: the rows and targets are checked, never the figures.
    monkeypatch.setattr(bench, "SERVER_WARMUP_REQUESTS", 1)
    monkeypatch.setattr(bench, "SERVER_REQUESTS", 5)
    assert bench.main(["--only", "server", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "server: cold start, spawn to first /ping 200" in out
    assert "target <= 1000" in out
    for label in ("1 row", f"{bench.SERVER_BATCH_ROWS} rows"):
        assert f"server: {label}: p50 (keep-alive, http.client)" in out
        assert f"server: {label}: p99" in out
        assert f"in-process: {label}: p50 (DMatrix + Booster.predict)" in out
        assert f"server: {label}: overhead p50 (server - in-process)" in out
    overhead_line = next(line for line in out.splitlines() if "1 row: overhead" in line)
    assert "target <= 1" in overhead_line
    assert "server: peak RSS (VmHWM) after the requests" in out
