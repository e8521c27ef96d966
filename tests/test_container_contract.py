"""Contract tests: the local inference server answers as SageMaker's managed XGBoost image 3.0-5.

Every expected status, header and body below is read from the container's source, never from the
server's output; predictions come from XGBoost in the test (same rows, same model), formatted as
the cited encoder formats them. The image serves a single-model endpoint with serving.py
serving_entrypoint() -> sagemaker_containers server.start (nginx in front of gunicorn) ->
serving:main -> the Flask app of algorithm_mode/serve.py (ScoringService.csdk_start()).

Citation convention (``file:line``, or ``file:first-last``):

- ``serve.py``, ``serve_utils.py``, ``algorithm_mode/__init__.py``: aws/sagemaker-xgboost-container
  at commit 4378511 (the last before #478 rewrote serving for Python 3.12; docker/3.0-5 was last
  changed at its parent 5dda2fb), under src/sagemaker_xgboost_container/algorithm_mode/.
- ``encoder.py``, ``data_utils.py``, ``serving.py``, ``xgb_content_types.py``,
  ``sm_env_constants.py``: the same commit, under src/sagemaker_xgboost_container/ (the last two
  in constants/).
- ``exceptions.py``: the same commit, src/sagemaker_algorithm_toolkit/exceptions.py.
- ``requirements.txt``, ``Dockerfile.cpu``: the same commit, the repository root and
  docker/3.0-5/final/. requirements.txt:1,14,22,24,30 pin Flask 1.1.1, numpy 2.1.0,
  sagemaker-containers 2.8.6.post2, scipy 1.15.0 and Werkzeug 0.15.6 (Dockerfile.cpu:24-25
  installs them; Flask 3.1.3 / Werkzeug 3.1.8 only arrive with #478, after the image).
- ``sagemaker_containers/<file>``: sagemaker-containers 2.8.6.post2, src/sagemaker_containers/;
  ``nginx.conf.template``: its etc/nginx.conf.template.
- ``werkzeug/<file>``: Werkzeug 0.15.6; ``flask/<file>``: Flask 1.1.1 (the pinned versions).
- ``csv.Sniffer``: CPython's Lib/csv.py (the image runs Python 3.10, Dockerfile base ARG
  PYTHON_VERSION=3.10); its delimiter guesses below were checked with this interpreter.

Layers that are not the container: request bodies over 4 MiB answer 413 (SageMaker Serverless'
invocation limit, enforced before the container); the server loads the model in create_app,
where the container loads it when gunicorn's worker imports the app
(algorithm_mode/__init__.py:22-23), else on the first /ping or /invocations (serve.py:141,220).
RecordIO-protobuf requests are decoded by mlio in the container (encoder.py:80-102), which is
not installable here: those payloads are byte-identical to what sagemaker_containers/_recordio.py
writes, but mlio's reading of them is not verified.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import multiprocessing
import os
import pickle
import re
import select
import signal
import subprocess
import sys
import tarfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xgboost as xgb
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]
from werkzeug.test import Client, TestResponse

from scripts.local_endpoint import ModelLoadError, ServingSettings, create_app
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests import container_models as cm

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024
SERVERLESS_LIMIT = 4 * MIB

# Rows of the tiny models' four features; every value is exact in float32 and in text.
ROWS = [[0.5, -1.25, 2.0, 0.125], [-0.75, 0.25, -1.5, 1.0], [1.5, 0.0, 0.375, -0.5]]
# Rows of the sample model's ten features (scikit-learn diabetes, unscaled).
SAMPLE_ROWS = [
    [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0],
    [48.0, 1.0, 21.6, 87.0, 183.0, 103.2, 70.0, 3.0, 3.8918, 69.0],
]

# --- what the container answers, as text ---------------------------------------------------

# Flask's Response default mimetype (flask/wrappers.py:121) gets "; charset=utf-8" because it is
# text/* (werkzeug/utils.py:282-289): every flask.Response serve.py builds without a mimetype.
FLASK_DEFAULT_CONTENT_TYPE = "text/html; charset=utf-8"
# HTTPException pages: werkzeug/exceptions.py:150-168 (Content-Type without charset).
WERKZEUG_PAGE_CONTENT_TYPE = "text/html"
SUPPORTED_ACCEPTS = [  # serve.py:31
    "application/json",
    "application/jsonlines",
    "application/x-recordio-protobuf",
    "text/csv",
]
VALID_CONTENT_TYPES = (  # data_utils.py:43-53, joined by data_utils.py:65-67
    "csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, "
    "application/x-parquet, application/x-recordio-protobuf"
)
CSV_PARSE_ERROR = (  # serve_utils.py:127-130, returned as 415 by serve.py:215-217
    "Loading csv data failed with Exception, please ensure data is in csv format:\n {}\n {}"
)
LIBSVM_PARSE_ERROR = (  # serve_utils.py:136-139, 415 by serve.py:215-217
    "Loading libsvm data failed with Exception, please ensure data is in libsvm format:\n {}\n {}"
)
RECORDIO_PARSE_ERROR_PREFIX = (  # serve_utils.py:144-148, 415 by serve.py:215-217
    "Loading recordio-protobuf data failed with Exception, please ensure data is in "
    "recordio-protobuf format: "
)
PREDICT_ERROR_PREFIX = "Unable to evaluate payload provided: "  # serve.py:229


def werkzeug_page(code: int, name: str, description: str) -> bytes:
    """An HTTPException's body: werkzeug/exceptions.py:146-164 (names: werkzeug/http.py:164-189)."""
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
        f"<title>{code} {name}</title>\n<h1>{name}</h1>\n<p>{description}</p>\n"
    ).encode()


NOT_FOUND_PAGE = werkzeug_page(  # werkzeug/exceptions.py:329-333
    404,
    "Not Found",
    "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.",
)
METHOD_NOT_ALLOWED_PAGE = werkzeug_page(  # werkzeug/exceptions.py:347-348
    405, "Method Not Allowed", "The method is not allowed for the requested URL."
)
TOO_LARGE_PAGE = werkzeug_page(  # werkzeug/exceptions.py:458-459
    413, "Request Entity Too Large", "The data value transmitted exceeds the capacity limit."
)
# An exception a view does not catch: flask/app.py:1870-1871 answers InternalServerError
# (werkzeug/exceptions.py:641-646).
INTERNAL_ERROR_PAGE = werkzeug_page(
    500,
    "Internal Server Error",
    "The server encountered an internal error and was unable to complete your request. Either "
    "the server is overloaded or there is an error in the application.",
)


def not_acceptable(accept: str) -> str:
    """serve.py:175-178 (406 by serve.py:232-235); ``accept`` as cgi.parse_header returns it."""
    return (
        f"Accept type {accept} is not supported. Please use supported accept types: "
        f"{SUPPORTED_ACCEPTS}."
    )


def csv_encoded(predictions: list[Any]) -> bytes:
    """sagemaker_containers/_encoders.py:141-151 (array_to_csv), reached via serve.py:247."""
    array = np.array(predictions)
    if len(array.shape) == 1:
        array = np.reshape(array, (array.shape[0], 1))
    stream = io.StringIO()
    writer = csv.writer(
        stream, lineterminator="\n", delimiter=",", quotechar='"', doublequote=True, strict=True
    )
    writer.writerows(array)
    return stream.getvalue().encode()


def json_encoded(predictions: list[Any]) -> bytes:
    """serve_utils.py:542-545 (encode_predictions_as_json), reached via serve.py:244-245."""
    return json.dumps({"predictions": [{"score": score} for score in predictions]}).encode()


def batch_encoded(predictions: list[Any]) -> bytes:
    """serve.py:241-242: one str() per line, whatever the Accept type."""
    return ("\n".join(map(str, predictions)) + "\n").encode()


def npy_encoded(predictions: list[Any]) -> bytes:
    """sagemaker_containers/_encoders.py:44-46 (array_to_npy)."""
    buffer = io.BytesIO()
    np.save(buffer, predictions)
    return buffer.getvalue()


def csv_body(rows: Sequence[Sequence[float]], delimiter: str = ",") -> bytes:
    return "\n".join(delimiter.join(repr(value) for value in row) for row in rows).encode()


def libsvm_matrix(rows: Sequence[Mapping[int, float]], n_columns: int | None = None) -> Any:
    """The sparse matrix a libsvm body means: 0-based column index -> value."""
    triples = [(r, c, v) for r, row in enumerate(rows) for c, v in row.items()]
    row_index, columns, values = zip(*triples, strict=True)
    width = n_columns or max(columns) + 1
    return csr_matrix((values, (row_index, columns)), shape=(len(rows), width), dtype=np.float64)


# --- the server under test -------------------------------------------------------------------


@dataclass(frozen=True)
class ModelDir:
    path: Path
    boosters: tuple[Any, ...]  # the files the container loads (os.listdir order: unspecified)


class Contract:
    """Model directories and one app per (model, environment), built on first use."""

    def __init__(self, models: Mapping[str, ModelDir]) -> None:
        self.models = models
        self._clients: dict[tuple[str, tuple[tuple[str, str], ...]], Client] = {}

    def client(self, model: str, **environ: str) -> Client:
        key = (model, tuple(sorted(environ.items())))
        if key not in self._clients:
            settings = ServingSettings.from_environ(environ)
            self._clients[key] = Client(
                create_app(model=self.models[model].path, settings=settings)
            )
        return self._clients[key]

    def booster(self, model: str) -> Any:
        (booster,) = self.models[model].boosters
        return booster

    def predictions(self, model: str, data: Any) -> list[Any]:
        result: list[Any] = cm.predict(self.booster(model), data).tolist()
        return result


OBJECTIVES = (
    "reg:squarederror",
    "reg:logistic",
    "binary:logistic",
    "binary:logitraw",
    "binary:hinge",
    "multi:softmax",
    "multi:softprob",
    "count:poisson",
)
ENSEMBLE_OBJECTIVES = (
    "reg:squarederror",
    "binary:logistic",
    "multi:softprob",
    "multi:softmax",
    "binary:hinge",
)


