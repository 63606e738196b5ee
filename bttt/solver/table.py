"""The transposition table: proven score intervals of positions, in bounded memory.

An entry holds a canonical position (both bitboards, so a hit is exact, never a hash collision), the interval of
scores proven for it (:mod:`bttt.solver.values`, relative to that position), the best move found (in canonical
coordinates) and the *work*: ``1 + log2`` of the nodes its search took, so cheap results give way to costly ones.

Buckets of two entries: the first keeps the entry of most work, the second the most recent. A new result for a
position already stored narrows its interval (both are proven, so the intersection holds); one for a new position
takes the first slot if it cost at least as much as the entry there (which moves to the second), else the second.

Every change marks its slot *dirty*, so a solution store writes only what changed since its last write and the
write at Ctrl-C stays short however long the solve ran.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from bttt.solver.values import SCORE_MAX

ENTRY_BYTES = 8 + 8 + 1 + 1 + 1 + 1 + 1
_M1 = np.uint64(0x9E3779B97F4A7C15)
_M2 = np.uint64(0xC2B2AE3D27D4EB4F)


class TransTable(NamedTuple):
    """Struct-of-arrays transposition table of ``2**bits`` entries (``2**(bits-1)`` buckets of two).

    Attributes:
        k1, k2: ``uint64``: the canonical stones of the side to move and of the opponent.
        lo, hi: ``int8``: the proven score interval, relative to the position.
        move: ``int8``: best move in canonical coordinates, -1 if none.
        work: ``uint8``: 0 for an empty entry, else ``1 + log2(nodes)`` of the search that proved it.
        dirty: ``uint8``: 1 if the entry changed since it was last written to a store.
    """

    k1: np.ndarray
    k2: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    move: np.ndarray
    work: np.ndarray
    dirty: np.ndarray


def new_table(bits: int) -> TransTable:
    """An empty table of ``2**bits`` entries (``ENTRY_BYTES * 2**bits`` bytes)."""
    if not 4 <= bits <= 32:
        raise ValueError(f"table bits must be 4..32, got {bits}")
    n = 1 << bits
    return TransTable(
        np.zeros(n, dtype=np.uint64),
        np.zeros(n, dtype=np.uint64),
        np.full(n, -SCORE_MAX, dtype=np.int8),
        np.full(n, SCORE_MAX, dtype=np.int8),
        np.full(n, -1, dtype=np.int8),
        np.zeros(n, dtype=np.uint8),
        np.zeros(n, dtype=np.uint8),
    )


def bits_for_memory(megabytes: float) -> int:
    """The largest table that fits in ``megabytes``."""
    bits = 4
    while bits < 32 and ENTRY_BYTES * (1 << (bits + 1)) <= megabytes * 1e6:
        bits += 1
    return bits


@njit(cache=True)
def bucket_of(k1, k2, tt):
    h = k1 * _M1 ^ (k2 + np.uint64(0x5851F42D4C957F2D)) * _M2
    h ^= h >> np.uint64(31)
    return 2 * int(h & np.uint64((tt.k1.shape[0] >> 1) - 1))


@njit(cache=True)
def find(tt, k1, k2):
    """The slot holding the canonical position ``(k1, k2)``, or -1."""
    s = bucket_of(k1, k2, tt)
    if tt.work[s] != 0 and tt.k1[s] == k1 and tt.k2[s] == k2:
        return s
    s += 1
    if tt.work[s] != 0 and tt.k1[s] == k1 and tt.k2[s] == k2:
        return s
    return -1


@njit(cache=True)
def store(tt, k1, k2, lo, hi, move, work):
    """Record the proven interval ``[lo, hi]`` (relative scores) of ``(k1, k2)``; see the module docstring.

    Returns the slot written, or -1 if the entry there already held all of it."""
    s = bucket_of(k1, k2, tt)
    for j in range(2):
        q = s + j
        if tt.work[q] != 0 and tt.k1[q] == k1 and tt.k2[q] == k2:
            changed = False
            if lo > tt.lo[q]:
                tt.lo[q] = lo
                changed = True
            if hi < tt.hi[q]:
                tt.hi[q] = hi
                changed = True
            if move >= 0 and move != tt.move[q]:
                tt.move[q] = move
                changed = True
            if work > tt.work[q]:
                tt.work[q] = work
                changed = True
            if not changed:
                return -1
            tt.dirty[q] = 1
            return q
    if work >= tt.work[s]:
        if tt.work[s] != 0:
            tt.k1[s + 1] = tt.k1[s]
            tt.k2[s + 1] = tt.k2[s]
            tt.lo[s + 1] = tt.lo[s]
            tt.hi[s + 1] = tt.hi[s]
            tt.move[s + 1] = tt.move[s]
            tt.work[s + 1] = tt.work[s]
            tt.dirty[s + 1] = tt.dirty[s]
    else:
        s += 1
    tt.k1[s] = k1
    tt.k2[s] = k2
    tt.lo[s] = lo
    tt.hi[s] = hi
    tt.move[s] = move
    tt.work[s] = work
    tt.dirty[s] = 1
    return s


@njit(cache=True)
def work_of(nodes):
    """``1 + floor(log2(nodes))``, at least 1 (so a stored entry is never empty), at most 255."""
    w = 1
    while nodes > 1 and w < 255:
        nodes >>= 1
        w += 1
    return w


@njit(cache=True)
def collect(tt, min_work, only_dirty=False):
    """Indices of the entries with at least ``min_work`` (and, if ``only_dirty``, changed since the last save)."""
    n = 0
    for i in range(tt.work.shape[0]):
        if tt.work[i] >= min_work and (tt.dirty[i] or not only_dirty):
            n += 1
    out = np.empty(n, dtype=np.int64)
    n = 0
    for i in range(tt.work.shape[0]):
        if tt.work[i] >= min_work and (tt.dirty[i] or not only_dirty):
            out[n] = i
            n += 1
    return out


@njit(cache=True)
def store_many(tt, k1, k2, lo, hi, move, work, dirty=True):
    """:func:`store` for arrays of entries; ``dirty=False`` for entries read from a store (already saved)."""
    for i in range(k1.shape[0]):
        q = store(tt, k1[i], k2[i], lo[i], hi[i], move[i], work[i])
        if q >= 0 and not dirty:
            tt.dirty[q] = 0
