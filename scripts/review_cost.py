"""The cost part of ``make review``: each environment's monthly estimate before and after a change.

Both sides go through the same code (``scripts.cost``): the settings are read back from a
template (the reviewed snapshot for "before", the fresh synthesis for "after") — MemorySizeInMB,
MaxConcurrency and ProvisionedConcurrency from the EndpointConfig's ServerlessConfig, the
provisioned-concurrency range and its scheduled actions from the ScalableTarget — and estimated
with the same traffic profile (cost/traffic.json) and prices (cost/prices.json).

With every price figure known the totals are compared in money; otherwise the billed quantities
(on-demand GB-s and provisioned-concurrency GB-s per month), with the missing figures named.
A rise above the threshold (a share, e.g. 0.10) is flagged ``ABOVE THE 10% THRESHOLD``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sagemaker_serverless import ProvisionedConcurrencyScaling, ScheduledConcurrency
from scripts.cost.errors import CostInputError
from scripts.cost.estimate import Estimate, estimate
from scripts.cost.prices import RegionPrices
from scripts.cost.traffic import Traffic
from stacks.config import EnvironmentConfig

Template = Mapping[str, Any]
ENDPOINT_CONFIG = "AWS::SageMaker::EndpointConfig"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
PROVISIONED_DIMENSION = "sagemaker:variant:DesiredProvisionedConcurrency"
DEFAULT_THRESHOLD = 0.10
MAX_THRESHOLD = 10.0
# The line items of scripts.cost.estimate compared when money cannot be computed: (label there,
# label here). Inference on provisioned capacity only moves with them; data processed does not
# depend on the template.
COMPARED_QUANTITIES = (
    ("on-demand compute", "on-demand"),
    ("provisioned concurrency (billed while configured)", "provisioned concurrency"),
)


class TemplateSettingsError(Exception):
    """A template's endpoint settings cannot be read back (e.g. an intrinsic function)."""


def parse_threshold(text: str) -> float:
    """``--cost-increase-threshold``: a share from 0 to 10 (0.10 = 10%); ValueError otherwise."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= MAX_THRESHOLD:  # also rejects nan
        raise ValueError(
            f"{text!r} is not allowed; use a share from 0 to {MAX_THRESHOLD:g} "
            "(0.10 flags a rise of more than 10%)"
        )
    return value


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateSettingsError(f"{where}={value!r} is not a whole number in the template")
    return value


def settings_from_template(name: str, template: Template | None) -> EnvironmentConfig | None:
    """The cost-relevant settings of ``template``'s endpoint, or None when it has none."""
    resources: Mapping[str, Any] = (template or {}).get("Resources", {})
    configs = [r for r in resources.values() if r.get("Type") == ENDPOINT_CONFIG]
    if not configs:
        return None
    if len(configs) > 1:
        raise TemplateSettingsError(f"{len(configs)} EndpointConfigs (one is expected)")
    variants = configs[0].get("Properties", {}).get("ProductionVariants", [])
    serverless = [v["ServerlessConfig"] for v in variants if "ServerlessConfig" in v]
    if len(serverless) != 1:
        raise TemplateSettingsError("the EndpointConfig has no single ServerlessConfig variant")
    config = serverless[0]
    provisioned = config.get("ProvisionedConcurrency")
    return EnvironmentConfig(
        name=name,
        memory_size_in_mb=_int(config.get("MemorySizeInMB"), "MemorySizeInMB"),
        max_concurrency=_int(config.get("MaxConcurrency"), "MaxConcurrency"),
        provisioned_concurrency=(
            None if provisioned is None else _int(provisioned, "ProvisionedConcurrency")
        ),
        provisioned_concurrency_scaling=_scaling(resources),
    )


def _scaling(resources: Mapping[str, Any]) -> ProvisionedConcurrencyScaling | None:
    targets = [
        r.get("Properties", {})
        for r in resources.values()
        if r.get("Type") == SCALABLE_TARGET
        and r.get("Properties", {}).get("ScalableDimension") == PROVISIONED_DIMENSION
    ]
    if not targets:
        return None
    if len(targets) > 1:
        raise TemplateSettingsError(f"{len(targets)} provisioned-concurrency ScalableTargets")
    target = targets[0]
    # Target tracking decides the estimate's upper bound (scaled out to the maximum in effect).
    tracking = [
        r.get("Properties", {}).get("TargetTrackingScalingPolicyConfiguration", {})
        for r in resources.values()
        if r.get("Type") == SCALING_POLICY
        and r.get("Properties", {}).get("PolicyType") == "TargetTrackingScaling"
    ]
    target_value = tracking[0].get("TargetValue") if tracking else None
    schedules = []
    for index, action in enumerate(target.get("ScheduledActions", [])):
        where = f"ScheduledActions[{index}].ScalableTargetAction"
        capacity = action.get("ScalableTargetAction", {})
        low, high = capacity.get("MinCapacity"), capacity.get("MaxCapacity")
        schedules.append(
            ScheduledConcurrency(
                name=str(action.get("ScheduledActionName", f"action-{index}")),
                schedule=str(action.get("Schedule", "")),
                min_provisioned_concurrency=None if low is None else _int(low, f"{where}.Min"),
                max_provisioned_concurrency=None if high is None else _int(high, f"{where}.Max"),
                time_zone=action.get("Timezone"),
            )
        )
    return ProvisionedConcurrencyScaling(
        min_provisioned_concurrency=_int(target.get("MinCapacity"), "MinCapacity"),
        max_provisioned_concurrency=_int(target.get("MaxCapacity"), "MaxCapacity"),
        target_utilization=(
            None if not isinstance(target_value, int | float) else float(target_value)
        ),
        schedules=tuple(schedules),
    )