def _load_saved(data: bytes) -> Any:
    booster = xgb.Booster()
    booster.load_model(bytearray(data))
    return booster


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    root = tmp_path_factory.mktemp("models")
    trained = {objective: cm.train(objective) for objective in OBJECTIVES}
    regression = trained["reg:squarederror"]
    other_regression = cm.train("reg:squarederror", seed=1)
    ubj = cm.saved_model_bytes(regression, "ubj")
    json_model = cm.saved_model_bytes(regression, "json")
    other_ubj = cm.saved_model_bytes(other_regression, "ubj")
    early = cm.train("reg:squarederror", seed=2)
    early.set_attr(best_iteration="0")  # as early stopping leaves it
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        "  # macOS ._ resource file

    models: dict[str, ModelDir] = {}

    def add(name: str, files: Mapping[str, bytes], *boosters: Any) -> None:
        models[name] = ModelDir(cm.write_model_dir(root / name, files), boosters)

    add("regression", {cm.MODEL_FILE: ubj}, _load_saved(ubj))
    add("regression-json", {cm.MODEL_FILE: json_model}, _load_saved(json_model))
    pickled = cm.pickled_model_bytes(regression)
    add("regression-pickle", {cm.MODEL_FILE: pickled}, pickle.loads(pickled))
    for objective, booster in trained.items():
        if objective != "reg:squarederror":
            data = cm.saved_model_bytes(booster, "ubj")
            add(objective.replace(":", "-"), {cm.MODEL_FILE: data}, _load_saved(data))
    add("dotfile", {cm.MODEL_FILE: ubj, "._xgboost-model": apple_double}, _load_saved(ubj))
    add("dotfile-model", {cm.MODEL_FILE: ubj, ".xgboost-model": other_ubj}, _load_saved(ubj))
    add("subdirectory", {cm.MODEL_FILE: ubj, "nested/xgboost-model": other_ubj}, _load_saved(ubj))
    early_data = cm.saved_model_bytes(early, "ubj")
    add("early-stopped", {cm.MODEL_FILE: early_data}, _load_saved(early_data))
    for objective in ENSEMBLE_OBJECTIVES:
        first = cm.saved_model_bytes(trained[objective], "ubj")
        second = cm.saved_model_bytes(cm.train(objective, seed=1), "ubj")
        add(
            objective.replace(":", "-") + "-ensemble",
            {"model-a": first, "model-b": second},
            _load_saved(first),
            _load_saved(second),
        )
    add("only-dotfile", {".xgboost-model": ubj})
    add("only-subdirectory", {"nested/xgboost-model": ubj})
    add("garbage", {cm.MODEL_FILE: b"this is not a model\n"})
    add("empty", {})
    models["tar"] = ModelDir(
        cm.write_model_tar(
            root / "model.tar.gz", {"._xgboost-model": apple_double, cm.MODEL_FILE: ubj}
        ),
        (_load_saved(ubj),),
    )
    models["tar-dot-slash"] = ModelDir(
        cm.write_model_tar(root / "dot-slash.tar.gz", {"./xgboost-model": ubj}),
        (_load_saved(ubj),),
    )
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        member = archive.extractfile(cm.MODEL_FILE)
        assert member is not None
        sample = member.read()
    models["sample"] = ModelDir(SAMPLE_MODEL_ARTIFACT, (_load_saved(sample),))
    return Contract(models)


def request(
    client: Client,
    body: bytes = b"",
    content_type: str | None = "text/csv",
    accept: str | None = None,
    *,
    method: str = "POST",
    path: str = "/invocations",
) -> TestResponse:
    headers = {}
    if content_type is not None:
        headers["Content-Type"] = content_type
    if accept is not None:
        headers["Accept"] = accept
    return client.open(path, method=method, data=body, headers=headers)


def check(
    response: TestResponse,
    status: int,
    body: bytes | None = None,
    content_type: str | None = None,
    *,
    prefix: str | None = None,
    source: str = "",
) -> None:
    shown = f"[{source}] got {response.status_code} {response.headers.get('Content-Type')!r} "
    shown += repr(response.data[:600])
    assert response.status_code == status, shown
    if body is not None:
        assert response.data == body, shown
    if prefix is not None:
        assert response.data.decode(errors="replace").startswith(prefix), shown
    if content_type is not None:
        assert response.headers.get("Content-Type") == content_type, shown


# --- routes ------------------------------------------------------------------------------------


def test_ping_answers_200_with_an_empty_body(contract: Contract) -> None:
    response = request(contract.client("regression"), method="GET", path="/ping")
    check(response, 200, b"", FLASK_DEFAULT_CONTENT_TYPE, source="serve.py:138-142")


def test_head_ping_answers_200(contract: Contract) -> None:
    response = request(contract.client("regression"), method="HEAD", path="/ping")
    # werkzeug/routing.py:658-659: a GET rule also answers HEAD.
    check(response, 200, b"", source="werkzeug/routing.py:658-659, serve.py:138")


@pytest.mark.parametrize(
    ("environ", "max_payload_mb"),
    [
        pytest.param({}, 6, id="default-6291456"),
        pytest.param({"MAX_CONTENT_LENGTH": "3145728"}, 3, id="3-MiB"),
        pytest.param({"MAX_CONTENT_LENGTH": "10485760"}, 10, id="10-MiB"),
        pytest.param({"MAX_CONTENT_LENGTH": "1048575"}, 0, id="under-1-MiB-floors-to-0"),
    ],
)
def test_execution_parameters(
    contract: Contract, environ: dict[str, str], max_payload_mb: int
) -> None:
    # serve.py:145-160; MaxPayloadInMB = int(MAX_CONTENT_LENGTH / 1024**2) (serve.py:35,152),
    # MaxConcurrentTransforms = multiprocessing.cpu_count() (serve.py:38-39,150).
    expected = {
        "MaxConcurrentTransforms": multiprocessing.cpu_count(),
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": max_payload_mb,
    }
    response = request(
        contract.client("regression", **environ), method="GET", path="/execution-parameters"
    )
    check(
        response,
        200,
        json.dumps(expected).encode(),
        "application/json",
        source="serve.py:145-160",
    )


NGINX_404_PATHS = [  # nginx.conf.template:27 does not match these; :35-37 answers 404 "{}"
    ("GET", "/"),
    ("GET", "/health"),
    ("GET", "/PING"),  # `location ~` is case-sensitive
    ("POST", "/Invocations"),
    ("POST", "/invocation"),
    ("GET", "/execution-parameter"),
    ("GET", "/api/ping"),
    ("POST", "/models/model/invoke"),
    ("DELETE", "/"),
]


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in NGINX_404_PATHS]
)
def test_paths_nginx_does_not_route_answer_404_braces(
    contract: Contract, method: str, path: str
) -> None:
    response = request(contract.client("regression"), b"1,2,3,4", method=method, path=path)
    check(response, 404, b"{}", source="nginx.conf.template:27,35-37")


def test_nginx_404_content_type_is_its_default_type(contract: Contract) -> None:
    # `return 404 "{}"` takes the type of the URI's extension, else default_type.
    response = request(contract.client("regression"), method="GET", path="/health")
    check(response, 404, b"{}", "application/octet-stream", source="nginx.conf.template:14,36")


FLASK_404_PATHS = [  # pass nginx's prefix regex (nginx.conf.template:27), match no Flask route
    ("GET", "/ping/"),
    ("GET", "/pings"),
    ("GET", "/ping.json"),
    ("POST", "/invocations/"),
    ("POST", "/invocations/model"),
    ("POST", "/invocationsX"),
    ("GET", "/execution-parameters/"),
]


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p in FLASK_404_PATHS]
)
def test_paths_past_nginx_without_a_flask_route_answer_flask_404(
    contract: Contract, method: str, path: str
) -> None:
    response = request(contract.client("regression"), b"1,2,3,4", method=method, path=path)
    check(
        response,
        404,
        NOT_FOUND_PAGE,
        WERKZEUG_PAGE_CONTENT_TYPE,
        source="nginx.conf.template:27; serve.py:138,145,207 (no such rule); "
        "werkzeug/exceptions.py:329-333",
    )


def test_query_strings_do_not_change_routing(contract: Contract) -> None:
    client = contract.client("regression")
    check(request(client, method="GET", path="/ping?deep=true"), 200, b"", source="serve.py:138")
    response = request(client, csv_body(ROWS), path="/invocations?x=1")
    expected = csv_encoded(contract.predictions("regression", np.array(ROWS)))
    check(response, 200, expected, source="serve.py:207")


WRONG_METHODS = [  # (method, path, the rule's methods): serve.py:138,145,207
    ("GET", "/invocations", {"POST", "OPTIONS"}),
    ("PUT", "/invocations", {"POST", "OPTIONS"}),
    ("DELETE", "/invocations", {"POST", "OPTIONS"}),
    ("HEAD", "/invocations", {"POST", "OPTIONS"}),
    ("POST", "/ping", {"GET", "HEAD", "OPTIONS"}),
    ("PUT", "/ping", {"GET", "HEAD", "OPTIONS"}),
    ("POST", "/execution-parameters", {"GET", "HEAD", "OPTIONS"}),
]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [pytest.param(m, p, a, id=f"{m} {p}") for m, p, a in WRONG_METHODS],
)
def test_wrong_methods_answer_405_with_allow(
    contract: Contract, method: str, path: str, allowed: set[str]
) -> None:
    response = request(contract.client("regression"), b"1,2,3,4", method=method, path=path)
    # Flask adds OPTIONS to every rule (flask/app.py:1264-1268) and Werkzeug HEAD to GET rules
    # (werkzeug/routing.py:658-659); the Allow order comes from a set, so compare as a set.
    check(response, 405, source="werkzeug/exceptions.py:347-360")
    allow = {method.strip() for method in response.headers.get("Allow", "").split(",")}
    assert allow == allowed, response.headers


