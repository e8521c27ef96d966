"""One environment's stack: a serverless endpoint for the model, and its outputs."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk

from constructs import Construct
from sagemaker_serverless import ContainerImage, ModelData, ServerlessEndpoint

from .config import EnvironmentConfig

# Output names the smoke script and the pipeline read.
OUTPUT_ENDPOINT_NAME = "EndpointName"
OUTPUT_ENDPOINT_ARN = "EndpointArn"


class ServerlessEndpointStack(cdk.Stack):
    """The stack of one environment (``config``); keyword arguments go to ``cdk.Stack``."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: EnvironmentConfig, **kwargs: Any
    ) -> None:
        super().__init__(
            scope,
            construct_id,
            description=f"SageMaker Serverless Inference endpoint ({config.name})",
            **kwargs,
        )
        self.config = config
        self.endpoint = ServerlessEndpoint(
            self,
            "Endpoint",
            image=ContainerImage.from_sagemaker_algorithm("xgboost", config.xgboost_image_version),
            model_data=ModelData.from_asset(config.model_artifact),
            memory_size_in_mb=config.memory_size_in_mb,
            max_concurrency=config.max_concurrency,
            provisioned_concurrency=config.provisioned_concurrency,
            environment={"SAGEMAKER_CONTAINER_LOG_LEVEL": "20"},
        )
        for key, value in config.tags.items():
            cdk.Tags.of(self).add(key, value)

        cdk.CfnOutput(
            self,
            OUTPUT_ENDPOINT_NAME,
            value=self.endpoint.endpoint_name,
            description="Name of the SageMaker endpoint (pass to scripts/smoke_test.py)",
        )
        cdk.CfnOutput(
            self, OUTPUT_ENDPOINT_ARN, value=self.endpoint.endpoint_arn, description="Endpoint ARN"
        )
