"""Fakes for the deploy/destroy tests: a boto3-like session whose clients are botocore-stubbed,
a command runner that records commands and writes a one-stack cloud assembly for `cdk synth`."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

from scripts.deploy.runner import Completed

ACCOUNT, OTHER_ACCOUNT, REGION = "123456789012", "210987654321", "us-east-1"


def endpoint_template(endpoint_name: str = "ep-a", memory: int = 2048) -> dict[str, Any]:
    """A small stack: model, endpoint config, endpoint (the shapes update_plan reasons about)."""
    return {
        "Resources": {
            "Model": {
                "Type": "AWS::SageMaker::Model",
                "Properties": {"ExecutionRoleArn": "arn:aws:iam::123456789012:role/r"},
            },
            "Config": {
                "Type": "AWS::SageMaker::EndpointConfig",
                "Properties": {
                    "ProductionVariants": [
                        {
                            "ModelName": {"Fn::GetAtt": ["Model", "ModelName"]},
                            "VariantName": "AllTraffic",
                            "ServerlessConfig": {"MemorySizeInMB": memory, "MaxConcurrency": 2},
                        }
                    ]
                },
            },
            "Endpoint": {
                "Type": "AWS::SageMaker::Endpoint",
                "Properties": {
                    "EndpointConfigName": {"Fn::GetAtt": ["Config", "EndpointConfigName"]},
                    "EndpointName": endpoint_name,
                },
            },
        }
    }


def write_assembly(
    directory: Path,
    *,
    environment: str = "dev",
    account: str = ACCOUNT,
    termination_protection: bool = False,
    deployed_by: str = "anyone",
    template: dict[str, Any] | None = None,
) -> None:
    """A cloud assembly shaped as `cdk synth` writes it, with one environment's stack."""
    directory.mkdir(parents=True, exist_ok=True)
    stack = f"SageMakerServerless-{environment}"
    (directory / f"{stack}.template.json").write_text(json.dumps(template or endpoint_template()))
    manifest = {
        "artifacts": {
            stack: {
                "type": "aws:cloudformation:stack",
                "environment": f"aws://{account}/{REGION}",
                "properties": {
                    "templateFile": f"{stack}.template.json",
                    "terminationProtection": termination_protection,
                },
                # As the CDK CLI writes it: the construct metadata in a file of its own.
                "additionalMetadataFile": f"{stack}.metadata.json",
            }
        }
    }
    metadata = {f"/{stack}": [{"type": "sagemaker-serverless:deployed-by", "data": deployed_by}]}
    (directory / f"{stack}.metadata.json").write_text(json.dumps(metadata))
    (directory / "manifest.json").write_text(json.dumps(manifest))


@dataclass
class FakeRunner:
    """Records each command; `cdk synth` writes the assembly, the rest answer from ``codes``."""

    assembly: Callable[[Path], None]
    codes: dict[str, int] = field(default_factory=dict)  # "deploy", "destroy", "preflight", ...
    commands: list[list[str]] = field(default_factory=list)
    on_deploy: Callable[[], None] | None = None

    def __call__(self, args: Sequence[str], *, capture: bool) -> Completed:
        args = list(args)
        self.commands.append(args)
        kind = self.kind(args)
        if kind == "synth":
            self.assembly(Path(args[args.index("--output") + 1]))
        if kind == "deploy" and self.on_deploy is not None:
            self.on_deploy()
        return Completed(self.codes.get(kind, 0), f"{kind} output")

    @staticmethod
    def kind(args: Sequence[str]) -> str:
        if "scripts.preflight" in args:
            return "preflight"
        if "scripts.smoke_test" in args:
            return "smoke"
        return next(a for a in args[2:] if not a.startswith("-"))

    def kinds(self) -> list[str]:
        return [self.kind(args) for args in self.commands]


class FakeSession:
    """What the deploy uses of a boto3 Session; each client is stubbed (botocore Stubber)."""

    def __init__(self, *, credentials: bool = True) -> None:
        self.region_name = REGION
        self.credentials = credentials
        self.clients: dict[str, Any] = {}
        self.stubbers: dict[str, Stubber] = {}
        for name in ("sts", "cloudformation", "sagemaker"):
            client = boto3.client(
                name,
                region_name=REGION,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )
            self.clients[name] = client
            self.stubbers[name] = Stubber(client)
            self.stubbers[name].activate()

    def get_credentials(self) -> object | None:
        return object() if self.credentials else None

    def client(self, name: str, region_name: str | None = None) -> Any:
        return self.clients[name]

    def stub(self, service: str, method: str, response: dict[str, Any], **expected: Any) -> None:
        self.stubbers[service].add_response(method, response, expected or None)

    def stub_error(self, service: str, method: str, code: str, message: str) -> None:
        self.stubbers[service].add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=400
        )

    def caller(self, account: str = ACCOUNT) -> None:
        self.stub(
            "sts",
            "get_caller_identity",
            {"Account": account, "Arn": f"arn:aws:iam::{account}:user/u", "UserId": "U"},
        )

    def stack(self, status: str | None, *, protected: bool = False, name: str = "") -> None:
        stack_name = name or "SageMakerServerless-dev"
        if status is None:
            self.stub_error(
                "cloudformation",
                "describe_stacks",
                "ValidationError",
                f"Stack with id {stack_name} does not exist",
            )
            return
        self.stub(
            "cloudformation",
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": stack_name,
                        "StackStatus": status,
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "EnableTerminationProtection": protected,
                    }
                ]
            },
        )

    def assert_no_pending(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()
