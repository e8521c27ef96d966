"""Synthesize the application in-process exactly as the CDK CLI would (same cdk.json context)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from stacks.app import build_app
from stacks.compliance import add_compliance_checks
from stacks.config import ENVIRONMENTS, PROJECT_ROOT, EnvironmentConfig
from stacks.pipeline_config import PIPELINE_STACK_NAME
from stacks.pipeline_stack import PipelineStack
from stacks.serverless_stack import ServerlessEndpointStack

# What a reviewer sees in the snapshots: a typical account and region, fixed so that the
# snapshots do not depend on the machine's AWS configuration.
SNAPSHOT_ENVIRON = {"CDK_DEFAULT_ACCOUNT": "123456789012", "CDK_DEFAULT_REGION": "us-east-1"}


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context, and the recorded look-ups of cdk.context.json (the CLI reads both)."""
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text())["context"]
    recorded = PROJECT_ROOT / "cdk.context.json"
    if recorded.exists():
        context |= json.loads(recorded.read_text())
    return context


def new_app(outdir: Path | None = None) -> cdk.App:
    """An App with cdk.json's context and its CLI settings (no version reporting)."""
    # The CLI adds these for every synth (path metadata shows construct paths in `cdk diff`).
    cli_context = {"aws:cdk:enable-path-metadata": True, "aws:cdk:enable-asset-metadata": True}
    return cdk.App(
        context=cdk_json_context() | cli_context,
        outdir=str(outdir) if outdir else None,
        analytics_reporting=False,
    )


@dataclass(frozen=True)
class SynthesizedApp:
    stacks: Mapping[str, ServerlessEndpointStack]
    outdir: Path

    def template_path(self, environment: str) -> Path:
        return self.outdir / f"{self.stacks[environment].stack_name}.template.json"

    def template_text(self, environment: str) -> str:
        return self.template_path(environment).read_text()

    def template(self, environment: str) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(self.template_text(environment))
        return template


def synthesize(
    outdir: Path,
    environ: Mapping[str, str],
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
) -> SynthesizedApp:
    app = new_app(outdir)
    stacks = build_app(app, environ=environ, environments=environments)
    add_compliance_checks(app)  # as app.py does: a finding fails the synth
    app.synth()
    return SynthesizedApp(stacks=stacks, outdir=outdir)


# The README's example pipeline (placeholder connection and accounts), as `make synth-pipeline`
# passes it with -c; tests/test_pipeline.py checks that the Makefile says the same.
PIPELINE_EXAMPLE_CONTEXT = {
    "pipeline:connectionArn": (
        "arn:aws:codeconnections:eu-west-1:111111111111:connection/"
        "00000000-0000-0000-0000-000000000000"
    ),
    "pipeline:repository": "my-org/sagemaker-serverless",
    "pipeline:branch": "main",
    "pipeline:account": "111111111111",
    "pipeline:region": "eu-west-1",
    "pipeline:targets": (
        "dev=222222222222/eu-west-1,staging=333333333333/eu-west-1,prod=444444444444/eu-west-1"
    ),
}


@dataclass(frozen=True)
class SynthesizedPipeline:
    stack: PipelineStack
    outdir: Path

    @property
    def template_path(self) -> Path:
        return self.outdir / f"{self.stack.artifact_id}.template.json"

    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(self.template_path.read_text())
        return template

    def stage_template(self, environment: str, stack: cdk.Stack) -> dict[str, Any]:
        """A template of ``environment``'s stage (its nested cloud assembly)."""
        stage = next(s for s in self.stack.stages if s.environment.name == environment)
        path = self.outdir / stage.artifact_id / stack.template_file
        template: dict[str, Any] = json.loads(path.read_text())
        return template


def synthesize_pipeline(
    outdir: Path,
    context: Mapping[str, Any] = PIPELINE_EXAMPLE_CONTEXT,
    environments: Iterable[EnvironmentConfig] = ENVIRONMENTS,
) -> SynthesizedPipeline:
    """The app with the example pipeline configured through context, as `-c` gives it."""
    app = new_app(outdir)
    for key, value in context.items():
        app.node.set_context(key, value)
    # The env stacks as in their snapshots.
    build_app(app, environ=SNAPSHOT_ENVIRON, environments=environments)
    stack = app.node.find_child(PIPELINE_STACK_NAME)
    assert isinstance(stack, PipelineStack)
    app.synth()
    return SynthesizedPipeline(stack=stack, outdir=outdir)
