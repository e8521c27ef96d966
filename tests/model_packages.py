"""Model Registry records for tests: a deployable version, and one variation per refusal."""

from __future__ import annotations

import dataclasses

from sagemaker_serverless import ModelPackageContainer, ModelPackageDescription

ACCOUNT = "123456789012"
REGION = "us-east-1"
GROUP = "churn-xgboost"
VERSION_ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:model-package/{GROUP}/3"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/churn/serving@sha256:{'ab' * 32}"
REPOSITORY_ARN = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/churn/serving"
ARTIFACT_URL = "s3://churn-models-123456789012/churn/v3/model.tar.gz"
ARTIFACT_OBJECT_ARN = "arn:aws:s3:::churn-models-123456789012/churn/v3/model.tar.gz"
KMS_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"

DEPLOYABLE = ModelPackageDescription(
    arn=VERSION_ARN,
    status="Completed",
    approval="Approved",
    containers=(ModelPackageContainer(image=IMAGE, model_data_url=ARTIFACT_URL),),
    artifact_bucket_region=REGION,
    artifact_kms_key_arn=KMS_KEY_ARN,
)


def variant(**changes: object) -> ModelPackageDescription:
    """DEPLOYABLE with ``changes``."""
    return dataclasses.replace(DEPLOYABLE, **changes)  # type: ignore[arg-type]
