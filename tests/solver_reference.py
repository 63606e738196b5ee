"""An exhaustive negamax written for the tests, sharing no code with bttt's rules or solver.

It finds its own winning lines from the board size, the win length and the bricks, walks every position
reachable from the empty board (depth first, with an explicit stack, memoised in a dense array indexed by the
base-3 code of the empty cells) and gives each its exact value for the side to move as ``(result, plies)``: result +1
(win), 0 (draw) or -1 (loss), and for a decided game the plies to its end when the winner wins as fast as it can
and the loser holds out as long as it can.
"""

from __future__ import annotations

import numpy as np
from numba import njit


def reference_lines(rows: int, cols: int, k: int, bricks: tuple[int, ...]) -> np.ndarray:
    """Every line of ``k`` cells (rows, columns, both diagonals) that crosses no brick, as uint64 masks."""
    out = []
    for r in range(rows):
        for c in range(cols):
            for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
                cells = [(r + i * dr, c + i * dc) for i in range(k)]
                if all(0 <= rr < rows and 0 <= cc < cols for rr, cc in cells):
                    idx = [rr * cols + cc for rr, cc in cells]
                    if not set(idx) & set(bricks):
                        out.append(sum(1 << i for i in idx))
    return np.array(out, dtype=np.uint64)


@njit
def _better(r1, l1, r2, l2):
    """Whether (r1, l1) is better than (r2, l2) for the side to move."""
    if r1 != r2:
        return r1 > r2
    if r1 == 1:
        return l1 < l2
    if r1 == -1:
        return l1 > l2
    return False


@njit
def _wins(stones, lines):
    for m in lines:  # noqa: SIM110 - a generator in any() does not compile in numba
        if stones & m == m:
            return True
    return False


@njit
def exhaustive(root_p1, root_p2, root_mover_is_p1, cells, playable, lines):
    """Every unfinished position reachable from the root ``(root_p1, root_p2)`` and its exact value.

    ``cells`` are the root's empty playable cells; positions are memoised by the base-3 code of those cells.
    Returns ``(p1, p2, result, plies)`` arrays, one entry per position (the root first), in the order reached.
    """
    n = cells.shape[0]
    size = 3**n
    res = np.full(size, -2, dtype=np.int8)  # -2: not solved yet
    length = np.zeros(size, dtype=np.int8)
    seen = np.zeros(size, dtype=np.bool_)
    out_p1 = np.zeros(1 << 12, dtype=np.uint64)
    out_p2 = np.zeros(1 << 12, dtype=np.uint64)
    out_code = np.zeros(1 << 12, dtype=np.int64)
    sp1 = np.zeros(n + 2, dtype=np.uint64)
    sp2 = np.zeros(n + 2, dtype=np.uint64)
    snext = np.zeros(n + 2, dtype=np.int64)
    sbest_r = np.zeros(n + 2, dtype=np.int64)
    sbest_l = np.zeros(n + 2, dtype=np.int64)
    scode = np.zeros(n + 2, dtype=np.int64)
    pow3 = np.empty(n, dtype=np.int64)
    w = 1
    for i in range(n):
        pow3[i] = w
        w *= 3
    depth = 0
    sp1[0] = root_p1
    sp2[0] = root_p2
    sbest_r[0] = -3
    seen[0] = True
    out_p1[0] = root_p1
    out_p2[0] = root_p2
    n_out = 1
    while depth >= 0:
        p1 = sp1[depth]
        p2 = sp2[depth]
        mover_is_p1 = (depth % 2 == 0) == root_mover_is_p1
        i = snext[depth]
        while i < n and (p1 | p2) >> np.uint64(cells[i]) & np.uint64(1):
            i += 1
        if i >= n:  # every move seen: the value is final
            code = scode[depth]
            res[code] = sbest_r[depth]
            length[code] = sbest_l[depth]
            r, ln = sbest_r[depth], sbest_l[depth]
            depth -= 1
            if depth >= 0 and _better(-r, ln + 1, sbest_r[depth], sbest_l[depth]):
                sbest_r[depth] = -r
                sbest_l[depth] = ln + 1
            continue
        snext[depth] = i + 1
        b = np.uint64(1) << np.uint64(cells[i])
        q1 = p1 | b if mover_is_p1 else p1
        q2 = p2 if mover_is_p1 else p2 | b
        if _wins(q1 if mover_is_p1 else q2, lines):
            r, ln = 1, 1
        elif (q1 | q2) & playable == playable:
            r, ln = 0, 0
        else:
            code = scode[depth] + pow3[i] * (1 if mover_is_p1 else 2)
            if res[code] == -2:
                if not seen[code]:
                    seen[code] = True
                    if n_out == out_p1.shape[0]:
                        out_p1 = np.concatenate((out_p1, np.zeros(n_out, dtype=np.uint64)))
                        out_p2 = np.concatenate((out_p2, np.zeros(n_out, dtype=np.uint64)))
                        out_code = np.concatenate((out_code, np.zeros(n_out, dtype=np.int64)))
                    out_p1[n_out] = q1
                    out_p2[n_out] = q2
                    out_code[n_out] = code
                    n_out += 1
                depth += 1
                sp1[depth] = q1
                sp2[depth] = q2
                scode[depth] = code
                snext[depth] = 0
                sbest_r[depth] = -3
                sbest_l[depth] = 0
                continue
            r, ln = -res[code], length[code] + 1
        if _better(r, ln, sbest_r[depth], sbest_l[depth]):
            sbest_r[depth] = r
            sbest_l[depth] = ln
    out_r = np.empty(n_out, dtype=np.int8)
    out_l = np.empty(n_out, dtype=np.int8)
    for j in range(n_out):
        out_r[j] = res[out_code[j]]
        out_l[j] = length[out_code[j]]
    return out_p1[:n_out], out_p2[:n_out], out_r, out_l


