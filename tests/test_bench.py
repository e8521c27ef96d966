"""The benchmark script's plumbing (its figures are measured by `make bench`, never asserted)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from scripts.bench import apps, cli, sections, server
from scripts.bench.noise import Estimate, Verdict
from scripts.bench.report import Row, format_row


def test_unknown_section_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--only", "synth,warp"]) == 2
    assert "unknown section(s) warp" in capsys.readouterr().err


def test_runs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--runs", "0"]) == 2
    assert "at least 1 (got 0 and 3)" in capsys.readouterr().err


def test_rows_report_median_spread_interval_and_verdict() -> None:
    row = Row.judged("synth ratio", "x", (1.50, 1.52, 1.49, 1.51, 1.48), target=1.3)
    assert row.median == 1.5
    line = format_row(row)
    assert "1.50 x" in line
    assert "min     1.48  max     1.52" in line
    assert "95%     1.48 .. 1.52     (n=5)" in line
    assert line.endswith("target <= 1.3: MISSED")


def test_a_noisy_row_says_unstable_instead_of_met() -> None:
    row = Row.judged("synth ratio", "x", (0.6, 2.1, 0.9, 1.8, 1.0), target=1.3)
    line = format_row(row)
    assert "target <= 1.3: unstable (machine busy?)" in line
    assert "met" not in line


class FakeMeasurements:
    """run_measurement's stand-in: construct + synth = fixed + per-endpoint cost x size."""

    def __init__(self, per_endpoint_ms: dict[str, float]) -> None:
        self.per_endpoint_ms = per_endpoint_ms
        self.calls: list[tuple[str, str]] = []

    def __call__(self, kind: str, argument: str = "") -> sections.Sample:
        self.calls.append((kind, argument))
        size = int(argument) if argument.isdigit() else 3
        jitter = (len(self.calls) % 3 - 1) * 0.004  # +-4 ms, deterministic
        seconds = 2.0 + self.per_endpoint_ms.get(kind, 10.0) * size / 1000 + jitter
        return sections.Sample({"construct_and_synth_s": seconds, "process_s": seconds + 1.0})


def figure(line: str) -> float:
    """The median column of a table row."""
    match = re.search(r"\)\s+(-?[0-9.]+) (ms|x)", line)
    assert match is not None, line
    return float(match.group(1))


