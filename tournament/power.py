"""Power of the train-minus-novel comparison: the smallest gap a tournament can detect.

``detectable_gap`` is the smallest gap that a two-sided test at ``alpha`` detects with the given power,
``(z(1 - alpha/2) + z(power)) * SE`` with ``SE² = V_train + V_novel``; a group of ``G`` cells with ``m`` pairs
each has ``V = (σ_b² + σ_w² / m) / G`` (``V = σ_w² / m`` for one cell, whose pairs are all that vary).
``variance_components`` estimates ``σ_w²`` (the pooled within-cell variance of a pair score, the mean square
within of a one-way analysis of variance) and ``σ_b²`` (the between-cell variance of cell scores,
``(MSB - MSW) / m0`` floored at 0, ``m0`` the unbalanced-design pairs per cell). See
:func:`tournament.cell_stats.train_novel_gap` for how they are combined.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tournament.bootstrap import z_value


@dataclass(frozen=True)
class VarianceComponents:
    """One-way analysis of variance of pair scores by cell."""

    within: float  # pooled within-cell variance of one pair score (mean square within)
    between: float  # variance of the true cell scores between cells (floored at 0)
    pairs_per_cell: float  # mean pairs per cell
    cells: int


def variance_components(cells, scores, n_cells: int | None = None) -> VarianceComponents:
    """Within- and between-cell variance of pair scores (cells with at least one pair count).

    Args:
        cells: the cell (layout index) of each pair.
        scores: the pair scores.
        n_cells: the number of cell indices (default: the largest index + 1).
    """
    cells = np.asarray(cells, dtype=np.int64)
    scores = np.asarray(scores, dtype=float)
    if cells.shape != scores.shape or cells.ndim != 1:
        raise ValueError("cells and scores must be two 1-d arrays of the same length (one entry per pair)")
    h = int(n_cells if n_cells is not None else (cells.max() + 1 if len(cells) else 0))
    size = np.bincount(cells, minlength=h).astype(float)
    used = size > 0
    sums = np.bincount(cells, weights=scores, minlength=h)
    means = np.where(used, sums / np.maximum(size, 1), 0.0)
    resid = scores - means[cells]
    g, n = int(used.sum()), len(scores)
    within = float(resid @ resid / (n - g)) if n > g else 0.0
    m = n / g if g else 0.0
    if g >= 2:
        grand = scores.mean()
        msb = float(size[used] @ (means[used] - grand) ** 2 / (g - 1))
        m0 = (n - float(size[used] @ size[used]) / n) / (g - 1)  # the unbalanced-design pairs per cell
        between = max((msb - within) / m0, 0.0)
    else:
        between = 0.0
    return VarianceComponents(within, between, m, g)


def detectable_gap(
    train_cells: int,
    novel_cells: int,
    pairs_per_cell: float,
    within: float,
    between: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """The smallest train-minus-novel gap a two-sided test at ``alpha`` detects with probability ``power``.

    Args:
        train_cells, novel_cells: cells in each group (a one-cell group contributes within-cell variance only).
        pairs_per_cell: pairs of the agent per cell.
        within: variance of one pair score within a cell.
        between: variance of cell scores between cells.
        alpha, power: the test's size and the power asked for.
    """
    if train_cells < 1 or novel_cells < 1 or pairs_per_cell <= 0:
        return float("nan")

    def group_variance(g: int) -> float:
        return within / pairs_per_cell if g == 1 else (between + within / pairs_per_cell) / g

    se = np.sqrt(group_variance(train_cells) + group_variance(novel_cells))
    return float((z_value(1 - alpha / 2) + z_value(power)) * se)
