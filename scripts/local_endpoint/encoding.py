"""Prediction answers, written as the container's encoders write them.

Default answers (serve.py:240-249): ``preds.tolist()``; with ``SAGEMAKER_BATCH`` one ``str()``
per line whatever the Accept; ``application/json`` as ``{"predictions": [{"score": ...}]}``
(serve_utils.py:533-545); anything else through sagemaker-containers' ``encoders.encode``
(sagemaker_containers/_encoders.py:216-234), which knows ``text/csv`` (csv.writer, one row per
line, "\\n" after each, _encoders.py:130-154), ``application/x-npy`` (np.save) and JSON — and
raises ``UnsupportedFormatError`` for the rest, which Flask turns into a 500 page.

Selectable inference (``SAGEMAKER_INFERENCE_OUTPUT``, serve_utils.py:262-530): the chosen keys
per prediction, encoded as JSON, JSON Lines, CSV or RecordIO-protobuf.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from typing import Any

from . import recordio

JSON = "application/json"
JSONLINES = "application/jsonlines"
RECORDIO_PROTOBUF = "application/x-recordio-protobuf"
CSV = "text/csv"
NPY = "application/x-npy"
SUPPORTED_ACCEPTS = [JSON, JSONLINES, RECORDIO_PROTOBUF, CSV]  # serve.py:31

# Objectives and the keys they can answer (serve_utils.py:59-89).
PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES = (
    "predicted_label",
    "labels",
    "probability",
    "probabilities",
)
RAW_SCORE, RAW_SCORES, PREDICTED_SCORE = "raw_score", "raw_scores", "predicted_score"
_CLASSIFIER_KEYS = [PREDICTED_LABEL, LABELS, RAW_SCORE, RAW_SCORES]
_PROBABILITY_KEYS = [PREDICTED_LABEL, LABELS, PROBABILITY, PROBABILITIES, RAW_SCORE, RAW_SCORES]
VALID_OBJECTIVES: dict[str, list[str]] = {
    "reg:squarederror": [PREDICTED_SCORE],
    "reg:logistic": [PREDICTED_SCORE],
    "reg:gamma": [PREDICTED_SCORE],
    "reg:absoluteerror": [PREDICTED_SCORE],
    "reg:tweedie": [PREDICTED_SCORE],
    "binary:logistic": _PROBABILITY_KEYS,
    "binary:logitraw": _CLASSIFIER_KEYS,
    "binary:hinge": _CLASSIFIER_KEYS,
    "multi:softmax": _CLASSIFIER_KEYS,
    "multi:softprob": _PROBABILITY_KEYS,
}


class UnsupportedFormatError(Exception):
    """sagemaker_containers._errors.UnsupportedFormatError (_errors.py:72-83)."""

    def __init__(self, content_type: str) -> None:
        super().__init__(
            f"Content type {content_type} is not supported by this framework.\n\n"
            "Please implement input_fn to to deserialize the request data or an output_fn to\n"
            "serialize the response. For more information, see the SageMaker Python SDK README."
        )


def parse_accept(header: str | None, *, default: str) -> str:
    """serve._parse_accept (serve.py:163-179); ValueError means 406."""
    from .decoding import parse_header

    accept, _ = parse_header(header or "")
    if not accept or accept == "*/*":
        return default  # not validated, not lower-cased
    if accept.lower() not in SUPPORTED_ACCEPTS:
        raise ValueError(
            f"Accept type {accept} is not supported. Please use supported accept types: "
            f"{SUPPORTED_ACCEPTS}."
        )
    return accept.lower()


def _array_to_csv(array_like: Any) -> str:
    """sagemaker_containers._encoders.array_to_csv (_encoders.py:130-154)."""
    import numpy as np

    array = np.array(array_like)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    stream = io.StringIO()
    writer = csv.writer(
        stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True
    )
    writer.writerows(array)  # a 0-d array raises TypeError, as in the container
    return stream.getvalue()


def _array_to_npy(array_like: Any) -> bytes:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array_like)
    return buffer.getvalue()


def _array_to_json(array_like: Any) -> str:
    def default(value: Any) -> Any:
        if hasattr(value, "tolist"):
            return value.tolist()
        return json.JSONEncoder().default(value)

    return json.dumps(array_like, default=default)


_ENCODERS: dict[str, Callable[[Any], str | bytes]] = {
    NPY: _array_to_npy,
    CSV: _array_to_csv,
    JSON: _array_to_json,
}


def encode(array_like: Any, content_type: str) -> str | bytes:
    """sagemaker_containers encoders.encode: the exact key, else UnsupportedFormatError."""
    encoder = _ENCODERS.get(content_type)
    if encoder is None:
        raise UnsupportedFormatError(content_type)
    return encoder(array_like)


def encode_default(predictions: Any, accept: str, *, batch: bool) -> str | bytes:
    """The answer without selectable inference (serve.py:240-247)."""
    preds_list = predictions.tolist()
    if batch:
        return "\n".join(map(str, preds_list)) + "\n"
    if accept == JSON:
        return json.dumps({"predictions": [{"score": pred} for pred in preds_list]})
    return encode(preds_list, accept)


# --- Selectable inference --------------------------------------------------------------------


def selected_keys(inference_output: str) -> list[str]:
    """serve_utils.get_selected_output_keys (serve_utils.py:266-276)."""
    return inference_output.replace(" ", "").lower().split(",")


def _labels(objective: str, num_class: str) -> Any:
    if "binary:" in objective:
        return [0, 1]
    if "multi:" in objective and num_class:
        return list(range(int(num_class)))
    return math.nan


def _predicted_label(objective: str, raw: Any) -> Any:
    import numpy as np

    if objective in ("binary:hinge", "multi:softmax"):
        return raw.item()
    if objective == "binary:logistic":
        return int(raw > 0.5)
    if objective == "binary:logitraw":
        return int(raw > 0)
    if objective == "multi:softprob":
        return np.argmax(raw).item()
    return math.nan


def _probability(objective: str, raw: Any) -> Any:
    if objective == "multi:softprob":
        return max(raw).item()
    if objective == "binary:logistic":
        return raw.item()
    return math.nan


def _probabilities(objective: str, raw: Any) -> Any:
    if objective == "multi:softprob":
        return raw.tolist()
    if objective == "binary:logistic":
        one = raw.item()
        return [1.0 - one, one]
    return math.nan


def _raw_score(objective: str, raw: Any) -> Any:
    if objective == "multi:softprob":
        return max(raw).item()
    if objective in ("binary:logitraw", "binary:hinge", "binary:logistic", "multi:softmax"):
        return raw.item()
    return math.nan


def _raw_scores(objective: str, raw: Any) -> Any:
    if objective == "multi:softprob":
        return raw.tolist()
    if objective in ("binary:logitraw", "binary:hinge", "binary:logistic", "multi:softmax"):
        one = raw.item()
        return [1.0 - one, one]
    return math.nan


def selected_predictions(
    raw_predictions: Any, keys: Sequence[str], objective: str, *, num_class: str
) -> tuple[list[dict[str, Any]], set[str]]:
    """serve_utils.get_selected_predictions (serve_utils.py:394-447) and the invalid keys."""
    if objective not in VALID_OBJECTIVES:
        raise ValueError(
            f"Objective `{objective}` unsupported for selectable inference predictions."
        )
    valid = set(keys).intersection(VALID_OBJECTIVES[objective])
    invalid = set(keys).difference(VALID_OBJECTIVES[objective])
    predictions = []
    for raw in raw_predictions:  # a scalar (voting ensemble) raises TypeError, as there
        output: dict[str, Any] = {}
        if PREDICTED_LABEL in valid:
            output[PREDICTED_LABEL] = _predicted_label(objective, raw)
        if LABELS in valid:
            output[LABELS] = _labels(objective, num_class)
        if PROBABILITY in valid:
            output[PROBABILITY] = _probability(objective, raw)
        if PROBABILITIES in valid:
            output[PROBABILITIES] = _probabilities(objective, raw)
        if RAW_SCORE in valid:
            output[RAW_SCORE] = _raw_score(objective, raw)
        if RAW_SCORES in valid:
            output[RAW_SCORES] = _raw_scores(objective, raw)
        if PREDICTED_SCORE in valid:
            output[PREDICTED_SCORE] = raw.item()
        for key in sorted(invalid):  # the container iterates a set: its order is not fixed
            output[key] = math.nan
        predictions.append(output)
    return predictions, invalid


def _selected_csv(predictions: list[dict[str, Any]], keys: Sequence[str]) -> str:
    lines = []
    for prediction in predictions:
        values = []
        for key in keys:
            value = prediction[key]
            values.append(f'"{value}"' if isinstance(value, list) else str(value))
        lines.append(",".join(values))
    return "\n".join(lines)


def _selected_recordio(predictions: list[dict[str, Any]]) -> bytes:
    """serve_utils.py:484-504, including its quirk: the record buffer is never reset, so frame
    k holds records 1..k concatenated (a protobuf parser merges them into record k)."""
    records = b""
    out = b""
    for item in predictions:
        labels = {key: value if isinstance(value, list) else [value] for key, value in item.items()}
        records += recordio.encode_label_record(labels)
        out += recordio.frame(records)
    return out


def encode_selected(
    predictions: list[dict[str, Any]], keys: Sequence[str], accept: str, *, batch: bool
) -> str | bytes:
    """serve_utils.encode_selected_predictions (serve_utils.py:507-530)."""
    if accept == JSON:
        return json.dumps({"predictions": predictions})
    if accept == JSONLINES:
        return b"".join(bytes(json.dumps(entry) + "\n", "UTF-8") for entry in predictions)
    if accept == RECORDIO_PROTOBUF:
        return _selected_recordio(predictions)
    if accept == CSV:
        answer = _selected_csv(predictions, keys)
        return answer + "\n" if batch else answer
    raise RuntimeError(f"Cannot encode selected predictions into accept type '{accept}'.")
