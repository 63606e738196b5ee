"""numba kernels for the original code's Minimax (the paper preset).

:func:`paper_root_values` re-creates it: for each legal root move (ascending) the
value of ``minimax(child, -10000, 10000, depth - 1)``, player 1 maximising, player 2
minimising, terminal positions scored +1/-1/0 and depth-0 positions by the expert
heuristic. Each root value is exact, so exact float ties can be collected as the
original did. The inner search is iterative (an explicit frame stack) because
numba's on-disk cache of recursive functions crashes on reload.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.heuristic import evaluate
from bttt.kernels import DRAW, ONGOING, P1_WIN, lowest_bit_index, play_cell

_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_ENTER, _NEXT, _RETURN = 0, 1, 2


@njit(cache=True)
def _paper_minimax(p1, p2, to_move, depth, alpha, beta, t, h):
    """The original alpha-beta minimax of a non-terminal position (player 1's point of view)."""
    fp1 = np.empty(depth + 1, dtype=np.uint64)
    fp2 = np.empty(depth + 1, dtype=np.uint64)
    frem = np.empty(depth + 1, dtype=np.uint64)  # moves not yet tried, lowest first
    fmover = np.empty(depth + 1, dtype=np.int64)
    fab = np.empty((depth + 1, 3), dtype=np.float64)  # alpha, beta, best
    p = 0
    fp1[0], fp2[0], fmover[0] = p1, p2, to_move
    fab[0, 0], fab[0, 1] = alpha, beta
    mode = _ENTER
    ret = 0.0
    while True:
        if mode == _ENTER:
            if depth - p == 0:
                ret = evaluate(fp1[p], fp2[p], h)
                mode = _RETURN
                continue
            frem[p] = t.full & ~(fp1[p] | fp2[p])
            fab[p, 2] = -np.inf if fmover[p] == 1 else np.inf
            mode = _NEXT
        elif mode == _NEXT:
            rem = frem[p]
            if rem == _ZERO:
                ret = fab[p, 2]
                mode = _RETURN
                continue
            c = lowest_bit_index(rem)
            frem[p] = rem & (rem - _ONE)
            mover = fmover[p]
            n1, n2, status = play_cell(fp1[p], fp2[p], mover, c, t.full, t)
            if status != ONGOING:
                v = _terminal_value(status)
            else:
                q = p + 1
                fp1[q], fp2[q], fmover[q] = n1, n2, 3 - mover
                fab[q, 0], fab[q, 1] = fab[p, 0], fab[p, 1]
                p = q
                mode = _ENTER
                continue
            mode = _NEXT if _take(fab, p, mover, v) else _RETURN
            if mode == _RETURN:
                ret = fab[p, 2]
        else:  # _RETURN: ret is the value of the node at ply p
            if p == 0:
                return ret
            p -= 1
            if _take(fab, p, fmover[p], ret):
                mode = _NEXT
            else:
                ret = fab[p, 2]


@njit(cache=True)
def _terminal_value(status):
    """+1, -1 or 0 from player 1's point of view, as the original scored finished games."""
    if status == P1_WIN:
        return 1.0
    if status == DRAW:
        return 0.0
    return -1.0


@njit(cache=True)
def _take(fab, p, mover, v):
    """Fold a child's value into frame ``p``; False on an alpha-beta cut-off."""
    if mover == 1:
        if v > fab[p, 2]:
            fab[p, 2] = v
        if fab[p, 2] > fab[p, 0]:
            fab[p, 0] = fab[p, 2]
    else:
        if v < fab[p, 2]:
            fab[p, 2] = v
        if fab[p, 2] < fab[p, 1]:
            fab[p, 1] = fab[p, 2]
    return fab[p, 1] > fab[p, 0]


@njit(cache=True)
def paper_root_values(p1, p2, to_move, depth, t, h):
    """(moves, values): every legal move in ascending order and its exact original Minimax value."""
    free = t.full & ~(p1 | p2)
    n = 0
    moves = np.empty(64, dtype=np.int64)
    values = np.empty(64, dtype=np.float64)
    while free != _ZERO:
        c = lowest_bit_index(free)
        free &= free - _ONE
        n1, n2, status = play_cell(p1, p2, to_move, c, t.full, t)
        if status != ONGOING:
            v = _terminal_value(status)
        else:
            v = _paper_minimax(n1, n2, 3 - to_move, max(depth - 1, 0), -10000.0, 10000.0, t, h)
        moves[n] = c
        values[n] = v
        n += 1
    return moves[:n], values[:n]
