"""One snapshot file per environment and one for the pipeline: the templates a reviewer reads.

After a deliberate infrastructure change, run `make snapshot-update` and commit the new files.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from stacks.config import ENVIRONMENTS
from tests.synth import SynthesizedApp


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


@pytest.mark.parametrize("environment", [*(config.name for config in ENVIRONMENTS), "pipeline"])
def test_template_snapshot(
    request: pytest.FixtureRequest, snapshot_json: SnapshotAssertion, environment: str
) -> None:
    template: dict[str, Any]
    if environment == "pipeline":  # the README's example pipeline (`make synth-pipeline`)
        template = request.getfixturevalue("pipeline_app").template()
    else:
        regional_app: SynthesizedApp = request.getfixturevalue("regional_app")
        template = json.loads(regional_app.template_text(environment))
    assert template == snapshot_json
