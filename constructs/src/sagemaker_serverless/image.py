"""Where the model's container image comes from.

A :class:`ContainerImage` is a factory result: it knows its image URI and, when bound to an
endpoint, returns the IAM statements that pull exactly its own repository (the endpoint puts them
in its execution policy). Every image is pinned: by tag (never ``latest``), by digest, or by the
content hash of a local Docker build context.
"""

from __future__ import annotations

import abc
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from aws_cdk import Aws, CfnMapping, Fn, IgnoreMode, Stack, Token
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam

from constructs import Construct

from ._errors import ServerlessConfigError
from ._iam import allow
from ._limits import is_token

__all__ = ["ContainerImage", "ContainerImageConfig", "supported_algorithm_versions"]

# ECR actions needed to pull one image, scoped to its repository.
ECR_PULL_ACTIONS = (
    "ecr:BatchCheckLayerAvailability",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
)


# ECR image tags: letters, digits, '_', '.', '-', at most 128, not starting with '.' or '-'.
_TAG = re.compile(r"^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$")
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


@dataclass(frozen=True)
class ContainerImageConfig:
    """What a bound image contributes to the model.

    :param image_uri: the image URI (may contain CloudFormation tokens).
    :param policy_statements: what the execution role needs to pull the image, and no more.
    """

    image_uri: str
    policy_statements: tuple[iam.PolicyStatement, ...]


class ContainerImage(abc.ABC):
    """The container image that serves the model. Create one with a ``from_*`` factory."""

    @abc.abstractmethod
    def problems(self, scope: Construct) -> list[str]:
        """Configuration problems found for this image in ``scope`` (empty when valid)."""

    @abc.abstractmethod
    def bind(self, scope: Construct) -> ContainerImageConfig:
        """Create what the image needs in ``scope``; return its URI and pull permissions."""

    @property
    def is_builtin_xgboost(self) -> bool:
        """True for SageMaker's built-in XGBoost image, whose way of loading the model synth
        checks the artifact against (other images may load any file format)."""
        return False

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

    @staticmethod
    def from_ecr_repository(repository: ecr.IRepository, tag: str) -> ContainerImage:
        """An image in an ECR repository, pinned by ``tag`` or by digest (``"sha256:<64 hex>"``).

        ``latest`` and an empty tag are rejected: an endpoint config must say exactly which image
        it serves, so that a redeploy cannot silently change the model server. Pull permissions
        cover this repository only.
        """
        return _EcrImage(repository=repository, tag=tag)

    @staticmethod
    def from_asset(
        directory: str | os.PathLike[str],
        *,
        file: str = "Dockerfile",
        build_args: dict[str, str] | None = None,
        platform: ecr_assets.Platform | None = None,
        exclude: Sequence[str] | None = None,
    ) -> ContainerImage:
        """A local Docker build context, built and pushed to the CDK assets repository by
        ``cdk deploy`` (``cdk synth`` only hashes the directory; it never needs Docker).

        The image tag is the content hash of the build context, so the image is pinned and a
        changed context replaces the endpoint config. The container must follow the SageMaker
        contract: started with the ``serve`` argument, listening on port 8080 for ``GET /ping``
        and ``POST /invocations``, reading the model from ``/opt/ml/model``.

        :param directory: the build context; must contain ``file``.
        :param file: the Dockerfile's path inside ``directory``. Default: ``"Dockerfile"``.
        :param build_args: ``--build-arg`` values. Default: none.
        :param platform: the target platform. Default: ``linux/amd64`` (serverless endpoints run
            x86_64).
        :param exclude: ``.dockerignore``-style patterns left out of the build context (and of
            its hash). Default: the lines of ``<file>.dockerignore`` next to the Dockerfile if it
            exists (as Docker BuildKit reads it), else CDK's default (``.dockerignore`` in
            ``directory``). The Dockerfile itself is always kept, as Docker does.
        """
        return _AssetImage(
            directory=Path(directory),
            file=file,
            build_args=dict(build_args or {}),
            platform=platform or ecr_assets.Platform.LINUX_AMD64,
            exclude=tuple(exclude) if exclude is not None else None,
        )


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
    def is_builtin_xgboost(self) -> bool:
        return self.algorithm == "xgboost"

    @property
    def _accounts(self) -> dict[str, str]:
        accounts: dict[str, str] = _xgboost_registry()["versions"][self.version]
        return accounts

    def problems(self, scope: Construct) -> list[str]:
        region = Stack.of(scope).region
        if region in self._accounts or Token.is_unresolved(region):
            return []
        return [
            f"region={region!r} has no SageMaker {self.algorithm} {self.version} image; "
            f"known regions: {', '.join(self._accounts)}"
        ]

    def bind(self, scope: Construct) -> ContainerImageConfig:
        stack = Stack.of(scope)
        region = stack.region  # each read is a round trip to jsii
        repository = _xgboost_registry()["repository"]
        if region not in self._accounts:  # an unresolved region: problems() passed it
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
            account = self._accounts[region]
            partition = partition_of(region)
            registry = f"{account}.dkr.ecr.{region}.{partition.dns_suffix}"
            repository_arn = f"arn:{partition.name}:ecr:{region}:{account}:repository/{repository}"
        return ContainerImageConfig(
            image_uri=f"{registry}/{repository}:{self.version}",
            policy_statements=pull_statements(repository_arn),
        )

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