@pytest.mark.parametrize(
    ("method", "path"), [pytest.param(m, p, id=f"{m} {p}") for m, p, _ in WRONG_METHODS]
)
def test_405_page_is_werkzeugs(contract: Contract, method: str, path: str) -> None:
    response = request(contract.client("regression"), b"1,2,3,4", method=method, path=path)
    body = b"" if method == "HEAD" else METHOD_NOT_ALLOWED_PAGE
    check(
        response,
        405,
        body,
        WERKZEUG_PAGE_CONTENT_TYPE,
        source="werkzeug/exceptions.py:146-168,347-348",
    )


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        pytest.param("/invocations", {"POST", "OPTIONS"}, id="invocations"),
        pytest.param("/ping", {"GET", "HEAD", "OPTIONS"}, id="ping"),
    ],
)
def test_options_answers_flasks_automatic_response(
    contract: Contract, path: str, allowed: set[str]
) -> None:
    response = request(contract.client("regression"), method="OPTIONS", path=path)
    check(response, 200, b"", source="flask/app.py:1995-2016")
    allow = {method.strip() for method in response.headers.get("Allow", "").split(",")}
    assert allow == allowed, response.headers


# --- request media types -----------------------------------------------------------------------

CSV_BODY = csv_body(ROWS)
LIBSVM_BODY = "\n".join(
    " ".join(["1", *(f"{i}:{v!r}" for i, v in enumerate(row))]) for row in ROWS
).encode()
RECORDIO_DENSE_BODY = cm.dense_rows(ROWS)

# get_content_type lower-cases the header and cgi.parse_header splits off parameters
# (data_utils.py:97-120); serve_utils.py:122-140 dispatch on the result.
ACCEPTED_CONTENT_TYPES = [
    ("text/csv", CSV_BODY, "data_utils.py:105-114"),
    ("csv", CSV_BODY, "data_utils.py:105-114"),
    ("text/csv; charset=utf-8", CSV_BODY, "data_utils.py:103-114"),
    ("text/csv;label_size=1", CSV_BODY, "data_utils.py:108"),
    ("csv; label_size=1; charset=utf8", CSV_BODY, "data_utils.py:108"),
    ("TEXT/CSV", CSV_BODY, "data_utils.py:103"),
    ("Text/Csv; Charset=UTF-8", CSV_BODY, "data_utils.py:103"),
    ("text/libsvm", LIBSVM_BODY, "data_utils.py:115-116"),
    ("text/x-libsvm", LIBSVM_BODY, "data_utils.py:115-116"),
    ("libsvm", LIBSVM_BODY, "data_utils.py:115-116"),
    ("text/libsvm; charset=utf-8", LIBSVM_BODY, "data_utils.py:103,115"),
    ("TEXT/X-LIBSVM", LIBSVM_BODY, "data_utils.py:103,115"),
    (None, LIBSVM_BODY, "data_utils.py:97-98: no Content-Type is libsvm"),
]


@pytest.mark.parametrize(
    ("content_type", "body", "source"),
    [pytest.param(c, b, s, id=str(c)) for c, b, s in ACCEPTED_CONTENT_TYPES],
)
def test_accepted_content_types(
    contract: Contract, content_type: str | None, body: bytes, source: str
) -> None:
    response = request(contract.client("regression"), body, content_type)
    expected = csv_encoded(contract.predictions("regression", np.array(ROWS)))
    check(response, 200, expected, "text/csv; charset=utf-8", source=source)


@pytest.mark.parametrize(
    "content_type",
    ["text/csv; label_size=2", "text/csv;label_size=0", "CSV; LABEL_SIZE=2"],
)
def test_csv_label_size_other_than_1_is_415(contract: Contract, content_type: str) -> None:
    response = request(contract.client("regression"), CSV_BODY, content_type)
    message = (  # the header as sent, not lower-cased
        f"{content_type} is not an accepted csv ContentType. "
        "Optional parameter label_size must be equal to 1"
    )
    check(
        response,
        415,
        message.encode(),
        FLASK_DEFAULT_CONTENT_TYPE,
        source="data_utils.py:108-113, exceptions.py:59-71, serve.py:213-217",
    )


@pytest.mark.parametrize(
    "content_type", ["application/x-parquet", "parquet", "Application/X-Parquet; charset=x"]
)
def test_parquet_is_not_read_at_inference(contract: Contract, content_type: str) -> None:
    response = request(contract.client("regression"), b"PAR1\x00\x00PAR1", content_type)
    check(
        response,
        415,
        f"Content-type {content_type} is not supported.".encode(),
        FLASK_DEFAULT_CONTENT_TYPE,
        source="data_utils.py:117-118, serve_utils.py:149-150, serve.py:213-217",
    )


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "text/plain",
        "application/octet-stream",
        "text/csvx",
        "csv/text",
        "text/csv, text/libsvm",
        "APPLICATION/JSON",
        "image/png; charset=utf-8",
    ],
)
def test_unknown_content_types_are_415(contract: Contract, content_type: str) -> None:
    response = request(contract.client("regression"), CSV_BODY, content_type)
    message = f"{content_type} is not an accepted ContentType: {VALID_CONTENT_TYPES}."
    check(
        response,
        415,
        message.encode(),
        FLASK_DEFAULT_CONTENT_TYPE,
        source="data_utils.py:65-67,121-122, serve.py:213-217",
    )


FORM_BODIES = [  # the form parser consumes the stream, flask.request.data is b"" -> 204
    ("application/x-www-form-urlencoded", b"1,2,3,4"),
    ("application/x-www-form-urlencoded; charset=utf-8", b"a=1&b=2"),
    ("application/x-url-encoded", b"1,2,3,4"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nContent-Disposition: form-data; "),
    ("multipart/form-data", b"1,2,3,4"),  # no boundary: ValueError, stream still exhausted
]


@pytest.mark.parametrize(
    ("content_type", "body"), [pytest.param(c, b, id=c) for c, b in FORM_BODIES]
)
def test_form_encoded_bodies_read_as_empty_and_answer_204(
    contract: Contract, content_type: str, body: bytes
) -> None:
    response = request(contract.client("regression"), body, content_type)
    check(
        response,
        204,
        b"",
        source="werkzeug/wrappers/base_request.py:410-425,312-318; werkzeug/formparser.py:"
        "125-141,228-236,238-270; serve.py:209-211",
    )


# --- recordio-protobuf requests (decoded by mlio: encoder.py:80-102) -------------------------


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        pytest.param("application/x-recordio-protobuf", RECORDIO_DENSE_BODY, id="x-recordio"),
        pytest.param("recordio-protobuf", RECORDIO_DENSE_BODY, id="short-name"),
        pytest.param(
            "application/x-recordio-protobuf",
            cm.dense_rows(ROWS, labels=[1.0, 0.0, 1.0]),
            id="labels-ignored",  # encoder.py:96
        ),
    ],
)
def test_recordio_protobuf_dense_float32(
    contract: Contract, content_type: str, body: bytes
) -> None:
    response = request(contract.client("regression"), body, content_type)
    expected = contract.predictions("regression", np.array(ROWS, dtype=np.float32))
    check(
        response,
        200,
        csv_encoded(expected),
        source="data_utils.py:119-120, serve_utils.py:140-142, encoder.py:92-101",
    )


def test_recordio_protobuf_sparse_keys_and_shape(contract: Contract) -> None:
    rows = [{0: 0.5, 2: 2.0}, {1: 0.25, 3: 1.0}, {0: 1.5}]
    body = cm.sparse_rows(rows, cm.N_FEATURES)
    response = request(contract.client("regression"), body, "application/x-recordio-protobuf")
    matrix = libsvm_matrix(rows, cm.N_FEATURES).astype(np.float32)
    expected = contract.predictions("regression", xgb.DMatrix(matrix))
    check(response, 200, csv_encoded(expected), source="encoder.py:92-101 (to_coo_matrix)")


def test_recordio_protobuf_garbage_is_415(contract: Contract) -> None:
    response = request(contract.client("regression"), b"1,2,3,4", "application/x-recordio-protobuf")
    check(
        response,
        415,
        prefix=RECORDIO_PARSE_ERROR_PREFIX,
        content_type=FLASK_DEFAULT_CONTENT_TYPE,
        source="serve_utils.py:140-148, serve.py:213-217",
    )


# --- CSV bodies (serve_utils.py:122-130, encoder.py:35-56) -----------------------------------

NAN = math.nan

CSV_BODIES_OK: list[tuple[str, bytes, list[list[float]], str]] = [
    ("trailing-newline", CSV_BODY + b"\n", ROWS, "serve_utils.py:124 strip()"),
    ("surrounding-whitespace", b"\n  " + CSV_BODY + b" \n\n", ROWS, "serve_utils.py:124"),
    ("crlf", CSV_BODY.replace(b"\n", b"\r\n") + b"\r\n", ROWS, "encoder.py:55: '\\r' stays"),
    ("one-row", csv_body(ROWS[:1]), ROWS[:1], "encoder.py:55"),
    (
        "empty-cells-are-missing",
        b"0.5,,2.0,0.125\n,,,\n1.5,0.0,0.375,",
        [[0.5, NAN, 2.0, 0.125], [NAN] * 4, [1.5, 0.0, 0.375, NAN]],
        "encoder.py:35-36",
    ),
    ("semicolons", csv_body(ROWS, ";"), ROWS, "encoder.py:51-52 (csv.Sniffer)"),
    ("tabs", csv_body(ROWS, "\t"), ROWS, "encoder.py:51-52 (csv.Sniffer)"),
    ("spaces", csv_body(ROWS, " "), ROWS, "encoder.py:51-52 (csv.Sniffer)"),
    ("pipes", b"1|-2|3|4\n0|1|0|-1", [[1, -2, 3, 4], [0, 1, 0, -1]], "encoder.py:51-52"),
    (
        # csv.Sniffer guesses a digit for one number; alphanumeric guesses mean ","
        "single-value-rows",
        b"0.25\n-1.5\n3",
        [[0.25], [-1.5], [3.0]],
        "encoder.py:51-52",
    ),
    (
        # ...but for "1.5.2" it guesses "." and every row is split on "."
        "dot-delimiter-guess",
        b"1.5.2\n0.25.1",
        [[1.0, 5.0, 2.0], [0.0, 25.0, 1.0]],
        "encoder.py:51-52,55",
    ),
    ("short-rows", csv_body([r[:2] for r in ROWS]), [r[:2] for r in ROWS], "no width check"),
    (
        "number-spellings",
        b"1e-1,+2,nan,-0\n 0.5 ,1_0,NaN,.25",
        [[0.1, 2.0, NAN, -0.0], [0.5, 10.0, NAN, 0.25]],
        "encoder.py:55 astype(float)",
    ),
]


