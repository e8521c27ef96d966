"""The guards: each one reads AWS (through a boto3 client) or the plan, and refuses with what to do.

Every refusal is a ``RefusedError`` (exit 3) or ``UsageError`` (exit 2) whose message names what
was found, what was expected and the command or override that gets past it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scripts.deploy.errors import FailedError, RefusedError, UsageError
from scripts.update_plan import UpdatePlan

# Credential problems STS reports (the credentials exist but are not accepted).
_CREDENTIALS_REFUSED = {
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "ExpiredToken",
    "ExpiredTokenException",
    "SignatureDoesNotMatch",
    "AccessDenied",
}
_NO_CREDENTIALS_HELP = (
    "configure credentials for the target account first: `aws configure sso` / `aws sso login "
    "--profile NAME` then AWS_PROFILE=NAME (or DEPLOY_ARGS=--profile NAME), or AWS_ACCESS_KEY_ID "
    "and AWS_SECRET_ACCESS_KEY"
)


def error_code(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: BaseException) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", error))


def caller_account(session: Any) -> str:
    """The account of the session's credentials (STS GetCallerIdentity); UsageError if there are
    none or they are refused."""
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    if session.get_credentials() is None:
        raise UsageError(f"no AWS credentials found; {_NO_CREDENTIALS_HELP}")
    try:
        identity = session.client("sts").get_caller_identity()
    except NoCredentialsError:
        raise UsageError(f"no AWS credentials found; {_NO_CREDENTIALS_HELP}") from None
    except ClientError as error:
        if error_code(error) in _CREDENTIALS_REFUSED:
            raise UsageError(
                f"AWS refused the credentials ({error_code(error)}: {error_message(error)}); "
                f"{_NO_CREDENTIALS_HELP}"
            ) from None
        raise FailedError(f"sts get-caller-identity failed: {error_message(error)}") from None
    except BotoCoreError as error:
        raise UsageError(f"cannot ask STS who you are: {error}") from None
    return str(identity["Account"])


def check_account(*, environment: str, configured: str | None, caller: str) -> str:
    """The account to deploy to; RefusedError when the environment is pinned to another one."""
    if configured is None:
        return f"{caller} (the environment pins none: your credentials' account)"
    if configured != caller:
        raise RefusedError(
            f"wrong account: environment {environment!r} deploys to account {configured} "
            f"(stacks/config.py account=), but your credentials are for account {caller}; "
            f"use credentials for {configured} (e.g. AWS_PROFILE=<a profile of {configured}>)"
        )
    return f"{caller} (matches the environment's account)"


def check_owner(*, environment: str, deployed_by: str, allowed: bool) -> str:
    """RefusedError for an environment only the pipeline deploys, unless ``allowed``."""
    if deployed_by != "pipeline":
        return f"deployed_by={deployed_by!r}: laptop deploys allowed"
    if not allowed:
        raise RefusedError(
            f"environment {environment!r} is deployed only by the pipeline "
            "(stacks/config.py deployed_by='pipeline'): merge your change and let the pipeline "
            "deploy it; to deploy from here anyway (an emergency), run again with "
            "ALLOW_PIPELINE_ENV=1 (or --allow-pipeline-owned)"
        )
    return "deployed_by='pipeline', ALLOWED by ALLOW_PIPELINE_ENV=1 / --allow-pipeline-owned"


@dataclass(frozen=True)
class StackState:
    exists: bool
    status: str = ""
    termination_protection: bool = False


def stack_state(cloudformation: Any, stack_name: str) -> StackState:
    """The live stack's status (exists=False when there is none)."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except ClientError as error:
        if error_code(error) == "ValidationError" and "does not exist" in error_message(error):
            return StackState(exists=False)
        raise FailedError(
            f"cloudformation describe-stacks {stack_name}: {error_message(error)}"
        ) from None
    live = [stack for stack in stacks if stack.get("StackStatus") != "DELETE_COMPLETE"]
    if not live:
        return StackState(exists=False)
    return StackState(
        exists=True,
        status=str(live[0]["StackStatus"]),
        termination_protection=bool(live[0].get("EnableTerminationProtection", False)),
    )


# The AWS CLI waiter that returns when an operation in progress ends.
_WAITERS = {
    "CREATE_IN_PROGRESS": "stack-create-complete",
    "UPDATE_IN_PROGRESS": "stack-update-complete",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS": "stack-update-complete",
    "UPDATE_ROLLBACK_IN_PROGRESS": "stack-rollback-complete",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS": "stack-rollback-complete",
    "DELETE_IN_PROGRESS": "stack-delete-complete",
}


