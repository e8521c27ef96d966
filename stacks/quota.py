"""The account's serverless concurrency quota, checked at synth.

SageMaker Serverless Inference caps the total ``MaxConcurrency`` of all serverless endpoints of one
account in one region (a Service Quota of the service ``sagemaker``). A deploy that goes over it
fails late, after the model and the endpoint config were created. So synth adds up the
``max_concurrency`` of the app's endpoints per (account, region) and refuses a group that is over
the quota: ``SERVERLESS_CONCURRENCY_QUOTA`` in stacks/config.py, or when that is None, AWS's
documented default for the group's region (below).

Groups:

- Each endpoint counts once per (account, region, stack name): an environment's stack and its
  pipeline stage's stack with the same name in the same account and region are one endpoint.
- Environment-agnostic stacks (no account or region known at synth, e.g. ``make synth`` with no
  AWS configuration) deploy to the account and region of whoever deploys them, so they are
  checked together as one group, "unknown account/region", against the quota of an unknown
  region: the lower documented default (500) unless the setting says otherwise. They are not also
  added to the groups whose account and region are known: that would refuse apps that AWS accepts,
  e.g. a pinned prod next to an agnostic dev.

Only the endpoints of this app are counted; endpoints already running in the account are not
known at synth. ``make preflight ENV=...`` (scripts/preflight/) reads those and the live quota.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from sagemaker_serverless import ServerlessConfigError

# AWS's documented default of the quota, per region: "Deploy models with Amazon SageMaker
# Serverless Inference", section "Concurrent invocations",
# https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html:
# 1000 in US East (Ohio), US East (N. Virginia), US West (Oregon), Asia Pacific (Singapore),
# Asia Pacific (Sydney), Asia Pacific (Tokyo), Europe (Frankfurt) and Europe (Ireland); 500 in the
# other regions it lists (US West (N. California), Africa (Cape Town), Asia Pacific (Hong Kong),
# Mumbai, Osaka, Seoul, Canada (Central), Europe (London), Milan, Paris, Stockholm, Middle East
# (Bahrain), South America (Sao Paulo)). Sources disagree: earlier versions of the same page said
# 200 for every region (github.com/awsdocs/amazon-sagemaker-developer-guide,
# doc_source/serverless-endpoints.md), and users report accounts with far less (re:Post,
# "total concurrency for serverless infernece is not 200 only 10"). The current page is used here;
# a region it does not list gets the lower figure.
DOCUMENTED_QUOTA_SOURCE = (
    "https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html "
    "(Concurrent invocations)"
)
DOCUMENTED_QUOTA_HIGH = 1000
DOCUMENTED_QUOTA_LOW = 500
DOCUMENTED_QUOTA_HIGH_REGIONS = frozenset(
    {
        "us-east-2",
        "us-east-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-central-1",
        "eu-west-1",
    }
)
SETTING = "SERVERLESS_CONCURRENCY_QUOTA"
QUOTA_NAME = "Maximum total concurrency that can be allocated across all serverless endpoints"


def documented_default_quota(region: str | None) -> int:
    """AWS's documented default for ``region``; the lower figure when unknown or not listed."""
    if region in DOCUMENTED_QUOTA_HIGH_REGIONS:
        return DOCUMENTED_QUOTA_HIGH
    return DOCUMENTED_QUOTA_LOW


@dataclass(frozen=True, kw_only=True)
class EndpointPlacement:
    """One endpoint of the app and where it deploys (None: not known at synth)."""

    stack_name: str
    origin: str  # what puts it there, e.g. "environment 'dev'" or "pipeline stage 'dev'"
    max_concurrency: int
    account: str | None
    region: str | None


@dataclass(frozen=True, kw_only=True)
class QuotaGroup:
    """The endpoints that share one account's quota in one region."""

    account: str | None
    region: str | None
    endpoints: tuple[EndpointPlacement, ...]
    quota: int
    quota_source: str

    @property
    def total(self) -> int:
        return sum(endpoint.max_concurrency for endpoint in self.endpoints)

    @property
    def label(self) -> str:
        if self.account is None and self.region is None:
            return (
                "unknown account/region (environment-agnostic stacks deploy to the account and "
                "region of the deploying profile, so they are counted together)"
            )
        account = f"account {self.account}" if self.account else "unknown account"
        region = f"region {self.region}" if self.region else "unknown region"
        return f"{account}, {region}"


def quota_groups(
    placements: Iterable[EndpointPlacement], *, configured_quota: int | None
) -> list[QuotaGroup]:
    """The placements by (account, region), each endpoint once, in the order first seen."""
    grouped: dict[tuple[str | None, str | None], dict[str, EndpointPlacement]] = {}
    for placement in placements:
        endpoints = grouped.setdefault((placement.account, placement.region), {})
        seen = endpoints.get(placement.stack_name)
        if seen is None:
            endpoints[placement.stack_name] = placement
        elif placement.origin != seen.origin:  # one stack, deployed two ways: one endpoint
            endpoints[placement.stack_name] = replace(
                seen,
                origin=f"{seen.origin} and {placement.origin}",
                max_concurrency=max(seen.max_concurrency, placement.max_concurrency),
            )
    groups = []
    for (account, region), endpoints in grouped.items():
        if configured_quota is not None:
            quota, source = configured_quota, f"{SETTING} in stacks/config.py"
        else:
            quota = documented_default_quota(region)
            where = f"for {region}" if region else "for an unknown region: the lower figure"
            source = (
                f"AWS's documented default {where}, {DOCUMENTED_QUOTA_SOURCE}; set {SETTING} "
                "in stacks/config.py to your account's value"
            )
        groups.append(
            QuotaGroup(
                account=account,
                region=region,
                endpoints=tuple(endpoints.values()),
                quota=quota,
                quota_source=source,
            )
        )
    return groups


def concurrency_quota_problems(
    placements: Iterable[EndpointPlacement], *, configured_quota: int | None
) -> list[str]:
    """One message per (account, region) whose endpoints add up to more than the quota."""
    problems = []
    for group in quota_groups(placements, configured_quota=configured_quota):
        if group.total <= group.quota:
            continue
        endpoints = ", ".join(
            f"{endpoint.stack_name} ({endpoint.origin}) max_concurrency={endpoint.max_concurrency}"
            for endpoint in group.endpoints
        )
        problems.append(
            f"{group.label}: the serverless endpoints' max_concurrency adds up to {group.total}, "
            f"{group.total - group.quota} over the account's total serverless concurrency quota "
            f"of {group.quota} ({group.quota_source}): {endpoints}. Lower max_concurrency, "
            "deploy some of them to another account or region, or raise the quota (Service "
            f"Quotas, service 'sagemaker', {QUOTA_NAME!r}) and set {SETTING}"
        )
    return problems


def check_concurrency_quota(
    placements: Iterable[EndpointPlacement], *, configured_quota: int | None
) -> None:
    """Raise one ``ServerlessConfigError`` naming every group over its quota."""
    problems = concurrency_quota_problems(placements, configured_quota=configured_quota)
    if problems:
        raise ServerlessConfigError(
            problems, subject=f"serverless concurrency quota (stacks/config.py {SETTING})"
        )