@pytest.mark.parametrize(
    ("body", "rows", "source"), [pytest.param(b, r, s, id=i) for i, b, r, s in CSV_BODIES_OK]
)
def test_csv_bodies(contract: Contract, body: bytes, rows: list[list[float]], source: str) -> None:
    response = request(contract.client("regression"), body, "text/csv")
    expected = csv_encoded(contract.predictions("regression", np.array(rows, dtype=np.float64)))
    check(response, 200, expected, "text/csv; charset=utf-8", source=source)


def _error(template: str, error_type: str, message: str) -> bytes:
    return template.format(error_type, message).encode()


CSV_BODIES_415_EXACT = [
    (
        "non-utf-8",
        b"\xff\xfe0.5,1,2,3",
        _error(
            CSV_PARSE_ERROR,
            "<class 'UnicodeDecodeError'>",
            "'utf-8' codec can't decode byte 0xff in position 0: invalid start byte",
        ),
    ),
    (
        "whitespace-only",  # not empty (serve.py:210), stripped to "" (serve_utils.py:124)
        b" \n\t \r\n",
        _error(CSV_PARSE_ERROR, "<class '_csv.Error'>", "Could not determine delimiter"),
    ),
]


@pytest.mark.parametrize(
    ("body", "message"), [pytest.param(b, m, id=i) for i, b, m in CSV_BODIES_415_EXACT]
)
def test_csv_bodies_that_do_not_decode(contract: Contract, body: bytes, message: bytes) -> None:
    response = request(contract.client("regression"), body, "text/csv")
    check(
        response,
        415,
        message,
        FLASK_DEFAULT_CONTENT_TYPE,
        source="serve_utils.py:122-130, serve.py:213-217",
    )


VALUE_ERROR, XGBOOST_ERROR = "<class 'ValueError'>", "<class 'xgboost.core.XGBoostError'>"
CSV_BODIES_415 = [  # numpy's and XGBoost's wording varies: status and the cited prefix only
    ("ragged-rows", b"0.5,1,2,3\n0.5,1,2", VALUE_ERROR),
    ("ragged-by-first-line-delimiter", b"0.5;1;2;3\n0.5,1,2,3", VALUE_ERROR),
    ("non-numeric", b"0.5,one,2,3", VALUE_ERROR),
    ("header-row", b"f0,f1,f2,f3\n0.5,1,2,3", VALUE_ERROR),
    ("quoted-cells", b'"0.5","1","2","3"', VALUE_ERROR),
    ("hex", b"0x10,1,2,3", VALUE_ERROR),
    ("utf-8-bom", b"\xef\xbb\xbf0.5,1,2,3", VALUE_ERROR),
    ("decimal-comma", b"0,5;1;2;3", VALUE_ERROR),
    # csv.Sniffer takes "." for the delimiter of "0.5|-1.25|2.0|0.125" (encoder.py:51-52)
    ("pipes-between-decimals", csv_body(ROWS, "|"), VALUE_ERROR),
    # DMatrix refuses infinities when missing is NaN (encoder.py:56)
    ("infinity", b"0.5,inf,2,3", XGBOOST_ERROR),
    ("minus-infinity", b"0.5,1,-Infinity,3", XGBOOST_ERROR),
]


@pytest.mark.parametrize(
    ("body", "error_type"), [pytest.param(b, e, id=i) for i, b, e in CSV_BODIES_415]
)
def test_malformed_csv_is_415_not_400(contract: Contract, body: bytes, error_type: str) -> None:
    response = request(contract.client("regression"), body, "text/csv")
    check(
        response,
        415,
        prefix=CSV_PARSE_ERROR.format(error_type, ""),
        content_type=FLASK_DEFAULT_CONTENT_TYPE,
        source="encoder.py:55-56, serve_utils.py:126-130, serve.py:213-217",
    )


@pytest.mark.parametrize(
    ("content_type", "accept"),
    [
        pytest.param("text/csv", None, id="csv"),
        pytest.param(None, None, id="no-content-type"),
        pytest.param("application/json", "text/html", id="bad-content-type-and-accept"),
        pytest.param("application/x-www-form-urlencoded", None, id="form"),
    ],
)
def test_empty_body_is_204(
    contract: Contract, content_type: str | None, accept: str | None
) -> None:
    response = request(contract.client("regression"), b"", content_type, accept)
    check(response, 204, b"", source="serve.py:209-211")


# --- libsvm bodies (serve_utils.py:94-115,131-139) -------------------------------------------

LIBSVM_OK: list[tuple[str, bytes, list[dict[int, float]], str]] = [
    (
        "labels-ignored-0-based-indexes",
        b"1 0:0.5 1:-1.25\n0 2:2.0 3:0.125",
        [{0: 0.5, 1: -1.25}, {2: 2.0, 3: 0.125}],
        "serve_utils.py:100-107",
    ),
    (
        "no-labels",
        b"0:0.5 1:-1.25\n2:2.0",
        [{0: 0.5, 1: -1.25}, {2: 2.0}],
        "serve_utils.py:102",
    ),
    (
        "label-only-line-inside-is-an-all-missing-row",
        b"1 0:0.5\n0\n1 2:2.0 3:0.125",
        [{0: 0.5}, {}, {2: 2.0, 3: 0.125}],
        "serve_utils.py:100 (row index from enumerate)",
    ),
    (
        "index-1-is-the-second-feature",
        b"1:0.5",
        [{1: 0.5}],
        "serve_utils.py:103",
    ),
    (
        "unsorted-indexes",
        b"3:0.125 0:0.5",
        [{0: 0.5, 3: 0.125}],
        "serve_utils.py:115",
    ),
    (
        "duplicate-indexes-are-summed",
        b"0:0.25 0:0.5 1:1.0",
        [{0: 0.75, 1: 1.0}],
        "serve_utils.py:115 (csr_matrix sums duplicates)",
    ),
    (
        "extra-spaces-and-crlf",
        b"1  0:0.5   1:1.0\r\n0 2:2.0\r\n",
        [{0: 0.5, 1: 1.0}, {2: 2.0}],
        "serve_utils.py:95,133",
    ),
    (
        "value-after-second-colon-ignored",
        b"0:0.5:9 1:1.0",
        [{0: 0.5, 1: 1.0}],
        "serve_utils.py:103-104",
    ),
]


@pytest.mark.parametrize(
    ("body", "rows", "source"), [pytest.param(b, r, s, id=i) for i, b, r, s in LIBSVM_OK]
)
def test_libsvm_bodies(
    contract: Contract, body: bytes, rows: list[dict[int, float]], source: str
) -> None:
    response = request(contract.client("regression"), body, "text/libsvm")
    expected = contract.predictions("regression", xgb.DMatrix(libsvm_matrix(rows)))
    check(response, 200, csv_encoded(expected), source=source)


def test_libsvm_trailing_rows_without_features_are_dropped(contract: Contract) -> None:
    # csr_matrix infers its shape from the largest row index holding a feature.
    response = request(contract.client("regression"), b"1 0:0.5 1:1.0\n0\n1", "text/libsvm")
    expected = contract.predictions("regression", xgb.DMatrix(libsvm_matrix([{0: 0.5, 1: 1.0}])))
    assert len(expected) == 1
    check(response, 200, csv_encoded(expected), source="serve_utils.py:109-115")


LIBSVM_415 = [
    ("labels-only", b"1\n0"),  # csr_matrix cannot infer a shape from no entries
    ("csv-body", b"0.5,1,2,3"),
    ("qid", b"1 qid:3 0:0.5"),
    ("tab-separated", b"1\t0:0.5"),
    ("negative-index", b"-1:0.5"),
    ("non-numeric-value", b"0:abc"),
]


@pytest.mark.parametrize("body", [pytest.param(b, id=i) for i, b in LIBSVM_415])
@pytest.mark.parametrize("content_type", ["text/libsvm", None], ids=["libsvm", "no-content-type"])
def test_malformed_libsvm_is_415(contract: Contract, body: bytes, content_type: str | None) -> None:
    response = request(contract.client("regression"), body, content_type)
    check(
        response,
        415,
        prefix=LIBSVM_PARSE_ERROR.format("<class 'ValueError'>", ""),
        content_type=FLASK_DEFAULT_CONTENT_TYPE,
        source="serve_utils.py:109-115,131-139, serve.py:213-217",
    )


def test_libsvm_non_utf_8_is_415(contract: Contract) -> None:
    response = request(contract.client("regression"), b"0:0.5 1:\xe9", "text/libsvm")
    message = _error(
        LIBSVM_PARSE_ERROR,
        "<class 'UnicodeDecodeError'>",
        "'utf-8' codec can't decode byte 0xe9 in position 8: unexpected end of data",
    )
    check(response, 415, message, source="serve_utils.py:133,136-139")


# --- model formats and feature counts (serve_utils.py:168-259) -------------------------------


