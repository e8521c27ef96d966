"""scripts/serve_local.py: the local server on the SageMaker container contract, its parsing, the
container image's contract, and the smoke script's --local-url mode against it.

One real server process serves the module (started once); answers are compared with XGBoost's
own predictions for the same rows, as the server formats them.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import pickle
import re
import select
import signal
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest
import xgboost as xgb
from scipy.sparse import csr_matrix  # type: ignore[import-untyped]

from scripts import serve_local, smoke_test
from stacks.config import SAMPLE_MODEL_ARTIFACT
from tests.fake_http import Script, closed_port, scripted_server

SERVER_SCRIPT = serve_local.__file__
URL_PATTERN = re.compile(r"http://[\d.]+:\d+")
# Real rows of the sample model's features (scikit-learn diabetes, unscaled), no label.
ROWS = [
    [59.0, 2.0, 32.1, 101.0, 157.0, 93.2, 38.0, 4.0, 4.8598, 87.0],
    [48.0, 1.0, 21.6, 87.0, 183.0, 103.2, 70.0, 3.0, 3.8918, 69.0],
    [72.0, 2.0, 30.5, 93.0, 156.0, 93.6, 41.0, 4.0, 4.6728, 85.0],
    [24.0, 1.0, 25.3, 84.0, 198.0, 131.4, 40.0, 5.0, 4.8903, 89.0],
    [50.0, 1.0, 23.0, 101.0, 192.0, 125.4, 52.0, 4.0, 4.2905, 80.0],
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


def invoke(url: str, body: bytes, content_type: str | None = "text/csv", **headers: str) -> Answer:
    all_headers = dict(headers)
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return call(url, body=body, headers=all_headers)


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


def start_server(
    args: list[str], stderr_path: Path, env: dict[str, str] | None = None
) -> RunningServer:
    stderr = stderr_path.open("w")
    process = subprocess.Popen(
        [sys.executable, SERVER_SCRIPT, *args],
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env=env,
    )
    stderr.close()
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
    assert "Traceback" not in running.stderr_path.read_text()


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


def expected_answer(booster: xgb.Booster, matrix: xgb.DMatrix) -> str:
    """XGBoost's predictions formatted as the container does: str(float) joined by ","."""
    return ",".join(str(value) for value in booster.predict(matrix).tolist())


# --- The running server ----------------------------------------------------------------------


def test_prints_its_url_on_one_line_and_pings_200(url: str) -> None:
    answer = call(url, method="GET", path="/ping")
    assert answer.status == 200


def test_one_row_is_exactly_the_in_process_prediction(url: str, booster: xgb.Booster) -> None:
    answer = invoke(url, smoke_test.DEFAULT_PAYLOAD.encode())
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "text/csv"
    row = [[float(cell) for cell in smoke_test.DEFAULT_PAYLOAD.strip().split(",")]]
    assert answer.text == expected_answer(booster, xgb.DMatrix(np.array(row)))
    # The same float32 values XGBoost returns, not a rounding of them.
    assert float(answer.text) == float(booster.predict(xgb.DMatrix(np.array(row)))[0])


def test_many_rows_answer_one_prediction_each(url: str, booster: xgb.Booster) -> None:
    answer = invoke(url, csv_body(ROWS))
    assert answer.status == 200
    assert answer.text == expected_answer(booster, xgb.DMatrix(np.array(ROWS)))
    assert len(answer.text.split(",")) == len(ROWS)
    assert "\n" not in answer.text  # one line, like the container (SAGEMAKER_BATCH unset)


