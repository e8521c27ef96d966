"""`make synth` swaps in a new cdk.out only when synth succeeds; a failure keeps the last good one.

The Makefile's recipe is run for real, with a stand-in for the CDK CLI (CDK=...) that writes a
template or fails the way app.py fails on a configuration error: no 10 s synth per case.
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

# Writes <--output dir>/Stub.template.json holding $STUB_TEMPLATE, or fails with exit 2 when
# $STUB_FAIL is set (after writing part of its output, as a real failed synth can).
STUB = """#!/bin/sh
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; shift; fi
  shift
done
mkdir -p "$out"
if [ -n "$STUB_FAIL" ]; then
  echo partial > "$out/manifest.json"
  echo "error: stacks/config.py ENVIRONMENTS: 1 configuration problem" >&2
  exit 2
fi
echo "$STUB_TEMPLATE" > "$out/Stub.template.json"
"""


@pytest.fixture
def stub_cdk(tmp_path: Path) -> Path:
    stub = tmp_path / "cdk"
    stub.write_text(STUB)
    stub.chmod(stub.stat().st_mode | stat.S_IXUSR)
    return stub


def make_synth(
    project_root: Path, stub: Path, out: Path, **environ: str
) -> subprocess.CompletedProcess[str]:
    # -o setup: the environment is already set up; this tests the synth recipe alone.
    return subprocess.run(
        ["make", "--no-print-directory", "-o", "setup", "synth", f"CDK={stub}", f"CDK_OUT={out}"],
        cwd=project_root,
        capture_output=True,
        text=True,
        env={**os.environ, **environ},
        check=False,
        timeout=60,
    )


def test_a_successful_synth_replaces_cdk_out(
    project_root: Path, stub_cdk: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Old.template.json").write_text("old")
    result = make_synth(project_root, stub_cdk, out, STUB_TEMPLATE="new")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["Stub.template.json"]
    assert (out / "Stub.template.json").read_text() == "new\n"
    assert not (tmp_path / "cdk.out.new").exists()
    assert f"{out}/Stub.template.json" in result.stdout


def test_a_failed_synth_keeps_the_last_good_cdk_out(
    project_root: Path, stub_cdk: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cdk.out"
    out.mkdir()
    (out / "Good.template.json").write_text("good")
    result = make_synth(project_root, stub_cdk, out, STUB_FAIL="1")
    assert result.returncode != 0
    assert sorted(p.name for p in out.iterdir()) == ["Good.template.json"]
    assert (out / "Good.template.json").read_text() == "good"
    assert not (tmp_path / "cdk.out.new").exists()  # the partial output is removed
    assert "error: stacks/config.py ENVIRONMENTS" in result.stderr  # app.py's message
    assert (
        f"make synth: synth failed (exit 2); {out}/ is unchanged: it still holds the last good "
        "templates" in result.stderr
    )


def test_a_failed_first_synth_says_nothing_was_written(
    project_root: Path, stub_cdk: Path, tmp_path: Path
) -> None:
    out = tmp_path / "cdk.out"
    result = make_synth(project_root, stub_cdk, out, STUB_FAIL="1")
    assert result.returncode != 0
    assert not out.exists()
    assert f"make synth: synth failed (exit 2); no {out}/ was written" in result.stderr
