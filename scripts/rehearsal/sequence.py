"""The rehearsal's steps, in order: ``Rehearsal.run``.

To add a step: write it as a method of the steps class of its concern (cdk_steps.py,
smoke_steps.py, update_steps.py; or a new module with a ``class ...Steps(StepRunner)``, added to
``Rehearsal``'s bases), then call it below at its place in the sequence.
"""

from __future__ import annotations

from pathlib import Path

from scripts.rehearsal.cdk_steps import CdkSteps
from scripts.rehearsal.commands import CommandRunner, cli_environment, tail
from scripts.rehearsal.drift_steps import DriftSteps
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.moto_server import MotoServer
from scripts.rehearsal.preflight_steps import PreflightSteps
from scripts.rehearsal.registry import RegistrySteps
from scripts.rehearsal.scaling_steps import ScalingSteps
from scripts.rehearsal.settings import REGION, STACK_NAME_PREFIX
from scripts.rehearsal.smoke_steps import SmokeSteps
from scripts.rehearsal.update_steps import UpdateSteps


class Rehearsal(
    CdkSteps, SmokeSteps, DriftSteps, PreflightSteps, ScalingSteps, UpdateSteps, RegistrySteps
):
    """The steps, in order; state the later steps need is kept on the instance."""

    def run(self, workdir: Path) -> None:
        self.workdir = workdir
        (workdir / "home").mkdir()
        (workdir / "logs").mkdir()
        with self.step("start moto server") as step:
            self.server = MotoServer(log_path=workdir / "logs" / "moto-server.log").start()
            step.detail = self.server.url
        try:
            self._connect()
            self.synth()
            self.bootstrap()
            self.synth_guard_scenarios()
            self.wrong_account_refused(f"{STACK_NAME_PREFIX}-staging")
            for name in self.stacks:
                self.deploy(name)
                if name in self.scaled_stacks():
                    self.scaling_registered(name)
            for name in self.stacks:
                with self.step(f"smoke test {name}") as step:
                    step.detail = self.smoke(name)
            update_stack = f"{STACK_NAME_PREFIX}-{self.options.update_environment}"
            self.drift_detected(update_stack)
            self.preflight(self.options.update_environment)
            plan, template, memory = self.plan_update(update_stack)
            self.apply_update(update_stack, plan, template, memory)
            with self.step(f"smoke test {update_stack} after the update") as step:
                step.detail = self.smoke(update_stack)
            for name in self.scaled_stacks():
                self.scaling_survives_update(name, updated=name == update_stack)
            # dev: no scaling or alarms read the endpoint's name (the rename leaves them be).
            self.pipeline_and_replacement(
                f"{STACK_NAME_PREFIX}-dev", bootstrap_args=self.bootstrap_args(template)
            )
            self.registry_scenario()  # its own stack, deployed and destroyed (registry.py)
            for name in reversed(self.stacks):
                if self.stacks[name].termination_protection:
                    self.destroy_protected_refused(name)
                self.destroy(name)
            self.check_leftovers()
        except RehearsalFailedError:
            self.say(f"    moto server log (last lines):\n{tail(self.server.log_text(), 8)}")
            raise
        finally:
            self.server.stop()
            # Also a patch that acted only after the last deploy (update, destroy, a later step).
            self.note_emulator_patches()

    def _connect(self) -> None:
        import boto3

        self.runner = CommandRunner(
            env=cli_environment(endpoint_url=self.server.url, home=self.workdir / "home"),
            log_dir=self.workdir / "logs",
            verbose=self.options.verbose,
            say=self.say,
        )
        session = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
        self.cloudformation = session.client("cloudformation", endpoint_url=self.server.url)
        self.sagemaker = session.client("sagemaker", endpoint_url=self.server.url)
        self.autoscaling = session.client("application-autoscaling", endpoint_url=self.server.url)
        self.assembly = self.workdir / "cdk.out"
