"""The delivery pipeline's configuration: typed, validated, and optional.

The pipeline stack is synthesized only when a pipeline is configured, either here (set
``PIPELINE``) or with CDK context on the command line (``-c pipeline:repository=owner/repo`` ...,
see ``CONTEXT_KEYS``). Context values override the fields of ``PIPELINE``. With neither, the app
has exactly the per-environment stacks and needs none of this.

Every environment's stage deploys to an explicit account and region: the one in ``targets``, or
else the ``account``/``region`` pinned in ``stacks/config.py``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from types import MappingProxyType
from typing import Any

from sagemaker_serverless import ServerlessConfigError
from sagemaker_serverless.fields import (
    FieldCheck,
    checked_fields,
    closest,
    field_problems,
    keyword_problems,
)

from .config import DEFAULT_SMOKE_PAYLOAD, EnvironmentConfig, SmokePayload, smoke_payload_problems

PIPELINE_STACK_NAME = "SageMakerServerlessPipeline"
CONTEXT_PREFIX = "pipeline:"

_ACCOUNT = re.compile(r"^[0-9]{12}$")
_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]$")
# CodeConnections (formerly CodeStar Connections) ARN; both service prefixes are accepted by AWS.
_CONNECTION_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(codestar-connections|codeconnections):[a-z]{2}(-[a-z]+)+-[0-9]:"
    r"[0-9]{12}:connection/[A-Za-z0-9-]{1,64}$"
)
_REPOSITORY = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
# A safe subset of git ref names: it also keeps the synth command free of shell quoting.
_BRANCH = re.compile(r"^(?![-/.])(?!.*(\.\.|//|@\{))[A-Za-z0-9._/-]{1,200}(?<![/.])$")
_TARGET = re.compile(r"^(?P<account>[^/]*)/(?P<region>[^/]*)$")
EXAMPLE_CONNECTION_ARN = "'arn:aws:codeconnections:eu-west-1:111111111111:connection/<id>'"


@checked_fields
@dataclass(frozen=True, kw_only=True)
class DeploymentTarget:
    """Where one environment's stage deploys: its own account and region."""

    account: str
    region: str

    def problems(self, *, where: str) -> list[str]:
        """Every invalid field, each named ``<where>.<field>``."""
        checked = field_problems(self)
        problems = [f"{where}.{problem}" for problem in checked.problems]
        if checked.ok("account") and not _ACCOUNT.match(self.account):
            problems.append(f"{where}.account={self.account!r} is not a 12-digit AWS account id")
        if checked.ok("region") and not _REGION.match(self.region):
            problems.append(
                f"{where}.region={self.region!r} is not an AWS region name like 'eu-west-1'"
            )
        return problems


