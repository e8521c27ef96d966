"""The pinned CDK CLI synthesizes exactly what the in-process tests check, quietly and offline."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from stacks.config import ENVIRONMENTS
from tests.synth import synthesize

pytestmark = pytest.mark.cli


def test_cli_synth_matches_in_process_synth(project_root: Path, tmp_path: Path) -> None:
    npx = shutil.which("npx", path=str(project_root / ".venv" / "bin"))
    assert npx is not None, "run through `make test`: Node.js lives in .venv/bin"
    env = {
        **os.environ,
        "PATH": f"{project_root / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
    }
    for name in (
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "CDK_DEFAULT_ACCOUNT",
    ):
        env.pop(name, None)
    cli_out = tmp_path / "cli.out"
    result = subprocess.run(
        [npx, "--no-install", "cdk", "synth", "--quiet", "--output", str(cli_out)],
        cwd=project_root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # jsii's banner for an unsupported Node.js must not appear: the venv's Node 24 is used.
    assert "end-of-life" not in result.stderr
    assert "This software is currently running on" not in result.stderr

    in_process = synthesize(tmp_path / "in-process", {"CDK_DEFAULT_REGION": "us-east-1"})
    for config in ENVIRONMENTS:
        cli_template = (cli_out / f"{config.stack_name}.template.json").read_text()
        assert cli_template == in_process.template_text(config.name), config.name
