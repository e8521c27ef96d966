"""The step runner: the state the steps share, and each step numbered, timed and reported.

The steps themselves are methods of the classes in cdk_steps.py, smoke_steps.py and
update_steps.py, which all build on ``StepRunner``; sequence.py puts them in order.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from scripts._progress import Heartbeat, format_elapsed
from scripts.rehearsal.assembly import StackArtifact
from scripts.rehearsal.commands import CommandRunner, tail
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.moto_server import MotoServer
from scripts.rehearsal.report import Report, StepResult


class StepRunner:
    """What every step can use: ``self.step(name)``, ``self.say``, the report, the moto server,
    the command runner, boto3 clients for the server, and what earlier steps found out."""

    # Set by Rehearsal.run() before the steps that use them.
    workdir: Path  # the temporary directory: logs/, home/, the cloud assemblies
    server: MotoServer
    runner: CommandRunner  # runs the CDK CLI and the scripts against the server
    cloudformation: Any  # boto3 clients, pointed at the server
    sagemaker: Any
    autoscaling: Any  # application-autoscaling
    assembly: Path  # the cloud assembly of app.py (`cdk synth --output`)

    def __init__(self, options: argparse.Namespace, report: Report) -> None:
        self.options = options
        self.report = report
        self.step_count = 0
        self.started = time.monotonic()  # each step's header says how long the rehearsal has run
        self.stacks: dict[str, StackArtifact] = {}  # app.py's stacks, by name, in deploy order
        self.endpoint_names: dict[str, str] = {}  # by stack name, from its EndpointName output

    def say(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[StepResult]:
        self.step_count += 1
        at = format_elapsed(time.monotonic() - self.started)
        self.say(f"==> [{self.step_count}] {name} (at {at})")
        result = StepResult(name=name, ok=False, seconds=0.0)
        started = time.monotonic()
        # A deploy or a smoke test can take a while: say so every few seconds, never silent.
        heartbeat = Heartbeat(
            lambda seconds: self.say(f"    ... {name} ({format_elapsed(seconds)})")
        )
        try:
            with heartbeat:
                yield result
            result.ok = True
        finally:
            result.seconds = round(time.monotonic() - started, 1)
            self.report.steps.append(result)
            detail = f" - {result.detail}" if result.detail else ""
            self.say(f"    {'ok' if result.ok else 'FAILED'} ({result.seconds:.1f}s){detail}")

    def run_json(
        self, args: list[str], *, what: str, env: dict[str, str] | None = None
    ) -> tuple[int, dict[str, Any]]:
        """Run a script that prints a JSON report (``--json``): its exit code and last report."""
        result = self.runner.run(args, check=False, env=env)
        reports = [line for line in result.output.splitlines() if line.startswith("{")]
        try:
            document: dict[str, Any] = json.loads(reports[-1])
        except (IndexError, json.JSONDecodeError):
            raise RehearsalFailedError(
                f"{what} printed no report (exit {result.returncode}):\n{tail(result.output)}"
            ) from None
        return result.returncode, document

    def note_emulator_patches(self) -> None:
        """Note each patch of the moto server (moto_patches.PATCHES) that has acted so far."""
        for key, details in self.server.patches_seen().items():
            self.report.note(key)
            for detail in details:
                self.report.note(key, detail)
