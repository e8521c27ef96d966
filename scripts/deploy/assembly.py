"""The cloud assembly ``cdk synth`` writes: the one stack's template and the facts the guards
read from it (account and region, termination protection, who deploys it), and cfn-lint on it.

The guards read the synthesized assembly, not stacks/config.py directly: what they check is
exactly what ``cdk deploy --app <assembly>`` then deploys (the app, with any context, decides).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.deploy.errors import FailedError, UsageError

# stacks/config.py STACK_NAME_PREFIX and stacks/serverless_stack.py DEPLOYED_BY_METADATA (a test
# keeps them equal; importing stacks/ would start jsii's Node.js for two strings).
STACK_NAME_PREFIX = "SageMakerServerless"
DEPLOYED_BY_METADATA = "sagemaker-serverless:deployed-by"
_UNKNOWN = ("unknown-account", "unknown-region")


def stack_name_of(environment: str) -> str:
    return f"{STACK_NAME_PREFIX}-{environment}"


@dataclass(frozen=True)
class StackFacts:
    stack_name: str
    account: str | None  # None: environment-agnostic
    region: str | None
    termination_protection: bool
    deployed_by: str
    template: dict[str, Any]
    template_path: Path


def read_stack(assembly: Path, environment: str) -> StackFacts:
    """The facts of environment ``environment``'s stack; UsageError if the app has no such stack."""
    manifest = json.loads((assembly / "manifest.json").read_text())
    wanted = stack_name_of(environment)
    known: list[str] = []
    for artifact_id, artifact in manifest.get("artifacts", {}).items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        if not name.startswith(f"{STACK_NAME_PREFIX}-") or name.count("-") != 1:
            continue  # the pipeline stack and its stages' stacks
        known.append(name.removeprefix(f"{STACK_NAME_PREFIX}-"))
        if name != wanted:
            continue
        account, region = _environment(artifact.get("environment", ""))
        template_path = assembly / properties["templateFile"]
        return StackFacts(
            stack_name=name,
            account=account,
            region=region,
            termination_protection=bool(properties.get("terminationProtection", False)),
            deployed_by=_deployed_by(_metadata(assembly, artifact), artifact_id),
            template=json.loads(template_path.read_text()),
            template_path=template_path,
        )
    raise UsageError(
        f"ENV={environment!r} is not an environment of stacks/config.py (environments: "
        f"{', '.join(known) or 'none'})"
    )


def _environment(text: str) -> tuple[str | None, str | None]:
    parts = text.removeprefix("aws://").split("/")
    if len(parts) != 2:
        return None, None
    account, region = parts
    return (
        None if account in _UNKNOWN else account,
        None if region in _UNKNOWN else region,
    )


def _metadata(assembly: Path, artifact: dict[str, Any]) -> dict[str, Any]:
    """The stack's construct metadata: in the manifest, or (as the CLI writes it) in the file
    the manifest names."""
    metadata: dict[str, Any] = dict(artifact.get("metadata") or {})
    extra = artifact.get("additionalMetadataFile")
    if extra:
        metadata |= json.loads((assembly / extra).read_text())
    return metadata


def _deployed_by(metadata: dict[str, Any], artifact_id: str) -> str:
    for entry in metadata.get(f"/{artifact_id}", []):
        if entry.get("type") == DEPLOYED_BY_METADATA:
            return str(entry.get("data"))
    return "anyone"


def lint_findings(template_path: Path, region: str) -> list[str]:
    """cfn-lint's findings for the template in its region, as tests/test_cfn_lint.py lints."""
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(template_path, config=ManualArgs(regions=[region]))
    return [f"{match.rule.id} {match.message} ({match.path_string})" for match in matches]


def check_lint(template_path: Path, region: str) -> str:
    findings = lint_findings(template_path, region)
    if findings:
        listed = "\n".join(f"    {finding}" for finding in findings)
        raise FailedError(f"cfn-lint found {len(findings)} problem(s) in the template:\n{listed}")
    return f"cfn-lint clean ({region})"