def check_stack_state(state: StackState, stack_name: str) -> str:
    """RefusedError when CloudFormation cannot take an update now, with what to do."""
    if not state.exists:
        return "no stack yet: it will be created"
    status = state.status
    if status.endswith("_IN_PROGRESS"):
        waiter = _WAITERS.get(status)
        how = (
            f"`aws cloudformation wait {waiter} --stack-name {stack_name}`"
            if waiter
            else f"`aws cloudformation describe-stacks --stack-name {stack_name} --query "
            "Stacks[0].StackStatus` until it no longer ends in _IN_PROGRESS"
        )
        raise RefusedError(
            f"{stack_name} is {status}: another operation is running; wait for it to end "
            f"({how}, or watch it in the CloudFormation console), then run this again"
        )
    if status == "UPDATE_ROLLBACK_FAILED":
        raise RefusedError(
            f"{stack_name} is UPDATE_ROLLBACK_FAILED: CloudFormation cannot update it until the "
            "rollback finishes; fix what the stack events name as the cause, then run "
            f"`aws cloudformation continue-update-rollback --stack-name {stack_name}` (add "
            "--resources-to-skip LOGICAL_ID for a resource that cannot roll back), wait for "
            "UPDATE_ROLLBACK_COMPLETE, and run this again"
        )
    if status in ("ROLLBACK_FAILED", "DELETE_FAILED"):
        raise RefusedError(
            f"{stack_name} is {status}: it can only be deleted; fix the cause the stack events "
            f"name, then `make destroy` it (or `aws cloudformation delete-stack --stack-name "
            f"{stack_name}`) and deploy again"
        )
    if status == "ROLLBACK_COMPLETE":
        return "ROLLBACK_COMPLETE (its creation failed): the CDK CLI deletes it and creates it anew"
    return status


def check_replacement(plan: UpdatePlan, *, stack_name: str, allowed: bool) -> str:
    """RefusedError when the update replaces or deletes the endpoint, unless ``allowed``."""
    downtime = plan.endpoint_downtime
    if not downtime:
        return "the endpoint is not replaced"
    what = "; ".join(
        f"{change.logical_id} {change.action.value}"
        + (f" ({', '.join(change.reasons)})" if change.reasons else "")
        for change in downtime
    )
    if not allowed:
        raise RefusedError(
            f"this update would replace or delete the endpoint of {stack_name} ({what}): the "
            "endpoint is deleted and created anew, so clients lose it in between; if that is "
            "intended, run again with ALLOW_REPLACEMENT=1 (or --allow-replacement)"
        )
    return f"endpoint REPLACED ({what}), ALLOWED by ALLOW_REPLACEMENT=1 / --allow-replacement"


def check_termination_protection(state: StackState, *, stack_name: str, region: str) -> None:
    """RefusedError for a protected stack, with the exact command that lifts the protection."""
    if state.termination_protection:
        raise RefusedError(
            f"{stack_name} has termination protection (stacks/config.py "
            "termination_protection=True): CloudFormation will not delete it. If it really must "
            "go, lift the protection first:\n"
            "    aws cloudformation update-termination-protection "
            f"--no-enable-termination-protection --stack-name {stack_name} --region {region}\n"
            "then run this again (and set termination_protection=False in stacks/config.py, or "
            "the next deploy turns it back on)"
        )


@dataclass(frozen=True)
class FailedResource:
    logical_id: str
    resource_type: str
    status: str
    reason: str

    def describe(self) -> str:
        return f"{self.logical_id} ({self.resource_type}) {self.status}: {self.reason}"


# Reasons CloudFormation gives resources it stopped because another one failed: not the cause.
_KNOCK_ON = ("Resource creation cancelled", "Resource update cancelled", "cancelled")


def first_failure(
    events: Sequence[Mapping[str, Any]], *, stack_name: str, since: datetime | None
) -> FailedResource | None:
    """The first resource that failed in the stack's events (oldest first), since ``since``."""
    ordered = sorted(events, key=lambda event: event.get("Timestamp") or datetime.min)
    failures = [
        event
        for event in ordered
        if str(event.get("ResourceStatus", "")).endswith("_FAILED")
        and event.get("LogicalResourceId") != stack_name
        and (since is None or event.get("Timestamp") is None or event["Timestamp"] >= since)
    ]
    causes = [
        event
        for event in failures
        if not str(event.get("ResourceStatusReason", "")).startswith(_KNOCK_ON)
    ]
    if not failures:
        return None
    chosen = (causes or failures)[0]
    return FailedResource(
        logical_id=str(chosen.get("LogicalResourceId", "?")),
        resource_type=str(chosen.get("ResourceType", "?")),
        status=str(chosen.get("ResourceStatus", "?")),
        reason=str(chosen.get("ResourceStatusReason", "(no reason given)")),
    )


def stack_events(cloudformation: Any, stack_name: str, *, limit_pages: int = 5) -> list[Any]:
    """The stack's newest events (a few pages: enough for one deploy)."""
    from botocore.exceptions import ClientError

    events: list[Any] = []
    token: str | None = None
    try:
        for _ in range(limit_pages):
            kwargs = {"StackName": stack_name} | ({"NextToken": token} if token else {})
            page = cloudformation.describe_stack_events(**kwargs)
            events += page.get("StackEvents", [])
            token = page.get("NextToken")
            if not token:
                break
    except ClientError:
        return events
    return events
