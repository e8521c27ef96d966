"""scripts/rehearsal/moto_autoscaling.py and the scaling checks, against moto's in-process mock.

The rehearsal's moto server emulates AWS::ApplicationAutoScaling::ScalableTarget and
::ScalingPolicy in moto's own Application Auto Scaling, and accepts the serverless dimension
moto 5.2.5 lacks. Each check is made to fail on purpose: a target missing or changed after an
update, a schedule or policy missing, anything left after the destroy.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.cloudformation import parsing

from scripts.rehearsal import checks, cli, moto_autoscaling, moto_patches, moto_placeholders
from scripts.rehearsal.assembly import StackArtifact
from scripts.rehearsal.errors import RehearsalFailedError
from scripts.rehearsal.report import Report
from scripts.rehearsal.sequence import Rehearsal
from tests.test_rehearsal import serverless_template

REGION = "us-east-1"
DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
RESOURCE_ID = "endpoint/fixed-name/variant/AllTraffic"


def client(service: str) -> Any:
    return boto3.client(service, region_name=REGION)


@pytest.fixture
def emulated_autoscaling(monkeypatch: pytest.MonkeyPatch, aws: None) -> Iterator[None]:
    """moto as the rehearsal's server has it: placeholders, and this patch."""
    monkeypatch.setattr(
        parsing, "resource_class_from_type", moto_placeholders.resource_class_from_type
    )
    monkeypatch.setattr(moto_patches, "_announced", set())
    moto_patches.install_autoscaling_emulation()
    yield
    moto_autoscaling.uninstall()
    moto_autoscaling.on_act = moto_autoscaling._ignore


def scaled_template(memory: int = 2048, *, max_capacity: int = 5) -> dict[str, Any]:
    """The miniature stack with prod's scaling: target, two schedules, target tracking."""
    template = serverless_template(memory)
    resources = template["Resources"]
    resources["Target"] = {
        "Type": "AWS::ApplicationAutoScaling::ScalableTarget",
        "DependsOn": ["Endpoint"],
        "Properties": {
            "ServiceNamespace": "sagemaker",
            "ResourceId": RESOURCE_ID,
            "ScalableDimension": DIMENSION,
            "MinCapacity": 1,
            "MaxCapacity": max_capacity,
            "RoleARN": "arn:aws:iam::123456789012:role/aws-service-role/x",
            "ScheduledActions": [
                {
                    "ScheduledActionName": "business-hours",
                    "Schedule": "cron(0 7 ? * MON-FRI *)",
                    "Timezone": "UTC",
                    "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 10},
                },
                {
                    "ScheduledActionName": "nights-and-weekends",
                    "Schedule": "cron(0 19 ? * MON-FRI *)",
                    "Timezone": "UTC",
                    "ScalableTargetAction": {"MinCapacity": 1, "MaxCapacity": 5},
                },
            ],
        },
    }
    resources["Policy"] = {
        "Type": "AWS::ApplicationAutoScaling::ScalingPolicy",
        "DependsOn": ["Endpoint"],
        "Properties": {
            "PolicyName": "utilization",
            "PolicyType": "TargetTrackingScaling",
            "ScalingTargetId": {"Ref": "Target"},
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"
                },
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
                "TargetValue": 0.7,
            },
        },
    }
    return template


def create_stack(template: dict[str, Any]) -> None:
    client("cloudformation").create_stack(StackName="s", TemplateBody=json.dumps(template))


def update_stack(template: dict[str, Any]) -> None:
    client("cloudformation").update_stack(StackName="s", TemplateBody=json.dumps(template))


