"""The WSGI application: SageMaker Serverless' front door, nginx, then the container's Flask app.

Layers, outermost first:
1. **Front door (emulated, not the container)**: SageMaker Serverless refuses requests over
   4 MB before they reach the container; this server answers them 413 and says so.
2. **nginx** (sagemaker_containers/etc/nginx.conf.template): only paths matching
   ``^/(ping|invocations|execution-parameters)`` reach the app; anything else is 404 ``{}``.
3. **The Flask app** of ``algorithm_mode/serve.py``, rebuilt route by route. The image pins
   Flask 1.1.1 and Werkzeug 0.15.6 (requirements.txt:1,30), which do not install beside the
   project's other tools; the app runs on Flask 3 and reproduces what 0.15.6 does differently:
   its error pages (werkzeug/exceptions.py:146-168, ``text/html`` without a charset), form bodies
   read as no data, and ``MAX_CONTENT_LENGTH`` checked only when a Content-Type is set
   (werkzeug/formparser.py:219-224, wrappers/base_request.py:274-280).
"""

from __future__ import annotations

import html
import http.client
import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import decoding, encoding
from .model import PKL_FORMAT, LoadedModel, ModelLoadError, ModelSource, load_model_dir
from .settings import ServingSettings
from .source import SERVERLESS_INVOCATION_TIMEOUT_S, SERVERLESS_MAX_PAYLOAD_BYTES

if TYPE_CHECKING:
    import flask
    from werkzeug.exceptions import HTTPException

