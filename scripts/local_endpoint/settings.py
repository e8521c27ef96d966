"""The container's environment variables, read once (as the container reads them at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

SAGEMAKER_BATCH = "SAGEMAKER_BATCH"
SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT = "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT"
SAGEMAKER_INFERENCE_OUTPUT = "SAGEMAKER_INFERENCE_OUTPUT"
SAGEMAKER_INFERENCE_ENSEMBLE = "SAGEMAKER_INFERENCE_ENSEMBLE"
MAX_CONTENT_LENGTH = "MAX_CONTENT_LENGTH"

DEFAULT_ACCEPT = "text/csv"  # serve.py:174
DEFAULT_MAX_CONTENT_LENGTH = 6291456  # serve.py:35, 6 MiB


class SettingsError(ValueError):
    """An environment variable the container would fail on at start-up."""


@dataclass(frozen=True)
class ServingSettings:
    """The environment variables the single-model container honours.

    :param batch: ``SAGEMAKER_BATCH`` set to any non-empty value (serve.py:30): CSV answers end
        every prediction with a newline and ignore Accept (serve.py:241-242).
    :param default_accept: ``SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT`` (serve.py:174), used when
        Accept is missing or ``*/*``; not validated by the container (an unsupported value fails
        when the answer is encoded).
    :param inference_output: ``SAGEMAKER_INFERENCE_OUTPUT`` (serve_utils.py:57, :263), the
        selectable inference keys; None when the variable is absent (an empty value still
        selects the mode).
    :param ensemble: ``SAGEMAKER_INFERENCE_ENSEMBLE`` equal to "true" (the default,
        serve_utils.py:549): every model file is loaded and their predictions combined.
    :param max_content_length: ``MAX_CONTENT_LENGTH`` in bytes (serve.py:35): Flask answers 413
        above it.
    """

    batch: bool = False
    default_accept: str = DEFAULT_ACCEPT
    inference_output: str | None = None
    ensemble: bool = True
    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> ServingSettings:
        env = os.environ if environ is None else environ
        raw_length = env.get(MAX_CONTENT_LENGTH, str(DEFAULT_MAX_CONTENT_LENGTH))
        try:
            max_content_length = int(raw_length)  # serve.py:35: int() or the import fails
        except ValueError:
            raise SettingsError(
                f"{MAX_CONTENT_LENGTH}={raw_length!r} is not a whole number of bytes (the "
                "container fails to start with it)"
            ) from None
        return cls(
            batch=bool(env.get(SAGEMAKER_BATCH)),
            default_accept=env.get(SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, DEFAULT_ACCEPT),
            inference_output=env.get(SAGEMAKER_INFERENCE_OUTPUT),
            ensemble=env.get(SAGEMAKER_INFERENCE_ENSEMBLE, "true") == "true",
            max_content_length=max_content_length,
        )

    def describe(self) -> list[str]:
        """Non-default settings, for the start-up line."""
        described = []
        if self.batch:
            described.append(f"{SAGEMAKER_BATCH} set")
        if self.default_accept != DEFAULT_ACCEPT:
            described.append(f"default Accept {self.default_accept}")
        if self.inference_output is not None:
            described.append(f"{SAGEMAKER_INFERENCE_OUTPUT}={self.inference_output}")
        if not self.ensemble:
            described.append("ensemble off")
        if self.max_content_length != DEFAULT_MAX_CONTENT_LENGTH:
            described.append(f"{MAX_CONTENT_LENGTH}={self.max_content_length}")
        return described