@dataclass(frozen=True)
class WidthCase:
    model: str
    data: list[list[float]] | dict[int, float]  # CSV rows, or one libsvm row
    status: int
    message: str | None  # exact 400 message; None: XGBoost's own (PREDICT_ERROR_PREFIX only)
    source: str

    @property
    def content_type(self) -> str:
        return "text/libsvm" if isinstance(self.data, dict) else "text/csv"

    @property
    def body(self) -> bytes:
        if isinstance(self.data, dict):
            return " ".join(f"{index}:{value!r}" for index, value in self.data.items()).encode()
        return csv_body(self.data)

    @property
    def matrix(self) -> Any:
        return libsvm_matrix([self.data]) if isinstance(self.data, dict) else np.array(self.data)


def _widths(width: int) -> list[list[float]]:
    return [[*row, 1.0][:width] for row in ROWS]


def _pickle_csv_message(width: int) -> str:
    return (
        f"Feature size of csv inference data {width} is not consistent with feature size of "
        "trained model 4."
    )


WIDTH_CASES = {
    # Saved Boosters: no check (serve_utils.py:200 guards pickles only); XGBoost refuses more
    # columns than the model has (serve.py:225-229) and treats absent ones as missing.
    "saved-csv-4": WidthCase("regression", _widths(4), 200, None, "serve_utils.py:247"),
    "saved-csv-3": WidthCase("regression", _widths(3), 200, None, "serve_utils.py:197-247"),
    "saved-csv-1": WidthCase("regression", _widths(1), 200, None, "serve_utils.py:197-247"),
    "saved-csv-5": WidthCase("regression", _widths(5), 400, None, "serve.py:225-229"),
    "json-csv-3": WidthCase("regression-json", _widths(3), 200, None, "serve_utils.py:197-247"),
    "json-csv-5": WidthCase("regression-json", _widths(5), 400, None, "serve.py:225-229"),
    "saved-libsvm-2": WidthCase("regression", {1: 0.5}, 200, None, "serve_utils.py:197-247"),
    "saved-libsvm-5": WidthCase("regression", {4: 0.5}, 400, None, "serve.py:225-229"),
    # Pickled Boosters: x = num_features(), y = num_col() (serve_utils.py:200-222).
    "pickle-csv-4": WidthCase("regression-pickle", _widths(4), 200, None, "serve_utils.py:216"),
    "pickle-csv-3": WidthCase("regression-pickle", _widths(3), 200, None, "serve_utils.py:216"),
    "pickle-csv-2": WidthCase(
        "regression-pickle", _widths(2), 400, _pickle_csv_message(2), "serve_utils.py:215-219"
    ),
    "pickle-csv-5": WidthCase(
        "regression-pickle", _widths(5), 400, _pickle_csv_message(5), "serve_utils.py:215-219"
    ),
    "pickle-libsvm-2": WidthCase("regression-pickle", {1: 0.5}, 200, None, "serve_utils.py:210"),
    "pickle-libsvm-4": WidthCase("regression-pickle", {3: 0.5}, 200, None, "serve_utils.py:210"),
    # y = 5 = x + 1 passes the libsvm check (serve_utils.py:210); XGBoost then refuses it.
    "pickle-libsvm-5": WidthCase(
        "regression-pickle", {4: 0.5}, 400, None, "serve_utils.py:210, serve.py:225-229"
    ),
    "pickle-libsvm-6": WidthCase(
        "regression-pickle",
        {5: 0.5},
        400,
        "Feature size of libsvm inference data 6 is larger than feature size of trained model 4.",
        "serve_utils.py:209-214",
    ),
}


@pytest.mark.parametrize("case_id", list(WIDTH_CASES))
def test_feature_count_checks_depend_on_model_format(contract: Contract, case_id: str) -> None:
    case = WIDTH_CASES[case_id]
    response = request(contract.client(case.model), case.body, case.content_type)
    if case.status == 200:
        expected = csv_encoded(contract.predictions(case.model, case.matrix))
        check(response, 200, expected, source=case.source)
    elif case.message is None:
        check(response, 400, prefix=PREDICT_ERROR_PREFIX, source=case.source)
    else:
        check(
            response,
            400,
            (PREDICT_ERROR_PREFIX + case.message).encode(),
            FLASK_DEFAULT_CONTENT_TYPE,
            source=case.source,
        )


def test_short_rows_on_a_saved_booster_answer_200(
    contract: Contract, caplog: pytest.LogCaptureFixture
) -> None:
    # No width check for saved Boosters (serve_utils.py:200 only guards pickles); XGBoost
    # predicts with the absent trailing features as missing values.
    short = [row[:2] for row in ROWS]
    with caplog.at_level(logging.WARNING, logger="serve_local"):
        response = request(contract.client("regression"), csv_body(short), "text/csv")
    expected = csv_encoded(contract.predictions("regression", np.array(short)))
    check(response, 200, expected, source="serve_utils.py:197-259")
    # Not the container: the server documents a warning for it (scripts/local_endpoint/app.py).
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(re.search(r"\b2 values\b.*\b4 features\b", w) for w in warnings), warnings


MODEL_DIRS = [
    ("regression", "UBJSON saved as xgboost-model", "serve_utils.py:180-183"),
    ("regression-json", "JSON saved as xgboost-model", "serve_utils.py:180-183"),
    ("regression-pickle", "pickled Booster", "serve_utils.py:176-178"),
    ("dotfile", "._xgboost-model skipped", "serve_utils.py:159-163"),
    ("dotfile-model", "a valid model in a dotfile is skipped too", "serve_utils.py:159-163"),
    ("subdirectory", "nested/xgboost-model ignored", "serve_utils.py:156-158"),
    ("tar", "model.tar.gz with a ._ file", "serve.py:60, serve_utils.py:155-165"),
    ("tar-dot-slash", "model.tar.gz made with `tar -C dir .`", "serve_utils.py:155-165"),
]


@pytest.mark.parametrize(
    ("model", "source"), [pytest.param(m, s, id=f"{m}: {d}") for m, d, s in MODEL_DIRS]
)
def test_model_directories(contract: Contract, model: str, source: str) -> None:
    response = request(contract.client(model), CSV_BODY, "text/csv")
    expected = csv_encoded(contract.predictions(model, np.array(ROWS)))
    check(response, 200, expected, source=source)


def test_sample_model_archive(contract: Contract) -> None:
    response = request(contract.client("sample"), csv_body(SAMPLE_ROWS), "text/csv")
    expected = csv_encoded(contract.predictions("sample", np.array(SAMPLE_ROWS)))
    check(response, 200, expected, "text/csv; charset=utf-8", source="serve.py:240-249")


def test_early_stopped_model_predicts_with_every_tree(contract: Contract) -> None:
    # XGBoost 3 Boosters have no best_ntree_limit, so _predict_with_compat passes no
    # iteration_range and best_iteration is not used.
    booster = contract.booster("early-stopped")
    every_tree = cm.predict(booster, np.array(ROWS)).tolist()
    first_tree = booster.predict(xgb.DMatrix(np.array(ROWS)), iteration_range=(0, 1)).tolist()
    assert every_tree != first_tree
    response = request(contract.client("early-stopped"), CSV_BODY, "text/csv")
    check(response, 200, csv_encoded(every_tree), source="serve_utils.py:226-247")


@pytest.mark.parametrize(
    "model",
    [
        pytest.param("garbage", id="not-a-model"),
        pytest.param("empty", id="empty-directory"),
        pytest.param("only-dotfile", id="only-a-dotfile"),
        pytest.param("only-subdirectory", id="only-a-subdirectory"),
    ],
)
def test_models_that_cannot_be_loaded(contract: Contract, model: str) -> None:
    # serve_utils.py:184-189 (RuntimeError) or :194 (IndexError on no file); the container's
    # worker fails to start (algorithm_mode/__init__.py:22-23, serve.py:101-105).
    with pytest.raises(ModelLoadError):
        create_app(model=contract.models[model].path, settings=ServingSettings.from_environ({}))


# --- Accept and response bodies (serve.py:163-179,231-249) -----------------------------------


@dataclass(frozen=True)
class AcceptCase:
    accept: str | None
    status: int
    encoding: str  # csv, json, 406 or 500
    content_type: str | None
    source: str


ACCEPT_CASES = {
    "none": AcceptCase(None, 200, "csv", "text/csv; charset=utf-8", "serve.py:173-174"),
    "empty": AcceptCase("", 200, "csv", "text/csv; charset=utf-8", "serve.py:172-174"),
    "any": AcceptCase("*/*", 200, "csv", "text/csv; charset=utf-8", "serve.py:173-174"),
    "any-with-q": AcceptCase("*/*; q=0.8", 200, "csv", "text/csv; charset=utf-8", "serve.py:172"),
    "csv": AcceptCase("text/csv", 200, "csv", "text/csv; charset=utf-8", "serve.py:247"),
    "csv-upper": AcceptCase("TEXT/CSV", 200, "csv", "text/csv; charset=utf-8", "serve.py:179"),
    "csv-charset": AcceptCase(
        "text/csv; charset=utf-8", 200, "csv", "text/csv; charset=utf-8", "serve.py:172"
    ),
    "json": AcceptCase("application/json", 200, "json", "application/json", "serve.py:244-245"),
    "json-q": AcceptCase(
        "application/json; q=0.9", 200, "json", "application/json", "serve.py:172,244"
    ),
    "json-upper": AcceptCase("APPLICATION/JSON", 200, "json", "application/json", "serve.py:179"),
    "json-padded": AcceptCase(
        "  application/json ", 200, "json", "application/json", "cgi.parse_header strips"
    ),
    # Supported (serve.py:31) but not encodable by sagemaker_containers' encoders map
    # (_encoders.py:186-190,230-234): UnsupportedFormatError escapes serve.py:247 -> 500.
    "jsonlines": AcceptCase(
        "application/jsonlines", 500, "500", WERKZEUG_PAGE_CONTENT_TYPE, "serve.py:247"
    ),
    "recordio": AcceptCase(
        "application/x-recordio-protobuf", 500, "500", WERKZEUG_PAGE_CONTENT_TYPE, "serve.py:247"
    ),
    "list": AcceptCase("text/csv, application/json", 406, "406", None, "serve.py:172-178"),
    "html": AcceptCase("text/html", 406, "406", None, "serve.py:175-178"),
    "text-any": AcceptCase("text/*", 406, "406", None, "serve.py:175-178"),
    "json-short": AcceptCase("json", 406, "406", None, "serve.py:175-178"),
    "csv-short": AcceptCase("csv", 406, "406", None, "serve.py:175-178"),
    "npy": AcceptCase("application/x-npy", 406, "406", None, "serve.py:175-178"),
    "html-upper-q": AcceptCase("TEXT/HTML; q=1", 406, "406", None, "serve.py:172-178"),
}


