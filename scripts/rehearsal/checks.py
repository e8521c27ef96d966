"""The checks against the emulator: what a deploy, an update and a destroy must have done.

Each takes boto3 clients, so the tests can pass moto's in-process mock and make each check fail
on purpose. A failure raises RehearsalFailedError; an emulator difference is a report note.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scripts.rehearsal.assembly import resources_of_type
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.report import Report
from scripts.update_plan import Action, UpdatePlan, references


def _error_code(error: Exception) -> str:
    return str(getattr(error, "response", {}).get("Error", {}).get("Code", ""))


def stack_physical_ids(cloudformation: Any, stack_name: str) -> dict[str, str]:
    paginator = cloudformation.get_paginator("list_stack_resources")
    return {
        summary["LogicalResourceId"]: summary.get("PhysicalResourceId", "")
        for page in paginator.paginate(StackName=stack_name)
        for summary in page["StackResourceSummaries"]
        if summary.get("LogicalResourceId")  # moto lists a skipped resource with no id
    }


def check_deployed_stack(
    cloudformation: Any,
    *,
    stack_name: str,
    template: Mapping[str, Any],
    not_emulated_types: set[str],
    expected_status: str,
    report: Report,
) -> dict[str, str]:
    """The stack reached ``expected_status`` and holds every resource and output of its
    template; resources of a type moto does not implement are noted (a placeholder stands in,
    or, without one, moto skipped them). Returns the stack's outputs."""
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != expected_status:
        reason = stack.get("StackStatusReason") or "no reason given"
        raise RehearsalFailedError(
            f"{stack_name} is {stack['StackStatus']}, not {expected_status}: {reason}"
        )
    deployed = stack_physical_ids(cloudformation, stack_name)
    resources: Mapping[str, Any] = template.get("Resources") or {}
    skipped_ids: set[str] = set()
    for logical_id, resource in sorted(resources.items()):
        resource_type = str(resource.get("Type"))
        if resource_type in not_emulated_types:
            report.note("not-emulated", resource_type)
            if logical_id not in deployed:
                skipped_ids.add(logical_id)
        elif logical_id not in deployed:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} ({resource_type}) is in the template but was "
                "not deployed"
            )
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
    for key, output in sorted((template.get("Outputs") or {}).items()):
        if key in outputs:
            continue
        reads_skipped = references(output.get("Value")) & skipped_ids
        if not reads_skipped:
            raise RehearsalFailedError(f"{stack_name}: output {key} is missing")
        report.note("not-emulated", f"output {key} dropped (reads {', '.join(reads_skipped)})")
    return outputs


def check_endpoint_names(
    *, stack_name: str, template: Mapping[str, Any], endpoint_name: str, report: Report
) -> None:
    """Note it when the deployed endpoint's name is not the template's EndpointName."""
    for endpoint in resources_of_type(template, "AWS::SageMaker::Endpoint").values():
        wanted = endpoint.get("Properties", {}).get("EndpointName")
        if isinstance(wanted, str) and wanted != endpoint_name:
            report.note("endpoint-name", f"{stack_name}: template {wanted}, moto {endpoint_name}")


def check_update_applied(
    cloudformation: Any,
    sagemaker: Any,
    *,
    stack_name: str,
    template: Mapping[str, Any],
    plan: UpdatePlan,
    ids_before: Mapping[str, str],
    memory_size_in_mb: int,
    endpoint_name: str,
    not_emulated_types: set[str],
    report: Report,
) -> list[str]:
    """The update did what the plan said: planned replacements got new physical resources,
    untouched resources kept theirs, and every EndpointConfig of the stack serves the new
    memory size. Returns what was verified, for the step's detail."""
    ids_after = stack_physical_ids(cloudformation, stack_name)
    planned = {change.logical_id: change for change in plan.changes}
    resources = template.get("Resources") or {}
    for logical_id, before in sorted(ids_before.items()):
        if resources.get(logical_id, {}).get("Type") in not_emulated_types:
            continue  # a placeholder keeps its id whatever CloudFormation would do
        after = ids_after.get(logical_id)
        change = planned.get(logical_id)
        if change is None and after != before:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} was not in the plan but changed ({before} -> {after})"
            )
        if change is not None and change.action is Action.REPLACE and after == before:
            raise RehearsalFailedError(
                f"{stack_name}: {logical_id} was planned for replacement but kept {before}"
            )
    # The physical id of an EndpointConfig is its ARN; the API takes the name after the "/".
    config_names = [
        ids_after[logical_id].split("/")[-1]
        for logical_id in resources_of_type(template, "AWS::SageMaker::EndpointConfig")
        if logical_id in ids_after
    ]
    if not config_names:
        raise RehearsalFailedError(f"{stack_name}: no EndpointConfig after the update")
    verified: list[str] = []
    for config_name in config_names:
        variants = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)[
            "ProductionVariants"
        ]
        sizes = {(v.get("ServerlessConfig") or {}).get("MemorySizeInMB") for v in variants}
        if sizes != {memory_size_in_mb}:
            raise RehearsalFailedError(
                f"{stack_name}: EndpointConfig {config_name} serves {sorted(map(str, sizes))} MB, "
                f"not {memory_size_in_mb} MB"
            )
        verified.append(f"EndpointConfig {config_name}: {memory_size_in_mb} MB")
    in_use = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    if in_use not in config_names:
        # CloudFormation updates the endpoint in place to the new config (the rehearsal's moto
        # server does too: note endpoint-config-propagation).
        raise RehearsalFailedError(
            f"{stack_name}: endpoint {endpoint_name} still serves {in_use}, not the updated "
            f"EndpointConfig ({', '.join(config_names)})"
        )
    verified.append(f"endpoint {endpoint_name} serves {in_use}")
    return verified


