"""The traffic profile (``cost/traffic.json``): what each environment is expected to serve."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import CostInputError
from .prices import _read_json

# The mean duration used when the profile gives none: the p50 that `make size` measured for the
# sample model in the local server (docs/your-model.md, `make size`), 3.44 ms. The
# managed container adds its own overhead: replace it with what `make size` or the smoke script's
# load mode (`--load`, p50) measured for your model.
DEFAULT_MEAN_DURATION_MS = 3.44
_ENV_KEYS = frozenset(
    {
        "requests_per_month",
        "requests_per_hour_of_day",
        "mean_duration_ms",
        "request_bytes",
        "response_bytes",
        "provisioned_hours",
        "note",
    }
)


@dataclass(frozen=True, kw_only=True)
class ProvisionedHours:
    """``hours_per_month`` hours at ``concurrency`` units of provisioned concurrency."""

    concurrency: int
    hours_per_month: float


@dataclass(frozen=True, kw_only=True)
class Traffic:
    """One environment's profile. Exactly one of the two request fields is set."""

    requests_per_month: float | None
    requests_per_hour_of_day: tuple[float, ...] | None
    mean_duration_ms: float
    mean_duration_is_default: bool
    request_bytes: float
    response_bytes: float
    provisioned_hours: tuple[ProvisionedHours, ...] | None = None


def load_traffic(path: Path) -> Mapping[str, Traffic]:
    """Every environment's profile, or CostInputError naming the field at fault."""
    shown = str(path)
    data = _read_json(path)
    environments = data.get("environments") if isinstance(data, dict) else None
    if not isinstance(environments, dict):
        raise CostInputError(
            path=shown,
            field="environments",
            problem="is missing; use an object keyed by environment name",
        )
    return MappingProxyType(
        {
            name: _traffic(raw, where=f"environments.{name}", path=shown)
            for name, raw in environments.items()
        }
    )


def _number(raw: Any, *, where: str, path: str, positive: bool = False) -> float:
    if (
        isinstance(raw, bool)
        or not isinstance(raw, int | float)
        or raw < 0
        or (positive and raw == 0)
    ):
        allowed = "a number above 0" if positive else "a number of at least 0"
        raise CostInputError(
            path=path, field=where, problem=f"={raw!r} is not allowed; use {allowed}"
        )
    return float(raw)


def _traffic(raw: Any, *, where: str, path: str) -> Traffic:
    if not isinstance(raw, dict):
        raise CostInputError(
            path=path, field=where, problem=f"={raw!r} is not allowed; use an object"
        )
    unknown = sorted(set(raw) - _ENV_KEYS)
    if unknown:
        raise CostInputError(
            path=path,
            field=f"{where}.{unknown[0]}",
            problem=f"is not a known field; use: {', '.join(sorted(_ENV_KEYS))}",
        )
    per_month, per_hour = raw.get("requests_per_month"), raw.get("requests_per_hour_of_day")
    if (per_month is None) == (per_hour is None):
        raise CostInputError(
            path=path,
            field=f"{where}.requests_per_month",
            problem="or requests_per_hour_of_day: set exactly one (a number per month, or a "
            "list of 24 numbers, requests in each hour of the day, UTC)",
        )
    hours: tuple[float, ...] | None = None
    month: float | None = None
    if per_hour is not None:
        if not isinstance(per_hour, list) or len(per_hour) != 24:
            raise CostInputError(
                path=path,
                field=f"{where}.requests_per_hour_of_day",
                problem=f"={per_hour!r} is not allowed; use a list of 24 numbers of at least 0 "
                "(hour 0 is 00:00-01:00 UTC)",
            )
        hours = tuple(
            _number(value, where=f"{where}.requests_per_hour_of_day[{index}]", path=path)
            for index, value in enumerate(per_hour)
        )
    else:
        month = _number(per_month, where=f"{where}.requests_per_month", path=path)
    duration = raw.get("mean_duration_ms")
    return Traffic(
        requests_per_month=month,
        requests_per_hour_of_day=hours,
        mean_duration_ms=(
            DEFAULT_MEAN_DURATION_MS
            if duration is None
            else _number(duration, where=f"{where}.mean_duration_ms", path=path, positive=True)
        ),
        mean_duration_is_default=duration is None,
        request_bytes=_number(raw.get("request_bytes"), where=f"{where}.request_bytes", path=path),
        response_bytes=_number(
            raw.get("response_bytes"), where=f"{where}.response_bytes", path=path
        ),
        provisioned_hours=_provisioned(raw.get("provisioned_hours"), where=where, path=path),
    )


def _provisioned(raw: Any, *, where: str, path: str) -> tuple[ProvisionedHours, ...] | None:
    if raw is None:
        return None
    field = f"{where}.provisioned_hours"
    if not isinstance(raw, list):
        raise CostInputError(
            path=path,
            field=field,
            problem=f"={raw!r} is not allowed; use a list of "
            '{"concurrency": n, "hours_per_month": h}, or leave it out to derive the hours '
            "from the environment's scaling schedules",
        )
    result: list[ProvisionedHours] = []
    for index, item in enumerate(raw):
        at = f"{field}[{index}]"
        if not isinstance(item, dict) or set(item) != {"concurrency", "hours_per_month"}:
            raise CostInputError(
                path=path,
                field=at,
                problem=f"={item!r} is not allowed; use "
                '{"concurrency": whole number 1-200, "hours_per_month": number}',
            )
        concurrency = item["concurrency"]
        if (
            isinstance(concurrency, bool)
            or not isinstance(concurrency, int)
            or not (1 <= concurrency <= 200)
        ):
            raise CostInputError(
                path=path,
                field=f"{at}.concurrency",
                problem=f"={concurrency!r} is not allowed; use a whole number from 1 to 200",
            )
        result.append(
            ProvisionedHours(
                concurrency=concurrency,
                hours_per_month=_number(
                    item["hours_per_month"], where=f"{at}.hours_per_month", path=path
                ),
            )
        )
    return tuple(result)
