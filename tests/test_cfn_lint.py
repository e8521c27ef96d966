"""cfn-lint over every synthesized template: zero errors, warnings and informational findings."""

from __future__ import annotations

from pathlib import Path

import pytest
from cfnlint.api import ManualArgs, lint_file

from stacks.config import ENVIRONMENTS
from tests.synth import SynthesizedApp

# The regional templates are checked in their region; the agnostic ones in a spread of regions.
LINT_REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "cn-north-1", "us-gov-west-1"]


def _findings(template: Path, regions: list[str]) -> list[str]:
    matches = lint_file(template, config=ManualArgs(regions=regions))
    return [f"{match.rule.id} {match.message} ({match.path_string})" for match in matches]


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
def test_regional_template_is_clean(regional_app: SynthesizedApp, environment: str) -> None:
    assert _findings(regional_app.template_path(environment), ["us-east-1"]) == []


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
def test_agnostic_template_is_clean(agnostic_app: SynthesizedApp, environment: str) -> None:
    assert _findings(agnostic_app.template_path(environment), LINT_REGIONS) == []