def test_libsvm_rows_match_in_process_predictions(url: str, booster: xgb.Booster) -> None:
    # Row 1: every feature; row 2: features 3 and 7 absent (missing values, not zeros).
    lines = [
        "0 " + " ".join(f"{index}:{value!r}" for index, value in enumerate(ROWS[0])),
        "0 " + " ".join(f"{i}:{v!r}" for i, v in enumerate(ROWS[1]) if i not in (3, 7)),
    ]
    answer = invoke(url, "\n".join(lines).encode(), "text/libsvm")
    assert answer.status == 200
    rows, columns, values = [], [], []
    for row_index, row in enumerate(ROWS[:2]):
        for column, value in enumerate(row):
            if row_index == 0 or column not in (3, 7):
                rows.append(row_index)
                columns.append(column)
                values.append(value)
    sparse = csr_matrix((np.array(values), (np.array(rows), np.array(columns))))
    assert answer.text == expected_answer(booster, xgb.DMatrix(sparse))
    dense_first_row = expected_answer(booster, xgb.DMatrix(np.array(ROWS[:1])))
    assert answer.text.split(",")[0] == dense_first_row


@pytest.mark.parametrize(
    "content_type",
    [
        "text/csv; charset=utf-8",
        "TEXT/CSV",
        "csv",
        "text/csv; label_size=1",
        "text/csv;header=absent",
    ],
)
def test_csv_content_type_variants_the_container_accepts(url: str, content_type: str) -> None:
    assert invoke(url, csv_body(ROWS[:1]), content_type).status == 200


@pytest.mark.parametrize("content_type", ["text/x-libsvm", "libsvm", None])
def test_libsvm_content_types_including_none(url: str, content_type: str | None) -> None:
    # The container's parser reads a request without Content-Type as libsvm.
    answer = invoke(url, b"0:59 1:2 2:32.1", content_type)
    assert answer.status == 200
    assert len(answer.text.split(",")) == 1


def test_accept_json_answers_a_json_list(url: str, booster: xgb.Booster) -> None:
    answer = invoke(url, csv_body(ROWS[:2]), Accept="application/json")
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert json.loads(answer.body) == booster.predict(xgb.DMatrix(np.array(ROWS[:2]))).tolist()


@pytest.mark.parametrize("accept", ["*/*", "text/csv", "CSV"])
def test_accept_any_or_csv_answers_csv(url: str, accept: str) -> None:
    answer = invoke(url, csv_body(ROWS[:2]), Accept=accept)
    assert answer.status == 200
    assert len(answer.text.split(",")) == 2


@pytest.mark.parametrize(
    ("content_type", "message"),
    [
        ("application/json", "application/json is not an accepted ContentType: csv, libsvm"),
        ("text/plain", "text/plain is not an accepted ContentType"),
        ("text/csv; label_size=5", "Optional parameter label_size must be equal to 1"),
        ("application/x-recordio-protobuf", "accepted by the managed container but not by this"),
    ],
)
def test_unsupported_content_type_is_415(url: str, content_type: str, message: str) -> None:
    answer = invoke(url, csv_body(ROWS[:1]), content_type)
    assert answer.status == 415
    assert message in answer.text


@pytest.mark.parametrize("accept", ["application/xml", "text/csv; charset=utf-8"])
def test_unsupported_accept_is_415(url: str, accept: str) -> None:
    answer = invoke(url, csv_body(ROWS[:1]), Accept=accept)
    assert answer.status == 415
    assert f"{accept} is not an accepted Accept type" in answer.text


def test_empty_body_is_204_without_a_body(url: str) -> None:
    answer = invoke(url, b"")
    assert (answer.status, answer.body) == (204, b"")


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"1,2,abc", "text/csv", "could not convert string to float"),
        (b"1,2,3\n4,5", "text/csv", "inhomogeneous"),
        (b" \n ", "text/csv", "Could not determine delimiter"),
        (b"\xff\xfe1,2", "text/csv", "UnicodeDecodeError"),
        (b"0 1:abc", "text/libsvm", "Loading libsvm data failed"),
    ],
)
def test_malformed_rows_are_400_with_the_reason(
    url: str, body: bytes, content_type: str, message: str
) -> None:
    answer = invoke(url, body, content_type)
    assert answer.status == 400
    assert message in answer.text


def test_more_columns_than_the_model_has_is_400(url: str) -> None:
    answer = invoke(url, b"1,2,3,4,5,6,7,8,9,10,11")
    assert answer.status == 400
    assert answer.text.startswith("Unable to evaluate payload provided:")
    assert "Number of columns does not match" in answer.text


