"""tests/background.py: a test waiting for a background job says so while it waits."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from tests import background


def test_waiting_for_a_job_reports_its_last_step(monkeypatch: pytest.MonkeyPatch) -> None:
    script = "import sys, time; print('==> [1] a step', file=sys.stderr, flush=True); time.sleep(1)"
    monkeypatch.setitem(
        background.JOBS,
        "nap",
        lambda _: background.JobSpec(command=(sys.executable, "-c", script), env=os.environ),
    )
    monkeypatch.setattr(background, "WAIT_REPORT_SECONDS", 0.3)
    heard = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", heard)
    job = background.BackgroundJob("nap")
    try:
        result = job.result()
    finally:
        job.stop()
    assert result.returncode == 0
    reports = [line for line in heard.getvalue().splitlines() if "waiting for nap" in line]
    assert reports, heard.getvalue()
    assert reports[-1].endswith("==> [1] a step")


def test_a_job_past_its_timeout_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        background.JOBS,
        "forever",
        lambda _: background.JobSpec(command=("sleep", "30"), env=os.environ),
    )
    monkeypatch.setattr(background, "TIMEOUT_SECONDS", 0.5)
    monkeypatch.setattr(background, "WAIT_REPORT_SECONDS", 0.2)
    monkeypatch.setattr(sys, "__stderr__", io.StringIO())
    job = background.BackgroundJob("forever")
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            job.result()
    finally:
        job.stop()
