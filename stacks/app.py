"""Builds the CDK app from the environment table; ``app.py`` only calls this."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import aws_cdk as cdk

from .config import ENVIRONMENTS, EnvironmentConfig, validate_environments
from .serverless_stack import ServerlessEndpointStack


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
) -> dict[str, ServerlessEndpointStack]:
    """Add one stack per environment to ``app``; returns them by environment name."""
    stacks: dict[str, ServerlessEndpointStack] = {}
    for config in validate_environments(environments):
        stacks[config.name] = ServerlessEndpointStack(
            app, config.stack_name, config=config, env=cdk_environment(config, environ)
        )
    return stacks
