"""``python -m scripts.cost refresh-prices`` against botocore's Stubber (no network).

The prices in these answers are made up; the shape is the Price List API's GetProducts answer.
"""

from __future__ import annotations

import datetime
import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from scripts.cost.cli import main as cost_main
from scripts.cost.prices import load_prices
from scripts.cost.refresh import UNCONFIRMED, filters

RATE = 0.00003  # made up: USD per GB-second


def _item(sku: str, usagetype: str, price: float, *, free_tier: bool = False) -> str:
    dimensions: dict[str, Any] = {
        f"{sku}.T.R": {
            "unit": "Second" if "Inf" in usagetype else "GB",
            "pricePerUnit": {"USD": f"{price:.10f}"},
            "beginRange": "150000" if free_tier else "0",
            "endRange": "Inf",
            "description": f"made-up {usagetype}",
        }
    }
    if free_tier:
        dimensions[f"{sku}.T.F"] = {
            "unit": "Second",
            "pricePerUnit": {"USD": "0.0000000000"},
            "beginRange": "0",
            "endRange": "150000",
            "description": "free tier",
        }
    return json.dumps(
        {
            "product": {
                "productFamily": "ML Serverless",
                "sku": sku,
                "attributes": {"usagetype": usagetype, "regionCode": "us-east-1"},
            },
            "terms": {
                "OnDemand": {
                    f"{sku}.T": {"priceDimensions": dimensions, "effectiveDate": "2026-11-01T00:00"}
                }
            },
        }
    )


def _request(token: str | None = None, **terms: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "ServiceCode": "AmazonSageMaker",
        "Filters": filters("us-east-1", **terms),
        "FormatVersion": "aws_v1",
        "MaxResults": 100,
    }
    if token:
        request["NextToken"] = token
    return request


def _stubbed(serverless: list[list[str]], data: list[str]) -> tuple[Any, Stubber]:
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    for page, items in enumerate(serverless):
        last = page == len(serverless) - 1
        answer: dict[str, Any] = {"PriceList": items, "FormatVersion": "aws_v1"}
        if not last:
            answer["NextToken"] = f"page{page + 1}"
        token = f"page{page}" if page else None
        stubber.add_response("get_products", answer, _request(token, productFamily="ML Serverless"))
    stubber.add_response(
        "get_products",
        {"PriceList": data, "FormatVersion": "aws_v1"},
        _request(operation="Invoke-Endpoint"),
    )
    stubber.activate()
    return client, stubber


def _on_demand(rate: float = RATE, sizes: tuple[int, ...] = (1, 2, 3, 4, 5, 6)) -> list[str]:
    return [
        _item(f"SKU{gb}", f"USE1-ServerlessInf:Mem-{gb}GB", rate * gb, free_tier=True)
        for gb in sizes
    ]


def _run(client: Any, path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = cost_main(
        ["refresh-prices", "--region", "us-east-1", "--prices", str(path)],
        out=out,
        err=err,
    )
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def price_file(tmp_path: Path, project_root: Path) -> Path:
    path = tmp_path / "prices.json"
    path.write_text((project_root / "cost" / "prices.json").read_text())
    return path


def test_filters_are_sent_and_the_confirmed_figure_is_written(
    price_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on_demand = _on_demand()
    pc = _item("PC2", "USE1-ProvisionedConcurrency:Mem-2GB", 0.00001)
    client, stubber = _stubbed(
        [on_demand[:4], [*on_demand[4:], pc]],  # two pages: NextToken is followed
        [_item("DIN", "USE1-Data-Bytes-In", 0.016)],
    )
    monkeypatch.setattr("scripts.cost.refresh._boto3_client", lambda region: client)
    monkeypatch.setattr(
        "scripts.cost.refresh.datetime",
        type("D", (), {"datetime": _FixedNow, "UTC": datetime.UTC}),
    )
    before = load_prices(price_file, region="us-east-1")
    code, out, err = _run(client, price_file)
    stubber.assert_no_pending_responses()  # every expected request, with its filters, was sent
    assert (code, err) == (0, "")
    prices = load_prices(price_file, region="us-east-1")
    figure = prices.figures["on_demand_inference_per_gb_second"]
    assert figure.value == pytest.approx(RATE)  # 6 sizes / their GB, past the free tier
    assert figure.source_kind == "aws-price-list-api"
    assert figure.read_on == "2026-12-02"
    assert "TERM_MATCH regionCode=us-east-1, productFamily=ML Serverless" in figure.query
    assert "USE1-ServerlessInf:Mem-3GB (SKU SKU3" in figure.quote
    for name in UNCONFIRMED:  # kept as the file had them
        assert prices.figures[name] == before.figures[name]
        assert f"{name}: could not be confirmed (tried " in out
    assert "USE1-ProvisionedConcurrency:Mem-2GB SKU PC2" in out  # shown, not written
    assert "USE1-Data-Bytes-In SKU DIN" in out


class _FixedNow:
    @staticmethod
    def now(tz: Any) -> datetime.datetime:
        return datetime.datetime(2026, 12, 2, 1, 0, tzinfo=tz)


@pytest.mark.parametrize(
    ("items", "message"),
    [
        (_on_demand(sizes=(1, 2, 3, 4, 5)), "no on-demand product for 6 GB"),
        (
            [*_on_demand(sizes=(1, 2, 3, 4, 5)), _item("S6", "USE1-ServerlessInf:Mem-6GB", 1.0)],
            "not proportional to memory",
        ),
    ],
)
def test_an_answer_that_does_not_fit_leaves_the_file_unchanged(
    price_file: Path, monkeypatch: pytest.MonkeyPatch, items: list[str], message: str
) -> None:
    before = price_file.read_bytes()
    client = boto3.client(
        "pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    stubber = Stubber(client)
    stubber.add_response(
        "get_products",
        {"PriceList": items, "FormatVersion": "aws_v1"},
        _request(productFamily="ML Serverless"),
    )
    stubber.activate()
    monkeypatch.setattr("scripts.cost.refresh._boto3_client", lambda region: client)
    code, _out, err = _run(client, price_file)
    assert code == 2
    assert message in err
    assert err.count("\n") == 1
    assert price_file.read_bytes() == before


def test_no_credentials_is_one_clear_line(
    price_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(price_file.parent / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(price_file.parent / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    before = price_file.read_bytes()
    out, err = io.StringIO(), io.StringIO()
    code = cost_main(
        ["refresh-prices", "--region", "us-east-1", "--prices", str(price_file)], out=out, err=err
    )
    assert code == 2
    assert err.getvalue() == (
        "error: no AWS credentials; refresh-prices calls the AWS Price List API "
        "(pricing:GetProducts). Configure credentials, or edit the price file by hand.\n"
    )
    assert price_file.read_bytes() == before