def expected_for(case: AcceptCase, predictions: list[Any]) -> bytes:
    if case.encoding == "csv":
        return csv_encoded(predictions)
    if case.encoding == "json":
        return json_encoded(predictions)
    if case.encoding == "500":
        return INTERNAL_ERROR_PAGE
    assert case.accept is not None
    media_type = case.accept.split(";")[0].strip()  # cgi.parse_header's key
    return not_acceptable(media_type).encode()


@pytest.mark.parametrize("model", ["regression", "binary-logistic", "multi-softprob"])
@pytest.mark.parametrize("case_id", list(ACCEPT_CASES))
def test_accept(contract: Contract, case_id: str, model: str) -> None:
    case = ACCEPT_CASES[case_id]
    response = request(contract.client(model), CSV_BODY, "text/csv", case.accept)
    expected = expected_for(case, contract.predictions(model, np.array(ROWS)))
    content_type = case.content_type or FLASK_DEFAULT_CONTENT_TYPE
    check(response, case.status, expected, content_type, source=case.source)


@dataclass(frozen=True)
class OrderCase:
    content_type: str
    body: bytes
    status: int
    source: str


LONG_ROWS = csv_body([[*row, 1.0] for row in ROWS])
ORDER_CASES = {  # every case also sends Accept: text/html, which alone would be 406
    "empty-body-first": OrderCase("application/json", b"", 204, "serve.py:209-211"),
    "content-type-next": OrderCase("application/json", CSV_BODY, 415, "serve.py:213-217"),
    "label-size-next": OrderCase("text/csv;label_size=2", CSV_BODY, 415, "serve.py:213-217"),
    "parsing-next": OrderCase("text/csv", b"a,b,c,d", 415, "serve.py:213-217"),
    "prediction-next": OrderCase("text/csv", LONG_ROWS, 400, "serve.py:225-229"),
    "accept-last": OrderCase("text/csv", CSV_BODY, 406, "serve.py:231-235"),
}


@pytest.mark.parametrize("case_id", list(ORDER_CASES))
def test_order_of_checks(contract: Contract, case_id: str) -> None:
    case = ORDER_CASES[case_id]
    response = request(contract.client("regression"), case.body, case.content_type, "text/html")
    check(response, case.status, source=case.source)


# --- SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT ------------------------------------------------------


@dataclass(frozen=True)
class DefaultAcceptCase:
    variable: str
    accept: str | None
    status: int
    encode: Callable[[list[Any]], bytes]
    content_type: str


def _internal_error(_: list[Any]) -> bytes:
    return INTERNAL_ERROR_PAGE


CSV_TYPE = "text/csv; charset=utf-8"
DEFAULT_ACCEPT_CASES = {
    "json-no-accept": DefaultAcceptCase(
        "application/json", None, 200, json_encoded, "application/json"
    ),
    "json-any": DefaultAcceptCase("application/json", "*/*", 200, json_encoded, "application/json"),
    "json-overridden": DefaultAcceptCase(
        "application/json", "text/csv", 200, csv_encoded, CSV_TYPE
    ),
    "csv": DefaultAcceptCase("text/csv", None, 200, csv_encoded, CSV_TYPE),
    # The variable is used as given (serve.py:174): neither validated (so an encoder the
    # Accept header cannot reach answers) nor lower-cased; unknown ones fail in the encoder.
    "npy": DefaultAcceptCase("application/x-npy", None, 200, npy_encoded, "application/x-npy"),
    "jsonlines": DefaultAcceptCase(
        "application/jsonlines", None, 500, _internal_error, WERKZEUG_PAGE_CONTENT_TYPE
    ),
    "html": DefaultAcceptCase("text/html", None, 500, _internal_error, WERKZEUG_PAGE_CONTENT_TYPE),
    "upper-case-json": DefaultAcceptCase(
        "APPLICATION/JSON", None, 500, _internal_error, WERKZEUG_PAGE_CONTENT_TYPE
    ),
    "empty": DefaultAcceptCase("", None, 500, _internal_error, WERKZEUG_PAGE_CONTENT_TYPE),
}


@pytest.mark.parametrize("case_id", list(DEFAULT_ACCEPT_CASES))
def test_default_invocations_accept(contract: Contract, case_id: str) -> None:
    case = DEFAULT_ACCEPT_CASES[case_id]
    client = contract.client("regression", SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT=case.variable)
    response = request(client, CSV_BODY, "text/csv", case.accept)
    expected = case.encode(contract.predictions("regression", np.array(ROWS)))
    check(
        response,
        case.status,
        expected,
        case.content_type,
        source="serve.py:173-174,244-249, sagemaker_containers/_encoders.py:186-190,230-234",
    )


# --- SAGEMAKER_BATCH ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        pytest.param(None, "text/csv; charset=utf-8", id="default"),
        pytest.param("text/csv", "text/csv; charset=utf-8", id="csv"),
        pytest.param("application/json", "application/json", id="json"),
        pytest.param("application/jsonlines", "application/jsonlines", id="jsonlines"),
        pytest.param(
            "application/x-recordio-protobuf", "application/x-recordio-protobuf", id="recordio"
        ),
    ],
)
@pytest.mark.parametrize("model", ["regression", "multi-softprob"])
@pytest.mark.parametrize("value", ["true", "1", "false"])  # any non-empty value (serve.py:30)
def test_batch_output_ignores_accept_encoding(
    contract: Contract, value: str, model: str, accept: str | None, content_type: str
) -> None:
    response = request(contract.client(model, SAGEMAKER_BATCH=value), CSV_BODY, "text/csv", accept)
    expected = batch_encoded(contract.predictions(model, np.array(ROWS)))
    check(response, 200, expected, content_type, source="serve.py:30,241-242,249")


def test_batch_output_empty_value_is_off(contract: Contract) -> None:
    response = request(contract.client("regression", SAGEMAKER_BATCH=""), CSV_BODY)
    expected = csv_encoded(contract.predictions("regression", np.array(ROWS)))
    check(response, 200, expected, source="serve.py:30,241 (os.getenv -> '' is falsy)")


def test_batch_output_still_refuses_bad_accept(contract: Contract) -> None:
    response = request(
        contract.client("regression", SAGEMAKER_BATCH="true"), CSV_BODY, "text/csv", "text/html"
    )
    check(response, 406, not_acceptable("text/html").encode(), source="serve.py:231-235")


# --- SAGEMAKER_INFERENCE_OUTPUT (selectable inference) -----------------------------------------

SELECT_KEYS = [  # serve_utils.py:60-75, in the order get_selected_predictions adds them
    "predicted_label",
    "labels",
    "probability",
    "probabilities",
    "raw_score",
    "raw_scores",
    "predicted_score",
]
VALID_KEYS = {  # serve_utils.py:78-89
    "reg:squarederror": {"predicted_score"},
    "reg:logistic": {"predicted_score"},
    "binary:logistic": set(SELECT_KEYS) - {"predicted_score"},
    "binary:logitraw": {"predicted_label", "labels", "raw_score", "raw_scores"},
    "binary:hinge": {"predicted_label", "labels", "raw_score", "raw_scores"},
    "multi:softmax": {"predicted_label", "labels", "raw_score", "raw_scores"},
    "multi:softprob": set(SELECT_KEYS) - {"predicted_score"},
}
SELECTABLE_MODELS = {
    "reg:squarederror": "regression",
    "reg:logistic": "reg-logistic",
    "binary:logistic": "binary-logistic",
    "binary:logitraw": "binary-logitraw",
    "binary:hinge": "binary-hinge",
    "multi:softmax": "multi-softmax",
    "multi:softprob": "multi-softprob",
}


def _predicted_label(objective: str, raw: Any) -> Any:
    """serve_utils.py:303-311."""
    if objective in ("binary:hinge", "multi:softmax"):
        return raw.item()
    if objective == "binary:logistic":
        return int(raw > 0.5)
    if objective == "binary:logitraw":
        return int(raw > 0)
    return np.argmax(raw).item()


def selected_value(objective: str, num_class: str, key: str, raw: Any) -> Any:
    """One key of one prediction: serve_utils.py:279-391,429-445."""
    softprob = objective == "multi:softprob"
    value: Any
    if key not in VALID_KEYS[objective]:
        value = math.nan  # serve_utils.py:443-445
    elif key == "predicted_label":
        value = _predicted_label(objective, raw)
    elif key == "labels":  # serve_utils.py:289-293
        value = [0, 1] if objective.startswith("binary:") else list(range(int(num_class)))
    elif key in ("probability", "raw_score"):  # serve_utils.py:325-328,363-366
        value = max(raw).item() if softprob else raw.item()
    elif key in ("probabilities", "raw_scores"):  # serve_utils.py:339-344,385-390
        value = raw.tolist() if softprob else [1.0 - raw.item(), raw.item()]
    else:  # predicted_score, serve_utils.py:441-442
        value = raw.item()
    return value


