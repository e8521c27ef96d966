"""Helpers of the smoke script's tests against moto: a fake clock, an endpoint, its answers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.models import sagemakerruntime_backends

from scripts.smoke.cli import main

REGION = "us-east-1"  # the moto fixture's (tests/conftest.py `aws`)
ENDPOINT = "smoke-endpoint"


class FakeTime:
    """A clock that only moves when the script sleeps: waits take no real time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []
        self.on_sleep: list[Any] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        for hook in self.on_sleep:
            hook(len(self.sleeps))


def create_endpoint(name: str = ENDPOINT) -> None:
    client = boto3.client("sagemaker", region_name=REGION)
    client.create_model(
        ModelName=f"{name}-model",
        ExecutionRoleArn=f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker",
        PrimaryContainer={
            "Image": "683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.0-5",
            "ModelDataUrl": "s3://bucket/model.tar.gz",
        },
    )
    client.create_endpoint_config(
        EndpointConfigName=f"{name}-config",
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "ModelName": f"{name}-model",
                "ServerlessConfig": {"MemorySizeInMB": 2048, "MaxConcurrency": 2},
            }
        ],
    )
    client.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")


def fake_endpoint(name: str = ENDPOINT) -> Any:
    return sagemaker_backends[DEFAULT_ACCOUNT_ID][REGION].endpoints[name]


def queue_answer(body: str) -> None:
    backend = sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION]
    backend.results_queue.append((body, "text/csv", "AllTraffic", ""))


def create_stack(name: str, outputs: dict[str, str]) -> None:
    """A stack with only these outputs (and a bucket): no SageMaker resources, so the smoke
    script's configuration check cannot run on it (--no-config-check); deploy_stack below makes
    real ones."""
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::S3::Bucket"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )


def run_main(fake_time: FakeTime, *args: str) -> int:
    return main(list(args), sleep=fake_time.sleep, clock=fake_time.clock)


# --- the live-configuration check (tests/test_smoke_drift.py) ---------------------------------

SNAPSHOTS = Path(__file__).parent / "__snapshots__" / "test_snapshots"
EXECUTION_ROLE = f"arn:aws:iam::{DEFAULT_ACCOUNT_ID}:role/sagemaker-execution"


def snapshot_path(environment: str) -> Path:
    """An environment's reviewed template (what `make synth` writes for us-east-1)."""
    return SNAPSHOTS / f"test_template_snapshot[{environment}].json"


def sagemaker_part_of_snapshot(environment: str = "dev") -> dict[str, Any]:
    """The environment's template cut down to what moto's in-process CloudFormation creates:
    its Model, EndpointConfig and Endpoint as synthesized, and the outputs the smoke script
    reads. Removed, as they only point elsewhere: the execution role (the Model gets a literal
    role ARN), the KMS key (KmsKeyId), the alarms (DeploymentConfig; moto ignores it anyway)."""
    template = json.loads(snapshot_path(environment).read_text())
    resources = {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if resource["Type"].startswith("AWS::SageMaker::")
    }
    for resource in resources.values():
        properties = resource["Properties"]
        properties.pop("KmsKeyId", None)
        properties.pop("DeploymentConfig", None)
        if resource["Type"] == "AWS::SageMaker::Model":
            properties["ExecutionRoleArn"] = EXECUTION_ROLE
    outputs = {k: v for k, v in template["Outputs"].items() if k != "EndpointArn"}
    return {"Resources": resources, "Outputs": outputs}


def only_resource(template: dict[str, Any], resource_type: str) -> tuple[str, dict[str, Any]]:
    (found,) = [(k, v) for k, v in template["Resources"].items() if v["Type"] == resource_type]
    return found


def deploy_stack(name: str, template: dict[str, Any]) -> str:
    """Create the stack through moto's CloudFormation; the endpoint name from its output (moto
    ignores the template's EndpointName: it names the endpoint <stack>-<logical id>-<random>)."""
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    cloudformation.create_stack(StackName=name, TemplateBody=json.dumps(template))
    (stack,) = cloudformation.describe_stacks(StackName=name)["Stacks"]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    return str(outputs["EndpointName"])


def live_endpoint(name: str) -> dict[str, Any]:
    answer: dict[str, Any] = boto3.client("sagemaker", region_name=REGION).describe_endpoint(
        EndpointName=name
    )
    return answer


def hand_made_config(
    endpoint_name: str,
    config_name: str,
    *,
    serverless: dict[str, int] | None = None,
    model_name: str | None = None,
) -> None:
    """A copy of the endpoint's live config under a name CloudFormation never made, with
    ``serverless`` fields and ``model_name`` changed: what someone creates by hand."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    live = sagemaker.describe_endpoint_config(
        EndpointConfigName=live_endpoint(endpoint_name)["EndpointConfigName"]
    )
    (variant,) = live["ProductionVariants"]
    sagemaker.create_endpoint_config(
        EndpointConfigName=config_name,
        ProductionVariants=[
            {
                "VariantName": variant["VariantName"],
                "ModelName": model_name or variant["ModelName"],
                "ServerlessConfig": variant["ServerlessConfig"] | (serverless or {}),
            }
        ],
    )


def hand_made_model(endpoint_name: str, model_name: str, **container: str) -> None:
    """A copy of the endpoint's live model with ``container`` fields changed (Image=...)."""
    sagemaker = boto3.client("sagemaker", region_name=REGION)
    config = sagemaker.describe_endpoint_config(
        EndpointConfigName=live_endpoint(endpoint_name)["EndpointConfigName"]
    )
    live = sagemaker.describe_model(ModelName=config["ProductionVariants"][0]["ModelName"])
    sagemaker.create_model(
        ModelName=model_name,
        ExecutionRoleArn=live["ExecutionRoleArn"],
        PrimaryContainer={
            "Image": live["PrimaryContainer"]["Image"],
            "ModelDataUrl": live["PrimaryContainer"]["ModelDataUrl"],
        }
        | container,
    )


def update_endpoint_by_hand(endpoint_name: str, config_name: str) -> None:
    """SageMaker UpdateEndpoint, behind CloudFormation's back (moto needs
    scripts/rehearsal/moto_repairs.py for it: moto 5.2.5 does not implement the call)."""
    boto3.client("sagemaker", region_name=REGION).update_endpoint(
        EndpointName=endpoint_name, EndpointConfigName=config_name
    )


def fake_serverless_variant(endpoint_name: str) -> dict[str, Any]:
    """The backend's variant summary of a serverless endpoint, for states no moto API makes
    (e.g. a DesiredServerlessConfig that differs from the current one). Assign new dicts: moto
    shares one between a config and its endpoint's Current/Desired configs."""
    (variant,) = fake_endpoint(endpoint_name).production_variants
    result: dict[str, Any] = variant
    return result


def answer_instead(body: str) -> None:
    """Replace the answers queued so far (e.g. by a fixture) with ``body``."""
    sagemakerruntime_backends[DEFAULT_ACCOUNT_ID][REGION].results_queue.clear()
    queue_answer(body)
