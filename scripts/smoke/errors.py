"""Exit codes and the two errors every module of the smoke script raises."""

from __future__ import annotations

EXIT_OK, EXIT_FAILURE, EXIT_USAGE, EXIT_DRIFT = 0, 1, 2, 3
# What each exit code means: --help, the README and the JSON report's exit_meaning say the same.
EXIT_MEANINGS = {
    EXIT_OK: "passed: the endpoint answered correctly (and runs what the stack says, if checked)",
    EXIT_FAILURE: "the endpoint or an invocation failed (not found, Failed, timeout, wrong answer)",
    EXIT_USAGE: "usage or configuration error (arguments, credentials, region, stack, template)",
    EXIT_DRIFT: "drift: the endpoint runs something other than what the stack or template says",
}


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
