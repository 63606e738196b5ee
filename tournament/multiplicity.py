"""Bootstrap p-values and the Holm correction for a page of tests (numpy only).

A report that prints thirty 95% intervals will show one or two that exclude zero by chance. Holm's step-down
procedure (Holm 1979, Scand. J. Statist. 6:65) keeps the chance of any false "decided" on the page at
``alpha`` without assuming the tests are independent, and is uniformly more powerful than Bonferroni.
"""

from __future__ import annotations

import numpy as np


def bootstrap_p_value(replicates: np.ndarray, null: float = 0.0) -> float:
    """Two-sided p-value of ``null`` that inverts the percentile interval of ``replicates``.

    It is the smallest ``1 - confidence`` at which the percentile interval excludes ``null``:
    ``2 * min(P*(T <= null), P*(T >= null))`` over the replicates ``T`` (nan ignored), with one added to
    each count so that a finite number of replicates never gives exactly 0.

    Args:
        replicates: bootstrap replicates of the statistic.
        null: the value tested.
    """
    t = np.asarray(replicates, dtype=float)
    t = t[~np.isnan(t)]
    if t.size == 0:
        return float("nan")
    below = (np.count_nonzero(t <= null) + 1) / (t.size + 1)
    above = (np.count_nonzero(t >= null) + 1) / (t.size + 1)
    return float(min(1.0, 2 * min(below, above)))


def holm(p_values) -> np.ndarray:
    """Holm-adjusted p-values: reject test ``i`` at family-wise level ``alpha`` when ``adjusted[i] < alpha``.

    The ``k``-th smallest of ``m`` p-values is multiplied by ``m - k + 1`` (k from 1), the products are made
    non-decreasing in that order and capped at 1. nan entries are left out of ``m`` and stay nan.

    Example:
        >>> holm([0.01, 0.04, 0.03]).round(3).tolist()
        [0.03, 0.06, 0.06]
    """
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    scaled = p[order] * (m - np.arange(m))
    out[order] = np.minimum(1.0, np.maximum.accumulate(scaled))
    return out
