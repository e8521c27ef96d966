#!/usr/bin/env python3
"""Serve an XGBoost model artifact locally on the SageMaker container contract.

    python scripts/serve_local.py [--model model/model.tar.gz] [--host 127.0.0.1] [--port 8080]
    python scripts/serve_local.py serve      # container mode (the Dockerfile's entrypoint)

`GET /ping` answers 200 once the model is loaded (it is loaded before the port opens);
`POST /invocations` predicts. `--port 0` picks a free port; the first stdout line holds the URL.
SIGTERM and Ctrl-C stop the server cleanly (exit 0). Standard library HTTP server, xgboost and
numpy only.

Container mode (`serve`, what SageMaker runs as `docker run <image> serve`): the model is the
directory SageMaker extracts model.tar.gz into ($SM_MODEL_DIR, default /opt/ml/model), the port
$SAGEMAKER_BIND_TO_PORT (default 8080), the host 0.0.0.0. --model, --host and --port override.

What it mirrors, read from aws/sagemaker-xgboost-container (algorithm mode, the code behind the
managed image sagemaker-xgboost:3.0-5: serving.py starts the multi-model server with
algorithm_mode/handler_service.py, serve_utils.py, data_utils.py, encoder.py):

- Model: the first regular file at the top of the model directory (os.listdir order), loaded as
  an XGBoost model (the container also accepts a pickled Booster, tried first there, last here),
  with nthread=1. From a .tar.gz: the first regular file at the archive root, in archive order
  (SageMaker extracts the archive and the container only looks at the top level). Prediction is
  Booster.predict(dmatrix, validate_features=False), all trees.
- Content-Type, compared lower-cased (data_utils.get_content_type): `text/csv`, `csv`,
  `text/csv; <parameters>` (e.g. `charset=utf-8`; `label_size` must be 1 if given), `text/libsvm`,
  `text/x-libsvm`, `libsvm`. No Content-Type header at all means libsvm. Anything else is 415
  with the container's message. The container also reads `application/x-recordio-protobuf`;
  this server answers 415 for it (not implemented here), and for parquet, which the container
  lists but cannot parse at inference either.
- CSV (encoder.csv_to_dmatrix): the body is stripped and decoded as UTF-8; the delimiter is
  sniffed from the first line (csv.Sniffer; an alphanumeric guess means ","), rows are split on
  "\\n", empty cells are missing values (NaN), every row must have the same number of cells, no
  header and no label column. One prediction per row.
- libsvm (serve_utils._get_sparse_matrix_from_libsvm): per line, tokens split on " "; each
  `index:value` token is a feature at that 0-based column, other tokens (the label) are ignored;
  a sparse matrix of max(row)+1 rows and max(index)+1 columns, absent features are missing.
- Accept (handler default_output_fn): `text/csv` or `csv` gives the predictions as str(float)
  joined by "," on one line, with no trailing newline (the container's comment calls this invalid
  CSV kept for backwards compatibility; with SAGEMAKER_BATCH set, one per line with a trailing
  newline). `application/json` or `json` gives a JSON list of the predictions. The comparison is
  exact after lower-casing: parameters or lists in Accept are 415. A missing Accept or `*/*`
  means $SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else text/csv here. The response Content-Type is
  the Accept value used.
- Status codes, in the container's order: empty body 204 (no body); unsupported Content-Type 415;
  a body that does not parse 400 "Loading csv data failed ..."; a prediction XGBoost refuses
  (e.g. more columns than the model has) 400 "Unable to evaluate payload provided: ..."; an
  unsupported Accept 415 (checked after predicting, as the container encodes last). Error
  bodies are the message as text/plain.
- Payload limit: bodies over 4 MB (4 * 1024 * 1024 bytes, SageMaker Serverless' request limit)
  are refused with 413 before the container would see them; the container itself accepts 6 MB.

Where the sources disagree or were not verifiable, this server picks and says so:
- Malformed rows: the current handler lets the parser's error reach the transformer, which maps
  it to 400; older images (the Flask serve.py and the first MMS handler) answered 415. 400 here.
- Default Accept: the inference toolkit's default is application/json, but SageMaker's public
  XGBoost examples parse the default answer as CSV. text/csv here; set the variable to choose.
- JSON shape: the MMS handler encodes a plain list ([1.5, 2.5]); a 2022 change to the Flask path
  (PR 281) answers {"predictions": [{"score": 1.5}, ...]}. The plain list here.
- Newer images load every top-level file as an ensemble (SAGEMAKER_INFERENCE_ENSEMBLE); this
  server loads the first file and warns when there are more. Early-stopping (best_iteration)
  handling of the newest image is not verified: all trees are used here.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import sys
import tarfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import numpy as np

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "model" / "model.tar.gz"
DEFAULT_PORT = 8080
LOCAL_HOST = "127.0.0.1"
CONTAINER_HOST = "0.0.0.0"  # in a container: accept SageMaker's traffic
CONTAINER_MODEL_DIR = "/opt/ml/model"
MAX_PAYLOAD_BYTES = 4 * 1024 * 1024  # SageMaker Serverless request limit
# Bodies up to this size are read and discarded after a 413 so the client receives the answer.
DRAIN_LIMIT_BYTES = 64 * 1024 * 1024

CSV, LIBSVM = "csv", "libsvm"
CSV_ACCEPT, JSON_ACCEPT = "text/csv", "application/json"
# The container's own list (data_utils.VALID_CONTENT_TYPES), repeated in its 415 message.
CONTAINER_CONTENT_TYPES = (
    "csv, libsvm, parquet, recordio-protobuf, text/csv, text/libsvm, text/x-libsvm, "
    "application/x-parquet, application/x-recordio-protobuf"
)
NOT_IMPLEMENTED_HERE = {
    "recordio-protobuf",
    "application/x-recordio-protobuf",
    "parquet",
    "application/x-parquet",
}
# xgboost imports these if installed, only for its scikit-learn wrapper and DataFrame input; the
# server uses neither, and hiding them saves ~0.6 s of start-up where they are installed.
OPTIONAL_XGBOOST_IMPORTS = ("sklearn", "pandas")


class UsageError(Exception):
    """Bad arguments or an unusable model artifact (exit code 2)."""


class RequestError(Exception):
    """An invocation the container would refuse: HTTP status and message."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Reply:
    status: HTTPStatus
    body: bytes = b""
    content_type: str | None = None


