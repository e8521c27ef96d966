"""What synth knows about a Model Registry version: a record of ``DescribeModelPackage``.

Standard library only, so scripts can resolve and record a version without loading aws_cdk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ModelPackageContainer", "ModelPackageDescription"]

COMPLETED = "Completed"
APPROVED = "Approved"
PENDING = "PendingManualApproval"

# A versioned (Model Registry) package: arn:<partition>:sagemaker:<region>:<account>:
# model-package/<group>/<version>. AWS Marketplace and unversioned packages have no version part
# ("Model Registry Models, Model Versions, and Model Groups", SageMaker developer guide).
VERSION_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):sagemaker:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9][0-9]*)$"
)


@dataclass(frozen=True, kw_only=True)
class ModelPackageContainer:
    """One entry of ``InferenceSpecification.Containers``.

    :param image: the image URI.
    :param model_data_url: the ``s3://`` artifact, or None (the image holds the model).
    :param product_id: set for an AWS Marketplace product.
    :param model_data_source: True when the container gives ``ModelDataSource`` instead of
        ``ModelDataUrl`` (uncompressed data), which this construct does not scope grants for.
    """

    image: str
    model_data_url: str | None = None
    product_id: str | None = None
    model_data_source: bool = False


@dataclass(frozen=True, kw_only=True)
class ModelPackageDescription:
    """What synth needs to know about one model package version.

    :param arn: ``ModelPackageArn``.
    :param status: ``ModelPackageStatus`` (``Completed`` to deploy).
    :param approval: ``ModelApprovalStatus``.
    :param containers: ``InferenceSpecification.Containers``.
    :param certify_for_marketplace: ``CertifyForMarketplace``.
    :param source_algorithm: True when the package has a ``SourceAlgorithmSpecification``
        (created from an algorithm resource, e.g. one subscribed to in AWS Marketplace).
    :param artifact_bucket_region: the region of the artifact's bucket, if known.
    :param artifact_kms_key_arn: the KMS key that encrypts the artifact (SSE-KMS), if any.
    """

    arn: str
    status: str
    approval: str
    containers: tuple[ModelPackageContainer, ...]
    certify_for_marketplace: bool = False
    source_algorithm: bool = False
    artifact_bucket_region: str | None = None
    artifact_kms_key_arn: str | None = None

    @property
    def group_name(self) -> str | None:
        match = VERSION_ARN.match(self.arn)
        return match["group"] if match else None

    @property
    def version(self) -> int | None:
        match = VERSION_ARN.match(self.arn)
        return int(match["version"]) if match else None

    def to_json(self) -> dict[str, Any]:
        """A JSON-able record (the value this project keeps in ``cdk.context.json``)."""
        return {
            "arn": self.arn,
            "status": self.status,
            "approval": self.approval,
            "containers": [
                {
                    "image": c.image,
                    "modelDataUrl": c.model_data_url,
                    "productId": c.product_id,
                    "modelDataSource": c.model_data_source,
                }
                for c in self.containers
            ],
            "certifyForMarketplace": self.certify_for_marketplace,
            "sourceAlgorithm": self.source_algorithm,
            "artifactBucketRegion": self.artifact_bucket_region,
            "artifactKmsKeyArn": self.artifact_kms_key_arn,
        }

    @staticmethod
    def from_json(value: Mapping[str, Any]) -> ModelPackageDescription:
        """The inverse of :meth:`to_json`; raises ``ValueError`` naming a missing/odd field."""
        try:
            containers = tuple(
                ModelPackageContainer(
                    image=str(c["image"]),
                    model_data_url=c.get("modelDataUrl"),
                    product_id=c.get("productId"),
                    model_data_source=bool(c.get("modelDataSource", False)),
                )
                for c in value["containers"]
            )
            return ModelPackageDescription(
                arn=str(value["arn"]),
                status=str(value["status"]),
                approval=str(value["approval"]),
                containers=containers,
                certify_for_marketplace=bool(value.get("certifyForMarketplace", False)),
                source_algorithm=bool(value.get("sourceAlgorithm", False)),
                artifact_bucket_region=value.get("artifactBucketRegion"),
                artifact_kms_key_arn=value.get("artifactKmsKeyArn"),
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"not a model package record: {error!r} in {dict(value)!r}") from error