def test_scaling_interleaves_rotating_sizes_and_fits_a_slope(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = FakeMeasurements({"scaling": 12.0, "scaling-no-packs": 10.0, "peer": 8.0})
    monkeypatch.setattr(sections, "run_measurement", fake)
    assert cli.main(["--only", "scaling", "--runs", "3"]) == 0
    sizes = [int(argument) for _kind, argument in fake.calls]
    # The three apps at each size, one size after the other, the order rotating per repeat.
    assert sizes[:12] == [10, 10, 10, 25, 25, 25, 50, 50, 50, 100, 100, 100]
    assert sizes[12:24] == [25, 25, 25, 50, 50, 50, 100, 100, 100, 10, 10, 10]
    assert {kind for kind, _ in fake.calls} == {"scaling", "scaling-no-packs", "peer"}
    captured = capsys.readouterr()
    ours = next(line for line in captured.out.splitlines() if "ours + packs: marginal" in line)
    assert figure(ours) == pytest.approx(12.0, abs=0.2)
    assert ours.split("  [")[0].endswith("target <= 25: met")
    peer = next(line for line in captured.out.splitlines() if "(peer): marginal" in line)
    assert figure(peer) == pytest.approx(8.0, abs=0.2)
    assert "target" not in peer
    assert "marginal cost, ours + packs / alpha L2 (peer)" in captured.out
    no_packs = next(line for line in captured.out.splitlines() if "no packs: marginal" in line)
    assert figure(no_packs) == pytest.approx(10.0, abs=0.2)
    ratio = next(line for line in captured.out.splitlines() if "ours, no packs / alpha" in line)
    assert figure(ratio) == pytest.approx(10.0 / 8.0, abs=0.05)
    # Progress: every measurement, i of n, with the elapsed time first.
    assert "(1/36) scaling:" in captured.err
    assert "(36/36) scaling:" in captured.err
    assert captured.err.splitlines()[1].startswith("[")


def test_scaling_under_noise_reads_unstable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A busy machine: the larger apps happened to run while the machine was quieter.
    busy = {10: 9.0, 25: 2.0, 50: 7.0, 100: 3.0}
    calls: list[int] = []

    def measurement(kind: str, argument: str = "") -> sections.Sample:
        calls.append(int(argument))
        seconds = busy[int(argument)] + len(calls) % 2
        return sections.Sample({"construct_and_synth_s": seconds, "process_s": seconds})

    monkeypatch.setattr(sections, "run_measurement", measurement)
    assert cli.main(["--only", "scaling", "--runs", "2"]) == 0
    out = capsys.readouterr().out
    ours = next(line for line in out.splitlines() if "ours + packs: marginal" in line)
    assert "unstable (machine busy?)" in ours
    assert ": met" not in ours
    assert "MISSED" not in ours
    assert "Unstable, no verdict" in out


def test_synth_rows_are_judged_by_their_interval(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(
        sections, "run_measurement", FakeMeasurements({"full": 200.0, "bare": 100.0})
    )
    assert cli.main(["--only", "synth", "--runs", "3", "--json"]) == 0
    out = capsys.readouterr().out
    start = out.index("[\n")
    rows = {row["name"]: row for row in json.loads(out[start : out.index("\n]\n") + 2])}
    ratio = rows["synth ratio: full app, with compliance packs / bare (construct + synth)"]
    # (2.0 + 0.6) / (2.0 + 0.3) = 1.13 with +-4 ms of jitter: well under 1.3.
    assert ratio["verdict"] == "met"
    assert ratio["interval_95"]["high"] < 1.3
    assert ratio["n"] == 3


def test_one_suite_run_gives_no_verdict() -> None:
    row = Row.judged("test suite", "s", (58.8,), target=60.0)
    assert row.judgement is not None
    assert row.judgement.verdict is Verdict.NO_VERDICT
    assert "no verdict (one sample" in format_row(row)


def test_peer_app_emits_serverless_endpoints(tmp_path: Path) -> None:
    """The alpha L2 peer: Model, EndpointConfig with a serverless variant, Endpoint (x2)."""
    app = cdk.App(outdir=str(tmp_path), analytics_reporting=False)
    apps.build(app, "peer", "2")
    app.synth()
    template: dict[str, Any] = json.loads((tmp_path / "Peer0.template.json").read_text())
    resources = template["Resources"].values()
    types = [resource["Type"] for resource in resources]
    assert types.count("AWS::SageMaker::Model") == 2
    assert types.count("AWS::SageMaker::Endpoint") == 2
    configs = [r for r in resources if r["Type"] == "AWS::SageMaker::EndpointConfig"]
    assert len(configs) == 2
    for config in configs:
        (variant,) = config["Properties"]["ProductionVariants"]
        assert variant["ServerlessConfig"] == {
            "MaxConcurrency": apps.MAX_CONCURRENCY,
            "MemorySizeInMB": apps.MEMORY_SIZE_IN_MB,
        }
        assert "InstanceType" not in variant
    model = next(r for r in resources if r["Type"] == "AWS::SageMaker::Model")
    image = json.dumps(model["Properties"]["PrimaryContainer"]["Image"])
    assert apps.XGBOOST_ACCOUNT in image
    assert apps.XGBOOST_REPOSITORY in image


def test_unknown_measurement_is_named() -> None:
    with pytest.raises(apps.UnknownMeasurementError, match="unknown measurement 'warp'"):
        apps.build(cdk.App(analytics_reporting=False), "warp", "")


def test_server_section_prints_its_rows_with_targets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A real spawn with few requests: the rows and targets are checked, never the figures.
    monkeypatch.setattr(server, "SERVER_WARMUP_REQUESTS", 1)
    monkeypatch.setattr(server, "SERVER_REQUESTS", 5)
    assert cli.main(["--only", "server", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "server: cold start, spawn to first /ping 200" in out
    assert "target <= 1000" in out
    for label in ("1 row", f"{server.SERVER_BATCH_ROWS} rows"):
        assert f"server: {label}: p50 (keep-alive, http.client)" in out
        assert f"server: {label}: p99" in out
        assert f"in-process: {label}: p50 (DMatrix + Booster.predict)" in out
        assert f"server: {label}: overhead p50 (server - in-process)" in out
    overhead_line = next(line for line in out.splitlines() if "1 row: overhead" in line)
    assert "target <= 1" in overhead_line
    assert "server: peak RSS (VmHWM) after the requests" in out


def test_slope_ratio_carries_both_intervals_or_says_unstable() -> None:
    ours = Estimate(value=20.0, low=18.0, high=22.0, n=20)
    peer = Estimate(value=10.0, low=9.0, high=11.0, n=20)
    row = sections.slope_ratio_row(ours, peer)
    assert row.median == pytest.approx(2.0)
    assert row.interval is not None
    assert (row.interval.low, row.interval.high) == pytest.approx((18 / 11, 22 / 9))
    assert row.judgement is None
    noisy_peer = Estimate(value=10.0, low=-1.0, high=21.0, n=20)
    unstable = sections.slope_ratio_row(ours, noisy_peer)
    assert unstable.judgement is not None
    assert unstable.judgement.verdict is Verdict.UNSTABLE


def test_a_busy_machine_is_named_even_when_the_intervals_look_fine() -> None:
    assert cli.busy_warning(1.5, 2) is None
    warning = cli.busy_warning(10.92, 2)
    assert warning is not None
    assert "load average 10.92 on 2 CPUs" in warning
    assert "even a met or MISSED verdict may be skewed" in warning
