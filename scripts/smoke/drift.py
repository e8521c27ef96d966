"""The live-configuration check: does the endpoint run what the stack (or template) says?

An endpoint can be InService and answer correctly while running something else: SageMaker rolls
a failed update back to the old endpoint config and returns to InService; someone updates it by
hand; a deploy is skipped. So, once the endpoint is InService, what it reports is compared with
what the stack deployed (scripts/smoke/expected.py), one row per check:

    endpoint config           DescribeEndpoint EndpointConfigName  vs the stack's EndpointConfig
    <variant> MemorySizeInMB, MaxConcurrency, ProvisionedConcurrency
                              DescribeEndpoint CurrentServerlessConfig vs the template's
    <variant> model           the live endpoint config's ModelName vs the stack's Model
    <variant> image, model data
                              the live model's PrimaryContainer vs the template (or stack's Model)
    failure reason            DescribeEndpoint FailureReason: none expected (a rolled-back update
                              leaves one on an InService endpoint)
    endpoint status           InService expected (Updating, RollingBack, SystemUpdating: a
                              deployment is in progress)
    pending deployment        DescribeEndpoint PendingDeploymentSummary: none expected
    <variant> desired serverless config
                              DesiredServerlessConfig: the current one expected

A row is "ok", "drift" (a mismatch: exit code 3) or "skipped" (nothing to compare, with the
reason: a value the template computes, a name only a stack knows, a live resource that cannot be
read). Nothing here prints; report.py shows the rows as a table or as JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import CheckFailedError, error_code, error_message
from .expected import (
    ACCESS_DENIED,
    CONTAINER_FIELDS,
    NONE,
    SERVERLESS_FIELDS,
    Expected,
    ExpectedEndpoint,
    ExpectedVariant,
)

OK, DRIFT, SKIPPED = "ok", "drift", "skipped"
IN_PROGRESS_STATUSES = ("Updating", "RollingBack", "SystemUpdating")


@dataclass(frozen=True, kw_only=True)
class Reading:
    """One live value, or why it could not be read."""

    value: str | None
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class LiveVariant:
    name: str
    current_serverless: Mapping[str, Any] | None  # None: not a serverless variant
    desired_serverless: Mapping[str, Any] | None
    model_name: Reading
    container: Mapping[str, Reading]  # CONTAINER_FIELDS keys -> Reading


@dataclass(frozen=True, kw_only=True)
class LiveEndpoint:
    name: str
    status: str
    failure_reason: str | None
    endpoint_config_name: str
    pending_deployment: str | None
    variants: Mapping[str, LiveVariant] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class CheckRow:
    check: str
    status: str  # OK, DRIFT or SKIPPED
    expected: str
    live: str
    expected_from: str
    note: str = ""  # why skipped, or what the mismatch means


@dataclass(frozen=True, kw_only=True)
class ConfigCheck:
    expected_from: str  # "stack 'X'" or "template 'path'"
    stack_status: str | None
    rows: tuple[CheckRow, ...]

    @property
    def drifted(self) -> list[CheckRow]:
        return [row for row in self.rows if row.status == DRIFT]

    @property
    def skipped(self) -> list[CheckRow]:
        return [row for row in self.rows if row.status == SKIPPED]

    @property
    def drift(self) -> bool:
        return bool(self.drifted)

    def summary(self) -> str:
        status = f" ({self.stack_status})" if self.stack_status else ""
        skipped = f"{len(self.skipped)} skipped"
        if not self.drift:
            return f"matches {self.expected_from}{status}: {len(self.rows)} checks, {skipped}"
        names = ", ".join(row.check for row in self.drifted)
        return (
            f"DRIFT from {self.expected_from}{status}: {len(self.drifted)} of {len(self.rows)} "
            f"checks differ ({names}); {skipped}"
        )

    def drift_message(self) -> str:
        names = ", ".join(row.check for row in self.drifted)
        return (
            f"drift: the endpoint does not run what {self.expected_from} says: "
            f"{len(self.drifted)} check(s) differ ({names}). Find out why (the failure reason, "
            "the stack's events, the rollback alarm), then re-deploy (npx cdk deploy) or point "
            "the endpoint back at the stack's endpoint config: docs/deploy-truth.md"
        )


# --- the live side ---------------------------------------------------------------------------


def _unreadable(error: Exception, what: str) -> str | None:
    """Why a live resource cannot be read (no permission, gone), or None to re-raise."""
    code = error_code(error)
    if code in ACCESS_DENIED or code == "ValidationException":
        return f"{what}: {code}: {error_message(error)}"
    return None


def format_serverless(config: Mapping[str, Any] | None) -> str:
    if not config:
        return f"{NONE} (not a serverless variant)"
    return ", ".join(f"{key}={config[key]}" for key in SERVERLESS_FIELDS if key in config)


def _pending(summary: Mapping[str, Any] | None) -> str | None:
    if not summary:
        return None
    config = summary.get("EndpointConfigName", "?")
    statuses = sorted(
        {
            str(status.get("Status"))
            for variant in summary.get("ProductionVariants", [])
            for status in variant.get("VariantStatus", [])
            if status.get("Status")
        }
    )
    return f"{config} ({', '.join(statuses)})" if statuses else str(config)


def read_live(sagemaker: Any, endpoint_name: str) -> LiveEndpoint:
    """What the endpoint reports: its config, variants, their models; never raises for a config
    or model that cannot be read (that reading says why)."""
    try:
        endpoint = sagemaker.describe_endpoint(EndpointName=endpoint_name)
    except Exception as error:
        if error_code(error) == "ValidationException":
            raise CheckFailedError(f"endpoint {endpoint_name!r} was not found") from None
        raise
    config_name = str(endpoint.get("EndpointConfigName", ""))
    models: dict[str, str] = {}
    config_error = None
    try:
        config = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)
        models = {
            str(v["VariantName"]): str(v.get("ModelName", ""))
            for v in config.get("ProductionVariants", [])
        }
    except Exception as error:
        config_error = _unreadable(error, f"DescribeEndpointConfig {config_name}")
        if config_error is None:
            raise
    described: dict[str, Mapping[str, Any] | str] = {}
    variants: dict[str, LiveVariant] = {}
    for summary in endpoint.get("ProductionVariants", []):
        name = str(summary["VariantName"])
        model = models.get(name)
        if config_error is not None or model is None:
            why = config_error or f"endpoint config {config_name} has no variant {name}"
            model_name = Reading(value=None, error=why)
            container = {key: Reading(value=None, error=why) for key in CONTAINER_FIELDS}
        else:
            model_name = Reading(value=model)
            container = _container(sagemaker, model, described)
        variants[name] = LiveVariant(
            name=name,
            current_serverless=summary.get("CurrentServerlessConfig"),
            desired_serverless=summary.get("DesiredServerlessConfig"),
            model_name=model_name,
            container=container,
        )
    return LiveEndpoint(
        name=endpoint_name,
        status=str(endpoint.get("EndpointStatus", "unknown")),
        failure_reason=endpoint.get("FailureReason") or None,
        endpoint_config_name=config_name,
        pending_deployment=_pending(endpoint.get("PendingDeploymentSummary")),
        variants=variants,
    )


def _container(
    sagemaker: Any, model: str, described: dict[str, Mapping[str, Any] | str]
) -> dict[str, Reading]:
    if model not in described:
        try:
            described[model] = sagemaker.describe_model(ModelName=model)
        except Exception as error:
            why = _unreadable(error, f"DescribeModel {model}")
            if why is None:
                raise
            described[model] = why
    answer = described[model]
    if isinstance(answer, str):
        return {key: Reading(value=None, error=answer) for key in CONTAINER_FIELDS}
    container = answer.get("PrimaryContainer")
    if not isinstance(container, Mapping):
        why = f"model {model} has no PrimaryContainer"
        return {key: Reading(value=None, error=why) for key in CONTAINER_FIELDS}
    return {
        key: Reading(value=str(container[field]) if container.get(field) else NONE)
        for key, field in CONTAINER_FIELDS.items()
    }


# --- the comparison (pure) -------------------------------------------------------------------


def _row(
    check: str,
    expected: Expected,
    live: Reading,
    *,
    ignore_case: bool = False,
) -> CheckRow:
    shown_expected = expected.value if expected.value is not None else "?"
    shown_live = live.value if live.value is not None else "?"
    if expected.value is None:
        return CheckRow(
            check=check,
            status=SKIPPED,
            expected=shown_expected,
            live=shown_live,
            expected_from=expected.source,
            note=expected.skipped or "",
        )
    if live.value is None:
        return CheckRow(
            check=check,
            status=SKIPPED,
            expected=shown_expected,
            live=shown_live,
            expected_from=expected.source,
            note=f"live value not read: {live.error}",
        )
    same = (
        expected.value.lower() == live.value.lower()
        if ignore_case
        else expected.value == live.value
    )
    return CheckRow(
        check=check,
        status=OK if same else DRIFT,
        expected=expected.value,
        live=live.value,
        expected_from=expected.source,
    )


def _variant_rows(expected: ExpectedVariant, live: LiveEndpoint) -> list[CheckRow]:
    variant = live.variants.get(expected.name)
    prefix = expected.name
    if variant is None:
        absent = Reading(
            value=f"no variant {expected.name} (live: {', '.join(live.variants) or NONE})"
        )
        return [
            _row(
                f"{prefix} variant",
                Expected(value="present", source=expected.model_name.source),
                absent,
            )
        ]
    rows = []
    for key in SERVERLESS_FIELDS:
        current = variant.current_serverless
        if current is None:
            value = f"{NONE} (not a serverless variant)"
        else:
            value = str(current[key]) if current.get(key) is not None else NONE
        rows.append(_row(f"{prefix} {key}", expected.serverless[key], Reading(value=value)))
    rows.append(_row(f"{prefix} model", expected.model_name, variant.model_name, ignore_case=True))
    for key in CONTAINER_FIELDS:
        rows.append(_row(f"{prefix} {key}", expected.container[key], variant.container[key]))
    return rows


def _state_rows(live: LiveEndpoint) -> list[CheckRow]:
    """Rows that need no expected value: a failed update, a deployment still under way."""
    rows = [
        _row(
            "failure reason",
            Expected(value=NONE, source="an endpoint whose last update succeeded"),
            Reading(value=live.failure_reason or NONE),
        ),
        _row(
            "endpoint status",
            Expected(value="InService", source="no deployment in progress"),
            Reading(value=live.status),
        ),
        _row(
            "pending deployment",
            Expected(value=NONE, source="no deployment in progress"),
            Reading(value=live.pending_deployment or NONE),
        ),
    ]
    for variant in live.variants.values():
        if variant.desired_serverless is None or variant.current_serverless is None:
            continue
        rows.append(
            _row(
                f"{variant.name} desired serverless config",
                Expected(
                    value=format_serverless(variant.current_serverless),
                    source="its CurrentServerlessConfig (no deployment in progress)",
                ),
                Reading(value=format_serverless(variant.desired_serverless)),
            )
        )
    return rows


def compare(expected: ExpectedEndpoint, live: LiveEndpoint) -> ConfigCheck:
    """Every check, in a fixed order; DRIFT where the endpoint differs from what is expected."""
    rows = [
        _row(
            "endpoint config",
            expected.endpoint_config_name,
            Reading(value=live.endpoint_config_name),
            ignore_case=True,
        )
    ]
    for variant in expected.variants:
        rows += _variant_rows(variant, live)
    rows += _state_rows(live)
    return ConfigCheck(
        expected_from=expected.source, stack_status=expected.stack_status, rows=tuple(rows)
    )


# --- the table -------------------------------------------------------------------------------

COLUMNS = ("result", "check", "expected", "live", "expected from")


def table_lines(check: ConfigCheck, *, indent: str = "   ") -> list[str]:
    """The rows as an aligned text table (a skipped row's reason on the line below it)."""
    cells = [
        (row.status.upper() if row.status == DRIFT else row.status, row.check, row.expected,
         row.live, row.expected_from)
        for row in check.rows
    ]  # fmt: skip
    widths = [max(len(str(c[i])) for c in [COLUMNS, *cells]) for i in range(len(COLUMNS) - 1)]

    def line(values: tuple[str, ...]) -> str:
        aligned = [value.ljust(width) for value, width in zip(values, widths, strict=False)]
        return (indent + "  ".join([*aligned, values[-1]])).rstrip()

    lines = [line(COLUMNS)]
    for row, values in zip(check.rows, cells, strict=True):
        lines.append(line(values))
        if row.note:
            lines.append(f"{indent}{' ' * (widths[0] + 2)}({row.note})")
    return lines
