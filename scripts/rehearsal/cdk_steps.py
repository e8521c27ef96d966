"""The CDK CLI steps: synth, bootstrap, deploy, destroy, and the check that nothing is left.

synth and bootstrap go through ``self.runner.cdk`` (the pinned CLI on the venv's Node.js, against
the moto server); deploy and destroy through `make deploy` / `make destroy` (guard_steps.py),
which run the same CLI. Each deployed stack must hold every resource and output of its template
(checks.py).
"""

from __future__ import annotations

from scripts.rehearsal.assembly import read_assembly
from scripts.rehearsal.checks import (
    check_deployed_stack,
    check_endpoint_names,
    is_managed_policy_delete_conflict,
    leftover_sagemaker_resources,
    leftover_scalable_targets,
    stack_is_gone,
)
from scripts.rehearsal.errors import RehearsalFailedError, UsageError
from scripts.rehearsal.guard_steps import GuardSteps
from scripts.rehearsal.settings import ACCOUNT, OUTPUT_ENDPOINT_NAME, REGION, STACK_NAME_PREFIX


class CdkSteps(GuardSteps):
    """synth, bootstrap, deploy, destroy, check_leftovers."""

    def synth(self) -> None:
        with self.step("cdk synth (app.py)") as step:
            self.runner.cdk("synth", "--quiet", "--output", str(self.assembly))
            self.stacks = read_assembly(self.assembly)
            if not self.stacks:
                raise RehearsalFailedError("the app has no stacks")
            for stack in self.stacks.values():
                if stack.environment != f"aws://{ACCOUNT}/{REGION}":
                    raise UsageError(
                        f"{stack.stack_name} is pinned to {stack.environment}; the rehearsal "
                        f"deploys to moto's aws://{ACCOUNT}/{REGION} only"
                    )
            step.detail = ", ".join(self.stacks)
        update_stack = f"{STACK_NAME_PREFIX}-{self.options.update_environment}"
        if update_stack not in self.stacks:
            raise UsageError(
                f"--update-environment {self.options.update_environment}: no stack "
                f"{update_stack} (stacks: {', '.join(self.stacks)})"
            )

    def bootstrap(self) -> None:
        with self.step("cdk bootstrap") as step:
            environment = f"aws://{ACCOUNT}/{REGION}"
            self.runner.cdk("bootstrap", environment, "--app", str(self.assembly))
            step.detail = environment

    def deploy(self, name: str) -> None:
        """`make deploy` of ``name`` from app.py's cloud assembly."""
        with self.step(f"deploy {name}") as step:
            code, summary = self.deploy_command(name, assembly=self.assembly)
            if code != 0:
                raise RehearsalFailedError(
                    f"make deploy {name} exited with {code}: {summary.get('error')}"
                )
            self.report.note("direct-deploys")
            self.note_emulator_patches()
            template = self.stacks[name].template
            outputs = check_deployed_stack(
                self.cloudformation,
                stack_name=name,
                template=template,
                not_emulated_types=self.server.not_emulated_types(),
                expected_status="CREATE_COMPLETE",
                report=self.report,
            )
            if OUTPUT_ENDPOINT_NAME not in outputs:
                raise RehearsalFailedError(f"{name} has no {OUTPUT_ENDPOINT_NAME} output")
            endpoint_name = self.endpoint_names[name] = outputs[OUTPUT_ENDPOINT_NAME]
            check_endpoint_names(
                stack_name=name, template=template, endpoint_name=endpoint_name, report=self.report
            )
            steps = len(summary.get("steps", []))
            step.detail = (
                f"CREATE_COMPLETE, endpoint {endpoint_name}; make deploy: {steps} steps incl. "
                "plan, preflight, smoke"
            )

    def destroy(self, name: str) -> None:
        """`make destroy` of ``name``; it confirms the SageMaker resources are gone itself."""
        with self.step(f"destroy {name}") as step:
            code, summary = self.destroy_command(name)
            error = str(summary.get("error") or "")
            if code != 0:
                moto_order = is_managed_policy_delete_conflict(error, self.stacks[name].template)
                if not (moto_order and "resources are gone" in error):
                    raise RehearsalFailedError(f"make destroy {name} exited with {code}: {error}")
                self.report.note("managed-policy-delete-order", name)
            if not stack_is_gone(self.cloudformation, name):
                raise RehearsalFailedError(f"{name} still exists after make destroy")
            gone = [fact for fact in summary.get("facts", []) if fact.startswith("confirmed")]
            step.detail = f"make destroy: exit {code}; " + (gone[0] if gone else "stack deleted")

    def check_leftovers(self) -> None:
        with self.step("check nothing is left behind") as step:
            leftovers = leftover_sagemaker_resources(self.sagemaker)
            scaling = leftover_scalable_targets(self.autoscaling)
            if scaling:
                leftovers["application auto scaling"] = scaling
            if leftovers:
                listed = "; ".join(
                    f"{kind}: {', '.join(names)}" for kind, names in leftovers.items()
                )
                raise RehearsalFailedError(f"left behind after cdk destroy: {listed}")
            step.detail = (
                "no SageMaker model, endpoint config or endpoint; no scalable target, scheduled "
                "action or scaling policy"
            )
