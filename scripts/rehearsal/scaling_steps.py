"""The scaling steps: prod's scalable target is registered, and survives an update of its config.

The construct keys the scalable target by endpoint and variant names and makes it depend on the
endpoint only (constructs/src/sagemaker_serverless/scaling.py), so an update that replaces the
EndpointConfig must leave it registered and unchanged. moto has no Application Auto Scaling in its
CloudFormation: the rehearsal's moto server emulates it in moto's own backend (note
``autoscaling-emulated``; moto_autoscaling.py), and these steps read it back with the
``application-autoscaling`` API:

- after the deploy of each stack with a scalable target: target (ResourceId, dimension, min/max),
  scheduled actions and target-tracking policy are registered as the template says;
- the update: the run's own update if it is of that stack (--update-environment), else one more
  update of the stack's memory (plan, then apply, as the run's own); then the same target,
  schedules and policy (ARNs and creation times too), with the endpoint on the new config;
- after the destroys: nothing is left in Application Auto Scaling (check_leftovers).
"""

from __future__ import annotations

import json
from typing import Any

from scripts.rehearsal.assembly import resources_of_type
from scripts.rehearsal.checks import (
    SCALABLE_TARGET_TYPE,
    check_scaling_registered,
    check_scaling_unchanged,
    describe_scaling,
)
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.update_steps import UpdateSteps

EMULATED = "emulated: moto's Application Auto Scaling via the rehearsal's CloudFormation types"


class ScalingSteps(UpdateSteps):
    """scaling_registered (after a deploy), scaling_survives_update (after the run's update)."""

    def scaled_stacks(self) -> list[str]:
        return [
            name
            for name, stack in self.stacks.items()
            if resources_of_type(stack.template, SCALABLE_TARGET_TYPE)
        ]

    def scaling_registered(self, stack_name: str) -> None:
        with self.step(f"scaling registered {stack_name}") as step:
            self.note_emulator_patches()
            registered = check_scaling_registered(
                self.autoscaling, stack_name=stack_name, template=self.stacks[stack_name].template
            )
            self.report.scaling.setdefault(stack_name, {})["registered"] = registered
            endpoint = self.endpoint_names[stack_name]
            self.report.scaling[stack_name]["config_before"] = self.sagemaker.describe_endpoint(
                EndpointName=endpoint
            )["EndpointConfigName"]
            step.detail = f"{describe_scaling(registered)} ({EMULATED})"

    def scaling_survives_update(self, stack_name: str, *, updated: bool) -> None:
        """``updated``: the run's own update was of this stack; else update its memory now."""
        if not updated:
            plan, template, memory = self.plan_update(
                stack_name, stack_name.rsplit("-", 1)[1], main=False
            )
            self.apply_update(stack_name, plan, template, memory)
        with self.step(f"scaling unchanged after the update {stack_name}") as step:
            state = self.report.scaling[stack_name]
            after = check_scaling_registered(
                self.autoscaling,
                stack_name=stack_name,
                template=self.cloudformation_template(stack_name),
            )
            check_scaling_unchanged(state["registered"], after, stack_name=stack_name)
            endpoint = self.endpoint_names[stack_name]
            config = self.sagemaker.describe_endpoint(EndpointName=endpoint)["EndpointConfigName"]
            if config == state["config_before"]:
                raise RehearsalFailedError(
                    f"{stack_name}: endpoint {endpoint} is still on {config}: the update did "
                    "not replace its EndpointConfig"
                )
            state["config_after"] = config
            state["unchanged_after_update"] = True
            step.detail = (
                f"endpoint config {state['config_before']} -> {config}; same target, scheduled "
                f"actions and policy ({EMULATED})"
            )

    def cloudformation_template(self, stack_name: str) -> dict[str, Any]:
        body = self.cloudformation.get_template(StackName=stack_name)["TemplateBody"]
        template: dict[str, Any] = json.loads(body) if isinstance(body, str) else body
        return template
