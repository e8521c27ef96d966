"""A model version from the SageMaker Model Registry as the model's source.

The model references the package (``ContainerDefinition.ModelPackageName`` = the version ARN), so
SageMaker takes the image and the artifact from the package, as the SageMaker Python SDK's
``ModelPackage`` does (a container of ``ModelPackageName`` and, optionally, ``Environment``).

The construct never calls AWS: a :class:`ModelPackageDescription` holds what
``DescribeModelPackage`` said (and where the artifact's bucket is and which KMS key encrypts it).
The app resolves it before synth and records it (this project: in ``cdk.context.json``), so synth
is offline and byte-identical, and validation and least-privilege grants work from that record.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, Stack
from aws_cdk import aws_iam as iam

from constructs import Construct

from ._iam import allow
from ._limits import is_token
from .image import pull_statements
from .package_description import (
    APPROVED,
    COMPLETED,
    PENDING,
    VERSION_ARN,
    ModelPackageContainer,
    ModelPackageDescription,
)

__all__ = ["ModelPackage", "ModelPackageConfig"]

_ECR_IMAGE = re.compile(
    r"^(?P<account>[0-9]{12})\.dkr\.ecr(-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(\.cn)?/"
    r"(?P<repository>[a-z0-9][a-z0-9._/-]*)(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[0-9a-f]{64})?$"
)
_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")
_KMS_KEY_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")


@dataclass(frozen=True)
class ModelPackageConfig:
    """What a bound package contributes to the model.

    :param model_package_arn: the version ARN the model references.
    :param policy_statements: what the execution role needs to pull the package's image and read
        its artifact, and no more.
    """

    model_package_arn: str
    policy_statements: tuple[iam.PolicyStatement, ...]


@dataclass(frozen=True)
class _Parts:
    """The package's image repository and artifact, parsed from its one container."""

    partition: str
    repository_arn: str
    image_region: str
    image_account: str
    object_arn: str | None
    bucket: str | None


class ModelPackage:
    """A Model Registry version. Create one with :meth:`from_description`."""

    def __init__(self, description: ModelPackageDescription, *, allow_unapproved: bool) -> None:
        self.description = description
        self.allow_unapproved = allow_unapproved

    @staticmethod
    def from_description(
        description: ModelPackageDescription, *, allow_unapproved: bool = False
    ) -> ModelPackage:
        """The version ``description`` describes (see :class:`ModelPackageDescription`).

        :param allow_unapproved: deploy a version still ``PendingManualApproval`` (e.g. in dev).
            A ``Rejected`` version is refused either way. Default: False (``Approved`` only).
        """
        return ModelPackage(description, allow_unapproved=allow_unapproved)

    @property
    def arn(self) -> str:
        return self.description.arn

    def problems(self, scope: Construct) -> list[str]:
        """Why an endpoint in ``scope``'s stack cannot deploy this version (empty: it can)."""
        description = self.description
        match = VERSION_ARN.match(description.arn) if isinstance(description.arn, str) else None
        if match is None:
            return [
                f"model_package arn={description.arn!r} is not a Model Registry version ARN "
                "(arn:<partition>:sagemaker:<region>:<account>:model-package/<group>/<version>); "
                "AWS Marketplace and unversioned model packages are not supported"
            ]
        label = f"model_package {match['group']}/{match['version']}"
        problems = _state_problems(label, description, allow_unapproved=self.allow_unapproved)
        problems += _marketplace_problems(label, description)
        if len(description.containers) != 1:
            problems.append(
                f"{label} has {len(description.containers)} containers; a serverless endpoint "
                "serves exactly one (inference pipelines are not supported)"
            )
        elif not problems:
            parts = _parts(label, description.containers[0], match["partition"])
            if isinstance(parts, str):
                problems.append(parts)
            else:
                problems += _placement_problems(label, scope, match["region"], parts, description)
        return problems

    def bind(self, scope: Construct) -> ModelPackageConfig:
        """The version ARN, and read/pull grants for exactly its artifact and image."""
        match = VERSION_ARN.match(self.description.arn)
        if match is None or len(self.description.containers) != 1:
            raise ValueError(self.problems(scope))
        parts = _parts("model_package", self.description.containers[0], match["partition"])
        if isinstance(parts, str):
            raise ValueError(parts)
        statements = list(pull_statements(parts.repository_arn))
        if parts.object_arn is not None:
            statements.append(allow(["s3:GetObject"], [parts.object_arn]))
        if self.description.artifact_kms_key_arn:
            statements.append(allow(["kms:Decrypt"], [self.description.artifact_kms_key_arn]))
        self._warn_cross_account(scope, match["account"], parts)
        return ModelPackageConfig(
            model_package_arn=self.description.arn, policy_statements=tuple(statements)
        )

    def _warn_cross_account(self, scope: Construct, package_account: str, parts: _Parts) -> None:
        account = Stack.of(scope).account
        if is_token(account):
            return
        others = {
            "the model package group": package_account,
            "the image repository": parts.image_account,
        }
        foreign = [f"{what} ({owner})" for what, owner in others.items() if owner != account]
        if foreign:
            Annotations.of(scope).add_warning_v2(
                "sagemaker-serverless:model-package-cross-account",
                f"{', '.join(foreign)} belong to another account than the endpoint ({account}): "
                "the owner must grant this account sagemaker:DescribeModelPackage on the group "
                "(model package group resource policy), ECR pull to the execution role "
                "(repository policy), and s3:GetObject/kms:Decrypt on the artifact "
                "(bucket and key policies); see docs/model-registry.md",
            )


