"""The paper's "expert heuristic", ported exactly and compiled with numba.

The original scores a position from player 1's (O's) point of view by summing, over
every window of ``win_length`` cells in a fixed order (start cell row-major, then
row, column, diagonal, anti-diagonal), a reward per window:

* 0 if the window holds a brick, stones of both players, or no stone at all;
* only O stones: ``bonus * 1.5 / 100**blank``; only X stones: ``-bonus / 100**blank``,

where ``blank`` counts the empty cells and ``bonus`` is 2 when the window's first and
last cells are both empty, else 1. Windows that leave the board count as bricked
(exactly 0), so summing :attr:`bttt.Rules.windows` in order reproduces the original
floating-point sums bit for bit, which matters because Minimax ties are exact.

MCTS's paper leaf value squashes it onto [-1, 1]: ``(6 + log10(|v| + 1e-6)) / 6 * sign(v)``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from bttt import GameState, Rules
from bttt.kernels import popcount

# 100**blank as exact floats (blank <= 7 on boards up to 7x7).
POW100 = np.array([100.0**i for i in range(9)], dtype=np.float64)


class HeuristicTables(NamedTuple):
    """Every in-bounds window as bitmasks, in the original summation order (passed to the kernels as one bundle).

    Attributes:
        masks: ``uint64[n_windows]``, all cells of each window.
        first, last: ``uint64[n_windows]``, the bit of each window's first and last cell.
        bricks: the brick bitboard.
        win_length: cells per window.
    """

    masks: np.ndarray
    first: np.ndarray
    last: np.ndarray
    bricks: np.uint64
    win_length: int


_CACHE: dict[Rules, HeuristicTables] = {}


def heuristic_tables(rules: Rules) -> HeuristicTables:
    """Cached :class:`HeuristicTables` for ``rules``."""
    tables = _CACHE.get(rules)
    if tables is None:
        w = rules.windows
        bit = np.array([1 << c for c in range(rules.n_cells)], dtype=np.uint64)
        masks = np.zeros(len(w), dtype=np.uint64)
        for i, window in enumerate(w):
            for c in window:
                masks[i] |= bit[int(c)]
        tables = HeuristicTables(
            masks, bit[w[:, 0]].copy(), bit[w[:, -1]].copy(), np.uint64(rules.brick_mask), rules.win_length
        )
        _CACHE[rules] = tables
    return tables


@njit(cache=True)
def evaluate(p1: np.uint64, p2: np.uint64, h: HeuristicTables) -> float:
    """The original heuristic of a position, player 1's point of view (exact summation order)."""
    value = 0.0
    zero = np.uint64(0)
    masks, first, last, bricks, k = h.masks, h.first, h.last, h.bricks, h.win_length
    for i in range(masks.shape[0]):
        m = masks[i]
        if m & bricks != zero:
            continue
        o = m & p1
        x = m & p2
        if o != zero:
            if x != zero:
                continue
            blank = k - popcount(o)
            empty_ends = (first[i] & (p1 | p2)) == zero and (last[i] & (p1 | p2)) == zero
            bonus = 2.0 if empty_ends else 1.0
            value += bonus * 1.5 / POW100[blank]
        elif x != zero:
            blank = k - popcount(x)
            empty_ends = (first[i] & (p1 | p2)) == zero and (last[i] & (p1 | p2)) == zero
            bonus = 2.0 if empty_ends else 1.0
            value += -bonus / POW100[blank]
    return value


@njit(cache=True)
def log_scaled(v: float) -> float:
    """The paper's MCTS leaf value: the heuristic squashed to [-1, 1], sign kept."""
    if v == 0.0:
        return 0.0
    s = 1.0 if v > 0.0 else -1.0
    return (6.0 + math.log10(abs(v) + 1e-6)) / 6.0 * s


def heuristic_value(state: GameState) -> float:
    """The original heuristic of ``state`` (player 1's point of view)."""
    return float(evaluate(np.uint64(state.p1), np.uint64(state.p2), heuristic_tables(state.rules)))
