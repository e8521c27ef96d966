"""``python -m scripts.cost refresh-prices``: rewrite one region of the price file from the AWS
Price List API (``pricing:GetProducts``, ServiceCode ``AmazonSageMaker``). Needs AWS credentials.

Which products are serverless inference is not documented by AWS. What was found in public code
(docs/cost.md "Price List API refresh" cites it):

- on-demand inference: product family ``ML Serverless``, usagetype ``<prefix>-ServerlessInf:Mem-
  <N>GB``, a price per second for N GB. Three independent third-party sources agree (infracost's
  SageMaker resource, a bulk-offer parser, a note quoting SKU PUE6HBQ8KFHBUN5T
  ``USE1-ServerlessInf:Mem-3GB``): used, and checked to be proportional to memory.
- provisioned concurrency (``ProvisionedConcurrency:Mem-<N>GB``), inference on it (two
  different filters in two versions of infracost's code) and data processed
  (``Data-Bytes-In``/``-Out`` with operation ``Invoke-Endpoint``, one source, shared with
  instance endpoints): could NOT be confirmed. Those figures are left as they are in the file,
  and the products the API returned for them are printed so that a person can decide.
"""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .errors import EXIT_BAD_INPUT, EXIT_OK
from .prices import FIGURES

SERVICE_CODE = "AmazonSageMaker"
# The Price List Query API is served from these regions only (the prices cover every region).
ENDPOINT_REGIONS = ("us-east-1", "ap-south-1")
FAMILY = "ML Serverless"
ON_DEMAND = "on_demand_inference_per_gb_second"
ON_DEMAND_USAGETYPE = re.compile(r"^(?:[A-Z0-9]+-)?ServerlessInf:Mem-(\d+)GB$")
MEMORY_GB = (1, 2, 3, 4, 5, 6)
# Figures whose attributes could not be confirmed, and the attributes that were tried.
UNCONFIRMED: dict[str, str] = {
    "provisioned_concurrency_per_gb_second": (
        f"productFamily={FAMILY!r}, usagetype '<prefix>-ProvisionedConcurrency:Mem-<N>GB' "
        "(infracost only)"
    ),
    "provisioned_inference_per_gb_second": (
        f"productFamily={FAMILY!r}, usagetype '<prefix>-ProvisionedConcurrency:Usage-<N>GB' or "
        "group 'ServerlessProvisionedConcurrency-Duration' (two infracost versions disagree)"
    ),
    "data_processed_in_per_gb": (
        "operation='Invoke-Endpoint', group 'Hosting:IN', usagetype '<prefix>-Data-Bytes-In' "
        "(infracost only; the same SKU may be the instance endpoints')"
    ),
    "data_processed_out_per_gb": (
        "operation='Invoke-Endpoint', group 'Hosting:OUT', usagetype '<prefix>-Data-Bytes-Out' "
        "(infracost only; the same SKU may be the instance endpoints')"
    ),
}
ClientFactory = Callable[[str], Any]  # endpoint region -> a boto3 "pricing" client


class RefreshError(Exception):
    """One line for the user (exit 2): no credentials, API refused, or a surprising answer."""


@dataclass(frozen=True, kw_only=True)
class Product:
    sku: str
    usagetype: str
    unit: str
    price: float  # the rate past any free tier, in USD
    description: str
    effective: str


def filters(region: str, **terms: str) -> list[dict[str, str]]:
    wanted = {"regionCode": region, **terms}
    return [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in wanted.items()]


def get_products(client: Any, region: str, **terms: str) -> list[Product]:
    """Every product matching the filters (all pages), with its on-demand USD rate."""
    products: list[Product] = []
    token = None
    while True:
        request: dict[str, Any] = {
            "ServiceCode": SERVICE_CODE,
            "Filters": filters(region, **terms),
            "FormatVersion": "aws_v1",
            "MaxResults": 100,
        }
        if token:
            request["NextToken"] = token
        answer = client.get_products(**request)
        for text in answer.get("PriceList", []):
            product = _product(json.loads(text) if isinstance(text, str) else text)
            if product is not None:
                products.append(product)
        token = answer.get("NextToken")
        if not token:
            return sorted(products, key=lambda p: (p.usagetype, p.sku))


def _product(item: dict[str, Any]) -> Product | None:
    attributes = item.get("product", {}).get("attributes", {})
    for term in item.get("terms", {}).get("OnDemand", {}).values():
        dimensions = list(term.get("priceDimensions", {}).values())
        # A free tier is a first range at 0: take the range that runs to infinity.
        paid = [d for d in dimensions if d.get("endRange", "Inf") == "Inf"] or dimensions
        if not paid or "USD" not in paid[0].get("pricePerUnit", {}):
            continue
        return Product(
            sku=str(item.get("product", {}).get("sku", "")),
            usagetype=str(attributes.get("usagetype", "")),
            unit=str(paid[0].get("unit", "")),
            price=float(paid[0]["pricePerUnit"]["USD"]),
            description=str(paid[0].get("description", "")),
            effective=str(term.get("effectiveDate", ""))[:10],
        )
    return None


