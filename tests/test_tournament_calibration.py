"""Calibration: on simulated tournaments of scripted agents with known strength, the intervals cover the truth.

Each test plays many small seeded tournaments (tests/scripted_strength.py: agents that lose on chosen cells at
chosen rates, openings whose bias both games of a pair share) and counts how often the 95% interval holds the
exact true value. With T tournaments a coverage of 0.95 has a binomial standard deviation of
sqrt(0.95 * 0.05 / T) (0.015 at T = 200); the bounds allow for that and for the percentile bootstrap's known
small-sample shortfall of one or two points. The cluster test also shows that a bootstrap ignoring the cells
fails, so these tests can tell a right method from a wrong one.
"""

from __future__ import annotations

import numpy as np
from scripted_strength import (
    ScriptedAgent,
    expected_counts,
    pair_score_distribution,
    probability_table,
    simulate,
    true_cell_scores,
)

from tournament.bootstrap import percentile_interval
from tournament.cell_stats import iqm, probability_of_improvement, train_novel_gap, trimmed_mean
from tournament.rates import clustered_rate, wilson_interval
from tournament.rating import ELO_PER_NAT, fit_ratings
from tournament.rating_bootstrap import bootstrap_ratings

LEVELS = np.array([0.0, 0.15, 0.3, 0.45, 0.6])  # the novel cells' loss rates, drawn afresh per tournament
CELLS, OPENINGS = 25, 8  # cell 0 is the training cell


def opponents(cells: int) -> list[ScriptedAgent]:
    return [ScriptedAgent("steady", 0.3, np.full(cells, 0.05)), ScriptedAgent("weak", -0.5, np.full(cells, 0.1))]


def true_train_and_novel(train_rate: float, levels: np.ndarray = LEVELS) -> tuple[float, float]:
    """Exact expected scores on the training cell and on a novel cell drawn from ``levels`` (linear in the rate)."""
    agent = ScriptedAgent("o", 0.5, np.r_[train_rate, np.full(CELLS - 1, levels.mean())])
    scores = true_cell_scores([agent, *opponents(CELLS)], CELLS, 0)
    return float(scores[0]), float(scores[1])


def gap_tournaments(train_rate: float, tournaments: int, seed: int, levels: np.ndarray = LEVELS):
    """Yield (pair cells, pair scores, GapEstimate) of tournaments whose novel cells are drawn afresh."""
    rng = np.random.default_rng(seed)
    train = np.zeros(CELLS, dtype=bool)
    train[0] = True
    for _ in range(tournaments):
        rates = np.r_[train_rate, rng.choice(levels, size=CELLS - 1)]
        pairs = simulate([ScriptedAgent("o", 0.5, rates), *opponents(CELLS)], CELLS, OPENINGS, rng)
        cells, scores = pairs.agent_scores("o")
        yield cells, scores, train_novel_gap(cells, scores, train, reps=300, rng=rng)


def test_gap_cluster_bootstrap_covers_and_ignoring_cells_does_not():
    t_true, n_true = true_train_and_novel(0.0)
    runs = 200
    rng = np.random.default_rng(99)
    gap_in = novel_in = naive_in = 0
    for cells, scores, g in gap_tournaments(0.0, runs, seed=1):
        gap_in += g.gap.low <= t_true - n_true <= g.gap.high
        novel_in += g.novel.low <= n_true <= g.novel.high
        novel = scores[cells > 0]  # the wrong method: novel pairs as if independent of their cell
        lo, hi = percentile_interval(novel[rng.integers(0, len(novel), (300, len(novel)))].mean(axis=1))
        naive_in += lo <= n_true <= hi
    print(f"\ngap coverage {gap_in / runs:.3f}, novel {novel_in / runs:.3f}, ignoring cells {naive_in / runs:.3f}")
    assert 0.90 <= gap_in / runs <= 0.99, gap_in / runs
    assert 0.90 <= novel_in / runs <= 0.99, novel_in / runs
    assert naive_in / runs <= 0.85, naive_in / runs  # measured 0.70: between-cell variation is missed


