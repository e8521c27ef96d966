"""SageMaker Serverless Inference limits, and the checks that enforce them.

cfn-lint does not check these ranges, and CloudFormation only rejects them minutes into a deploy,
so the construct checks them at synth time. Values that are unresolved CDK tokens are skipped: they
are only known at deploy time.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_cdk import Token

from .artifact import ArtifactInspection

MEMORY_SIZES_IN_MB: tuple[int, ...] = (1024, 2048, 3072, 4096, 5120, 6144)
MIN_CONCURRENCY = 1
MAX_CONCURRENCY = 200
# ContainerDefinition.Environment limits (SageMaker API reference).
MAX_ENVIRONMENT_ENTRIES = 100
MAX_ENVIRONMENT_LENGTH = 1024
_ENVIRONMENT_KEY = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


# Every CDK string token contains this marker; integers are never tokens (number tokens are
# special floats). Checking in Python first saves a round trip to jsii for plain values, which
# is most of the validation's cost per endpoint.
_STRING_TOKEN_MARKER = "${Token["


def is_token(value: Any) -> bool:
    """True for an unresolved CDK token (a value only known at deploy time)."""
    if isinstance(value, int):  # bool too
        return False
    if isinstance(value, str) and _STRING_TOKEN_MARKER not in value:
        return False
    return isinstance(value, (str, float)) and Token.is_unresolved(value)


def _is_int(value: Any) -> bool:
    # bool is an int subclass in Python; True is not a concurrency.
    return isinstance(value, int) and not isinstance(value, bool)


def serverless_config_problems(
    *,
    memory_size_in_mb: Any,
    max_concurrency: Any,
    provisioned_concurrency: Any,
) -> list[str]:
    """Return one message per violated limit (empty when the configuration is valid)."""
    problems: list[str] = []
    allowed_memory = ", ".join(str(size) for size in MEMORY_SIZES_IN_MB)
    if not is_token(memory_size_in_mb) and not _is_int(memory_size_in_mb):
        problems.append(
            f"memory_size_in_mb {_not_int(memory_size_in_mb)}; use one of {allowed_memory}"
        )
    elif not is_token(memory_size_in_mb) and memory_size_in_mb not in MEMORY_SIZES_IN_MB:
        problems.append(
            f"memory_size_in_mb={memory_size_in_mb!r} is not allowed; use one of {allowed_memory}"
        )

    concurrency_range = f"a whole number from {MIN_CONCURRENCY} to {MAX_CONCURRENCY}"
    max_ok = is_token(max_concurrency) or (
        _is_int(max_concurrency) and MIN_CONCURRENCY <= max_concurrency <= MAX_CONCURRENCY
    )
    if not _is_int(max_concurrency) and not is_token(max_concurrency):
        problems.append(f"max_concurrency {_not_int(max_concurrency)}; use {concurrency_range}")
    elif not max_ok:
        problems.append(
            f"max_concurrency={max_concurrency!r} is not allowed; use {concurrency_range}"
        )

    if provisioned_concurrency is not None and not is_token(provisioned_concurrency):
        if not _is_int(provisioned_concurrency):
            problems.append(
                f"provisioned_concurrency {_not_int(provisioned_concurrency)}; use None or "
                f"{concurrency_range}"
            )
        elif not MIN_CONCURRENCY <= provisioned_concurrency <= MAX_CONCURRENCY:
            problems.append(
                f"provisioned_concurrency={provisioned_concurrency!r} is not allowed; use None "
                f"or {concurrency_range}"
            )
        elif max_ok and not is_token(max_concurrency) and provisioned_concurrency > max_concurrency:
            problems.append(
                f"provisioned_concurrency={provisioned_concurrency!r} is greater than "
                f"max_concurrency={max_concurrency!r}; it must be at most max_concurrency"
            )
    return problems


def _not_int(value: Any) -> str:
    """'must be a whole number (int), got str '2048'': the type is the mistake, not the value."""
    return f"must be a whole number (int), got {type(value).__name__} {value!r}"


def environment_problems(environment: Mapping[Any, Any] | None) -> list[str]:
    """One message per container environment variable SageMaker would reject."""
    if environment is None:
        return []
    problems: list[str] = []
    if len(environment) > MAX_ENVIRONMENT_ENTRIES:
        problems.append(
            f"environment has {len(environment)} variables; at most {MAX_ENVIRONMENT_ENTRIES}"
        )
    for key, value in environment.items():
        if not isinstance(key, str) or not _ENVIRONMENT_KEY.match(key):
            problems.append(
                f"environment key {key!r} is not allowed; use letters, digits and underscores, "
                "not starting with a digit"
            )
        elif len(key) > MAX_ENVIRONMENT_LENGTH:
            problems.append(
                f"environment key {key[:20]!r}... is {len(key)} characters; "
                f"at most {MAX_ENVIRONMENT_LENGTH}"
            )
        if is_token(value):
            continue
        if not isinstance(value, str):
            problems.append(
                f"environment[{key!r}]={value!r} is not a string; pass str(value) explicitly"
            )
        elif len(value) > MAX_ENVIRONMENT_LENGTH:
            problems.append(
                f"environment[{key!r}] is {len(value)} characters; at most {MAX_ENVIRONMENT_LENGTH}"
            )
    return problems


# Loading an XGBoost model peaks at about 70 MB + 5-6 x its size for binary (UBJSON) models and
# about 11 x for JSON ones (measured with scripts/right_size.py on XGBoost 3.0; docs/your-model.md
# "Right-size memory"). An estimate above the endpoint's memory clearly cannot be served.
LOAD_BASE_BYTES = 75 * 2**20
LOAD_FACTOR_BINARY = 6
LOAD_FACTOR_JSON = 12


@dataclass(frozen=True)
class ModelMemoryEstimate:
    """What loading a ``model.tar.gz`` needs, estimated from its model files' sizes and formats."""

    uncompressed_bytes: int
    json_format: bool
    peak_bytes: int


def estimate_model_memory(inspection: ArtifactInspection) -> ModelMemoryEstimate | None:
    """The estimated peak memory of loading the inspected artifact's model files.

    Uses the real uncompressed sizes read from the archive. None when the archive could not be
    read to its end or holds no model file: no estimate is better than a wrong one.
    """
    if inspection.uncompressed_size is None or not inspection.model_files:
        return None
    # With several model files the container loads them all (an ensemble) in one worker.
    peak = LOAD_BASE_BYTES + sum(
        (LOAD_FACTOR_JSON if info.format == "json" else LOAD_FACTOR_BINARY) * info.size
        for info in inspection.model_files
    )
    return ModelMemoryEstimate(
        uncompressed_bytes=inspection.model_bytes,
        json_format=any(info.format == "json" for info in inspection.model_files),
        peak_bytes=peak,
    )
