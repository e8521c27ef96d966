"""Running the pinned CDK CLI and the project's scripts: in the project directory, the venv's
Node.js first on PATH (as the Makefile's $(CDK)), output either shown live or captured."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = PROJECT_ROOT / ".venv" / "bin"
# The pinned CLI from node_modules, started with the venv's Node.js (what `npx --no-install cdk`
# runs, without npm's start-up).
CDK_CLI = PROJECT_ROOT / "node_modules" / ".bin" / "cdk"
NODE = VENV_BIN / "node"


@dataclass(frozen=True)
class Completed:
    returncode: int
    output: str  # captured output ("" when it was shown live)


class Runner(Protocol):
    def __call__(self, args: Sequence[str], *, capture: bool) -> Completed: ...


def command_environment(base: Mapping[str, str] = os.environ) -> dict[str, str]:
    env = dict(base)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{base.get('PATH', '')}"
    env.setdefault("CDK_DISABLE_CLI_TELEMETRY", "true")
    env.setdefault("NPM_CONFIG_LOGLEVEL", "error")
    return env


def run_command(args: Sequence[str], *, capture: bool) -> Completed:
    """Run ``args``; ``capture=False`` shows its output live and lets it read the terminal (the
    CDK CLI's approval prompt)."""
    if capture:
        result = subprocess.run(
            list(args),
            cwd=PROJECT_ROOT,
            env=command_environment(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
        )
        return Completed(result.returncode, result.stdout)
    sys.stdout.flush()
    sys.stderr.flush()
    # Its output goes to stderr with ours: stdout stays free for --json.
    shown = subprocess.run(
        list(args), cwd=PROJECT_ROOT, env=command_environment(), stdout=sys.stderr, check=False
    )
    return Completed(shown.returncode, "")


def cdk(*args: str) -> list[str]:
    return [str(NODE), str(CDK_CLI), *args]


def python_module(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(f"    {line}" for line in text.strip().splitlines()[-lines:])
