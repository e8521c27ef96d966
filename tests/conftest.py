"""Session fixtures: each app variant is synthesized once per test session, not once per test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from stacks.node_runtime import use_project_node

use_project_node()  # before anything imports aws_cdk: no Node.js end-of-life banner
# One OpenMP thread for XGBoost, as the container sets it (serving.py:46-60): OpenMP threads that
# spin while the background jobs hold the other core made in-process predictions 5x slower.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

from tests.background import JOBS, BackgroundJob, JobResult  # noqa: E402
from tests.snapshot_hint import (  # noqa: E402, F401 (hooks: pytest finds them here)
    pytest_runtest_makereport,
    pytest_terminal_summary,
)
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
def botocore_models_read_once() -> Iterator[None]:
    """botocore parses its service-model JSON anew for every session (about 0.1 s per client);
    each smoke-script run in a test makes a new session. Parse each file once per test process.
    botocore already shares these objects between the clients of one session, unmodified.
    """
    from botocore.loaders import JSONFileLoader

    original = JSONFileLoader.load_file
    parsed: dict[str, Any] = {}

    def load_file(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in parsed:
            parsed[file_path] = original(self, file_path)
        return parsed[file_path]

    JSONFileLoader.load_file = load_file
    yield
    JSONFileLoader.load_file = original


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, botocore_models_read_once: None) -> Iterator[None]:
    """moto's in-process AWS in us-east-1, with dummy credentials and none of the user's setup."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        yield


@pytest.fixture(scope="session")
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def pipeline_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedPipeline:
    """The app with the README's example pipeline configured (what `make synth-pipeline` does)."""
    return synthesize_pipeline(tmp_path_factory.mktemp("pipeline"))


# --- slow subprocess checks, started in the background (tests/background.py) -------------------

_background_jobs = pytest.StashKey[dict[str, BackgroundJob]]()


@pytest.hookimpl(trylast=True)  # after -m / -k deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    jobs = config.stash.setdefault(_background_jobs, {})
    if config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        return

    def background_fixtures(item: pytest.Item) -> set[str]:
        return {name for name in getattr(item, "fixturenames", ()) if name in JOBS}

    wanted = set().union(*(background_fixtures(item) for item in items))
    for name in sorted(wanted, key=list(JOBS).index):  # the longest job first
        jobs[name] = BackgroundJob(name)
    # The tests that wait for a job run last, so that the rest runs while the jobs do.
    items.sort(key=lambda item: bool(background_fixtures(item)))


def pytest_unconfigure(config: pytest.Config) -> None:
    for job in config.stash.get(_background_jobs, {}).values():
        job.stop()


def _job_result(config: pytest.Config, name: str) -> JobResult:
    jobs = config.stash.setdefault(_background_jobs, {})
    if name not in jobs:  # not started at collection (e.g. under xdist): start it now
        jobs[name] = BackgroundJob(name)
    return jobs[name].result()


@pytest.fixture(scope="session")
def rehearsal_result(pytestconfig: pytest.Config) -> JobResult:
    """`python -m scripts.rehearse --json`: the end-to-end deploy rehearsal against moto."""
    return _job_result(pytestconfig, "rehearsal_result")


@pytest.fixture(scope="session")
def cli_synth_result(pytestconfig: pytest.Config) -> JobResult:
    """`npx cdk synth --quiet` with no AWS configuration, the snapshots' account and region, and
    the README's example pipeline context."""
    return _job_result(pytestconfig, "cli_synth_result")


@pytest.fixture
def repaired_moto() -> Iterator[None]:
    """moto with the rehearsal's endpoint repairs (scripts/rehearsal/moto_repairs.py)."""
    from scripts.rehearsal import moto_repairs

    moto_repairs.install()
    yield
    moto_repairs.uninstall()