@checked_fields
@dataclass(frozen=True, kw_only=True)
class PipelineConfig:
    """The pipeline: its source, its own account/region, and each environment's target."""

    connection_arn: str
    repository: str  # "owner/repo" on GitHub, GitHub Enterprise, Bitbucket or GitLab
    branch: str = "main"
    account: str  # where the pipeline itself runs (the "tools" account)
    region: str
    targets: Mapping[str, DeploymentTarget] = field(default_factory=lambda: MappingProxyType({}))
    # Environments whose stage waits for a person to approve in the console.
    approval_before: tuple[str, ...] = ("prod",)
    # What every stage's smoke step sends, unless the environment sets its own smoke_payload
    # (stacks/config.py). The default is the sample model's row: a model with other features
    # needs its own rows here, or the smoke test of every stage fails.
    smoke_payload: SmokePayload = DEFAULT_SMOKE_PAYLOAD  # frozen: safe to share

    def problems(self, environments: Iterable[EnvironmentConfig]) -> list[str]:
        """Every invalid field, naming the field, the value given and what is allowed.

        Unknown, missing and mistyped fields first (sagemaker_serverless.fields), then the
        rules of each field of the right type: all of them in one list.
        """
        environments = tuple(environments)
        names = [environment.name for environment in environments]
        checked = field_problems(self, missing_hints=_MISSING_HINTS)
        problems = list(checked.problems)
        problems += self._own_problems(checked)
        if checked.ok("targets"):
            problems += _unknown_names("targets", self.targets, names)
        if checked.ok("approval_before"):
            problems += _unknown_names("approval_before", self.approval_before, names)
        if checked.ok("targets"):
            for name, target in self.targets.items():
                problems += target.problems(where=f"targets[{name!r}]")
            for environment in environments:
                problems += self._target_problems(environment)
        if checked.ok("smoke_payload"):
            problems += smoke_payload_problems(self.smoke_payload)
        return problems

    def _own_problems(self, checked: FieldCheck) -> list[str]:
        checks = (
            ("connection_arn", _CONNECTION_ARN, "a connection ARN like " + EXAMPLE_CONNECTION_ARN),
            ("repository", _REPOSITORY, "'owner/repo'"),
            ("branch", _BRANCH, "a branch name of letters, digits and . _ / -"),
            ("account", _ACCOUNT, "a 12-digit AWS account id"),
            ("region", _REGION, "an AWS region name like 'eu-west-1'"),
        )
        return [
            f"{name}={getattr(self, name)!r} is not allowed; use {allowed}"
            for name, pattern, allowed in checks
            if checked.ok(name) and not pattern.match(getattr(self, name))
        ]

    def _target_problems(self, environment: EnvironmentConfig) -> list[str]:
        target = self.targets.get(environment.name)
        if target is None:
            if environment.account is None or environment.region is None:
                return [
                    f"targets has no {environment.name!r}: every stage deploys to an explicit "
                    f"account and region; set targets[{environment.name!r}] (context "
                    f"{CONTEXT_PREFIX}targets={environment.name}=<account>/<region>,...) or "
                    "account and region in stacks/config.py"
                ]
            return []
        pinned = {"account": environment.account, "region": environment.region}
        given = {"account": target.account, "region": target.region}
        return [
            f"targets[{environment.name!r}].{key}={given[key]!r} disagrees with "
            f"{key}={pinned[key]!r} in stacks/config.py; keep one"
            for key in ("account", "region")
            if pinned[key] is not None and pinned[key] != given[key]
        ]

    def smoke_payload_for(self, environment: EnvironmentConfig) -> SmokePayload:
        """What ``environment``'s smoke step sends: its own smoke_payload, else the pipeline's."""
        return environment.smoke_payload or self.smoke_payload

    def target(self, environment: EnvironmentConfig) -> DeploymentTarget:
        """Where ``environment``'s stage deploys (for a configuration without ``problems``)."""
        target = self.targets.get(environment.name)
        if target is not None:
            return target
        assert environment.account is not None, environment.name
        assert environment.region is not None, environment.name
        return DeploymentTarget(account=environment.account, region=environment.region)


def _unknown_names(field_name: str, given: Iterable[str], names: Sequence[str]) -> list[str]:
    return [
        f"{field_name} has {name!r}, which is not an environment (environments: {', '.join(names)})"
        for name in given
        if name not in names
    ]


def smoke_test_runner_role_name(environment: EnvironmentConfig) -> str:
    """The fixed name of the smoke step's CodeBuild role in the pipeline account.

    Fixed so that the smoke test role in the environment's account can trust exactly this role.
    """
    return f"{PIPELINE_STACK_NAME}-{environment.name}-smoke"


def smoke_test_role_name(environment: EnvironmentConfig) -> str:
    """The fixed name of the role in the environment's account that the smoke step assumes."""
    return f"{environment.stack_name}-smoke-test"


def _parse_targets(value: str) -> Mapping[str, DeploymentTarget]:
    """``dev=222222222222/eu-west-1,prod=...``; a malformed item is kept for validation to name."""
    targets: dict[str, DeploymentTarget] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        name, _, target = item.partition("=")
        match = _TARGET.match(target)
        targets[name.strip()] = DeploymentTarget(
            account=match["account"] if match else target,
            region=match["region"] if match else "",
        )
    return MappingProxyType(targets)


def _parse_names(value: str) -> tuple[str, ...]:
    return tuple(filter(None, (part.strip() for part in value.split(","))))


