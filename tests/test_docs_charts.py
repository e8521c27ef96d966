"""The README's chart is what ``make cost`` draws from the committed inputs, byte for byte."""

from __future__ import annotations

import io
from pathlib import Path

from scripts.cost.cli import main

PROJECT_ROOT = Path(__file__).resolve().parent.parent
COMMITTED = PROJECT_ROOT / "docs" / "images" / "cost-chart.png"


def test_the_readme_cost_chart_matches_the_committed_inputs(tmp_path: Path) -> None:
    fresh = tmp_path / "cost-chart.png"
    out = io.StringIO()
    assert main(["--env", "dev", "--chart", str(fresh)], out=out, err=io.StringIO()) == 0
    assert fresh.read_bytes() == COMMITTED.read_bytes(), (
        "docs/images/cost-chart.png is not what make cost draws from stacks/config.py, "
        "cost/traffic.json and cost/prices.json: run `make docs-charts`, look at the new "
        "chart, and commit it"
    )


def test_the_readme_shows_the_chart() -> None:
    assert "](docs/images/cost-chart.png)" in (PROJECT_ROOT / "README.md").read_text()
