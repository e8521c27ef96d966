"""The local server as a process: `python -m scripts.serve_local`, its command line, its HTTP
server, its start-up errors, the container image that runs it, and the smoke script against it.

What it answers, request by request, is tested against the container's source in
tests/test_container_contract.py (in process, through the same WSGI app).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tarfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import xgboost as xgb

from scripts import smoke_test
from scripts.local_endpoint import IMAGE_VERSION, cli, recordio, source
from scripts.local_endpoint.decoding import parse_header
from scripts.smoke.payload import DEFAULT_PAYLOAD
from stacks.config import SAMPLE_MODEL_ARTIFACT, XGBOOST_IMAGE_VERSION
from tests.fake_http import Script, closed_port, scripted_server

PROJECT_ROOT = Path(__file__).resolve().parent.parent
URL_PATTERN = re.compile(r"http://[\d.]+:\d+")
# Real rows of the sample model's features (scikit-learn diabetes, unscaled), no label.
ROWS = [
    [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0],
    [48.0, 1.0, 21.6, 87.0, 183.0, 103.2, 70.0, 3.0, 3.8918, 69.0],
    [72.0, 2.0, 30.5, 93.0, 156.0, 93.6, 41.0, 4.0, 4.6728, 85.0],
]


def csv_body(rows: list[list[float]]) -> bytes:
    return "".join(",".join(repr(value) for value in row) + "\n" for row in rows).encode()


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode()


def call(
    url: str,
    *,
    method: str = "POST",
    path: str = "/invocations",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, dict(response.getheaders()), response.read())
    finally:
        connection.close()


@dataclass
class RunningServer:
    process: subprocess.Popen[str]
    url: str
    banner: str  # the first stdout line
    stderr_path: Path

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=15)

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text()


def run_server(args: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scripts.serve_local", *args],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def start_server(
    args: list[str], stderr_path: Path, env: dict[str, str] | None = None
) -> RunningServer:
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "scripts.serve_local", *args],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], 60)
    line = process.stdout.readline() if ready else ""
    match = URL_PATTERN.search(line)
    if match is None:
        process.kill()
        process.wait()
        pytest.fail(f"server did not start: {line!r}\n{stderr_path.read_text()}")
    return RunningServer(process, match.group(0), line, stderr_path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(["--port", "0"], tmp_path_factory.mktemp("server") / "stderr.txt")
    yield running
    assert running.stop() == 0
    assert "Traceback" not in running.stderr


@pytest.fixture(scope="module")
def url(server: RunningServer) -> str:
    return server.url


@pytest.fixture(scope="module")
def booster() -> xgb.Booster:
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        member = archive.extractfile("xgboost-model")
        assert member is not None
        model = xgb.Booster()
        model.load_model(bytearray(member.read()))
    return model


def container_csv(predictions: np.ndarray) -> str:
    """One str() per line, "\\n" after each: sagemaker_containers/_encoders.py:130-154."""
    return "".join(f"{value}\n" for value in predictions.tolist())


# --- The running server ----------------------------------------------------------------------


def test_banner_names_the_url_the_image_and_the_model(server: RunningServer) -> None:
    banner = server.banner
    assert banner.startswith(f"serving {server.url} (as SageMaker XGBoost {IMAGE_VERSION} would")
    assert "1 model file (xgboost-model)" in banner
    assert "saved Booster; reg:squarederror; 10 features" in banner


def test_answers_over_http_as_the_container(url: str, booster: xgb.Booster) -> None:
    expected = booster.predict(xgb.DMatrix(np.array(ROWS)))
    answer = call(url, body=csv_body(ROWS), headers={"Content-Type": "text/csv"})
    assert (answer.status, answer.headers["Content-Type"]) == (200, "text/csv; charset=utf-8")
    assert answer.text == container_csv(expected)
    answer = call(
        url,
        body=csv_body(ROWS[:1]),
        headers={"Content-Type": "text/csv", "Accept": "application/json"},
    )
    assert json.loads(answer.body) == {"predictions": [{"score": expected.tolist()[0]}]}
    assert call(url, method="GET", path="/ping").status == 200


def test_keeps_the_connection_alive(url: str) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        for _ in range(3):
            connection.request("POST", "/invocations", body=b"1,2", headers={"Content-Type": "csv"})
            response = connection.getresponse()
            assert response.status == 200
            response.read()
            assert not response.will_close
    finally:
        connection.close()


@pytest.mark.parametrize("expect_continue", [False, True], ids=["body-sent", "expect-100"])
def test_the_front_door_refuses_bodies_over_4_mb(url: str, expect_continue: bool) -> None:
    """Emulated: SageMaker Serverless refuses them before the container sees them."""
    parts = urlsplit(url)
    size = source.SERVERLESS_MAX_PAYLOAD_BYTES + 1
    with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=30) as sock:
        head = (
            f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
            f"Content-Length: {size}\r\n"
            + ("Expect: 100-continue\r\n" if expect_continue else "")
            + "\r\n"
        )
        sock.sendall(head.encode())
        if not expect_continue:
            sock.sendall(b"1" * size)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 413 Request Entity Too Large"
    assert b"Connection: close" in rest
    assert b"at most 4194304 bytes (4 MB)" in rest
    assert b"emulated front door, not the container" in rest


def test_exactly_4_mb_reaches_the_container(url: str) -> None:
    row = b"1,2,3,4,5,6,7,8,9,10\n"
    body = row * (source.SERVERLESS_MAX_PAYLOAD_BYTES // len(row))
    body += b"1" * (source.SERVERLESS_MAX_PAYLOAD_BYTES - len(body))
    assert len(body) == source.SERVERLESS_MAX_PAYLOAD_BYTES
    # The container parses it (the last line is not a valid row: 415), not the front door's 413.
    assert call(url, body=body, headers={"Content-Type": "text/csv"}).status == 415


def test_a_chunked_body_is_read_as_nginx_buffers_it(url: str, booster: xgb.Booster) -> None:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        rows = [csv_body(ROWS[:1]), csv_body(ROWS[1:2])]
        connection.request("POST", "/invocations", body=iter(rows), headers={"Content-Type": "csv"})
        response = connection.getresponse()
        assert response.status == 200
        expected = booster.predict(xgb.DMatrix(np.array(ROWS[:2])))
        assert response.read().decode() == container_csv(expected)
    finally:
        connection.close()


def test_short_rows_answer_200_and_the_server_warns(server: RunningServer) -> None:
    answer = call(server.url, body=b"59,2,32.1,101,157\n", headers={"Content-Type": "text/csv"})
    assert answer.status == 200  # as the container: XGBoost treats the rest as missing
    assert "rows have 5 values but the model has 10 features" in server.stderr


# --- The smoke script against it -------------------------------------------------------------


def test_smoke_script_passes_against_the_local_server(
    url: str, booster: xgb.Booster, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smoke_test.main(["--local-url", url, "--json", "--warm-invocations", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    row = [float(cell) for cell in DEFAULT_PAYLOAD.strip().split(",")]
    assert report["ok"] is True
    assert report["endpoint_name"] == url
    assert report["predictions"] == booster.predict(xgb.DMatrix(np.array([row]))).tolist()
    assert len(report["warm_latencies_ms"]) == 2
    assert isinstance(report["cold_latency_ms"], float)


def test_smoke_script_counts_rows_of_a_payload_file(url: str, tmp_path: Path) -> None:
    payload = tmp_path / "rows.csv"
    payload.write_bytes(csv_body(ROWS))
    assert smoke_test.main(["--local-url", url, "--payload-file", str(payload)]) == 0


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, b"1.0\n2.0\n", "sent 1 row(s) but got 2 prediction(s)"),
        (200, b"<html>oops</html>", "the answer is not a number"),
        (500, b"model crashed", "invocation answered HTTP 500: model crashed"),
    ],
)
def test_smoke_script_fails_against_a_server_that_answers_wrong(
    capsys: pytest.CaptureFixture[str], status: int, body: bytes, message: str
) -> None:
    with scripted_server(Script(then=(status, body))) as wrong_url:
        assert smoke_test.main(["--local-url", wrong_url]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_smoke_script_reports_an_unreachable_server(capsys: pytest.CaptureFixture[str]) -> None:
    assert smoke_test.main(["--local-url", f"http://127.0.0.1:{closed_port()}"]) == 1
    assert "is the server running?" in capsys.readouterr().err


# --- Start-up: models the container could not load, usage, ports -----------------------------


def write_tar(path: Path, members: list[tuple[str, bytes | None]], *, gzip: bool = True) -> Path:
    """A tar of (name, content) members; None content makes a directory."""
    with tarfile.open(path, "w:gz" if gzip else "w") as archive:
        for name, content in members:
            info = tarfile.TarInfo(name)
            if content is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(content)
                archive.addfile(info, io.BytesIO(content))
    return path


def bad_models(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    sample = SAMPLE_MODEL_ARTIFACT.read_bytes()
    (tmp_path / "truncated.tar.gz").write_bytes(sample[: len(sample) // 2])
    (tmp_path / "random.tar.gz").write_bytes(os.urandom(4096))
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        model = archive.extractfile("xgboost-model")
        assert model is not None
        model_bytes = model.read()
    return {
        "truncated": (tmp_path / "truncated.tar.gz", "is truncated"),
        "random bytes": (tmp_path / "random.tar.gz", "is not a gzip-compressed tar archive"),
        "plain tar": (
            write_tar(tmp_path / "plain.tar.gz", [("xgboost-model", model_bytes)], gzip=False),
            "is not a gzip-compressed tar archive",
        ),
        "missing": (tmp_path / "missing.tar.gz", "no such file or directory"),
        "only a dotfile": (
            write_tar(tmp_path / "dot.tar.gz", [("._xgboost-model", model_bytes)]),
            "no model file at the top of",
        ),
        "only in a directory": (
            write_tar(tmp_path / "nested.tar.gz", [("m", None), ("m/xgboost-model", model_bytes)]),
            "found: m/",
        ),
        "not a model": (
            write_tar(tmp_path / "junk.tar.gz", [("xgboost-model", b"not a model")]),
            "xgboost-model cannot be loaded: not a pickled Booster",
        ),
    }


def test_models_the_container_cannot_load_exit_2_in_one_line(tmp_path: Path) -> None:
    processes = {
        case: (run_server(["--model", str(path), "--port", "0"]), message)
        for case, (path, message) in bad_models(tmp_path).items()
    }
    for case, (process, message) in processes.items():
        out, err = process.communicate(timeout=60)
        assert process.returncode == 2, case
        assert out == "", case
        lines = err.strip().splitlines()
        assert len(lines) == 1, (case, err)
        assert lines[0].startswith("error: "), case
        assert message in lines[0], (case, lines[0])
        assert lines[0].endswith("(the endpoint would fail its /ping health check)"), case


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["train"]) == 2
    assert cli.main(["--port", "70000"]) == 2
    assert "is not a port number" in capsys.readouterr().err


def test_a_bad_environment_setting_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "6MB")
    assert cli.main(["--port", "0"]) == 2
    assert "MAX_CONTENT_LENGTH='6MB' is not a whole number" in capsys.readouterr().err


def test_a_port_in_use_exits_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    port = str(urlsplit(url).port)
    assert cli.main(["--port", port]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


def test_serve_argument_means_the_containers_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SM_MODEL_DIR", "SAGEMAKER_BIND_TO_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert cli.resolve_options(["serve"]) == cli.ServeOptions(
        model=Path("/opt/ml/model"), host="0.0.0.0", port=8080
    )
    monkeypatch.setenv("SM_MODEL_DIR", "/models/here")
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "9090")
    assert cli.resolve_options(["serve"]) == cli.ServeOptions(
        model=Path("/models/here"), host="0.0.0.0", port=9090
    )
    assert cli.resolve_options([]) == cli.ServeOptions(
        model=cli.DEFAULT_MODEL, host="127.0.0.1", port=8080
    )


def test_serve_mode_serves_an_extracted_model_directory_and_stops_on_sigterm(
    tmp_path: Path, booster: xgb.Booster
) -> None:
    model_dir = tmp_path / "opt-ml-model"
    model_dir.mkdir()
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        archive.extractall(model_dir, filter="data")
    (model_dir / "._xgboost-model").write_bytes(b"macOS resource fork")
    env = os.environ | {"SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": "0"}
    running = start_server(["serve", "--host", "127.0.0.1"], tmp_path / "stderr.txt", env)
    try:
        assert "1 model file (xgboost-model)" in running.banner
        assert call(running.url, method="GET", path="/ping").status == 200
        answer = call(running.url, body=csv_body(ROWS[:2]), headers={"Content-Type": "text/csv"})
        assert answer.text == container_csv(booster.predict(xgb.DMatrix(np.array(ROWS[:2]))))
    finally:
        code = running.stop()
    assert code == 0
    assert "stopped" in running.stderr
    assert "._xgboost-model is not loaded (the container skips it)" in running.stderr
    assert "Traceback" not in running.stderr


# --- What it mirrors, and the image that runs it ---------------------------------------------


def test_mirrors_the_image_version_the_stacks_deploy() -> None:
    assert IMAGE_VERSION == XGBOOST_IMAGE_VERSION


def test_runs_the_images_xgboost_and_knows_its_web_stack() -> None:
    assert metadata.version("xgboost-cpu") == source.IMAGE_PINS["xgboost"]
    # The image's Flask 1.1.1 / Werkzeug 0.15.6 are emulated on the project's Flask 3 (app.py).
    assert (source.IMAGE_PINS["Flask"], source.IMAGE_PINS["Werkzeug"]) == ("1.1.1", "0.15.6")
    assert metadata.version("flask").startswith("3.")


@pytest.mark.parametrize(
    "header",
    [
        "text/csv",
        "Text/CSV; charset=UTF-8",
        "text/csv;label_size = 1; charset=utf-8",
        'text/csv; name="a;b"; x=1',
        'text/plain; title="say \\"hi\\""',
        "application/json, text/csv",
        "  text/csv  ;  ",
        "",
        ";a=1",
    ],
)
def test_parse_header_is_what_cgi_parse_header_returns(header: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import cgi

    assert parse_header(header) == cgi.parse_header(header)


def test_recordio_label_records_round_trip() -> None:
    labels = {"predicted_label": [1.0], "probabilities": [0.25, 0.75]}
    framed = recordio.frame(recordio.encode_label_record(labels))
    assert len(framed) % 4 == 0
    assert framed[:4] == (0xCED7230A).to_bytes(4, "little")
    assert recordio.read_label_records(framed) == [
        {"predicted_label": (1.0,), "probabilities": (0.25, 0.75)}
    ]


@pytest.mark.parametrize(
    ("buffer", "message"),
    [
        (b"\x0a\x23\xd7\xce\x10\x00\x00\x00abc", "truncated record"),
        (b"\x00\x00\x00\x00\x00\x00\x00\x00", "invalid RecordIO magic"),
        (b"\x0a\x23\xd7\xce", "truncated RecordIO header"),
    ],
)
def test_recordio_framing_errors(buffer: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        list(recordio.iter_records(buffer))


def dockerfile_instructions(project_root: Path) -> list[tuple[str, str]]:
    text = (project_root / "container" / "Dockerfile").read_text()
    joined = re.sub(r"\\\n", " ", text)
    return [
        (line.split(maxsplit=1)[0].upper(), line.split(maxsplit=1)[1].strip())
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def test_dockerfile_contract(project_root: Path) -> None:
    instructions = dockerfile_instructions(project_root)
    values = {kind: [v for k, v in instructions if k == kind] for kind, _ in instructions}
    (base,) = values["FROM"]
    assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), base  # pinned to a patch tag
    assert values["EXPOSE"] == ["8080"]
    assert values["WORKDIR"] == ["/opt/program"]
    sources = [part for value in values["COPY"] for part in value.split()[:-1]]
    assert set(sources) == {
        "container/requirements.txt",
        "scripts/__init__.py",
        "scripts/serve_local.py",
        "scripts/local_endpoint/",
    }
    # Exec form, so `serve` (SageMaker's argument) reaches the server; `serve` is also the default.
    assert json.loads(values["ENTRYPOINT"][0]) == ["python", "-m", "scripts.serve_local"]
    assert json.loads(values["CMD"][0]) == ["serve"]
    assert any("-r /opt/program/requirements.txt" in run for run in values["RUN"])
    ignored = (project_root / "container" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignored
    assert {
        "!container/requirements.txt",
        "!scripts/__init__.py",
        "!scripts/serve_local.py",
        "!scripts/local_endpoint/*.py",
    } <= set(ignored)


def test_container_requirements_are_pinned_like_the_project(project_root: Path) -> None:
    def pins(path: Path) -> dict[str, str]:
        lines = [line.strip() for line in path.read_text().splitlines()]
        return dict(line.split("==") for line in lines if line and not line.startswith(("#", "-")))

    image = pins(project_root / "container" / "requirements.txt")
    project = pins(project_root / "requirements.txt")
    assert set(image) == {"xgboost-cpu", "numpy", "scipy", "Flask", "Werkzeug"}
    for name in ("xgboost-cpu", "numpy", "Flask", "Werkzeug"):
        assert image[name] == project[name], name
    assert image["scipy"] == metadata.version("scipy")  # what the tests ran with
