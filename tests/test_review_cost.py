"""scripts/review_cost.py: the monthly estimate before and after a change in `make review`."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scripts import review_diff
from scripts.cost.estimate import estimate
from scripts.cost.prices import FIGURES, RegionPrices, load_prices
from scripts.cost.traffic import Traffic, load_traffic
from scripts.review_cost import compare, parse_threshold, settings_from_template
from stacks.config import ENVIRONMENTS


@pytest.fixture(scope="module")
def reviewed(project_root: Path) -> dict[str, dict[str, Any]]:
    """The reviewed snapshots (no synthesis)."""
    return {
        name: json.loads((project_root / review_diff.snapshot_path(name)).read_text())
        for name in ("dev", "staging", "prod", "pipeline")
    }


@pytest.fixture(scope="module")
def traffic(project_root: Path) -> dict[str, Traffic]:
    return dict(load_traffic(project_root / "cost" / "traffic.json"))


@pytest.fixture(scope="module")
def null_price_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every figure null (the review compares billed GB-s), whatever cost/prices.json holds."""
    figure = {"value": None, "source": "https://example.com/prices", "read_on": "2026-12-01"}
    path = tmp_path_factory.mktemp("null") / "prices.json"
    path.write_text(
        json.dumps(
            {
                "regions": {
                    "us-east-1": {"currency": "USD", "figures": dict.fromkeys(FIGURES, figure)}
                }
            }
        )
    )
    return path


@pytest.fixture(scope="module")
def null_prices(null_price_file: Path) -> RegionPrices:
    return load_prices(null_price_file, region="us-east-1")


@pytest.fixture
def price_file(tmp_path: Path) -> Path:
    figure = {"source": "https://example.com/prices", "read_on": "2026-12-01"}
    values = dict.fromkeys(FIGURES, 0.00001)
    values["data_processed_in_per_gb"] = values["data_processed_out_per_gb"] = 0.016
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "regions": {
                    "us-east-1": {
                        "currency": "USD",
                        "figures": {k: {**figure, "value": v} for k, v in values.items()},
                    }
                }
            }
        )
    )
    return path


def _serverless(template: dict[str, Any]) -> dict[str, Any]:
    (config,) = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::SageMaker::EndpointConfig"
    ]
    serverless: dict[str, Any] = config["Properties"]["ProductionVariants"][0]["ServerlessConfig"]
    return serverless


def _target(template: dict[str, Any]) -> dict[str, Any]:
    (target,) = [
        r
        for r in template["Resources"].values()
        if r["Type"] == "AWS::ApplicationAutoScaling::ScalableTarget"
    ]
    properties: dict[str, Any] = target["Properties"]
    return properties


def test_settings_read_back_from_the_template_estimate_like_the_config(
    reviewed: dict[str, dict[str, Any]], traffic: dict[str, Traffic], null_prices: RegionPrices
) -> None:
    for environment in ENVIRONMENTS:
        settings = settings_from_template(environment.name, reviewed[environment.name])
        assert settings is not None
        assert settings.memory_size_in_mb == environment.memory_size_in_mb
        assert settings.provisioned_concurrency == environment.provisioned_concurrency
        # The same arithmetic as `make cost` gives the same quantities from either source.
        from_template = estimate(
            environment=settings, traffic=traffic[environment.name], prices=null_prices
        )
        from_config = estimate(
            environment=environment, traffic=traffic[environment.name], prices=null_prices
        )
        assert from_template.items == from_config.items
    assert settings_from_template("pipeline", reviewed["pipeline"]) is None


def test_an_unchanged_template_is_not_flagged(
    reviewed: dict[str, dict[str, Any]], traffic: dict[str, Traffic], null_prices: RegionPrices
) -> None:
    for name in ("dev", "prod"):
        result = compare(
            name=name,
            old=reviewed[name],
            new=copy.deepcopy(reviewed[name]),
            traffic=traffic[name],
            prices=null_prices,
            threshold=0.0,
        )
        assert result is not None
        assert not result.flagged
        line = result.line(name)
        assert "(+0%)" in line
        assert "THRESHOLD" not in line
        assert "money not computed (price missing: on_demand_inference_per_gb_second" in line


def test_more_memory_raises_on_demand_gb_seconds_and_is_flagged(
    reviewed: dict[str, dict[str, Any]], traffic: dict[str, Traffic], null_prices: RegionPrices
) -> None:
    new = copy.deepcopy(reviewed["dev"])
    _serverless(new)["MemorySizeInMB"] = 3072  # from 2048: +50%
    result = compare(
        name="dev",
        old=reviewed["dev"],
        new=new,
        traffic=traffic["dev"],
        prices=null_prices,
        threshold=0.10,
    )
    assert result is not None
    assert result.flagged
    (on_demand,) = result.changes
    assert on_demand.label == "on-demand"
    assert on_demand.before is not None
    assert on_demand.after == pytest.approx(on_demand.before * 1.5)
    assert "(+50%) ABOVE THE 10% THRESHOLD" in result.line("dev")
    # A higher threshold lets the same change through.
    assert not compare(
        name="dev",
        old=reviewed["dev"],
        new=new,
        traffic=traffic["dev"],
        prices=null_prices,
        threshold=0.5,
    ).flagged  # type: ignore[union-attr]


