"""numba kernels for the original code's Minimax (the paper preset).

:func:`paper_root_values` re-creates it: for each legal root move (ascending) the
value of ``minimax(child, -10000, 10000, depth - 1)``, player 1 maximising, player 2
minimising, terminal positions scored +1/-1/0 and depth-0 positions by the expert
heuristic. Each root value is exact, so exact float ties can be collected as the
original did.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.heuristic import evaluate
from bttt._core import is_win_at, lowest_bit_index

_ONE = np.uint64(1)
_ZERO = np.uint64(0)


# --------------------------------------------------------------- paper search
@njit(cache=False)  # recursive: numba's on-disk cache of recursive functions crashes on reload
def _paper_minimax(p1, p2, to_move, depth, alpha, beta, full, win_masks, cell_ptr, cell_wins,
                   hmasks, hfirst, hlast, bricks, k):
    """The original minimax on a non-terminal position (player 1's point of view)."""
    if depth == 0:
        return evaluate(p1, p2, bricks, hmasks, hfirst, hlast, k)
    free = full & ~(p1 | p2)
    best = -np.inf if to_move == 1 else np.inf
    while free != _ZERO:
        c = lowest_bit_index(free)
        b = _ONE << np.uint64(c)
        free &= free - _ONE
        if to_move == 1:
            n1, n2 = p1 | b, p2
            won = is_win_at(n1, c, win_masks, cell_ptr, cell_wins)
        else:
            n1, n2 = p1, p2 | b
            won = is_win_at(n2, c, win_masks, cell_ptr, cell_wins)
        if won:
            v = 1.0 if to_move == 1 else -1.0
        elif (n1 | n2) & full == full:
            v = 0.0
        else:
            v = _paper_minimax(n1, n2, 3 - to_move, depth - 1, alpha, beta, full, win_masks, cell_ptr,
                               cell_wins, hmasks, hfirst, hlast, bricks, k)
        if to_move == 1:
            if v > best:
                best = v
            if best > alpha:
                alpha = best
        else:
            if v < best:
                best = v
            if best < beta:
                beta = best
        if beta <= alpha:
            break
    return best


@njit(cache=True)
def _reply_extreme(p1, p2, to_move, full, win_masks, cell_ptr, cell_wins, hmasks, hfirst, hlast, bricks, k):
    """Depth-1 original minimax of a non-terminal position: best reply by the heuristic."""
    free = full & ~(p1 | p2)
    best = -np.inf if to_move == 1 else np.inf
    while free != _ZERO:
        c = lowest_bit_index(free)
        b = _ONE << np.uint64(c)
        free &= free - _ONE
        if to_move == 1:
            n1, n2 = p1 | b, p2
            won = is_win_at(n1, c, win_masks, cell_ptr, cell_wins)
        else:
            n1, n2 = p1, p2 | b
            won = is_win_at(n2, c, win_masks, cell_ptr, cell_wins)
        if won:
            v = 1.0 if to_move == 1 else -1.0
        elif (n1 | n2) & full == full:
            v = 0.0
        else:
            v = evaluate(n1, n2, bricks, hmasks, hfirst, hlast, k)
        if to_move == 1:
            if v > best:
                best = v
        elif v < best:
            best = v
    return best


def paper_root_values(p1, p2, to_move, depth, full, win_masks, cell_ptr, cell_wins,
                      hmasks, hfirst, hlast, bricks, k):
    """(moves, values): every legal move in ascending order and its exact original Minimax value.

    Depths 1 and 2 (the paper's) run a cached non-recursive kernel; deeper searches
    use the recursive one, which numba cannot cache safely.
    """
    if depth <= 2:
        return _paper_root_shallow(p1, p2, to_move, depth, full, win_masks, cell_ptr, cell_wins,
                                   hmasks, hfirst, hlast, bricks, k)
    return _paper_root_deep(p1, p2, to_move, depth, full, win_masks, cell_ptr, cell_wins,
                            hmasks, hfirst, hlast, bricks, k)


@njit(cache=True)
def _paper_root_shallow(p1, p2, to_move, depth, full, win_masks, cell_ptr, cell_wins,
                        hmasks, hfirst, hlast, bricks, k):
    free = full & ~(p1 | p2)
    n = 0
    moves = np.empty(64, dtype=np.int64)
    values = np.empty(64, dtype=np.float64)
    while free != _ZERO:
        c = lowest_bit_index(free)
        b = _ONE << np.uint64(c)
        free &= free - _ONE
        if to_move == 1:
            n1, n2 = p1 | b, p2
            won = is_win_at(n1, c, win_masks, cell_ptr, cell_wins)
        else:
            n1, n2 = p1, p2 | b
            won = is_win_at(n2, c, win_masks, cell_ptr, cell_wins)
        if won:
            v = 1.0 if to_move == 1 else -1.0
        elif (n1 | n2) & full == full:
            v = 0.0
        elif depth <= 1:
            v = evaluate(n1, n2, bricks, hmasks, hfirst, hlast, k)
        else:
            v = _reply_extreme(n1, n2, 3 - to_move, full, win_masks, cell_ptr, cell_wins,
                               hmasks, hfirst, hlast, bricks, k)
        moves[n] = c
        values[n] = v
        n += 1
    return moves[:n], values[:n]


@njit(cache=False)
def _paper_root_deep(p1, p2, to_move, depth, full, win_masks, cell_ptr, cell_wins,
                     hmasks, hfirst, hlast, bricks, k):
    free = full & ~(p1 | p2)
    n = 0
    moves = np.empty(64, dtype=np.int64)
    values = np.empty(64, dtype=np.float64)
    while free != _ZERO:
        c = lowest_bit_index(free)
        b = _ONE << np.uint64(c)
        free &= free - _ONE
        if to_move == 1:
            n1, n2 = p1 | b, p2
            won = is_win_at(n1, c, win_masks, cell_ptr, cell_wins)
        else:
            n1, n2 = p1, p2 | b
            won = is_win_at(n2, c, win_masks, cell_ptr, cell_wins)
        if won:
            v = 1.0 if to_move == 1 else -1.0
        elif (n1 | n2) & full == full:
            v = 0.0
        else:
            v = _paper_minimax(n1, n2, 3 - to_move, depth - 1, -10000.0, 10000.0, full, win_masks,
                               cell_ptr, cell_wins, hmasks, hfirst, hlast, bricks, k)
        moves[n] = c
        values[n] = v
        n += 1
    return moves[:n], values[:n]
