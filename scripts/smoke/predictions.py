"""What the endpoint answered: one prediction per request row, every number in it finite.

The managed XGBoost image (3.0-5, algorithm mode, aws/sagemaker-xgboost-container
``algorithm_mode/serve.py``) answers:

- ``text/csv`` (also its default): one line per row, each ending in "\\n" (``csv.writer``):
  ``b"152.5887908935547\\n138.1\\n"``; a multi-class probability model's line is that row's
  values joined by ",".
- ``application/json``: ``{"predictions": [{"score": 152.58}, {"score": 138.1}]}``, the score a
  list for multi-class probabilities.
- With ``SAGEMAKER_INFERENCE_OUTPUT`` (selected keys, e.g. ``predicted_label,probability``):
  JSON ``{"predictions": [{"predicted_label": 1, "probability": 0.8}, ...]}``, JSON lines (one
  such object per line), or CSV lines of the selected values (a list value as ``"[0.2, 0.8]"``).
  A key the model's objective lacks is answered as NaN, which fails the check here.

"""

from __future__ import annotations

import csv
import json
import math
from typing import Any

from .errors import CheckFailedError

# A number, a list of numbers (multi-class), or selected keys -> a number or a list.
Prediction = float | list[Any] | dict[str, Any]
SELECTED_KEY_HINT = (
    "the container answers NaN for a SAGEMAKER_INFERENCE_OUTPUT key that the model's objective "
    "does not have"
)


def parse_predictions(body: bytes) -> list[Prediction]:
    """The predictions in an answer, each checked."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        raise CheckFailedError("the endpoint answered with an empty body")
    shown = text[:200]
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        objects = _json_lines(lines)
        if objects is not None:
            predictions = [_check(o, f"line {i}", shown) for i, o in enumerate(objects, 1)]
        else:
            predictions = _csv_predictions(lines, shown=shown)
    else:
        predictions = _json_predictions(document, shown)
    if not predictions:
        raise CheckFailedError(f"the answer holds no prediction: {shown!r}")
    return predictions


def _json_predictions(document: Any, shown: str) -> list[Prediction]:
    if isinstance(document, dict) and "predictions" not in document:
        # One line of application/jsonlines is one JSON object: a one-row answer.
        try:
            return [_check(document, "line 1", shown)]
        except CheckFailedError:
            raise CheckFailedError(
                'the answer is a JSON object without a "predictions" list, nor a prediction: '
                f"{shown!r}"
            ) from None
    if isinstance(document, dict):
        items = document["predictions"]
        if not isinstance(items, list):
            raise CheckFailedError(f'the answer\'s "predictions" is not a list: {shown!r}')
    else:
        items = [document]
    return [_check(item, f"prediction {i}", shown) for i, item in enumerate(items, 1)]


def _json_lines(lines: list[str]) -> list[dict[str, Any]] | None:
    """Every line a JSON object (application/jsonlines), else None."""
    objects = []
    for line in lines:
        try:
            parsed = json.loads(line)
        except json.JSONDecodeError:
            return None
        if not isinstance(parsed, dict):
            return None
        objects.append(parsed)
    return objects


def _csv_predictions(lines: list[str], *, shown: str) -> list[Prediction]:
    rows = list(csv.reader(lines))
    predictions: list[Prediction] = []
    for number, row in enumerate(rows, 1):
        values = [_csv_value(cell, f"line {number}", shown) for cell in row]
        predictions.append(values[0] if len(values) == 1 else values)
    return predictions


def _csv_value(cell: str, where: str, shown: str) -> Prediction:
    cell = cell.strip()
    if cell.startswith("["):  # a selected key's list, e.g. probabilities: "[0.2, 0.8]"
        try:
            return _check(json.loads(cell), where, shown)
        except json.JSONDecodeError:
            pass
    try:
        number = float(cell)
    except ValueError:
        raise CheckFailedError(f"the answer is not a number: {shown!r}") from None
    return _check(number, where, shown)


def _check(value: Any, where: str, shown: str) -> Prediction:
    """``value`` if it is a finite number, a list of them, or an object of those; else raise."""
    if isinstance(value, dict):
        if not value:
            raise CheckFailedError(f"{where} is an empty object: {shown!r}")
        if set(value) == {"score"}:  # the image's JSON: {"score": ...} is the prediction
            return _check(value["score"], where, shown)
        return {
            key: _check_value(item, f"{where}: {key!r}", shown, selected_key=True)
            for key, item in value.items()
        }
    return _check_value(value, where, shown)


def _check_value(
    value: Any, where: str, shown: str, *, selected_key: bool = False
) -> float | list[Any]:
    if isinstance(value, list):
        if not value:
            raise CheckFailedError(f"{where} is an empty list: {shown!r}")
        return [_check_value(item, where, shown, selected_key=selected_key) for item in value]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CheckFailedError(f"the answer is not a number: {where} is {value!r}: {shown!r}")
    if not math.isfinite(value):
        hint = f" ({SELECTED_KEY_HINT})" if selected_key else ""
        raise CheckFailedError(
            f"the answer is not a finite number: {where} is {value}{hint}: {shown!r}"
        )
    return float(value)


def format_prediction(prediction: Prediction) -> str:
    if isinstance(prediction, float):
        return f"{prediction:g}"
    return json.dumps(prediction, separators=(",", ":"))