def test_detectable_gap_is_detected_with_about_80_percent_power():
    levels = LEVELS + 0.3  # novel cells lose 30-90% of the time: room for a gap as large as the MDE
    mde = np.mean([g.detectable for _, _, g in gap_tournaments(levels.mean(), 60, seed=2, levels=levels)])
    lo, hi = 0.0, levels.mean()  # find the training-cell loss rate whose true gap equals that MDE
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        t, n = true_train_and_novel(mid, levels)
        lo, hi = (mid, hi) if t - n > mde else (lo, mid)
    t, n = true_train_and_novel(mid, levels)
    assert abs((t - n) - mde) < 1e-6
    runs = 200
    detected = sum(g.gap.low > 0 for _, _, g in gap_tournaments(mid, runs, seed=3, levels=levels))
    print(f"\ngap of the detectable size {mde:.3f} detected in {detected / runs:.3f} of {runs} tournaments")
    assert 0.68 <= detected / runs <= 0.92, detected / runs  # measured 0.78 over 300 runs


def test_iqm_stratified_bootstrap_covers():
    cells, openings, runs = 16, 6, 200
    agents = [ScriptedAgent("o", 0.5, np.linspace(0, 0.6, cells)), *opponents(cells)]
    # the truth: the IQM of the pair-score distribution of a random pair on a random cell (cells weigh the same)
    dist = pair_score_distribution(agents, cells, 0, [1, 2])
    truth = trimmed_mean(np.tile(np.arange(5) / 4, cells), dist.ravel())
    table = probability_table(agents, cells)
    rng = np.random.default_rng(4)
    inside = 0
    for _ in range(runs):
        c, s = simulate(agents, cells, openings, rng, table).agent_scores("o")
        est = iqm(c, s, cells, reps=300, rng=rng)
        inside += est.low <= truth <= est.high
    print(f"\nIQM coverage {inside / runs:.3f}")
    assert 0.90 <= inside / runs <= 0.995, inside / runs


def test_iqm_covers_with_few_pairs_per_cell_where_trimming_cell_means_does_not():
    """The study's regime: 4 pairs a cell, scores near the floor. Trimming cell means (the wrong method) is biased
    there, because the noise of each mean moves which cells the trim cuts."""
    cells, runs = 40, 200
    # per cell, the chance that a pair scores 0, 1/4, 1/2, 3/4, 1: most cells lost, some held on one pair in four
    rng = np.random.default_rng(7)
    held = rng.choice([0.0, 0.1, 0.25, 0.5], size=cells)
    dist = np.stack([1 - held, 0.25 * held, 0.6 * held, 0.05 * held, 0.1 * held], axis=1)
    grid = np.arange(5) / 4
    truth = trimmed_mean(np.tile(grid, cells), dist.ravel())
    wrong_truth = trimmed_mean(dist @ grid)  # the IQM of the true cell means, what the wrong method aims at
    labels = np.repeat(np.arange(cells), 4)
    inside = wrong_inside = 0
    for _ in range(runs):
        scores = grid[np.array([rng.choice(5, size=4, p=d) for d in dist]).ravel()]
        est = iqm(labels, scores, cells, reps=300, rng=rng)
        inside += est.low <= truth <= est.high
        means = scores.reshape(cells, 4)
        reps = means[:, rng.integers(0, 4, size=(300, 3))].mean(axis=2).T  # 3 of 4 per cell, as Rao-Wu draws
        lo, hi = np.quantile(trimmed_mean(reps), [0.025, 0.975])
        wrong_inside += lo <= wrong_truth <= hi
    print(f"\npooled IQM coverage {inside / runs:.3f}, trimmed cell means {wrong_inside / runs:.3f}")
    assert 0.90 <= inside / runs <= 0.995, inside / runs
    assert wrong_inside / runs <= 0.85, wrong_inside / runs