def _state_problems(
    label: str, description: ModelPackageDescription, *, allow_unapproved: bool
) -> list[str]:
    problems = []
    if description.status != COMPLETED:
        problems.append(
            f"{label} has ModelPackageStatus={description.status!r}; only a {COMPLETED!r} "
            "version can be deployed (wait for it to finish, then refresh the record)"
        )
    allowed = (APPROVED, PENDING) if allow_unapproved else (APPROVED,)
    if description.approval not in allowed:
        if description.approval == "Rejected":
            hint = "a Rejected version is never deployed"
        elif description.approval == PENDING:
            hint = (
                "approve it in the Model Registry, or pass allow_unapproved=True to deploy it "
                "anyway (e.g. in dev)"
            )
        else:
            hint = "approve it in the Model Registry, then refresh the record"
        problems.append(
            f"{label} has ModelApprovalStatus={description.approval!r}; allowed: "
            f"{', '.join(map(repr, allowed))} ({hint})"
        )
    return problems


def _marketplace_problems(label: str, description: ModelPackageDescription) -> list[str]:
    signs = []
    if description.certify_for_marketplace:
        signs.append("CertifyForMarketplace=True")
    if description.source_algorithm:
        signs.append("a SourceAlgorithmSpecification")
    signs += [f"ProductId={c.product_id!r}" for c in description.containers if c.product_id]
    if not signs:
        return []
    # "Feature exclusions" in the Serverless Inference guide: AWS Marketplace model packages
    # are not supported (they also require network isolation, which serverless lacks).
    return [
        f"{label} is an AWS Marketplace or algorithm-based package ({', '.join(signs)}); "
        "SageMaker Serverless Inference does not support AWS Marketplace model packages, and "
        "the construct needs the package's own image and artifact to scope the execution role"
    ]


def _parts(label: str, container: ModelPackageContainer, partition: str) -> _Parts | str:
    image = _ECR_IMAGE.match(container.image) if isinstance(container.image, str) else None
    if image is None:
        return (
            f"{label} image={container.image!r} is not an Amazon ECR image URI "
            "(<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@sha256:...]); "
            "serverless endpoints pull from ECR only"
        )
    if container.model_data_source:
        return (
            f"{label} gives its artifact as ModelDataSource; register it with ModelDataUrl "
            "(a .tar.gz), which the execution role's read grant is scoped to"
        )
    object_arn = bucket = None
    if container.model_data_url is not None:
        url = _S3_URL.match(container.model_data_url)
        if url is None:
            return f"{label} ModelDataUrl={container.model_data_url!r} is not an s3:// URL"
        bucket = url["bucket"]
        object_arn = f"arn:{partition}:s3:::{bucket}/{url['key']}"
    repository_arn = (
        f"arn:{partition}:ecr:{image['region']}:{image['account']}:repository/{image['repository']}"
    )
    return _Parts(
        partition=partition,
        repository_arn=repository_arn,
        image_region=image["region"],
        image_account=image["account"],
        object_arn=object_arn,
        bucket=bucket,
    )


def _placement_problems(
    label: str,
    scope: Construct,
    package_region: str,
    parts: _Parts,
    description: ModelPackageDescription,
) -> list[str]:
    """SageMaker creates the model in the endpoint's region, and reads the package, the image
    and the artifact from that region only."""
    problems: list[str] = []
    kms = description.artifact_kms_key_arn
    if kms is not None and not _KMS_KEY_ARN.match(str(kms)):
        problems.append(f"{label} artifact KMS key {kms!r} is not a KMS key ARN")
    region = Stack.of(scope).region
    if is_token(region):
        return problems
    places: Sequence[tuple[str, str | None]] = (
        ("the package", package_region),
        ("its image", parts.image_region),
        ("its artifact's bucket", description.artifact_bucket_region if parts.bucket else None),
    )
    for what, where in places:
        if where is not None and where != region:
            problems.append(
                f"{label}: {what} is in region {where!r}, the endpoint in {region!r}; "
                "SageMaker needs the package, the ECR image and the S3 artifact in the "
                "endpoint's region (copy the version to a registry in that region)"
            )
    return problems