# Context key -> (field of PipelineConfig, parser of the string given with -c).
CONTEXT_KEYS: Mapping[str, tuple[str, Callable[[str], Any]]] = MappingProxyType(
    {
        f"{CONTEXT_PREFIX}connectionArn": ("connection_arn", str),
        f"{CONTEXT_PREFIX}repository": ("repository", str),
        f"{CONTEXT_PREFIX}branch": ("branch", str),
        f"{CONTEXT_PREFIX}account": ("account", str),
        f"{CONTEXT_PREFIX}region": ("region", str),
        f"{CONTEXT_PREFIX}targets": ("targets", _parse_targets),
        f"{CONTEXT_PREFIX}approvalBefore": ("approval_before", _parse_names),
    }
)
# A missing field's message names its context key too.
_MISSING_HINTS = MappingProxyType(
    {name: f"set it in PIPELINE or pass -c {key}=..." for key, (name, _) in CONTEXT_KEYS.items()}
)

# The typed configuration. Example:
#
#   PIPELINE = PipelineConfig(
#       connection_arn="arn:aws:codeconnections:eu-west-1:111111111111:connection/<id>",
#       repository="my-org/sagemaker-serverless",
#       branch="main",
#       account="111111111111",
#       region="eu-west-1",
#       targets={
#           "dev": DeploymentTarget(account="222222222222", region="eu-west-1"),
#           "staging": DeploymentTarget(account="333333333333", region="eu-west-1"),
#           "prod": DeploymentTarget(account="444444444444", region="eu-west-1"),
#       },
#       # Rows for your own model: a committed file, its path from the repository root
#       # (pathlib.Path); default: the sample model's row, model/smoke-payload.csv.
#       smoke_payload=SmokePayload(path=Path("payloads/my-model.csv"), content_type="text/csv"),
#   )
PIPELINE: PipelineConfig | None = None


@dataclass(frozen=True, kw_only=True)
class ResolvedPipeline:
    """A validated pipeline configuration and the context it was (partly) given with."""

    config: PipelineConfig
    # The ``-c key=value`` context this configuration was given with, so the pipeline's own
    # synth step reproduces it (values in ``PIPELINE`` are read from the commit instead).
    context: Mapping[str, str]

    def context_arguments(self) -> str:
        """The context as CDK CLI arguments, shell-quoted, in a stable order."""
        return " ".join(
            f"-c {shlex.quote(f'{key}={value}')}" for key, value in sorted(self.context.items())
        )


def resolve_pipeline(
    *,
    context: Callable[[str], Any],
    environments: Iterable[EnvironmentConfig],
    configured: PipelineConfig | None = None,
    context_keys: Iterable[str] = (),
) -> ResolvedPipeline | None:
    """The pipeline configuration from ``configured`` and context, or None when there is none.

    ``context`` is ``app.node.try_get_context``; ``context_keys`` are the keys the app was given
    (``app.node.get_all_context()``), so that a misspelt ``pipeline:`` key is named, not ignored.
    Raises ``ServerlessConfigError`` naming every unknown, missing or invalid field at once.
    """
    keys = sorted(key for key in context_keys if key.startswith(CONTEXT_PREFIX))
    unknown = [key for key in keys if key not in CONTEXT_KEYS]
    given = {key: context(key) for key in CONTEXT_KEYS}
    given = {key: value for key, value in given.items() if value is not None}
    if configured is None and not given and not unknown:
        return None
    values: dict[str, Any] = (
        {f.name: getattr(configured, f.name) for f in fields(configured)} if configured else {}
    )
    # PIPELINE's own misspelt keywords: the config rebuilt below from its fields has none.
    problems = list(keyword_problems(configured))
    problems += [
        f"context {key} is not a pipeline setting; {closest(key, list(CONTEXT_KEYS), noun='keys')}"
        for key in unknown
    ]
    for key, value in given.items():
        name, parse = CONTEXT_KEYS[key]
        if not isinstance(value, str):
            problems.append(f"context {key}={value!r} is not allowed; give a string")
            continue
        values[name] = parse(value)
    config = PipelineConfig(**values)
    problems += config.problems(environments)
    if problems:
        raise ServerlessConfigError(problems, subject="pipeline configuration")
    return ResolvedPipeline(
        config=replace(config, targets=MappingProxyType(dict(config.targets))),
        context=MappingProxyType({key: str(value) for key, value in sorted(given.items())}),
    )
