"""Session fixtures: each app variant is synthesized once per test session, not once per test."""

from __future__ import annotations

from pathlib import Path

from stacks.node_runtime import use_project_node

use_project_node()  # before anything imports aws_cdk: no Node.js end-of-life banner

import pytest  # noqa: E402

from tests.synth import (  # noqa: E402
    SNAPSHOT_ENVIRON,
    SynthesizedApp,
    SynthesizedPipeline,
    synthesize,
    synthesize_pipeline,
)


@pytest.fixture(scope="session")
def regional_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The app as deployed to a known account and region (what the snapshots show)."""
    return synthesize(tmp_path_factory.mktemp("regional"), SNAPSHOT_ENVIRON)


@pytest.fixture(scope="session")
def agnostic_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The app with no account or region known at synth (environment-agnostic stacks)."""
    return synthesize(tmp_path_factory.mktemp("agnostic"), {})


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pipeline_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedPipeline:
    """The app with the README's example pipeline configured (what `make synth-pipeline` does)."""
    return synthesize_pipeline(tmp_path_factory.mktemp("pipeline"))
