"""Provisioned concurrency that follows demand: Application Auto Scaling for a serverless variant.

Provisioned concurrency is the one part of a serverless endpoint that bills while idle.
Application Auto Scaling scales it through the scalable dimension
``sagemaker:variant:DesiredProvisionedConcurrency`` (service namespace ``sagemaker``, resource id
``endpoint/<endpoint name>/variant/<variant name>``): target tracking on the predefined metric
``SageMakerVariantProvisionedConcurrencyUtilization`` (the only predefined metric the service
accepts for this dimension, aws-cdk #29065/#29066) and scheduled actions.

Why the scalable target survives endpoint updates: it is keyed by the endpoint's and variant's
names, which stay the same when a change moves the endpoint to a new endpoint config. SageMaker
refuses an update only when it would change a scaled variant's instance type or remove the
variant ("Update endpoints that use auto scaling", SageMaker developer guide); a serverless
variant has no instance type, so updates go through with the target registered. The new config
starts the variant at its ``ProvisionedConcurrency``; scaling then moves it within the range again.
So the construct never ties the target to the endpoint config (it would be replaced, and scaling
paused, on every change) and only makes it wait for the endpoint.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from typing import Any

from ._limits import MAX_CONCURRENCY, MIN_CONCURRENCY, is_token
from .fields import checked_fields, keyword_problems

__all__ = ["ProvisionedConcurrencyScaling", "ScheduledConcurrency"]

SCALABLE_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
# The service-linked role Application Auto Scaling uses for SageMaker variants; created by the
# service on first use, so the construct creates no role of its own.
SERVICE_LINKED_ROLE = (
    "aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Application Auto Scaling's schedule expressions (PutScheduledAction: Schedule).
_CRON = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)$")
_AT = re.compile(r"^at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\)$")
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*?/,#L W-]+$")
_COOLDOWN_MAX_S = 365 * 24 * 3600


@checked_fields
@dataclass(frozen=True, kw_only=True)
class ScheduledConcurrency:
    """A scheduled change of the scaling range, e.g. business hours up, nights down.

    :param name: a name for the action, unique per endpoint (letters, digits, ``-``, ``_``).
    :param schedule: ``cron(minutes hours day-of-month month day-of-week year)``,
        ``rate(<n> minutes|hours|days)`` or ``at(yyyy-mm-ddThh:mm:ss)``, as Application Auto
        Scaling reads it.
    :param min_provisioned_concurrency: the range's new minimum. Default: unchanged.
    :param max_provisioned_concurrency: the range's new maximum. Default: unchanged.
    :param time_zone: the IANA time zone of ``cron``/``at`` (e.g. ``"Europe/Berlin"``).
        Default: UTC.
    """

    name: str
    schedule: str
    min_provisioned_concurrency: int | None = None
    max_provisioned_concurrency: int | None = None
    time_zone: str | None = None

    def problems(self, *, where: str, max_concurrency: Any) -> list[str]:
        # Misspelt keywords; a missing field's value is MISSING, which the checks below name.
        problems = [f"{where}.{problem}" for problem in keyword_problems(self)]
        if not isinstance(self.name, str) or not _NAME.match(self.name):
            problems.append(
                f"{where}.name={self.name!r} is not allowed; use 1-64 letters, digits, '-' "
                "and '_', starting with a letter or digit"
            )
        problems += _schedule_problems(self.schedule, where=f"{where}.schedule")
        if self.min_provisioned_concurrency is None and self.max_provisioned_concurrency is None:
            problems.append(
                f"{where} sets neither min_provisioned_concurrency nor "
                "max_provisioned_concurrency; a scheduled action must change at least one"
            )
        for field in ("min_provisioned_concurrency", "max_provisioned_concurrency"):
            value = getattr(self, field)
            if value is not None:
                problems += _capacity_problems(
                    value, name=f"{where}.{field}", max_concurrency=max_concurrency
                )
        low: Any = self.min_provisioned_concurrency
        high: Any = self.max_provisioned_concurrency
        if _is_int(low) and _is_int(high) and low > high:
            problems.append(
                f"{where}: min_provisioned_concurrency={low} is greater than "
                f"max_provisioned_concurrency={high}"
            )
        if self.time_zone is not None and self.time_zone not in _time_zones():
            problems.append(
                f"{where}.time_zone={self.time_zone!r} is not an IANA time zone name "
                "(e.g. 'Europe/Berlin', 'America/New_York', 'UTC')"
            )
        rate = isinstance(self.schedule, str) and self.schedule.startswith("rate(")
        if self.time_zone is not None and rate:
            problems.append(f"{where}.time_zone is set but a rate() schedule has no time zone")
        return problems


@checked_fields
@dataclass(frozen=True, kw_only=True)
class ProvisionedConcurrencyScaling:
    """Scale provisioned concurrency between a minimum and a maximum.

    The endpoint's ``provisioned_concurrency`` is where the variant starts (and restarts after
    every update that moves it to a new endpoint config); it must lie in the range.

    :param min_provisioned_concurrency: the least provisioned concurrency, 1-200.
    :param max_provisioned_concurrency: the most, at most the endpoint's ``max_concurrency``.
    :param target_utilization: keep ``SageMakerVariantProvisionedConcurrencyUtilization`` (the
        share of provisioned concurrency in use) near this value, above 0 and at most 1; None for
        schedules only. Default: 0.7.
    :param scale_in_cooldown_s: seconds after a scale-in before the next one. Default: 300.
    :param scale_out_cooldown_s: seconds after a scale-out before the next one. Default: 60.
    :param schedules: scheduled changes of the range. Default: none.
    """

    min_provisioned_concurrency: int
    max_provisioned_concurrency: int
    target_utilization: float | None = 0.7
    scale_in_cooldown_s: int = 300
    scale_out_cooldown_s: int = 60
    schedules: tuple[ScheduledConcurrency, ...] = ()

    def problems(self, *, max_concurrency: Any, provisioned_concurrency: Any) -> list[str]:
        """Every problem of this scaling for an endpoint with these settings."""
        where = "provisioned_concurrency_scaling"
        low, high = self.min_provisioned_concurrency, self.max_provisioned_concurrency
        # Misspelt keywords; a missing field's value is MISSING, which the checks below name.
        problems = [f"{where}.{problem}" for problem in keyword_problems(self)]
        problems += _capacity_problems(
            low, name=f"{where}.min_provisioned_concurrency", max_concurrency=max_concurrency
        )
        problems += _capacity_problems(
            high, name=f"{where}.max_provisioned_concurrency", max_concurrency=max_concurrency
        )
        if _is_int(low) and _is_int(high) and low > high:
            problems.append(
                f"{where}.min_provisioned_concurrency={low} is greater than "
                f"max_provisioned_concurrency={high}"
            )
        if provisioned_concurrency is None:
            problems.append(
                f"{where} needs provisioned_concurrency: the endpoint config starts the variant "
                "there and scaling moves it within the range; set provisioned_concurrency to a "
                f"value from {low} to {high}"
            )
        elif (
            _is_int(provisioned_concurrency)
            and _is_int(low)
            and _is_int(high)
            and not low <= provisioned_concurrency <= high
        ):
            problems.append(
                f"provisioned_concurrency={provisioned_concurrency} is outside {where}'s range "
                f"{low}-{high}; the endpoint config starts the variant there"
            )
        target = self.target_utilization
        if target is not None and (
            isinstance(target, bool) or not isinstance(target, int | float) or not 0 < target <= 1
        ):
            problems.append(
                f"{where}.target_utilization={target!r} is not allowed; use a number above 0 "
                "and at most 1 (e.g. 0.7 for 70% of provisioned concurrency in use), or None"
            )
        for field in ("scale_in_cooldown_s", "scale_out_cooldown_s"):
            value = getattr(self, field)
            if not _is_int(value) or not 0 <= value <= _COOLDOWN_MAX_S:
                problems.append(
                    f"{where}.{field}={value!r} is not allowed; use whole seconds from 0 to "
                    f"{_COOLDOWN_MAX_S}"
                )
        if target is None and not self.schedules:
            problems.append(
                f"{where} has neither target_utilization nor schedules: nothing would scale"
            )
        seen: set[str] = set()
        for index, action in enumerate(self.schedules):
            if not isinstance(action, ScheduledConcurrency):  # a dict or tuple from a config
                problems.append(f"{where}.schedules[{index}] is not a ScheduledConcurrency")  # type: ignore[unreachable]
                continue
            problems += action.problems(
                where=f"{where}.schedules[{index}]", max_concurrency=max_concurrency
            )
            if action.name in seen:
                problems.append(f"{where}.schedules: the name {action.name!r} is used twice")
            seen.add(action.name)
        return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _capacity_problems(value: Any, *, name: str, max_concurrency: Any) -> list[str]:
    if is_token(value):
        return []
    if not _is_int(value) or not MIN_CONCURRENCY <= value <= MAX_CONCURRENCY:
        kind = "must be a whole number" if not _is_int(value) else "is out of range"
        return [
            f"{name}={value!r} {kind}; use {MIN_CONCURRENCY}-{MAX_CONCURRENCY}, at most "
            "max_concurrency"
        ]
    if _is_int(max_concurrency) and value > max_concurrency:
        return [f"{name}={value} is greater than max_concurrency={max_concurrency}"]
    return []


def _schedule_problems(schedule: Any, *, where: str) -> list[str]:
    hint = (
        "use cron(minutes hours day-of-month month day-of-week year), rate(<n> minutes|hours|"
        "days) or at(yyyy-mm-ddThh:mm:ss)"
    )
    if not isinstance(schedule, str):
        return [f"{where}={schedule!r} is not a schedule expression; {hint}"]
    rate, cron = _RATE.match(schedule), _CRON.match(schedule)
    problem = None
    if rate is not None:
        if (rate["value"] == "1") != (not rate["unit"].endswith("s")):
            problem = (
                "Application Auto Scaling wants the singular unit for 1 and the plural otherwise "
                "(rate(1 hour), rate(2 hours))"
            )
    elif cron is not None:
        fields = cron["fields"].split()
        if len(fields) != 6 or not all(_CRON_FIELD.match(field) for field in fields):
            problem = (
                "a cron expression has 6 fields (minutes hours day-of-month month day-of-week "
                f"year), this one has {len(fields)}"
            )
        elif (fields[2] == "?") == (fields[4] == "?"):
            problem = (
                "exactly one of day-of-month and day-of-week must be '?' "
                "(e.g. cron(0 8 ? * MON-FRI *))"
            )
    elif not _AT.match(schedule):
        return [f"{where}={schedule!r} is not a schedule expression; {hint}"]
    return [f"{where}={schedule!r}: {problem}"] if problem else []


def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}
