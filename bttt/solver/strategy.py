"""Which null-window probe comes next: the order in which a solver narrows a value's interval (numba, no state).

Each strategy maps the interval ``[lo, hi]`` proven so far (and the last value a probe returned) to the next
threshold ``x`` to test ("is the score at least ``x``?"), always with ``lo < x <= hi`` so every probe narrows
the interval. See :mod:`bttt.solver.engine` for what each one does and docs/solver.md for how they compare.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bttt.solver.values import SCORE_MAX

HORIZON, WDL, BISECT, MTDF = 0, 1, 2, 3
NAMES = ("horizon", "wdl", "bisect", "mtdf")


@njit(cache=True)
def _ladder(empties):
    """The scores a position with ``empties`` empty cells can have, ascending (losses, draw, wins)."""
    out = np.empty(empties + 2, dtype=np.int64)
    n = 0
    for d in range(2, empties + 1, 2):
        out[n] = d - SCORE_MAX
        n += 1
    out[n] = 0
    n += 1
    d = empties if empties % 2 == 1 else empties - 1
    while d >= 1:
        out[n] = SCORE_MAX - d
        n += 1
        d -= 2
    return out[:n]


@njit(cache=True)
def _next_above(lo, hi, ladder):
    for x in ladder:
        if x > lo:
            return x if x <= hi else hi
    return hi


@njit(cache=True)
def next_threshold(strategy, lo, hi, empties, last):
    """The threshold ``x`` (``lo < x <= hi``) of the next probe; ``last`` is the previous probe's value (or 0)."""
    ladder = _ladder(empties)
    first_win = SCORE_MAX - (empties if empties % 2 == 1 else empties - 1)
    has_win = empties >= 1
    if strategy == HORIZON:
        for d in range(1, empties + 1):
            x = SCORE_MAX - d if d % 2 == 1 else d + 2 - SCORE_MAX
            if lo < x <= hi:
                return x
        if lo < 0 <= hi:
            return 0
        return _next_above(lo, hi, ladder)
    if strategy == WDL:
        if has_win and lo < first_win <= hi and lo <= 0:
            return first_win
        if lo < 0 <= hi:
            return 0
        if lo > 0:
            for d in range(1, empties + 1, 2):
                x = SCORE_MAX - d
                if lo < x <= hi:
                    return x
        else:
            for d in range(2, empties + 1, 2):
                x = d + 2 - SCORE_MAX
                if lo < x <= hi:
                    return x
        return _next_above(lo, hi, ladder)
    if strategy == BISECT:
        n = 0
        zero = -1
        inside = np.empty(ladder.shape[0], dtype=np.int64)
        for x in ladder:
            if lo < x <= hi:
                if x == 0:
                    zero = n
                inside[n] = x
                n += 1
        if n == 0:
            return _next_above(lo, hi, ladder)
        mid = inside[(n - 1) // 2]
        if zero >= 0:  # towards the draw first, as Pons's Connect-4 solver does
            if mid < 0:
                mid = max(mid, inside[zero // 2])
            elif mid > 0:
                mid = min(mid, inside[(zero + n) // 2])
        return mid
    # MTDF: probe at the last value returned (starting from the draw)
    if last <= lo:
        return _next_above(lo, hi, ladder)
    if last > hi:
        return hi
    return last
