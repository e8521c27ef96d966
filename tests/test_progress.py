"""The shared progress helper (scripts/_progress.py): elapsed time, slices, heartbeats."""

from __future__ import annotations

import argparse
import functools
import io
import re
import threading

import pytest

from scripts._progress import Heartbeat, Progress, format_elapsed, sleep_in_slices


def test_elapsed_reads_in_seconds_then_minutes() -> None:
    assert format_elapsed(4.25) == "4.2s"
    assert format_elapsed(187.9) == "3m07s"


def test_progress_lines_carry_elapsed_time_and_i_of_n() -> None:
    now = [100.0]
    stream = io.StringIO()
    progress = Progress(stream=stream, clock=lambda: now[0])
    now[0] = 112.5
    progress.item(3, 40, "scaling: peer, 50 endpoints")
    assert stream.getvalue() == "[ 12.5s] (3/40) scaling: peer, 50 endpoints\n"


def test_a_long_sleep_is_cut_into_slices_with_a_line_between() -> None:
    slept: list[float] = []
    ticks: list[float] = []
    sleep_in_slices(12.0, sleep=slept.append, tick=ticks.append, every=5.0)
    assert slept == [5.0, 5.0, 2.0]
    assert ticks == [7.0, 2.0]  # what is still to sleep; none after the last slice


def test_a_short_sleep_is_one_slice_and_silent() -> None:
    slept: list[float] = []
    ticks: list[float] = []
    sleep_in_slices(3.0, sleep=slept.append, tick=ticks.append)
    assert slept == [3.0]
    assert ticks == []


def test_heartbeat_ticks_while_the_block_runs_and_stops_with_it() -> None:
    ticked = threading.Event()
    seen: list[float] = []

    def tick(seconds: float) -> None:
        seen.append(seconds)
        ticked.set()

    with Heartbeat(tick, every=0.01) as heartbeat:
        assert ticked.wait(timeout=10)
    count = len(seen)
    assert seen[0] > 0
    assert heartbeat._thread is not None
    assert not heartbeat._thread.is_alive()
    assert len(seen) == count  # nothing after the block


def test_heartbeat_needs_a_positive_interval() -> None:
    with pytest.raises(ValueError, match="every must be > 0 seconds"):
        Heartbeat(lambda _seconds: None, every=0)


def test_rehearsal_steps_say_when_they_start_and_while_they_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from scripts.rehearsal import step_runner
    from scripts.rehearsal.report import Report

    monkeypatch.setattr(step_runner, "Heartbeat", functools.partial(Heartbeat, every=0.01))
    runner = step_runner.StepRunner(argparse.Namespace(), Report())
    lines: list[str] = []
    beat = threading.Event()

    def say(message: str) -> None:
        lines.append(message)
        if message.startswith("    ... deploy X ("):
            beat.set()

    monkeypatch.setattr(runner, "say", say)
    with runner.step("deploy X"):
        assert beat.wait(timeout=10)
    assert re.fullmatch(r"==> \[1\] deploy X \(at \d+\.\ds\)", lines[0])
    assert re.fullmatch(r"    ok \(\d+\.\ds\)", lines[-1])
