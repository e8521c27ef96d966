"""The account's serverless concurrency quota, read from Service Quotas by its name.

Its QuotaCode (L-96300102) appears only in public third-party code, not in AWS's documentation,
so the quota is found by name: ListServiceQuotas (the account's applied values), else
ListAWSDefaultServiceQuotas (AWS's defaults: some quotas have no applied value listed). The
name is matched exactly (case and spacing aside); if AWS renames it, the one quota whose name
holds "total", "concurrency" and "serverless" but not "provisioned" is taken, and the output says
it was matched by pattern.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from scripts.smoke.errors import error_code, error_message
from stacks.quota import QUOTA_NAME

from .errors import PreflightError, explain

SERVICE_CODE = "sagemaker"
# Seen in public third-party code (console links and constants), not confirmed by AWS docs: shown
# next to the code actually found, never used to look the quota up.
PUBLISHED_QUOTA_CODE = "L-96300102"
APPLIED, AWS_DEFAULT, EMULATED = "applied", "aws-default", "emulated"
_PATTERN_WORDS = ("total", "concurrency", "serverless")


@dataclass(frozen=True, kw_only=True)
class QuotaValue:
    """The quota the deploy is checked against, and where it came from."""

    value: int
    source: str  # APPLIED, AWS_DEFAULT or EMULATED
    name: str | None
    code: str | None
    found_by: str | None  # "name" or "pattern"; None when emulated
    detail: str  # how it was read, or why it is emulated

    @property
    def emulated(self) -> bool:
        return self.source == EMULATED


class _NotAvailableError(Exception):
    """The endpoint has no such list (an emulator that lacks it, or no quotas for the service)."""


def _normalized(name: object) -> str:
    return " ".join(str(name or "").lower().split())


def _pages(client: Any, method: str) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        arguments: dict[str, Any] = {"ServiceCode": SERVICE_CODE, "MaxResults": 100}
        if token:
            arguments["NextToken"] = token
        page: dict[str, Any] = getattr(client, method)(**arguments)
        yield page
        token = page.get("NextToken")
        if not token:
            return


def _list(client: Any, operation: str, method: str, caller: str | None) -> list[dict[str, Any]]:
    quotas: list[dict[str, Any]] = []
    try:
        for page in _pages(client, method):
            quotas += page.get("Quotas", [])
    except NotImplementedError:  # moto in-process: an operation it does not emulate
        raise _NotAvailableError("not implemented by this endpoint (an AWS emulator)") from None
    except Exception as error:
        code = error_code(error)
        if code == "NoSuchResourceException":
            raise _NotAvailableError(f"{code}: {error_message(error)}") from None
        if code.isdigit():  # an HTTP status and no AWS error code: not an AWS answer
            raise _NotAvailableError(
                f"HTTP {code} with no AWS error code (not implemented by this endpoint?)"
            ) from None
        raise explain(error, operation=operation, service="Service Quotas", caller=caller) from None
    return quotas


def _match(quotas: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, str]:
    """The quota and how it was found ("name", "pattern"), or None and why not."""
    for quota in quotas:
        if _normalized(quota.get("QuotaName")) == _normalized(QUOTA_NAME):
            return quota, "name"
    candidates = []
    for quota in quotas:
        name = _normalized(quota.get("QuotaName"))
        if all(word in name for word in _PATTERN_WORDS) and "provisioned" not in name:
            candidates.append(quota)
    if len(candidates) == 1:
        return candidates[0], "pattern"
    if candidates:
        names = "; ".join(f"{q.get('QuotaName')!r} ({q.get('QuotaCode')})" for q in candidates)
        raise PreflightError(
            f"Service Quotas lists no quota named {QUOTA_NAME!r} for {SERVICE_CODE!r} and several "
            f"that could be it: {names}; the preflight cannot tell which one limits serverless "
            "endpoints"
        )
    return None, f"{len(quotas)} quotas listed, none named {QUOTA_NAME!r}"


def _value(quota: dict[str, Any], *, source: str, found_by: str, detail: str) -> QuotaValue:
    try:
        value = int(float(quota["Value"]))
    except (KeyError, TypeError, ValueError):
        raise PreflightError(
            f"Service Quotas returned the quota {quota.get('QuotaName')!r} with no numeric Value: "
            f"{quota.get('Value')!r}"
        ) from None
    return QuotaValue(
        value=value,
        source=source,
        name=str(quota.get("QuotaName") or QUOTA_NAME),
        code=quota.get("QuotaCode"),
        found_by=found_by,
        detail=detail,
    )


def read_quota(client: Any, *, region: str, emulated: int | None, caller: str | None) -> QuotaValue:
    """The quota in ``client``'s region; ``emulated`` only where Service Quotas has no value."""
    tried = []
    for operation, method, source in (
        ("ListServiceQuotas", "list_service_quotas", APPLIED),
        ("ListAWSDefaultServiceQuotas", "list_aws_default_service_quotas", AWS_DEFAULT),
    ):
        try:
            quota, how = _match(_list(client, operation, method, caller))
        except _NotAvailableError as reason:
            tried.append(f"{operation}: {reason}")
            continue
        if quota is not None:
            before = f" ({'; '.join(tried)})" if tried else ""
            detail = f"{operation}{before}, found by {how}"
            return _value(quota, source=source, found_by=how, detail=detail)
        tried.append(f"{operation}: {how}")
    why = "; ".join(tried)
    if emulated is not None:
        return QuotaValue(
            value=emulated,
            source=EMULATED,
            name=None,
            code=None,
            found_by=None,
            detail=(
                f"--emulate-quota {emulated}: Service Quotas has no value for this quota here "
                f"({why}); for AWS emulators only, not an account's quota"
            ),
        )
    raise PreflightError(
        f"Service Quotas has no quota named {QUOTA_NAME!r} for service {SERVICE_CODE!r} in "
        f"{region} ({why}). Check the name in the Service Quotas console (its code was "
        f"{PUBLISHED_QUOTA_CODE} in public examples); against an AWS emulator without SageMaker "
        "quotas, pass --emulate-quota N"
    )
