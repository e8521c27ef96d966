"""The price file (``cost/prices.json``): every figure with its unit, source URL and read date."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any

from .errors import CostInputError

# The figures the estimate uses, and the unit each is stated in (per GB of configured memory).
FIGURES: Mapping[str, str] = MappingProxyType(
    {
        "on_demand_inference_per_gb_second": "per second per GB of memory, on-demand inference",
        "provisioned_concurrency_per_gb_second": (
            "per second per GB of memory, per unit of provisioned concurrency while configured"
        ),
        "provisioned_inference_per_gb_second": (
            "per second per GB of memory, inference duration on provisioned concurrency"
        ),
        "data_processed_in_per_gb": "per GB of request data processed (IN)",
        "data_processed_out_per_gb": "per GB of response data processed (OUT)",
    }
)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIGURE_KEYS = frozenset(
    {"value", "source", "read_on", "note", "unit", "quote", "source_kind", "query"}
)
# primary: AWS's own page; secondary: a third party quoting AWS (printed as such);
# aws-price-list-api: written by `refresh-prices` from GetProducts (``query`` says which filters).
SOURCE_KINDS = ("primary", "secondary", "aws-price-list-api")


@dataclass(frozen=True, kw_only=True)
class PriceFigure:
    """One figure: ``value`` None when it could not be traced to a public page."""

    name: str
    value: float | None
    source: str
    read_on: str
    note: str = ""
    source_kind: str = "primary"
    quote: str = ""  # the exact text the value was read from
    query: str = ""  # the Price List API request, for source_kind aws-price-list-api


@dataclass(frozen=True, kw_only=True)
class RegionPrices:
    region: str
    currency: str
    figures: Mapping[str, PriceFigure]

    def missing(self, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name for name in names if self.figures[name].value is None)


def load_prices(path: Path, *, region: str) -> RegionPrices:
    """The prices of ``region`` from ``path``, or CostInputError naming the field at fault."""
    shown = str(path)
    data = _read_json(path)
    regions = data.get("regions") if isinstance(data, dict) else None
    if not isinstance(regions, dict):
        raise CostInputError(
            path=shown, field="regions", problem="is missing; use an object keyed by region"
        )
    entry = regions.get(region)
    if not isinstance(entry, dict):
        known = ", ".join(sorted(regions)) or "none"
        raise CostInputError(
            path=shown,
            field=f"regions.{region}",
            problem=f"is missing; the file has prices for: {known} (use --region, or add it)",
        )
    where = f"regions.{region}"
    currency = entry.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise CostInputError(
            path=shown,
            field=f"{where}.currency",
            problem=f"={currency!r} is not allowed; use an ISO 4217 code like 'USD'",
        )
    raw = entry.get("figures")
    if not isinstance(raw, dict):
        raise CostInputError(
            path=shown, field=f"{where}.figures", problem="is missing; use an object of figures"
        )
    unknown = sorted(set(raw) - set(FIGURES))
    if unknown:
        raise CostInputError(
            path=shown,
            field=f"{where}.figures.{unknown[0]}",
            problem=f"is not a known figure; use: {', '.join(FIGURES)}",
        )
    figures = {
        name: _figure(raw.get(name), name=name, where=f"{where}.figures.{name}", path=shown)
        for name in FIGURES
    }
    return RegionPrices(region=region, currency=currency, figures=MappingProxyType(figures))


def _figure(raw: Any, *, name: str, where: str, path: str) -> PriceFigure:
    if not isinstance(raw, dict):
        raise CostInputError(
            path=path,
            field=where,
            problem='is missing; use {"value": number or null, "source": URL, '
            '"read_on": "YYYY-MM-DD"}',
        )
    unknown = sorted(set(raw) - _FIGURE_KEYS)
    if unknown:
        raise CostInputError(
            path=path,
            field=f"{where}.{unknown[0]}",
            problem=f"is not allowed; use {', '.join(sorted(_FIGURE_KEYS))}",
        )
    value = raw.get("value")
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int | float) or value < 0
    ):
        raise CostInputError(
            path=path,
            field=f"{where}.value",
            problem=f"={value!r} is not allowed; use a number of at least 0, or null when the "
            "figure cannot be traced to a public page",
        )
    source = raw.get("source")
    if not isinstance(source, str) or not source.startswith("https://"):
        raise CostInputError(
            path=path,
            field=f"{where}.source",
            problem=f"={source!r} is not allowed; use the https:// URL of the public page",
        )
    read_on = raw.get("read_on")
    if not isinstance(read_on, str) or not _DATE.match(read_on):
        raise CostInputError(
            path=path,
            field=f"{where}.read_on",
            problem=f"={read_on!r} is not allowed; use the date the page was read, YYYY-MM-DD",
        )
    texts = {}
    for key in ("note", "unit", "quote", "query"):
        text = raw.get(key, "")
        if not isinstance(text, str):
            raise CostInputError(
                path=path, field=f"{where}.{key}", problem=f"={text!r} is not allowed; use a string"
            )
        texts[key] = text
    kind = raw.get("source_kind", "primary")
    if kind not in SOURCE_KINDS:
        raise CostInputError(
            path=path,
            field=f"{where}.source_kind",
            problem=f"={kind!r} is not allowed; use one of: {', '.join(SOURCE_KINDS)}",
        )
    return PriceFigure(
        name=name,
        value=None if value is None else float(value),
        source=source,
        read_on=read_on,
        note=texts["note"],
        source_kind=kind,
        quote=texts["quote"],
        query=texts["query"],
    )


def _read_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise CostInputError(
            path=str(path), field="(file)", problem=f"cannot be read: {error.strerror or error}"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CostInputError(
            path=str(path),
            field="(file)",
            problem=f"is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}",
        ) from None
