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
from typing import Literal

from sagemaker_serverless import (
    ProvisionedConcurrencyScaling,
    ScheduledConcurrency,
    ServerlessConfigError,
    serverless_config_problems,
)
from sagemaker_serverless.fields import FieldCheck, checked_fields, field_problems

from .model_registry import model_package_field_problems

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_MODEL_ARTIFACT = PROJECT_ROOT / "model" / "model.tar.gz"
# The managed XGBoost image the sample model is built for; build_sample_model.py saves the model
# with the same XGBoost major.minor (3.0).
XGBOOST_IMAGE_VERSION = "3.0-5"
STACK_NAME_PREFIX = "SageMakerServerless"

# The request the pipeline's smoke step sends by default: the sample model's first row.
SAMPLE_SMOKE_PAYLOAD = Path("model/smoke-payload.csv")
# SageMaker Serverless Inference's request limit (the smoke script's MAX_PAYLOAD_BYTES).
SMOKE_PAYLOAD_MAX_BYTES = 4 * 1024 * 1024

# Who may deploy an environment: "anyone" (`make deploy ENV=...` from a laptop, or the pipeline)
# or "pipeline" (only the pipeline; `make deploy` refuses it unless explicitly overridden).
DeployedBy = Literal["anyone", "pipeline"]

_ENV_NAME = re.compile(r"^[a-z][a-z0-9]{0,15}$")
_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG_KEY_MAX, _TAG_VALUE_MAX = 128, 256
# type/subtype[; parameter=value]...: the smoke step's --content-type.
_TOKEN = r"[A-Za-z0-9!#$&^_.+-]+"
_MEDIA_TYPE = re.compile(rf"^{_TOKEN}/{_TOKEN}(\s*;\s*{_TOKEN}={_TOKEN})*$")


@checked_fields
@dataclass(frozen=True, kw_only=True)
class SmokePayload:
    """The request body the pipeline's smoke step sends to an environment's endpoint.

    ``path`` is a file in this repository, relative to its root (the step runs in a checkout of
    the pipeline's source, so the file must be committed); at most 4 MB, SageMaker Serverless'
    request limit. ``content_type`` is sent as the request's Content-Type.
    """

    path: Path
    content_type: str = "text/csv"

    def problems(self, *, root: Path = PROJECT_ROOT) -> list[str]:
        """Every invalid field, named ``path=``/``content_type=`` (empty when valid)."""
        checked = field_problems(self)
        problems = list(checked.problems)
        if checked.ok("content_type") and not _MEDIA_TYPE.match(self.content_type):
            problems.append(
                f"content_type={self.content_type!r} is not allowed; use a media type like "
                "'text/csv' or 'text/libsvm' (parameters as '; key=value')"
            )
        if checked.ok("path"):
            problem = _payload_file_problem(self.path, root=root)
            if problem:
                problems.append(f"path={str(self.path)!r} {problem}")
        return problems

    def relative_path(self, *, root: Path = PROJECT_ROOT) -> str:
        """The path from the repository root, as the smoke step's command names it."""
        path = Path(self.path)
        absolute = path if path.is_absolute() else root / path
        return absolute.resolve().relative_to(root.resolve()).as_posix()


DEFAULT_SMOKE_PAYLOAD = SmokePayload(path=SAMPLE_SMOKE_PAYLOAD, content_type="text/csv")


def _payload_file_problem(path: Path, *, root: Path) -> str | None:
    """Why the smoke step could not send this file, or None."""
    absolute = (path if path.is_absolute() else root / path).resolve()
    if not absolute.is_relative_to(root.resolve()):
        return (
            f"is outside the repository ({root}): the pipeline's smoke step has only the "
            "repository's files; put the file in it, commit it, and give its path from the root"
        )
    if not absolute.exists():
        return (
            f"does not exist in the repository ({root}); give a path from the repository root, "
            f"e.g. Path({str(SAMPLE_SMOKE_PAYLOAD)!r})"
        )
    if not absolute.is_file():
        return "is not a file"
    size = absolute.stat().st_size
    problem = None
    if size > SMOKE_PAYLOAD_MAX_BYTES:
        problem = (
            f"is {size} bytes; SageMaker Serverless accepts at most {SMOKE_PAYLOAD_MAX_BYTES} "
            "bytes per request"
        )
    elif size == 0:
        problem = "is empty; the smoke step needs at least one row"
    else:
        try:
            with absolute.open("rb") as file:
                file.read(1)
        except OSError as error:
            problem = f"cannot be read: {error.strerror or error}"
    return problem


