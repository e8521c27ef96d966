"""The command: options, the check, the verdict as text or JSON, the exit code."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scripts._cli import RaisingArgumentParser, positive_int
from scripts.smoke.errors import UsageError
from scripts.smoke.region import ResolvedRegion, resolve_region

from .errors import (
    EXIT_CANNOT_CHECK,
    EXIT_DOES_NOT_FIT,
    EXIT_FITS,
    MAX_ATTEMPTS,
    NO_CREDENTIALS,
    PreflightError,
    explain,
)
from .quota import PUBLISHED_QUOTA_CODE, SERVICE_CODE, QuotaValue, read_quota
from .usage import EndpointUsage, OwnEndpoint, own_endpoint, serverless_endpoints

PROG = "python -m scripts.preflight"


@dataclass(frozen=True, kw_only=True)
class Options:
    env: str
    region: str | None
    profile: str | None
    json: bool
    emulate_quota: int | None


@dataclass(frozen=True, kw_only=True)
class Environment:
    """What the preflight needs of an environment of stacks/config.py."""

    name: str
    stack_name: str
    max_concurrency: int
    account: str | None
    region: str | None
    configured_quota: int | None  # SERVERLESS_CONCURRENCY_QUOTA, what synth checks against


@dataclass(frozen=True, kw_only=True)
class Preflight:
    """Everything read, and the verdict."""

    environment: Environment
    account: str
    caller: str
    region: str
    region_source: str
    quota: QuotaValue
    endpoints: tuple[EndpointUsage, ...]
    own_endpoint: OwnEndpoint
    notes: tuple[str, ...]

    @property
    def others(self) -> tuple[EndpointUsage, ...]:
        return tuple(e for e in self.endpoints if e.name != self.own_endpoint.name)

    @property
    def in_use_by_others(self) -> int:
        return sum(endpoint.max_concurrency for endpoint in self.others)

    @property
    def after_deploy(self) -> int:
        return self.in_use_by_others + self.environment.max_concurrency

    @property
    def spare(self) -> int:
        """What is left after the deploy; negative: how far over the quota it would be."""
        return self.quota.value - self.after_deploy

    @property
    def fits(self) -> bool:
        return self.spare >= 0


def parse_options(argv: Sequence[str] | None) -> Options:
    parser = RaisingArgumentParser(
        usage_error=UsageError,
        prog=PROG,
        description=(
            "Will the environment's deploy fit the account's SageMaker Serverless concurrency "
            "quota? Reads the quota (Service Quotas), the concurrency of the other serverless "
            "endpoints and the environment's own endpoint (its stack's EndpointName output)."
        ),
        epilog="Exit codes: 0 fits, 1 does not fit, 2 the check could not be made.",
    )
    parser.add_argument("--env", required=True, help="an environment of stacks/config.py")
    parser.add_argument(
        "--region", help="AWS region, for an environment without one in stacks/config.py"
    )
    parser.add_argument("--profile", help="AWS profile (default: your AWS configuration)")
    parser.add_argument("--json", action="store_true", help="print one JSON report on stdout")
    parser.add_argument(
        "--emulate-quota",
        type=positive_int,
        metavar="N",
        help="AWS EMULATORS ONLY: the quota to use when Service Quotas has no value for it (moto "
        "has none); never used over a value Service Quotas returns; the output says EMULATED",
    )
    return Options(**vars(parser.parse_args(argv)))


def load_environment(name: str) -> Environment:
    """The environment ``name`` of stacks/config.py (which loads the construct library)."""
    from stacks.node_runtime import use_project_node

    use_project_node()  # stacks.config imports aws_cdk, which starts jsii's Node.js
    from stacks.config import ENVIRONMENTS, SERVERLESS_CONCURRENCY_QUOTA

    for config in ENVIRONMENTS:
        if config.name == name:
            return Environment(
                name=config.name,
                stack_name=config.stack_name,
                max_concurrency=config.max_concurrency,
                account=config.account,
                region=config.region,
                configured_quota=SERVERLESS_CONCURRENCY_QUOTA,
            )
    known = ", ".join(config.name for config in ENVIRONMENTS)
    raise UsageError(f"no environment {name!r} in stacks/config.py (environments: {known})")


def environment_region(options: Options, environment: Environment) -> ResolvedRegion:
    """The environment's pinned region, else the region as the smoke script resolves it."""
    if environment.region is None:
        return resolve_region(region_option=options.region, profile_option=options.profile)
    if options.region and options.region != environment.region:
        raise UsageError(
            f"--region {options.region} disagrees with region={environment.region!r} of "
            f"environment {environment.name!r} in stacks/config.py, where its stack deploys; "
            "drop --region"
        )
    return ResolvedRegion(
        region=environment.region,
        source=f"region of environment {environment.name!r} in stacks/config.py",
    )


def run(
    options: Options, *, environment: Environment, session_factory: Callable[..., Any]
) -> Preflight:
    from botocore.config import Config

    region = environment_region(options, environment)
    session = session_factory(profile_name=options.profile, region_name=region.region)
    if session.get_credentials() is None:
        raise PreflightError(NO_CREDENTIALS)
    config = Config(retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS})

    def client(service: str) -> Any:
        return session.client(service, region_name=region.region, config=config)

    try:
        identity = client("sts").get_caller_identity()
    except Exception as error:
        raise explain(error, operation="GetCallerIdentity", service="STS", caller=None) from None
    account, caller = str(identity["Account"]), str(identity["Arn"])
    if environment.account is not None and environment.account != account:
        raise PreflightError(
            f"the credentials are for account {account} ({caller}), but environment "
            f"{environment.name!r} deploys to account {environment.account} (stacks/config.py); "
            "use that account's credentials (--profile)"
        )
    quota = read_quota(
        client("service-quotas"),
        region=region.region,
        emulated=options.emulate_quota,
        caller=caller,
    )
    own = own_endpoint(client("cloudformation"), environment.stack_name, caller=caller)
    endpoints, notes = serverless_endpoints(client("sagemaker"), caller=caller)
    if own.name is not None and own.name not in {endpoint.name for endpoint in endpoints}:
        notes.append(f"this environment's endpoint {own.name} is not among them")
    if options.emulate_quota is not None and not quota.emulated:
        notes.append(
            f"--emulate-quota {options.emulate_quota} ignored: Service Quotas returned the quota"
        )
    return Preflight(
        environment=environment,
        account=account,
        caller=caller,
        region=region.region,
        region_source=region.source,
        quota=quota,
        endpoints=tuple(sorted(endpoints, key=lambda endpoint: endpoint.name)),
        own_endpoint=own,
        notes=tuple(notes),
    )