def _cells_of(mask: int, n: int) -> np.ndarray:
    return np.array([c for c in range(n) if mask >> c & 1], dtype=np.int64)


def reference_subtree(rows: int, cols: int, k: int, bricks: tuple[int, ...], p1: int, p2: int):
    """Every unfinished position reachable from ``(p1, p2)`` with its ``(result, plies)``, as arrays."""
    n = rows * cols
    playable = ((1 << n) - 1) & ~sum(1 << b for b in bricks)
    first = p1.bit_count() == p2.bit_count()
    out = exhaustive(
        np.uint64(p1),
        np.uint64(p2),
        first,
        _cells_of(playable & ~(p1 | p2), n),
        np.uint64(playable),
        reference_lines(rows, cols, k, bricks),
    )
    return out[0], out[1], out[2].astype(np.int64), out[3].astype(np.int64)


def reference_values(rows: int, cols: int, k: int, bricks: tuple[int, ...]):
    """Every position reachable from the empty board with its ``(result, plies)`` (plies 0 for a draw)."""
    return reference_subtree(rows, cols, k, bricks, 0, 0)


@njit
def _index(keys, key):
    i = np.searchsorted(keys, key)
    return i if i < keys.shape[0] and keys[i] == key else -1


@njit
def reference_optimal_sets(p1, p2, res, length, playable, lines, n_cells):
    """For each position, the bitmask of its optimal moves by the reference values ``(res, length)``.

    Positions must be sorted by ``p1 << 32 | p2`` (boards of at most 32 cells).
    """
    keys = (p1 << np.uint64(32)) | p2
    out = np.zeros(p1.shape[0], dtype=np.uint64)
    for i in range(p1.shape[0]):
        mover_is_p1 = _popcount(p1[i]) == _popcount(p2[i])
        best_r, best_l = -3, 0
        best = np.uint64(0)
        for c in range(n_cells):
            b = np.uint64(1) << np.uint64(c)
            if not playable & b or (p1[i] | p2[i]) & b:
                continue
            q1 = p1[i] | b if mover_is_p1 else p1[i]
            q2 = p2[i] if mover_is_p1 else p2[i] | b
            if _wins(q1 if mover_is_p1 else q2, lines):
                r, ln = 1, 1
            elif (q1 | q2) & playable == playable:
                r, ln = 0, 0
            else:
                j = _index(keys, (q1 << np.uint64(32)) | q2)
                r, ln = -res[j], length[j] + 1
            if _better(r, ln, best_r, best_l):
                best_r, best_l, best = r, ln, b
            elif not _better(best_r, best_l, r, ln):
                best |= b
        out[i] = best
    return out


@njit
def _popcount(x):
    n = 0
    while x:
        x &= x - np.uint64(1)
        n += 1
    return n