def leftover_sagemaker_resources(sagemaker: Any) -> dict[str, list[str]]:
    """Every SageMaker model, endpoint config and endpoint in the account and region."""
    listings = {
        "models": ("list_models", "Models", "ModelName"),
        "endpoint configs": ("list_endpoint_configs", "EndpointConfigs", "EndpointConfigName"),
        "endpoints": ("list_endpoints", "Endpoints", "EndpointName"),
    }
    leftovers: dict[str, list[str]] = {}
    for kind, (operation, key, name) in listings.items():
        names = [
            item[name]
            for page in sagemaker.get_paginator(operation).paginate()
            for item in page[key]
        ]
        if names:
            leftovers[kind] = sorted(names)
    return leftovers


def stack_is_gone(cloudformation: Any, stack_name: str) -> bool:
    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except Exception as error:
        if _error_code(error) == "ValidationError" and "does not exist" in str(error):
            return True
        raise
    return all(stack["StackStatus"] == "DELETE_COMPLETE" for stack in stacks)


def is_managed_policy_delete_conflict(output: str, template: Mapping[str, Any]) -> bool:
    """A destroy failure that is moto's delete order, not the stack's fault."""
    return "must detach all policies first" in output and bool(
        resources_of_type(template, "AWS::IAM::ManagedPolicy")
    )


# --- Application Auto Scaling: the scalable targets of a stack, as registered -------------------

SCALABLE_TARGET_TYPE = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY_TYPE = "AWS::ApplicationAutoScaling::ScalingPolicy"


def _plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """An API item with its timestamps as text (comparable, printable)."""
    return {key: str(value) if key.endswith("Time") else value for key, value in item.items()}


