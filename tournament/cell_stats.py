"""Generalization over brick cells, with intervals that respect how the games were played.

The unit is an agent's **pair score**: its points in a colour-swapped pair divided by 2 (0, 1/4, 1/2, 3/4 or
1), from :meth:`tournament.pairs.PairTable.agent_scores`. A *cell score* is the mean pair score on one layout;
a group of cells scores the mean of its cell scores (each cell weighs the same). What each statistic
resamples (see :mod:`tournament.bootstrap` for the ``n - 1`` draws and percentile intervals):

* **Train minus novel** (:func:`train_novel_gap`): a *cluster bootstrap* with cells as clusters. The training
  and the novel group are resampled independently; a group of ``G >= 2`` cells draws ``G - 1`` of its cells
  with replacement (each keeps all its pairs), so the interval covers the variation between cells and is
  valid whatever the correlation of games within a cell (replayed games, shared openings). The target is
  the gap over a population of cells like these. A group of one cell (D4 alone) has no between-cell
  variation to sample: its pairs are resampled instead.
* **Interquartile mean** (:func:`iqm`): the mean of the middle 50% of the pair scores pooled over the cells,
  each cell weighing the same (its pairs share its weight; :func:`trimmed_mean` cuts by weight, so ties at a
  quartile are split, not rounded), with a *stratified bootstrap* that resamples pairs within each cell (cells
  fixed): rliable's IQM (Agarwal et al. 2021), which trims the pooled run-by-task scores, with cells as tasks
  and pairs as runs. Trimming the *cell means* instead is biased with a few pairs per cell (the noise in each
  mean moves which cells the trim cuts): on the study's data its intervals covered the truth 10-85% of the time,
  the pooled IQM's 90-99% (docs/tournament.md).
* **Probability of improvement** (:func:`probability_of_improvement`): rliable's average over cells of
  ``P(X > Y) + P(X = Y) / 2`` between a pair score of X and one of Y on that cell (the Mann-Whitney U
  statistic over ``n_x * n_y``), with X's and Y's pairs resampled independently within each cell.
* **Normalised scores** (:func:`normalise`): ``(s - random) / (perfect - random)`` per cell, with the
  reference scores given (random play 0, perfect play 1). The gap and the IQM take them; the probability of
  improvement compares ranks within a cell, which normalising does not change (perfect above random).
* **Power** (:mod:`tournament.power`, in every :class:`GapEstimate`): the smallest gap a two-sided test at
  ``alpha`` detects with 80% power, from the numbers of cells and pairs, the within-cell variance pooled over
  the agent's cells and the between-cell variance of its novel cells (applied to both groups). An interval
  that contains 0 while this number is large means "no evidence", not "no gap".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bttt.layouts import parse_layout
from tournament.bootstrap import (
    DEFAULT_CONFIDENCE,
    DEFAULT_REPS,
    Interval,
    Strata,
    as_generator,
    interval_from,
)
from tournament.pairs import PairTable
from tournament.power import VarianceComponents, detectable_gap, variance_components

Reference = tuple[np.ndarray, np.ndarray]  # (random-play score, perfect-play score) per cell


def normalise(scores, random_scores, perfect_scores) -> np.ndarray:
    """``(s - random) / (perfect - random)``: 0 at random play, 1 at perfect play (nan where they are equal).

    Args:
        scores: scores per cell (any leading shape, cells last).
        random_scores, perfect_scores: the reference scores per cell (broadcast against ``scores``).
    """
    s = np.asarray(scores, dtype=float)
    r = np.asarray(random_scores, dtype=float)
    p = np.asarray(perfect_scores, dtype=float)
    span = p - r
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(span != 0, (s - r) / np.where(span != 0, span, 1.0), np.nan)


def trimmed_mean(values, weights=None, proportion: float = 0.25) -> np.ndarray:
    """Mean of the middle ``1 - 2 * proportion`` of the weight, along the last axis (the IQM at 0.25).

    The values are sorted and the lowest and highest ``proportion`` of the total weight cut away, a value at a
    boundary keeping the part of its weight inside: the mean of the weighted distribution's quantile function
    between ``proportion`` and ``1 - proportion``. With equal weights and ``proportion * n`` whole this is
    ``scipy.stats.trim_mean``; unlike it, ties and unequal weights need no rounding of counts. Rounded to 12
    decimals, so that a value the data pin down exactly (pair scores are quarters) compares equal.

    Args:
        values: (..., n) values.
        weights: (n,) or (..., n) non-negative weights (default: equal).
        proportion: cut from each end, below 0.5.
    """
    if not 0 <= proportion < 0.5:
        raise ValueError(f"proportion must lie in [0, 0.5), got {proportion}")
    values = np.asarray(values, dtype=float)
    w = np.ones(values.shape[-1]) if weights is None else np.asarray(weights, dtype=float)
    w = np.broadcast_to(w, values.shape)
    order = np.argsort(values, axis=-1, kind="stable")
    v, w = np.take_along_axis(values, order, -1), np.take_along_axis(w, order, -1)
    w = w / w.sum(axis=-1, keepdims=True)
    top = np.cumsum(w, axis=-1)
    inside = np.clip(top, proportion, 1 - proportion) - np.clip(top - w, proportion, 1 - proportion)
    return np.round((inside * v).sum(axis=-1) / (1 - 2 * proportion), 12)


def _cells(cells, scores, n_cells: int | None) -> tuple[np.ndarray, np.ndarray, int]:
    cells = np.asarray(cells, dtype=np.int64)
    scores = np.asarray(scores, dtype=float)
    if cells.shape != scores.shape or cells.ndim != 1:
        raise ValueError("cells and scores must be two 1-d arrays of the same length (one entry per pair)")
    h = int(n_cells if n_cells is not None else (cells.max() + 1 if len(cells) else 0))
    return cells, scores, h


def _normalised(cells: np.ndarray, scores: np.ndarray, reference: Reference | None) -> np.ndarray:
    """Pair scores on the normalised scale of their cell (normalising is linear, so cell means follow)."""
    if reference is None:
        return scores
    random_scores, perfect_scores = (np.asarray(r, dtype=float) for r in reference)
    out = normalise(scores, random_scores[cells], perfect_scores[cells])
    if np.isnan(out).any():
        bad = sorted({int(c) for c in cells[np.isnan(out)]})
        raise ValueError(f"cells {bad}: the random and perfect reference scores are equal or missing")
    return out


@dataclass(frozen=True)
class GapEstimate:
    """An agent's mean cell score on training and novel cells and their difference."""

    train: Interval
    novel: Interval
    gap: Interval  # train - novel
    train_cells: int
    novel_cells: int
    pairs: int
    detectable: float  # the smallest gap detectable with the power asked for (see detectable_gap)
    components: VarianceComponents
    power: float = 0.8
    alpha: float = 0.05

    @property
    def decided(self) -> bool:
        """Whether the interval excludes a zero gap."""
        return self.gap.excludes(0.0)

    def verdict(self) -> str:
        g = self.gap
        if g.low > 0:
            return f"worse on novel cells: gap {g}"
        if g.high < 0:
            return f"better on novel cells: gap {g}"
        return (
            f"not decided: gap {g} includes 0; this tournament detects gaps of {self.detectable:.3f} or more "
            f"with {self.power:.0%} power"
        )