def test_payload_over_4_mb_is_413(url: str) -> None:
    body = b"1" * (serve_local.MAX_PAYLOAD_BYTES + 1)
    answer = invoke(url, body)
    assert answer.status == 413
    assert f"at most {serve_local.MAX_PAYLOAD_BYTES} bytes" in answer.text


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nope", 404), ("POST", "/nope", 404), ("GET", "/invocations", 405)],
)
def test_unknown_paths_and_methods(url: str, method: str, path: str, status: int) -> None:
    body = b"1,2" if method == "POST" else None
    assert call(url, method=method, path=path, body=body).status == status


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


# --- The smoke script against it -------------------------------------------------------------


def test_smoke_script_passes_against_the_local_server(
    url: str, booster: xgb.Booster, capsys: pytest.CaptureFixture[str]
) -> None:
    assert smoke_test.main(["--local-url", url, "--json", "--warm-invocations", "2"]) == 0
    report = json.loads(capsys.readouterr().out)
    row = [float(cell) for cell in smoke_test.DEFAULT_PAYLOAD.strip().split(",")]
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


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--local-url", "localhost:8080"], "is not an http:// or https:// URL"),
        (["--local-url", "http://x:99999"], "has an invalid port"),
        (["--local-url", "http://x", "--stack", "s"], "not allowed with argument"),
    ],
)
def test_smoke_script_local_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert smoke_test.main(args) == 2
    assert message in capsys.readouterr().err


# --- Parsing, unit level ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("csv", serve_local.CSV),
        ("text/csv", serve_local.CSV),
        ("Text/CSV; charset=utf-8", serve_local.CSV),
        ("text/csv; label_size=1", serve_local.CSV),
        ("text/csv;label_size = 1", serve_local.CSV),
        ("text/csv; label_size=1; charset=utf-8", serve_local.CSV),
        ("libsvm", serve_local.LIBSVM),
        ("text/libsvm", serve_local.LIBSVM),
        ("text/x-libsvm", serve_local.LIBSVM),
        (None, serve_local.LIBSVM),
    ],
)
def test_parse_content_type(header: str | None, expected: str) -> None:
    assert serve_local.parse_content_type(header) == expected


@pytest.mark.parametrize(
    "header",
    [
        "incorrect_format",
        "text/csv; label_size=5",
        "text/csv; label_size=1=1",
        "text/csv; label_size=1; label_size=2",
        "label_size=1; text/csv",
        "application/csv",
        "parquet",
        "",
    ],
)
def test_parse_content_type_rejects_with_415(header: str) -> None:
    with pytest.raises(serve_local.RequestError) as raised:
        serve_local.parse_content_type(header)
    assert raised.value.status == 415


@pytest.mark.parametrize(
    ("header", "default", "expected"),
    [
        (None, "text/csv", "text/csv"),
        ("*/*", "application/json", "application/json"),
        ("", "text/csv", "text/csv"),
        ("JSON", "text/csv", "JSON"),
        ("csv", "text/csv", "csv"),
    ],
)
def test_parse_accept(header: str | None, default: str, expected: str) -> None:
    assert serve_local.parse_accept(header, default=default) == expected


@pytest.mark.parametrize("header", ["text/html", "text/csv, application/json", "application/*"])
def test_parse_accept_rejects_with_415(header: str) -> None:
    with pytest.raises(serve_local.RequestError) as raised:
        serve_local.parse_accept(header, default="text/csv")
    assert raised.value.status == 415


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"1,2,3", [[1, 2, 3]]),
        (b"\n1,2\n3,4\n\n", [[1, 2], [3, 4]]),
        (b"1;2;3", [[1, 2, 3]]),
        (b"1\t2", [[1, 2]]),
        (b"1 2", [[1, 2]]),
        (b"1,,3", [[1, np.nan, 3]]),
        (b"1.5,2\r\n3,4\r\n", [[1.5, 2], [3, 4]]),
        (b"5", [[5]]),  # a one-column guess is alphanumeric: read as ","
    ],
)
def test_csv_to_array(body: bytes, expected: list[list[float]]) -> None:
    array = serve_local.csv_to_array(body)
    assert array.dtype == np.float64
    np.testing.assert_array_equal(array, np.array(expected, dtype=np.float64))


