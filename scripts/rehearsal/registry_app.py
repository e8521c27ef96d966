"""The CDK app of the rehearsal's Model Registry scenario (scripts/rehearsal/registry.py).

    cdk synth --app ".venv/bin/python -m scripts.rehearsal.registry_app" \\
        -c rehearsal:model-registry-record=<file written by the refresh>

One environment, ``registry`` (dev's settings), whose ``model_package`` is the scenario's group;
the record file stands for cdk.context.json (the rehearsal must not write the project's own):
its keys become context before any stack is built, as the CLI does with cdk.context.json.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from pathlib import Path

from stacks.node_runtime import use_project_node

use_project_node()  # before aws_cdk is imported: jsii starts Node.js at import time

import aws_cdk as cdk  # noqa: E402

from sagemaker_serverless import ServerlessConfigError  # noqa: E402
from scripts.rehearsal.registry import ENVIRONMENT, GROUP_ARN, RECORD_CONTEXT  # noqa: E402
from stacks.app import build_app  # noqa: E402
from stacks.compliance import add_compliance_checks  # noqa: E402
from stacks.config import ENVIRONMENTS, EnvironmentConfig  # noqa: E402


def registry_environment() -> EnvironmentConfig:
    """dev's settings, deploying the latest approved version of the scenario's group."""
    dev = next(environment for environment in ENVIRONMENTS if environment.name == "dev")
    return dataclasses.replace(dev, name=ENVIRONMENT, model_package=GROUP_ARN)


def main() -> None:
    app = cdk.App()
    record = app.node.try_get_context(RECORD_CONTEXT)
    if record:
        for key, value in json.loads(Path(record).read_text()).items():
            app.node.set_context(key, value)
    try:
        build_app(app, environ=os.environ, environments=[registry_environment()], pipeline=None)
    except ServerlessConfigError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
    add_compliance_checks(app)  # the five packs, as app.py runs them
    app.synth()


if __name__ == "__main__":
    main()
