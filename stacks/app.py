"""Builds the CDK app from the environment table; ``app.py`` only calls this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import aws_cdk as cdk

from sagemaker_serverless import ServerlessConfigError

from .config import (
    ENVIRONMENTS,
    SERVERLESS_CONCURRENCY_QUOTA,
    EnvironmentConfig,
    concurrency_quota_problems,
    validate_environments,
)
from .pipeline_config import (
    PIPELINE,
    PIPELINE_STACK_NAME,
    PipelineConfig,
    ResolvedPipeline,
    resolve_pipeline,
)
from .quota import SETTING, EndpointPlacement, check_concurrency_quota
from .serverless_stack import ServerlessEndpointStack

if TYPE_CHECKING:
    from .pipeline_stack import PipelineStack


def account_and_region(
    config: EnvironmentConfig, environ: Mapping[str, str]
) -> tuple[str | None, str | None]:
    """The explicit account/region of ``config``, else the CLI's defaults, else None (agnostic)."""
    return (
        config.account or environ.get("CDK_DEFAULT_ACCOUNT") or None,
        config.region or environ.get("CDK_DEFAULT_REGION") or None,
    )


def cdk_environment(config: EnvironmentConfig, environ: Mapping[str, str]) -> cdk.Environment:
    """The explicit account/region of ``config``, else the CLI's defaults, else agnostic (None)."""
    account, region = account_and_region(config, environ)
    return cdk.Environment(account=account, region=region)


def endpoint_placements(
    environments: Iterable[EnvironmentConfig],
    *,
    environ: Mapping[str, str],
    pipeline: ResolvedPipeline | None,
) -> list[EndpointPlacement]:
    """Where each endpoint of the app deploys: each environment's stack, and its pipeline stage."""
    environments = tuple(environments)
    placements = []
    for config in environments:
        account, region = account_and_region(config, environ)
        placements.append(
            EndpointPlacement(
                stack_name=config.stack_name,
                origin=f"environment {config.name!r}",
                max_concurrency=config.max_concurrency,
                account=account,
                region=region,
            )
        )
    if pipeline is not None:
        targets = {config.name: pipeline.config.target(config) for config in environments}
        placements += [
            EndpointPlacement(
                stack_name=config.stack_name,
                origin=f"pipeline stage {config.name!r}",
                max_concurrency=config.max_concurrency,
                account=targets[config.name].account,
                region=targets[config.name].region,
            )
            for config in environments
        ]
    return placements


def build_app(
    app: cdk.App,
    *,
    environ: Mapping[str, str],
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
    pipeline: PipelineConfig | None = PIPELINE,
    concurrency_quota: int | None = SERVERLESS_CONCURRENCY_QUOTA,
) -> dict[str, ServerlessEndpointStack]:
    """Add one stack per environment to ``app``; returns them by environment name.

    When a pipeline is configured (``pipeline`` or ``-c pipeline:...`` context), the pipeline
    stack is added too (``build_pipeline``). Before any stack is built, the endpoints' total
    ``max_concurrency`` per account and region is checked against ``concurrency_quota``
    (stacks/quota.py); every check raises ``ServerlessConfigError``.
    """
    environments, resolved = _checked_configuration(
        app, environments=environments, pipeline=pipeline, concurrency_quota=concurrency_quota
    )
    check_concurrency_quota(
        endpoint_placements(environments, environ=environ, pipeline=resolved),
        configured_quota=concurrency_quota,
    )
    stacks: dict[str, ServerlessEndpointStack] = {}
    for config in environments:
        stacks[config.name] = ServerlessEndpointStack(
            app, config.stack_name, config=config, env=cdk_environment(config, environ)
        )
    if resolved is not None:
        _add_pipeline_stack(app, environments=environments, pipeline=resolved)
    return stacks


def _checked_configuration(
    app: cdk.App,
    *,
    environments: Iterable[EnvironmentConfig],
    pipeline: PipelineConfig | None,
    concurrency_quota: object,
) -> tuple[tuple[EnvironmentConfig, ...], ResolvedPipeline | None]:
    """The valid environments and pipeline, or one error naming the problems of all of them.

    The table, the quota setting and the pipeline are checked independently, so a mistake in one
    does not hide those in the others until the next run.
    """
    environments = tuple(environments)
    errors: list[ServerlessConfigError] = []
    try:
        validate_environments(environments)
    except ServerlessConfigError as error:
        errors.append(error)
    problems = concurrency_quota_problems(concurrency_quota)
    if problems:
        errors.append(ServerlessConfigError(problems, subject=f"stacks/config.py {SETTING}"))
    # With a broken table, the pipeline is checked against the environments that are valid
    # (a stage of an environment that is not has nothing to add).
    valid = environments if not errors else tuple(e for e in environments if _valid(e))
    resolved = None
    try:
        resolved = resolve_pipeline(
            context=app.node.try_get_context,
            context_keys=app.node.get_all_context(),
            environments=valid,
            configured=pipeline,
        )
    except ServerlessConfigError as error:
        errors.append(error)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ServerlessConfigError(
            [f"{error.subject}: {problem}" for error in errors for problem in error.problems],
            subject="configuration",
        )
    return environments, resolved


def _valid(environment: object) -> bool:
    return isinstance(environment, EnvironmentConfig) and not environment.problems()


def build_pipeline(
    app: cdk.App,
    *,
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
    pipeline: PipelineConfig | None = PIPELINE,
) -> PipelineStack | None:
    """Add the pipeline stack when a pipeline is configured; None when it is not."""
    environments, resolved = _checked_configuration(
        app, environments=environments, pipeline=pipeline, concurrency_quota=None
    )
    if resolved is None:
        return None
    return _add_pipeline_stack(app, environments=environments, pipeline=resolved)


def _add_pipeline_stack(
    app: cdk.App, *, environments: tuple[EnvironmentConfig, ...], pipeline: ResolvedPipeline
) -> PipelineStack:
    # Imported here: without a pipeline, `make synth` never loads CDK Pipelines.
    from .pipeline_stack import PipelineStack

    return PipelineStack(app, PIPELINE_STACK_NAME, pipeline=pipeline, environments=environments)
