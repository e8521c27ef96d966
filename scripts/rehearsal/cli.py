"""The command line: options, set-up check, the run in a temporary directory, exit codes.

``main()`` is what ``python -m scripts.rehearse`` (``make rehearse``) runs: it prints progress on
stderr, then the summary (report.py) or, with ``--json``, one JSON report on stdout.
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from scripts._cli import RaisingArgumentParser
from scripts.rehearsal.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_USAGE,
    RehearsalFailedError,
    UsageError,
)
from scripts.rehearsal.report import Report, print_summary
from scripts.rehearsal.sequence import Rehearsal
from scripts.rehearsal.settings import CDK_CLI, NODE, PROJECT_ROOT, SERVERLESS_MEMORY_SIZES
from scripts.update_plan import SPEC_DATABASE


def _memory_size(text: str) -> int:
    if not text.isdigit() or int(text) not in SERVERLESS_MEMORY_SIZES:
        sizes = ", ".join(map(str, SERVERLESS_MEMORY_SIZES))
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {sizes}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        description="Rehearse bootstrap, deploy, smoke test, update and destroy against moto.",
        epilog="Exit codes: 0 passed, 1 a step failed, 2 usage or set-up error.",
    )
    parser.add_argument(
        "--update-environment",
        default="dev",
        help="environment whose memory size the update changes",
    )
    parser.add_argument(
        "--update-memory",
        type=_memory_size,
        help="the new memory size in MB (default: one step from the current one)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    parser.add_argument("-v", "--verbose", action="store_true", help="show every command's output")
    parser.add_argument(
        "--keep-temp", action="store_true", help="keep the temporary directory (logs, assemblies)"
    )
    return parser


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def check_setup() -> None:
    for required in (NODE, CDK_CLI, SPEC_DATABASE):
        if not required.exists():
            raise UsageError(f"{required.relative_to(PROJECT_ROOT)} is missing; run `make setup`")


def rehearse(argv: Sequence[str] | None, report: Report) -> int:
    """Run the rehearsal into ``report``; returns the exit code."""
    workdir: Path | None = None
    keep_temp = False
    try:
        options = build_parser().parse_args(argv)
        keep_temp = options.keep_temp
        check_setup()
        workdir = Path(tempfile.mkdtemp(prefix="rehearse-"))
        Rehearsal(options, report).run(workdir)
        report.ok = True
        return EXIT_OK
    except UsageError as error:
        report.error = f"usage: {error}"
        return EXIT_USAGE
    except RehearsalFailedError as error:
        report.error, keep_temp = str(error), True
        return EXIT_FAILURE
    except KeyboardInterrupt:
        report.error = "interrupted"
        return EXIT_INTERRUPTED
    except Exception as error:  # a bug or an emulator surprise: say what, keep the logs
        traceback.print_exc()
        report.error, keep_temp = f"unexpected {type(error).__name__}: {error}", True
        return EXIT_FAILURE
    finally:
        if workdir is not None and keep_temp:
            print(f"logs and cloud assemblies kept in {workdir}", file=sys.stderr)
        elif workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    report = Report()
    as_json = "--json" in (sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    # Ctrl-C, kill and a closed terminal all end as KeyboardInterrupt, so the moto server is
    # always stopped (set explicitly: a shell may start background jobs with SIGINT ignored).
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous_handlers = {sig: signal.signal(sig, _raise_interrupt) for sig in stop_signals}
    try:
        code = rehearse(argv, report)
    finally:
        for sig, handler in previous_handlers.items():
            signal.signal(sig, handler)
    report.seconds = round(time.monotonic() - started, 1)
    if as_json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        print_summary(report)
    return code
