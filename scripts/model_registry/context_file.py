"""cdk.context.json: read, and written deterministically (sorted keys, two-space indent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


class ContextFileError(Exception):
    """cdk.context.json exists but is not a JSON object."""


def read_context(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        value = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ContextFileError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ContextFileError(f"{path} is not a JSON object")
    return value


def write_context(path: Path, context: dict[str, Any]) -> None:
    """The same content always writes the same bytes, whatever order keys were added in."""
    text = json.dumps(context, indent=2, sort_keys=True) + "\n"
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text)
    temporary.replace(path)  # never a half-written file for the next synth