@dataclass(frozen=True)
class Settings:
    default_accept: str = CSV_ACCEPT
    batch_output: bool = False  # SAGEMAKER_BATCH: one prediction per line

    @classmethod
    def from_environment(cls) -> Settings:
        return cls(
            default_accept=os.environ.get("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT") or CSV_ACCEPT,
            batch_output=bool(os.environ.get("SAGEMAKER_BATCH")),
        )


@dataclass(frozen=True)
class ModelFile:
    name: str  # where it came from, for messages: "model/model.tar.gz:xgboost-model"
    data: bytes
    other_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class LoadedModel:
    booster: Any  # xgboost.Booster
    source: str
    model_format: str  # "xgboost" or "pickle"
    num_features: int


# --- Request parsing (mirrors the container; pure functions, unit-tested) ---------------------


def _parse_header(value: str) -> tuple[str, dict[str, str]]:
    """The media type and parameters, like the cgi.parse_header the container calls."""
    media_type, *parts = value.split(";")
    params: dict[str, str] = {}
    for part in parts:
        name, equals, param = part.partition("=")
        if equals:
            params[name.strip().lower()] = param.strip().strip('"')
    return media_type.strip().lower(), params


def parse_content_type(header: str | None) -> str:
    """CSV or LIBSVM for a Content-Type header, else RequestError 415 (data_utils rules)."""
    if header is None:
        return LIBSVM  # the container's parser treats a missing Content-Type as libsvm
    value = header.lower()
    if value in ("libsvm", "text/libsvm", "text/x-libsvm"):
        return LIBSVM
    if CSV in value:
        if value in ("csv", "text/csv"):
            return CSV
        media_type, params = _parse_header(value)
        if media_type == "text/csv":
            label_size = params.get("label_size")
            if label_size is not None and label_size != "1":
                raise RequestError(
                    HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                    f"{value} is not an accepted csv ContentType. "
                    "Optional parameter label_size must be equal to 1",
                )
            return CSV
    elif value in NOT_IMPLEMENTED_HERE:
        raise RequestError(
            HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
            f"Content-type {header} is accepted by the managed container but not by this local "
            "server: send text/csv or text/libsvm",
        )
    raise RequestError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"{header} is not an accepted ContentType: {CONTAINER_CONTENT_TYPES}.",
    )


def parse_accept(header: str | None, *, default: str) -> str:
    """The Accept value to answer with (as given), else RequestError 415."""
    accept = default if not header or header == "*/*" else header
    if accept.lower() in (CSV_ACCEPT, "csv", JSON_ACCEPT, "json"):
        return accept
    raise RequestError(
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
        f"Encoding to accept type {accept} failed with exception: {accept} is not an accepted "
        f"Accept type. Please choose one of the following: ['{CSV_ACCEPT}', '{JSON_ACCEPT}'].",
    )


