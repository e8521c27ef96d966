"""Builds the CDK app from the environment table; ``app.py`` only calls this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import aws_cdk as cdk

from .config import ENVIRONMENTS, EnvironmentConfig, validate_environments
from .pipeline_config import PIPELINE, PIPELINE_STACK_NAME, PipelineConfig, resolve_pipeline
from .serverless_stack import ServerlessEndpointStack

if TYPE_CHECKING:
    from .pipeline_stack import PipelineStack


def cdk_environment(config: EnvironmentConfig, environ: Mapping[str, str]) -> cdk.Environment:
    """The explicit account/region of ``config``, else the CLI's defaults, else agnostic (None)."""
    return cdk.Environment(
        account=config.account or environ.get("CDK_DEFAULT_ACCOUNT") or None,
        region=config.region or environ.get("CDK_DEFAULT_REGION") or None,
    )


def build_app(
    app: cdk.App,
    *,
    environ: Mapping[str, str],
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
    pipeline: PipelineConfig | None = PIPELINE,
) -> dict[str, ServerlessEndpointStack]:
    """Add one stack per environment to ``app``; returns them by environment name.

    When a pipeline is configured (``pipeline`` or ``-c pipeline:...`` context), the pipeline
    stack is added too (``build_pipeline``).
    """
    environments = validate_environments(environments)
    stacks: dict[str, ServerlessEndpointStack] = {}
    for config in environments:
        stacks[config.name] = ServerlessEndpointStack(
            app, config.stack_name, config=config, env=cdk_environment(config, environ)
        )
    build_pipeline(app, environments=environments, pipeline=pipeline)
    return stacks


def build_pipeline(
    app: cdk.App,
    *,
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
    pipeline: PipelineConfig | None = PIPELINE,
) -> PipelineStack | None:
    """Add the pipeline stack when a pipeline is configured; None when it is not."""
    environments = validate_environments(environments)
    resolved = resolve_pipeline(
        context=app.node.try_get_context, environments=environments, configured=pipeline
    )
    if resolved is None:
        return None
    # Imported here: without a pipeline, `make synth` never loads CDK Pipelines.
    from .pipeline_stack import PipelineStack

    return PipelineStack(app, PIPELINE_STACK_NAME, pipeline=resolved, environments=environments)
