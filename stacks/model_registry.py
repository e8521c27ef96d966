"""Which Model Registry version an environment deploys, read from the recorded context.

An environment names a version ARN, a model package group ARN, or a group name (the group then
lives in the environment's own account and region). ``make refresh-model ENV=<env>`` asks the
registry (scripts/model_registry) and records the answer in ``cdk.context.json`` under the key
:func:`context_key` returns; synth only reads that record, so it stays offline and
byte-identical, and a new version shows up as a diff of ``cdk.context.json`` in review.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sagemaker_serverless import ModelPackageDescription

CONTEXT_PREFIX = "sagemaker-model-package"
REFRESH_COMMAND = "make refresh-model ENV={env}"

_GROUP_NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
_GROUP_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"model-package-group/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})$"
)
_VERSION_ARN = re.compile(
    r"^arn:aws[a-z-]*:sagemaker:(?P<region>[a-z0-9-]+):(?P<account>[0-9]{12}):"
    r"model-package/(?P<group>[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62})/(?P<version>[1-9][0-9]*)$"
)


@dataclass(frozen=True, kw_only=True)
class PackageSource:
    """What an environment's ``model_package`` names, with the registry's place resolved.

    ``version_arn`` is set for a pinned version; otherwise ``group`` (a name) in ``account`` and
    ``region`` is resolved to its latest approved version.
    """

    group: str
    account: str
    region: str
    version_arn: str | None = None

    @property
    def context_key(self) -> str:
        if self.version_arn is not None:
            return f"{CONTEXT_PREFIX}:arn={self.version_arn}"
        return f"{CONTEXT_PREFIX}:account={self.account}:region={self.region}:group={self.group}"

    @property
    def group_arn_or_name(self) -> str:
        """What ListModelPackages takes: the ARN, so that a registry in another account works."""
        return f"arn:aws:sagemaker:{self.region}:{self.account}:model-package-group/{self.group}"


def model_package_field_problems(value: object) -> list[str]:
    """The problems of an ``EnvironmentConfig.model_package`` value (None: not used)."""
    if value is None:
        return []
    if isinstance(value, str) and (
        _VERSION_ARN.match(value) or _GROUP_ARN.match(value) or _GROUP_NAME.match(value)
    ):
        return []
    return [
        f"model_package={value!r} is not allowed; use a model package group name (1-63 letters, "
        "digits and hyphens), a group ARN (arn:aws:sagemaker:<region>:<account>:"
        "model-package-group/<name>) or a version ARN (...:model-package/<group>/<version>)"
    ]


def package_source(value: str, *, account: str | None, region: str | None) -> PackageSource | str:
    """Where ``value`` (a valid ``model_package``) lives; a problem when that is not known."""
    for pattern in (_VERSION_ARN, _GROUP_ARN):
        match = pattern.match(value)
        if match:
            return PackageSource(
                group=match["group"],
                account=match["account"],
                region=match["region"],
                version_arn=value if pattern is _VERSION_ARN else None,
            )
    if not account or not region:
        return (
            f"model_package={value!r} is a group name, so the registry is the environment's own "
            "account and region, which are not known at synth: set account and region on the "
            "environment (or CDK_DEFAULT_ACCOUNT/CDK_DEFAULT_REGION), or give the group's ARN"
        )
    return PackageSource(group=value, account=account, region=region)


def recorded_description(
    source: PackageSource, *, env: str, context: Callable[[str], Any]
) -> ModelPackageDescription | str:
    """The version recorded for ``source``, or the problem (missing or unreadable record)."""
    value = context(source.context_key)
    refresh = REFRESH_COMMAND.format(env=env)
    if value is None:
        what = source.version_arn or f"the latest approved version of group {source.group!r}"
        return (
            f"model_package: no record of {what} in cdk.context.json (key "
            f"{source.context_key!r}); run `{refresh}` with AWS credentials for account "
            f"{source.account} to look it up, and commit cdk.context.json"
        )
    if not isinstance(value, Mapping):
        return f"model_package: cdk.context.json {source.context_key!r} is not an object; {refresh}"
    try:
        return ModelPackageDescription.from_json(value)
    except ValueError as error:
        return f"model_package: cdk.context.json {source.context_key!r}: {error}; run `{refresh}`"
