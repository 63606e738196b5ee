"""Rates over clustered units, e.g. an agent's optimal-move rate where the moves of one game form a cluster.

A rate is ``sum(numerator) / sum(denominator)`` (a ratio estimator: every move weighs the same). The moves of
a game are not independent (one mistake changes the rest of the game), so the interval resamples whole
clusters: a cluster bootstrap drawing ``G - 1`` of the ``G`` clusters with replacement, within each stratum if
strata are given (e.g. cells, so every replicate keeps each cell's share of games), each drawn cluster
weighted ``G_h / (G_h - 1)`` (the Rao-Wu rescaling of :mod:`tournament.bootstrap`), percentile interval.

When every cluster has the same rate at an extreme (no blunder anywhere, or every move optimal) the bootstrap
has no variation to show; the interval is then the Wilson score interval with one trial per cluster, which is
conservative because a cluster holds at least one unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tournament.bootstrap import DEFAULT_CONFIDENCE, DEFAULT_REPS, Strata, as_generator, percentile_interval, z_value


@dataclass(frozen=True)
class RateEstimate:
    """A clustered rate with its interval."""

    rate: float
    low: float
    high: float
    numerator: float
    denominator: float
    clusters: int
    method: str  # "cluster bootstrap" or "wilson (clusters as trials)"
    confidence: float = DEFAULT_CONFIDENCE

    def __str__(self) -> str:
        return f"{self.rate:.3f} [{self.low:.3f}, {self.high:.3f}] ({self.clusters} clusters)"


def wilson_interval(successes: float, trials: float, confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of a binomial proportion."""
    if trials <= 0:
        return float("nan"), float("nan")
    z = z_value((1 + confidence) / 2)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    return max(0.0, centre - half), min(1.0, centre + half)


def clustered_rate(
    cluster,
    numerator,
    denominator,
    strata=None,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
    confidence: float = DEFAULT_CONFIDENCE,
) -> RateEstimate:
    """``sum(numerator) / sum(denominator)`` with a cluster-bootstrap interval.

    Args:
        cluster: a cluster id per row (any hashable values: a game id).
        numerator, denominator: per row (per move: 1/0 and 1; or per game: optimal moves and moves).
        strata: optional stratum per row (e.g. the cell); a cluster must lie in one stratum.
        reps, rng, confidence: the bootstrap.
    """
    ids, inverse = np.unique(np.asarray(cluster), return_inverse=True)
    num = np.bincount(inverse, weights=np.asarray(numerator, dtype=float), minlength=len(ids))
    den = np.bincount(inverse, weights=np.asarray(denominator, dtype=float), minlength=len(ids))
    if np.any(den < 0) or not den.sum() > 0:
        raise ValueError("denominators must be non-negative with a positive total")
    if strata is None:
        labels = np.zeros(len(ids), dtype=np.int64)
    else:
        _, s_inv = np.unique(np.asarray(strata), return_inverse=True)
        low = np.full(len(ids), np.iinfo(np.int64).max)
        high = np.full(len(ids), -1)
        np.minimum.at(low, inverse, s_inv)
        np.maximum.at(high, inverse, s_inv)
        if np.any(low != high):
            raise ValueError("a cluster spans several strata: strata must be constant within each cluster")
        labels = low
    rate = float(num.sum() / den.sum())
    per_cluster = num[den > 0] / den[den > 0]
    if rate in (0.0, 1.0) and np.all(per_cluster == rate):
        lo, hi = wilson_interval(rate * len(ids), len(ids), confidence)
        return RateEstimate(
            rate, lo, hi, float(num.sum()), float(den.sum()), len(ids), "wilson (clusters as trials)", confidence
        )
    st = Strata.from_labels(labels)
    idx = st.resample(reps, as_generator(rng))  # (reps, sum of G_h - 1)
    weight = np.repeat(st.size / np.maximum(st.draws, 1), st.draws)
    rep = (num[idx] * weight).sum(axis=1) / (den[idx] * weight).sum(axis=1)
    lo, hi = percentile_interval(rep, confidence)
    return RateEstimate(
        rate, float(lo), float(hi), float(num.sum()), float(den.sum()), len(ids), "cluster bootstrap", confidence
    )
