"""The command lines of ``make deploy`` and ``make destroy``: options, overrides from the
environment (ALLOW_REPLACEMENT=1, ALLOW_PIPELINE_ENV=1), the run, the summary, the exit code."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from scripts._cli import RaisingArgumentParser, positive_int
from scripts.deploy.deploy import Deployment, DeployOptions
from scripts.deploy.destroy import DestroyOptions, Destruction
from scripts.deploy.errors import (
    EXIT_INTERRUPTED,
    EXIT_MEANINGS,
    EXIT_OK,
    EXIT_USAGE,
    StepError,
    UsageError,
)
from scripts.deploy.progress import Progress
from scripts.deploy.runner import Runner, run_command

_TRUE = {"1", "true", "yes"}
EXIT_EPILOG = "Exit codes: " + "; ".join(f"{code} {text}" for code, text in EXIT_MEANINGS.items())


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", required=True, help="an environment of stacks/config.py")
    parser.add_argument("--profile", help="AWS profile (default: your AWS configuration)")
    parser.add_argument("--app", help="CDK app command (default: cdk.json's, app.py)")
    parser.add_argument(
        "-c", "--context", action="append", default=[], metavar="KEY=VALUE", help="CDK context"
    )
    parser.add_argument(
        "--allow-pipeline-owned",
        action="store_true",
        help="act on an environment only the pipeline deploys (also: ALLOW_PIPELINE_ENV=1)",
    )
    parser.add_argument(
        "--output", type=Path, help="write the cloud assembly here (default: a temporary dir)"
    )
    parser.add_argument(
        "--assembly",
        type=Path,
        help="use this cloud assembly (already synthesized by app.py) instead of synthesizing",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON summary on stdout")


def deploy_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        prog="make deploy ENV=<name>  (python -m scripts.deploy)",
        description="Deploy one environment with the pipeline's checks and the guards "
        "(docs/deploy-from-a-laptop.md).",
        epilog=EXIT_EPILOG,
    )
    _common(parser)
    parser.add_argument(
        "--allow-replacement",
        action="store_true",
        help="deploy even if the endpoint is replaced (also: ALLOW_REPLACEMENT=1)",
    )
    parser.add_argument(
        "--yes",
        action="store_true",
        help="non-interactive: deploy without the CLI's approval prompt for IAM/security changes",
    )
    parser.add_argument("--method", choices=("change-set", "direct"), help="cdk deploy --method")
    parser.add_argument(
        "--cdk-deploy-arg", action="append", default=[], metavar="ARG", help="passed to deploy"
    )
    parser.add_argument(
        "--emulate-quota",
        type=positive_int,
        metavar="N",
        help="AWS EMULATORS ONLY: the preflight's quota when Service Quotas has none",
    )
    parser.add_argument(
        "--smoke-arg", action="append", default=[], metavar="ARG", help="passed to the smoke test"
    )
    return parser


def destroy_parser() -> argparse.ArgumentParser:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        prog="make destroy ENV=<name>  (python -m scripts.destroy)",
        description="Delete one environment's stack, after saying what goes and asking; then "
        "confirm the endpoint, endpoint configs and models are gone.",
        epilog=EXIT_EPILOG,
    )
    _common(parser)
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


def _flag(environ: Mapping[str, str], name: str) -> bool:
    return environ.get(name, "").strip().lower() in _TRUE


def deploy_options(argv: Sequence[str] | None, environ: Mapping[str, str]) -> DeployOptions:
    args = deploy_parser().parse_args(argv)
    return DeployOptions(
        env=args.env,
        profile=args.profile,
        app=args.app,
        context=tuple(args.context),
        allow_replacement=args.allow_replacement or _flag(environ, "ALLOW_REPLACEMENT"),
        allow_pipeline_owned=args.allow_pipeline_owned or _flag(environ, "ALLOW_PIPELINE_ENV"),
        yes=args.yes,
        method=args.method,
        cdk_deploy_args=tuple(args.cdk_deploy_arg),
        emulate_quota=args.emulate_quota,
        smoke_args=tuple(args.smoke_arg),
        output=args.output,
        assembly=args.assembly,
    )


def destroy_options(argv: Sequence[str] | None, environ: Mapping[str, str]) -> DestroyOptions:
    args = destroy_parser().parse_args(argv)
    return DestroyOptions(
        env=args.env,
        profile=args.profile,
        app=args.app,
        context=tuple(args.context),
        yes=args.yes,
        allow_pipeline_owned=args.allow_pipeline_owned or _flag(environ, "ALLOW_PIPELINE_ENV"),
        output=args.output,
        assembly=args.assembly,
    )


def new_session(profile: str | None) -> Any:
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        return boto3.Session(profile_name=profile)
    except ProfileNotFound as error:
        raise UsageError(str(error)) from None


class _Job(Protocol):
    facts: list[str]

    def run(self) -> list[str]: ...


def _run(title: str, start: Callable[[Progress], _Job], *, as_json: bool) -> int:
    """Run the job; print the summary (facts gathered so far, even after a failure)."""
    progress = Progress(title=title)
    job: _Job | None = None
    error = ""
    try:
        job = start(progress)
        job.run()
        code, outcome = EXIT_OK, "done"
    except StepError as failure:
        code, error = failure.code, str(failure)
        outcome = f"{'REFUSED' if code == 3 else 'FAILED'} (exit {code}: {EXIT_MEANINGS[code]})"
        progress.say(f"error: {error}")
    except KeyboardInterrupt:
        code, outcome, error = EXIT_INTERRUPTED, "interrupted", "interrupted"
    facts = job.facts if job is not None else []
    progress.say(progress.summary(outcome=outcome, facts=facts))
    if as_json:
        document = {
            "title": title,
            "exit_code": code,
            "ok": code == EXIT_OK,
            "error": error,
            "facts": facts,
            "steps": [vars(step) for step in progress.steps],
        }
        print(json.dumps(document))
    return code


def _main(
    argv: Sequence[str] | None,
    *,
    verb: str,
    parse: Callable[[Sequence[str] | None, Mapping[str, str]], Any],
    job: Callable[..., _Job],
    environ: Mapping[str, str],
    runner: Runner,
    session_factory: Callable[[str | None], Any],
) -> int:
    """Parse, then run ``job(options, session=, runner=, progress=)`` with one summary."""
    try:
        options = parse(argv, environ)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    as_json = "--json" in (sys.argv[1:] if argv is None else argv)

    def start(progress: Progress) -> _Job:
        session = session_factory(options.profile)
        return job(options, session=session, runner=runner, progress=progress)

    return _run(f"{verb} {options.env}", start, as_json=as_json)


def main_deploy(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    runner: Runner = run_command,
    session_factory: Callable[[str | None], Any] = new_session,
) -> int:
    return _main(
        argv,
        verb="deploy",
        parse=deploy_options,
        job=Deployment,
        environ=environ,
        runner=runner,
        session_factory=session_factory,
    )


def main_destroy(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] = os.environ,
    runner: Runner = run_command,
    session_factory: Callable[[str | None], Any] = new_session,
) -> int:
    return _main(
        argv,
        verb="destroy",
        parse=destroy_options,
        job=Destruction,
        environ=environ,
        runner=runner,
        session_factory=session_factory,
    )
