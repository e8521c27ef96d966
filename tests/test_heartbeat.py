"""scripts/heartbeat.sh: quiet make steps say they are still running, and keep their exit status."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HEARTBEAT = PROJECT_ROOT / "scripts" / "heartbeat.sh"


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(HEARTBEAT), *command],
        capture_output=True,
        text=True,
        env={**os.environ, "HEARTBEAT_SECONDS": "0.4"},
        timeout=30,
        check=False,
    )


def test_a_quiet_command_gets_a_line_per_interval_and_its_output_is_kept() -> None:
    result = _run("nap", "bash", "-c", "sleep 1.5; echo done")
    assert result.returncode == 0
    assert result.stdout == "done\n"
    beats = [line for line in result.stderr.splitlines() if "nap: still running" in line]
    assert 2 <= len(beats) <= 4, result.stderr


def test_the_commands_exit_status_is_kept_and_a_quick_command_is_not_interrupted() -> None:
    result = _run("fails", "bash", "-c", "exit 7")
    assert result.returncode == 7
    assert "still running" not in result.stderr


def test_the_makefile_wraps_the_quiet_steps() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    for step in ('"pip install"', '"cdk synth"', "mypy $(VENV)/bin/mypy"):
        assert f"$(HEARTBEAT) {step}" in makefile


def test_without_a_command_it_says_how_to_use_it() -> None:
    result = subprocess.run(
        ["bash", str(HEARTBEAT), "label"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "usage: scripts/heartbeat.sh LABEL COMMAND" in result.stderr


def test_the_wrapped_cdk_command_starts_with_a_program_not_an_assignment() -> None:
    # heartbeat.sh runs its arguments as a command: "VAR=value npx" is "command not found".
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    (line,) = [line for line in makefile.splitlines() if line.startswith("CDK := ")]
    assert "=" not in line.removeprefix("CDK := ").split()[0], line
