"""Resampling primitives and the batched rating fit behind the bootstrap intervals."""

from __future__ import annotations

import numpy as np
import pytest
from scripted_strength import ScriptedAgent, simulate

from tournament.bootstrap import Interval, Strata, as_generator, interval_from, percentile_interval, z_value
from tournament.pairs import GameOutcome, form_pairs
from tournament.rating import fit_ratings
from tournament.rating_bootstrap import bootstrap_ratings, fit_ratings_batch


def test_strata_draw_n_minus_one_within_each_stratum():
    labels = np.array([2, 0, 0, 2, 2, 3, 0, 2])  # stratum 1 is empty, stratum 3 has one item
    st = Strata.from_labels(labels, 4)
    assert st.size.tolist() == [3, 0, 4, 1] and st.draws.tolist() == [2, 0, 3, 1] and st.singletons == 1
    idx = st.resample(50, rng=1)
    assert idx.shape == (50, 6)
    assert np.all(labels[idx[:, :2]] == 0) and np.all(labels[idx[:, 2:5]] == 2) and np.all(idx[:, 5] == 5)
    assert np.array_equal(idx, st.resample(50, rng=1))  # seeded
    means = st.means(np.arange(8.0), 50, rng=1)
    assert means.shape == (50, 4) and np.all(np.isnan(means[:, 1])) and np.all(means[:, 3] == 5.0)
    assert st.observed_means(np.arange(8.0))[[0, 2, 3]] == pytest.approx([(1 + 2 + 6) / 3, (0 + 3 + 4 + 7) / 4, 5])


def test_n_minus_one_draws_give_the_unbiased_variance_of_a_mean():
    values = np.array([0.0, 1.0, 2.0, 3.0, 4.0])  # s^2 = 2.5, so the variance of the mean is 0.5
    st = Strata.from_labels(np.zeros(5, dtype=int))
    reps = st.means(values, 200_000, rng=2)[:, 0]
    assert reps.var() == pytest.approx(0.5, rel=0.02)
    assert reps.mean() == pytest.approx(2.0, abs=0.01)


def test_intervals_and_helpers():
    lo, hi = percentile_interval(np.arange(1001.0), 0.9)
    assert (lo, hi) == pytest.approx((50.0, 950.0))
    assert percentile_interval(np.array([1.0, np.nan, 3.0]), 0.5) == (1.5, 2.5)
    with pytest.raises(ValueError, match="confidence"):
        percentile_interval(np.arange(3.0), 1.0)
    iv = interval_from(0.5, np.linspace(0, 1, 101))
    assert isinstance(iv, Interval) and iv.low == pytest.approx(0.025) and not iv.excludes(0.5) and iv.excludes(-1)
    assert z_value(0.975) == pytest.approx(1.959964, abs=1e-6)
    g = np.random.default_rng(0)
    assert as_generator(g) is g and as_generator(3).random() == np.random.default_rng(3).random()


def test_batched_fit_equals_fit_ratings():
    rng = np.random.default_rng(0)
    n = 4
    counts = rng.integers(0, 25, size=(12, n, n, 3)).astype(float)
    counts[:, np.arange(n), np.arange(n)] = 0
    counts[3] = 0
    counts[3, 0, 1] = [10, 0, 0]  # a perfect score: only the prior keeps it finite
    counts[3, 1, 0] = [0, 10, 0]
    counts[5] *= 0.37  # fractional (bootstrap-weighted) counts
    batch = fit_ratings_batch(counts)
    for r in range(len(counts)):
        f = fit_ratings(counts[r], list("abcd"))
        assert np.allclose(batch[r], np.concatenate([f.theta, [f.eta, f.log_nu]]), atol=1e-9)
    f0 = fit_ratings(counts[0], list("abcd"))
    warm = fit_ratings_batch(counts, start=np.concatenate([f0.theta, [f0.eta, f0.log_nu]]))
    assert np.allclose(warm, batch, atol=1e-9)


def test_rating_bootstrap_resamples_pairs_within_cell_and_pairing():
    cells = 6
    agents = [
        ScriptedAgent("strong", 1.0, np.full(cells, 0.0)),
        ScriptedAgent("mid", 0.0, np.full(cells, 0.1)),
        ScriptedAgent("weak", -1.0, np.full(cells, 0.2)),
    ]
    pairs = simulate(agents, cells, openings=5, rng=np.random.default_rng(3))
    rb = bootstrap_ratings(pairs, reps=400, rng=4)
    point = fit_ratings(pairs.outcome_counts(), list(pairs.agents))
    assert np.allclose(rb.elo, point.elo)
    assert rb.strata == 3 * cells and rb.single_pair_strata == 0
    assert np.allclose(rb.elo_replicates.sum(axis=1), 0, atol=1e-6)
    lo, hi = rb.interval(0)
    assert lo < rb.elo[0] < hi
    d, dlo, dhi = rb.diff_interval(0, 2)
    assert dlo < d < dhi and dlo > 0 and rb.los(0, 2) == 1.0
    assert rb.intervals().shape == (3, 2)
    assert np.array_equal(bootstrap_ratings(pairs, reps=400, rng=4).elo_replicates, rb.elo_replicates)
    # One pair per stratum: nothing to resample, every replicate is the point estimate.
    games = [GameOutcome("x", "y", "D4", 1), GameOutcome("y", "x", "D4", 2)]
    single = bootstrap_ratings(form_pairs(games), reps=20, rng=0)
    assert single.single_pair_strata == 1 and np.allclose(single.elo_replicates, single.elo, atol=1e-6)
