"""The apps that are measured, each synthesized in a fresh interpreter (as `cdk synth` does).

`python -m scripts.bench _measure KIND ARGUMENT` builds one app and prints one JSON object of
timings; scripts/bench/sections.py starts those processes and reads their output.

- full: app.py's app (stacks.app.build_app), with or without the compliance packs;
- bare: the same three endpoints with only L1 resources and one role each (the floor);
- scaling: N ServerlessEndpoints (this construct library) with the compliance packs;
- scaling-no-packs: the same without the packs (like for like with the peer);
- peer: N endpoints of the official aws-cdk.aws-sagemaker-alpha L2 (Model, EndpointConfig with a
  serverless production variant, Endpoint): what a user would otherwise pick.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_ENVIRON = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "us-east-1"}
# CloudFormation allows 500 resources per stack; the scaling apps spread endpoints over stacks.
ENDPOINTS_PER_STACK = 20
# The SageMaker XGBoost algorithm image in us-east-1 (what ContainerImage.from_sagemaker_algorithm
# resolves to there): the peer references the same image.
XGBOOST_ACCOUNT = "683313688378"
XGBOOST_REPOSITORY = "sagemaker-xgboost"
XGBOOST_TAG = "3.0-5"
# ServerlessEndpoint's defaults: the peer gets the same serverless configuration.
MEMORY_SIZE_IN_MB = 2048
MAX_CONCURRENCY = 5

KINDS = ("full", "bare", "scaling", "scaling-no-packs", "peer")


class UnknownMeasurementError(ValueError):
    """`_measure` was asked for an app it does not know."""


def measure(kind: str, argument: str) -> dict[str, float]:
    """Build and synthesize one app; the seconds each phase took."""
    started = time.perf_counter()
    from stacks.node_runtime import use_project_node

    use_project_node()
    import aws_cdk as cdk

    imported = time.perf_counter()
    outdir = tempfile.mkdtemp(prefix="bench-")
    app = cdk.App(outdir=outdir, analytics_reporting=False, context=_cdk_json_context())
    build(app, kind, argument)
    built = time.perf_counter()
    app.synth()
    done = time.perf_counter()
    return {
        "startup_s": imported - started,
        "build_s": built - imported,
        "synth_s": done - built,
        "construct_and_synth_s": done - imported,
    }


def build(app: Any, kind: str, argument: str) -> None:
    """Add the ``kind`` app's stacks to ``app`` (the test suite synthesizes them too)."""
    if kind == "full":
        from stacks.app import build_app
        from stacks.compliance import add_compliance_checks

        build_app(app, environ=SAMPLE_ENVIRON)
        if argument == "with-packs":
            add_compliance_checks(app)
    elif kind == "bare":
        bare_app(app)
    elif kind == "scaling":
        scaling_app(app, int(argument))
    elif kind == "scaling-no-packs":
        scaling_app(app, int(argument), packs=False)
    elif kind == "peer":
        peer_app(app, int(argument))
    else:
        raise UnknownMeasurementError(f"unknown measurement {kind!r}; one of {', '.join(KINDS)}")


def _cdk_json_context() -> dict[str, Any]:
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    return context


def bare_app(app: Any) -> None:
    """The same three endpoints with only L1 resources and one role each: the floor."""
    import aws_cdk as cdk
    from aws_cdk import aws_iam as iam
    from aws_cdk import aws_sagemaker as sagemaker

    from stacks.config import ENVIRONMENTS

    image = f"{XGBOOST_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/{XGBOOST_REPOSITORY}:{XGBOOST_TAG}"
    env = cdk.Environment(account="123456789012", region="us-east-1")
    for config in ENVIRONMENTS:
        stack = cdk.Stack(app, f"Bare-{config.name}", env=env)
        role = iam.CfnRole(
            stack,
            "Role",
            assume_role_policy_document={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "sagemaker.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
        )
        model = sagemaker.CfnModel(
            stack,
            "Model",
            execution_role_arn=role.attr_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image, model_data_url="s3://bucket/model.tar.gz"
            ),
        )
        endpoint_config = sagemaker.CfnEndpointConfig(
            stack,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name="AllTraffic",
                    model_name=model.attr_model_name,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=config.memory_size_in_mb,
                        max_concurrency=config.max_concurrency,
                    ),
                )
            ],
        )
        sagemaker.CfnEndpoint(
            stack, "Endpoint", endpoint_config_name=endpoint_config.attr_endpoint_config_name
        )


def _stacks(app: Any, prefix: str, count: int) -> list[Any]:
    """One stack per ENDPOINTS_PER_STACK endpoints, for endpoint 0 .. count - 1."""
    import aws_cdk as cdk

    env = cdk.Environment(account="123456789012", region="us-east-1")
    stacks = [
        cdk.Stack(app, f"{prefix}{index}", env=env)
        for index in range((count + ENDPOINTS_PER_STACK - 1) // ENDPOINTS_PER_STACK)
    ]
    return [stacks[index // ENDPOINTS_PER_STACK] for index in range(count)]


def scaling_app(app: Any, count: int, *, packs: bool = True) -> None:
    """``count`` ServerlessEndpoints of this construct library, with the compliance packs unless
    ``packs=False`` (the like-for-like comparison with the peer, which has none)."""
    from sagemaker_serverless import ContainerImage, ModelData, ServerlessEndpoint
    from stacks.compliance import add_compliance_checks
    from stacks.config import SAMPLE_MODEL_ARTIFACT

    image = ContainerImage.from_sagemaker_algorithm("xgboost", XGBOOST_TAG)
    for index, stack in enumerate(_stacks(app, "Scaling", count)):
        ServerlessEndpoint(
            stack,
            f"Endpoint{index}",
            image=image,
            model_data=ModelData.from_asset(SAMPLE_MODEL_ARTIFACT),
        )
    if packs:
        add_compliance_checks(app)


def peer_app(app: Any, count: int) -> None:
    """``count`` endpoints of the official alpha L2: the same model asset, image and serverless
    configuration. Its Model creates its own role (AmazonSageMakerFullAccess attached); it has
    no compliance packs, alarms or scaling of its own, so nothing of the kind is added."""
    import aws_cdk.aws_sagemaker_alpha as alpha

    from stacks.config import SAMPLE_MODEL_ARTIFACT

    image = alpha.ContainerImage.from_dlc(XGBOOST_REPOSITORY, XGBOOST_TAG, XGBOOST_ACCOUNT)
    for index, stack in enumerate(_stacks(app, "Peer", count)):
        model = alpha.Model(
            stack,
            f"Model{index}",
            containers=[
                alpha.ContainerDefinition(
                    image=image,
                    model_data=alpha.ModelData.from_asset(str(SAMPLE_MODEL_ARTIFACT)),
                )
            ],
        )
        config = alpha.EndpointConfig(
            stack,
            f"EndpointConfig{index}",
            serverless_production_variant=alpha.ServerlessProductionVariantProps(
                model=model,
                variant_name="AllTraffic",
                memory_size_in_mb=MEMORY_SIZE_IN_MB,
                max_concurrency=MAX_CONCURRENCY,
            ),
        )
        alpha.Endpoint(stack, f"Endpoint{index}", endpoint_config=config)
