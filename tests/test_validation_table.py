"""Every synth-time rule of ServerlessEndpoint, table-driven: each bad input names its field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from sagemaker_serverless import (
    ContainerImage,
    Deployment,
    EndpointAlarms,
    ModelData,
    ServerlessConfigError,
    ServerlessEndpoint,
    TrafficShift,
)
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.synth import new_app

XGBOOST = ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")
DIGEST = "sha256:" + "ab" * 32

# Each override builder gets the stack, so inputs that need a construct (a bucket, a VPC) can
# make one.
Overrides = Callable[[cdk.Stack], dict[str, Any]]


def _repository(stack: cdk.Stack) -> ecr.IRepository:
    return ecr.Repository.from_repository_name(stack, "Repo", "models/server")


def _bucket(stack: cdk.Stack) -> s3.IBucket:
    return s3.Bucket.from_bucket_name(stack, "Bucket", "my-models")


BAD_INPUTS: dict[str, tuple[Overrides, str]] = {
    # memory
    "memory not allowed": (
        lambda _: {"memory_size_in_mb": 1000},
        "memory_size_in_mb=1000 is not allowed; use one of 1024, 2048, 3072, 4096, 5120, 6144",
    ),
    "memory too large": (lambda _: {"memory_size_in_mb": 8192}, "memory_size_in_mb=8192"),
    "memory as text": (
        lambda _: {"memory_size_in_mb": "2048"},
        "memory_size_in_mb must be a whole number (int), got str '2048'; use one of 1024, 2048",
    ),
    # concurrency
    "max concurrency 0": (
        lambda _: {"max_concurrency": 0},
        "max_concurrency=0 is not allowed; use a whole number from 1 to 200",
    ),
    "max concurrency 201": (lambda _: {"max_concurrency": 201}, "max_concurrency=201"),
    "max concurrency float": (
        lambda _: {"max_concurrency": 2.5},
        "max_concurrency must be a whole number (int), got float 2.5; use a whole number from 1",
    ),
    "max concurrency bool": (
        lambda _: {"max_concurrency": True},
        "max_concurrency must be a whole number (int), got bool True",
    ),
    "provisioned as text": (
        lambda _: {"provisioned_concurrency": "1"},
        "provisioned_concurrency must be a whole number (int), got str '1'; use None or a whole",
    ),
    "provisioned 0": (
        lambda _: {"provisioned_concurrency": 0},
        "provisioned_concurrency=0 is not allowed; use None or a whole number from 1 to 200",
    ),
    "provisioned 201": (
        lambda _: {"max_concurrency": 200, "provisioned_concurrency": 201},
        "provisioned_concurrency=201 is not allowed",
    ),
    "provisioned above max": (
        lambda _: {"max_concurrency": 5, "provisioned_concurrency": 6},
        "provisioned_concurrency=6 is greater than max_concurrency=5",
    ),
    # model data
    "asset missing": (
        lambda _: {"model_data": ModelData.from_asset("missing/model.tar.gz")},
        "model_data path 'missing/model.tar.gz' does not exist or is not a file",
    ),
    "asset not tar.gz": (
        lambda _: {"model_data": ModelData.from_asset("model/model.zip")},
        "model_data path 'model/model.zip' is not a .tar.gz archive",
    ),
    "url not s3": (
        lambda _: {"model_data": ModelData.from_s3_url("https://example.com/model.tar.gz")},
        "model_data url 'https://example.com/model.tar.gz' is not an s3://<bucket>/<key> URL",
    ),
    "url not tar.gz": (
        lambda _: {"model_data": ModelData.from_s3_url("s3://my-models/model.pkl")},
        "model_data url 's3://my-models/model.pkl' is not a .tar.gz archive",
    ),
    "url only known at deploy time": (
        lambda stack: {
            "model_data": ModelData.from_s3_url(cdk.CfnParameter(stack, "Url").value_as_string)
        },
        "ModelData.from_s3_url needs a literal s3:// URL",
    ),
    "bucket key is a url": (
        lambda stack: {
            "model_data": ModelData.from_bucket(_bucket(stack), "s3://my-models/m.tar.gz")
        },
        "must be an object key inside the bucket, not an s3:// URL",
    ),
    "bucket key not tar.gz": (
        lambda stack: {"model_data": ModelData.from_bucket(_bucket(stack), "m/model.joblib")},
        "model_data key 'm/model.joblib' is not a .tar.gz archive",
    ),
    # images
    "image tag latest": (
        lambda stack: {"image": ContainerImage.from_ecr_repository(_repository(stack), "latest")},
        "image tag='latest' is not allowed",
    ),
    "image without tag": (
        lambda stack: {"image": ContainerImage.from_ecr_repository(_repository(stack), "")},
        "image tag='' is missing; pin the image by tag",
    ),
    "image tag invalid": (
        lambda stack: {"image": ContainerImage.from_ecr_repository(_repository(stack), "v 1")},
        "image tag='v 1' is not a valid ECR tag",
    ),
    "image digest short": (
        lambda stack: {
            "image": ContainerImage.from_ecr_repository(_repository(stack), "sha256:abc")
        },
        "image digest 'sha256:abc' is not 'sha256:' followed by 64 hex digits",
    ),
    "image directory missing": (
        lambda _: {"image": ContainerImage.from_asset("no/such/dir")},
        "image directory 'no/such/dir' does not exist",
    ),
    "image directory without Dockerfile": (
        lambda _: {"image": ContainerImage.from_asset("model")},
        "image directory 'model' has no 'Dockerfile'",
    ),
    # environment
    "environment value not str": (
        lambda _: {"environment": {"LEVEL": 20}},
        "environment['LEVEL']=20 is not a string",
    ),
    "environment key invalid": (
        lambda _: {"environment": {"1BAD": "x"}},
        "environment key '1BAD' is not allowed",
    ),
    "environment value too long": (
        lambda _: {"environment": {"LONG": "x" * 1025}},
        "environment['LONG'] is 1025 characters; at most 1024",
    ),
    "environment too many": (
        lambda _: {"environment": {f"K{i}": "v" for i in range(101)}},
        "environment has 101 variables; at most 100",
    ),
    # names
    "endpoint name leading hyphen": (
        lambda _: {"endpoint_name": "-bad"},
        "endpoint_name='-bad' is not allowed; use 1-63 letters, digits and hyphens",
    ),
    "endpoint name underscore": (lambda _: {"endpoint_name": "my_endpoint"}, "'my_endpoint'"),
    "endpoint name 64 chars": (lambda _: {"endpoint_name": "a" * 64}, "endpoint_name='aaaa"),
    "variant name invalid": (
        lambda _: {"variant_name": "all traffic"},
        "variant_name='all traffic' is not allowed",
    ),
    # serverless-unsupported options
    "vpc": (
        lambda stack: {"vpc": ec2.Vpc(stack, "Vpc")},
        "vpc is not supported: SageMaker Serverless Inference endpoints cannot run in a VPC",
    ),
    "network isolation": (
        lambda _: {"network_isolation": True},
        "network_isolation=True is not supported",
    ),
    "rolling deployment": (
        lambda _: {"deployment": Deployment.rolling()},
        "deployment=Deployment.rolling() is not supported",
    ),
    # deployment and alarms settings
    "canary percent 0": (
        lambda _: {"deployment": Deployment.blue_green(traffic=TrafficShift.canary(percent=0))},
        "deployment canary percent=0 is not allowed; use a whole number from 1 to 100",
    ),
    "baking too long": (
        lambda _: {
            "deployment": Deployment.blue_green(
                traffic=TrafficShift.all_at_once(baking_period=Duration.hours(2))
            )
        },
        "deployment traffic wait=7200s is not allowed; use 0-3600s",
    ),
    "execution timeout too short": (
        lambda _: {
            "deployment": Deployment.blue_green(maximum_execution_timeout=Duration.minutes(5))
        },
        "deployment maximum_execution_timeout=300s is not allowed; use 600-28800s",
    ),
    "alarm threshold 0": (
        lambda _: {"alarms": EndpointAlarms(invocation_5xx_errors=0)},
        "alarms invocation_5xx_errors=0 is not allowed",
    ),
    "alarm period seconds": (
        lambda _: {"alarms": EndpointAlarms(period=Duration.seconds(90))},
        "alarms period=90s is not allowed; use a whole number of minutes",
    ),
    # encryption
    "key and encrypt false": (
        lambda stack: {
            "encrypt": False,
            "encryption_key": cdk.aws_kms.Key(stack, "Key", enable_key_rotation=True),
        },
        "encryption_key is given but encrypt=False",
    ),
}

GOOD_EDGES: dict[str, dict[str, Any]] = {
    "smallest memory": {"memory_size_in_mb": 1024},
    "largest memory": {"memory_size_in_mb": 6144},
    "max concurrency 1": {"max_concurrency": 1},
    "max concurrency 200": {"max_concurrency": 200},
    "provisioned 1": {"max_concurrency": 1, "provisioned_concurrency": 1},
    "provisioned equals max": {"max_concurrency": 200, "provisioned_concurrency": 200},
    "endpoint name 63 chars": {"endpoint_name": "a" * 63},
    "endpoint name 1 char": {"endpoint_name": "a"},
    "environment at limits": {"environment": {f"K{i}": "v" * 1024 for i in range(100)}},
    "baking 3600s": {
        "deployment": Deployment.blue_green(
            traffic=TrafficShift.linear(percent=100, interval=Duration.hours(1))
        )
    },
}


def make_stack() -> cdk.Stack:
    env = cdk.Environment(account="123456789012", region="us-east-1")
    return cdk.Stack(new_app(), "Validation", env=env)


def build(stack: cdk.Stack, overrides: dict[str, Any]) -> ServerlessEndpoint:
    props: dict[str, Any] = {
        "image": XGBOOST,
        "model_data": ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
    } | overrides
    return ServerlessEndpoint(stack, "Endpoint", **props)


def test_the_table_covers_at_least_twenty_bad_inputs() -> None:
    assert len(BAD_INPUTS) >= 20


@pytest.mark.parametrize(("overrides", "message"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_is_rejected_with_a_specific_message(
    overrides: Overrides, message: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Relative asset paths in the table are relative to the project root.
    monkeypatch.chdir(Path(__file__).resolve().parent.parent)
    stack = make_stack()
    with pytest.raises(ServerlessConfigError) as caught:
        build(stack, overrides(stack))
    assert any(message in problem for problem in caught.value.problems), caught.value
    assert "ServerlessEndpoint 'Validation/Endpoint'" in str(caught.value)


@pytest.mark.parametrize("overrides", GOOD_EDGES.values(), ids=GOOD_EDGES.keys())
def test_good_edge_values_are_accepted(overrides: dict[str, Any]) -> None:
    stack = make_stack()
    build(stack, overrides)
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::EndpointConfig", 1)


def test_every_problem_is_reported_in_one_error() -> None:
    stack = make_stack()
    with pytest.raises(ServerlessConfigError) as caught:
        build(
            stack,
            {
                "memory_size_in_mb": 1000,
                "max_concurrency": 0,
                "endpoint_name": "-bad-",
                "network_isolation": True,
                "deployment": Deployment.rolling(),
                "environment": {"A": 1},
            },
        )
    assert len(caught.value.problems) == 6
    assert isinstance(caught.value, ValueError)
    assert str(caught.value).startswith(
        "ServerlessEndpoint 'Validation/Endpoint': 6 configuration problems:"
    )


def test_unresolved_tokens_are_skipped() -> None:
    stack = make_stack()
    memory = cdk.CfnParameter(stack, "Memory", type="Number").value_as_number
    concurrency = cdk.CfnParameter(stack, "Concurrency", type="Number").value_as_number
    tag = cdk.CfnParameter(stack, "Tag").value_as_string
    build(
        stack,
        {
            "memory_size_in_mb": memory,
            "max_concurrency": concurrency,
            "provisioned_concurrency": concurrency,
            "image": ContainerImage.from_ecr_repository(_repository(stack), tag),
            "endpoint_name": cdk.CfnParameter(stack, "Name").value_as_string,
        },
    )
    Template.from_stack(stack).resource_count_is("AWS::SageMaker::Endpoint", 1)


def test_digest_pinned_image_is_accepted() -> None:
    stack = make_stack()
    build(stack, {"image": ContainerImage.from_ecr_repository(_repository(stack), DIGEST)})
