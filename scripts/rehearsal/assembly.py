"""Cloud assemblies and templates: the stacks ``cdk synth`` wrote, and what the rehearsal reads in
a template (resources of a type, the serverless memory size and the next valid one)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scripts.rehearsal.settings import SERVERLESS_MEMORY_SIZES


@dataclass(frozen=True)
class StackArtifact:
    stack_name: str
    environment: str
    template: dict[str, Any]
    termination_protection: bool = False


def read_assembly(directory: Path) -> dict[str, StackArtifact]:
    """The stacks of a synthesized cloud assembly, in manifest order."""
    manifest = json.loads((directory / "manifest.json").read_text())
    stacks: dict[str, StackArtifact] = {}
    for artifact_id, artifact in manifest["artifacts"].items():
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact.get("properties", {})
        name = properties.get("stackName", artifact_id)
        template = json.loads((directory / properties["templateFile"]).read_text())
        stacks[name] = StackArtifact(
            name,
            artifact.get("environment", ""),
            template,
            termination_protection=bool(properties.get("terminationProtection", False)),
        )
    return stacks


def resources_of_type(template: Mapping[str, Any], resource_type: str) -> dict[str, Any]:
    return {
        logical_id: resource
        for logical_id, resource in (template.get("Resources") or {}).items()
        if resource.get("Type") == resource_type
    }


def serverless_memory_sizes(template: Mapping[str, Any]) -> set[int]:
    sizes: set[int] = set()
    for config in resources_of_type(template, "AWS::SageMaker::EndpointConfig").values():
        for variant in config.get("Properties", {}).get("ProductionVariants", []):
            memory = (variant.get("ServerlessConfig") or {}).get("MemorySizeInMB")
            if isinstance(memory, int):
                sizes.add(memory)
    return sizes


def next_memory_size(current: int) -> int:
    """A different valid serverless memory size: one step up, or down from the largest."""
    larger = [size for size in SERVERLESS_MEMORY_SIZES if size > current]
    return larger[0] if larger else max(s for s in SERVERLESS_MEMORY_SIZES if s < current)
