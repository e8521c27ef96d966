"""Exit codes and the two errors every module of the smoke script raises."""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class CheckFailedError(Exception):
    """The endpoint or an invocation failed (exit code 1)."""


class UsageError(Exception):
    """The command line or the environment is wrong (exit code 2)."""


def error_code(error: Exception) -> str:
    """The AWS error code of a botocore ClientError ("" for anything else)."""
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def error_message(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Message", error))