def test_libsvm_to_sparse_ignores_labels_and_keeps_absent_features_missing() -> None:
    matrix = serve_local.libsvm_to_sparse(b"1 0:1.5 3:2\n0 1:7\n")
    assert matrix.shape == (2, 4)
    assert matrix.toarray().tolist() == [[1.5, 0, 0, 2], [0, 7, 0, 0]]
    assert matrix.nnz == 3  # stored entries only: the rest are missing to XGBoost


def test_format_predictions() -> None:
    predictions = np.array([1.5, 2.25], dtype=np.float32)
    assert serve_local.format_predictions(predictions, "text/csv", batch_output=False) == (
        b"1.5,2.25"
    )
    assert serve_local.format_predictions(predictions, "csv", batch_output=True) == (b"1.5\n2.25\n")
    assert serve_local.format_predictions(predictions, "application/json", batch_output=False) == (
        b"[1.5, 2.25]"
    )


def test_payload_limit_is_4_mb_inclusive() -> None:
    serve_local.check_payload_size(4 * 1024 * 1024)
    with pytest.raises(serve_local.RequestError) as raised:
        serve_local.check_payload_size(4 * 1024 * 1024 + 1)
    assert raised.value.status == 413


def test_predictor_checks_in_the_containers_order(booster: xgb.Booster) -> None:
    model = serve_local.LoadedModel(booster, "test", "xgboost", booster.num_features())
    predictor = serve_local.Predictor(model, serve_local.Settings())
    # Empty beats a bad Content-Type; a bad body beats a bad Accept (encoding happens last).
    assert predictor.invoke(b"", "application/json", None).status == 204
    assert predictor.invoke(b"x,y", "text/csv", "text/html").status == 400
    assert predictor.invoke(b"1,2", "text/csv", "text/html").status == 415


def test_settings_from_the_containers_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", "application/json")
    monkeypatch.setenv("SAGEMAKER_BATCH", "true")
    assert serve_local.Settings.from_environment() == serve_local.Settings(
        default_accept="application/json", batch_output=True
    )


# --- Loading the artifact --------------------------------------------------------------------


