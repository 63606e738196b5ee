"""Generalization statistics over cells and clustered rates, on hand-built data and against slow references."""

from __future__ import annotations

import numpy as np
import pytest
from scripted_strength import ScriptedAgent, simulate

from tournament.cell_stats import (
    agent_generalization,
    group_score,
    iqm,
    normalise,
    probability_of_improvement,
    train_novel_gap,
    training_layouts,
    trimmed_mean,
)
from tournament.power import detectable_gap, variance_components
from tournament.rates import clustered_rate, wilson_interval


def test_normalise_and_trimmed_mean():
    assert normalise([0.2, 0.6, 1.0], [0.2, 0.2, 0.0], [1.0, 1.0, 0.0]).tolist()[:2] == pytest.approx([0.0, 0.5])
    assert np.isnan(normalise([1.0], [0.0], [0.0])[0])
    x = np.array([5.0, 1.0, 9.0, 3.0, 7.0, 2.0, 8.0, 4.0])  # 2 cut from each end
    assert trimmed_mean(x) == pytest.approx(np.mean([3, 4, 5, 7]))
    assert trimmed_mean(x[:7]) == pytest.approx((0.25 * 2 + 3 + 5 + 7 + 0.25 * 8) / 3.5)  # 1.75 cut: parts kept
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    m = rng.integers(0, 5, size=(4, 48)) / 4  # quarters with ties, as pair scores are
    assert trimmed_mean(m) == pytest.approx(stats.trim_mean(m, 0.25, axis=1))
    # weights: the same as repeating each value its weight's number of times (a slow, independent check)
    w = rng.integers(1, 5, size=48)
    for row in m:
        assert trimmed_mean(row, w) == pytest.approx(stats.trim_mean(np.repeat(row, 4 * w), 0.25))
    assert trimmed_mean(m, w) == pytest.approx([trimmed_mean(row, w) for row in m])
    with pytest.raises(ValueError, match="proportion"):
        trimmed_mean(x, proportion=0.5)


def test_iqm_weighs_cells_the_same_whatever_their_pairs():
    cells = np.r_[np.zeros(12, dtype=int), np.arange(1, 4)]  # cell 0 has 12 pairs, cells 1-3 one each
    scores = np.r_[np.zeros(12), 0.5, 0.75, 1.0]
    est = iqm(cells, scores, reps=200, rng=0)
    assert est.value == pytest.approx(trimmed_mean(np.array([0.0, 0.5, 0.75, 1.0])))  # 4 cells, a quarter each
    assert est.low <= est.value <= est.high


def test_variance_components_on_a_balanced_design():
    rng = np.random.default_rng(1)
    g, m = 40, 30
    effects = rng.normal(0, 0.2, size=g)  # between-cell sd 0.2
    cells = np.repeat(np.arange(g), m)
    scores = effects[cells] + rng.normal(0, 0.5, size=g * m)  # within-cell sd 0.5
    vc = variance_components(cells, scores)
    means = scores.reshape(g, m).mean(axis=1)
    msw = ((scores.reshape(g, m) - means[:, None]) ** 2).sum() / (g * (m - 1))
    msb = m * ((means - scores.mean()) ** 2).sum() / (g - 1)
    assert vc.within == pytest.approx(msw) and vc.between == pytest.approx((msb - msw) / m)
    assert vc.cells == g and vc.pairs_per_cell == m
    assert 0.1 < vc.between**0.5 < 0.3 and 0.45 < vc.within**0.5 < 0.55


def test_detectable_gap_formula():
    z = 1.959963984540054 + 0.8416212335729143
    assert detectable_gap(1, 48, 16, within=0.04, between=0.01) == pytest.approx(
        z * np.sqrt(0.04 / 16 + (0.01 + 0.04 / 16) / 48)
    )
    assert detectable_gap(2, 47, 8, 0.04, 0.01) == pytest.approx(
        z * np.sqrt((0.01 + 0.04 / 8) / 2 + (0.01 + 0.04 / 8) / 47)
    )
    assert np.isnan(detectable_gap(0, 48, 16, 0.04, 0.01))
    # More pairs per cell shrink it; with between-cell variance it stops shrinking at the cluster limit.
    assert detectable_gap(1, 48, 64, 0.04, 0.01) < detectable_gap(1, 48, 16, 0.04, 0.01)


