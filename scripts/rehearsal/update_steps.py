"""The update steps: one environment's memory size changed, planned, then applied.

The new templates come from the update's app (update_app.py, run as the CDK app
``python -m scripts.rehearsal_app``). The plan (scripts/update_plan.py) uses the CDK CLI's own
replacement rules and follows references as CloudFormation does; it must agree with ``cdk diff``
wherever ``cdk diff`` shows a change, and warns loudly if the endpoint itself would be replaced.
The update is applied through `make deploy` (guard_steps.py). The applied update must reach
UPDATE_COMPLETE with new physical resources exactly where the plan said "replace" and every
EndpointConfig carrying the new memory size (checks.py).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from scripts.rehearsal.assembly import next_memory_size, read_assembly, serverless_memory_sizes
from scripts.rehearsal.checks import check_deployed_stack, check_update_applied, stack_physical_ids
from scripts.rehearsal.errors import RehearsalFailedError, UsageError
from scripts.rehearsal.guard_steps import GuardSteps
from scripts.rehearsal.settings import MEMORY_OVERRIDE_CONTEXT
from scripts.update_plan import (
    SPEC_DATABASE,
    Action,
    ReplacementRules,
    UpdatePlan,
    disagreements_with_cli,
    parse_cdk_diff,
    plan_update,
)


class UpdateSteps(GuardSteps):
    """plan_update, apply_update (and show_plan, the plan as the step prints it)."""

    updated_assembly: Path  # the update's cloud assembly, from plan_update to apply_update

    def plan_update(
        self, stack_name: str, environment: str | None = None, *, main: bool = True
    ) -> tuple[UpdatePlan, dict[str, Any], int]:
        """Plan the memory change of ``environment`` (default: --update-environment, with
        --update-memory); ``main``: the run's update (report.plan), else one more (the scaling
        step's, one memory size up, in its own cloud assembly)."""
        environment = environment or self.options.update_environment
        current = serverless_memory_sizes(self.stacks[stack_name].template)
        if len(current) != 1:
            raise RehearsalFailedError(
                f"{stack_name}: expected one serverless memory size, found {sorted(current)}"
            )
        memory_from = current.pop()
        memory_to = (main and self.options.update_memory) or next_memory_size(memory_from)
        self.updated_assembly = self.workdir / f"cdk.out.update-{environment}"
        with self.step(f"plan update {stack_name}: {memory_from} -> {memory_to} MB") as step:
            app = f"{shlex.quote(sys.executable)} -m scripts.rehearsal_app"
            override = f"{MEMORY_OVERRIDE_CONTEXT}={environment}={memory_to}"
            self.runner.cdk(
                "synth", "--quiet", "--app", app, "-c", override,
                "--output", str(self.updated_assembly),
            )  # fmt: skip
            new_template = read_assembly(self.updated_assembly)[stack_name].template
            if serverless_memory_sizes(new_template) != {memory_to}:
                raise RehearsalFailedError(f"the rehearsal app did not set {memory_to} MB")
            diff = self.runner.cdk(
                "diff", stack_name, "--app", str(self.updated_assembly), "--method=template"
            )
            self.report.note("template-diff")
            deployed = self.cloudformation.get_template(StackName=stack_name)["TemplateBody"]
            if isinstance(deployed, str):
                deployed = json.loads(deployed)
            plan = plan_update(deployed, new_template, load_rules())
            self.show_plan(plan, diff.output)
            problems = disagreements_with_cli(plan, parse_cdk_diff(diff.output))
            if problems:
                raise RehearsalFailedError("plan and cdk diff disagree: " + "; ".join(problems))
            if not plan.changes:
                raise RehearsalFailedError(f"the memory change does not change {stack_name}")
            planned = {
                "stack": stack_name,
                "memory_from": memory_from,
                "memory_to": memory_to,
                "changes": plan.to_json(),
                "endpoint_downtime": [change.logical_id for change in plan.endpoint_downtime],
            }
            if main:
                self.report.plan = planned
            else:
                self.report.scaling.setdefault(stack_name, {})["update"] = planned
            replaced = ", ".join(c.logical_id for c in plan.replaced) or "none"
            modified = ", ".join(c.logical_id for c in plan.with_action(Action.MODIFY)) or "none"
            step.detail = f"replace: {replaced}; modify in place: {modified}"
            if plan.endpoint_downtime:
                step.detail += "; WARNING: the endpoint is replaced (downtime)"
        return plan, new_template, memory_to

    def apply_update(
        self, stack_name: str, plan: UpdatePlan, template: dict[str, Any], memory: int
    ) -> None:
        with self.step(f"apply update {stack_name}") as step:
            ids_before = stack_physical_ids(self.cloudformation, stack_name)
            parameters = self.bootstrap_args(template)
            code, summary = self.deploy_command(
                stack_name, assembly=self.updated_assembly, cdk_args=parameters
            )
            if code != 0:
                raise RehearsalFailedError(
                    f"make deploy {stack_name} (update) exited with {code}: {summary.get('error')}"
                )
            check_deployed_stack(
                self.cloudformation,
                stack_name=stack_name,
                template=template,
                not_emulated_types=self.server.not_emulated_types(),
                expected_status="UPDATE_COMPLETE",
                report=self.report,
            )
            verified = check_update_applied(
                self.cloudformation,
                self.sagemaker,
                stack_name=stack_name,
                template=template,
                plan=plan,
                ids_before=ids_before,
                memory_size_in_mb=memory,
                endpoint_name=self.endpoint_names[stack_name],
                not_emulated_types=self.server.not_emulated_types(),
                report=self.report,
            )
            step.detail = "UPDATE_COMPLETE; " + "; ".join(verified)

    def bootstrap_args(self, template: dict[str, Any]) -> tuple[str, ...]:
        """`cdk deploy` arguments a direct update needs in moto (note bootstrap-parameter)."""
        bootstrap_parameter = (template.get("Parameters") or {}).get("BootstrapVersion")
        if not bootstrap_parameter:
            return ()
        self.report.note("bootstrap-parameter")
        return ("--parameters", f"BootstrapVersion={bootstrap_parameter['Default']}")

    def show_plan(self, plan: UpdatePlan, cli_diff: str) -> None:
        self.say("    cdk diff:")
        for line in cli_diff.strip().splitlines():
            if line.strip() and not line.startswith(("start:", "success:", "✨")):
                self.say(f"      | {line}")
        self.say("    plan (CloudFormation semantics; references to replaced resources followed):")
        for action in (
            Action.REPLACE,
            Action.MAY_REPLACE,
            Action.REMOVE,
            Action.ADD,
            Action.MODIFY,
        ):
            for change in plan.with_action(action):
                reasons = f"  ({'; '.join(change.reasons)})" if change.reasons else ""
                self.say(
                    f"      {action.value:<11} {change.resource_type:<32} {change.logical_id}"
                    f"{reasons}"
                )
        for change in plan.endpoint_downtime:
            banner = "!" * 78
            self.say(
                f"\n    {banner}\n    !!! WARNING: {change.resource_type} {change.logical_id} "
                f"would be {change.action.value.upper()}:\n    !!! the endpoint is deleted and "
                f"created anew and does not answer in between (downtime).\n    {banner}"
            )
        if not plan.endpoint_downtime:
            self.say("    the endpoint itself is updated in place: no downtime")


def load_rules() -> ReplacementRules:
    try:
        return ReplacementRules.from_spec_database()
    except OSError as error:
        raise UsageError(f"{SPEC_DATABASE}: {error.strerror}; run `make setup`") from None
