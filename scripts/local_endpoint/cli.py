"""``make serve``: the model on the SageMaker container contract, on this machine.

    python -m scripts.serve_local [--model model/model.tar.gz] [--host 127.0.0.1] [--port 8080]
    python -m scripts.serve_local serve      # container mode (the BYOC Dockerfile's entrypoint)

The first stdout line holds the URL (``--port 0`` picks a free port). SIGTERM and Ctrl-C stop
the server cleanly (exit 0). Exit 2: bad arguments or a model the container could not load.

Container mode (``serve``, what SageMaker runs as ``docker run <image> serve``): the model is
the directory SageMaker extracts model.tar.gz into ($SM_MODEL_DIR, default /opt/ml/model), the
port $SAGEMAKER_BIND_TO_PORT (default 8080), the host 0.0.0.0. --model, --host and --port
override.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import NoReturn

from .app import LOGGER, LocalEndpoint, create_app
from .model import ModelLoadError
from .server import WSGIServer
from .settings import ServingSettings, SettingsError
from .source import IMAGE_VERSION

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = PROJECT_ROOT / "model" / "model.tar.gz"
DEFAULT_PORT = 8080
LOCAL_HOST = "127.0.0.1"
CONTAINER_HOST = "0.0.0.0"  # in a container: accept SageMaker's traffic
CONTAINER_MODEL_DIR = "/opt/ml/model"
# xgboost imports these if installed, only for its scikit-learn wrapper and DataFrame input; the
# server uses neither, and hiding them saves ~0.6 s of start-up where they are installed.
OPTIONAL_XGBOOST_IMPORTS = ("sklearn", "pandas")


class UsageError(Exception):
    """Bad arguments (exit code 2)."""


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
        prog="python -m scripts.serve_local",
        description=(
            "Serve an XGBoost model.tar.gz as SageMaker's managed XGBoost container "
            f"(image {IMAGE_VERSION}, single-model endpoint) answers it."
        ),
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


def describe(endpoint: LocalEndpoint, url: str, ready_s: float) -> str:
    model = endpoint.model
    formats = sorted(
        {"pickled Booster" if f == "pkl_format" else "saved Booster" for f in model.formats}
    )
    parts = [
        f"{len(model.files)} model file{'s' if len(model.files) > 1 else ''} "
        f"({', '.join(model.files)}{'; ensemble' if model.ensemble else ''})",
        ", ".join(formats),
        model.objective,
        f"{model.num_features} features",
        *endpoint.settings.describe(),
    ]
    return (
        f"serving {url} (as SageMaker XGBoost {IMAGE_VERSION} would: {'; '.join(parts)}; "
        f"ready in {ready_s:.2f}s)"
    )


def _stop(signum: int, _frame: FrameType | None) -> NoReturn:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    started = time.perf_counter()
    # serving.py:46-60: the container runs one OpenMP thread per worker unless told otherwise
    # (also what keeps a small DMatrix cheap). Set before xgboost is imported.
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        options = resolve_options(argv)
        endpoint = create_app(model=options.model, settings=ServingSettings.from_environ())
    except (UsageError, SettingsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ModelLoadError as error:
        print(f"error: {error} (the endpoint would fail its /ping health check)", file=sys.stderr)
        return EXIT_USAGE
    for name in endpoint.model.ignored:
        LOGGER.warning("warning: %s is not loaded (the container skips it)", name)
    try:
        server = WSGIServer((options.host, options.port), endpoint)
    except OSError as error:
        print(
            f"error: cannot listen on {options.host}:{options.port}: {error.strerror}",
            file=sys.stderr,
        )
        endpoint.close()
        return EXIT_FAILURE
    host, port = server.server_address[:2]
    url = f"http://{host!s}:{port}"
    signal.signal(signal.SIGTERM, _stop)
    print(describe(endpoint, url, time.perf_counter() - started), flush=True)
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
        endpoint.close()
    return EXIT_OK


def hide_optional_xgboost_imports() -> None:
    for name in OPTIONAL_XGBOOST_IMPORTS:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type] # makes `import name` fail
