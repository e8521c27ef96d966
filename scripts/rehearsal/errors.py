"""The rehearsal's exit codes and its two errors."""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130


class RehearsalFailedError(Exception):
    """A real failure: a step did not do what a deploy must do (exit code 1)."""


class UsageError(Exception):
    """The command line or the set-up is wrong (exit code 2)."""