def selected_predictions(
    objective: str, num_class: str, keys: Sequence[str], raw_predictions: np.ndarray
) -> list[dict[str, Any]]:
    """serve_utils.py:413-447: valid keys in code order, then the invalid ones."""
    valid = [key for key in SELECT_KEYS if key in set(keys) & VALID_KEYS[objective]]
    invalid = [key for key in dict.fromkeys(keys) if key not in VALID_KEYS[objective]]
    return [
        {key: selected_value(objective, num_class, key, raw) for key in valid + invalid}
        for raw in raw_predictions
    ]


def selected_csv(predictions: list[dict[str, Any]], keys: Sequence[str], batch: bool) -> bytes:
    """serve_utils.py:460-477 (lists quoted, str() of the rest), + "\\n" in batch (:527-528)."""
    lines = [
        ",".join(f'"{p[k]}"' if isinstance(p[k], list) else str(p[k]) for k in keys)
        for p in predictions
    ]
    return ("\n".join(lines) + ("\n" if batch else "")).encode()


def selected_jsonlines(predictions: list[dict[str, Any]]) -> bytes:
    """serve_utils.py:521-522 -> encoder.py:113-128."""
    return b"".join((json.dumps(entry) + "\n").encode() for entry in predictions)


def label_record(prediction: Mapping[str, Any]) -> bytes:
    """serve_utils.py:480-500: every value a float32 tensor under Record.label[key]."""
    return cm.record(
        label={
            key: cm.float32_tensor(value if isinstance(value, list) else [value])
            for key, value in prediction.items()
        }
    )


def selected_recordio(predictions: list[dict[str, Any]]) -> bytes:
    """serve_utils.py:494-504: record_bio is never reset, so record i holds records 0..i."""
    payloads, so_far = [], b""
    for prediction in predictions:
        so_far += label_record(prediction)
        payloads.append(so_far)
    return cm.recordio(payloads)


def same_floats(left: Sequence[float], right: Sequence[float]) -> bool:
    return len(left) == len(right) and all(
        (math.isnan(a) and math.isnan(b)) or a == b for a, b in zip(left, right, strict=True)
    )


def _selection(contract: Contract, objective: str, keys: Sequence[str]) -> list[dict[str, Any]]:
    model = SELECTABLE_MODELS[objective]
    booster = contract.booster(model)
    raw = cm.predict(booster, np.array(ROWS))
    return selected_predictions(objective, cm.model_config(booster).num_class, keys, raw)


SELECT_CASES = [(objective, key) for objective in SELECTABLE_MODELS for key in SELECT_KEYS]
SELECT_IDS = [f"{objective}-{key}" for objective, key in SELECT_CASES]


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        pytest.param("application/json", "application/json", id="json"),
        pytest.param("application/jsonlines", "application/jsonlines", id="jsonlines"),
        pytest.param("text/csv", "text/csv; charset=utf-8", id="csv"),
        pytest.param(
            "application/x-recordio-protobuf", "application/x-recordio-protobuf", id="recordio"
        ),
    ],
)
@pytest.mark.parametrize(("objective", "key"), SELECT_CASES, ids=SELECT_IDS)
def test_selectable_inference_every_key(
    contract: Contract, objective: str, key: str, accept: str, content_type: str
) -> None:
    client = contract.client(SELECTABLE_MODELS[objective], SAGEMAKER_INFERENCE_OUTPUT=key)
    response = request(client, CSV_BODY, "text/csv", accept)
    predictions = _selection(contract, objective, [key])
    expected = {
        "application/json": lambda: json.dumps({"predictions": predictions}).encode(),
        "application/jsonlines": lambda: selected_jsonlines(predictions),
        "text/csv": lambda: selected_csv(predictions, [key], batch=False),
        "application/x-recordio-protobuf": lambda: selected_recordio(predictions),
    }[accept]()
    check(
        response,
        200,
        expected,
        content_type,
        source="serve.py:237-238,182-204, serve_utils.py:394-447,507-530",
    )


ALL_KEYS = ",".join(SELECT_KEYS)


@pytest.mark.parametrize("objective", list(SELECTABLE_MODELS))
def test_selectable_inference_all_keys_csv(contract: Contract, objective: str) -> None:
    client = contract.client(SELECTABLE_MODELS[objective], SAGEMAKER_INFERENCE_OUTPUT=ALL_KEYS)
    response = request(client, CSV_BODY, "text/csv", "text/csv")
    predictions = _selection(contract, objective, SELECT_KEYS)
    check(
        response,
        200,
        selected_csv(predictions, SELECT_KEYS, batch=False),
        source="serve_utils.py:450-477 (columns in the variable's order)",
    )


@pytest.mark.parametrize("objective", list(SELECTABLE_MODELS))
def test_selectable_inference_all_keys_json(contract: Contract, objective: str) -> None:
    client = contract.client(SELECTABLE_MODELS[objective], SAGEMAKER_INFERENCE_OUTPUT=ALL_KEYS)
    response = request(client, CSV_BODY, "text/csv", "application/json")
    check(response, 200, content_type="application/json", source="serve_utils.py:519-520")
    predictions = _selection(contract, objective, SELECT_KEYS)
    answer = json.loads(response.data)["predictions"]
    # Invalid keys come last in set order (serve_utils.py:417,443-445): compare key by key.
    assert len(answer) == len(predictions)
    for got, want in zip(answer, predictions, strict=True):
        valid = [key for key in want if key in VALID_KEYS[objective]]
        assert list(got)[: len(valid)] == valid, got
        assert set(got) == set(want), got
        for key, value in want.items():
            if isinstance(value, float) and math.isnan(value):
                assert math.isnan(got[key]), (key, got)
            else:
                assert got[key] == value, (key, got)


@pytest.mark.parametrize("objective", ["binary:logistic", "multi:softprob", "reg:squarederror"])
def test_selectable_inference_all_keys_recordio(contract: Contract, objective: str) -> None:
    client = contract.client(SELECTABLE_MODELS[objective], SAGEMAKER_INFERENCE_OUTPUT=ALL_KEYS)
    response = request(client, CSV_BODY, "text/csv", "application/x-recordio-protobuf")
    check(response, 200, content_type="application/x-recordio-protobuf", source="serve.py:204")
    predictions = _selection(contract, objective, SELECT_KEYS)
    records = cm.read_recordio(response.data)
    assert len(records) == len(predictions)
    for index, payload in enumerate(records):
        entries = cm.read_label_entries(payload)
        # record i repeats the entries of records 0..i (serve_utils.py:494-503); map order is
        # the protobuf runtime's, so compare the last value of each key.
        assert len(entries) == (index + 1) * len(SELECT_KEYS)
        last = dict(entries)
        want = predictions[index]
        assert set(last) == set(want)
        for key, value in want.items():
            values = value if isinstance(value, list) else [value]
            as_float32 = np.array(values, dtype=np.float32).tolist()
            assert same_floats(last[key], as_float32), (key, last[key], values)


SELECT_VARIABLE_CASES = [
    # (id, variable, keys as the container splits them: serve_utils.py:272)
    ("spaces-and-case", " Predicted_Label , PROBABILITY ", ["predicted_label", "probability"]),
    ("invalid-key", "predicted_label,bogus", ["predicted_label", "bogus"]),
    ("duplicate-key", "probability,probability", ["probability", "probability"]),
    ("empty", "", [""]),
]


@pytest.mark.parametrize(
    ("variable", "keys"), [pytest.param(v, k, id=i) for i, v, k in SELECT_VARIABLE_CASES]
)
@pytest.mark.parametrize("accept", ["text/csv", "application/json"])
def test_selectable_inference_variable_parsing(
    contract: Contract, variable: str, keys: list[str], accept: str
) -> None:
    client = contract.client("binary-logistic", SAGEMAKER_INFERENCE_OUTPUT=variable)
    response = request(client, CSV_BODY, "text/csv", accept)
    predictions = _selection(contract, "binary:logistic", keys)
    if accept == "text/csv":
        expected = selected_csv(predictions, keys, batch=False)
    else:
        expected = json.dumps({"predictions": predictions}).encode()
    check(response, 200, expected, source="serve_utils.py:262-272,413-447 (invalid -> NaN)")


@pytest.mark.parametrize(
    ("accept", "batch_newline"),
    [pytest.param("text/csv", True, id="csv"), pytest.param("application/json", False, id="json")],
)
def test_selectable_inference_with_batch(
    contract: Contract, accept: str, batch_newline: bool
) -> None:
    keys = ["predicted_label", "probabilities"]
    client = contract.client(
        "binary-logistic", SAGEMAKER_INFERENCE_OUTPUT=",".join(keys), SAGEMAKER_BATCH="true"
    )
    response = request(client, CSV_BODY, "text/csv", accept)
    predictions = _selection(contract, "binary:logistic", keys)
    if accept == "text/csv":
        expected = selected_csv(predictions, keys, batch=batch_newline)
    else:
        expected = json.dumps({"predictions": predictions}).encode()
    check(response, 200, expected, source="serve.py:237-238 before :241; serve_utils.py:525-529")


def test_selectable_inference_default_accept_it_cannot_encode(contract: Contract) -> None:
    client = contract.client(
        "binary-logistic",
        SAGEMAKER_INFERENCE_OUTPUT="predicted_label",
        SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT="application/x-npy",
    )
    response = request(client, CSV_BODY, "text/csv")
    message = "Cannot encode selected predictions into accept type 'application/x-npy'."
    check(
        response,
        500,
        message.encode(),
        FLASK_DEFAULT_CONTENT_TYPE,
        source="serve_utils.py:530, serve.py:199-202",
    )


def test_selectable_inference_bad_accept_is_406(contract: Contract) -> None:
    client = contract.client("binary-logistic", SAGEMAKER_INFERENCE_OUTPUT="predicted_label")
    response = request(client, CSV_BODY, "text/csv", "text/html")
    check(response, 406, not_acceptable("text/html").encode(), source="serve.py:231-238")


