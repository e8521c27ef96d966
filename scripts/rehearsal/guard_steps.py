"""The deploy, update and destroy through `make deploy` / `make destroy` (scripts/deploy/), and
each of their guards shown refusing, then allowing where an override exists.

Every call is the command a user runs (``python -m scripts.deploy`` / ``scripts.destroy``) with
``--json``, against the moto server, on a cloud assembly the rehearsal synthesized (``--assembly``:
app.py's, or the rehearsal app's with a scenario's context), non-interactive (``--yes``) and with
``--method=direct`` (note ``direct-deploys``). One more synth, the scenarios' assembly
(``synth_guard_scenarios``: the rehearsal app with context), pins staging to another account (a
wrong-account deploy) and makes dev pipeline-owned with a new EndpointName (an Endpoint
replacement): dev's deploy from it is refused by the owner guard, then (ALLOW_PIPELINE_ENV=1) by
the replacement guard, then (and ALLOW_REPLACEMENT=1) deployed.
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
    renamed_endpoint: str  # dev's EndpointName in it

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
        dev = f"{STACK_NAME_PREFIX}-dev"
        self.renamed_endpoint = f"{self._template_endpoint_name(dev)[:50]}-renamed"
        with self.step("synth the guard scenarios (staging: other account; dev: pipeline)") as s:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal_app"
            self.runner.cdk(
                "synth", "--quiet", "--app", app,
                "-c", f"{ACCOUNT_CONTEXT}=staging={OTHER_ACCOUNT}",
                "-c", f"{DEPLOYED_BY_CONTEXT}=dev=pipeline",
                "-c", f"{ENDPOINT_NAME_CONTEXT}=dev={self.renamed_endpoint}",
                "--output", str(self.guard_assembly),
            )  # fmt: skip
            s.detail = (
                f"staging pinned to {OTHER_ACCOUNT}; dev deployed_by='pipeline', EndpointName "
                f"{self.renamed_endpoint}"
            )

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

    def pipeline_and_replacement(self, stack_name: str, *, bootstrap_args: tuple[str, ...]) -> None:
        """dev from the scenarios' assembly: refused as pipeline-owned; with ALLOW_PIPELINE_ENV=1
        refused as an Endpoint replacement; with ALLOW_REPLACEMENT=1 too, deployed: a new
        endpoint answers (the deploy's smoke test) and the old one is gone."""
        old_name = self.endpoint_names[stack_name]
        pipeline = {"ALLOW_PIPELINE_ENV": "1"}
        with self.step(f"make deploy {stack_name} (pipeline-owned): refused") as step:
            self.expect_refused(
                "pipeline-owned",
                stack_name,
                document=self.deploy_command(stack_name, assembly=self.guard_assembly),
                says="deployed only by the pipeline",
                unchanged_status=self._status(stack_name),
            )
            step.detail = "exit 3; ALLOW_PIPELINE_ENV=1 next"
        with self.step(
            f"make deploy {stack_name} replacing the endpoint (ALLOW_PIPELINE_ENV=1): refused"
        ) as step:
            self.expect_refused(
                "endpoint-replacement",
                stack_name,
                document=self.deploy_command(
                    stack_name, assembly=self.guard_assembly, env=pipeline
                ),
                says="would replace or delete the endpoint",
                unchanged_status=self._status(stack_name),
            )
            step.detail = (
                f"exit 3: EndpointName -> {self.renamed_endpoint}; ALLOW_REPLACEMENT=1 next"
            )
        with self.step(
            f"make deploy {stack_name} (ALLOW_PIPELINE_ENV=1 ALLOW_REPLACEMENT=1)"
        ) as step:
            code, summary = self.deploy_command(
                stack_name,
                assembly=self.guard_assembly,
                env={**pipeline, "ALLOW_REPLACEMENT": "1"},
                cdk_args=bootstrap_args,
            )
            if code != 0:
                raise RehearsalFailedError(
                    f"make deploy with both overrides exited with {code}: {summary.get('error')}"
                )
            self.note_emulator_patches()
            stack = self.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
            outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
            new_name = outputs.get(OUTPUT_ENDPOINT_NAME, "")
            if new_name in ("", old_name):
                raise RehearsalFailedError(f"{stack_name}: endpoint not replaced ({outputs})")
            endpoint = self.sagemaker.describe_endpoint(EndpointName=new_name)
            if any(e["EndpointName"] == old_name for e in self._endpoints()):
                raise RehearsalFailedError(f"the replaced endpoint {old_name} still exists")
            self.endpoint_names[stack_name] = new_name
            self.report.guards["endpoint-replacement-allowed"] = {
                "exit_code": code,
                "facts": summary.get("facts", []),
            }
            step.detail = (
                f"{stack['StackStatus']}; new endpoint {new_name} {endpoint['EndpointStatus']} "
                f"answered its smoke test; {old_name} deleted"
            )

    def _template_endpoint_name(self, stack_name: str) -> str:
        template = self.stacks[stack_name].template
        names = [
            resource["Properties"]["EndpointName"]
            for resource in template["Resources"].values()
            if resource["Type"] == "AWS::SageMaker::Endpoint"
        ]
        if len(names) != 1 or not isinstance(names[0], str):
            raise RehearsalFailedError(f"{stack_name}: no single literal EndpointName")
        return str(names[0])

    def _endpoints(self) -> list[dict[str, Any]]:
        endpoints: list[dict[str, Any]] = self.sagemaker.list_endpoints()["Endpoints"]
        return endpoints