def _parse_error(kind: str, error: Exception) -> RequestError:
    return RequestError(
        HTTPStatus.BAD_REQUEST,
        f"Loading {kind} data failed with Exception, please ensure data is in {kind} format:\n"
        f" {type(error)}\n {error}",
    )


def csv_to_array(body: bytes) -> np.ndarray:
    """Rows of features from a CSV body, as encoder.csv_to_dmatrix reads them (float64)."""
    import numpy as np

    try:
        text = body.strip().decode("utf-8")
        lines = text.split("\n")
        delimiter = csv.Sniffer().sniff(lines[0][:512]).delimiter
        if delimiter.isalnum():
            delimiter = ","
        rows = [["nan" if cell == "" else cell for cell in line.split(delimiter)] for line in lines]
        return np.array(rows).astype(np.float64)
    except Exception as error:
        raise _parse_error(CSV, error) from None


def libsvm_to_sparse(body: bytes) -> Any:
    """A scipy CSR matrix from a libsvm body, as serve_utils builds it (labels ignored)."""
    import numpy as np
    from scipy.sparse import csr_matrix  # type: ignore[import-untyped]  # xgboost needs it

    try:
        text = body.strip().decode("utf-8")
        rows: list[int] = []
        columns: list[str] = []
        values: list[str] = []
        for row_index, line in enumerate(text.split("\n")):
            for item in line.split(" "):
                if ":" in item:
                    parts = item.split(":")
                    rows.append(row_index)
                    columns.append(parts[0])
                    values.append(parts[1])
        data = np.array(values).astype(np.float64)
        column_indexes = np.array(columns).astype(np.int64)
        return csr_matrix((data, (np.array(rows), column_indexes)))
    except Exception as error:
        raise _parse_error(LIBSVM, error) from None


def format_predictions(predictions: np.ndarray, accept: str, *, batch_output: bool) -> bytes:
    """The answer body: str(float) joined by "," (text/csv) or a JSON list."""
    values = predictions.tolist()
    if accept.lower() in (JSON_ACCEPT, "json"):
        return json.dumps(values).encode()
    if batch_output:
        return ("\n".join(map(str, values)) + "\n").encode()
    return ",".join(map(str, values)).encode()


def check_payload_size(length: int) -> None:
    if length > MAX_PAYLOAD_BYTES:
        raise RequestError(
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
            f"request payload is {length} bytes; SageMaker Serverless Inference accepts at most "
            f"{MAX_PAYLOAD_BYTES} bytes (4 MB)",
        )


# --- The model -------------------------------------------------------------------------------


def _is_top_level(name: str) -> bool:
    normalized = os.path.normpath(name)
    return os.sep not in normalized and normalized not in (".", "..")


def read_model_file(path: Path) -> ModelFile:
    """The file SageMaker's container would load from a model directory or a model.tar.gz."""
    if path.is_dir():
        names = [name for name in os.listdir(path) if (path / name).is_file()]
        if not names:
            raise UsageError(f"--model {str(path)!r}: no regular file at the top of the directory")
        return ModelFile(
            name=str(path / names[0]),
            data=(path / names[0]).read_bytes(),
            other_files=(*names[1:],),
        )
    if not path.is_file():
        raise UsageError(f"--model {str(path)!r}: no such file or directory")
    try:
        with tarfile.open(path, mode="r:*") as archive:
            members = [m for m in archive.getmembers() if m.isfile() and _is_top_level(m.name)]
            if not members:
                raise UsageError(
                    f"--model {str(path)!r}: no regular file at the archive root (SageMaker "
                    "extracts the archive and loads a file from the top of the model directory)"
                )
            extracted = archive.extractfile(members[0])
            assert extracted is not None  # a regular member always has content
            data = extracted.read()
    except tarfile.TarError as error:
        raise UsageError(f"--model {str(path)!r} is not a tar archive: {error}") from None
    return ModelFile(
        name=f"{path}:{members[0].name}",
        data=data,
        other_files=tuple(m.name for m in members[1:]),
    )


def _unpickle_booster(model_file: ModelFile, xgb_error: Exception) -> Any:
    """A pickled Booster (older SageMaker XGBoost versions save those), as the container tries."""
    import pickle

    import xgboost as xgb

    try:
        # Only load artifacts you trust, as with any pickle (the container does the same).
        booster = pickle.loads(model_file.data)
    except Exception:
        reason = str(xgb_error).splitlines()[0] if str(xgb_error) else type(xgb_error).__name__
        raise UsageError(
            f"{model_file.name} is neither an XGBoost model nor a pickled Booster: {reason}"
        ) from None
    if not isinstance(booster, xgb.Booster):
        raise UsageError(f"{model_file.name} unpickles to {type(booster).__name__}, not a Booster")
    return booster