def _quota_line(quota: QuotaValue) -> str:
    if quota.emulated:
        return f"quota: {quota.value}, EMULATED ({quota.detail})"
    code = quota.code or "no QuotaCode"
    if quota.code and quota.code != PUBLISHED_QUOTA_CODE:
        code += f", not the {PUBLISHED_QUOTA_CODE} of public examples"
    kind = "this account's applied value" if quota.source == "applied" else "AWS's default value"
    return (
        f"quota: {quota.value}, {kind} of {quota.name!r} ({code}), Service Quotas "
        f"{SERVICE_CODE!r}: {quota.detail}"
    )


def verdict(result: Preflight) -> str:
    emulated = " (EMULATED quota)" if result.quota.emulated else ""
    name = result.environment.name
    if result.fits:
        return f"OK{emulated}: the deploy fits, {result.spare} to spare"
    room = result.quota.value - result.in_use_by_others
    fix = (
        f"lower {name}'s max_concurrency to at most {room} (stacks/config.py)"
        if room >= 1
        else f"the other endpoints already take {result.in_use_by_others}: free some of it"
    )
    return (
        f"DOES NOT FIT{emulated}: {result.after_deploy} is {-result.spare} over the quota of "
        f"{result.quota.value}; {fix}, lower other endpoints' MaxConcurrency, or request a quota "
        "increase in Service Quotas"
    )


def format_text(result: Preflight) -> list[str]:
    environment = result.environment
    lines = [
        f"Quota preflight: environment {environment.name!r} (stack {environment.stack_name}), "
        f"account {result.account}, region {result.region} ({result.region_source})",
        f"  {_quota_line(result.quota)}",
        f"  serverless endpoints in account {result.account}, {result.region}: "
        f"{len(result.endpoints)}",
    ]
    width = max((len(endpoint.name) for endpoint in result.endpoints), default=0)
    for endpoint in result.endpoints:
        line = (
            f"    {endpoint.name:<{width}}  MaxConcurrency {endpoint.max_concurrency:>3}  "
            f"{endpoint.status}"
        )
        if endpoint.name == result.own_endpoint.name:
            line += "  (this environment's: not counted, the deploy replaces it)"
        lines.append(line)
    lines.append(
        f"  this environment's endpoint: {result.own_endpoint.name or 'none'} "
        f"({result.own_endpoint.how})"
    )
    lines += [f"  note: {note}" for note in result.notes]
    lines.append(
        f"  after the deploy: {result.in_use_by_others} (the other endpoints) + "
        f"{environment.max_concurrency} ({environment.name}'s max_concurrency) = "
        f"{result.after_deploy} of {result.quota.value}"
    )
    if not result.quota.emulated and environment.configured_quota is None:
        lines.append(
            f"  synth checks against AWS's documented default (SERVERLESS_CONCURRENCY_QUOTA is "
            f"None); this account's value here is {result.quota.value}: set "
            "SERVERLESS_CONCURRENCY_QUOTA in stacks/config.py to it"
        )
    elif not result.quota.emulated and environment.configured_quota != result.quota.value:
        lines.append(
            f"  SERVERLESS_CONCURRENCY_QUOTA={environment.configured_quota} in stacks/config.py "
            f"differs from this account's {result.quota.value} here"
        )
    lines.append(verdict(result))
    return lines


def as_json(result: Preflight) -> dict[str, Any]:
    document = asdict(result)
    document["own_endpoint"] = asdict(result.own_endpoint)
    document |= {
        "in_use_by_others": result.in_use_by_others,
        "after_deploy": result.after_deploy,
        "spare": result.spare,
        "fits": result.fits,
        "verdict": verdict(result),
        "error": None,
    }
    return document


def main(
    argv: Sequence[str] | None = None, *, session_factory: Callable[..., Any] | None = None
) -> int:
    wants_json = "--json" in (sys.argv[1:] if argv is None else argv)
    try:
        options = parse_options(argv)
        environment = load_environment(options.env)
        if session_factory is None:
            import boto3

            session_factory = boto3.Session
        result = run(options, environment=environment, session_factory=session_factory)
    except (UsageError, PreflightError) as error:
        message = f"usage: {error}" if isinstance(error, UsageError) else str(error)
        _fail(message, as_json=wants_json)
        return EXIT_CANNOT_CHECK
    except Exception as error:  # e.g. ProfileNotFound: report, never trace back
        _fail(f"{type(error).__name__}: {error}", as_json=wants_json)
        return EXIT_CANNOT_CHECK
    if wants_json:
        print(json.dumps(as_json(result), sort_keys=True))
    else:
        print("\n".join(format_text(result)))
    return EXIT_FITS if result.fits else EXIT_DOES_NOT_FIT


def _fail(message: str, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps({"error": message, "fits": None}, sort_keys=True))
    else:
        print(f"error: {message}", file=sys.stderr)
