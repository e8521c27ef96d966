"""Provisioned concurrency scaling: what the construct emits, what it refuses, and that an update
which replaces the endpoint config leaves the scalable target alone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from cfnlint.api import ManualArgs, lint_file

from sagemaker_serverless import (
    ContainerImage,
    EndpointAlarms,
    ModelData,
    ProvisionedConcurrencyScaling,
    ScheduledConcurrency,
    ServerlessConfigError,
    ServerlessEndpoint,
)
from stacks.compliance import add_compliance_checks
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.synth import new_app

XGBOOST = ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")
BUSINESS_HOURS = (
    ScheduledConcurrency(
        name="business-hours",
        schedule="cron(0 8 ? * MON-FRI *)",
        min_provisioned_concurrency=2,
        max_provisioned_concurrency=10,
        time_zone="Europe/Berlin",
    ),
    ScheduledConcurrency(
        name="nights-and-weekends",
        schedule="cron(0 19 ? * MON-FRI *)",
        min_provisioned_concurrency=1,
        max_provisioned_concurrency=2,
        time_zone="Europe/Berlin",
    ),
)
SCALING = ProvisionedConcurrencyScaling(
    min_provisioned_concurrency=1,
    max_provisioned_concurrency=10,
    target_utilization=0.6,
    schedules=BUSINESS_HOURS,
)


def build(app: cdk.App | None = None, **overrides: Any) -> tuple[cdk.Stack, ServerlessEndpoint]:
    stack = cdk.Stack(
        app or new_app(),
        "Scaling",
        env=cdk.Environment(account="123456789012", region="eu-west-1"),
    )
    props: dict[str, Any] = {
        "image": XGBOOST,
        "model_data": ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
        "max_concurrency": 20,
        "provisioned_concurrency": 1,
        "provisioned_concurrency_scaling": SCALING,
    } | overrides
    return stack, ServerlessEndpoint(stack, "Endpoint", **props)


def of_type(template: Template, resource_type: str) -> dict[str, dict[str, Any]]:
    return {key: dict(value) for key, value in template.find_resources(resource_type).items()}


def test_the_scalable_target_is_the_variants_provisioned_concurrency() -> None:
    stack, endpoint = build()
    template = Template.from_stack(stack)
    ((target_id, target),) = of_type(
        template, "AWS::ApplicationAutoScaling::ScalableTarget"
    ).items()
    properties = target["Properties"]
    assert properties["ServiceNamespace"] == "sagemaker"
    assert properties["ScalableDimension"] == "sagemaker:variant:DesiredProvisionedConcurrency"
    ((endpoint_id, cfn_endpoint),) = of_type(template, "AWS::SageMaker::Endpoint").items()
    name = cfn_endpoint["Properties"]["EndpointName"]
    assert properties["ResourceId"] == f"endpoint/{name}/variant/AllTraffic"
    assert (properties["MinCapacity"], properties["MaxCapacity"]) == (1, 10)
    # The service-linked role: the construct creates no role for scaling.
    role = json.dumps(stack.resolve(properties["RoleARN"]))
    assert "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint" in role
    assert len(of_type(template, "AWS::IAM::Role")) == 1  # the execution role only
    # It waits for the endpoint, and does not refer to the endpoint config.
    assert endpoint_id in target["DependsOn"]
    (config_id,) = of_type(template, "AWS::SageMaker::EndpointConfig")
    assert config_id not in json.dumps(target)
    assert endpoint.scalable_target is not None
    assert target_id


def test_target_tracking_on_provisioned_concurrency_utilization() -> None:
    stack, _ = build()
    ((_, policy),) = of_type(
        Template.from_stack(stack), "AWS::ApplicationAutoScaling::ScalingPolicy"
    ).items()
    configuration = policy["Properties"]["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["TargetValue"] == 0.6
    assert configuration["PredefinedMetricSpecification"] == {
        "PredefinedMetricType": "SageMakerVariantProvisionedConcurrencyUtilization"
    }
    assert (configuration["ScaleInCooldown"], configuration["ScaleOutCooldown"]) == (300, 60)


def test_scheduled_actions_carry_their_range_and_time_zone() -> None:
    stack, _ = build()
    ((_, target),) = of_type(
        Template.from_stack(stack), "AWS::ApplicationAutoScaling::ScalableTarget"
    ).items()
    actions = {a["ScheduledActionName"]: a for a in target["Properties"]["ScheduledActions"]}
    assert set(actions) == {"business-hours", "nights-and-weekends"}
    assert actions["business-hours"] == {
        "ScheduledActionName": "business-hours",
        "Schedule": "cron(0 8 ? * MON-FRI *)",
        "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 10},
        "Timezone": "Europe/Berlin",
    }


def test_schedules_only_emit_no_policy() -> None:
    scaling = ProvisionedConcurrencyScaling(
        min_provisioned_concurrency=1,
        max_provisioned_concurrency=4,
        target_utilization=None,
        schedules=(
            ScheduledConcurrency(name="up", schedule="rate(1 day)", max_provisioned_concurrency=4),
        ),
    )
    stack, _ = build(provisioned_concurrency_scaling=scaling)
    template = Template.from_stack(stack)
    assert of_type(template, "AWS::ApplicationAutoScaling::ScalingPolicy") == {}
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 1)


def test_no_scaling_emits_nothing() -> None:
    stack, endpoint = build(provisioned_concurrency_scaling=None)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::ApplicationAutoScaling::ScalableTarget", 0)
    assert endpoint.scalable_target is None


def test_a_new_endpoint_config_leaves_the_scalable_target_unchanged() -> None:
    """Memory is an EndpointConfig property: the config is replaced, the target is not."""
    templates = []
    for memory in (2048, 3072):
        stack, _ = build(memory_size_in_mb=memory)
        templates.append(Template.from_stack(stack))
    before, after = (of_type(t, "AWS::ApplicationAutoScaling::ScalableTarget") for t in templates)
    assert before == after
    configs = [of_type(t, "AWS::SageMaker::EndpointConfig") for t in templates]
    assert configs[0] != configs[1]


def test_the_five_compliance_packs_and_cfn_lint_stay_clean(tmp_path: Path) -> None:
    app = new_app(tmp_path)
    build(app)
    add_compliance_checks(app)
    app.synth()  # an unacknowledged finding raises
    report = json.loads((tmp_path / "validation-report.json").read_text())
    violations = [plugin.get("violations") for plugin in report["pluginReports"]]
    assert not any(violations), violations
    matches = lint_file(
        tmp_path / "Scaling.template.json", config=ManualArgs(regions=["eu-west-1"])
    )
    assert [f"{match.rule.id} {match.message}" for match in matches] == []


def problems_of(**overrides: Any) -> tuple[str, ...]:
    with pytest.raises(ServerlessConfigError) as raised:
        build(**overrides)
    return raised.value.problems


def scaling(**overrides: Any) -> ProvisionedConcurrencyScaling:
    props: dict[str, Any] = {"min_provisioned_concurrency": 1, "max_provisioned_concurrency": 10}
    return ProvisionedConcurrencyScaling(**(props | overrides))


def scheduled(**overrides: Any) -> ScheduledConcurrency:
    props: dict[str, Any] = {
        "name": "up",
        "schedule": "cron(0 8 ? * MON-FRI *)",
        "max_provisioned_concurrency": 5,
    }
    return ScheduledConcurrency(**(props | overrides))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"provisioned_concurrency": None},
            "provisioned_concurrency_scaling needs provisioned_concurrency: the endpoint config "
            "starts the variant there",
        ),
        (
            {"provisioned_concurrency": 12, "provisioned_concurrency_scaling": scaling()},
            "provisioned_concurrency=12 is outside provisioned_concurrency_scaling's range 1-10",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(min_provisioned_concurrency=0)},
            "min_provisioned_concurrency=0 is out of range; use 1-200",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(max_provisioned_concurrency=30)},
            "max_provisioned_concurrency=30 is greater than max_concurrency=20",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(max_provisioned_concurrency="10")},
            "max_provisioned_concurrency='10' must be a whole number",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    min_provisioned_concurrency=5, max_provisioned_concurrency=2
                ),
                "provisioned_concurrency": 2,
            },
            "min_provisioned_concurrency=5 is greater than max_provisioned_concurrency=2",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(target_utilization=1.5)},
            "target_utilization=1.5 is not allowed; use a number above 0 and at most 1",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(target_utilization=0)},
            "target_utilization=0 is not allowed",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(scale_in_cooldown_s=-1)},
            "scale_in_cooldown_s=-1 is not allowed; use whole seconds",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(target_utilization=None)},
            "has neither target_utilization nor schedules: nothing would scale",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(schedule="cron(0 8 * * MON-FRI)"),)
                )
            },
            "a cron expression has 6 fields",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(schedule="cron(0 8 * * MON-FRI *)"),)
                )
            },
            "exactly one of day-of-month and day-of-week must be '?'",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(schedule="rate(2 hour)"),)
                )
            },
            "wants the singular unit for 1 and the plural otherwise",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(schedule="every day at 8"),)
                )
            },
            "schedule='every day at 8' is not a schedule expression; use cron(",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(time_zone="Berlin"),)
                )
            },
            "time_zone='Berlin' is not an IANA time zone name",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(schedule="rate(1 day)", time_zone="Europe/Berlin"),)
                )
            },
            "time_zone is set but a rate() schedule has no time zone",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(schedules=(scheduled(), scheduled()))},
            "the name 'up' is used twice",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(max_provisioned_concurrency=None),)
                )
            },
            "sets neither min_provisioned_concurrency nor max_provisioned_concurrency",
        ),
        (
            {
                "provisioned_concurrency_scaling": scaling(
                    schedules=(scheduled(max_provisioned_concurrency=50),)
                )
            },
            "schedules[0].max_provisioned_concurrency=50 is greater than max_concurrency=20",
        ),
        (
            {"provisioned_concurrency_scaling": scaling(schedules=(scheduled(name="bad name!"),))},
            "schedules[0].name='bad name!' is not allowed",
        ),
    ],
)
def test_bad_scaling_is_refused_naming_the_field(overrides: dict[str, Any], message: str) -> None:
    problems = problems_of(**overrides)
    assert any(message in problem for problem in problems), problems


def test_every_scaling_problem_in_one_error() -> None:
    bad = scaling(
        max_provisioned_concurrency=30,
        target_utilization=2,
        schedules=(scheduled(schedule="nope", time_zone="Mars/Base"),),
    )
    problems = problems_of(provisioned_concurrency_scaling=bad, memory_size_in_mb=1000)
    assert len(problems) == 5, problems


def test_provisioned_concurrency_gets_a_spillover_alarm_and_dashboard_widget() -> None:
    stack, endpoint = build(alarms=EndpointAlarms(), dashboard=True)
    template = Template.from_stack(stack)
    alarm = endpoint.alarms["ProvisionedConcurrencySpillover"]
    ((_, resource),) = [
        item
        for item in of_type(template, "AWS::CloudWatch::Alarm").items()
        if stack.resolve(alarm.alarm_arn)["Fn::GetAtt"][0] == item[0]
    ]
    properties = resource["Properties"]
    assert properties["MetricName"] == "ServerlessProvisionedConcurrencySpilloverInvocations"
    assert (properties["Statistic"], properties["Threshold"]) == ("Sum", 1)
    assert properties["EvaluationPeriods"] == 3
    ((_, dashboard),) = of_type(template, "AWS::CloudWatch::Dashboard").items()
    body = json.dumps(stack.resolve(dashboard["Properties"]["DashboardBody"]))
    for metric in (
        "ServerlessProvisionedConcurrencyExecutions",
        "ServerlessProvisionedConcurrencyUtilization",
        "ServerlessProvisionedConcurrencyInvocations",
        "ServerlessProvisionedConcurrencySpilloverInvocations",
    ):
        assert metric in body, metric


def test_without_provisioned_concurrency_there_is_no_spillover_alarm() -> None:
    _, endpoint = build(
        alarms=EndpointAlarms(), provisioned_concurrency=None, provisioned_concurrency_scaling=None
    )
    assert set(endpoint.alarms) == {"Invocation5XXErrors", "ModelSetupTime", "OverheadLatency"}
