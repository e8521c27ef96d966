"""``make destroy ENV=<name>``: say what will be deleted, refuse a protected stack, ask, destroy,
then confirm that the endpoint, its endpoint configs and its models are gone.

Steps: credentials; synth (the stack's facts; ``cdk destroy`` runs on the same assembly);
account; owner; stack state and termination protection; what will be deleted; confirmation (the
environment's name typed, unless --yes); ``cdk destroy --force``; gone (CloudFormation and
SageMaker describe calls for every SageMaker resource the stack held).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.deploy.deploy import checked_target
from scripts.deploy.errors import FailedError, RefusedError
from scripts.deploy.guards import (
    check_stack_state,
    check_termination_protection,
    error_code,
    error_message,
    stack_state,
)
from scripts.deploy.progress import Progress
from scripts.deploy.runner import Runner, cdk, tail

# The SageMaker resources checked afterwards: type -> (describe call, its name parameter).
SAGEMAKER_CHECKS = {
    "AWS::SageMaker::Endpoint": ("describe_endpoint", "EndpointName"),
    "AWS::SageMaker::EndpointConfig": ("describe_endpoint_config", "EndpointConfigName"),
    "AWS::SageMaker::Model": ("describe_model", "ModelName"),
}


@dataclass(frozen=True, kw_only=True)
class DestroyOptions:
    env: str
    profile: str | None = None
    app: str | None = None
    context: tuple[str, ...] = ()
    yes: bool = False
    allow_pipeline_owned: bool = False
    output: Path | None = None
    assembly: Path | None = None  # a cloud assembly already synthesized (the rehearsal's)


@dataclass(frozen=True)
class StackResource:
    logical_id: str
    resource_type: str
    physical_id: str


def stack_resources(cloudformation: Any, stack_name: str) -> list[StackResource]:
    paginator = cloudformation.get_paginator("list_stack_resources")
    return [
        StackResource(
            str(summary["LogicalResourceId"]),
            str(summary["ResourceType"]),
            str(summary.get("PhysicalResourceId", "")),
        )
        for page in paginator.paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
        if not str(summary.get("ResourceStatus", "")).startswith("DELETE_COMPLETE")
    ]


def deletion_lines(resources: list[StackResource]) -> list[str]:
    """What will be deleted, SageMaker resources first (the endpoint, configs, models)."""
    ordered = sorted(
        resources,
        key=lambda r: (r.resource_type not in SAGEMAKER_CHECKS, r.resource_type, r.logical_id),
    )
    return [f"{r.resource_type:<40} {r.physical_id or r.logical_id}" for r in ordered]


def still_there(sagemaker: Any, resources: list[StackResource]) -> list[str]:
    """The SageMaker resources of ``resources`` that a describe call still finds."""
    from botocore.exceptions import ClientError

    left: list[str] = []
    for resource in resources:
        check = SAGEMAKER_CHECKS.get(resource.resource_type)
        if check is None or not resource.physical_id:
            continue
        call, parameter = check
        try:
            getattr(sagemaker, call)(**{parameter: resource.physical_id})
        except ClientError as error:
            if error_code(error) == "ValidationException" and (
                "not find" in error_message(error) or "does not exist" in error_message(error)
            ):
                continue
            raise FailedError(
                f"sagemaker {call} {resource.physical_id}: {error_message(error)}"
            ) from None
        left.append(f"{resource.resource_type} {resource.physical_id}")
    return left


def ask_terminal(prompt: str) -> str | None:
    """A line typed on the terminal; None when there is no terminal to ask."""
    import sys

    if not sys.stdin.isatty():
        return None
    try:
        return input(prompt)
    except EOFError:
        return None


class Destruction:
    """One ``make destroy``: ``run()`` returns the summary facts or raises a StepError."""

    def __init__(
        self,
        options: DestroyOptions,
        *,
        session: Any,
        runner: Runner,
        progress: Progress,
        ask: Callable[[str], str | None] = ask_terminal,
    ) -> None:
        self.options = options
        self.session = session
        self.runner = runner
        self.progress = progress
        self.ask = ask
        self.facts: list[str] = []

    def run(self) -> list[str]:
        options, progress = self.options, self.progress
        with checked_target(
            options,
            session=self.session,
            runner=self.runner,
            progress=progress,
            lint=None,
            prefix="destroy-",
        ) as target:
            caller, facts, region = target.caller, target.facts, target.region
            cloudformation, output = target.cloudformation, target.output
            with progress.step("stack state and termination protection") as step:
                state = stack_state(cloudformation, facts.stack_name)
                if not state.exists:
                    step.detail = f"{facts.stack_name} does not exist in {caller}/{region}"
                    self.facts.append("nothing to delete: the stack does not exist")
                    return self.facts
                if state.status.endswith("_IN_PROGRESS"):
                    check_stack_state(state, facts.stack_name)
                check_termination_protection(state, stack_name=facts.stack_name, region=region)
                step.detail = f"{state.status}, not termination-protected"
            resources = self._what_goes(cloudformation, facts.stack_name)
            self._confirm(facts.stack_name)
            with progress.step(f"cdk destroy {facts.stack_name}") as step:
                args = ["destroy", facts.stack_name, "--app", str(output), "--force"]
                if options.profile:
                    args += ["--profile", options.profile]
                result = self.runner(cdk(*args), capture=True)
                failure = ""
                if result.returncode != 0:
                    failure = f"cdk destroy exited with {result.returncode}:\n{tail(result.output)}"
                    after = stack_state(cloudformation, facts.stack_name)
                    if after.exists:
                        raise FailedError(f"{failure}\n    the stack is {after.status}")
                step.detail = "cdk destroy finished" if not failure else "the stack is gone"
        self._confirm_gone(cloudformation, facts.stack_name, region, resources)
        if failure:
            # The stack went, yet the CLI saw an error (e.g. a resource it could not delete).
            raise FailedError(f"{failure}\n    (the stack and its SageMaker resources are gone)")
        return self.facts

    def _what_goes(self, cloudformation: Any, stack_name: str) -> list[StackResource]:
        with self.progress.step("what will be deleted") as step:
            resources = stack_resources(cloudformation, stack_name)
            for line in deletion_lines(resources):
                self.progress.say(f"    {line}")
            sagemaker = [r for r in resources if r.resource_type in SAGEMAKER_CHECKS]
            step.detail = f"{len(resources)} resources, {len(sagemaker)} of them SageMaker"
        return resources

    def _confirm(self, stack_name: str) -> None:
        with self.progress.step("confirmation") as step:
            if self.options.yes:
                step.detail = "--yes given"
                return
            answer = self.ask(
                f"Delete {stack_name} and everything listed above? Type the environment's "
                f"name ({self.options.env}) to confirm: "
            )
            if answer is None:
                raise RefusedError(
                    "no terminal to confirm on: run it in a terminal, or pass --yes "
                    "(DESTROY_ARGS=--yes) to delete without asking"
                )
            if answer.strip() != self.options.env:
                raise RefusedError(
                    f"not confirmed (typed {answer.strip()!r}, not {self.options.env!r}); "
                    "nothing was deleted"
                )
            step.detail = "confirmed"

    def _confirm_gone(
        self, cloudformation: Any, stack_name: str, region: str, resources: list[StackResource]
    ) -> None:
        with self.progress.step("confirm it is gone") as step:
            if stack_state(cloudformation, stack_name).exists:
                raise FailedError(f"{stack_name} still exists after cdk destroy")
            sagemaker = self.session.client("sagemaker", region_name=region)
            left = still_there(sagemaker, resources)
            if left:
                raise FailedError("still there after cdk destroy: " + "; ".join(left))
            checked = [r for r in resources if r.resource_type in SAGEMAKER_CHECKS]
            kinds = sorted({r.resource_type.rsplit("::", 1)[1] for r in checked})
            step.detail = (
                f"stack deleted; {len(checked)} SageMaker resources ({', '.join(kinds)}) "
                "no longer found"
            )
            self.facts.append(f"deleted {stack_name} ({len(resources)} resources)")
            self.facts.append(f"confirmed gone: {step.detail}")
