"""The command line: the parser, and the typed options the rest of the script reads."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts._cli import RaisingArgumentParser, positive_int

from .errors import EXIT_MEANINGS, UsageError
from .payload import DEFAULT_CONTENT_TYPE

EPILOG = "exit codes:\n" + "\n".join(
    f"  {code}  {meaning}" for code, meaning in EXIT_MEANINGS.items()
)


@dataclass(frozen=True, kw_only=True)
class Options:
    stack: str | None
    endpoint_name: str | None
    local_url: str | None
    region: str | None
    profile: str | None
    timeout: float
    poll_interval: float
    payload_file: Path | None
    content_type: str
    feature_count: int | None
    model: Path | None
    accept: str | None
    warm_invocations: int
    max_attempts: int
    json: bool
    requests: int | None
    concurrency: int | None
    allow_over_max_concurrency: bool
    config_check: bool  # --no-config-check turns the live-configuration check off
    template: Path | None


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's, except that the exit-code table keeps its lines."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text == EPILOG:
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        prog="python -m scripts.smoke_test",
        description=(
            "Prove a deployed SageMaker Serverless endpoint answers, and (with --stack, or "
            "--endpoint-name with --template) that it runs what the stack says."
        ),
        epilog=EPILOG,
        formatter_class=_HelpFormatter,
    )
    # Not required=True: parse_options names --local-url apart from the two AWS targets.
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--stack", help="CloudFormation stack whose EndpointName output to test")
    target.add_argument("--endpoint-name", help="the endpoint to test")
    target.add_argument(
        "--local-url",
        help="a local server on the container contract, e.g. http://localhost:8080 (no AWS)",
    )
    parser.add_argument("--region", help="AWS region (default: your AWS configuration)")
    parser.add_argument("--profile", help="AWS profile (default: your AWS configuration)")
    parser.add_argument(
        "--timeout", type=_positive_float, default=1200.0, help="seconds to wait (default 1200)"
    )
    parser.add_argument(
        "--poll-interval", type=_positive_float, default=15.0, help="seconds between status checks"
    )
    parser.add_argument(
        "--payload-file",
        "--payload",
        dest="payload_file",
        type=Path,
        metavar="FILE",
        help="request body (default: the sample model's row)",
    )
    parser.add_argument("--content-type", default=DEFAULT_CONTENT_TYPE, help="default text/csv")
    features = parser.add_mutually_exclusive_group()
    features.add_argument(
        "--feature-count",
        type=positive_int,
        metavar="N",
        help="the model's feature count: every CSV row must have exactly N values (libsvm: "
        "indices below N), checked before invoking",
    )
    features.add_argument(
        "--model",
        type=Path,
        metavar="PATH",
        help="read the feature count from this model.tar.gz (needs the construct library)",
    )
    parser.add_argument("--accept", default=None, help="Accept header (default: the image's)")
    parser.add_argument(
        "--warm-invocations", type=int, default=3, help="invocations after the cold one"
    )
    parser.add_argument(
        "--max-attempts", type=int, default=6, help="tries per invocation for retryable errors"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    config = parser.add_argument_group(
        "live configuration",
        "compare what the endpoint runs with what the stack deployed: its endpoint config, "
        "serverless config, model (image, data), no failed or unfinished deployment; a "
        "mismatch is drift (exit code 3). On by default with --stack",
    )
    config.add_argument(
        "--no-config-check",
        dest="config_check",
        action="store_false",
        help="do not compare the endpoint's live configuration with the stack's",
    )
    config.add_argument(
        "--template",
        type=Path,
        metavar="FILE",
        help="with --endpoint-name: the expected values from a synthesized template, e.g. "
        "cdk.out/SageMakerServerless-dev.template.json (only its literal values are compared)",
    )
    load = parser.add_argument_group(
        "load mode", "a bounded burst instead of the cold and warm calls (no retries)"
    )
    load.add_argument(
        "--requests", type=positive_int, help="send exactly N requests and report their figures"
    )
    load.add_argument(
        "--concurrency",
        type=positive_int,
        help="at most C requests in flight (default 1; at most the endpoint's MaxConcurrency)",
    )
    load.add_argument(
        "--allow-over-max-concurrency",
        action="store_true",
        help="let --concurrency exceed the endpoint's MaxConcurrency (to measure throttling)",
    )
    return parser


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = build_parser()
    namespace = parser.parse_args(argv)
    if namespace.stack is None and namespace.endpoint_name is None and namespace.local_url is None:
        parser.error(
            "one of the arguments --stack --endpoint-name is required "
            "(or --local-url for a local server)"
        )
    if namespace.requests is None and (
        namespace.concurrency is not None or namespace.allow_over_max_concurrency
    ):
        parser.error("--concurrency and --allow-over-max-concurrency need --requests (load mode)")
    if namespace.template is not None:
        if namespace.endpoint_name is None:
            parser.error(
                "--template goes with --endpoint-name (with --stack the check reads the deployed "
                "stack's own template; a local server has no configuration to check)"
            )
        if not namespace.config_check:
            parser.error("--template and --no-config-check contradict each other; pass one")
    return Options(**vars(namespace))
