"""One SageMaker invocation: the request, and retries of throttling and cold-start errors."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

from scripts._progress import sleep_in_slices

from .errors import CheckFailedError, error_code, error_message

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Progress = Callable[[str], None]

# Errors a healthy serverless endpoint returns while scaling or starting a container.
RETRYABLE_CODES = {
    "ThrottlingException",
    "TooManyRequestsException",
    "ModelNotReadyException",
    "ServiceUnavailable",
    "ServiceUnavailableException",
    "InternalFailure",
    "InternalDependencyException",
}
COLD_START_MESSAGE = re.compile(r"timed out|not ready|cold start", re.IGNORECASE)


def is_retryable(error: Exception) -> bool:
    code = error_code(error)
    if code in RETRYABLE_CODES:
        return True
    # A serverless cold start can surface as a ModelError whose message says the container
    # timed out; a real model error (bad input, crash) does not say that and is not retried.
    return code == "ModelError" and bool(COLD_START_MESSAGE.search(error_message(error)))


def backoff_seconds(attempt: int, *, base: float = 1.0, cap: float = 20.0) -> float:
    """Full-jitter exponential backoff before retry number ``attempt`` (1-based)."""
    ceiling: float = min(cap, base * 2 ** (attempt - 1))
    return random.uniform(ceiling / 2, ceiling)


def invoke_request(
    endpoint_name: str, body: bytes, content_type: str, accept: str | None
) -> dict[str, Any]:
    """The keyword arguments of one ``invoke_endpoint`` call."""
    request: dict[str, Any] = {
        "EndpointName": endpoint_name,
        "Body": body,
        "ContentType": content_type,
    }
    if accept:
        request["Accept"] = accept
    return request


def invoke_with_retries(
    runtime: Any,
    *,
    endpoint_name: str,
    body: bytes,
    content_type: str,
    accept: str | None,
    max_attempts: int,
    sleep: Sleep,
    clock: Clock,
    progress: Progress,
) -> tuple[bytes, float, int]:
    """Invoke once, retrying retryable errors. Returns (answer, seconds of the last try, tries)."""
    request = invoke_request(endpoint_name, body, content_type, accept)
    for attempt in range(1, max_attempts + 1):
        started = clock()
        try:
            response = runtime.invoke_endpoint(**request)
            answer: bytes = response["Body"].read()
            return answer, clock() - started, attempt
        except Exception as error:
            if not error_code(error):
                raise
            if not is_retryable(error) or attempt == max_attempts:
                raise CheckFailedError(
                    f"invocation failed after {attempt} attempt(s): "
                    f"{error_code(error)}: {error_message(error)}"
                ) from None
            delay = backoff_seconds(attempt)
            progress(f"{error_code(error)} (attempt {attempt}); retrying in {delay:.1f}s")
            sleep_in_slices(
                delay,
                sleep=sleep,
                tick=lambda remaining: progress(f"  retrying in {remaining:.1f}s"),
            )
    raise AssertionError("unreachable")  # the loop always returns or raises