def load_model(model_file: ModelFile) -> LoadedModel:
    import xgboost as xgb

    booster: Any = xgb.Booster()
    try:
        booster.load_model(bytearray(model_file.data))
        model_format = "xgboost"
    except xgb.core.XGBoostError as xgb_error:
        booster = _unpickle_booster(model_file, xgb_error)
        model_format = "pickle"
    booster.set_param("nthread", "1")  # as the container does, per worker
    return LoadedModel(
        booster=booster,
        source=model_file.name,
        model_format=model_format,
        num_features=booster.num_features(),
    )


class Predictor:
    """Turns one invocation into a Reply, in the container's order of checks."""

    def __init__(self, model: LoadedModel, settings: Settings) -> None:
        import xgboost as xgb

        self._xgb = xgb
        self.model = model
        self.settings = settings
        # Booster.predict is not documented as thread-safe for DMatrix input; requests are tiny.
        self._lock = threading.Lock()

    def invoke(self, body: bytes, content_type: str | None, accept: str | None) -> Reply:
        try:
            if not body:
                return Reply(HTTPStatus.NO_CONTENT)
            kind = parse_content_type(content_type)
            # nthread=1: the default thread pool costs ~3 ms per small DMatrix; same values.
            if kind == CSV:
                matrix = self._xgb.DMatrix(csv_to_array(body), nthread=1)
            else:
                matrix = self._xgb.DMatrix(libsvm_to_sparse(body), nthread=1)
            try:
                with self._lock:
                    predictions = self.model.booster.predict(matrix, validate_features=False)
            except Exception as error:
                message = str(error).splitlines()[0] if str(error) else type(error).__name__
                raise RequestError(
                    HTTPStatus.BAD_REQUEST, f"Unable to evaluate payload provided: {message}"
                ) from None
            answer_type = parse_accept(accept, default=self.settings.default_accept)
            answer = format_predictions(
                predictions, answer_type, batch_output=self.settings.batch_output
            )
            return Reply(HTTPStatus.OK, answer, answer_type)
        except RequestError as error:
            return Reply(error.status, error.message.encode(), "text/plain; charset=utf-8")
        except Exception as error:  # a bug here must still answer, not drop the connection
            message = f"internal error: {type(error).__name__}: {error}"
            return Reply(HTTPStatus.INTERNAL_SERVER_ERROR, message.encode(), "text/plain")


# --- HTTP ------------------------------------------------------------------------------------


class InferenceServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_port = False  # a second server on a busy port must fail, not share it

    def __init__(self, address: tuple[str, int], predictor: Predictor) -> None:
        self.predictor = predictor
        super().__init__(address, InvocationHandler)


class InvocationHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: no TCP handshake per request
    disable_nagle_algorithm = True
    server_version = "serve_local"
    sys_version = ""
    server: InferenceServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/ping":
            self._send(Reply(HTTPStatus.OK, b'{"status": "Healthy"}\n', "application/json"))
        elif path == "/invocations":
            self._send_error(HTTPStatus.METHOD_NOT_ALLOWED, "use POST /invocations")
        else:
            self._send_error(HTTPStatus.NOT_FOUND, f"no such path: {self.path}")

    def do_POST(self) -> None:
        if urlsplit(self.path).path != "/invocations":
            self.close_connection = True  # the body is not read
            self._send_error(HTTPStatus.NOT_FOUND, f"no such path: {self.path}")
            return
        length = self._content_length()
        if length is None:
            return
        try:
            check_payload_size(length)
        except RequestError as error:
            self._drain(length)
            self._send_error(error.status, error.message)
            return
        body = self.rfile.read(length) if length else b""
        self._send(
            self.server.predictor.invoke(
                body, self.headers.get("Content-Type"), self.headers.get("Accept")
            )
        )

    def handle_expect_100(self) -> bool:
        # curl sends `Expect: 100-continue` before large bodies: refuse them before they travel.
        length = self.headers.get("Content-Length", "")
        try:
            check_payload_size(int(length) if length.isdigit() else 0)
        except RequestError as error:
            self.close_connection = True
            self._send_error(error.status, error.message)
            return False
        return super().handle_expect_100()

    def _content_length(self) -> int | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._send_error(HTTPStatus.LENGTH_REQUIRED, "send a Content-Length (no chunked body)")
            return None
        raw = self.headers.get("Content-Length", "0").strip()
        if not raw.isdigit():
            self.close_connection = True
            self._send_error(HTTPStatus.BAD_REQUEST, f"invalid Content-Length: {raw!r}")
            return None
        return int(raw)

    def _drain(self, length: int) -> None:
        if length > DRAIN_LIMIT_BYTES:
            self.close_connection = True
            return
        remaining = length
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 20))
            if not chunk:
                break
            remaining -= len(chunk)

    def _send_error(self, status: HTTPStatus, message: str) -> None:
        self._send(Reply(status, message.encode(), "text/plain; charset=utf-8"))

    def _send(self, reply: Reply) -> None:
        # One write for status line, headers and body: no Nagle/delayed-ACK stalls.
        lines = [f"HTTP/1.1 {reply.status.value} {reply.status.phrase}"]
        lines.append(f"Server: {self.server_version}")
        if reply.status != HTTPStatus.NO_CONTENT:
            lines.append(f"Content-Length: {len(reply.body)}")
        if reply.content_type:
            lines.append(f"Content-Type: {reply.content_type}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + reply.body)
        if reply.status >= HTTPStatus.BAD_REQUEST:
            first_line = reply.body.decode(errors="replace").splitlines()[:1]
            self.log_message(
                "%s %s -> %d %s", self.command, self.path, reply.status.value, *first_line or [""]
            )

    def log_message(self, format: str, *args: Any) -> None:
        sys.stderr.write(f"{self.log_date_time_string()} {format % args}\n")


# --- Command line ----------------------------------------------------------------------------


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        description="Serve an XGBoost model.tar.gz on the SageMaker container contract "
        "(GET /ping, POST /invocations).",
        epilog="Exit codes: 0 stopped cleanly, 1 server failure, 2 usage or unusable model.",
    )
    parser.add_argument(
        "mode",
        nargs="?",
        choices=["serve"],
        help="container mode: model from $SM_MODEL_DIR (default /opt/ml/model), port "
        "$SAGEMAKER_BIND_TO_PORT (default 8080), host 0.0.0.0",
    )
    parser.add_argument(
        "--model",
        type=Path,
        help="model.tar.gz or extracted model directory (default: the sample model/model.tar.gz)",
    )
    parser.add_argument("--host", help=f"address to bind (default {LOCAL_HOST})")
    parser.add_argument(
        "--port", type=_port, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
    return parser


@dataclass(frozen=True)
class ServeOptions:
    model: Path
    host: str
    port: int


def resolve_options(argv: Sequence[str] | None) -> ServeOptions:
    options = build_parser().parse_args(argv)
    if options.mode == "serve":
        environment_port = os.environ.get("SAGEMAKER_BIND_TO_PORT", str(DEFAULT_PORT))
        try:
            default_port = _port(environment_port)
        except argparse.ArgumentTypeError as error:
            raise UsageError(f"SAGEMAKER_BIND_TO_PORT: {error}") from None
        return ServeOptions(
            model=options.model or Path(os.environ.get("SM_MODEL_DIR") or CONTAINER_MODEL_DIR),
            host=options.host or CONTAINER_HOST,
            port=default_port if options.port is None else options.port,
        )
    return ServeOptions(
        model=options.model or DEFAULT_MODEL,
        host=options.host or LOCAL_HOST,
        port=DEFAULT_PORT if options.port is None else options.port,
    )


def _stop(signum: int, _frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    try:
        options = resolve_options(argv)
        model_file = read_model_file(options.model)
        model = load_model(model_file)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if model_file.other_files:
        print(
            f"warning: {options.model} holds more files at its top level "
            f"({', '.join(model_file.other_files)}); serving only {model_file.name}",
            file=sys.stderr,
        )
    try:
        server = InferenceServer(
            (options.host, options.port), Predictor(model, Settings.from_environment())
        )
    except OSError as error:
        print(
            f"error: cannot listen on {options.host}:{options.port}: {error.strerror}",
            file=sys.stderr,
        )
        return EXIT_FAILURE
    host, port = str(server.server_address[0]), server.server_address[1]
    signal.signal(signal.SIGTERM, _stop)
    print(
        f"serving http://{host}:{port} ({model.source}, {model.model_format} format, "
        f"{model.num_features} features; ready in {time.perf_counter() - started:.2f}s)",
        flush=True,
    )
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
    return EXIT_OK


def _hide_optional_xgboost_imports() -> None:
    for name in OPTIONAL_XGBOOST_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type] # makes `import name` fail


if __name__ == "__main__":
    _hide_optional_xgboost_imports()
    sys.exit(main())
