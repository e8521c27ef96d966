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
