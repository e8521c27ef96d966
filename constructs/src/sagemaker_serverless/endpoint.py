"""The ServerlessEndpoint construct: Model + EndpointConfig (serverless) + Endpoint + role."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from aws_cdk import ArnFormat, Names, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sagemaker as sagemaker

from constructs import Construct

from ._base import EndpointBase, ImportedEndpoint
from ._errors import ServerlessConfigError
from ._limits import environment_problems, is_token, serverless_config_problems
from .image import ContainerImage
from .model_data import ModelData

__all__ = ["ServerlessEndpoint"]

ENDPOINT_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
# The namespace SageMaker's execution role publishes endpoint metrics to.
METRICS_NAMESPACE_FOR_ROLE = "/aws/sagemaker/Endpoints"


class ServerlessEndpoint(EndpointBase):
    """A SageMaker Serverless Inference endpoint serving one model.

    Emits one ``AWS::SageMaker::Model``, one ``AWS::SageMaker::EndpointConfig`` whose single
    production variant has a ``ServerlessConfig`` (no instance type or count), one
    ``AWS::SageMaker::Endpoint``, and an execution role that can read exactly the model artifact,
    pull exactly the image's repository, and write to exactly the endpoint's log group.

    The Model and EndpointConfig never get fixed names: SageMaker endpoint configs are immutable,
    so every change replaces them, and CloudFormation cannot create a replacement under a name that
    is still in use. The Endpoint is updated in place to point at the new config.

    :param scope: the parent construct.
    :param construct_id: the construct's id.
    :param image: the serving image, e.g.
        ``ContainerImage.from_sagemaker_algorithm("xgboost", "3.0-5")``.
    :param model_data: the artifact, e.g. ``ModelData.from_asset("model/model.tar.gz")``.
    :param memory_size_in_mb: memory per concurrent invocation, one of 1024, 2048, 3072, 4096,
        5120, 6144. Default: 2048.
    :param max_concurrency: the most invocations served at once, 1-200. Default: 5.
    :param provisioned_concurrency: invocations kept warm (1-200, at most ``max_concurrency``);
        billed while idle. Default: None (no provisioned concurrency; cold starts possible).
    :param environment: environment variables for the container (string values; at most 100,
        keys ``[a-zA-Z_][a-zA-Z0-9_]*``, keys and values at most 1024 characters). Default: none.
    :param endpoint_name: the endpoint's name. Default: a stable name derived from the stack name
        and the construct path (at most 63 characters), so that logs permissions can be scoped to
        the endpoint's own log group and scripts can find it.
    :param variant_name: the production variant's name. Default: ``"AllTraffic"``.
    :raises ServerlessConfigError: listing every invalid argument at once.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        image: ContainerImage,
        model_data: ModelData,
        memory_size_in_mb: int = 2048,
        max_concurrency: int = 5,
        provisioned_concurrency: int | None = None,
        environment: Mapping[str, str] | None = None,
        endpoint_name: str | None = None,
        variant_name: str = "AllTraffic",
    ) -> None:
        super().__init__(scope, construct_id)

        problems = serverless_config_problems(
            memory_size_in_mb=memory_size_in_mb,
            max_concurrency=max_concurrency,
            provisioned_concurrency=provisioned_concurrency,
        )
        problems += image.problems(self)
        problems += model_data.problems()
        problems += _endpoint_name_problems(endpoint_name)
        problems += environment_problems(environment)
        if problems:
            raise ServerlessConfigError(problems, subject=f"ServerlessEndpoint {self.node.path!r}")

        name = endpoint_name or Names.unique_resource_name(
            self, max_length=63, separator="-", allowed_special_characters="-"
        )
        self._variant_name = variant_name
        self.memory_size_in_mb = memory_size_in_mb
        self.max_concurrency = max_concurrency
        self.provisioned_concurrency = provisioned_concurrency

        self.role: iam.IRole = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
            description=f"SageMaker execution role of serverless endpoint {name}",
        )
        image_config = image.bind(self, self.role)
        data_config = model_data.bind(self, self.role)
        self._grant_logs_and_metrics(name)

        self.model = sagemaker.CfnModel(
            self,
            "Model",
            execution_role_arn=self.role.role_arn,
            primary_container=sagemaker.CfnModel.ContainerDefinitionProperty(
                image=image_config.image_uri,
                model_data_url=data_config.s3_url,
                environment=dict(environment) if environment else None,
            ),
        )
        # The endpoint pulls the image and artifact with this role, so its policy must exist first.
        # (The role itself is already a dependency through ExecutionRoleArn.)
        default_policy = self.role.node.try_find_child("DefaultPolicy")
        if default_policy is not None:
            self.model.node.add_dependency(default_policy)

        self.endpoint_config = sagemaker.CfnEndpointConfig(
            self,
            "EndpointConfig",
            production_variants=[
                sagemaker.CfnEndpointConfig.ProductionVariantProperty(
                    variant_name=variant_name,
                    model_name=self.model.attr_model_name,
                    initial_variant_weight=1.0,
                    serverless_config=sagemaker.CfnEndpointConfig.ServerlessConfigProperty(
                        memory_size_in_mb=memory_size_in_mb,
                        max_concurrency=max_concurrency,
                        provisioned_concurrency=provisioned_concurrency,
                    ),
                )
            ],
        )
        self.cfn_endpoint = sagemaker.CfnEndpoint(
            self,
            "Endpoint",
            endpoint_name=name,
            endpoint_config_name=self.endpoint_config.attr_endpoint_config_name,
        )

    @staticmethod
    def from_endpoint_name(
        scope: Construct, construct_id: str, endpoint_name: str, *, variant_name: str = "AllTraffic"
    ) -> EndpointBase:
        """Import an existing endpoint by name, for ``grant_invoke`` and ``metric_*``."""
        problems = _endpoint_name_problems(endpoint_name)
        if problems:
            raise ServerlessConfigError(problems, subject="ServerlessEndpoint.from_endpoint_name")
        return ImportedEndpoint(
            scope, construct_id, endpoint_name=endpoint_name, variant_name=variant_name
        )

    @property
    def variant_name(self) -> str:
        """The production variant's name."""
        return self._variant_name

    @property
    def endpoint_name(self) -> str:
        """The endpoint's name (a token that also carries the dependency on the endpoint)."""
        return self.cfn_endpoint.attr_endpoint_name

    @property
    def endpoint_arn(self) -> str:
        """The endpoint's ARN (``Ref`` of ``AWS::SageMaker::Endpoint``)."""
        return self.cfn_endpoint.ref

    def _grant_logs_and_metrics(self, name: str) -> None:
        stack = Stack.of(self)
        log_group_arn = stack.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"/aws/sagemaker/Endpoints/{name}",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"],
                resources=[log_group_arn],
            )
        )
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[f"{log_group_arn}:log-stream:*"],
            )
        )
        # PutMetricData has no resource-level permissions; the namespace condition is the scope.
        self.role.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE_FOR_ROLE}},
            )
        )


def _endpoint_name_problems(endpoint_name: Any) -> list[str]:
    if endpoint_name is None or is_token(endpoint_name):
        return []
    if not isinstance(endpoint_name, str) or not ENDPOINT_NAME_PATTERN.match(endpoint_name):
        return [
            f"endpoint_name={endpoint_name!r} is not allowed; use 1-63 letters, digits and "
            "hyphens, starting and ending with a letter or digit"
        ]
    return []