def test_gap_on_hand_built_cells():
    # Cell 0 (training): scores 1, 1, 0.5, 1. Novel cells 1..3: means 0.5, 0.25, 0.75.
    cells = np.array([0, 0, 0, 0, 1, 1, 2, 2, 3, 3])
    scores = np.array([1, 1, 0.5, 1, 0.5, 0.5, 0.25, 0.25, 0.75, 0.75])
    train = np.array([True, False, False, False])
    g = train_novel_gap(cells, scores, train, reps=3000, rng=0)
    assert g.train.value == pytest.approx(0.875) and g.novel.value == pytest.approx(0.5)
    assert g.gap.value == pytest.approx(0.375) and (g.train_cells, g.novel_cells, g.pairs) == (1, 3, 10)
    # The training group resamples its 4 pairs (3 at a time); the novel group resamples its 3 cells (2 at a time).
    assert g.train.low == pytest.approx(2 / 3) and g.train.high == 1.0
    assert g.novel.low == pytest.approx(0.25, abs=1e-9) and g.novel.high == pytest.approx(0.75)
    assert g.components.within == pytest.approx(np.var([1, 1, 0.5, 1]) * 4 / 6)
    assert g.decided and g.gap.low > 0 and g.verdict().startswith("worse on novel cells")
    even = train_novel_gap(cells, np.r_[[1, 0, 1, 0], scores[4:]], train, reps=3000, rng=0)  # 0.5 on both
    assert even.gap.value == pytest.approx(0.0) and not even.decided
    assert even.verdict().startswith("not decided") and f"{even.detectable:.3f}" in even.verdict()
    assert train_novel_gap(cells, scores, train, reps=3000, rng=0) == g
    with pytest.raises(ValueError, match="training and on novel"):
        train_novel_gap(cells, scores, np.ones(4, dtype=bool))


def test_iqm_and_normalised_scores():
    cells = np.repeat(np.arange(8), 4)
    scores = np.repeat(np.linspace(0, 0.875, 8), 4)  # constant within cells: no within-cell variation
    est = iqm(cells, scores, reps=200, rng=0)
    assert est.value == pytest.approx(np.mean(np.linspace(0, 0.875, 8)[2:6]))
    assert est.low == pytest.approx(est.value) and est.high == pytest.approx(est.value)
    ref = (np.full(8, 0.25), np.full(8, 0.75))
    norm = iqm(cells, scores, reps=50, rng=0, reference=ref)
    assert norm.value == pytest.approx((est.value - 0.25) / 0.5)
    only = iqm(cells, scores, include=np.arange(8) >= 4, reps=10, rng=0)
    assert only.value == pytest.approx(np.mean(np.linspace(0, 0.875, 8)[5:7]))
    with pytest.raises(ValueError, match="equal or missing"):
        iqm(cells, scores, reference=(np.zeros(8), np.zeros(8)))


def test_probability_of_improvement_matches_mann_whitney():
    rng = np.random.default_rng(2)
    xc, yc = np.repeat(np.arange(5), 6), np.repeat(np.arange(5), 4)
    xs = rng.choice([0, 0.25, 0.5, 0.75, 1], size=30)
    ys = rng.choice([0, 0.25, 0.5, 0.75, 1], size=20)
    est = probability_of_improvement(xc, xs, yc, ys, reps=500, rng=0)
    slow = np.mean([np.mean([(x > y) + 0.5 * (x == y) for x in xs[xc == c] for y in ys[yc == c]]) for c in range(5)])
    assert est.value == pytest.approx(slow) and est.low <= est.value <= est.high
    stats = pytest.importorskip("scipy.stats")
    u = [stats.mannwhitneyu(xs[xc == c], ys[yc == c], alternative="greater").statistic / 24 for c in range(5)]
    assert est.value == pytest.approx(np.mean(u))
    same = probability_of_improvement(xc, xs, xc, xs, reps=100, rng=0)
    assert same.value == pytest.approx(0.5)