def on_demand_per_gb_second(products: Sequence[Product]) -> tuple[float, str]:
    """The on-demand rate per GB-second, or RefreshError when the sizes do not give one rate."""
    by_gb: dict[int, Product] = {}
    for product in products:
        match = ON_DEMAND_USAGETYPE.match(product.usagetype)
        if match and product.unit.lower().startswith("second"):
            by_gb[int(match.group(1))] = product
    missing = [gb for gb in MEMORY_GB if gb not in by_gb]
    if missing:
        raise RefreshError(
            f"no on-demand product for {', '.join(f'{gb} GB' for gb in missing)} "
            f"(productFamily {FAMILY!r}, usagetype '*ServerlessInf:Mem-<N>GB', unit seconds); "
            "the file is unchanged"
        )
    rates = {gb: by_gb[gb].price / gb for gb in MEMORY_GB}
    first = rates[1]
    if any(abs(rate - first) > 1e-9 * max(first, 1e-12) for rate in rates.values()):
        shown = ", ".join(f"{gb} GB {by_gb[gb].price:g}/s" for gb in MEMORY_GB)
        raise RefreshError(
            f"the on-demand prices are not proportional to memory ({shown}); the file's one "
            "per-GB-second figure cannot hold them, so the file is unchanged"
        )
    quote = "; ".join(
        f"{by_gb[gb].usagetype} (SKU {by_gb[gb].sku}, effective {by_gb[gb].effective}): "
        f"{by_gb[gb].price:g} USD per {by_gb[gb].unit}"
        for gb in MEMORY_GB
    )
    return first, quote


def refresh(
    *, path: Path, region: str, endpoint_region: str, client: Any, today: str, out: TextIO
) -> None:
    """Query, then rewrite ``region`` in ``path``: the confirmed figure, the rest kept."""
    serverless = get_products(client, region, productFamily=FAMILY)
    rate, quote = on_demand_per_gb_second(serverless)
    data = get_products(client, region, operation="Invoke-Endpoint")
    document = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    regions = document.setdefault("regions", {})
    entry = regions.setdefault(region, {"currency": "USD", "figures": {}})
    if entry.get("currency") != "USD":
        raise RefreshError(f"{path}: regions.{region}.currency is not USD; the file is unchanged")
    figures = entry.setdefault("figures", {})
    query = (
        f"AWS Price List API GetProducts ServiceCode={SERVICE_CODE}, TERM_MATCH "
        f"regionCode={region}, productFamily={FAMILY} (endpoint {endpoint_region}); "
        "usagetype '*ServerlessInf:Mem-<N>GB', rate / N GB"
    )
    figures[ON_DEMAND] = {
        "value": rate,
        "unit": "USD per second per GB of configured memory",
        "source": f"https://api.pricing.{endpoint_region}.amazonaws.com",
        "source_kind": "aws-price-list-api",
        "read_on": today,
        "query": query,
        "quote": quote,
    }
    out.write(f"{ON_DEMAND}: {rate:g} USD per GB-second (from {len(MEMORY_GB)} memory sizes)\n")
    classified = {p.sku for p in serverless if ON_DEMAND_USAGETYPE.match(p.usagetype)}
    for name, tried in UNCONFIRMED.items():
        if name not in figures:
            figures[name] = {
                "value": None,
                "source": f"https://api.pricing.{endpoint_region}.amazonaws.com",
                "read_on": today,
                "note": f"not refreshed: attributes could not be confirmed (tried {tried})",
            }
        out.write(f"{name}: could not be confirmed (tried {tried}); kept as it was\n")
    candidates = [p for p in (*serverless, *data) if p.sku not in classified]
    if candidates:
        out.write("other products returned (for a person to judge; not written):\n")
        for c in candidates:
            out.write(
                f"  {c.usagetype} SKU {c.sku}: {c.price:g} USD per {c.unit}; {c.description}\n"
            )
    entry["figures"] = {name: figures[name] for name in FIGURES if name in figures}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    out.write(f"wrote {path} regions.{region} (read_on {today})\n")


def _boto3_client(endpoint_region: str) -> Any:
    import boto3

    return boto3.client("pricing", region_name=endpoint_region)


def main(
    argv: Sequence[str],
    *,
    client_factory: ClientFactory | None = None,
    today: Callable[[], datetime.date] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    parser = argparse.ArgumentParser(
        prog="python -m scripts.cost refresh-prices",
        description="Rewrite one region of the price file from the AWS Price List API "
        "(needs credentials allowed pricing:GetProducts). Exit 0 written, 2 not written.",
    )
    parser.add_argument("--region", required=True, help="the region to price, e.g. us-east-1")
    parser.add_argument("--prices", type=Path, default=Path("cost/prices.json"))
    parser.add_argument("--endpoint-region", choices=ENDPOINT_REGIONS, default="us-east-1")
    args = parser.parse_args(argv)
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    try:
        client = (client_factory or _boto3_client)(args.endpoint_region)
        date = today() if today else datetime.datetime.now(datetime.UTC).date()
        refresh(
            path=args.prices,
            region=args.region,
            endpoint_region=args.endpoint_region,
            client=client,
            today=date.isoformat(),
            out=out,
        )
    except NoCredentialsError:
        err.write(
            "error: no AWS credentials; refresh-prices calls the AWS Price List API "
            "(pricing:GetProducts). Configure credentials, or edit the price file by hand.\n"
        )
        return EXIT_BAD_INPUT
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        err.write(f"error: the Price List API refused GetProducts ({code}): {error}\n")
        return EXIT_BAD_INPUT
    except (BotoCoreError, RefreshError) as error:
        err.write(f"error: {error}\n")
        return EXIT_BAD_INPUT
    return EXIT_OK
