"""Where the model artifact (``model.tar.gz``) comes from.

A :class:`ModelData` is a factory result: when bound to an endpoint it grants the execution role
read access to exactly its one S3 object, and returns the ``s3://`` URL SageMaker downloads.
"""

from __future__ import annotations

import abc
import os
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct

from ._limits import is_token

__all__ = ["ModelData", "ModelDataConfig"]

ARCHIVE_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ModelDataConfig:
    """What bound model data contributes to the model: its S3 URL (may contain tokens)."""

    s3_url: str


class ModelData(abc.ABC):
    """The model artifact. Create one with a ``from_*`` factory."""

    @abc.abstractmethod
    def problems(self) -> list[str]:
        """Configuration problems of this artifact reference (empty when valid)."""

    @abc.abstractmethod
    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        """Grant ``grantee`` read access to exactly the artifact object and return its URL."""

    @staticmethod
    def from_asset(path: str | os.PathLike[str]) -> ModelData:
        """A local ``.tar.gz`` file, uploaded by ``cdk deploy`` as a CDK file asset.

        The asset's S3 key is the hash of the file's content, so the same file always synthesizes
        the same template, and a changed file replaces the model and its endpoint config.
        """
        return _AssetModelData(Path(path))

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """An existing ``.tar.gz`` object in S3 (``key`` is the object key, not an ``s3://`` URL).

        If the bucket's KMS key is known (``bucket.encryption_key``), decrypt is granted on it too.
        """
        return _BucketModelData(bucket, key)


def _grant_object_read(grantee: iam.IGrantable, bucket: s3.IBucket, key: str) -> None:
    iam.Grant.add_to_principal(
        grantee=grantee, actions=["s3:GetObject"], resource_arns=[bucket.arn_for_objects(key)]
    )
    if bucket.encryption_key is not None:
        bucket.encryption_key.grant_decrypt(grantee)


class _AssetModelData(ModelData):
    def __init__(self, path: Path) -> None:
        self.path = path

    def problems(self) -> list[str]:
        if not self.path.name.endswith(ARCHIVE_SUFFIX):
            return [f"model_data path {str(self.path)!r} is not a {ARCHIVE_SUFFIX} archive"]
        if not self.path.is_file():
            return [f"model_data path {str(self.path)!r} does not exist or is not a file"]
        return []

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        asset = s3_assets.Asset(scope, "ModelData", path=str(self.path))
        _grant_object_read(grantee, asset.bucket, asset.s3_object_key)
        return ModelDataConfig(s3_url=asset.s3_object_url)


class _BucketModelData(ModelData):
    def __init__(self, bucket: s3.IBucket, key: str) -> None:
        self.bucket = bucket
        self.key = key

    def problems(self) -> list[str]:
        if is_token(self.key):
            return []
        if not isinstance(self.key, str) or self.key.startswith("s3://"):
            return [
                f"model_data key {self.key!r} must be an object key inside the bucket, "
                "not an s3:// URL"
            ]
        if not self.key.endswith(ARCHIVE_SUFFIX):
            return [f"model_data key {self.key!r} is not a {ARCHIVE_SUFFIX} archive"]
        return []

    def bind(self, scope: Construct, grantee: iam.IGrantable) -> ModelDataConfig:
        _grant_object_read(grantee, self.bucket, self.key)
        return ModelDataConfig(s3_url=self.bucket.s3_url_for_object(self.key))
