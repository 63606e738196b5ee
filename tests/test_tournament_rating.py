"""Ratings: the Bradley-Terry-Davidson fit recovers known strengths within its intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tournament.rating import ELO_PER_NAT, fit_ratings, outcome_counts


def simulate(theta, eta, log_nu, games_per_ordered_pair, seed):
    rng = np.random.default_rng(seed)
    n = len(theta)
    counts = np.zeros((n, n, 3))
    for i in range(n):
        for j in range(n):
            if i != j:
                a, b = theta[i] + eta, theta[j]
                z = np.array([a, b, log_nu + (a + b) / 2])
                p = np.exp(z - z.max())
                counts[i, j] = rng.multinomial(games_per_ordered_pair, p / p.sum())
    return counts


def test_recovers_known_strengths_within_intervals():
    theta = np.array([-1.5, -0.2, 0.4, 0.5, 0.8])
    theta -= theta.mean()
    eta, log_nu = 0.9, -0.7
    inside = total = 0
    for seed in range(8):
        r = fit_ratings(simulate(theta, eta, log_nu, 400, seed), list("abcde"))
        assert r.iterations < 30
        assert abs(r.theta.sum()) < 1e-9
        inside += int(np.sum(np.abs(r.theta - theta) <= 1.96 * np.sqrt(np.diag(r.cov))))
        total += len(theta)
        assert abs(r.eta - eta) < 4 * r.eta_se
        assert abs(r.log_nu - log_nu) < 4 * r.log_nu_se
        assert r.order() == [4, 3, 2, 1, 0] or abs(r.theta[3] - r.theta[2]) < 3 * r.diff_se(3, 2)
    # 95% intervals: about 38 of 40 should cover the truth; far fewer means the intervals are wrong.
    assert inside >= 33, inside
    assert np.allclose(r.elo, r.theta * ELO_PER_NAT)


def test_intervals_shrink_with_more_games_and_los_is_a_probability():
    theta = np.array([-0.5, 0.0, 0.5])
    small = fit_ratings(simulate(theta, 0.3, -1.0, 50, 1), ["x", "y", "z"])
    large = fit_ratings(simulate(theta, 0.3, -1.0, 2000, 1), ["x", "y", "z"])
    assert np.all(large.elo_ci < small.elo_ci / 4)
    assert large.los(2, 1) > 0.99 and large.los(1, 2) < 0.01
    assert large.los(2, 1) + large.los(1, 2) == pytest.approx(1.0)
    w, l_, d = large.expected(2, 0)
    assert w + l_ + d == pytest.approx(1.0) and w > l_


def test_perfect_scores_and_first_player_sweeps_stay_finite():
    # The strong agent wins every game; the first player also wins every game between equals.
    games = [("strong", "weak", 1)] * 20 + [("weak", "strong", 2)] * 20
    games += [("a", "b", 1)] * 10 + [("b", "a", 1)] * 10
    names = ["strong", "weak", "a", "b"]
    r = fit_ratings(outcome_counts(games, names), names)
    assert np.all(np.isfinite(r.theta)) and np.all(np.isfinite(r.elo_ci))
    assert r.elo[0] - r.elo[1] > 400
    assert abs(r.elo[2] - r.elo[3]) < 1e-6
    assert r.first_move_elo > 200 and math.isfinite(r.first_move_elo_ci)
    assert r.los(0, 1) > 0.99


def test_outcome_counts():
    c = outcome_counts([("a", "b", 1), ("a", "b", 0), ("b", "a", 1), ("b", "a", 2)], ["a", "b"])
    assert c[0, 1].tolist() == [1, 0, 1] and c[1, 0].tolist() == [1, 1, 0]
