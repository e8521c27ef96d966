"""Where things are and what the rehearsal deploys to: paths, account, region, names, sizes."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
# The Makefile's $(CDK) is `npx --no-install cdk`: the pinned CLI from node_modules. The
# rehearsal starts that same CLI script directly with the venv's Node.js (`node <cdk>`): npx
# would add an npm start-up (about 0.3 s of CPU) to each of its sixteen CLI commands.
NODE = VENV_BIN / "node"
# moto's default account; any region works, this one matches the README's examples.
ACCOUNT, REGION = "123456789012", "us-east-1"
STACK_NAME_PREFIX = "SageMakerServerless"  # stacks/config.py (a test keeps the two equal)
OUTPUT_ENDPOINT_NAME = "EndpointName"  # stacks/serverless_stack.py (a test keeps the two equal)
# The context value of the update's app (update_app.py, run as `python -m scripts.rehearsal_app`).
MEMORY_OVERRIDE_CONTEXT = "rehearsal:memory-size-in-mb"
# The guard scenarios' overrides (ENVIRONMENT=VALUE): another account, a pipeline-owned
# environment, a new endpoint name (an Endpoint replacement).
ACCOUNT_CONTEXT = "rehearsal:account"
DEPLOYED_BY_CONTEXT = "rehearsal:deployed-by"
ENDPOINT_NAME_CONTEXT = "rehearsal:endpoint-name"
OTHER_ACCOUNT = "210987654321"  # not moto's: a wrong-account deploy
SERVERLESS_MEMORY_SIZES = (1024, 2048, 3072, 4096, 5120, 6144)
# The answer moto gives every invocation (set through its API): wiring, not a model prediction.
CANNED_PREDICTION = "151.25"
COMMAND_TIMEOUT = 300.0
