"""SageMaker Serverless Inference limits, and the checks that enforce them.

cfn-lint does not check these ranges, and CloudFormation only rejects them minutes into a deploy,
so the construct checks them at synth time. Values that are unresolved CDK tokens are skipped: they
are only known at deploy time.
"""

from __future__ import annotations

import functools
import os
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import Token

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
    if not is_token(memory_size_in_mb) and (
        not _is_int(memory_size_in_mb) or memory_size_in_mb not in MEMORY_SIZES_IN_MB
    ):
        problems.append(
            f"memory_size_in_mb={memory_size_in_mb!r} is not allowed; use one of {allowed_memory}"
        )

    max_ok = is_token(max_concurrency) or (
        _is_int(max_concurrency) and MIN_CONCURRENCY <= max_concurrency <= MAX_CONCURRENCY
    )
    if not max_ok:
        problems.append(
            f"max_concurrency={max_concurrency!r} is not allowed; use a whole number from "
            f"{MIN_CONCURRENCY} to {MAX_CONCURRENCY}"
        )

    if provisioned_concurrency is not None and not is_token(provisioned_concurrency):
        if not (
            _is_int(provisioned_concurrency)
            and MIN_CONCURRENCY <= provisioned_concurrency <= MAX_CONCURRENCY
        ):
            problems.append(
                f"provisioned_concurrency={provisioned_concurrency!r} is not allowed; use None "
                f"or a whole number from {MIN_CONCURRENCY} to {MAX_CONCURRENCY}"
            )
        elif max_ok and not is_token(max_concurrency) and provisioned_concurrency > max_concurrency:
            problems.append(
                f"provisioned_concurrency={provisioned_concurrency!r} is greater than "
                f"max_concurrency={max_concurrency!r}; it must be at most max_concurrency"
            )
    return problems


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
# about 11 x for JSON ones (measured with scripts/right_size.py on XGBoost 3.0; README
# "Right-size memory"). An estimate above the endpoint's memory clearly cannot be served.
LOAD_BASE_BYTES = 75 * 2**20
LOAD_FACTOR_BINARY = 6
LOAD_FACTOR_JSON = 12
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True)
class ModelMemoryEstimate:
    """What loading a ``model.tar.gz`` needs, estimated from its size and format."""

    uncompressed_bytes: int
    json_format: bool
    peak_bytes: int


def uncompressed_size_in_bytes(path: Path) -> int | None:
    """A fast lower bound of a ``.tar.gz`` artifact's uncompressed size, or None if unreadable.

    gzip stores the uncompressed size modulo 4 GiB in its last four bytes; the compressed size is
    a lower bound too (models barely compress), so the larger of the two is used. No
    decompression: synth stays fast for multi-gigabyte artifacts.
    """
    try:
        with path.open("rb") as archive:
            if archive.read(2) != _GZIP_MAGIC:
                return None
            archive.seek(-4, os.SEEK_END)
            size_modulo = int.from_bytes(archive.read(4), "little")
            compressed = archive.tell()
    except OSError:
        return None
    return max(size_modulo, compressed)


def _first_file_is_json(path: Path) -> bool:
    # Reads only the first member's first bytes (the stream stops there).
    try:
        with tarfile.open(path, "r|gz") as archive:
            for member in archive:
                if member.isfile():
                    extracted = archive.extractfile(member)
                    return extracted is not None and extracted.read(2) == b'{"'
    except (OSError, tarfile.TarError, EOFError):
        return False
    return False


def estimate_model_memory(path: Path) -> ModelMemoryEstimate | None:
    """The estimated peak memory of loading the artifact at ``path``, or None if unreadable."""
    try:
        status = path.stat()
    except OSError:
        return None
    # Many endpoints often share one artifact: read each file version once.
    return _estimate(path.resolve(), status.st_size, status.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _estimate(path: Path, size: int, mtime_ns: int) -> ModelMemoryEstimate | None:
    uncompressed = uncompressed_size_in_bytes(path)
    if uncompressed is None:
        return None
    json_format = _first_file_is_json(path)
    factor = LOAD_FACTOR_JSON if json_format else LOAD_FACTOR_BINARY
    return ModelMemoryEstimate(
        uncompressed_bytes=uncompressed,
        json_format=json_format,
        peak_bytes=LOAD_BASE_BYTES + factor * uncompressed,
    )
