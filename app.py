#!/usr/bin/env python3
"""CDK app entry point: one SageMaker Serverless stack per environment (see stacks/config.py)."""

import os
import sys

from stacks.node_runtime import use_project_node

use_project_node()  # before aws_cdk is imported: jsii starts Node.js at import time

import aws_cdk as cdk  # noqa: E402

from sagemaker_serverless import ServerlessConfigError  # noqa: E402
from stacks.app import build_app  # noqa: E402
from stacks.compliance import add_compliance_checks  # noqa: E402

app = cdk.App()
try:
    build_app(app, environ=os.environ)
except ServerlessConfigError as error:
    # A configuration mistake is the user's to fix: say what is wrong, without a jsii traceback.
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
add_compliance_checks(app)
app.synth()