@dataclass(frozen=True)
class Change:
    """One compared figure: its label, unit, before (None: no reviewed endpoint), after."""

    label: str
    unit: str
    before: float | None
    after: float

    @property
    def share(self) -> float | None:
        """The relative rise (0.33 = +33%); None without a before; inf when rising from 0."""
        if self.before is None:
            return None
        if self.before == 0:
            return 0.0 if self.after == 0 else math.inf
        return (self.after - self.before) / self.before

    def above(self, threshold: float) -> bool:
        share = self.share
        return share is not None and share > threshold


@dataclass(frozen=True)
class CostReview:
    """What a change does to one environment's monthly estimate."""

    changes: tuple[Change, ...]
    threshold: float
    money: bool
    missing: tuple[str, ...] = ()

    @property
    def flagged(self) -> bool:
        return any(change.above(self.threshold) for change in self.changes)

    def line(self, name: str) -> str:
        parts = [_show_change(change, self.threshold) for change in self.changes]
        text = f"{name}: monthly cost " + "; ".join(parts)
        if not self.money:
            text += f"; money not computed (price missing: {', '.join(self.missing)})"
        return text


def compare(
    *,
    name: str,
    old: Template | None,
    new: Template | None,
    traffic: Traffic,
    prices: RegionPrices,
    threshold: float,
) -> CostReview | None:
    """Before and after of ``name``'s monthly estimate; None when ``new`` has no endpoint.

    Raises TemplateSettingsError or CostInputError when a side cannot be estimated.
    """
    after_settings = settings_from_template(name, new)
    if after_settings is None:
        return None
    before_settings = settings_from_template(name, old)
    after = estimate(environment=after_settings, traffic=traffic, prices=prices)
    before = (
        None
        if before_settings is None
        else estimate(environment=before_settings, traffic=traffic, prices=prices)
    )
    missing = tuple(dict.fromkeys((*after.missing, *(before.missing if before else ()))))
    if not missing:
        assert after.total is not None
        total = Change(
            "total",
            prices.currency,
            None if before is None else before.total,
            after.total,
        )
        return CostReview((total,), threshold, money=True)
    changes = []
    for label, shown in COMPARED_QUANTITIES:
        now = _quantity(after, label)
        then = None if before is None else _quantity(before, label)
        if shown != "on-demand" and now == 0 and not then:
            continue  # no provisioned concurrency on either side
        changes.append(Change(shown, "GB-s", then, now))
    return CostReview(tuple(changes), threshold, money=False, missing=missing)


def _quantity(result: Estimate, label: str) -> float:
    return sum(item.quantity for item in result.items if item.label == label)


def _show_change(change: Change, threshold: float) -> str:
    money = change.unit != "GB-s"
    amount = _money if money else _si
    unit = f"{change.unit}/month" if money else "GB-s/month"
    if change.before is None:
        return f"{change.label} {amount(change.after)} {unit} (no reviewed endpoint)"
    share = change.share
    assert share is not None
    percent = "new" if math.isinf(share) else f"{share * 100:+.0f}%"
    text = f"{change.label} {amount(change.before)} -> {amount(change.after)} {unit} ({percent})"
    if change.above(threshold):
        text += f" ABOVE THE {threshold * 100:g}% THRESHOLD"
    return text


def _money(value: float) -> str:
    return f"{value:,.2f}" if abs(value) >= 1 or value == 0 else f"{value:.3g}"


def _si(value: float) -> str:
    """3 significant digits with K/M/G, e.g. 10.7M."""
    for factor, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            return f"{value / factor:.3g}{suffix}"
    return f"{value:.3g}"


def review_cost(
    *,
    name: str,
    old: Template | None,
    new: Template | None,
    traffic: Mapping[str, Traffic],
    prices: RegionPrices,
    threshold: float,
    traffic_path: Path,
) -> tuple[str | None, bool]:
    """The cost line of ``name`` (None: no endpoint) and whether it is flagged."""
    resources: Mapping[str, Any] = (new or {}).get("Resources", {})
    if not any(r.get("Type") == ENDPOINT_CONFIG for r in resources.values()):
        return None, False
    if name not in traffic:
        return f"{name}: monthly cost not estimated (no profile in {traffic_path})", False
    try:
        result = compare(
            name=name, old=old, new=new, traffic=traffic[name], prices=prices, threshold=threshold
        )
    except (TemplateSettingsError, CostInputError) as error:
        return f"{name}: monthly cost not estimated ({error})", False
    if result is None:
        return None, False
    return result.line(name), result.flagged
