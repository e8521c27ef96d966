"""scripts/right_size.py: the recommendation rule (pure), its inputs, and one real run against
the local server (figures present and a valid size; timings and memory never asserted)."""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from scripts import right_size
from scripts.right_size import MIB, ProcessMemory, recommend_memory
from scripts.smoke import load as smoke_load
from scripts.smoke.payload import DEFAULT_PAYLOAD, expected_prediction_count
from tests.model_files import write_archive

SIZES = right_size.SERVERLESS_MEMORY_SIZES_MB


def test_sizes_are_the_constructs_list() -> None:
    from sagemaker_serverless._limits import MEMORY_SIZES_IN_MB

    assert SIZES == MEMORY_SIZES_IN_MB


def test_exactly_at_a_boundary_takes_that_size() -> None:
    # 512 MB x 1.5 + 256 MB = 1024 MB exactly.
    recommendation = recommend_memory(peak_bytes=512 * MIB, headroom=1.5, container_baseline_mb=256)
    assert recommendation.memory_size_in_mb == 1024
    assert recommendation.required_mb == 1024
    assert recommendation.reasoning[0] == (
        "peak 512.0 MB x headroom 1.5 + container baseline 256 MB = 1024.0 MB"
    )
    assert "smallest serverless size at least that: 1024 MB" in recommendation.reasoning[1]


def test_just_over_a_boundary_takes_the_next_size() -> None:
    recommendation = recommend_memory(
        peak_bytes=512 * MIB + 1024, headroom=1.5, container_baseline_mb=256
    )
    assert recommendation.memory_size_in_mb == 2048


def test_headroom_and_workers_are_applied() -> None:
    peak = 600 * MIB
    assert (
        recommend_memory(peak_bytes=peak, headroom=1.0, container_baseline_mb=0).memory_size_in_mb
        == 1024
    )
    doubled = recommend_memory(peak_bytes=peak, headroom=2.0, container_baseline_mb=0)
    assert (doubled.memory_size_in_mb, doubled.required_mb) == (2048, 1200)
    two_workers = recommend_memory(
        peak_bytes=peak, headroom=2.0, container_baseline_mb=0, workers=2
    )
    assert (two_workers.memory_size_in_mb, two_workers.required_mb) == (3072, 2400)
    assert two_workers.reasoning[0].startswith("2 workers x peak 600.0 MB x headroom 2")


def test_largest_size_fits_exactly_and_above_it_nothing_does() -> None:
    at_limit = recommend_memory(peak_bytes=4096 * MIB, headroom=1.5, container_baseline_mb=0)
    assert at_limit.memory_size_in_mb == 6144
    too_big = recommend_memory(peak_bytes=4097 * MIB, headroom=1.5, container_baseline_mb=0)
    assert too_big.memory_size_in_mb is None
    assert "more than the largest serverless size (6144 MB)" in too_big.reasoning[1]
    assert "does not fit SageMaker Serverless Inference" in too_big.reasoning[1]


def test_headroom_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="below 1"):
        recommend_memory(peak_bytes=MIB, headroom=0.9)


def test_parse_proc_status() -> None:
    text = "Name:\tpython\nVmPeak:\t  300000 kB\nVmHWM:\t   75000 kB\nVmRSS:\t   70000 kB\n"
    assert right_size.parse_proc_status(text) == ProcessMemory(
        rss_bytes=70000 * 1024, peak_bytes=75000 * 1024
    )
    with pytest.raises(ValueError, match="no VmRSS/VmHWM"):
        right_size.parse_proc_status("Name:\tpython\n")


def test_payload_is_the_smoke_row_for_the_sample_models_feature_count() -> None:
    payload, source = right_size.default_payload(10)
    assert payload == DEFAULT_PAYLOAD.encode()
    assert source == "the smoke script's sample row"
    generated, generated_source = right_size.default_payload(4)
    assert generated_source == "one generated row of 4 features"
    assert len(generated.decode().strip().split(",")) == 4


def test_generated_rows_are_deterministic_and_shaped() -> None:
    rows = right_size.payload_rows(10, 100)
    assert rows == right_size.payload_rows(10, 100)
    assert len(rows) == 100
    assert {len(row) for row in rows} == {10}
    assert len({tuple(row) for row in rows}) == 100  # varied, not one row repeated
    other = right_size.payload_rows(3, 5)
    assert all(0 <= value < 1 for row in other for value in row)
    body = right_size.csv_payload(rows[:2])
    assert expected_prediction_count(body, "text/csv") == 2


