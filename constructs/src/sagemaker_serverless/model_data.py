"""Where the model artifact (``model.tar.gz``) comes from.

A :class:`ModelData` is a factory result: when bound to an endpoint it returns the ``s3://`` URL
SageMaker downloads and the IAM statements that read exactly its one S3 object (the endpoint puts
them in its execution policy).
"""

from __future__ import annotations

import abc
import os
import re
from dataclasses import dataclass
from pathlib import Path

from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets

from constructs import Construct

from ._iam import allow
from ._limits import is_token

__all__ = ["ModelData", "ModelDataConfig"]

ARCHIVE_SUFFIX = ".tar.gz"


@dataclass(frozen=True)
class ModelDataConfig:
    """What bound model data contributes to the model.

    :param s3_url: the artifact's ``s3://`` URL (may contain tokens).
    :param policy_statements: what the execution role needs to read it, and no more.
    :param local_path: the local file, for an asset (the endpoint checks it at synth).
    """

    s3_url: str
    policy_statements: tuple[iam.PolicyStatement, ...]
    local_path: Path | None = None


class ModelData(abc.ABC):
    """The model artifact. Create one with a ``from_*`` factory."""

    @abc.abstractmethod
    def problems(self) -> list[str]:
        """Configuration problems of this artifact reference (empty when valid)."""

    @abc.abstractmethod
    def bind(self, scope: Construct) -> ModelDataConfig:
        """Create what the artifact needs in ``scope``; return its URL and read permissions."""

    @property
    def local_path(self) -> Path | None:
        """The local artifact file, which synth can check (an asset); None for S3 sources."""
        return None

    @staticmethod
    def from_asset(path: str | os.PathLike[str]) -> ModelData:
        """A local ``.tar.gz`` file, uploaded by ``cdk deploy`` as a CDK file asset.

        The asset's S3 key is the hash of the file's content, so the same file always synthesizes
        the same template, and a changed file replaces the model and its endpoint config.
        """
        return _AssetModelData(Path(path))

    @staticmethod
    def from_s3_url(url: str) -> ModelData:
        """An existing ``.tar.gz`` object given as ``s3://bucket/key.tar.gz``.

        Use :meth:`from_bucket` instead when the bucket is encrypted with a KMS key you know.
        """
        return _S3UrlModelData(url)

    @staticmethod
    def from_bucket(bucket: s3.IBucket, key: str) -> ModelData:
        """An existing ``.tar.gz`` object in S3 (``key`` is the object key, not an ``s3://`` URL).

        If the bucket's KMS key is known (``bucket.encryption_key``), ``kms:Decrypt`` on that key
        is included too.
        """
        return _BucketModelData(bucket, key)


def _object_read_statements(bucket: s3.IBucket, key: str) -> tuple[iam.PolicyStatement, ...]:
    statements = [allow(["s3:GetObject"], [bucket.arn_for_objects(key)])]
    if bucket.encryption_key is not None:
        statements.append(allow(["kms:Decrypt"], [bucket.encryption_key.key_arn]))
    return tuple(statements)


class _AssetModelData(ModelData):
    def __init__(self, path: Path) -> None:
        self.path = path

    @property
    def local_path(self) -> Path:
        return self.path

    def problems(self) -> list[str]:
        if not self.path.name.endswith(ARCHIVE_SUFFIX):
            return [f"model_data path {str(self.path)!r} is not a {ARCHIVE_SUFFIX} archive"]
        if not self.path.is_file():
            return [f"model_data path {str(self.path)!r} does not exist or is not a file"]
        return []

    def bind(self, scope: Construct) -> ModelDataConfig:
        asset = s3_assets.Asset(scope, "ModelData", path=str(self.path))
        return ModelDataConfig(
            s3_url=asset.s3_object_url,
            policy_statements=_object_read_statements(asset.bucket, asset.s3_object_key),
            local_path=self.path,
        )


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

    def bind(self, scope: Construct) -> ModelDataConfig:
        return ModelDataConfig(
            s3_url=self.bucket.s3_url_for_object(self.key),
            policy_statements=_object_read_statements(self.bucket, self.key),
        )


_S3_URL = re.compile(r"^s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>.+)$")


class _S3UrlModelData(ModelData):
    def __init__(self, url: str) -> None:
        self.url = url

    def _parts(self) -> tuple[str, str] | str:
        """(bucket, key), or the problem with the URL."""
        if is_token(self.url):
            # The bucket and key must be known to scope s3:GetObject to the one object.
            return (
                "model_data url is only known at deploy time; ModelData.from_s3_url needs a "
                "literal s3:// URL (use ModelData.from_bucket(bucket, key) instead)"
            )
        match = _S3_URL.match(self.url) if isinstance(self.url, str) else None
        if match is None:
            return (
                f"model_data url {self.url!r} is not an s3://<bucket>/<key> URL "
                "(bucket names: 3-63 lowercase letters, digits, '.' and '-')"
            )
        if not match["key"].endswith(ARCHIVE_SUFFIX):
            return f"model_data url {self.url!r} is not a {ARCHIVE_SUFFIX} archive"
        return match["bucket"], match["key"]

    def problems(self) -> list[str]:
        parts = self._parts()
        return [parts] if isinstance(parts, str) else []

    def bind(self, scope: Construct) -> ModelDataConfig:
        parts = self._parts()
        if isinstance(parts, str):
            raise ValueError(parts)
        bucket_name, key = parts
        bucket = s3.Bucket.from_bucket_name(scope, "ModelDataBucket", bucket_name)
        return _BucketModelData(bucket, key).bind(scope)
