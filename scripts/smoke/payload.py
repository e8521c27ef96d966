"""The request body: the sample row, a payload file, and how many rows (predictions) it holds."""

from __future__ import annotations

from pathlib import Path

from .errors import UsageError

# The first row of the sample model's training data, features only (no label, no header).
DEFAULT_PAYLOAD = "59,2,32.1,101,157,93.2,38,4,4.8598,87\n"
DEFAULT_CONTENT_TYPE = "text/csv"
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # SageMaker Serverless request limit


def read_payload(path: Path | None) -> bytes:
    if path is None:
        return DEFAULT_PAYLOAD.encode()
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise UsageError(f"--payload-file {str(path)!r}: {error.strerror}") from None
    if not payload:
        raise UsageError(f"--payload-file {str(path)!r} is empty")
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise UsageError(
            f"--payload-file {str(path)!r} is {len(payload)} bytes; "
            f"SageMaker Serverless accepts at most {MAX_PAYLOAD_BYTES} bytes"
        )
    return payload


# Content-Type values the XGBoost image reads as CSV or libsvm (data_utils.get_content_type),
# compared lower-cased without parameters.
CSV_TYPES = ("text/csv", "csv")
LIBSVM_TYPES = ("text/libsvm", "text/x-libsvm", "libsvm")


def payload_format(content_type: str) -> str | None:
    """ "csv", "libsvm", or None for a content type whose rows the script cannot count."""
    media_type = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media_type in CSV_TYPES:
        return "csv"
    if media_type in LIBSVM_TYPES:
        return "libsvm"
    return None


def payload_rows(payload: bytes) -> list[str]:
    """The rows as the image splits them: the body stripped, then split on "\n"."""
    return payload.strip().decode("utf-8", errors="replace").split("\n")


def expected_prediction_count(payload: bytes, content_type: str) -> int | None:
    """Rows in a CSV or libsvm request (one prediction each); None when unknown."""
    if payload_format(content_type) is None:
        return None
    return len(payload_rows(payload))