def _group_replicates(
    cells: np.ndarray, scores: np.ndarray, group: np.ndarray, h: int, reps: int, rng: np.random.Generator
) -> tuple[float, np.ndarray]:
    """(observed group score, (reps,) replicates) for the cells ``group`` (indices with pairs)."""
    strata = Strata.from_labels(cells, h)
    cell_means = strata.observed_means(scores)
    observed = float(np.mean(cell_means[group]))
    if len(group) == 1:  # one cell: resample its pairs
        mine = np.flatnonzero(cells == group[0])
        inner = Strata.from_labels(np.zeros(len(mine), dtype=np.int64), 1)
        return observed, inner.means(scores[mine], reps, rng)[:, 0]
    outer = Strata.from_labels(np.zeros(len(group), dtype=np.int64), 1)  # cells as clusters, G - 1 drawn
    drawn = group[outer.resample(reps, rng)]
    return observed, cell_means[drawn].mean(axis=1)


def group_score(
    cells, scores, group, h: int, reps: int = DEFAULT_REPS, rng=0, confidence: float = DEFAULT_CONFIDENCE
) -> Interval:
    """Mean cell score of the cells ``group`` (layout indices with pairs), with a cluster-bootstrap interval
    (cells as clusters; one cell resamples its pairs): the resampling of :func:`train_novel_gap`, for one group."""
    cells, scores, _ = _cells(cells, scores, h)
    observed, replicates = _group_replicates(
        cells, scores, np.asarray(group, dtype=np.int64), h, reps, as_generator(rng)
    )
    return interval_from(observed, replicates, confidence)


