"""The benchmark's verdict rule on made-up samples: no synth runs, every figure is chosen here."""

from __future__ import annotations

import math

import pytest

from scripts.bench.noise import (
    Estimate,
    Verdict,
    fit_line,
    judge,
    mean_estimate,
    t95,
)

SIZES = (10, 25, 50, 100)
TARGET = 25.0  # ms per endpoint
# A fixed, zero-mean pattern of +-jitter (ms), so every test is deterministic.
JITTER = (3.0, -2.0, 1.0, -4.0, 2.0, -1.0, 4.0, -3.0, 0.5, -0.5)


def scaling_points(
    per_endpoint_ms: float, jitter_ms: float, repeats: int = 5
) -> list[tuple[float, float]]:
    """Rotating sizes, ``repeats`` times: 2 s fixed cost + per-endpoint cost + jitter."""
    points = []
    for repeat in range(repeats):
        for index, size in enumerate(SIZES):
            noise = JITTER[(repeat * len(SIZES) + index) % len(JITTER)] / 4 * jitter_ms
            points.append((float(size), 2000 + per_endpoint_ms * size + noise))
    return points


def slope_verdict(points: list[tuple[float, float]]) -> Verdict:
    return judge(fit_line(points).slope, target=TARGET, must_be_positive=True).verdict


def test_least_squares_recovers_an_exact_line() -> None:
    fit = fit_line([(10, 120), (25, 270), (50, 520), (100, 1020)])
    assert fit.slope.value == pytest.approx(10.0)
    assert fit.intercept == pytest.approx(20.0)
    assert fit.slope.low == pytest.approx(10.0)  # no residual, no spread
    assert fit.r_squared == pytest.approx(1.0)


def test_slope_interval_matches_the_textbook_formula() -> None:
    points = [(1.0, 1.0), (2.0, 3.0), (3.0, 2.0), (4.0, 5.0)]
    fit = fit_line(points)
    # slope = Sxy / Sxx = 5.5 / 5; residual SS = 2.7 over 2 df; SE = sqrt(2.7 / 2 / 5)
    assert fit.slope.value == pytest.approx(1.1)
    assert fit.slope.half_width == pytest.approx(4.303 * math.sqrt(2.7 / 2 / 5))


def test_stable_fast_is_met() -> None:
    assert slope_verdict(scaling_points(per_endpoint_ms=12.0, jitter_ms=20.0)) is Verdict.MET


def test_stable_slow_is_missed() -> None:
    assert slope_verdict(scaling_points(per_endpoint_ms=40.0, jitter_ms=20.0)) is Verdict.MISSED


def test_noisy_is_unstable_not_met() -> None:
    # Mean per-endpoint cost 12 ms (under the target), but samples swing by seconds.
    points = scaling_points(per_endpoint_ms=12.0, jitter_ms=3000.0)
    assert fit_line(points).slope.value < TARGET
    assert slope_verdict(points) is Verdict.UNSTABLE


def test_negative_slope_is_unstable_not_met() -> None:
    # The busy-machine run: 100 endpoints timed faster than 50.
    points = [(10, 2600.0), (25, 2900.0), (50, 3900.0), (100, 2961.0)] * 2
    fit = fit_line(points)
    judgement = judge(fit.slope, target=TARGET, must_be_positive=True)
    assert judgement.verdict is Verdict.UNSTABLE
    assert "not significantly > 0" in judgement.reason
    assert str(judgement).startswith("unstable (machine busy?)")
    # A clearly negative slope (the larger apps all timed faster) is noise too, never "met".
    falling = [(float(size), 5000.0 - 20 * size + JITTER[size % 7]) for size in SIZES] * 3
    assert fit_line(falling).slope.high < 0
    assert slope_verdict(falling) is Verdict.UNSTABLE


def test_slope_not_significantly_positive_is_unstable() -> None:
    # Positive point value, but an interval reaching below zero.
    slope = Estimate(value=3.0, low=-1.0, high=7.0, n=20)
    assert judge(slope, target=TARGET, must_be_positive=True).verdict is Verdict.UNSTABLE
    # A figure that may be negative (a difference of two latencies) is judged as usual.
    assert judge(slope, target=TARGET).verdict is Verdict.MET


def test_interval_spanning_the_target_is_borderline() -> None:
    estimate = Estimate(value=24.0, low=22.0, high=26.0, n=20)
    judgement = judge(estimate, target=TARGET, must_be_positive=True)
    assert judgement.verdict is Verdict.BORDERLINE
    assert "spans the target 25" in judgement.reason


def test_interval_wider_than_the_target_is_unstable_even_when_clear_of_it() -> None:
    estimate = Estimate(value=100.0, low=80.0, high=120.0, n=5)  # width 40 > target 25
    assert judge(estimate, target=TARGET).verdict is Verdict.UNSTABLE


def test_means_of_samples_follow_the_same_rule() -> None:
    # The synth ratio (target 1.3) over five paired samples.
    assert judge(mean_estimate([1.10, 1.12, 1.09, 1.11, 1.13]), target=1.3).verdict is Verdict.MET
    assert judge(mean_estimate([1.50, 1.52, 1.49, 1.51, 1.48]), target=1.3).verdict is (
        Verdict.MISSED
    )
    noisy = mean_estimate([0.6, 2.1, 0.9, 1.8, 1.0])
    assert judge(noisy, target=1.3).verdict is Verdict.UNSTABLE


def test_one_sample_gives_no_verdict() -> None:
    assert mean_estimate([42.0]) is None
    judgement = judge(None, target=60.0)
    assert judgement.verdict is Verdict.NO_VERDICT
    assert "one sample" in judgement.reason


def test_t_quantiles_are_conservative_between_table_rows() -> None:
    assert t95(1) == pytest.approx(12.706)
    assert t95(18) == pytest.approx(2.101)
    assert t95(35) == pytest.approx(2.042)  # df 30's quantile: wider than df 35's
    assert t95(1000) == pytest.approx(1.960)
    with pytest.raises(ValueError, match="at least 1"):
        t95(0)


def test_a_line_needs_three_points_at_two_sizes() -> None:
    with pytest.raises(ValueError, match="at least 3 points at 2 or more sizes"):
        fit_line([(10, 1.0), (10, 2.0), (10, 3.0)])
