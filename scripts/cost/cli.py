"""The command: options, the estimate per environment, provenance, exit code (0, or 2)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from stacks.config import ENVIRONMENTS, PROJECT_ROOT, EnvironmentConfig

from .errors import EXIT_BAD_INPUT, EXIT_OK, CostInputError
from .estimate import Estimate, LineItem, estimate
from .prices import FIGURES, RegionPrices, load_prices
from .traffic import load_traffic

PROG = "python -m scripts.cost"
DEFAULT_TRAFFIC = Path("cost/traffic.json")
DEFAULT_PRICES = Path("cost/prices.json")
# The region priced when an environment names none (account-agnostic stacks) and --region is unset.
DEFAULT_REGION = "us-east-1"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Monthly cost estimate per environment from stacks/config.py, a traffic "
        "profile and a price file. Exit 0: estimated (a missing price is reported, with no "
        "total); 2: an input file or option is wrong.",
        epilog="Also: python -m scripts.cost refresh-prices --region R (rewrite the region's "
        "prices from the AWS Price List API; needs credentials; see docs/cost.md).",
    )
    parser.add_argument("--env", action="append", help="only this environment (repeatable)")
    parser.add_argument("--traffic", type=Path, default=DEFAULT_TRAFFIC, help="%(default)s")
    parser.add_argument("--prices", type=Path, default=DEFAULT_PRICES, help="%(default)s")
    parser.add_argument(
        "--region",
        help=f"price every environment in this region (default: the environment's region, "
        f"else {DEFAULT_REGION})",
    )
    parser.add_argument(
        "--chart",
        type=Path,
        help="also write a PNG: monthly on-demand cost against requests per month for each "
        "memory size, with the first environment's traffic (duration and sizes)",
    )
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    environments: Sequence[EnvironmentConfig] = ENVIRONMENTS,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["refresh-prices"]:
        from .refresh import main as refresh_main

        return refresh_main(argv[1:], out=out, err=err)
    args = _parser().parse_args(argv)
    try:
        selected = _select(environments, args.env)
        traffic = load_traffic(_resolve(args.traffic))
        for name in traffic:
            if name not in {environment.name for environment in environments}:
                raise CostInputError(
                    path=str(args.traffic),
                    field=f"environments.{name}",
                    problem="names no environment of stacks/config.py ENVIRONMENTS "
                    f"({', '.join(e.name for e in environments)})",
                )
        estimates: list[tuple[Estimate, RegionPrices]] = []
        for environment in selected:
            if environment.name not in traffic:
                raise CostInputError(
                    path=str(args.traffic),
                    field=f"environments.{environment.name}",
                    problem="is missing; every environment needs a traffic profile",
                )
            region = args.region or environment.region or DEFAULT_REGION
            prices = load_prices(_resolve(args.prices), region=region)
            estimates.append(
                (
                    estimate(
                        environment=environment, traffic=traffic[environment.name], prices=prices
                    ),
                    prices,
                )
            )
    except CostInputError as error:
        err.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    for index, (result, prices) in enumerate(estimates):
        if index:
            out.write("\n")
        out.write(render(result, prices=prices, prices_path=str(args.prices)))
    if args.chart is not None and estimates:
        from .chart import write_chart

        first, prices = estimates[0]
        chart = write_chart(
            args.chart,
            traffic=traffic[first.environment],
            prices=prices,
            max_requests=max(2 * first.requests_per_month, 1000.0),
            label=first.environment,
        )
        out.write(f"\n{chart.message}\n")
    return EXIT_OK


def _resolve(path: Path) -> Path:
    return path if path.is_absolute() or path.exists() else PROJECT_ROOT / path


def _select(
    environments: Sequence[EnvironmentConfig], names: list[str] | None
) -> list[EnvironmentConfig]:
    if not names:
        return list(environments)
    known = {environment.name: environment for environment in environments}
    for name in names:
        if name not in known:
            raise CostInputError(
                path="stacks/config.py",
                field=f"--env {name}",
                problem=f"is not an environment; use one of: {', '.join(known)}",
            )
    return [known[name] for name in names]


def _money(value: float, currency: str) -> str:
    return f"{value:,.2f} {currency}"


def _item_line(item: LineItem, currency: str) -> str:
    """One line item; ``a..b`` when provisioned concurrency's upper bound changes it."""
    quantity = f"{item.quantity:,.3f}"
    if item.ranged:
        quantity += f"..{item.quantity_max:,.3f}"
    if item.cost is None:
        cost = f"n/a: price missing ({item.figure})"
    elif item.ranged and item.cost_max is not None:
        cost = f"{item.cost:,.2f}..{_money(item.cost_max, currency)}"
    else:
        cost = _money(item.cost, currency)
    return f"  {item.label:<52} {quantity:>16} {item.unit:<4} {cost}"


def render(result: Estimate, *, prices: RegionPrices, prices_path: str) -> str:
    """The report of one environment: items, total (or what is missing), assumptions, sources."""
    currency = prices.currency
    lines = [
        f"{result.environment}: {result.memory_gb:g} GB, {result.requests_per_month:,.0f} "
        f"requests per month, region {prices.region}"
    ]
    lines += [_item_line(item, currency) for item in result.items]
    if result.total is None:
        lines.append(
            "  total: not computed, missing price figure(s): "
            + ", ".join(result.missing)
            + f" (null in {prices_path} regions.{prices.region}.figures; enter them from the "
            "source page with its URL and the date you read it)"
        )
    elif result.ranged and result.total_max is not None:
        lines.append(
            f"  {'total per month':<73} {result.total:,.2f}..{_money(result.total_max, currency)}"
        )
    else:
        lines.append(f"  {'total per month':<73} {_money(result.total, currency)}")
    secondary = sorted(
        {item.figure for item in result.items if prices.figures[item.figure].value is not None}
        & {name for name, figure in prices.figures.items() if figure.source_kind == "secondary"}
    )
    if secondary:
        lines.append(
            f"  uses SECONDARY price figures (a third party quoting AWS): {', '.join(secondary)}; "
            "check them on AWS's pricing page"
        )
    if result.ranged:
        lines.append(
            "  a..b: a at the scheduled minimum of provisioned concurrency, b with target "
            "tracking scaled out to the maximum in effect all month (the most it can bill)"
        )
    if result.provisioned_hours:
        hours = ", ".join(
            f"{h:.1f} h at {level:g}" for level, h in result.provisioned_hours.items()
        )
        lines.append(f"  provisioned concurrency schedule per month: {hours}")
    lines.append("  assumptions:")
    lines += [f"    - {assumption}" for assumption in result.assumptions]
    lines.append(f"  prices: {prices_path}, region {prices.region}, {currency}")
    used = {item.figure for item in result.items}
    notes_shown: set[str] = set()
    for name in FIGURES:
        if name not in used:
            continue
        figure = prices.figures[name]
        value = "MISSING (null)" if figure.value is None else f"{figure.value:g} {currency}"
        kind = {"secondary": " (SECONDARY: a third party quoting AWS)", "primary": ""}.get(
            figure.source_kind, f" ({figure.source_kind})"
        )
        lines.append(f"    {name}: {value}; source{kind} {figure.source}, read {figure.read_on}")
        if figure.query:
            lines.append(f"      query: {figure.query}")
        if figure.note and figure.note not in notes_shown:
            lines.append(f"      note: {figure.note}")
            notes_shown.add(figure.note)
        elif figure.note:
            lines.append("      note: as above")
    return "\n".join(lines) + "\n"
