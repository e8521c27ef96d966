"""Exit codes of ``make deploy`` / ``make destroy`` and the errors that end a run with one."""

from __future__ import annotations

EXIT_OK = 0  # deployed and smoke-tested / destroyed and confirmed gone
EXIT_FAILED = 1  # a step failed: synth, lint, cdk deploy (rolled back), cdk destroy, leftovers
EXIT_USAGE = 2  # usage or set-up: arguments, no credentials, unknown environment
EXIT_REFUSED = 3  # a guard refused: nothing was changed
EXIT_SMOKE_FAILED = 4  # deployed, but the smoke test (or its live-configuration check) failed
EXIT_INTERRUPTED = 130

EXIT_MEANINGS = {
    EXIT_OK: "done",
    EXIT_FAILED: "a step failed (synth, lint, the CDK CLI, a rollback, something left behind)",
    EXIT_USAGE: "usage or set-up error (arguments, credentials, unknown environment)",
    EXIT_REFUSED: "refused by a guard; nothing was changed",
    EXIT_SMOKE_FAILED: "deployed, but the smoke test or the live-configuration check failed",
    EXIT_INTERRUPTED: "interrupted",
}


class StepError(Exception):
    """Ends the run with ``code``; the message says what happened and what to do."""

    code = EXIT_FAILED

    def __init__(self, message: str) -> None:
        super().__init__(message)


class FailedError(StepError):
    code = EXIT_FAILED


class UsageError(StepError):
    code = EXIT_USAGE


class RefusedError(StepError):
    code = EXIT_REFUSED


class SmokeFailedError(StepError):
    code = EXIT_SMOKE_FAILED