class _EcrImage(ContainerImage):
    def __init__(self, *, repository: ecr.IRepository, tag: str) -> None:
        self.repository = repository
        self.tag = tag

    def problems(self, scope: Construct) -> list[str]:
        problem = _tag_problem(self.tag)
        return [problem] if problem else []

    def bind(self, scope: Construct) -> ContainerImageConfig:
        if isinstance(self.tag, str) and self.tag.startswith("sha256:"):
            image_uri = self.repository.repository_uri_for_digest(self.tag)
        else:
            image_uri = self.repository.repository_uri_for_tag(self.tag)
        return ContainerImageConfig(
            image_uri=image_uri,
            policy_statements=pull_statements(self.repository.repository_arn),
        )


class _AssetImage(ContainerImage):
    def __init__(
        self,
        *,
        directory: Path,
        file: str,
        build_args: dict[str, str],
        platform: ecr_assets.Platform,
        exclude: tuple[str, ...] | None,
    ) -> None:
        self.directory = directory
        self.file = file
        self.build_args = build_args
        self.platform = platform
        self.exclude = exclude

    def _exclude_patterns(self) -> list[str] | None:
        patterns = self.exclude
        if patterns is None:
            ignore_file = self.directory / f"{self.file}.dockerignore"
            if not ignore_file.is_file():
                return None
            patterns = tuple(
                line.strip()
                for line in ignore_file.read_text().splitlines()
                if line.strip() and not line.strip().startswith("#")
            )
        return [*patterns, f"!{self.file}"]

    def problems(self, scope: Construct) -> list[str]:
        if not self.directory.is_dir():
            return [f"image directory {str(self.directory)!r} does not exist or is not a directory"]
        if not (self.directory / self.file).is_file():
            return [f"image directory {str(self.directory)!r} has no {self.file!r}"]
        return []

    def bind(self, scope: Construct) -> ContainerImageConfig:
        asset = ecr_assets.DockerImageAsset(
            scope,
            "ImageAsset",
            directory=str(self.directory),
            file=self.file,
            build_args=self.build_args or None,
            platform=self.platform,
            exclude=self._exclude_patterns(),
            ignore_mode=IgnoreMode.DOCKER,
        )
        return ContainerImageConfig(
            image_uri=asset.image_uri,
            policy_statements=pull_statements(asset.repository.repository_arn),
        )


def _tag_problem(tag: Any) -> str | None:  # noqa: PLR0911 (one return per rule)
    if is_token(tag):
        return None
    if not isinstance(tag, str) or not tag:
        return (
            f"image tag={tag!r} is missing; pin the image by tag (e.g. '1.4.2') or by "
            "digest ('sha256:<64 hex digits>')"
        )
    if tag == "latest":
        return (
            "image tag='latest' is not allowed: it can point at a different image on every "
            "deploy; pin the image by an immutable tag or by digest ('sha256:...')"
        )
    if tag.startswith("sha256:"):
        if _DIGEST.match(tag):
            return None
        return f"image digest {tag!r} is not 'sha256:' followed by 64 hex digits"
    if not _TAG.match(tag):
        return (
            f"image tag={tag!r} is not a valid ECR tag; use up to 128 letters, digits, "
            "'_', '.' and '-', starting with a letter, digit or '_'"
        )
    return None


def pull_statements(repository_arn: str) -> tuple[iam.PolicyStatement, ...]:
    """ECR pull on exactly ``repository_arn``, plus the registry login."""
    return (
        allow(ECR_PULL_ACTIONS, [repository_arn]),
        # GetAuthorizationToken has no resource-level permissions: "*" is the only valid resource.
        allow(["ecr:GetAuthorizationToken"], ["*"]),
    )
