"""One environment's stack: a serverless endpoint for the model, and its outputs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions

from constructs import Construct
from sagemaker_serverless import (
    ContainerImage,
    EndpointAlarms,
    ModelData,
    ModelPackage,
    ServerlessConfigError,
    ServerlessEndpoint,
)

from .config import EnvironmentConfig
from .model_registry import package_source, recorded_description

# Stack metadata (cloud assembly manifest, not the template) that `make deploy` reads.
DEPLOYED_BY_METADATA = "sagemaker-serverless:deployed-by"
# Output names the smoke script and the pipeline read.
OUTPUT_ENDPOINT_NAME = "EndpointName"
OUTPUT_ENDPOINT_ARN = "EndpointArn"
OUTPUT_MODEL_FEATURE_COUNT = "ModelFeatureCount"
OUTPUT_MODEL_PACKAGE = "ModelPackageVersionArn"
# The stack tag that names the deployed Model Registry version (<group>/<version>).
MODEL_PACKAGE_TAG = "sagemaker-model-package"


class ServerlessEndpointStack(cdk.Stack):
    """The stack of one environment (``config``); keyword arguments go to ``cdk.Stack``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"SageMaker Serverless Inference endpoint ({config.name})",
            termination_protection=config.termination_protection,
            **kwargs,
        )
        self.config = config
        self.node.add_metadata(DEPLOYED_BY_METADATA, config.deployed_by)
        self.alarm_topic = self._alarm_topic(config) if config.alarms else None
        self.model_package = self._model_package(config)
        self.endpoint = ServerlessEndpoint(
            self,
            "Endpoint",
            image=(
                ContainerImage.from_sagemaker_algorithm("xgboost", config.xgboost_image_version)
                if self.model_package is None
                else None
            ),
            model_data=(
                ModelData.from_asset(config.model_artifact) if self.model_package is None else None
            ),
            model_package=self.model_package,
            memory_size_in_mb=config.memory_size_in_mb,
            max_concurrency=config.max_concurrency,
            provisioned_concurrency=config.provisioned_concurrency,
            provisioned_concurrency_scaling=config.provisioned_concurrency_scaling,
            environment={"SAGEMAKER_CONTAINER_LOG_LEVEL": "20"},
            alarms=EndpointAlarms(topic=self.alarm_topic) if config.alarms else None,
            dashboard=config.dashboard,
        )
        for key, value in config.tags.items():
            cdk.Tags.of(self).add(key, value)
        if self.model_package is not None:
            description = self.model_package.description
            # On the model and the endpoint only: a stack-wide tag would update every resource
            # (key, role, alarms...) on every new version.
            for resource in (self.endpoint.model, self.endpoint.cfn_endpoint):
                cdk.Tags.of(resource).add(
                    MODEL_PACKAGE_TAG, f"{description.group_name}/{description.version}"
                )
            cdk.CfnOutput(
                self,
                OUTPUT_MODEL_PACKAGE,
                value=description.arn,
                description="The Model Registry version the endpoint serves",
            )

        cdk.CfnOutput(
            self,
            OUTPUT_ENDPOINT_NAME,
            value=self.endpoint.endpoint_name,
            description="Name of the SageMaker endpoint (pass to scripts/smoke_test.py)",
        )
        cdk.CfnOutput(
            self, OUTPUT_ENDPOINT_ARN, value=self.endpoint.endpoint_arn, description="Endpoint ARN"
        )
        # Read from the artifact at synth, so that a smoke test can build a request of the right
        # width for whatever model is deployed; absent when the artifact does not say.
        feature_count = self.endpoint.model_feature_count
        if feature_count is not None:
            cdk.CfnOutput(
                self,
                OUTPUT_MODEL_FEATURE_COUNT,
                value=str(feature_count),
                description=(
                    "Number of features the model reads: values per text/csv row, no label "
                    "(read from the model artifact at synth)"
                ),
            )

    def _model_package(self, config: EnvironmentConfig) -> ModelPackage | None:
        # Read from the record `make refresh-model` keeps in cdk.context.json, never from AWS.
        if config.model_package is None:
            return None
        account, region = self.account, self.region
        source = package_source(
            config.model_package,
            account=None if cdk.Token.is_unresolved(account) else account,
            region=None if cdk.Token.is_unresolved(region) else region,
        )
        description = (
            recorded_description(source, env=config.name, context=self.node.try_get_context)
            if not isinstance(source, str)
            else source
        )
        if isinstance(description, str):
            raise ServerlessConfigError([description], subject=f"environment {config.name!r}")
        return ModelPackage.from_description(
            description, allow_unapproved=config.allow_unapproved_model_package
        )

    def _alarm_topic(self, config: EnvironmentConfig) -> sns.Topic:
        # Alarm notifications can carry endpoint names; encrypt them with a key of our own, which
        # CloudWatch may use to publish (an AWS-managed SNS key would not let alarms publish).
        key = kms.Key(
            self,
            "AlarmTopicKey",
            description=f"Encrypts the alarm notifications of the {config.name} endpoint",
            enable_key_rotation=True,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],  # in a key policy, "*" means this key
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        topic = sns.Topic(
            self,
            "AlarmTopic",
            display_name=f"SageMaker serverless {config.name} alarms",
            master_key=key,
            enforce_ssl=True,
        )
        for email in config.alarm_emails:
            topic.add_subscription(subscriptions.EmailSubscription(email))
        return topic