@checked_fields
@dataclass(frozen=True, kw_only=True)
class EnvironmentConfig:
    """One deployment environment. Every field is explicit; nothing is read from CDK context.

    A new field needs its annotation (its type is then checked: sagemaker_serverless.fields)
    and, for rules beyond the type, lines in ``problems`` guarded by ``checked.ok("<field>")``.
    """

    name: str
    memory_size_in_mb: int
    max_concurrency: int
    provisioned_concurrency: int | None = None
    account: str | None = None
    region: str | None = None
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    model_artifact: Path = SAMPLE_MODEL_ARTIFACT
    xgboost_image_version: str = XGBOOST_IMAGE_VERSION
    # Instead of model_artifact (and the XGBoost image): a SageMaker Model Registry version to
    # deploy, named by version ARN, or by model package group (name or ARN) for its latest
    # approved version; resolved by `make refresh-model ENV=<name>` into cdk.context.json
    # (docs/model-registry.md). None: model_artifact.
    model_package: str | None = None
    # Deploy a version still PendingManualApproval (e.g. in dev); Rejected is refused anyway.
    allow_unapproved_model_package: bool = False
    # Observability: alarms (5XX, cold-start time, overhead latency) notify an encrypted SNS
    # topic, subscribed by these e-mail addresses; the 5XX alarm also rolls back bad updates.
    alarms: bool = False
    alarm_emails: tuple[str, ...] = ()
    dashboard: bool = False
    # Provisioned concurrency that follows demand and a schedule (needs provisioned_concurrency,
    # where the variant starts); None: fixed at provisioned_concurrency.
    provisioned_concurrency_scaling: ProvisionedConcurrencyScaling | None = None
    # What the pipeline's smoke step sends to this environment's endpoint; None: the pipeline's
    # (``PipelineConfig.smoke_payload``, by default the sample row in model/smoke-payload.csv).
    smoke_payload: SmokePayload | None = None
    # CloudFormation refuses to delete a protected stack (`make destroy` says how to lift it).
    termination_protection: bool = False
    # "pipeline": `make deploy` refuses this environment unless ALLOW_PIPELINE_ENV=1.
    deployed_by: DeployedBy = "anyone"

    @property
    def stack_name(self) -> str:
        return f"{STACK_NAME_PREFIX}-{self.name}"

    def problems(self) -> list[str]:
        """Every invalid field of this environment (empty when valid).

        Unknown, missing and mistyped fields first (sagemaker_serverless.fields); each rule
        below runs only on fields of the right type, so a field is named once.
        """
        checked = field_problems(self)
        problems = list(checked.problems)
        if checked.ok("name") and not _ENV_NAME.match(self.name):
            problems.append(
                f"name={self.name!r} is not allowed; use 1-16 lowercase letters and digits, "
                "starting with a letter"
            )
        if checked.ok("account") and self.account is not None and not _ACCOUNT.match(self.account):
            problems.append(f"account={self.account!r} is not a 12-digit AWS account id")
        if checked.ok("region") and self.region is not None and not _REGION.match(self.region):
            problems.append(f"region={self.region!r} is not an AWS region name like 'eu-west-1'")
        problems += self._capacity_problems(checked)
        problems += self._alarm_problems(checked)
        if checked.ok("smoke_payload") and self.smoke_payload is not None:
            problems += smoke_payload_problems(self.smoke_payload)
        if checked.ok("tags"):
            problems += _tag_problems(self.tags)
        problems += self._model_source_problems(checked)
        return problems

    def _capacity_problems(self, checked: FieldCheck) -> list[str]:
        limits = ("memory_size_in_mb", "max_concurrency", "provisioned_concurrency")
        problems = [
            problem
            for problem in serverless_config_problems(
                memory_size_in_mb=self.memory_size_in_mb,
                max_concurrency=self.max_concurrency,
                provisioned_concurrency=self.provisioned_concurrency,
            )
            # a field already named (missing, wrong type) is not named twice
            if not any(problem.startswith(name) for name in checked.failed.intersection(limits))
        ]
        scaling = self.provisioned_concurrency_scaling
        if checked.ok("provisioned_concurrency_scaling", "max_concurrency") and scaling:
            problems += scaling.problems(
                max_concurrency=self.max_concurrency,
                provisioned_concurrency=self.provisioned_concurrency,
            )
        return problems

    def _alarm_problems(self, checked: FieldCheck) -> list[str]:
        if not checked.ok("alarm_emails", "alarms"):
            return []
        problems = [
            f"alarm_emails entry {email!r} is not an e-mail address"
            for email in self.alarm_emails
            if not _EMAIL.match(email)
        ]
        if self.alarm_emails and not self.alarms:
            problems.append("alarm_emails is set but alarms=False; set alarms=True to use it")
        return problems

    def _model_source_problems(self, checked: FieldCheck) -> list[str]:
        if not checked.ok("model_package", "model_artifact", "allow_unapproved_model_package"):
            return []
        problems = model_package_field_problems(self.model_package)
        if self.model_package is not None and self.model_artifact != SAMPLE_MODEL_ARTIFACT:
            problems.append(
                f"model_package={self.model_package!r} and model_artifact="
                f"{str(self.model_artifact)!r} are both set; the package brings its own artifact "
                "and image: set one"
            )
        if self.allow_unapproved_model_package and self.model_package is None:
            problems.append(
                "allow_unapproved_model_package=True is set but model_package is None; set "
                "model_package to use it"
            )
        return problems


