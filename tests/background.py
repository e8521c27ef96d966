"""Slow subprocess checks started in the background as soon as collection selects them.

The deploy rehearsal (about 30 s) and the CLI syntheses (about 5 s each) mostly wait on Node.js
and the moto server. conftest.py starts each job whose result fixture a selected test requests,
right after collection, so they run beside the in-process tests on the second core instead of
after them; the tests then only wait for the results.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.synth import PIPELINE_EXAMPLE_CONTEXT, SNAPSHOT_ENVIRON

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = PROJECT_ROOT / ".venv" / "bin"
TIMEOUT_SECONDS = 600
BACKGROUND_NICENESS = 10
# While a test waits for a job, the terminal hears from it this often (no silent minutes at the
# end of `make test` while the rehearsal finishes).
WAIT_REPORT_SECONDS = 10.0


@dataclass(frozen=True)
class JobResult:
    """A finished job: exit status, output, and its working directory (kept until teardown)."""

    returncode: int
    stdout: str
    stderr: str
    directory: Path


@dataclass(frozen=True)
class JobSpec:
    command: tuple[str, ...]
    env: Mapping[str, str]


def _offline_cli_env(directory: Path) -> dict[str, str]:
    """The environment of a laptop with the venv first and no AWS configuration at all."""
    env = {
        **os.environ,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(directory / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(directory / "no-credentials"),
    }
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "CDK_DEFAULT_ACCOUNT",
    ):
        env.pop(name, None)
    return env


def _rehearsal(directory: Path) -> JobSpec:
    return JobSpec(command=(sys.executable, "-m", "scripts.rehearse", "--json"), env=os.environ)


def _cli_synth(directory: Path) -> JobSpec:
    # One CLI synth serves two checks: the environments' templates for the snapshots' account
    # and region (the CLI takes the region from AWS_REGION and passes CDK_DEFAULT_ACCOUNT
    # through), and the pipeline from the README's example context (`make synth-pipeline`).
    # The environments' templates must not depend on whether a pipeline is configured.
    env = _offline_cli_env(directory) | {
        "AWS_REGION": SNAPSHOT_ENVIRON["CDK_DEFAULT_REGION"],
        "CDK_DEFAULT_ACCOUNT": SNAPSHOT_ENVIRON["CDK_DEFAULT_ACCOUNT"],
    }
    context = [arg for k, v in PIPELINE_EXAMPLE_CONTEXT.items() for arg in ("-c", f"{k}={v}")]
    command = (str(BIN / "npx"), "--no-install", "cdk", "synth", "--quiet")
    return JobSpec(command=(*command, "--output", str(directory / "cli.out"), *context), env=env)


# Result fixture name -> the job behind it.
JOBS: dict[str, Callable[[Path], JobSpec]] = {
    "rehearsal_result": _rehearsal,
    "cli_synth_result": _cli_synth,
}


def _lower_priority() -> None:
    os.nice(BACKGROUND_NICENESS)


class BackgroundJob:
    def __init__(self, name: str) -> None:
        self.name = name
        self.workdir = tempfile.TemporaryDirectory(prefix=f"{name}-")
        self.directory = Path(self.workdir.name)
        spec = JOBS[name](self.directory)
        self.started = time.monotonic()
        self.stdout_path = self.directory / "stdout"
        self.stderr_path = self.directory / "stderr"
        with self.stdout_path.open("w") as stdout, self.stderr_path.open("w") as stderr:
            # Its own process group, so that an interrupted session stops its children too; a
            # lower CPU priority, so that the in-process tests (the longer path) are not slowed.
            self.process = subprocess.Popen(
                spec.command,
                cwd=PROJECT_ROOT,
                env=dict(spec.env),
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
                preexec_fn=_lower_priority,  # noqa: PLW1509 (no threads started yet)
            )

    def result(self) -> JobResult:
        deadline = self.started + TIMEOUT_SECONDS
        while True:
            try:
                returncode = self.process.wait(
                    timeout=max(0.0, min(WAIT_REPORT_SECONDS, deadline - time.monotonic()))
                )
                break
            except subprocess.TimeoutExpired:
                if time.monotonic() >= deadline:
                    raise
                self._say_still_running()
        return JobResult(
            returncode=returncode,
            stdout=self.stdout_path.read_text(),
            stderr=self.stderr_path.read_text(),
            directory=self.directory,
        )

    def _say_still_running(self) -> None:
        # sys.__stderr__: pytest captures sys.stderr while a test runs.
        lines = [line for line in self.stderr_path.read_text().splitlines() if line.strip()]
        steps = [line.strip() for line in lines if line.lstrip().startswith("==>")]
        last = steps[-1] if steps else (lines[-1].strip() if lines else "no output yet")
        elapsed = time.monotonic() - self.started
        stream = sys.__stderr__
        if stream is not None:
            stream.write(f"\n  ... waiting for {self.name}: {elapsed:.0f} s so far; {last}\n")
            stream.flush()

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                # SIGINT first: the rehearsal stops its moto server on it.
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.workdir.cleanup()
