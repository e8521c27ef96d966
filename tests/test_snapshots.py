"""One snapshot file per environment: the full synthesized template a reviewer reads in a PR.

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


@pytest.mark.parametrize("environment", [config.name for config in ENVIRONMENTS])
def test_template_snapshot(
    regional_app: SynthesizedApp, snapshot_json: SnapshotAssertion, environment: str
) -> None:
    template: dict[str, Any] = json.loads(regional_app.template_text(environment))
    assert template == snapshot_json