def write_tar(path: Path, members: list[tuple[str, bytes | None]]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def test_reads_the_first_regular_file_at_the_archive_root(tmp_path: Path) -> None:
    archive = write_tar(
        tmp_path / "model.tar.gz",
        [("code", None), ("code/inference.py", b"x"), ("./first", b"1"), ("second", b"2")],
    )
    model_file = serve_local.read_model_file(archive)
    assert (model_file.name, model_file.data) == (f"{archive}:./first", b"1")
    assert model_file.other_files == ("second",)


def test_an_archive_without_a_root_file_is_refused(tmp_path: Path) -> None:
    archive = write_tar(tmp_path / "model.tar.gz", [("model", None), ("model/xgboost-model", b"1")])
    with pytest.raises(serve_local.UsageError, match="no regular file at the archive root"):
        serve_local.read_model_file(archive)


def test_reads_the_first_regular_file_of_a_model_directory(tmp_path: Path) -> None:
    (tmp_path / "code").mkdir()
    (tmp_path / "xgboost-model").write_bytes(b"model")
    model_file = serve_local.read_model_file(tmp_path)
    assert (model_file.data, model_file.other_files) == (b"model", ())


@pytest.mark.parametrize("name", ["missing.tar.gz", "not-a-tar.txt"])
def test_unusable_model_paths_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    (tmp_path / "not-a-tar.txt").write_text("hello")
    assert serve_local.main(["--model", str(tmp_path / name), "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert name in err
    assert "Traceback" not in err


def test_loads_a_pickled_booster_like_the_container(booster: xgb.Booster) -> None:
    model = serve_local.load_model(serve_local.ModelFile("pickled", pickle.dumps(booster)))
    assert (model.model_format, model.num_features) == ("pickle", 10)


def test_a_file_that_is_no_model_is_refused() -> None:
    with pytest.raises(serve_local.UsageError, match="neither an XGBoost model nor a pickled"):
        serve_local.load_model(serve_local.ModelFile("junk", b"not a model"))


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert serve_local.main(["train"]) == 2
    assert serve_local.main(["--port", "70000"]) == 2
    err = capsys.readouterr().err
    assert "invalid choice: 'train'" in err
    assert "is not a port number" in err


def test_a_port_in_use_exits_1(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    port = str(urlsplit(url).port)
    assert serve_local.main(["--port", port]) == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


# --- The container image's contract ----------------------------------------------------------


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
    copies = {value.split()[1]: value.split()[0] for value in values["COPY"]}  # target: source
    server_path = copies["/opt/program/serve_local.py"]
    assert server_path == "scripts/serve_local.py"
    # Exec form, so `serve` (SageMaker's argument) reaches the server; `serve` is also the default.
    assert json.loads(values["ENTRYPOINT"][0]) == ["python", "/opt/program/serve_local.py"]
    assert json.loads(values["CMD"][0]) == ["serve"]
    assert any("-r /opt/program/requirements.txt" in run for run in values["RUN"])
    ignored = (project_root / "container" / "Dockerfile.dockerignore").read_text().splitlines()
    assert "*" in ignored
    assert {f"!{source}" for source in copies.values()} <= set(ignored)


def test_container_requirements_are_pinned_like_the_project(project_root: Path) -> None:
    def pins(path: Path) -> dict[str, str]:
        lines = [line.strip() for line in path.read_text().splitlines()]
        return dict(line.split("==") for line in lines if line and not line.startswith(("#", "-")))

    image = pins(project_root / "container" / "requirements.txt")
    project = pins(project_root / "requirements.txt")
    assert set(image) == {"xgboost-cpu", "numpy", "scipy"}
    assert image["xgboost-cpu"] == project["xgboost-cpu"]
    assert image["numpy"] == project["numpy"]
    from importlib import metadata

    assert image["scipy"] == metadata.version("scipy")  # what the tests ran with


def test_serve_argument_means_the_containers_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SM_MODEL_DIR", "SAGEMAKER_BIND_TO_PORT"):
        monkeypatch.delenv(name, raising=False)
    assert serve_local.resolve_options(["serve"]) == serve_local.ServeOptions(
        model=Path("/opt/ml/model"), host="0.0.0.0", port=8080
    )
    monkeypatch.setenv("SM_MODEL_DIR", "/models/here")
    monkeypatch.setenv("SAGEMAKER_BIND_TO_PORT", "9090")
    assert serve_local.resolve_options(["serve"]) == serve_local.ServeOptions(
        model=Path("/models/here"), host="0.0.0.0", port=9090
    )
    assert serve_local.resolve_options([]) == serve_local.ServeOptions(
        model=serve_local.DEFAULT_MODEL, host="127.0.0.1", port=8080
    )


def test_serve_mode_serves_an_extracted_model_directory_and_stops_on_sigterm(
    tmp_path: Path, booster: xgb.Booster
) -> None:
    model_dir = tmp_path / "opt-ml-model"
    model_dir.mkdir()
    with tarfile.open(SAMPLE_MODEL_ARTIFACT) as archive:
        archive.extractall(model_dir, filter="data")
    env = os.environ | {"SM_MODEL_DIR": str(model_dir), "SAGEMAKER_BIND_TO_PORT": "0"}
    running = start_server(["serve", "--host", "127.0.0.1"], tmp_path / "stderr.txt", env)
    try:
        assert f"({model_dir / 'xgboost-model'}, xgboost format, 10 features" in running.banner
        assert call(running.url, method="GET", path="/ping").status == 200
        answer = invoke(running.url, csv_body(ROWS[:2]))
        assert answer.text == expected_answer(booster, xgb.DMatrix(np.array(ROWS[:2])))
    finally:
        code = running.stop()
    assert code == 0
    stderr = running.stderr_path.read_text()
    assert "stopped" in stderr
    assert "Traceback" not in stderr