def test_selectable_inference_unsupported_objective(contract: Contract) -> None:
    client = contract.client("count-poisson", SAGEMAKER_INFERENCE_OUTPUT="predicted_score")
    response = request(client, CSV_BODY, "text/csv", "application/json")
    message = "Objective `count:poisson` unsupported for selectable inference predictions."
    check(
        response,
        500,
        message.encode(),
        FLASK_DEFAULT_CONTENT_TYPE,
        source="serve_utils.py:413-414, serve.py:200-202",
    )


# --- SAGEMAKER_INFERENCE_ENSEMBLE (serve_utils.py:168-194,249-259,548-549) ---------------------


def _member_predictions(contract: Contract, model: str) -> list[np.ndarray]:
    return [cm.predict(booster, np.array(ROWS)) for booster in contract.models[model].boosters]


@pytest.mark.parametrize(
    "model", ["reg-squarederror-ensemble", "binary-logistic-ensemble", "multi-softprob-ensemble"]
)
@pytest.mark.parametrize(
    "environ",
    [
        pytest.param({}, id="unset"),
        pytest.param({"SAGEMAKER_INFERENCE_ENSEMBLE": "true"}, id="true"),
    ],
)
def test_ensemble_averages(contract: Contract, model: str, environ: dict[str, str]) -> None:
    response = request(contract.client(model, **environ), CSV_BODY, "text/csv")
    mean = np.mean(_member_predictions(contract, model), axis=0)
    check(response, 200, csv_encoded(mean.tolist()), source="serve_utils.py:194,255-257,548-549")


@pytest.mark.parametrize("value", ["false", "True", "1", ""])  # only "true" enables it
@pytest.mark.parametrize("model", ["reg-squarederror-ensemble", "multi-softmax-ensemble"])
def test_ensemble_disabled_loads_one_file(contract: Contract, model: str, value: str) -> None:
    client = contract.client(model, SAGEMAKER_INFERENCE_ENSEMBLE=value)
    response = request(client, CSV_BODY, "text/csv")
    # The first file in os.listdir order (serve_utils.py:170): either member.
    candidates = [csv_encoded(p.tolist()) for p in _member_predictions(contract, model)]
    check(response, 200, source="serve_utils.py:170,548-549")
    assert response.data in candidates, response.data


@dataclass(frozen=True)
class VotingCase:
    environ: dict[str, str]
    accept: str
    body: bytes
    content_type: str
    source: str


# Voting: scipy.stats.mode(...).mode holds one vote per row (scipy >= 1.11 drops the axis), so
# .mode[0] is the first row's vote alone, a numpy.float32 scalar; every encoder then fails.
VOTING_CASES = {
    "csv": VotingCase(
        {},
        "text/csv",
        INTERNAL_ERROR_PAGE,
        WERKZEUG_PAGE_CONTENT_TYPE,
        "serve.py:240,247 -> sagemaker_containers/_encoders.py:141-150 (iterating a 0-d array)",
    ),
    "json": VotingCase(
        {},
        "application/json",
        INTERNAL_ERROR_PAGE,
        WERKZEUG_PAGE_CONTENT_TYPE,
        "serve.py:240,245 -> serve_utils.py:543 (a float is not iterable)",
    ),
    "batch": VotingCase(
        {"SAGEMAKER_BATCH": "true"},
        "text/csv",
        INTERNAL_ERROR_PAGE,
        WERKZEUG_PAGE_CONTENT_TYPE,
        "serve.py:242 (a float is not iterable)",
    ),
    "selectable": VotingCase(
        {"SAGEMAKER_INFERENCE_OUTPUT": "predicted_label"},
        "text/csv",
        b"'numpy.float32' object is not iterable",
        FLASK_DEFAULT_CONTENT_TYPE,
        "serve_utils.py:427 -> serve.py:200-202",
    ),
}


@pytest.mark.parametrize("model", ["multi-softmax-ensemble", "binary-hinge-ensemble"])
@pytest.mark.parametrize("case_id", list(VOTING_CASES))
def test_voting_ensembles_fail(contract: Contract, case_id: str, model: str) -> None:
    case = VOTING_CASES[case_id]
    response = request(contract.client(model, **case.environ), CSV_BODY, "text/csv", case.accept)
    source = "serve_utils.py:252-254; " + case.source
    check(response, 500, case.body, case.content_type, source=source)


# --- MAX_CONTENT_LENGTH and the 4 MiB limit ------------------------------------------------


def _padded(body: bytes, size: int) -> bytes:
    """``body`` followed by spaces up to ``size`` bytes (serve_utils.py:124 strips them)."""
    assert len(body) <= size
    return body + b" " * (size - len(body))


ONE_ROW_CSV = csv_body(ROWS[:1])
ONE_ROW_LIBSVM = b"0:0.5 1:-1.25 2:2.0 3:0.125"

MAX_CONTENT_CASES = [
    # (id, content type, body, status, source)
    ("csv-at-limit", "text/csv", _padded(ONE_ROW_CSV, 64), 200, "werkzeug/formparser.py:219-224"),
    ("csv-over-limit", "text/csv", _padded(ONE_ROW_CSV, 65), 413, "werkzeug/formparser.py:219-224"),
    (
        "form-over-limit",
        "application/x-www-form-urlencoded",
        b"a" * 65,
        413,
        "werkzeug/formparser.py:219-224",
    ),
    (
        "form-at-limit",
        "application/x-www-form-urlencoded",
        b"a" * 64,
        204,
        "werkzeug/formparser.py:255-264",
    ),
    # Without a Content-Type Werkzeug 0.15.6 parses no form and checks no length
    # (werkzeug/wrappers/base_request.py:274-280,312-323; wsgi.py:220-236).
    (
        "no-content-type-over-limit",
        None,
        _padded(ONE_ROW_LIBSVM, 65),
        200,
        "werkzeug/wrappers/base_request.py:274-280",
    ),
]


@pytest.mark.parametrize(
    ("content_type", "body", "status", "source"),
    [pytest.param(*case[1:], id=case[0]) for case in MAX_CONTENT_CASES],
)
def test_max_content_length(
    contract: Contract, content_type: str | None, body: bytes, status: int, source: str
) -> None:
    client = contract.client("regression", MAX_CONTENT_LENGTH="64")
    response = request(client, body, content_type)
    if status == 200:
        expected = csv_encoded(contract.predictions("regression", np.array(ROWS[:1])))
        check(response, 200, expected, source="serve.py:114,130; " + source)
    elif status == 413:
        check(
            response,
            413,
            TOO_LARGE_PAGE,
            WERKZEUG_PAGE_CONTENT_TYPE,
            source="serve.py:130; " + source,
        )
    else:
        check(response, status, b"", source=source)


def test_max_content_length_must_be_an_integer(contract: Contract) -> None:
    # serve.py:35 int(...) at import: the container does not start.
    def start() -> None:
        settings = ServingSettings.from_environ({"MAX_CONTENT_LENGTH": "6MB"})
        create_app(model=contract.models["regression"].path, settings=settings)

    with pytest.raises(ValueError, match="6MB"):
        start()


@pytest.mark.parametrize(
    ("environ", "content_type", "body"),
    [
        pytest.param({}, "text/csv", _padded(ONE_ROW_CSV, SERVERLESS_LIMIT), id="csv"),
        pytest.param({}, None, _padded(ONE_ROW_LIBSVM, SERVERLESS_LIMIT), id="no-content-type"),
        pytest.param(
            {"MAX_CONTENT_LENGTH": str(8 * MIB)},
            "text/csv",
            _padded(ONE_ROW_CSV, SERVERLESS_LIMIT),
            id="container-limit-8-MiB",
        ),
    ],
)
def test_bodies_up_to_4_mib_reach_the_container(
    contract: Contract, environ: dict[str, str], content_type: str | None, body: bytes
) -> None:
    response = request(contract.client("regression", **environ), body, content_type)
    expected = csv_encoded(contract.predictions("regression", np.array(ROWS[:1])))
    check(response, 200, expected, source="serve.py:35 (6 MiB default) > 4 MiB")


@pytest.mark.parametrize(
    ("environ", "content_type"),
    [
        pytest.param({}, "text/csv", id="csv"),
        pytest.param({}, None, id="no-content-type"),
        pytest.param({"MAX_CONTENT_LENGTH": str(8 * MIB)}, "text/csv", id="container-limit-8-MiB"),
    ],
)
def test_bodies_over_4_mib_are_413(
    contract: Contract, environ: dict[str, str], content_type: str | None
) -> None:
    body = _padded(ONE_ROW_CSV, SERVERLESS_LIMIT + 1)
    response = request(contract.client("regression", **environ), body, content_type)
    check(response, 413, source="SageMaker Serverless invocation limit (not the container)")


# --- the command line (one subprocess) -------------------------------------------------------


@pytest.fixture(scope="module")
def cli_url() -> Iterator[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("SAGEMAKER_")}
    environ.pop("MAX_CONTENT_LENGTH", None)
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "scripts.serve_local",
            "--model",
            str(SAMPLE_MODEL_ARTIFACT),
            "--port",
            "0",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environ,
    )
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 30)
        line = process.stdout.readline() if ready else ""
        found = re.search(r"http://127\.0\.0\.1:\d+", line)
        assert found, f"no URL on the first stdout line: {line!r}"
        yield found.group(0)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _http(url: str, method: str, body: bytes | None = None, **headers: str) -> tuple[int, bytes]:
    call = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(call, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def test_cli_serves_the_sample_model(contract: Contract, cli_url: str) -> None:
    assert _http(cli_url + "/ping", "GET") == (200, b"")  # serve.py:138-142
    status, body = _http(
        cli_url + "/invocations", "POST", csv_body(SAMPLE_ROWS), **{"Content-Type": "text/csv"}
    )
    expected = csv_encoded(contract.predictions("sample", np.array(SAMPLE_ROWS)))
    assert (status, body) == (200, expected)  # serve.py:240-249
    assert _http(cli_url + "/nope", "GET") == (404, b"{}")  # nginx.conf.template:35-37
