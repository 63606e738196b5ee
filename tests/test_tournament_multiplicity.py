"""Bootstrap p-values and Holm's correction against their definitions, computed the slow way."""

from __future__ import annotations

import itertools
from statistics import NormalDist

import numpy as np
import pytest

from tournament.bootstrap import interval_from
from tournament.multiplicity import bootstrap_p_value, holm


def slow_holm(p: list[float], alpha: float) -> list[bool]:
    """Holm's step-down rejections, straight from the 1979 definition."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    reject = [False] * m
    for k, i in enumerate(order):
        if p[i] > alpha / (m - k):
            break
        reject[i] = True
    return reject


def test_holm_rejects_exactly_what_the_step_down_definition_rejects():
    rng = np.random.default_rng(0)
    for _ in range(300):
        m = int(rng.integers(1, 9))
        p = (rng.random(m) ** 3).tolist()
        adjusted = holm(p)
        for alpha in (0.01, 0.05, 0.1):
            assert (adjusted <= alpha).tolist() == slow_holm(p, alpha)


def test_holm_hand_example_and_nan():
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    out = holm([0.2, float("nan"), 0.01])
    assert out[0] == pytest.approx(0.2) and np.isnan(out[1]) and out[2] == pytest.approx(0.02)
    assert holm([0.9, 0.8]).tolist() == [1.0, 1.0]


def test_bootstrap_p_value_is_the_normal_tail_of_the_bootstrap_standard_error():
    t = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.nan])  # sd 1.5811
    assert bootstrap_p_value(2.0, t) == pytest.approx(2 * NormalDist().cdf(-2.0 / np.std(t[:5], ddof=1)))
    assert bootstrap_p_value(0.0, np.ones(10)) == 1.0 and bootstrap_p_value(0.3, np.full(10, 0.3)) == 0.0
    assert np.isnan(bootstrap_p_value(1.0, np.array([1.0, np.nan])))
    assert bootstrap_p_value(1.0, t, null=1.0) == pytest.approx(bootstrap_p_value(0.0, t - 1.0))


def test_p_below_alpha_matches_the_percentile_interval_excluding_the_null():
    rng = np.random.default_rng(1)
    for shift, conf in itertools.product(np.linspace(-0.3, 0.3, 13), (0.9, 0.95)):
        t = rng.normal(shift, 0.1, 4000)
        iv = interval_from(float(t.mean()), t, conf)
        p = bootstrap_p_value(float(t.mean()), t)
        if abs(p - (1 - conf)) > 0.01:  # away from the boundary, where quantile interpolation decides
            assert iv.excludes(0.0) == (p < 1 - conf)