def check_scaling_registered(
    autoscaling: Any, *, stack_name: str, template: Mapping[str, Any]
) -> dict[str, dict[str, Any]]:
    """Every ScalableTarget of the template is registered as the template says: ResourceId,
    dimension, min/max, its scheduled actions and the scaling policies on it. Returns what is
    registered, by ResourceId (compare it after an update: check_scaling_unchanged)."""
    registered: dict[str, dict[str, Any]] = {}
    for logical_id, target in sorted(resources_of_type(template, SCALABLE_TARGET_TYPE).items()):
        props = target.get("Properties") or {}
        namespace, resource_id = props.get("ServiceNamespace"), props.get("ResourceId")
        dimension = props.get("ScalableDimension")
        if not all(isinstance(value, str) for value in (namespace, resource_id, dimension)):
            raise RehearsalFailedError(f"{stack_name}: {logical_id} has no literal ResourceId")
        where = f"{stack_name}: scalable target {resource_id} ({dimension})"
        key = {"ServiceNamespace": namespace, "ResourceId": resource_id}
        found = [
            t
            for t in autoscaling.describe_scalable_targets(
                ServiceNamespace=namespace, ResourceIds=[resource_id]
            )["ScalableTargets"]
            if t["ScalableDimension"] == dimension
        ]
        if len(found) != 1:
            raise RehearsalFailedError(f"{where} is not registered")
        (registered_target,) = found
        for field in ("MinCapacity", "MaxCapacity"):
            if registered_target.get(field) != props.get(field):
                raise RehearsalFailedError(
                    f"{where}: {field} {registered_target.get(field)}, template {props.get(field)}"
                )
        actions = {
            a["ScheduledActionName"]: a
            for a in autoscaling.describe_scheduled_actions(**key, ScalableDimension=dimension)[
                "ScheduledActions"
            ]
        }
        wanted_actions = {a["ScheduledActionName"]: a for a in props.get("ScheduledActions") or []}
        if set(actions) != set(wanted_actions):
            raise RehearsalFailedError(
                f"{where}: scheduled actions {sorted(actions)}, template {sorted(wanted_actions)}"
            )
        for name, wanted in wanted_actions.items():
            for field in ("Schedule", "Timezone", "ScalableTargetAction"):
                if actions[name].get(field) != wanted.get(field):
                    raise RehearsalFailedError(
                        f"{where}: scheduled action {name} {field} {actions[name].get(field)}, "
                        f"template {wanted.get(field)}"
                    )
        policies = {
            p["PolicyName"]: p
            for p in autoscaling.describe_scaling_policies(**key, ScalableDimension=dimension)[
                "ScalingPolicies"
            ]
        }
        wanted_policies = {
            p["Properties"]["PolicyName"]: p["Properties"]
            for p in resources_of_type(template, SCALING_POLICY_TYPE).values()
            if (p.get("Properties") or {}).get("ScalingTargetId") == {"Ref": logical_id}
        }
        if set(policies) != set(wanted_policies):
            raise RehearsalFailedError(
                f"{where}: scaling policies {sorted(policies)}, template {sorted(wanted_policies)}"
            )
        for name, wanted in wanted_policies.items():
            field = "TargetTrackingScalingPolicyConfiguration"
            if (policies[name]["PolicyType"], policies[name].get(field)) != (
                wanted.get("PolicyType"),
                wanted.get(field),
            ):
                raise RehearsalFailedError(f"{where}: policy {name} is not the template's")
        registered[str(resource_id)] = {
            "target": _plain(registered_target),
            "scheduled_actions": {name: _plain(a) for name, a in sorted(actions.items())},
            "policies": {name: _plain(p) for name, p in sorted(policies.items())},
        }
    return registered


def describe_scaling(registered: Mapping[str, Mapping[str, Any]]) -> str:
    """One line for a step's detail."""
    return "; ".join(
        f"{resource_id} {state['target']['ScalableDimension']} "
        f"{state['target']['MinCapacity']}-{state['target']['MaxCapacity']}, scheduled "
        f"{', '.join(state['scheduled_actions']) or 'none'}, policies "
        f"{', '.join(p['PolicyType'] for p in state['policies'].values()) or 'none'}"
        for resource_id, state in registered.items()
    )


def check_scaling_unchanged(
    before: Mapping[str, Mapping[str, Any]],
    after: Mapping[str, Mapping[str, Any]],
    *,
    stack_name: str,
) -> None:
    """The same targets, scheduled actions and policies (ARNs and creation times included: a
    target deregistered and registered again is not the same)."""
    for resource_id, state in before.items():
        now = after.get(resource_id)
        if now is None:
            raise RehearsalFailedError(
                f"{stack_name}: scalable target {resource_id} is gone after the update"
            )
        for part in ("target", "scheduled_actions", "policies"):
            if now[part] != state[part]:
                raise RehearsalFailedError(
                    f"{stack_name}: the update changed scalable target {resource_id}'s {part}: "
                    f"{state[part]} -> {now[part]}"
                )
    added = sorted(set(after) - set(before))
    if added:
        raise RehearsalFailedError(f"{stack_name}: new scalable targets after the update: {added}")


def leftover_scalable_targets(autoscaling: Any, namespace: str = "sagemaker") -> list[str]:
    """Every scalable target, scheduled action and scaling policy left in ``namespace``."""
    left = [
        f"target {t['ResourceId']}"
        for t in autoscaling.describe_scalable_targets(ServiceNamespace=namespace)[
            "ScalableTargets"
        ]
    ]
    left += [
        f"scheduled action {a['ScheduledActionName']}"
        for a in autoscaling.describe_scheduled_actions(ServiceNamespace=namespace)[
            "ScheduledActions"
        ]
    ]
    left += [
        f"policy {p['PolicyName']}"
        for p in autoscaling.describe_scaling_policies(ServiceNamespace=namespace)[
            "ScalingPolicies"
        ]
    ]
    return left
