"""A failing snapshot test ends pytest's output with what to do; nothing else gets the hint."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.snapshot_hint import HINT

TESTS = """
def test_snapshot(snapshot):
    assert {"memory_size_in_mb": MEMORY} == snapshot

def test_plain():
    assert PLAIN_OK
"""


def _pytest(
    project: Path, root: Path, *args: str, memory: int, plain_ok: bool = True
) -> subprocess.CompletedProcess[str]:
    # A tiny project with its own pytest.ini (this project's conftest is not loaded), run from
    # the project root so that `-p tests.snapshot_hint` loads the real hooks.
    (project / "test_tiny.py").write_text(f"MEMORY = {memory}\nPLAIN_OK = {plain_ok}\n{TESTS}")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "tests.snapshot_hint",
        "-p",
        "no:cacheprovider",
    ]
    command += ["-c", str(project / "pytest.ini"), "--rootdir", str(project), str(project), *args]
    return subprocess.run(
        command, cwd=root, capture_output=True, text=True, check=False, timeout=120
    )


def test_the_hint_appears_only_when_a_snapshot_test_fails(
    tmp_path: Path, project_root: Path
) -> None:
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    stored = _pytest(tmp_path, project_root, "--snapshot-update", memory=2048)
    assert stored.returncode == 0, stored.stdout
    assert "make snapshot-update" not in stored.stdout

    changed = _pytest(tmp_path, project_root, memory=3072)  # the snapshot differs
    assert changed.returncode == 1, changed.stdout
    assert "1 snapshot test(s) failed" in changed.stdout
    assert HINT in changed.stdout
    # after syrupy's own report, as the last word
    assert changed.stdout.index(HINT) > changed.stdout.index("3072")

    other = _pytest(tmp_path, project_root, memory=2048, plain_ok=False)  # another test fails
    assert other.returncode == 1, other.stdout
    assert "test_plain" in other.stdout
    assert "make snapshot-update" not in other.stdout