def registered(template: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return checks.check_scaling_registered(
        client("application-autoscaling"), stack_name="s", template=template
    )


@pytest.mark.usefixtures("aws")
@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_moto_lacks_the_types_and_the_dimension_without_the_patch() -> None:
    # The evidence for the patch: moto 5.2.5 skips both types and refuses the dimension.
    with pytest.raises(ClientError, match="scalableDimension"):
        client("application-autoscaling").register_scalable_target(
            ServiceNamespace="sagemaker",
            ResourceId=RESOURCE_ID,
            ScalableDimension=DIMENSION,
            MinCapacity=1,
            MaxCapacity=5,
        )
    create_stack(scaled_template())
    ids = checks.stack_physical_ids(client("cloudformation"), "s")
    assert "Target" not in ids
    assert "Policy" not in ids
    with pytest.raises(RehearsalFailedError, match="is not registered"):
        registered(scaled_template())


@pytest.mark.usefixtures("emulated_autoscaling")
def test_the_patch_registers_target_schedules_and_policy_and_announces_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    template = scaled_template()
    create_stack(template)

    report = Report()
    checks.check_deployed_stack(
        client("cloudformation"),
        stack_name="s",
        template=template,
        not_emulated_types=set(),  # no placeholder: both types are real resources now
        expected_status="CREATE_COMPLETE",
        report=report,
    )
    state = registered(template)[RESOURCE_ID]
    assert (state["target"]["MinCapacity"], state["target"]["MaxCapacity"]) == (1, 5)
    assert list(state["scheduled_actions"]) == ["business-hours", "nights-and-weekends"]
    assert [p["PolicyType"] for p in state["policies"].values()] == ["TargetTrackingScaling"]
    ids = checks.stack_physical_ids(client("cloudformation"), "s")
    assert ids["Target"] == f"{RESOURCE_ID}|{DIMENSION}|sagemaker"  # CloudFormation's Ref
    assert ids["Policy"] == state["policies"]["utilization"]["PolicyARN"]
    assert "not-emulated" not in report.notes
    err = capsys.readouterr().err
    assert moto_patches.PLACEHOLDER_MARKER not in err
    marker = moto_patches.AUTOSCALING_MARKER
    assert f"{marker} dimension accepted: {DIMENSION}" in err
    assert f"{marker} ScalableTarget registered: sagemaker {RESOURCE_ID} {DIMENSION}" in err
    assert f"{marker} ScalingPolicy put: utilization (TargetTrackingScaling)" in err


@pytest.mark.usefixtures("emulated_autoscaling")
def test_only_the_serverless_dimension_on_a_variant_is_added_to_moto() -> None:
    aas = client("application-autoscaling")
    for namespace, resource_id, dimension in (
        ("sagemaker", RESOURCE_ID, "sagemaker:variant:Bogus"),
        ("sagemaker", "endpoint/x/variant", DIMENSION),
        ("ecs", RESOURCE_ID, DIMENSION),
    ):
        with pytest.raises(ClientError, match="ValidationException"):
            aas.register_scalable_target(
                ServiceNamespace=namespace,
                ResourceId=resource_id,
                ScalableDimension=dimension,
                MinCapacity=1,
                MaxCapacity=5,
            )


@pytest.mark.usefixtures("emulated_autoscaling", "repaired_moto")
def test_an_update_that_replaces_the_config_leaves_the_target_unchanged() -> None:
    create_stack(scaled_template(2048))
    before = registered(scaled_template(2048))
    endpoint = checks.stack_physical_ids(client("cloudformation"), "s")["Endpoint"]
    endpoint_name = endpoint.split("/")[-1]  # moto's name, not the template's (endpoint-name)
    config_before = client("sagemaker").describe_endpoint(EndpointName=endpoint_name)

    update_stack(scaled_template(3072))

    after = registered(scaled_template(3072))
    checks.check_scaling_unchanged(before, after, stack_name="s")
    config_after = client("sagemaker").describe_endpoint(EndpointName=endpoint_name)
    assert config_after["EndpointConfigName"] != config_before["EndpointConfigName"]


@pytest.mark.usefixtures("emulated_autoscaling")
def test_a_target_missing_or_changed_after_the_update_fails_the_check() -> None:
    template = scaled_template()
    create_stack(template)
    before = registered(template)

    changed = copy.deepcopy(before)
    changed[RESOURCE_ID]["target"]["ScalableTargetARN"] += "-registered-again"
    with pytest.raises(RehearsalFailedError, match=r"changed scalable target .*'s target"):
        checks.check_scaling_unchanged(changed, before, stack_name="s")
    with pytest.raises(RehearsalFailedError, match="is gone after the update"):
        checks.check_scaling_unchanged(before, {}, stack_name="s")

    client("application-autoscaling").deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=DIMENSION
    )
    with pytest.raises(RehearsalFailedError, match=f"{RESOURCE_ID} .* is not registered"):
        registered(template)


