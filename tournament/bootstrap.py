"""Resampling primitives of the tournament statistics: seeded, vectorised, numpy only.

**Within-stratum resampling.** Items (colour-swapped pairs, or cells) fall into strata (cells, groups of
cells). A replicate draws, in every stratum of ``n`` items, ``m = n - 1`` items with replacement (a stratum of
one item keeps it). This is the rescaled bootstrap of Rao & Wu (1988, JASA 83:231) with ``m = n - 1``
(McCarthy & Snowden 1985): the replicate variance of a stratum's mean is then ``s²/n``, the unbiased
estimate, where drawing ``n`` gives ``(n - 1)/n · s²/n`` -- too narrow by a factor that matters in the small
strata of a tournament (a cell holds a few pairs per pairing). Totals (e.g. counts for the rating fit) weight
each drawn item by ``n / m`` so a replicate has as many games as the data. A stratum of one item carries no
information about its own variance; it adds none.

**Intervals** are percentile intervals of the replicates (rliable's default).

Every function takes ``rng``: a :class:`numpy.random.Generator`, or an int seed, or None (fresh entropy).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

DEFAULT_REPS = 2000
DEFAULT_CONFIDENCE = 0.95


def as_generator(rng: np.random.Generator | int | None) -> np.random.Generator:
    """``rng`` itself if it is a Generator, else a new one seeded with it."""
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def z_value(p: float) -> float:
    """The standard normal quantile at ``p`` (stdlib, no scipy)."""
    return NormalDist().inv_cdf(p)


def percentile_interval(replicates: np.ndarray, confidence: float = DEFAULT_CONFIDENCE, axis: int = 0):
    """(low, high): the ``(1 - confidence) / 2`` and ``(1 + confidence) / 2`` quantiles along ``axis``.

    Replicates that are nan (a statistic undefined in that replicate) are ignored.
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    q = [(1 - confidence) / 2, (1 + confidence) / 2]
    lo, hi = np.nanquantile(np.asarray(replicates, dtype=float), q, axis=axis)
    return lo, hi


@dataclass(frozen=True)
class Strata:
    """Items grouped by stratum label, with the number each replicate draws from each stratum.

    ``order`` lists item indices stratum by stratum; stratum ``h`` holds ``order[start[h]:start[h] + size[h]]``
    and a replicate draws ``draws[h] = max(size[h] - 1, 1)`` of them (none from an empty stratum).
    """

    order: np.ndarray
    start: np.ndarray
    size: np.ndarray
    draws: np.ndarray

    @classmethod
    def from_labels(cls, labels, n_strata: int | None = None) -> Strata:
        """Strata from one integer label per item (labels ``0..n_strata - 1``)."""
        labels = np.asarray(labels, dtype=np.int64)
        if labels.ndim != 1:
            raise ValueError("stratum labels must be one integer per item")
        if len(labels) and labels.min() < 0:
            raise ValueError("stratum labels must be non-negative")
        h = int(n_strata if n_strata is not None else (labels.max() + 1 if len(labels) else 0))
        if len(labels) and labels.max() >= h:
            raise ValueError(f"stratum label {labels.max()} is not below n_strata={h}")
        order = np.argsort(labels, kind="stable")
        size = np.bincount(labels, minlength=h)
        start = np.concatenate([[0], np.cumsum(size)[:-1]]) if h else np.zeros(0, dtype=np.int64)
        draws = np.where(size > 1, size - 1, size)
        return cls(order, start.astype(np.int64), size, draws)

    @property
    def n_strata(self) -> int:
        return len(self.size)

    @property
    def singletons(self) -> int:
        """Strata of one item (they contribute no variance)."""
        return int(np.sum(self.size == 1))

    def resample(self, reps: int, rng: np.random.Generator | int | None) -> np.ndarray:
        """(reps, draws.sum()) item indices: for each stratum in turn, ``draws[h]`` items drawn from it."""
        rng = as_generator(rng)
        slot = np.repeat(np.arange(self.n_strata), self.draws)
        u = rng.random((reps, len(slot)))
        pick = self.start[slot] + np.minimum((u * self.size[slot]).astype(np.int64), self.size[slot] - 1)
        return self.order[pick]

    def means(self, values, reps: int, rng: np.random.Generator | int | None) -> np.ndarray:
        """(reps, n_strata) mean of the values drawn from each stratum (nan for an empty stratum)."""
        values = np.asarray(values, dtype=float)
        idx = self.resample(reps, rng)
        out = np.full((reps, self.n_strata), np.nan)
        nonempty = self.draws > 0
        if idx.shape[1]:
            block_start = np.concatenate([[0], np.cumsum(self.draws[nonempty])[:-1]])
            sums = np.add.reduceat(values[idx], block_start, axis=1)
            out[:, nonempty] = sums / self.draws[nonempty]
        return out

    def observed_means(self, values) -> np.ndarray:
        """(n_strata,) mean of each stratum's values (nan for an empty stratum)."""
        values = np.asarray(values, dtype=float)
        labels = np.repeat(np.arange(self.n_strata), self.size)
        sums = np.bincount(labels, weights=values[self.order], minlength=self.n_strata)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.size > 0, sums / np.maximum(self.size, 1), np.nan)


@dataclass(frozen=True)
class Interval:
    """A point estimate with a bootstrap interval."""

    value: float
    low: float
    high: float
    confidence: float = DEFAULT_CONFIDENCE

    def excludes(self, x: float = 0.0) -> bool:
        """Whether the interval lies wholly on one side of ``x`` (the data decide against ``x``)."""
        return bool(self.low > x or self.high < x)

    def __str__(self) -> str:
        return f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


def interval_from(value: float, replicates: np.ndarray, confidence: float = DEFAULT_CONFIDENCE) -> Interval:
    lo, hi = percentile_interval(replicates, confidence)
    return Interval(float(value), float(lo), float(hi), confidence)
