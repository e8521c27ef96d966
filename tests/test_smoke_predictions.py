"""The smoke script reads every answer format of the managed XGBoost image, one prediction per row.

Bodies as the image 3.0-5 writes them (aws/sagemaker-xgboost-container, algorithm_mode/serve.py
and serve_utils.py): CSV through np.savetxt, JSON scores, and SAGEMAKER_INFERENCE_OUTPUT's JSON,
JSON lines and CSV.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import numpy as np
import pytest

from scripts.smoke.cli import main
from scripts.smoke.errors import CheckFailedError
from scripts.smoke.load import FAILED, OK, check_answer
from scripts.smoke.predictions import Prediction, format_prediction, parse_predictions
from tests.fake_http import Script, scripted_server


def savetxt(predictions: Any) -> bytes:
    """The image's text/csv answer: sagemaker_containers' array_to_csv, a csv.writer row per
    prediction ("\n" after each)."""
    array = np.array(predictions)
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\n").writerows(array)
    return stream.getvalue().encode()


REGRESSION = [152.5887908935547, 138.1]
PROBABILITIES = [[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]]


@pytest.mark.parametrize(
    ("body", "rows", "expected"),
    [
        # text/csv, the default: one line per row, each ending in "\n".
        (b"152.5887908935547\n138.1\n", 2, REGRESSION),
        (savetxt(REGRESSION), 2, REGRESSION),
        (b"151.3\n", 1, [151.3]),
        # A multi-class probability model: each line is that row's values joined by ",".
        (savetxt(PROBABILITIES), 2, PROBABILITIES),
        (b"0.1,0.2,0.7\n", 1, [[0.1, 0.2, 0.7]]),
        # application/json
        (json.dumps({"predictions": [{"score": s} for s in REGRESSION]}).encode(), 2, REGRESSION),
        (
            json.dumps({"predictions": [{"score": p} for p in PROBABILITIES]}).encode(),
            2,
            PROBABILITIES,
        ),
        # SAGEMAKER_INFERENCE_OUTPUT=predicted_label,probability: JSON, JSON lines, CSV.
        (
            b'{"predictions": [{"predicted_label": 1, "probability": 0.8}, '
            b'{"predicted_label": 0, "probability": 0.3}]}',
            2,
            [
                {"predicted_label": 1.0, "probability": 0.8},
                {"predicted_label": 0, "probability": 0.3},
            ],
        ),
        (
            b'{"predicted_label": 1, "probability": 0.8}\n'
            b'{"predicted_label": 0, "probability": 0.3}\n',
            2,
            [
                {"predicted_label": 1.0, "probability": 0.8},
                {"predicted_label": 0, "probability": 0.3},
            ],
        ),
        (
            b'{"predicted_label": 1, "probability": 0.8}\n',
            1,
            [{"predicted_label": 1.0, "probability": 0.8}],
        ),
        (b"1,0.8\n0,0.3", 2, [[1.0, 0.8], [0.0, 0.3]]),  # "\n".join: no trailing newline
        (b"1,0.8", 1, [[1.0, 0.8]]),
        # ...=predicted_label,probabilities: a list value is written quoted in CSV.
        (b'1,"[0.2, 0.8]"\n0,"[0.7, 0.3]"', 2, [[1.0, [0.2, 0.8]], [0.0, [0.7, 0.3]]]),
        (
            b'{"predictions": [{"predicted_label": 1, "probabilities": [0.2, 0.8]}]}',
            1,
            [{"predicted_label": 1.0, "probabilities": [0.2, 0.8]}],
        ),
        # Rows unknown (e.g. a JSON request): lines still count one each.
        (b"1.5\n2.5\n", None, [1.5, 2.5]),
        (b"\r\n1.5\r\n2.5\r\n\r\n", None, [1.5, 2.5]),
    ],
)
def test_one_prediction_per_row_in_every_format(
    body: bytes, rows: int | None, expected: list[Prediction]
) -> None:
    assert parse_predictions(body) == expected
    assert check_answer(body, rows) == (OK, "", "")


@pytest.mark.parametrize(
    ("body", "rows", "count"),
    [
        (b"1.0\n", 2, 1),
        (b"1.0\n2.0\n", 1, 2),
        # One multi-class line for two rows.
        (b"0.1,0.2,0.7\n", 2, 1),
        (b'{"predictions": [{"score": 1.5}]}', 2, 1),
        (b'{"predicted_label": 1}\n', 3, 1),
        (b'{"predicted_label": 1}\n{"predicted_label": 0}\n', 3, 2),
    ],
)
def test_a_wrong_count_fails(body: bytes, rows: int, count: int) -> None:
    outcome, reason, message = check_answer(body, rows)
    assert (outcome, reason) == (FAILED, "bad answer")
    assert message == f"sent {rows} row(s) but got {count} prediction(s)"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "the endpoint answered with an empty body"),
        (b"  \n", "the endpoint answered with an empty body"),
        (b"nan", "not a finite number"),
        (b"1.5\ninf\n", "line 2 is inf"),
        (b"abc", "the answer is not a number: 'abc'"),
        (b"<html>oops</html>", "the answer is not a number"),
        (b"true", "the answer is not a number: prediction 1 is True"),
        (b'{"error": "x"}', 'the answer is a JSON object without a "predictions" list, nor a'),
        (b'{"predictions": 1.5}', 'the answer\'s "predictions" is not a list'),
        (b'{"predictions": []}', "the answer holds no prediction"),
        (b'{"predictions": [{"score": "high"}]}', "prediction 1 is 'high'"),
        (b'{"predictions": [{}]}', "prediction 1 is an empty object"),
        (b'{"predictions": [{"score": []}]}', "prediction 1 is an empty list"),
        (b"1,,2\n", "the answer is not a number"),
    ],
)
def test_answers_that_are_not_predictions_fail(body: bytes, message: str) -> None:
    with pytest.raises(CheckFailedError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_predictions(body)


def test_a_selected_key_the_objective_lacks_is_nan_and_named() -> None:
    # A regression model with SAGEMAKER_INFERENCE_OUTPUT=predicted_label: the image answers NaN.
    body = b'{"predictions": [{"predicted_score": 1.5, "predicted_label": NaN}]}'
    with pytest.raises(CheckFailedError) as caught:
        parse_predictions(body)
    message = str(caught.value)
    assert "prediction 1: 'predicted_label' is nan" in message
    assert "SAGEMAKER_INFERENCE_OUTPUT key that the model's objective does not have" in message


def test_predictions_are_shown_as_they_came() -> None:
    assert format_prediction(152.5887908935547) == "152.589"
    assert format_prediction([0.1, 0.9]) == "[0.1,0.9]"
    assert format_prediction({"predicted_label": 1.0}) == '{"predicted_label":1.0}'


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (b"152.5887908935547\n", "152.589"),
        (b'{"predictions": [{"score": [0.25, 0.75]}]}', "[0.25,0.75]"),
        (
            b'{"predicted_label": 1, "probability": 0.8}\n',
            '{"predicted_label":1.0,"probability":0.8}',
        ),
    ],
)
def test_the_script_passes_on_each_format_end_to_end(
    answer: bytes, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with scripted_server(Script(then=(200, answer))) as url:
        assert main(["--local-url", url, "--warm-invocations", "1"]) == 0
    assert f"OK {url} (local) answered: {shown}" in capsys.readouterr().out
