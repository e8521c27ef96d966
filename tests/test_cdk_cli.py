"""The pinned CDK CLI synthesizes exactly what the in-process tests check, quietly and offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from stacks.config import ENVIRONMENTS
from tests.background import JobResult
from tests.synth import SynthesizedApp

pytestmark = pytest.mark.cli


def test_cli_synth_matches_the_snapshots_in_process_synth(
    project_root: Path, cli_synth_result: JobResult, regional_app: SynthesizedApp
) -> None:
    # `npx cdk synth --quiet` from the venv with no AWS configuration, for the snapshots'
    # account and region, with a pipeline configured too (tests/background.py): the
    # environments' templates are the snapshots' either way.
    assert (project_root / ".venv" / "bin" / "npx").exists(), "run through `make test`"
    result = cli_synth_result
    assert result.returncode == 0, result.stderr
    # jsii's banner for an unsupported Node.js must not appear: the venv's Node 24 is used.
    assert "end-of-life" not in result.stderr
    assert "This software is currently running on" not in result.stderr
    for config in ENVIRONMENTS:
        cli_template = result.directory / "cli.out" / f"{config.stack_name}.template.json"
        assert cli_template.read_text() == regional_app.template_text(config.name), config.name
