"""The report: what was checked and measured, as text or as one JSON document."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field

from .drift import ConfigCheck, table_lines
from .errors import EXIT_DRIFT, EXIT_MEANINGS, EXIT_OK, CheckFailedError
from .load import LoadSummary, RequestResult, load_failure, summarize_load
from .predictions import Prediction, format_prediction, parse_predictions


@dataclass
class Report:
    """Filled in as the run goes (not frozen): what the JSON report and the summary show."""

    endpoint_name: str
    region: str
    region_source: str | None = None  # e.g. "AWS_REGION" (scripts/smoke/region.py)
    status: str = "unknown"
    predictions: list[Prediction] = field(default_factory=list)
    cold_latency_ms: float | None = None
    warm_latencies_ms: list[float] = field(default_factory=list)
    attempts: int = 0
    ok: bool = False
    error: str | None = None
    load: LoadSummary | None = None
    feature_count: int | None = None
    feature_check: str | None = None  # what was checked, or why not (scripts/smoke/features.py)
    config_check: ConfigCheck | None = None  # the live-configuration check (drift.py)
    config_check_note: str | None = None  # why it did not run, when it did not
    exit_code: int | None = None  # set by cli.main with ok: 0 is the only code where ok is true
    # The Model Registry version the stack deployed (its ModelPackageVersionArn output), if any.
    model_package: str | None = None

    @property
    def warm_p50_ms(self) -> float | None:
        return statistics.median(self.warm_latencies_ms) if self.warm_latencies_ms else None


def record_answer(
    report: Report, answer: bytes, *, seconds: float, attempts: int, expected: int | None
) -> None:
    """Check one answer (one prediction of finite numbers per row) and add it to the report."""
    predictions = parse_predictions(answer)
    if expected is not None and len(predictions) != expected:
        raise CheckFailedError(
            f"sent {expected} row(s) but got {len(predictions)} prediction(s): {answer[:200]!r}"
        )
    if report.attempts == 0:
        report.predictions = predictions
        report.cold_latency_ms = round(seconds * 1000, 1)
    else:
        report.warm_latencies_ms.append(round(seconds * 1000, 1))
    report.attempts += attempts


def finish_load(
    report: Report,
    results: list[RequestResult],
    *,
    wall_seconds: float,
    concurrency: int,
    max_concurrency: int | None,
) -> Report:
    report.load = summarize_load(
        results,
        concurrency=concurrency,
        wall_seconds=wall_seconds,
        max_concurrency=max_concurrency,
    )
    report.attempts = len(results)
    report.error = load_failure(report.load)
    report.ok = report.error is None
    return report


def format_load(summary: LoadSummary) -> list[str]:
    limit = (
        "no MaxConcurrency (local server)"
        if summary.max_concurrency is None
        else f"MaxConcurrency {summary.max_concurrency}"
    )
    rate = summary.requests_per_second
    lines = [
        f"   load: {summary.requests} requests, concurrency {summary.concurrency}, {limit}, "
        f"{summary.wall_seconds:.2f} s" + (f", {rate:.0f} requests/s" if rate else ""),
        f"   latency of {summary.succeeded} successful: p50 {summary.p50_ms} ms, "
        f"p95 {summary.p95_ms} ms, p99 {summary.p99_ms} ms, max {summary.max_ms} ms",
        f"   cold starts {summary.cold_starts} (first calls over "
        f"{summary.cold_start_threshold_ms:g} ms); throttled {summary.throttled}; "
        f"failed {summary.failed}",
    ]
    if summary.failure_reasons:
        reasons = ", ".join(
            f"{reason} x{count}" for reason, count in summary.failure_reasons.items()
        )
        lines.append(f"   failures: {reasons}")
    return lines


def json_document(report: Report) -> dict[str, object]:
    document = asdict(report) | {"warm_p50_ms": report.warm_p50_ms}
    if report.load is not None:
        document["load"]["requests_per_second"] = report.load.requests_per_second
    if report.config_check is not None:
        document["config_check"]["drift"] = report.config_check.drift
    code = report.exit_code
    document["exit_meaning"] = EXIT_MEANINGS.get(code) if code is not None else None
    return document


def print_report(report: Report, *, as_json: bool) -> None:
    """The report on stdout: one JSON document, or the text summary (with the configuration
    table whenever the check ran)."""
    if as_json:
        print(json.dumps(json_document(report), sort_keys=True))
        return
    answered = report.exit_code in (EXIT_OK, EXIT_DRIFT)
    verdict = {EXIT_OK: "OK", EXIT_DRIFT: "DRIFT"}.get(report.exit_code or 0, "FAIL")
    if report.load is not None:
        print(f"{verdict} {report.endpoint_name} ({report.region})")
        print("\n".join(format_load(report.load)))
    elif answered:
        shown = ", ".join(format_prediction(p) for p in report.predictions[:5])
        print(f"{verdict} {report.endpoint_name} ({report.region}) answered: {shown}")
        print(f"   cold call {report.cold_latency_ms} ms; warm p50 {report.warm_p50_ms} ms")
    else:
        print(f"{verdict} {report.endpoint_name} ({report.region})")
    if report.model_package:
        print(f"   model package: {report.model_package}")
    if report.feature_check:
        print(f"   features: {report.feature_check}")
    if report.config_check is not None:
        print(f"   configuration: {report.config_check.summary()}")
        print("\n".join(table_lines(report.config_check, indent="     ")))
    elif report.config_check_note:
        print(f"   configuration: {report.config_check_note}")