def test_rating_difference_bootstrap_covers():
    cells, openings, runs = 12, 4, 120
    agents = [ScriptedAgent("o", 0.5, np.linspace(0, 0.5, cells)), *opponents(cells)]
    # The true value is the fit's population value: the same model and prior fitted to the exact expected
    # counts of a tournament of this size (per-cell loss rates make the model misspecified on purpose).
    expected = fit_ratings(expected_counts(agents, cells, openings), [a.name for a in agents])
    truth = [(expected.theta[0] - expected.theta[k]) * ELO_PER_NAT for k in (1, 2)]
    table = probability_table(agents, cells)
    rng = np.random.default_rng(5)
    inside = np.zeros(2)
    for _ in range(runs):
        rb = bootstrap_ratings(simulate(agents, cells, openings, rng, table), reps=200, rng=rng)
        for k, j in enumerate((1, 2)):
            _, lo, hi = rb.diff_interval(0, j)
            inside[k] += lo <= truth[k] <= hi
    print(f"\nrating difference coverage {inside[0] / runs:.3f} and {inside[1] / runs:.3f}")
    assert np.all(inside / runs >= 0.88), inside / runs


def test_probability_of_improvement_covers():
    cells, openings, runs = 10, 6, 300
    agents = [
        ScriptedAgent("x", 0.4, np.linspace(0, 0.3, cells)),
        ScriptedAgent("y", 0.2, np.full(cells, 0.05)),
        *opponents(cells),
    ]
    px = pair_score_distribution(agents, cells, 0, [2, 3])
    py = pair_score_distribution(agents, cells, 1, [2, 3])
    grid = np.arange(5)
    better = (grid[:, None] > grid[None, :]) + 0.5 * (grid[:, None] == grid[None, :])
    truth = float(np.mean(np.einsum("cu,uv,cv->c", px, better, py)))
    table = probability_table(agents, cells)
    rng = np.random.default_rng(6)
    inside = 0
    for _ in range(runs):
        pairs = simulate(agents, cells, openings, rng, table)
        xc, xs = pairs.agent_scores("x", ["steady", "weak"])
        yc, ys = pairs.agent_scores("y", ["steady", "weak"])
        est = probability_of_improvement(xc, xs, yc, ys, cells, reps=300, rng=rng)
        inside += est.low <= truth <= est.high
    print(f"\nprobability of improvement coverage {inside / runs:.3f}")
    assert 0.90 <= inside / runs <= 0.995, inside / runs


def test_pair_score_distribution_agrees_with_the_cell_scores():
    cells = 4
    agents = [ScriptedAgent("x", 0.4, np.linspace(0, 0.3, cells)), *opponents(cells)]
    dist = pair_score_distribution(agents, cells, 0, [1, 2])
    assert np.allclose(dist.sum(axis=1), 1.0)
    assert np.allclose(dist @ (np.arange(5) / 4), true_cell_scores(agents, cells, 0))


def test_clustered_rate_covers_and_per_move_intervals_do_not():
    rng = np.random.default_rng(7)
    quality = np.array([0.55, 0.8, 0.95])  # a game's own optimal-move probability
    truth = quality.mean()  # game lengths are independent of quality
    runs, games = 300, 40
    inside = naive = 0
    for _ in range(runs):
        q = rng.choice(quality, size=games)
        length = rng.integers(8, 31, size=games)
        game = np.repeat(np.arange(games), length)
        optimal = rng.random(len(game)) < q[game]
        est = clustered_rate(game, optimal, np.ones(len(game)), reps=300, rng=rng)
        inside += est.low <= truth <= est.high
        lo, hi = wilson_interval(optimal.sum(), len(optimal))  # the wrong method: moves as independent trials
        naive += lo <= truth <= hi
    print(f"\nclustered rate coverage {inside / runs:.3f}, moves as independent trials {naive / runs:.3f}")
    assert 0.90 <= inside / runs <= 0.99, inside / runs
    assert naive / runs <= 0.8, naive / runs
