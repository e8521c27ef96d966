"""The CDK app of ``app.py`` with one environment's memory size changed: the update's app.

    cdk diff --app ".venv/bin/python -m scripts.rehearsal_app" \\
        -c rehearsal:memory-size-in-mb=dev=3072 SageMakerServerless-dev

The rehearsal's update steps (update_steps.py) run it, through its entry point
``scripts/rehearsal_app.py``, to plan and apply an update without touching ``app.py`` or
``stacks/config.py``: the stacks are built by the same ``stacks.app.build_app`` from the same
``ENVIRONMENTS``, only the named environment's ``memory_size_in_mb`` differs. Without the context
value it synthesizes exactly what ``app.py`` does.
"""

from __future__ import annotations

import dataclasses
import os
import sys
from collections.abc import Iterable

from stacks.node_runtime import use_project_node

use_project_node()  # before aws_cdk is imported: jsii starts Node.js at import time

import aws_cdk as cdk  # noqa: E402

from sagemaker_serverless import ServerlessConfigError  # noqa: E402
from scripts.rehearsal.settings import (  # noqa: E402
    ACCOUNT_CONTEXT,
    DEPLOYED_BY_CONTEXT,
    ENDPOINT_NAME_CONTEXT,
    MEMORY_OVERRIDE_CONTEXT,
)
from stacks.app import build_app  # noqa: E402
from stacks.config import ENVIRONMENTS, EnvironmentConfig  # noqa: E402


class OverrideError(ValueError):
    """The context value is not ``ENVIRONMENT=MEGABYTES`` for a known environment."""


def parse_memory_override(text: str) -> tuple[str, int]:
    """``"dev=3072"`` -> ``("dev", 3072)``."""
    name, separator, megabytes = str(text).partition("=")
    if not separator or not name or not megabytes.strip().isdigit():
        raise OverrideError(
            f"{MEMORY_OVERRIDE_CONTEXT}={text!r} is not ENVIRONMENT=MEGABYTES, e.g. dev=3072"
        )
    return name.strip(), int(megabytes)


def with_memory_override(
    environments: Iterable[EnvironmentConfig], override: str | None
) -> tuple[EnvironmentConfig, ...]:
    """The environments, with the one named in ``override`` given the new memory size."""
    environments = tuple(environments)
    if override is None:
        return environments
    name, megabytes = parse_memory_override(override)
    if name not in {environment.name for environment in environments}:
        known = ", ".join(environment.name for environment in environments)
        raise OverrideError(f"{MEMORY_OVERRIDE_CONTEXT}: no environment {name!r} (known: {known})")
    return tuple(
        dataclasses.replace(environment, memory_size_in_mb=megabytes)
        if environment.name == name
        else environment
        for environment in environments
    )


def parse_override(key: str, text: str) -> tuple[str, str]:
    """``"dev=pipeline"`` -> ``("dev", "pipeline")``."""
    name, separator, value = str(text).partition("=")
    if not separator or not name.strip() or not value.strip():
        raise OverrideError(f"{key}={text!r} is not ENVIRONMENT=VALUE")
    return name.strip(), value.strip()


def with_guard_overrides(
    environments: Iterable[EnvironmentConfig], *, account: str | None, deployed_by: str | None
) -> tuple[EnvironmentConfig, ...]:
    """The environments with one pinned to another account and/or one deployed by the pipeline
    (the deploy guards' scenarios); validated by build_app like any table."""
    changes: dict[str, dict[str, str]] = {}
    for key, text in ((ACCOUNT_CONTEXT, account), (DEPLOYED_BY_CONTEXT, deployed_by)):
        if text is not None:
            name, value = parse_override(key, text)
            field = "account" if key == ACCOUNT_CONTEXT else "deployed_by"
            changes.setdefault(name, {})[field] = value
    environments = tuple(environments)
    unknown = set(changes) - {environment.name for environment in environments}
    if unknown:
        raise OverrideError(f"guard overrides: no environment {sorted(unknown)}")
    return tuple(
        dataclasses.replace(environment, **changes[environment.name])  # type: ignore[arg-type]
        if environment.name in changes
        else environment
        for environment in environments
    )


def rename_endpoint(stack: cdk.Stack, endpoint_name: str) -> None:
    """Give the stack's endpoint another EndpointName: CloudFormation replaces the endpoint. The
    EndpointName output reads the endpoint (Fn::GetAtt), so it follows the new one."""
    from aws_cdk import aws_sagemaker as sagemaker

    endpoints = [c for c in stack.node.find_all() if isinstance(c, sagemaker.CfnEndpoint)]
    if len(endpoints) != 1:
        raise OverrideError(f"{ENDPOINT_NAME_CONTEXT}: {stack.stack_name} has no single endpoint")
    endpoints[0].endpoint_name = endpoint_name


def main() -> None:
    app = cdk.App()
    override = app.node.try_get_context(MEMORY_OVERRIDE_CONTEXT)
    try:
        environments = with_memory_override(ENVIRONMENTS, override)
        environments = with_guard_overrides(
            environments,
            account=app.node.try_get_context(ACCOUNT_CONTEXT),
            deployed_by=app.node.try_get_context(DEPLOYED_BY_CONTEXT),
        )
        stacks = build_app(app, environ=os.environ, environments=environments)
        rename = app.node.try_get_context(ENDPOINT_NAME_CONTEXT)
        if rename is not None:
            name, endpoint_name = parse_override(ENDPOINT_NAME_CONTEXT, rename)
            if name not in stacks:
                raise OverrideError(f"{ENDPOINT_NAME_CONTEXT}: no environment {name!r}")
            rename_endpoint(stacks[name], endpoint_name)
    except (OverrideError, ServerlessConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    app.synth()


if __name__ == "__main__":
    main()
