"""The model's feature count, and the payload checked against it before anything is invoked.

XGBoost and the managed image accept a row with fewer values than the model has features (the
rest are missing values) and answer 200 with a prediction: a payload built for another model
passes every other check. So when the count is known, every CSV row must hold exactly that many
values, counted as the image counts them (encoder.csv_to_dmatrix: the body stripped, the
delimiter sniffed from the first line's first 512 characters, "," when the guess is a letter or
digit, each "\\n"-separated row split on it), and every libsvm feature index must be below it
(image 3.0-5 reads libsvm indices as 0-based columns: serve_utils._get_sparse_matrix_from_libsvm).

The count comes from --feature-count N, from --model PATH (the construct library's
sagemaker_serverless.artifact reads it from the artifact), or, with --stack, from the stack's
ModelFeatureCount output; an option that disagrees with the deployed stack's output fails.
"""

from __future__ import annotations

import csv
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import CheckFailedError, UsageError
from .payload import payload_format, payload_rows

OUTPUT_FEATURE_COUNT = "ModelFeatureCount"  # the stacks' CfnOutput id, when they have one
SNIFF_CHARACTERS = 512
SHOWN_MISMATCHES = 3
NOT_CHECKED = (
    "feature count not checked: pass --feature-count N or --model model.tar.gz (or --stack of a "
    f"stack with a {OUTPUT_FEATURE_COUNT} output)"
)


@dataclass(frozen=True, kw_only=True)
class FeatureCount:
    count: int
    source: str  # e.g. "--feature-count", "--model model/model.tar.gz"


def count_from_model(path: Path) -> int:
    """The feature count recorded in a model artifact (sagemaker_serverless.artifact)."""
    if not path.exists():
        raise UsageError(f"--model {str(path)!r}: no such file or directory")
    # Imported when asked for: the pipeline's smoke step has boto3 only, not the library.
    try:
        artifact: Any = importlib.import_module("sagemaker_serverless.artifact")
    except ImportError as error:
        raise UsageError(
            f"--model needs sagemaker_serverless.artifact from the construct library ({error}); "
            "run `make setup` and use the project's .venv, or pass --feature-count N"
        ) from None
    inspection = artifact.inspect_model_artifact(path)
    if inspection.num_feature is None:
        errors = "; ".join(inspection.errors) or "it does not record one"
        raise UsageError(
            f"--model {str(path)!r}: no feature count could be read ({errors}); "
            "pass --feature-count N"
        )
    return int(inspection.num_feature)


def count_from_options(*, feature_count: int | None, model: Path | None) -> FeatureCount | None:
    """The count that --feature-count gives or --model reads, or None."""
    if feature_count is not None:
        return FeatureCount(count=feature_count, source="--feature-count")
    if model is not None:
        return FeatureCount(count=count_from_model(model), source=f"--model {model}")
    return None


def count_from_outputs(outputs: dict[str, str], stack: str) -> tuple[int | None, str | None]:
    """(the stack's ModelFeatureCount output, or None; a note when it cannot be used)."""
    value = outputs.get(OUTPUT_FEATURE_COUNT)
    if value is None:
        return None, None
    if not value.strip().isdigit() or int(value) < 1:
        return None, (
            f"stack {stack!r} output {OUTPUT_FEATURE_COUNT}={value!r} is not a whole number "
            "of at least 1: ignored"
        )
    return int(value), None


def resolve_feature_count(
    *,
    option: FeatureCount | None,
    deployed: int | None,
    stack: str | None,
) -> FeatureCount | None:
    """The option's count or the deployed stack's; CheckFailedError when they disagree."""
    if deployed is None:
        return option
    from_stack = f"stack {stack!r} output {OUTPUT_FEATURE_COUNT}"
    if option is None:
        return FeatureCount(count=deployed, source=from_stack)
    if option.count != deployed:
        raise CheckFailedError(
            f"{option.source} says the model has {option.count} features, but the model stack "
            f"{stack!r} deployed has {deployed} ({OUTPUT_FEATURE_COUNT} output): not invoked. "
            "Check the payload against the deployed model, or deploy the model you meant"
        )
    return FeatureCount(count=option.count, source=f"{option.source}, = {from_stack}")


def check_payload(payload: bytes, content_type: str, features: FeatureCount | None) -> str:
    """What was checked, as one line for the report; CheckFailedError on a mismatch."""
    if features is None:
        return NOT_CHECKED
    kind = payload_format(content_type)
    if kind is None:
        return (
            f"feature count not checked: {content_type!r} payloads are not counted "
            "(only CSV and libsvm, the image's row formats)"
        )
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CheckFailedError(
            f"the payload is not UTF-8 text ({error.reason} at byte {error.start}), which the "
            "image cannot read: not invoked"
        ) from None
    rows = payload_rows(payload)
    if kind == "csv":
        problems = _csv_problems(rows, features.count)
        checked = f"every row has {features.count} values"
    else:
        problems = _libsvm_problems(rows, features.count)
        checked = f"every feature index is below {features.count}"
    if problems:
        more = len(problems) - SHOWN_MISMATCHES
        shown = "; ".join(problems[:SHOWN_MISMATCHES]) + (f"; {more} more" if more > 0 else "")
        raise CheckFailedError(
            f"the payload does not fit the model, checked before invoking (not invoked): "
            f"{shown}. The model has {features.count} features ({features.source}); XGBoost "
            "would answer 200 with a prediction made from the wrong features"
        )
    return f"{checked}: the model's {features.count} features ({features.source})"


def csv_delimiter(first_row: str) -> str:
    """The delimiter the image uses for a CSV body whose first row this is."""
    try:
        delimiter = csv.Sniffer().sniff(first_row[:SNIFF_CHARACTERS]).delimiter
    except csv.Error:
        # The image fails to parse such a body (415); count on "," so the mismatch is named.
        return ","
    return "," if delimiter.isalnum() else delimiter


def _csv_problems(rows: list[str], count: int) -> list[str]:
    delimiter = csv_delimiter(rows[0])
    return [
        f"row {number} has {len(cells)} value{'s' if len(cells) != 1 else ''}"
        for number, cells in enumerate((row.split(delimiter) for row in rows), 1)
        if len(cells) != count
    ]


def _libsvm_problems(rows: list[str], count: int) -> list[str]:
    problems = []
    for number, row in enumerate(rows, 1):
        for token in row.split(" "):
            if ":" not in token:
                continue  # the label, or an empty token: the image ignores them
            index = token.split(":")[0]
            try:
                column = int(index)
            except ValueError:
                problems.append(f"row {number} has {token!r}, whose index is not a whole number")
                continue
            if not 0 <= column < count:
                problems.append(
                    f"row {number} has feature index {column} (0-based: 0 to {count - 1} exist)"
                )
    return problems