LOGGER = logging.getLogger("serve_local")
NGINX_LOCATION = re.compile(r"^/(ping|invocations|execution-parameters)")  # nginx.conf.template
WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def first_line(error: BaseException) -> str:
    """The first line of an error (XGBoost's carry a native stack trace): logs stay one line."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def predict(model: LoadedModel, dtest: Any, content_type: str) -> Any:
    """serve_utils.predict (serve_utils.py:197-259)."""
    booster, model_format = model.boosters[0], model.formats[0]
    if model_format == PKL_FORMAT:  # serve_utils.py:200-222: only pickled models are checked
        x = booster.num_features()
        y = len(dtest.feature_names) if dtest.feature_names is not None else dtest.num_col()
        if content_type == decoding.LIBSVM:
            if y > x + 1:
                raise ValueError(
                    f"Feature size of libsvm inference data {y} is larger than feature size of "
                    f"trained model {x}."
                )
        elif not (x == y or x == y + 1):
            raise ValueError(
                f"Feature size of {content_type} inference data {y} is not consistent with "
                f"feature size of trained model {x}."
            )

    def predict_one(one: Any) -> Any:  # serve_utils.py:224-247 on XGBoost >= 2
        best = getattr(one, "best_ntree_limit", 0)
        try:
            best = int(best) if best is not None else 0
        except (TypeError, ValueError):
            best = 0
        if best > 0:
            return one.predict(dtest, iteration_range=(0, best), validate_features=False)
        return one.predict(dtest, validate_features=False)

    if not model.ensemble:
        return predict_one(booster)
    import numpy as np
    from scipy import stats  # type: ignore[import-untyped]  # ensembles only: a 0.3 s import

    ensemble = [predict_one(one) for one in model.boosters]
    if model.objective in ("multi:softmax", "binary:hinge"):
        # serve_utils.py:254: with the image's scipy this is the first row's vote only, a
        # scalar that every encoder then fails on (500): reproduced, not fixed.
        return stats.mode(ensemble).mode[0]
    return np.mean(ensemble, axis=0)


def _warn_short_rows(model: LoadedModel, dtest: Any, content_type: str) -> None:
    """XGBoost treats absent values as missing and answers 200: say so locally."""
    if content_type == decoding.LIBSVM:
        return  # sparse rows have no length to compare
    columns, features = dtest.num_col(), model.num_features
    if columns < features:
        LOGGER.warning(
            "warning: rows have %d values but the model has %d features; the endpoint answers "
            "200 anyway (XGBoost treats the missing %d as missing values). Check the payload.",
            columns,
            features,
            features - columns,
        )


def create_flask_app(model: LoadedModel, settings: ServingSettings) -> flask.Flask:
    """The routes of algorithm_mode/serve.py (serve.py:138-249)."""
    import flask
    from werkzeug.exceptions import HTTPException

    class ContainerFlask(flask.Flask):
        def log_exception(self, exc_info: Any) -> None:
            # An exception the container leaves to Flask: its 500 page. One line, not a trace.
            LOGGER.error(
                "500 (Flask's error page, as in the container): %s: %s",
                exc_info[0].__name__,
                first_line(exc_info[1]),
            )

    app = ContainerFlask("serve_local")
    # Werkzeug 0.15.6 semantics instead of Flask 3's own limit: see request_payload().
    app.config["MAX_CONTENT_LENGTH"] = None
    app.register_error_handler(HTTPException, werkzeug_0_15_page)

    @app.route("/ping", methods=["GET"])
    def ping() -> flask.Response:  # serve.py:138-142
        return flask.Response(status=http.client.OK)

    @app.route("/execution-parameters", methods=["GET"])
    def execution_parameters() -> flask.Response:  # serve.py:145-160
        parameters = {
            "MaxConcurrentTransforms": os.cpu_count(),
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": int(settings.max_content_length / (1024**2)),
        }
        return flask.Response(
            response=json.dumps(parameters), status=http.client.OK, mimetype="application/json"
        )

    @app.route("/invocations", methods=["POST"])
    def invocations() -> flask.Response:  # serve.py:207-249
        payload = request_payload(settings)
        if len(payload) == 0:
            return flask.Response(response="", status=http.client.NO_CONTENT)
        try:
            dtest, content_type = decoding.parse_content_data(payload, flask.request.content_type)
        except Exception as error:
            LOGGER.error("415: %s", first_line(error))
            return flask.Response(response=str(error), status=http.client.UNSUPPORTED_MEDIA_TYPE)
        _warn_short_rows(model, dtest, content_type)
        try:
            predictions = predict(model, dtest, content_type)
        except Exception as error:
            LOGGER.error("400: %s", first_line(error))
            return flask.Response(
                response=f"Unable to evaluate payload provided: {error}",
                status=http.client.BAD_REQUEST,
            )
        try:
            accept = encoding.parse_accept(
                flask.request.headers.get("accept", ""), default=settings.default_accept
            )
        except Exception as error:
            LOGGER.error("406: %s", first_line(error))
            return flask.Response(response=str(error), status=http.client.NOT_ACCEPTABLE)
        if settings.inference_output is not None:
            return _selectable_response(model, settings, predictions, accept)
        body = encoding.encode_default(predictions, accept, batch=settings.batch)
        return flask.Response(response=body, status=http.client.OK, mimetype=accept)

    return app


# werkzeug/formparser.py: the types 0.15.6 parses as forms; their body never reaches request.data.
FORM_MIMETYPES = (
    "multipart/form-data",
    "application/x-www-form-urlencoded",
    "application/x-url-encoded",
)
# Werkzeug 0.15.6's descriptions (werkzeug/exceptions.py), where Werkzeug 3 words them otherwise.
WERKZEUG_0_15_DESCRIPTIONS = {
    404: "The requested URL was not found on the server. If you entered the URL manually please "
    "check your spelling and try again.",
    405: "The method is not allowed for the requested URL.",
    413: "The data value transmitted exceeds the capacity limit.",
    500: "The server encountered an internal error and was unable to complete your request. "
    "Either the server is overloaded or there is an error in the application.",
}


def request_payload(settings: ServingSettings) -> bytes:
    """``flask.request.data`` as Werkzeug 0.15.6 computes it (serve.py:209).

    With a Content-Type, the form parser runs: it refuses a body over MAX_CONTENT_LENGTH (413)
    and consumes form bodies, leaving no data; without one, the body is read whatever its size.
    """
    import flask
    from werkzeug.exceptions import RequestEntityTooLarge
    from werkzeug.http import parse_options_header

    request = flask.request
    if request.environ.get("CONTENT_TYPE"):
        length = request.content_length
        if length is not None and length > settings.max_content_length:
            raise RequestEntityTooLarge()
        mimetype, _ = parse_options_header(request.environ["CONTENT_TYPE"])
        if mimetype in FORM_MIMETYPES:
            return b""
    return request.get_data(cache=True, parse_form_data=False)


def werkzeug_0_15_page(error: HTTPException) -> flask.Response:
    """An HTTP error page as Werkzeug 0.15.6 writes it (werkzeug/exceptions.py:146-168)."""
    import flask

    name = html.escape(error.name, quote=False)
    description = WERKZEUG_0_15_DESCRIPTIONS.get(error.code or 500, error.description or "")
    body = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
        f"<title>{error.code} {name}</title>\n<h1>{name}</h1>\n"
        f"<p>{html.escape(description, quote=False)}</p>\n"
    )
    headers = [("Content-Type", "text/html")]
    valid_methods = getattr(error, "valid_methods", None)
    if valid_methods:
        headers.append(("Allow", ", ".join(valid_methods)))
    return flask.Response(body, status=error.code, headers=headers)


def _selectable_response(
    model: LoadedModel, settings: ServingSettings, predictions: Any, accept: str
) -> flask.Response:
    """serve._handle_selectable_inference_response (serve.py:182-204)."""
    import flask

    assert settings.inference_output is not None
    try:
        keys = encoding.selected_keys(settings.inference_output)
        selected, invalid = encoding.selected_predictions(
            predictions, keys, model.objective, num_class=model.num_class
        )
        if invalid:
            LOGGER.warning(
                "Selected key(s) %s incompatible for objective '%s'. Please use list of "
                "compatible selectable inference predictions: %s",
                invalid,
                model.objective,
                encoding.VALID_OBJECTIVES[model.objective],
            )
        body = encoding.encode_selected(selected, keys, accept, batch=settings.batch)
    except Exception as error:
        LOGGER.error("500: %s", first_line(error))
        return flask.Response(response=str(error), status=http.client.INTERNAL_SERVER_ERROR)
    return flask.Response(response=body, status=http.client.OK, mimetype=accept)


def _plain(
    start_response: Callable[..., Any], status: str, body: bytes, content_type: str
) -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def front_door_and_nginx(app: WSGIApp) -> WSGIApp:
    """Wrap the Flask app in what stands before it on a serverless endpoint."""

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > SERVERLESS_MAX_PAYLOAD_BYTES:
            message = (
                f"request payload is {length} bytes; SageMaker Serverless Inference accepts at "
                f"most {SERVERLESS_MAX_PAYLOAD_BYTES} bytes (4 MB) and refuses larger requests "
                "before the container sees them (emulated front door, not the container)"
            )
            # The body is not read: close the connection rather than parse it as the next request.
            start_response(
                "413 Request Entity Too Large",
                [
                    ("Content-Type", "text/plain; charset=utf-8"),
                    ("Content-Length", str(len(message))),
                    ("Connection", "close"),
                ],
            )
            return [message.encode()]
        if not NGINX_LOCATION.match(environ.get("PATH_INFO", "")):
            return _plain(start_response, "404 Not Found", b"{}", "application/octet-stream")
        started = time.monotonic()
        result = app(environ, start_response)
        elapsed = time.monotonic() - started
        if elapsed > SERVERLESS_INVOCATION_TIMEOUT_S:
            LOGGER.warning(
                "warning: this request took %.1f s; SageMaker Serverless stops waiting after "
                "%d s, so the deployed endpoint would answer a timeout error instead",
                elapsed,
                SERVERLESS_INVOCATION_TIMEOUT_S,
            )
        return result

    return wsgi


class LocalEndpoint:
    """A model loaded as the container would, and the WSGI app that serves it."""

    def __init__(self, source: ModelSource, model: LoadedModel, settings: ServingSettings) -> None:
        self.source = source
        self.model = model
        self.settings = settings
        self.wsgi_app: WSGIApp = front_door_and_nginx(create_flask_app(model, settings))

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        return self.wsgi_app(environ, start_response)

    def close(self) -> None:
        self.source.close()


def create_app(*, model: Path, settings: ServingSettings | None = None) -> LocalEndpoint:
    """Load ``model`` (a model.tar.gz or an extracted model directory) and build the app.

    Raises ModelLoadError when the container could not load it either (its /ping would fail).
    Unlike the container, which loads on the first /ping, the model is loaded here, up front, so
    a broken artifact is reported before the port opens.
    """
    settings = settings or ServingSettings.from_environ()
    source = ModelSource.open(model)
    try:
        loaded = load_model_dir(source.directory, ensemble=settings.ensemble)
    except ModelLoadError:
        source.close()
        raise
    return LocalEndpoint(source, loaded, settings)