def train_novel_gap(
    cells,
    scores,
    train: np.ndarray,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    reference: Reference | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> GapEstimate:
    """Mean score on training cells minus novel cells, with a cluster-bootstrap interval (cells as clusters).

    Args:
        cells: the cell (layout index) of each of the agent's pairs.
        scores: its pair scores.
        train: boolean per cell index, True for training cells (cells without pairs are ignored).
        reps: bootstrap replicates.
        rng: a Generator or seed.
        confidence: interval coverage.
        reference: optional (random, perfect) scores per cell to normalise cell scores.
        alpha, power: for :func:`detectable_gap`.
    """
    train = np.asarray(train, dtype=bool)
    cells, scores, h = _cells(cells, scores, len(train))
    scores = _normalised(cells, scores, reference)
    rng = as_generator(rng)
    played = np.bincount(cells, minlength=h) > 0
    t_cells = np.flatnonzero(played & train)
    n_cells = np.flatnonzero(played & ~train)
    if not len(t_cells) or not len(n_cells):
        raise ValueError(
            f"a gap needs pairs on training and on novel cells (got {len(t_cells)} training, {len(n_cells)} novel)"
        )
    t_obs, t_rep = _group_replicates(cells, scores, t_cells, h, reps, rng)
    n_obs, n_rep = _group_replicates(cells, scores, n_cells, h, reps, rng)
    novel_pairs = np.isin(cells, n_cells)
    between = variance_components(cells[novel_pairs], scores[novel_pairs], h).between
    within = variance_components(cells, scores, h).within
    m = len(scores) / (len(t_cells) + len(n_cells))
    detect = detectable_gap(len(t_cells), len(n_cells), m, within, between, alpha, power)
    components = VarianceComponents(within, between, m, len(t_cells) + len(n_cells))
    return GapEstimate(
        interval_from(t_obs, t_rep, confidence),
        interval_from(n_obs, n_rep, confidence),
        interval_from(t_obs - n_obs, t_rep - n_rep, confidence),
        len(t_cells),
        len(n_cells),
        len(scores),
        detect,
        components,
        power,
        alpha,
    )


def iqm(
    cells,
    scores,
    n_cells: int | None = None,
    include: np.ndarray | None = None,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    reference: Reference | None = None,
) -> Interval:
    """Interquartile mean of pair scores, cells weighing the same, with a stratified bootstrap (pairs resampled
    within each cell, cells fixed).

    Args:
        cells, scores: the cell of each pair and its score.
        n_cells: number of cell indices (default from ``cells``, or ``len(include)``).
        include: boolean per cell index, the cells to aggregate (default: every cell with pairs).
        reps, rng, confidence: the bootstrap.
        reference: optional (random, perfect) scores per cell to normalise pair scores first.
    """
    if n_cells is None and include is not None:
        n_cells = len(include)
    cells, scores, h = _cells(cells, scores, n_cells)
    scores = _normalised(cells, scores, reference)
    use = np.bincount(cells, minlength=h) > 0
    if include is not None:
        use &= np.asarray(include, dtype=bool)
    if not use.any():
        raise ValueError("no cell with pairs to aggregate")
    keep = use[cells]
    cells, scores = cells[keep], scores[keep]
    strata = Strata.from_labels(cells, h)
    observed = trimmed_mean(scores, 1.0 / strata.size[cells])  # each cell's pairs share its weight
    slot = np.repeat(np.arange(h), strata.draws)
    replicates = trimmed_mean(scores[strata.resample(reps, as_generator(rng))], 1.0 / strata.draws[slot])
    return interval_from(float(observed), replicates, confidence)


def _poi_from_hist(hx: np.ndarray, hy: np.ndarray) -> np.ndarray:
    """P(X > Y) + P(X = Y)/2 from value histograms (..., U) over a common sorted grid of values."""
    below = np.cumsum(hy, axis=-1) - hy
    nx, ny = hx.sum(axis=-1), hy.sum(axis=-1)
    return np.sum(hx * (below + 0.5 * hy), axis=-1) / (nx * ny)


def probability_of_improvement(
    x_cells,
    x_scores,
    y_cells,
    y_scores,
    n_cells: int | None = None,
    include: np.ndarray | None = None,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> Interval:
    """rliable's probability that X improves on Y, averaged over the cells where both have pairs.

    Args:
        x_cells, x_scores: cell and pair score of each of X's pairs (compare X and Y against the same opponents).
        y_cells, y_scores: the same for Y.
        n_cells: number of cell indices; include: boolean per cell index, the cells to average over.
        reps, rng, confidence: the bootstrap (X's and Y's pairs resampled independently within cells).
    """
    x_cells, x_scores, hx_ = _cells(x_cells, x_scores, n_cells)
    y_cells, y_scores, hy_ = _cells(y_cells, y_scores, n_cells)
    h = max(hx_, hy_) if n_cells is None else n_cells
    grid, ranks = np.unique(np.concatenate([x_scores, y_scores]), return_inverse=True)
    rx, ry = ranks[: len(x_scores)], ranks[len(x_scores) :]
    u = len(grid)
    sx, sy = Strata.from_labels(x_cells, h), Strata.from_labels(y_cells, h)
    use = (sx.size > 0) & (sy.size > 0)
    if include is not None:
        use &= np.asarray(include, dtype=bool)
    if not use.any():
        raise ValueError("X and Y share no cell with pairs")

    def hist(labels: np.ndarray, r: np.ndarray) -> np.ndarray:
        return np.bincount(labels * u + r, minlength=h * u).reshape(h, u).astype(float)

    observed = _poi_from_hist(hist(x_cells, rx), hist(y_cells, ry))[use].mean()
    rng = as_generator(rng)

    def replicate_hist(strata: Strata, r: np.ndarray, cells: np.ndarray) -> np.ndarray:
        idx = strata.resample(reps, rng)
        flat = (np.arange(reps)[:, None] * h + cells[idx]) * u + r[idx]
        return np.bincount(flat.ravel(), minlength=reps * h * u).reshape(reps, h, u).astype(float)

    hx = replicate_hist(sx, rx, x_cells)[:, use]
    hy = replicate_hist(sy, ry, y_cells)[:, use]
    return interval_from(float(observed), _poi_from_hist(hx, hy).mean(axis=1), confidence)


def training_layouts(layouts: Iterable[str], training_cells: Iterable[int], rows: int = 7, cols: int = 7) -> list[bool]:
    """For each layout name, whether all its bricks are training cells (the rule of tournament.generalization)."""
    cells = set(training_cells)
    return [set(parse_layout(name, rows, cols)) <= cells for name in layouts]


@dataclass(frozen=True)
class AgentStats:
    """Everything :func:`agent_generalization` computes for one agent (cell order = ``PairTable.layouts``)."""

    agent: str
    layouts: tuple[str, ...]
    cell_scores: np.ndarray  # mean pair score per layout (nan without pairs)
    cell_pairs: np.ndarray  # pairs per layout
    iqm: Interval  # over every layout played
    gap: GapEstimate | None  # None without training or novel layouts
    iqm_novel: Interval | None


def agent_generalization(
    pairs: PairTable,
    agent: str,
    train: Iterable[bool] | None,
    opponents: Iterable[str] | None = None,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
    reference: Reference | None = None,
) -> AgentStats:
    """Cell scores, IQM, and (with a training split) the train-minus-novel gap of one agent.

    Args:
        pairs: the tournament's complete pairs.
        agent: the agent's name.
        train: one bool per ``pairs.layouts`` (see :func:`training_layouts`), or None for a control agent.
        opponents: restrict to these opponents (default: all).
        reps, rng, confidence: the bootstraps (every statistic draws from the one ``rng``, in a fixed order).
        reference: optional (random, perfect) scores per layout to normalise cell scores.
    """
    rng = as_generator(rng)
    h = len(pairs.layouts)
    cells, scores = pairs.agent_scores(agent, opponents)
    strata = Strata.from_labels(cells, h)
    cell_scores = strata.observed_means(_normalised(cells, scores, reference))
    overall = iqm(cells, scores, h, None, reps, rng, confidence, reference)
    gap = novel_iqm = None
    if train is not None:
        mask = np.asarray(list(train), dtype=bool)
        if len(mask) != h:
            raise ValueError(f"train has {len(mask)} entries for {h} layouts")
        played = strata.size > 0
        if (mask & played).any() and (~mask & played).any():
            gap = train_novel_gap(cells, scores, mask, reps, rng, confidence, reference)
            novel_iqm = iqm(cells, scores, h, ~mask, reps, rng, confidence, reference)
    return AgentStats(agent, pairs.layouts, cell_scores, strata.size.copy(), overall, gap, novel_iqm)
