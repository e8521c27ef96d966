#!/usr/bin/env python3
"""CDK app entry point: one SageMaker Serverless stack per environment (see stacks/config.py)."""

import os
import sys

import aws_cdk as cdk

from sagemaker_serverless import ServerlessConfigError
from stacks.app import build_app

app = cdk.App()
try:
    build_app(app, environ=os.environ)
except ServerlessConfigError as error:
    # A configuration mistake is the user's to fix: say what is wrong, without a jsii traceback.
    print(f"error: {error}", file=sys.stderr)
    sys.exit(2)
app.synth()
