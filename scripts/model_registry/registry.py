"""The AWS calls: the latest approved version of a group, and one version's description."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sagemaker_serverless import ModelPackageContainer, ModelPackageDescription
from stacks.model_registry import PackageSource

_S3_URL = re.compile(r"^s3://(?P<bucket>[^/]+)/(?P<key>.+)$")


class RegistryError(Exception):
    """Nothing can be recorded; the message says why and what to do."""


@dataclass(frozen=True, kw_only=True)
class Recorded:
    env: str
    key: str
    arn: str
    previous_arn: str | None


def record_versions(
    sources: Sequence[tuple[str, PackageSource]],
    *,
    client: Callable[[str, str], Any],
    context: dict[str, Any],
) -> list[Recorded]:
    """Resolve each (environment name, source) into ``context``; ``client(service, region)``.

    (Light on imports, unlike cli.py: the rehearsal calls it without loading aws_cdk.)
    """
    recorded = []
    for env, source in sources:
        sagemaker = client("sagemaker", source.region)
        arn = source.version_arn or latest_approved_arn(sagemaker, source.group_arn_or_name)
        description = describe(sagemaker, client("s3", source.region), arn)
        previous = context.get(source.context_key)
        context[source.context_key] = description.to_json()
        recorded.append(
            Recorded(
                env=env,
                key=source.context_key,
                arn=description.arn,
                previous_arn=previous.get("arn") if isinstance(previous, dict) else None,
            )
        )
    return recorded


def latest_approved_arn(sagemaker: Any, group: str) -> str:
    """The newest (CreationTime) Approved version of ``group`` (a name or ARN)."""
    response = sagemaker.list_model_packages(
        ModelPackageGroupName=group,
        ModelApprovalStatus="Approved",
        SortBy="CreationTime",
        SortOrder="Descending",
        MaxResults=1,
    )
    summaries = response.get("ModelPackageSummaryList", [])
    if not summaries:
        raise RegistryError(
            f"model package group {group} has no Approved version: approve one "
            "(aws sagemaker update-model-package --model-package-name <version ARN> "
            "--model-approval-status Approved), then refresh again"
        )
    arn: str = summaries[0]["ModelPackageArn"]
    return arn


def describe(sagemaker: Any, s3: Any, arn: str) -> ModelPackageDescription:
    """What synth needs of version ``arn``, including its artifact's KMS key and region."""
    response = sagemaker.describe_model_package(ModelPackageName=arn)
    containers = tuple(
        ModelPackageContainer(
            image=container.get("Image", ""),
            model_data_url=container.get("ModelDataUrl"),
            product_id=container.get("ProductId"),
            model_data_source="ModelDataSource" in container and "ModelDataUrl" not in container,
        )
        for container in response.get("InferenceSpecification", {}).get("Containers", [])
    )
    bucket_region = kms_key = None
    if len(containers) == 1 and containers[0].model_data_url:
        bucket_region, kms_key = artifact_location(s3, containers[0].model_data_url)
    return ModelPackageDescription(
        arn=response["ModelPackageArn"],
        status=response.get("ModelPackageStatus", "Unknown"),
        approval=response.get("ModelApprovalStatus", "Unknown"),
        containers=containers,
        certify_for_marketplace=bool(response.get("CertifyForMarketplace", False)),
        source_algorithm=bool(response.get("SourceAlgorithmSpecification")),
        artifact_bucket_region=bucket_region,
        artifact_kms_key_arn=kms_key,
    )


def artifact_location(s3: Any, url: str) -> tuple[str | None, str | None]:
    """(the bucket's region, the object's SSE-KMS key ARN or None)."""
    match = _S3_URL.match(url)
    if match is None:
        return None, None  # synth reports the malformed URL with the rest
    bucket, key = match["bucket"], match["key"]
    location = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
    # GetBucketLocation says None for us-east-1 and "EU" for the oldest eu-west-1 buckets.
    region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location)
    head = s3.head_object(Bucket=bucket, Key=key)
    kms_key = head.get("SSEKMSKeyId") if head.get("ServerSideEncryption") == "aws:kms" else None
    return region, kms_key