def _tag_problems(tags: Mapping[str, str]) -> list[str]:
    problems: list[str] = []
    for key, value in tags.items():
        if not 1 <= len(key) <= _TAG_KEY_MAX or key.startswith("aws:"):
            problems.append(
                f"tags key {key!r} is not allowed; use 1-{_TAG_KEY_MAX} characters, "
                "not starting with 'aws:'"
            )
        if len(value) > _TAG_VALUE_MAX:
            problems.append(
                f"tags[{key!r}]={value!r} is not allowed; use a string of at most "
                f"{_TAG_VALUE_MAX} characters"
            )
    return problems


def smoke_payload_problems(payload: object, *, root: Path = PROJECT_ROOT) -> list[str]:
    """The problems of a ``smoke_payload`` field, each starting with ``smoke_payload.``."""
    if not isinstance(payload, SmokePayload):
        return [
            f"smoke_payload={payload!r} is not allowed; use SmokePayload(path=Path(...), "
            "content_type='text/csv')"
        ]
    return [f"smoke_payload.{problem}" for problem in payload.problems(root=root)]


def validate_environments(
    environments: Iterable[EnvironmentConfig],
) -> tuple[EnvironmentConfig, ...]:
    """Return the environments, or raise one error naming every environment and field at fault."""
    environments = tuple(environments)
    problems: list[str] = []
    seen: set[str] = set()
    for number, environment in enumerate(environments, start=1):
        entry: object = environment  # a table may hold anything
        if not isinstance(entry, EnvironmentConfig):
            problems.append(
                f"environment #{number} is {entry!r}; use EnvironmentConfig(name=..., ...)"
            )
            continue
        # A missing or mistyped name cannot label its environment's problems; its place can.
        name: object = environment.name
        label = repr(name) if isinstance(name, str) else f"#{number}"
        problems += [f"environment {label}: {p}" for p in environment.problems()]
        if name in seen:
            problems.append(f"environment {label}: name is used more than once")
        if isinstance(name, str):
            seen.add(name)
    if not environments:
        problems.append("no environments are defined")
    if problems:
        raise ServerlessConfigError(problems, subject="stacks/config.py ENVIRONMENTS")
    return environments


def concurrency_quota_problems(quota: object) -> list[str]:
    """The problems of ``SERVERLESS_CONCURRENCY_QUOTA`` (empty when valid)."""
    if quota is None or (isinstance(quota, int) and not isinstance(quota, bool) and quota >= 1):
        return []
    return [
        f"SERVERLESS_CONCURRENCY_QUOTA={quota!r} is not allowed; use None (AWS's documented "
        "default for each region, 1000 or 500) or your account's quota, a whole number of at "
        "least 1 (make preflight ENV=<environment> prints it)"
    ]


def _tags(environment: str) -> Mapping[str, str]:
    return MappingProxyType(
        {"project": "sagemaker-serverless", "environment": environment, "managed-by": "aws-cdk"}
    )


# prod's provisioned concurrency (README "Provisioned concurrency that follows demand"): one warm
# invocation at night and at weekends, two during business hours (UTC, Monday to Friday 07:00 to
# 19:00), and target tracking at 70% utilisation up to 5 (10 in business hours) when traffic
# needs it; above that, requests spill over to on-demand capacity (max_concurrency 20), which the
# spillover alarm watches. It starts at provisioned_concurrency=1.
PROD_SCALING = ProvisionedConcurrencyScaling(
    min_provisioned_concurrency=1,
    max_provisioned_concurrency=5,
    target_utilization=0.7,
    schedules=(
        ScheduledConcurrency(
            name="business-hours",
            schedule="cron(0 7 ? * MON-FRI *)",
            min_provisioned_concurrency=2,
            max_provisioned_concurrency=10,
            time_zone="UTC",
        ),
        ScheduledConcurrency(
            name="nights-and-weekends",
            schedule="cron(0 19 ? * MON-FRI *)",
            min_provisioned_concurrency=1,
            max_provisioned_concurrency=5,
            time_zone="UTC",
        ),
    ),
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
        provisioned_concurrency_scaling=PROD_SCALING,
        alarms=True,
        dashboard=True,
        tags=_tags("prod"),
        # `make destroy ENV=prod` (or `cdk destroy`) cannot delete prod until this is lifted.
        termination_protection=True,
    ),
)

# The account's quota for the total max_concurrency of all serverless endpoints in one region
# (Service Quotas, service "sagemaker": "Maximum total concurrency that can be allocated across
# all serverless endpoints"). Synth refuses an app whose endpoints add up to more in one account
# and region (stacks/quota.py). None: AWS's documented default for each region, 1000 in eight
# regions and 500 in the others ("Concurrent invocations" in
# https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html; the table is in
# stacks/quota.py). Accounts can have far less (re:Post: "total concurrency for serverless
# inference is not 200 only 10"): `make preflight ENV=<environment>` prints your account's value,
# which then belongs here. One value for every account and region of the app.
SERVERLESS_CONCURRENCY_QUOTA: int | None = None
