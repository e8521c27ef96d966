"""The command: options, resolving each environment's version, recording it."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from stacks.config import ENVIRONMENTS, PROJECT_ROOT, EnvironmentConfig
from stacks.model_registry import package_source

from .context_file import ContextFileError, read_context, write_context
from .registry import Recorded, RegistryError, record_versions

PROG = "python -m scripts.model_registry"
EXIT_OK, EXIT_FAILED = 0, 2


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    refresh = commands.add_parser(
        "refresh", help="resolve the environment's model package version into cdk.context.json"
    )
    which = refresh.add_mutually_exclusive_group(required=True)
    which.add_argument("--env", action="append", help="an environment of stacks/config.py")
    which.add_argument(
        "--all", action="store_true", help="every environment that names a model_package"
    )
    refresh.add_argument("--profile", help="the AWS profile to read the registry with")
    refresh.add_argument(
        "--context-file",
        type=Path,
        default=PROJECT_ROOT / "cdk.context.json",
        help="where to record (default: cdk.context.json of the project)",
    )
    return parser.parse_args(argv)


def chosen(
    names: Sequence[str] | None, environments: Sequence[EnvironmentConfig]
) -> list[EnvironmentConfig]:
    by_name = {config.name: config for config in environments}
    if names is None:
        return [config for config in environments if config.model_package is not None]
    unknown = [name for name in names if name not in by_name]
    if unknown:
        raise RegistryError(
            f"unknown environment(s) {', '.join(map(repr, unknown))}; stacks/config.py has "
            f"{', '.join(map(repr, by_name))}"
        )
    plain = [name for name in names if by_name[name].model_package is None]
    if plain:
        raise RegistryError(
            f"environment(s) {', '.join(map(repr, plain))} name no model_package in "
            "stacks/config.py (they deploy model_artifact): nothing to refresh"
        )
    return [by_name[name] for name in names]


def refresh(
    environments: Sequence[EnvironmentConfig],
    *,
    client: Callable[[str, str], Any],
    caller_account: Callable[[], str],
    default_region: str | None,
    environ: Mapping[str, str],
    context: dict[str, Any],
) -> list[Recorded]:
    """Resolve each environment's version into ``context``; ``client(service, region)``."""
    sources = []
    for config in environments:
        assert config.model_package is not None  # chosen() kept only these
        account = config.account or environ.get("CDK_DEFAULT_ACCOUNT") or caller_account()
        region = config.region or environ.get("CDK_DEFAULT_REGION") or default_region
        source = package_source(config.model_package, account=account, region=region)
        if isinstance(source, str):
            raise RegistryError(f"environment {config.name!r}: {source}")
        sources.append((config.name, source))
    return record_versions(sources, client=client, context=context)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    import boto3  # here: --help works without it
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        session = boto3.Session(profile_name=args.profile)
        context = read_context(args.context_file)
        recorded = refresh(
            chosen(args.env, ENVIRONMENTS),
            client=lambda service, region: session.client(service, region_name=region),
            caller_account=lambda: str(session.client("sts").get_caller_identity()["Account"]),
            default_region=session.region_name,
            environ=os.environ,
            context=context,
        )
    except (RegistryError, ContextFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (BotoCoreError, ClientError) as error:
        print(f"error: could not read the Model Registry: {error}", file=sys.stderr)
        return EXIT_FAILED
    if not recorded:
        print("No environment of stacks/config.py names a model_package: nothing to refresh.")
        return EXIT_OK
    write_context(args.context_file, context)
    for item in recorded:
        change = (
            "unchanged"
            if item.previous_arn == item.arn
            else f"was {item.previous_arn}"
            if item.previous_arn
            else "new record"
        )
        print(f"{item.env}: {item.arn} ({change}) -> {args.context_file.name} {item.key!r}")
    return EXIT_OK
