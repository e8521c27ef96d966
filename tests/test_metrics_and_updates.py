"""Metric helpers, imported endpoints, and what a configuration change does to the resources."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from sagemaker_serverless import (
    ContainerImage,
    ModelData,
    ServerlessConfigError,
    ServerlessEndpoint,
)
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.synth import new_app

METRIC_HELPERS = {
    "metric_invocations": ("Invocations", "Sum"),
    "metric_invocation_4xx_errors": ("Invocation4XXErrors", "Sum"),
    "metric_invocation_5xx_errors": ("Invocation5XXErrors", "Sum"),
    "metric_model_latency": ("ModelLatency", "Average"),
    "metric_overhead_latency": ("OverheadLatency", "Average"),
    "metric_model_setup_time": ("ModelSetupTime", "Average"),
    "metric_memory_utilization": ("MemoryUtilization", "Average"),
    "metric_concurrent_executions_utilization": (
        "ServerlessConcurrentExecutionsUtilization",
        "Maximum",
    ),
    "metric_provisioned_concurrency_spillover": (
        "ServerlessProvisionedConcurrencySpilloverInvocations",
        "Sum",
    ),
}


def stack() -> cdk.Stack:
    env = cdk.Environment(account="123456789012", region="us-east-1")
    return cdk.Stack(new_app(), "Metrics", env=env)


def alarm_on(metric: cloudwatch.Metric, scope: cdk.Stack) -> dict[str, Any]:
    metric.create_alarm(scope, "Alarm", threshold=1, evaluation_periods=1)
    (alarm,) = Template.from_stack(scope).find_resources("AWS::CloudWatch::Alarm").values()
    properties: dict[str, Any] = alarm["Properties"]
    return properties


@pytest.mark.parametrize(("helper", "expected"), METRIC_HELPERS.items())
def test_metric_helpers_point_at_the_endpoint_variant(
    helper: str, expected: tuple[str, str]
) -> None:
    scope = stack()
    endpoint = ServerlessEndpoint(
        scope,
        "Endpoint",
        image=ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5"),
        model_data=ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
    )
    alarm = alarm_on(getattr(endpoint, helper)(), scope)
    (cfn_endpoint,) = Template.from_stack(scope).find_resources("AWS::SageMaker::Endpoint").values()
    assert (alarm["MetricName"], alarm["Statistic"]) == expected
    assert alarm["Namespace"] == "AWS/SageMaker"
    assert alarm["Period"] == 60
    # The literal name, not a reference: alarms must not depend on the endpoint, because the
    # endpoint's rollback configuration depends on the alarms.
    assert alarm["Dimensions"] == [
        {"Name": "EndpointName", "Value": cfn_endpoint["Properties"]["EndpointName"]},
        {"Name": "VariantName", "Value": "AllTraffic"},
    ]


def test_imported_endpoint_grants_and_metrics() -> None:
    scope = stack()
    imported = ServerlessEndpoint.from_endpoint_name(scope, "Imported", "Shared-Endpoint")
    role = iam.Role(scope, "Caller", assumed_by=iam.AccountRootPrincipal())
    imported.grant_invoke(role)
    alarm = alarm_on(imported.metric_invocation_5xx_errors(), scope)
    assert alarm["Dimensions"][0] == {"Name": "EndpointName", "Value": "Shared-Endpoint"}
    (policy,) = Template.from_stack(scope).find_resources("AWS::IAM::Policy").values()
    assert policy["Properties"]["PolicyDocument"]["Statement"] == [
        {
            "Action": "sagemaker:InvokeEndpoint",
            "Effect": "Allow",
            # SageMaker ARNs carry the endpoint name in lower case.
            "Resource": "arn:aws:sagemaker:us-east-1:123456789012:endpoint/shared-endpoint",
        }
    ]


def test_import_rejects_an_invalid_name() -> None:
    with pytest.raises(ServerlessConfigError, match="endpoint_name='bad_name'"):
        ServerlessEndpoint.from_endpoint_name(stack(), "Imported", "bad_name")


def synth_endpoint(**overrides: Any) -> dict[str, Any]:
    scope = stack()
    props: dict[str, Any] = {
        "image": ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5"),
        "model_data": ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
        "memory_size_in_mb": 2048,
        "max_concurrency": 5,
        "environment": {"SAGEMAKER_CONTAINER_LOG_LEVEL": "20"},
    } | overrides
    ServerlessEndpoint(scope, "Endpoint", **props)
    template: dict[str, Any] = dict(Template.from_stack(scope).to_json())
    return template


def by_type(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    (item,) = [(k, v) for k, v in template["Resources"].items() if v["Type"] == resource_type]
    return item


@pytest.mark.parametrize(
    "change",
    [
        {"memory_size_in_mb": 4096},
        {"max_concurrency": 10},
        {"provisioned_concurrency": 2},
        {"image": ContainerImage.from_sagemaker_algorithm("xgboost", "1.7-1")},
        {"environment": {"SAGEMAKER_CONTAINER_LOG_LEVEL": "10"}},
    ],
    ids=["memory", "concurrency", "provisioned", "image", "environment"],
)
def test_a_change_replaces_the_config_and_updates_the_endpoint_in_place(
    change: dict[str, Any],
) -> None:
    before, after = synth_endpoint(), synth_endpoint(**change)
    config_id, config_before = by_type(before, "AWS::SageMaker::EndpointConfig")
    config_id_after, config_after = by_type(after, "AWS::SageMaker::EndpointConfig")
    _model_id, model_before = by_type(before, "AWS::SageMaker::Model")
    _model_id_after, model_after = by_type(after, "AWS::SageMaker::Model")
    endpoint_id, endpoint_before = by_type(before, "AWS::SageMaker::Endpoint")
    endpoint_id_after, endpoint_after = by_type(after, "AWS::SageMaker::Endpoint")

    # Something in the model or the config changed; neither has a fixed name, so CloudFormation can
    # create the replacement next to the old one (every EndpointConfig property is immutable).
    assert (config_before, model_before) != (config_after, model_after)
    for resource in (config_after, model_after):
        assert "EndpointConfigName" not in resource["Properties"]
        assert "ModelName" not in resource["Properties"]
    assert config_id == config_id_after
    # The Endpoint keeps its logical id and name and only follows the new config name: an in-place
    # update, no downtime.
    assert endpoint_id == endpoint_id_after
    assert endpoint_before == endpoint_after
    assert endpoint_after["Properties"]["EndpointConfigName"] == {
        "Fn::GetAtt": [config_id, "EndpointConfigName"]
    }