def test_a_higher_provisioned_range_is_flagged(
    reviewed: dict[str, dict[str, Any]], traffic: dict[str, Traffic], null_prices: RegionPrices
) -> None:
    new = copy.deepcopy(reviewed["prod"])
    target = _target(new)
    target["MinCapacity"], target["MaxCapacity"] = 2, 10
    for action in target["ScheduledActions"]:
        capacity = action["ScalableTargetAction"]
        capacity["MinCapacity"] = 2 * capacity["MinCapacity"]
    result = compare(
        name="prod",
        old=reviewed["prod"],
        new=new,
        traffic=traffic["prod"],
        prices=null_prices,
        threshold=0.10,
    )
    assert result is not None
    assert result.flagged
    (provisioned,) = [c for c in result.changes if c.label == "provisioned concurrency"]
    assert provisioned.before is not None
    assert provisioned.after == pytest.approx(2 * provisioned.before)
    line = result.line("prod")
    assert "provisioned concurrency 10.7M -> 21.4M GB-s/month (+100%) ABOVE THE 10% THRESHOLD" in (
        line
    )


def test_with_every_price_known_the_delta_is_in_money(
    reviewed: dict[str, dict[str, Any]], traffic: dict[str, Traffic], price_file: Path
) -> None:
    prices = load_prices(price_file, region="us-east-1")
    new = copy.deepcopy(reviewed["prod"])
    _serverless(new)["MemorySizeInMB"] = 4096
    result = compare(
        name="prod",
        old=reviewed["prod"],
        new=new,
        traffic=traffic["prod"],
        prices=prices,
        threshold=0.10,
    )
    assert result is not None
    assert result.money
    (total,) = result.changes
    assert total.label == "total"
    assert total.unit == "USD"
    assert total.before is not None
    assert total.after > total.before
    line = result.line("prod")
    assert line.startswith(f"prod: monthly cost total {total.before:,.2f} -> {total.after:,.2f} ")
    assert "USD/month (+33%) ABOVE THE 10% THRESHOLD" in line
    assert "money not computed" not in line


@pytest.mark.parametrize("value", ["abc", "-0.1", "10.5", "nan"])
def test_a_bad_threshold_exits_2_with_a_clear_message(
    value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert review_diff.main(["--cost-increase-threshold", value]) == 2
    err = capsys.readouterr().err
    assert f"error: argument --cost-increase-threshold: {value!r} is not allowed" in err
    assert "use a share from 0 to 10" in err
    assert "Traceback" not in err


def test_threshold_bounds_are_allowed() -> None:
    assert parse_threshold("0") == 0.0
    assert parse_threshold("0.25") == 0.25
    assert parse_threshold("10") == 10.0


def test_main_flags_a_rise_in_the_summary_and_reads_the_price_option(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    reviewed: dict[str, dict[str, Any]],
    price_file: Path,
    null_price_file: Path,
) -> None:
    fresh = copy.deepcopy(reviewed)
    _serverless(fresh["dev"])["MemorySizeInMB"] = 4096

    def synthesize_into(outdir: Path) -> dict[str, Path]:
        outdir.mkdir()
        paths = {}
        for name, template in fresh.items():
            paths[name] = outdir / f"Stack-{name}.template.json"
            paths[name].write_text(json.dumps(template))
        return paths

    args = ["--summary-only", "--cost-increase-threshold", "0.5", "--prices", str(null_price_file)]
    assert review_diff.main(args, synthesize_into=synthesize_into) == 0
    lines = capsys.readouterr().out.splitlines()
    (dev,) = [line for line in lines if line.startswith("  dev: monthly cost")]
    assert "(+100%) ABOVE THE 50% THRESHOLD" in dev
    (staging,) = [line for line in lines if line.startswith("  staging: monthly cost")]
    assert "THRESHOLD" not in staging
    assert not [line for line in lines if line.startswith("  pipeline: monthly")]

    args = ["--summary-only", "--prices", str(price_file)]
    assert review_diff.main(args, synthesize_into=synthesize_into) == 0
    (dev,) = [line for line in capsys.readouterr().out.splitlines() if "dev: monthly cost" in line]
    assert " USD/month (+99%) ABOVE THE 10% THRESHOLD" in dev  # data processed is unchanged


def test_fail_on_cost_increase_exits_1_only_when_flagged(
    capsys: pytest.CaptureFixture[str], reviewed: dict[str, dict[str, Any]], price_file: Path
) -> None:
    fresh = copy.deepcopy(reviewed)
    _serverless(fresh["dev"])["MemorySizeInMB"] = 4096  # dev's on-demand GB-s double

    def synthesize_into(outdir: Path) -> dict[str, Path]:
        outdir.mkdir()
        paths = {}
        for name, template in fresh.items():
            paths[name] = outdir / f"Stack-{name}.template.json"
            paths[name].write_text(json.dumps(template))
        return paths

    flag = ["--summary-only", "--fail-on-cost-increase", "--prices", str(price_file)]
    assert review_diff.main(flag, synthesize_into=synthesize_into) == 1
    out = capsys.readouterr().out
    assert "ABOVE THE 10% THRESHOLD" in out
    assert "Failing: a monthly cost rose above the threshold (--fail-on-cost-increase)" in out
    # The same rise under a higher threshold, or without the option: exit 0.
    higher = [*flag, "--cost-increase-threshold", "1.5"]
    assert review_diff.main(higher, synthesize_into=synthesize_into) == 0
    assert "Failing" not in capsys.readouterr().out
    assert review_diff.main(flag[:1] + flag[2:], synthesize_into=synthesize_into) == 0
    assert "ABOVE THE 10% THRESHOLD" in capsys.readouterr().out