@pytest.mark.usefixtures("emulated_autoscaling")
def test_a_missing_schedule_or_policy_or_other_range_fails_the_check() -> None:
    template = scaled_template()
    create_stack(template)
    aas = client("application-autoscaling")

    with pytest.raises(RehearsalFailedError, match="MaxCapacity 5, template 6"):
        registered(scaled_template(max_capacity=6))
    aas.delete_scaling_policy(
        PolicyName="utilization",
        ServiceNamespace="sagemaker",
        ResourceId=RESOURCE_ID,
        ScalableDimension=DIMENSION,
    )
    with pytest.raises(RehearsalFailedError, match=r"scaling policies \[\], template"):
        registered(template)
    aas.delete_scheduled_action(
        ServiceNamespace="sagemaker",
        ScheduledActionName="business-hours",
        ResourceId=RESOURCE_ID,
        ScalableDimension=DIMENSION,
    )
    with pytest.raises(RehearsalFailedError, match=r"scheduled actions \['nights-and-weekends'\]"):
        registered(template)


@pytest.mark.usefixtures("emulated_autoscaling")
def test_a_template_change_of_the_target_is_applied_and_destroy_removes_everything() -> None:
    create_stack(scaled_template())
    wider = scaled_template(max_capacity=6)
    del wider["Resources"]["Target"]["Properties"]["ScheduledActions"][1]
    update_stack(wider)
    state = registered(wider)[RESOURCE_ID]  # re-registered, one schedule deleted
    assert state["target"]["MaxCapacity"] == 6
    aas = client("application-autoscaling")
    assert len(checks.leftover_scalable_targets(aas)) == 3

    client("cloudformation").delete_stack(StackName="s")

    assert checks.stack_is_gone(client("cloudformation"), "s")
    assert checks.leftover_scalable_targets(aas) == []


@pytest.mark.usefixtures("emulated_autoscaling")
def test_leftovers_are_listed_when_destroy_left_a_target() -> None:
    aas = client("application-autoscaling")
    aas.register_scalable_target(
        ServiceNamespace="sagemaker",
        ResourceId=RESOURCE_ID,
        ScalableDimension=DIMENSION,
        MinCapacity=1,
        MaxCapacity=5,
    )
    assert checks.leftover_scalable_targets(aas) == [f"target {RESOURCE_ID}"]


def test_the_placeholders_stand_in_for_the_autoscaling_types_only_until_installed(
    aws: None,
) -> None:
    target = "AWS::ApplicationAutoScaling::ScalableTarget"
    assert moto_placeholders.resource_class_from_type(target) is moto_placeholders.Placeholder
    moto_autoscaling.install()
    try:
        resource_class = moto_placeholders.resource_class_from_type(target)
        assert resource_class is moto_autoscaling.RESOURCE_CLASSES[target]
        assert resource_class is not moto_placeholders.Placeholder
    finally:
        moto_autoscaling.uninstall()


class _QuietServer:
    def patches_seen(self) -> dict[str, list[str]]:
        return {}


def scaling_steps(template: dict[str, Any], report: Report) -> Rehearsal:
    """The rehearsal's scaling steps on the in-process mock, for stack "s" (created)."""
    steps = Rehearsal(cli.build_parser().parse_args([]), report)
    steps.server = _QuietServer()  # type: ignore[assignment]
    steps.cloudformation = client("cloudformation")
    steps.sagemaker = client("sagemaker")
    steps.autoscaling = client("application-autoscaling")
    steps.stacks = {"s": StackArtifact("s", "", template)}
    endpoint = checks.stack_physical_ids(steps.cloudformation, "s")["Endpoint"]
    steps.endpoint_names = {"s": endpoint.split("/")[-1]}
    return steps


@pytest.mark.usefixtures("emulated_autoscaling", "repaired_moto")
def test_the_scaling_steps_pass_after_an_update_and_fail_without_one_or_target() -> None:
    create_stack(scaled_template(2048))
    report = Report()
    steps = scaling_steps(scaled_template(2048), report)
    assert steps.scaled_stacks() == ["s"]

    steps.scaling_registered("s")
    with pytest.raises(RehearsalFailedError, match=r"is still on .*: the update did not replace"):
        steps.scaling_survives_update("s", updated=True)  # no update happened
    update_stack(scaled_template(3072))
    steps.scaling_survives_update("s", updated=True)

    assert report.scaling["s"]["unchanged_after_update"] is True
    assert [step.ok for step in report.steps] == [True, False, True]
    assert "emulated" in report.steps[0].detail
    client("application-autoscaling").deregister_scalable_target(
        ServiceNamespace="sagemaker", ResourceId=RESOURCE_ID, ScalableDimension=DIMENSION
    )
    with pytest.raises(RehearsalFailedError, match="is not registered"):
        steps.scaling_survives_update("s", updated=True)
