"""The deploy, update and destroy through `make deploy` / `make destroy` (scripts/deploy/), and
each of their guards shown refusing, then allowing where an override exists.

Every call is the command a user runs (``python -m scripts.deploy`` / ``scripts.destroy``) with
``--json``, against the moto server, on a cloud assembly the rehearsal synthesized (``--assembly``:
app.py's, or the rehearsal app's with a scenario's context), non-interactive (``--yes``) and with
``--method=direct`` (note ``direct-deploys``). The scenarios' assembly (``synth_guard_scenarios``)
pins staging to another account (a wrong-account deploy) and marks dev as pipeline-owned.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.settings import (
    ACCOUNT_CONTEXT,
    CANNED_PREDICTION,
    DEPLOYED_BY_CONTEXT,
    ENDPOINT_NAME_CONTEXT,
    MEMORY_OVERRIDE_CONTEXT,
    OTHER_ACCOUNT,
    OUTPUT_ENDPOINT_NAME,
    STACK_NAME_PREFIX,
)
from scripts.rehearsal.step_runner import StepRunner

EXIT_REFUSED = 3  # scripts/deploy/errors.py (a test keeps the two equal)
# The smoke test inside `make deploy`: moto's endpoint is InService at once; poll quickly.
SMOKE_ARGS = ("--poll-interval", "1", "--timeout", "60", "--warm-invocations", "1")
# The quota the deploy's preflight uses (moto's Service Quotas has none): far above the app's.
EMULATED_QUOTA = 1000


def environment_of(stack_name: str) -> str:
    return stack_name.removeprefix(f"{STACK_NAME_PREFIX}-")


class GuardSteps(StepRunner):
    """The `make deploy` / `make destroy` calls and the guard scenarios."""

    guard_assembly: Path  # the scenarios' cloud assembly (synth_guard_scenarios)

    def deploy_command(
        self,
        stack_name: str,
        *,
        assembly: Path,
        env: dict[str, str] | None = None,
        cdk_args: tuple[str, ...] = (),
    ) -> tuple[int, dict[str, Any]]:
        """`make deploy ENV=...` on ``assembly``: its exit code and JSON summary."""
        self.server.set_inference_answer(f"{CANNED_PREDICTION}\n")
        self.report.note("canned-inference")
        self.report.note("emulated-quota")
        args = [
            sys.executable, "-m", "scripts.deploy", "--env", environment_of(stack_name),
            "--assembly", str(assembly), "--yes", "--method", "direct",
            "--emulate-quota", str(EMULATED_QUOTA), "--json",
            *(f"--smoke-arg={arg}" for arg in SMOKE_ARGS),
            *(f"--cdk-deploy-arg={arg}" for arg in cdk_args),
        ]  # fmt: skip
        return self.run_json(args, what="make deploy", env=env)

    def destroy_command(self, stack_name: str) -> tuple[int, dict[str, Any]]:
        args = [
            sys.executable, "-m", "scripts.destroy", "--env", environment_of(stack_name),
            "--assembly", str(self.assembly), "--yes", "--json",
        ]  # fmt: skip
        return self.run_json(args, what="make destroy")

    def synth_guard_scenarios(self) -> None:
        self.guard_assembly = self.workdir / "cdk.out.guards"
        with self.step("synth the guard scenarios (staging: other account; dev: pipeline)") as s:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal_app"
            self.runner.cdk(
                "synth", "--quiet", "--app", app,
                "-c", f"{ACCOUNT_CONTEXT}=staging={OTHER_ACCOUNT}",
                "-c", f"{DEPLOYED_BY_CONTEXT}=dev=pipeline",
                "--output", str(self.guard_assembly),
            )  # fmt: skip
            s.detail = f"staging pinned to {OTHER_ACCOUNT}; dev deployed_by='pipeline'"

    def expect_refused(
        self,
        title: str,
        stack_name: str,
        *,
        document: tuple[int, dict[str, Any]],
        says: str,
        unchanged_status: str | None,
    ) -> None:
        """The command exited 3 saying ``says``, and the stack is as before (absent, or in
        ``unchanged_status``)."""
        code, summary = document
        error = str(summary.get("error", ""))
        if code != EXIT_REFUSED or says not in error:
            raise RehearsalFailedError(
                f"{title}: expected exit {EXIT_REFUSED} saying {says!r}; got exit {code}: "
                f"{error[:400]}"
            )
        status = self._status(stack_name)
        if status != unchanged_status:
            raise RehearsalFailedError(
                f"{title}: {stack_name} is {status} after the refusal (was {unchanged_status})"
            )
        self.report.guards[title] = {"exit_code": code, "error": error}
        self.say(f"    refused as expected: {error.splitlines()[0]}")

    def _status(self, stack_name: str) -> str | None:
        stacks = self.cloudformation.list_stacks()["StackSummaries"]
        live = [
            s["StackStatus"]
            for s in stacks
            if s["StackName"] == stack_name and s["StackStatus"] != "DELETE_COMPLETE"
        ]
        return live[0] if live else None

    def wrong_account_refused(self, stack_name: str) -> None:
        with self.step(f"make deploy {stack_name} with another account: refused") as step:
            result = self.deploy_command(stack_name, assembly=self.guard_assembly)
            self.expect_refused(
                "wrong-account",
                stack_name,
                document=result,
                says=f"deploys to account {OTHER_ACCOUNT}",
                unchanged_status=None,
            )
            step.detail = f"exit 3: account {OTHER_ACCOUNT} configured, caller's is moto's"

    def pipeline_owned_refused(self, stack_name: str) -> None:
        with self.step(f"make deploy {stack_name} (pipeline-owned): refused") as step:
            result = self.deploy_command(stack_name, assembly=self.guard_assembly)
            self.expect_refused(
                "pipeline-owned",
                stack_name,
                document=result,
                says="deployed only by the pipeline",
                unchanged_status=None,
            )
            step.detail = "exit 3; allowed next with ALLOW_PIPELINE_ENV=1"

    def destroy_protected_refused(self, stack_name: str) -> None:
        """`make destroy` of a protected stack is refused with the command that lifts it; the
        rehearsal then makes that call (its API equivalent), as a user would."""
        with self.step(f"make destroy {stack_name} (termination protection): refused") as step:
            described = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            if described.get("EnableTerminationProtection") is not True:
                raise RehearsalFailedError(f"{stack_name} was deployed without protection")
            self.expect_refused(
                "termination-protected",
                stack_name,
                document=self.destroy_command(stack_name),
                says=(
                    "aws cloudformation update-termination-protection "
                    f"--no-enable-termination-protection --stack-name {stack_name}"
                ),
                unchanged_status=described["StackStatus"],
            )
            self.cloudformation.update_termination_protection(
                StackName=stack_name, EnableTerminationProtection=False
            )
            self.note_emulator_patches()
            step.detail = "exit 3 with the command to lift it; protection then lifted"

    def replacement_refused_then_allowed(
        self, stack_name: str, *, memory: int, bootstrap_args: tuple[str, ...]
    ) -> None:
        """A new EndpointName (the update's memory size kept): `make deploy` refuses the
        Endpoint replacement, then deploys it with ALLOW_REPLACEMENT=1."""
        environment = environment_of(stack_name)
        old_name = self.endpoint_names[stack_name]
        new_name = f"{old_name[:55]}-renamed"
        assembly = self.workdir / "cdk.out.replacement"
        with self.step(f"make deploy {stack_name} replacing the endpoint: refused") as step:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal_app"
            self.runner.cdk(
                "synth", "--quiet", "--app", app,
                "-c", f"{MEMORY_OVERRIDE_CONTEXT}={environment}={memory}",
                "-c", f"{ENDPOINT_NAME_CONTEXT}={environment}={new_name}",
                "--output", str(assembly),
            )  # fmt: skip
            status = self._status(stack_name)
            self.expect_refused(
                "endpoint-replacement",
                stack_name,
                document=self.deploy_command(stack_name, assembly=assembly),
                says="would replace or delete the endpoint",
                unchanged_status=status,
            )
            step.detail = f"exit 3: EndpointName {old_name} -> {new_name} replaces the endpoint"
        with self.step(
            f"make deploy {stack_name} replacing the endpoint: ALLOW_REPLACEMENT=1"
        ) as step:
            code, summary = self.deploy_command(
                stack_name,
                assembly=assembly,
                env={"ALLOW_REPLACEMENT": "1"},
                cdk_args=bootstrap_args,
            )
            if code != 0:
                raise RehearsalFailedError(
                    f"make deploy with ALLOW_REPLACEMENT=1 exited with {code}: "
                    f"{summary.get('error')}"
                )
            self.note_emulator_patches()
            stack = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            if outputs.get(OUTPUT_ENDPOINT_NAME) != new_name:
                raise RehearsalFailedError(f"{stack_name} outputs {outputs} after the rename")
            endpoint = self.sagemaker.describe_endpoint(EndpointName=new_name)
            self.endpoint_names[stack_name] = new_name
            self.report.guards["endpoint-replacement-allowed"] = {
                "exit_code": code,
                "facts": summary.get("facts", []),
            }
            step.detail = (
                f"{stack['StackStatus']}; endpoint {new_name} {endpoint['EndpointStatus']}"
            )
