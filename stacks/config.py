"""Per-environment configuration: the one typed, validated place that defines environments.

Edit ``ENVIRONMENTS`` to change memory, concurrency, accounts, regions or tags. ``account`` and
``region`` left as ``None`` fall back to ``CDK_DEFAULT_ACCOUNT`` / ``CDK_DEFAULT_REGION`` (set by
the CDK CLI from your AWS profile); when those are unset too, the stack is environment-agnostic.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from sagemaker_serverless import ServerlessConfigError, serverless_config_problems

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MODEL_ARTIFACT = PROJECT_ROOT / "model" / "model.tar.gz"
# The managed XGBoost image the sample model is built for; build_sample_model.py saves the model
# with the same XGBoost major.minor (3.0).
XGBOOST_IMAGE_VERSION = "3.0-5"
STACK_NAME_PREFIX = "SageMakerServerless"

_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_KEY_MAX, _TAG_VALUE_MAX = 128, 256


@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One deployment environment. Every field is explicit; nothing is read from CDK context."""

    name: str
    memory_size_in_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None = None
    account: str | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    model_artifact: Path = SAMPLE_MODEL_ARTIFACT
    xgboost_image_version: str = XGBOOST_IMAGE_VERSION
    # Observability: alarms (5XX, cold-start time, overhead latency) notify an encrypted SNS
    # topic, subscribed by these e-mail addresses; the 5XX alarm also rolls back bad updates.
    alarms: bool = False
    alarm_emails: tuple[str, ...] = ()
    dashboard: bool = False

    @property
    def stack_name(self) -> str:
        return f"{STACK_NAME_PREFIX}-{self.name}"

    def problems(self) -> list[str]:
        """Every invalid field of this environment (empty when valid)."""
        problems: list[str] = []
        if not isinstance(self.name, str) or not _ENV_NAME.match(self.name):
            problems.append(
                f"name={self.name!r} is not allowed; use 1-16 lowercase letters and digits, "
                "starting with a letter"
            )
        if self.account is not None and not _ACCOUNT.match(str(self.account)):
            problems.append(f"account={self.account!r} is not a 12-digit AWS account id")
        if self.region is not None and not _REGION.match(str(self.region)):
            problems.append(f"region={self.region!r} is not an AWS region name like 'eu-west-1'")
        problems += serverless_config_problems(
            memory_size_in_mb=self.memory_size_in_mb,
            max_concurrency=self.max_concurrency,
            provisioned_concurrency=self.provisioned_concurrency,
        )
        for email in self.alarm_emails:
            if not isinstance(email, str) or not _EMAIL.match(email):
                problems.append(f"alarm_emails entry {email!r} is not an e-mail address")
        if self.alarm_emails and not self.alarms:
            problems.append("alarm_emails is set but alarms=False; set alarms=True to use it")
        for key, value in self.tags.items():
            if (
                not isinstance(key, str)
                or not 1 <= len(key) <= _TAG_KEY_MAX
                or key.startswith("aws:")
            ):
                problems.append(
                    f"tags key {key!r} is not allowed; use 1-{_TAG_KEY_MAX} characters, "
                    "not starting with 'aws:'"
                )
            if not isinstance(value, str) or len(value) > _TAG_VALUE_MAX:
                problems.append(
                    f"tags[{key!r}]={value!r} is not allowed; use a string of at most "
                    f"{_TAG_VALUE_MAX} characters"
                )
        return problems


def validate_environments(
    environments: Iterable[EnvironmentConfig],
) -> tuple[EnvironmentConfig, ...]:
    """Return the environments, or raise one error naming every environment and field at fault."""
    environments = tuple(environments)
    problems: list[str] = []
    seen: set[str] = set()
    for environment in environments:
        problems += [f"environment {environment.name!r}: {p}" for p in environment.problems()]
        if environment.name in seen:
            problems.append(f"environment {environment.name!r}: name is used more than once")
        seen.add(environment.name)
    if not environments:
        problems.append("no environments are defined")
    if problems:
        raise ServerlessConfigError(problems, subject="stacks/config.py ENVIRONMENTS")
    return environments


def _tags(environment: str) -> Mapping[str, str]:
    return MappingProxyType(
        {"project": "sagemaker-serverless", "environment": environment, "managed-by": "aws-cdk"}
    )


ENVIRONMENTS: tuple[EnvironmentConfig, ...] = (
    EnvironmentConfig(
        name="dev",
        memory_size_in_mb=2048,
        max_concurrency=2,
        tags=_tags("dev"),
    ),
    EnvironmentConfig(
        name="staging",
        memory_size_in_mb=2048,
        max_concurrency=5,
        tags=_tags("staging"),
    ),
    EnvironmentConfig(
        name="prod",
        memory_size_in_mb=3072,
        max_concurrency=20,
        provisioned_concurrency=1,
        alarms=True,
        dashboard=True,
        tags=_tags("prod"),
    ),
)