def test_artifact_sizes_of_the_sample_model() -> None:
    sizes = right_size.artifact_sizes(right_size.DEFAULT_MODEL)
    with tarfile.open(right_size.DEFAULT_MODEL) as archive:
        expected = sum(member.size for member in archive.getmembers() if member.isfile())
    assert sizes.compressed_bytes == right_size.DEFAULT_MODEL.stat().st_size
    assert sizes.uncompressed_bytes == expected


def test_a_real_run_recommends_a_valid_size_and_prints_its_figures(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert right_size.main(["--requests", "20", "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    match = re.search(r"^Recommendation: MemorySizeInMB=(\d+)$", out, re.MULTILINE)
    assert match is not None
    assert int(match.group(1)) in SIZES
    for figure in (
        r"artifact: [\d.]+ KB compressed, [\d.]+ KB uncompressed",
        rf"payload: the smoke script's sample row \(1 row\(s\), "
        rf"{len(DEFAULT_PAYLOAD)} bytes, text/csv\)",
        r"load: 20 requests, concurrency 2, [\d.]+ s: p50 [\d.]+ ms, p95 [\d.]+ ms, "
        r"p99 [\d.]+ ms; failed 0",
        r"server memory: idle [\d.]+ MB \(VmRSS, model loaded\), after load [\d.]+ MB \(VmRSS\), "
        r"peak [\d.]+ MB \(VmHWM\)",
        r"peak [\d.]+ MB x headroom 1.5 \+ container baseline 256 MB = [\d.]+ MB",
        r"not included: ",
    ):
        assert re.search(figure, out), figure


def test_no_fitting_size_exits_1_with_the_reasoning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    load = smoke_load.summarize_load(
        [smoke_load.RequestResult(0, 0, 0.001, smoke_load.OK)], concurrency=1, wall_seconds=0.001
    )
    measured = right_size.Measurement(
        model="big.tar.gz",
        artifact=right_size.ArtifactSizes(compressed_bytes=3000 * MIB, uncompressed_bytes=0),
        payload="x",
        payload_rows=1,
        payload_bytes=1,
        idle=ProcessMemory(rss_bytes=4000 * MIB, peak_bytes=4000 * MIB),
        after_load=ProcessMemory(rss_bytes=4000 * MIB, peak_bytes=5000 * MIB),
        load=load,
    )

    def fake_measure(_options: argparse.Namespace) -> right_size.Measurement:
        return measured

    monkeypatch.setattr(right_size, "measure", fake_measure)
    assert right_size.main([]) == 1
    out = capsys.readouterr().out
    assert "Recommendation: none: no serverless memory size fits" in out
    assert "more than the largest serverless size (6144 MB)" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--headroom", "0.5"], "must be at least 1"),
        (["--concurrency", "0"], "at least 1"),
        (["--model", "/nonexistent/model.tar.gz"], "no such file or directory"),
        (["--payload-file", "/nonexistent.csv"], "/nonexistent.csv"),
    ],
)
def test_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    assert right_size.main(args) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def broken_artifacts(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """Artifacts `make size` must refuse in one line: (path, what the line says)."""
    sample = right_size.DEFAULT_MODEL.read_bytes()
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(sample[: len(sample) // 2])
    not_gzip = tmp_path / "random.tar.gz"
    not_gzip.write_bytes(b"not an archive")
    plain_tar = write_archive(tmp_path / "plain.tar.gz", {"xgboost-model": b"x"}, compress=False)
    no_model = write_archive(tmp_path / "nested.tar.gz", {"model/xgboost-model": b"x"})
    return {
        "truncated": (truncated, f"model artifact '{truncated}' is truncated: "),
        "not gzip": (not_gzip, f"model artifact '{not_gzip}' is not a gzip file "),
        "tar not gzipped": (plain_tar, f"model artifact '{plain_tar}' is a tar archive that is "),
        "no model at root": (no_model, f"model artifact '{no_model}' has no model file at its "),
    }


@pytest.mark.parametrize("case", ["truncated", "not gzip", "tar not gzipped", "no model at root"])
def test_an_artifact_the_endpoint_cannot_load_exits_2_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    path, message = broken_artifacts(tmp_path)[case]
    assert right_size.main(["--model", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {message}")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_make_size_reports_a_truncated_archive_without_a_traceback(
    project_root: Path, tmp_path: Path
) -> None:
    # The issue's `make size` run: a raw EOFError traceback from tarfile before.
    path, message = broken_artifacts(tmp_path)["truncated"]
    result = subprocess.run(
        [sys.executable, "-m", "scripts.right_size", "--model", str(path)],
        cwd=project_root,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
