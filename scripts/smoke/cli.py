"""The entry point: parse, run against SageMaker or a local server, print, exit code."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from . import aws, local
from .errors import (
    EXIT_DRIFT,
    EXIT_FAILURE,
    EXIT_OK,
    EXIT_USAGE,
    CheckFailedError,
    UsageError,
)
from .invoke import Clock, Sleep
from .options import parse_options
from .region import resolve_region
from .report import Report, print_report


def main(
    argv: Sequence[str] | None = None,
    *,
    session_factory: Callable[..., Any] | None = None,
    sleep: Sleep = time.sleep,
    clock: Clock = time.monotonic,
) -> int:
    def progress(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    report = Report(endpoint_name="", region="")
    try:
        options = parse_options(argv)
        if options.local_url:
            report = local.run_local(options, sleep=sleep, clock=clock, progress=progress)
        else:
            # Before the session: botocore alone would miss AWS_REGION (scripts/smoke/region.py).
            region = resolve_region(region_option=options.region, profile_option=options.profile)
            if session_factory is None:
                import boto3

                session_factory = boto3.Session
            session = session_factory(profile_name=options.profile, region_name=region.region)
            report.region, report.region_source = region.region, region.source
            report = aws.run(
                options,
                report=report,
                session=session,
                region=region,
                sleep=sleep,
                clock=clock,
                progress=progress,
            )
        code = EXIT_OK if report.ok else EXIT_FAILURE  # a load burst reports its failures
        if code == EXIT_OK and report.config_check is not None and report.config_check.drift:
            code = EXIT_DRIFT
            report.error = report.config_check.drift_message()
    except UsageError as error:
        report.error, code = f"usage: {error}", EXIT_USAGE
    except CheckFailedError as error:
        report.error, code = str(error), EXIT_FAILURE
    except Exception as error:  # AWS errors outside the checks above: report, never trace back
        name = type(error).__name__
        code = EXIT_USAGE if name in {"ProfileNotFound", "NoRegionError"} else EXIT_FAILURE
        report.error = f"{name}: {error}"
    report.exit_code, report.ok = code, code == EXIT_OK
    if as_json or code in (EXIT_OK, EXIT_DRIFT) or report.load is not None or report.config_check:
        print_report(report, as_json=as_json)
    if code != EXIT_OK and not as_json:
        print(f"error: {report.error}", file=sys.stderr)
    return code
