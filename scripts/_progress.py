"""Progress for the long-running scripts: elapsed time, "i of n", and never silent for long.

Shared by scripts/bench, scripts/rehearsal, scripts/right_size.py and scripts/smoke. Not by
scripts/local_endpoint: that package is copied into the container image on its own.

- ``Progress``: ``[elapsed] message`` lines on stderr, flushed at once (stdout stays the report).
- ``Heartbeat``: while a ``with`` block runs (a subprocess, a load burst), a line every few
  seconds from a background thread, so that a long step is never silent.
- ``sleep_in_slices``: a long sleep cut into slices, with a line between slices (the smoke
  script's waits, whose sleep and clock the tests replace).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

# The longest a wait may stay silent: the README promises no command silent for more than ~5 s.
HEARTBEAT_SECONDS = 5.0


def format_elapsed(seconds: float) -> str:
    """``4.2s`` under a minute, ``3m07s`` above."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s"


class Progress:
    """``[elapsed] message`` lines on ``stream`` (stderr), the elapsed time since creation."""

    def __init__(
        self, *, stream: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._clock = clock
        self.started = clock()

    @property
    def elapsed(self) -> float:
        return self._clock() - self.started

    def say(self, message: str) -> None:
        # Looked up at each call, so that pytest's capsys (which swaps sys.stderr) sees it.
        stream = self._stream or sys.stderr
        print(f"[{format_elapsed(self.elapsed):>6}] {message}", file=stream, flush=True)

    def item(self, index: int, total: int, what: str) -> None:
        """One measurement of a series: ``[elapsed] (i/n) what``."""
        self.say(f"({index}/{total}) {what}")

    def heartbeat(self, what: str, *, every: float = HEARTBEAT_SECONDS) -> Heartbeat:
        """``with progress.heartbeat("running the test suite"):`` says so every ``every`` s."""
        return Heartbeat(
            lambda seconds: self.say(f"... {what} ({format_elapsed(seconds)})"), every=every
        )


class Heartbeat:
    """Calls ``tick(seconds since the block began)`` every ``every`` seconds while the ``with``
    block runs, from a daemon thread (it never outlives the block: ``__exit__`` joins it)."""

    def __init__(
        self,
        tick: Callable[[float], None],
        *,
        every: float = HEARTBEAT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if every <= 0:
            raise ValueError(f"every must be > 0 seconds, not {every!r}")
        self._tick = tick
        self._every = every
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        started = self._clock()

        def beat() -> None:
            while not self._stop.wait(self._every):
                self._tick(self._clock() - started)

        self._thread = threading.Thread(target=beat, name="heartbeat", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def sleep_in_slices(
    seconds: float,
    *,
    sleep: Callable[[float], None],
    tick: Callable[[float], None],
    every: float = HEARTBEAT_SECONDS,
) -> None:
    """Sleep ``seconds`` in slices of at most ``every``, calling ``tick(seconds still to sleep)``
    between slices: a 15 s poll interval then says something every 5 s."""
    remaining = seconds
    while remaining > 0:
        slice_ = min(every, remaining)
        sleep(slice_)
        remaining -= slice_
        if remaining > 1e-9:
            tick(remaining)
