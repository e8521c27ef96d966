"""Where the model's container image comes from.

A :class:`ContainerImage` is a factory result: it knows its image URI and, when bound to an
endpoint, grants the execution role pull access to exactly its own repository.
"""

from __future__ import annotations

import abc
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from aws_cdk import Aws, CfnMapping, Fn, Stack, Token
from aws_cdk import aws_iam as iam

from constructs import Construct

from ._errors import ServerlessConfigError

__all__ = ["ContainerImage", "ContainerImageConfig", "supported_algorithm_versions"]

# ECR actions needed to pull one image, scoped to its repository.
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


@dataclass(frozen=True)
class ContainerImageConfig:
    """What a bound image contributes to the model: its URI (may contain CloudFormation tokens)."""

    image_uri: str


class ContainerImage(abc.ABC):
    """The container image that serves the model. Create one with a ``from_*`` factory."""

    @abc.abstractmethod
    def problems(self, scope: Construct) -> list[str]:
        """Configuration problems found for this image in ``scope`` (empty when valid)."""

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        """Grant ``grantee`` pull access to the image and return its URI."""

    @staticmethod
    def from_sagemaker_algorithm(algorithm: str, version: str) -> ContainerImage:
        """A SageMaker built-in algorithm image, resolved for the stack's region.

        :param algorithm: the algorithm; ``"xgboost"`` is supported.
        :param version: the image tag, e.g. ``"3.0-5"``; see :func:`supported_algorithm_versions`.
        :raises ServerlessConfigError: for an unknown algorithm or version.

        The registry account differs per region (facts from the SageMaker Python SDK). For an
        environment-agnostic stack the account is looked up at deploy time from a CloudFormation
        mapping keyed by ``AWS::Region``.
        """
        problems = _algorithm_problems(algorithm, version)
        if problems:
            raise ServerlessConfigError(problems, subject="ContainerImage.from_sagemaker_algorithm")
        return _AlgorithmImage(algorithm=algorithm, version=version)


def supported_algorithm_versions(algorithm: str = "xgboost") -> tuple[str, ...]:
    """The image versions known for ``algorithm``, oldest first."""
    if algorithm != "xgboost":
        return ()
    return tuple(_xgboost_registry()["versions"])


@cache
def _xgboost_registry() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data/xgboost_registry.json").read_text()
    registry: dict[str, Any] = json.loads(text)
    return registry


_ALGORITHMS = ("xgboost",)


def _algorithm_problems(algorithm: Any, version: Any) -> list[str]:
    if algorithm not in _ALGORITHMS:
        return [f"algorithm={algorithm!r} is not supported; use one of {', '.join(_ALGORITHMS)}"]
    versions = supported_algorithm_versions(algorithm)
    if version not in versions:
        return [
            f"version={version!r} is not a known {algorithm} image; "
            f"use one of {', '.join(versions)}"
        ]
    return []


@dataclass(frozen=True)
class _Partition:
    name: str
    dns_suffix: str


def partition_of(region: str) -> _Partition:
    """The partition of a concrete region name."""
    if region.startswith("cn-"):
        return _Partition("aws-cn", "amazonaws.com.cn")
    if region.startswith("us-gov-"):
        return _Partition("aws-us-gov", "amazonaws.com")
    return _Partition("aws", "amazonaws.com")


class _AlgorithmImage(ContainerImage):
    def __init__(self, *, algorithm: str, version: str) -> None:
        self.algorithm = algorithm
        self.version = version

    @property
    def _accounts(self) -> dict[str, str]:
        accounts: dict[str, str] = _xgboost_registry()["versions"][self.version]
        return accounts

    def problems(self, scope: Construct) -> list[str]:
        region = Stack.of(scope).region
        if Token.is_unresolved(region) or region in self._accounts:
            return []
        return [
            f"region={region!r} has no SageMaker {self.algorithm} {self.version} image; "
            f"known regions: {', '.join(self._accounts)}"
        ]

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ContainerImageConfig:
        stack = Stack.of(scope)
        repository = _xgboost_registry()["repository"]
        if Token.is_unresolved(stack.region):
            account = self._registry_mapping(stack).find_in_map(Aws.REGION, "account")
            registry = Fn.join("", [account, ".dkr.ecr.", Aws.REGION, ".", Aws.URL_SUFFIX])
            repository_arn = Fn.join(
                "",
                [
                    "arn:",
                    Aws.PARTITION,
                    ":ecr:",
                    Aws.REGION,
                    ":",
                    account,
                    ":repository/",
                    repository,
                ],
            )
        else:
            account = self._accounts[stack.region]
            partition = partition_of(stack.region)
            registry = f"{account}.dkr.ecr.{stack.region}.{partition.dns_suffix}"
            repository_arn = (
                f"arn:{partition.name}:ecr:{stack.region}:{account}:repository/{repository}"
            )
        _grant_pull(grantee, repository_arn)
        return ContainerImageConfig(image_uri=f"{registry}/{repository}:{self.version}")

    def _registry_mapping(self, stack: Stack) -> CfnMapping:
        # One mapping per stack and image version, shared by every endpoint that uses it.
        mapping_id = (
            "SageMaker"
            + re.sub(r"[^A-Za-z0-9]", "", f"{self.algorithm}{self.version}")
            + "Registry"
        )
        existing = stack.node.try_find_child(mapping_id)
        if isinstance(existing, CfnMapping):
            return existing
        return CfnMapping(
            stack,
            mapping_id,
            mapping={region: {"account": account} for region, account in self._accounts.items()},
        )


def _grant_pull(grantee: iam.IGrantable, repository_arn: str) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee, actions=list(ECR_PULL_ACTIONS), resource_arns=[repository_arn]
    )
    # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
    iam.Grant.add_to_principal(
        grantee=grantee, actions=["ecr:GetAuthorizationToken"], resource_arns=["*"]
    )
