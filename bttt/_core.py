"""numba-compiled hot paths over bitboards.

A position is two uint64 bitboards (player 1's and player 2's stones) plus the
mask of playable cells; bit ``c`` is cell ``c``. Nothing here allocates Python
objects per move. Random numbers come from a splitmix64 generator whose state is a
one-element uint64 array, so every stream is explicit and seedable.
"""

from __future__ import annotations

import numpy as np
from numba import njit

ONGOING, P1_WIN, P2_WIN, DRAW = 0, 1, 2, 3

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_ONE = np.uint64(1)
_ZERO = np.uint64(0)


def make_rng(seed: int) -> np.ndarray:
    """A splitmix64 state for :func:`next_u64` from any Python integer seed."""
    return np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)


@njit(cache=True)
def next_u64(rng: np.ndarray) -> np.uint64:
    rng[0] += _GOLDEN
    z = rng[0]
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def rand_below(rng: np.ndarray, n: int) -> int:
    """Uniform integer in ``[0, n)`` (Lemire's multiply-shift, n < 2**32)."""
    return int(((next_u64(rng) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True)
def rand_unit(rng: np.ndarray) -> float:
    """Uniform float in ``[0, 1)``."""
    return float(next_u64(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def lowest_bit_index(x: np.uint64) -> int:
    """Index of the least significant set bit of a non-zero ``x``."""
    return popcount((x & (~x + _ONE)) - _ONE)


@njit(cache=True)
def is_win_at(stones: np.uint64, cell: int, win_masks, cell_ptr, cell_wins) -> bool:
    """Whether ``stones`` complete a live window through ``cell``."""
    for j in range(cell_ptr[cell], cell_ptr[cell + 1]):
        m = win_masks[cell_wins[j]]
        if stones & m == m:
            return True
    return False


@njit(cache=True)
def status_after(
    stones_mover: np.uint64, occupied: np.uint64, cell: int, mover: int, full: np.uint64, win_masks, cell_ptr, cell_wins
) -> int:
    """Game status after ``mover`` (1 or 2) played ``cell``; stones/occupied already updated."""
    if is_win_at(stones_mover, cell, win_masks, cell_ptr, cell_wins):
        return P1_WIN if mover == 1 else P2_WIN
    if occupied & full == full:
        return DRAW
    return ONGOING


@njit(cache=True)
def random_playout(
    p1: np.uint64, p2: np.uint64, to_move: int, full: np.uint64, win_masks, cell_ptr, cell_wins, rng, empties
) -> int:
    """Play uniformly random legal moves to the end; return (final status, moves played).

    ``empties`` is scratch space of at least n_cells int64 (reused, not allocated).
    """
    occupied = p1 | p2
    free = full & ~occupied
    n = 0
    while free:
        c = lowest_bit_index(free)
        empties[n] = c
        n += 1
        free &= free - _ONE
    mover = to_move
    for i in range(n):
        j = i + rand_below(rng, n - i)
        c = empties[j]
        empties[j] = empties[i]
        b = _ONE << np.uint64(c)
        if mover == 1:
            p1 |= b
            if is_win_at(p1, c, win_masks, cell_ptr, cell_wins):
                return P1_WIN, i + 1
        else:
            p2 |= b
            if is_win_at(p2, c, win_masks, cell_ptr, cell_wins):
                return P2_WIN, i + 1
        mover = 3 - mover
    return DRAW, n


@njit(cache=True)
def random_playouts(
    p1: np.uint64, p2: np.uint64, to_move: int, full: np.uint64, win_masks, cell_ptr, cell_wins, rng, n_games: int
) -> np.ndarray:
    """Many playouts from one position.

    Returns int64[5]: index 1/2/3 count P1 wins, P2 wins and draws; index 4 is the
    total number of moves played (for throughput figures).
    """
    empties = np.empty(64, dtype=np.int64)
    counts = np.zeros(5, dtype=np.int64)
    for _ in range(n_games):
        status, moves = random_playout(p1, p2, to_move, full, win_masks, cell_ptr, cell_wins, rng, empties)
        counts[status] += 1
        counts[4] += moves
    return counts