def test_agent_generalization_on_a_simulated_tournament():
    cells = 5
    lose = np.array([0.0, 0.3, 0.3, 0.3, 0.3])  # worse off the training cell c0
    agents = [
        ScriptedAgent("trained", 0.5, lose),
        ScriptedAgent("a", 0.0, np.zeros(cells)),
        ScriptedAgent("b", -0.5, np.zeros(cells)),
    ]
    pairs = simulate(agents, cells, openings=6, rng=np.random.default_rng(5))
    train = [True, False, False, False, False]
    st = agent_generalization(pairs, "trained", train, reps=300, rng=1)
    assert st.cell_pairs.tolist() == [12] * 5
    assert st.gap is not None and st.gap.gap.value > 0 and st.iqm_novel is not None
    assert st.gap.novel_cells == 4 and st.gap.detectable > 0
    control = agent_generalization(pairs, "a", None, reps=50, rng=1)
    assert control.gap is None and control.iqm_novel is None


def test_training_layouts_rule():
    assert training_layouts(["D4", "C3", "D3+D4", "none"], [24, 23]) == [True, False, True, True]


def test_clustered_rate():
    # Three games (clusters) of moves: optimal 3/4, 1/2, 4/4.
    game = [0, 0, 0, 0, 1, 1, 2, 2, 2, 2]
    opt = [1, 1, 1, 0, 1, 0, 1, 1, 1, 1]
    est = clustered_rate(game, opt, np.ones(10), reps=2000, rng=0)
    assert est.rate == pytest.approx(0.8) and est.clusters == 3 and est.method == "cluster bootstrap"
    assert est.low < est.rate < est.high <= 1.0
    per_game = clustered_rate([0, 1, 2], [3, 1, 4], [4, 2, 4], reps=2000, rng=0)
    assert (per_game.rate, per_game.low, per_game.high) == (est.rate, est.low, est.high)
    perfect = clustered_rate([0, 0, 1, 2], [1, 1, 1, 1], [1, 1, 1, 1])
    assert perfect.rate == 1.0 and perfect.method.startswith("wilson") and perfect.low < 1.0
    assert (perfect.low, perfect.high) == pytest.approx(wilson_interval(3, 3))
    strat = clustered_rate(game, opt, np.ones(10), strata=[5, 5, 5, 5, 5, 5, 7, 7, 7, 7], reps=500, rng=0)
    assert strat.rate == est.rate
    with pytest.raises(ValueError, match="spans several strata"):
        clustered_rate(game, opt, np.ones(10), strata=[5, 5, 5, 7, 5, 5, 7, 7, 7, 7])
    with pytest.raises(ValueError, match="positive total"):
        clustered_rate([0], [0], [0])


def _slow_group_bootstrap(cells, scores, group, reps, seed):
    """Cells as clusters, G - 1 of G drawn per replicate (a plain loop over cells and replicates)."""
    rng = np.random.default_rng(seed)
    means = {c: np.mean([s for cc, s in zip(cells, scores, strict=True) if cc == c]) for c in group}
    reps_out = [np.mean([means[group[rng.integers(len(group))]] for _ in range(len(group) - 1)]) for _ in range(reps)]
    return np.mean(list(means.values())), np.quantile(reps_out, [0.025, 0.975])


def test_group_score_resamples_cells_so_replays_do_not_narrow_it():
    rng = np.random.default_rng(4)
    group = [0, 2, 3, 5, 6]
    cells = np.repeat(group, 6)
    scores = rng.choice([0.0, 0.25, 0.5, 0.75, 1.0], size=len(cells))
    iv = group_score(cells, scores, group, 7, reps=4000, rng=1)
    value, (low, high) = _slow_group_bootstrap(cells, scores, group, 4000, 2)
    assert iv.value == pytest.approx(value)
    assert iv.low == pytest.approx(low, abs=0.03) and iv.high == pytest.approx(high, abs=0.03)
    # Ten replays of every pair (a deterministic agent's games) are the same evidence: the interval stays.
    replayed = group_score(np.repeat(cells, 10), np.repeat(scores, 10), group, 7, reps=4000, rng=1)
    assert (replayed.low, replayed.high) == pytest.approx((iv.low, iv.high), abs=0.02)
    one_cell = group_score(np.zeros(8, dtype=int), np.r_[np.ones(4), np.zeros(4)], [0], 1, reps=2000, rng=0)
    assert one_cell.value == 0.5 and 0.1 < one_cell.low < 0.5 < one_cell.high < 0.9  # its pairs are resampled
