"""The exact search: a resumable fail-soft alpha-beta over scores with distance, written without recursion.

One call of :func:`run` continues a search for at most a given number of nodes and returns whether it finished,
so the Python driver (:mod:`bttt.solver.solve`) can search in slices, check its deadline and Ctrl-C between them,
and resume exactly where the slice stopped: the whole search state (the explicit stack of frames, the mode, the
node count) lives in a :class:`SearchStack` of arrays. Nothing is recursive (numba's on-disk cache of recursive
functions crashes on reload) and no Python object is made per node.

Scores inside a search are measured from its root (a win at ply ``P`` from the root is ``SCORE_MAX - P``), so
negamax is plain negation; the transposition table stores them relative to each position. Feature flags turn the
solver's knowledge on one by one (the plain alpha-beta baseline of ``scripts/bench_solver.py`` has none):

* ``THREATS``: a win in one is scored at once; two open threats of the opponent lose in two; a single one forces
  the block (every other move loses in two); a move that makes two threats wins in three; of the *dead* cells
  (in no window still open for either side: no stone there can ever matter) only one is tried. All exact: no
  heuristic ever decides a value.
* ``BOUNDS``: static bounds from the open windows. A side that needs ``m`` more stones in its best open window
  wins no sooner than its ``m``-th move from here, and a side with no open window (or too few moves left) cannot
  win at all; with a null window near a win score this bounds the depth of the search (mate-distance pruning).
* ``SYMMETRY``: the table is keyed by the canonical form under the layout's preserving transforms.
* ``ORDER``: moves that make a threat first, then moves on the opponent's would-be threats, then by the history
  heuristic (the table's best move always comes first).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from bttt.kernels import DRAW, ONGOING, line_threats, lowest_bit_index, play_cell, popcount, winning_cells_after
from bttt.solver.strategy import next_threshold
from bttt.solver.symmetry_tables import canonical
from bttt.solver.table import find, store, work_of
from bttt.solver.values import SCORE_MAX

THREATS, BOUNDS, SYMMETRY, ORDER = 1, 2, 4, 8
ALL_FEATURES = THREATS | BOUNDS | SYMMETRY | ORDER
MAX_PLY = 66
_B = SCORE_MAX
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_ENTER, _NEXT, _RETURN = 0, 1, 2
# int64 frame columns: the window as given (A, B), narrowed at entry (A0, B0), the running alpha, the interval
# known at entry (LO, HI), the best value and move so far, the move list's length and position, the node count
# at entry and the canonicalising transform.
_A, _BT, _A0, _B0, _AL, _LO, _HI, _BEST, _BMOVE, _N, _IDX, _NODE0, _SYM, _NCOLS = range(14)
_ME, _OPP, _K1, _K2 = range(4)
# registers
_MODE, _P, _RET, _DONE, _NODES, _MAXP = range(6)


class SearchStack(NamedTuple):
    """The complete state of one search (reusable across searches of the same variant)."""

    fu: np.ndarray  # uint64 (MAX_PLY, 4): stones of the side to move and the opponent, canonical key
    fi: np.ndarray  # int64 (MAX_PLY, _NCOLS): see the column names above
    moves: np.ndarray  # int64 (MAX_PLY, 64): each ply's moves, ordered as they are tried
    scores: np.ndarray  # int64 (MAX_PLY, 64): their ordering scores
    history: np.ndarray  # int64 (2, 64): history heuristic per colour and cell
    regs: np.ndarray  # int64 (8,): mode, ply, return value, done, nodes, deepest ply


def new_stack() -> SearchStack:
    return SearchStack(
        np.zeros((MAX_PLY, 4), dtype=np.uint64),
        np.zeros((MAX_PLY, _NCOLS), dtype=np.int64),
        np.zeros((MAX_PLY, 64), dtype=np.int64),
        np.zeros((MAX_PLY, 64), dtype=np.int64),
        np.zeros((2, 64), dtype=np.int64),
        np.zeros(8, dtype=np.int64),
    )


@njit(cache=True)
def to_relative(v, ply):
    """A root-relative score at ``ply`` as a score relative to that position."""
    if v > 0:
        return v + ply
    if v < 0:
        return v - ply
    return v


@njit(cache=True)
def to_root(v, ply):
    """A position-relative score as a score relative to a root ``ply`` plies above it."""
    if v > 0:
        return v - ply
    if v < 0:
        return v + ply
    return v


@njit(cache=True)
def static_bounds(me, opp, free, me_most, opp_most, k):
    """``(lo, hi)``: what the open windows alone prove about the side to move (relative scores)."""
    e = popcount(free)
    hi = 0
    if me_most >= 0 and k - me_most <= (e + 1) // 2:
        hi = _B - (2 * (k - me_most) - 1)
    lo = 0
    if opp_most >= 0 and k - opp_most <= e // 2:
        lo = -(_B - 2 * (k - opp_most))
    return lo, hi


@njit(cache=True)
def start(st, me, opp, alpha, beta):
    """Set ``st`` up to search the position ``(me, opp)`` (side to move first) in the window ``(alpha, beta)``."""
    st.fu[0, _ME] = me
    st.fu[0, _OPP] = opp
    st.fi[0, _A] = alpha
    st.fi[0, _BT] = beta
    st.regs[_MODE] = _ENTER
    st.regs[_P] = 0
    st.regs[_RET] = 0
    st.regs[_DONE] = 0
    st.regs[_NODES] = 0
    st.regs[_MAXP] = 0


@njit(cache=True)
def result(st):
    """``(done, value, nodes, deepest ply)`` of the search in ``st``."""
    return st.regs[_DONE] == 1, st.regs[_RET], st.regs[_NODES], st.regs[_MAXP]


@njit(cache=True)
def peek(me, opp, t, sym, tt, flags):
    """``(lo, hi, move)``: the interval known without searching (static bounds and the table) and the table's
    best move (-1 if none). A finished position (a full board, or the opponent's completed line: a loss in 0),
    a win in one and a loss to two open threats are exact at once."""
    masks = t.win_masks
    for i in range(masks.shape[0]):
        if opp & masks[i] == masks[i]:
            return -_B, -_B, -1  # the opponent's last move completed a line: lost, zero plies to go
    free = t.full & ~(me | opp)
    if free == _ZERO:
        return 0, 0, -1
    mw, ow, _, _, mmost, omost, _ = line_threats(me, opp, t)
    if mw != _ZERO:
        return _B - 1, _B - 1, lowest_bit_index(mw)
    if ow & (ow - _ONE) != _ZERO:
        return -(_B - 2), -(_B - 2), lowest_bit_index(ow)
    lo, hi = static_bounds(me, opp, free, mmost, omost, t.k)
    k1, k2, si = canonical(me, opp, sym) if flags & SYMMETRY else (me, opp, 0)
    s = find(tt, k1, k2)
    move = -1
    if s >= 0:
        lo = max(lo, np.int64(tt.lo[s]))
        hi = min(hi, np.int64(tt.hi[s]))
        if tt.move[s] >= 0:
            move = sym.inv[si, tt.move[s]]
    return lo, hi, move


@njit(cache=True)
def run(st, tt, t, sym, flags, node_limit):
    """Continue the search in ``st`` until it finishes (True) or has visited ``node_limit`` more nodes (False).

    ``t`` is the variant's :class:`bttt.kernels.RuleTables`, ``sym`` its
    :class:`~bttt.solver.symmetry_tables.SymmetryTables` (the identity alone without ``SYMMETRY``), ``tt`` the
    :class:`~bttt.solver.table.TransTable` and ``flags`` the features (module docstring). The result is read
    with :func:`result`: a value ``v`` from the window ``(a, b)`` means the exact score is ``<= v`` if
    ``v <= a``, ``>= v`` if ``v >= b``, and ``== v`` otherwise.
    """
    fu, fi, moves, scores, history, regs = st.fu, st.fi, st.moves, st.scores, st.history, st.regs
    full = t.full
    k = t.k
    use_threats = flags & THREATS != 0
    use_bounds = flags & BOUNDS != 0
    use_sym = flags & SYMMETRY != 0
    use_order = flags & ORDER != 0
    mode = regs[_MODE]
    p = regs[_P]
    ret = regs[_RET]
    nodes = regs[_NODES]
    maxp = regs[_MAXP]
    stop_at = nodes + node_limit
    while True:
        if mode == _ENTER:
            if nodes >= stop_at:
                break
            nodes += 1
            if p > maxp:
                maxp = p
            me = fu[p, _ME]
            opp = fu[p, _OPP]
            a = fi[p, _A]
            b = fi[p, _BT]
            free = full & ~(me | opp)
            mode = _RETURN
            if free == _ZERO:
                ret = 0
                continue
            lo = -_B
            hi = _B
            mw = _ZERO
            ow = _ZERO
            mm = _ZERO
            om = _ZERO
            live = full
            if use_threats or use_bounds:
                mw, ow, mm, om, mmost, omost, live = line_threats(me, opp, t)
                if use_threats:
                    if mw != _ZERO:
                        ret = _B - (p + 1)
                        continue
                    if ow & (ow - _ONE) != _ZERO:
                        ret = -(_B - (p + 2))
                        continue
                if use_bounds:
                    slo, shi = static_bounds(me, opp, free, mmost, omost, k)
                    lo = to_root(slo, p)
                    hi = to_root(shi, p)
                    if lo == hi:
                        ret = lo
                        continue
                    if hi <= a:
                        ret = hi
                        continue
                    if lo >= b:
                        ret = lo
                        continue
            if use_sym:
                k1, k2, si = canonical(me, opp, sym)
            else:
                k1, k2, si = me, opp, 0
            slot = find(tt, k1, k2)
            tt_move = -1
            if slot >= 0:
                tlo = to_root(np.int64(tt.lo[slot]), p)
                thi = to_root(np.int64(tt.hi[slot]), p)
                if tlo > lo:
                    lo = tlo
                if thi < hi:
                    hi = thi
                if tt.move[slot] >= 0:
                    tt_move = sym.inv[si, tt.move[slot]]
                if lo >= hi or lo >= b:
                    ret = lo
                    continue
                if hi <= a:
                    ret = hi
                    continue
            if use_threats and ow != _ZERO:
                moves[p, 0] = lowest_bit_index(ow)  # the forced block
                n = 1
            else:
                if use_threats:
                    x = mm
                    found = False
                    while x != _ZERO:
                        c = lowest_bit_index(x)
                        x &= x - _ONE
                        w = winning_cells_after(me, opp, c, t)
                        if w & (w - _ONE) != _ZERO:
                            found = True
                            break
                    if found:
                        ret = _B - (p + 3)
                        continue
                parity = popcount(me | opp) & 1
                n = 0
                x = free
                if use_threats:
                    dead = free & ~live  # dead cells are all equivalent moves: keep one, tried last
                    if dead != _ZERO:
                        x = (free & live) | (dead & (~dead + _ONE))
                while x != _ZERO:
                    c = lowest_bit_index(x)
                    x &= x - _ONE
                    moves[p, n] = c
                    s = 0
                    if c == tt_move:
                        s = 1 << 50
                    elif use_order and live & (_ONE << np.uint64(c)) == _ZERO:
                        s = -1
                    elif use_order:
                        bit = _ONE << np.uint64(c)
                        s = min(history[parity, c], 1 << 40)
                        if mm & bit:
                            s += 1 << 42
                        if om & bit:
                            s += 1 << 41
                    scores[p, n] = s
                    n += 1
            fu[p, _K1] = k1
            fu[p, _K2] = k2
            fi[p, _A0] = max(a, lo)
            fi[p, _B0] = min(b, hi)
            fi[p, _AL] = fi[p, _A0]
            fi[p, _LO] = lo
            fi[p, _HI] = hi
            fi[p, _BEST] = -_B - 1
            fi[p, _BMOVE] = moves[p, 0]
            fi[p, _N] = n
            fi[p, _IDX] = 0
            fi[p, _NODE0] = nodes
            fi[p, _SYM] = si
            mode = _NEXT
        elif mode == _NEXT:
            i = fi[p, _IDX]
            n = fi[p, _N]
            if i >= n:
                ret = _finish(fi, fu, p, tt, sym, nodes)
                mode = _RETURN
                continue
            jb = i
            for j in range(i + 1, n):
                if scores[p, j] > scores[p, jb]:
                    jb = j
            if jb != i:
                tmp = moves[p, i]
                moves[p, i] = moves[p, jb]
                moves[p, jb] = tmp
                tmp = scores[p, i]
                scores[p, i] = scores[p, jb]
                scores[p, jb] = tmp
            c = moves[p, i]
            me = fu[p, _ME]
            opp = fu[p, _OPP]
            me2, _, status = play_cell(me, opp, 1, c, full, t)
            q = p + 1
            if status != ONGOING:
                nodes += 1
                ret = 0 if status == DRAW else -(_B - q)  # the child is finished: drawn, or lost at ply q
                p = q
                mode = _RETURN
                continue
            fu[q, _ME] = opp
            fu[q, _OPP] = me2
            fi[q, _A] = -fi[p, _B0]
            fi[q, _BT] = -fi[p, _AL]
            p = q
            mode = _ENTER
        else:  # _RETURN: ret is the value of the node at ply p
            if p == 0:
                regs[_DONE] = 1
                break
            p -= 1
            v = -ret
            if v > fi[p, _BEST]:
                fi[p, _BEST] = v
                fi[p, _BMOVE] = moves[p, fi[p, _IDX]]
                if v > fi[p, _AL]:
                    fi[p, _AL] = v
                    if v >= fi[p, _B0]:
                        if use_order:
                            e = popcount(full & ~(fu[p, _ME] | fu[p, _OPP]))
                            history[popcount(fu[p, _ME] | fu[p, _OPP]) & 1, fi[p, _BMOVE]] += e * e
                        ret = _finish(fi, fu, p, tt, sym, nodes)
                        continue  # still _RETURN: pass the value up
            fi[p, _IDX] += 1
            mode = _NEXT
    regs[_MODE] = mode
    regs[_P] = p
    regs[_RET] = ret
    regs[_NODES] = nodes
    regs[_MAXP] = maxp
    return regs[_DONE] == 1


@njit(cache=True)
def _finish(fi, fu, p, tt, sym, nodes):
    """Store the finished node at ply ``p`` in the table and return its value for its parent's window."""
    best = fi[p, _BEST]
    lo = fi[p, _LO]
    hi = fi[p, _HI]
    if best <= fi[p, _A0]:
        if best < hi:
            hi = best
    elif best >= fi[p, _B0]:
        if best > lo:
            lo = best
    else:
        lo = best
        hi = best
    si = fi[p, _SYM]
    # a fail-low node's "best" move is no better than the others: keep the move an earlier search found
    move = -1 if best <= fi[p, _A0] else sym.perm[si, fi[p, _BMOVE]]
    store(
        tt,
        fu[p, _K1],
        fu[p, _K2],
        max(to_relative(lo, p), -_B),
        min(to_relative(hi, p), _B),
        move,
        work_of(nodes - fi[p, _NODE0]),
    )
    if hi <= fi[p, _A]:
        return hi
    if lo >= fi[p, _BT]:
        return lo
    return lo


@njit(cache=True)
def solve_many(me, opp, st, tt, t, sym, flags, strategy, node_budget, out_lo, out_hi, out_nodes):
    """Solve each position ``(me[i], opp[i])`` in turn with ``strategy`` (:mod:`bttt.solver.strategy`), sharing
    the table; ``node_budget`` nodes each at most (0: no limit). Writes the proven interval (exact unless the
    budget ran out) and the nodes spent into the ``out_*`` arrays."""
    for i in range(me.shape[0]):
        lo, hi, _ = peek(me[i], opp[i], t, sym, tt, flags)
        if lo < hi:  # an unfinished position loses in 2 at the soonest and wins in 1 at best
            lo = max(lo, -(_B - 2))
            hi = min(hi, _B - 1)
        empties = popcount(t.full & ~(me[i] | opp[i]))
        spent = 0
        last = 0
        while lo < hi:
            x = next_threshold(strategy, lo, hi, empties, last)
            start(st, me[i], opp[i], x - 1, x)
            limit = node_budget - spent if node_budget > 0 else 1 << 62
            done = run(st, tt, t, sym, flags, limit)
            spent += st.regs[_NODES]
            if not done:
                break
            r = st.regs[_RET]
            last = r
            if r >= x:
                lo = max(lo, r)
            else:
                hi = min(hi, r)
            plo, phi, _ = peek(me[i], opp[i], t, sym, tt, flags)
            lo = max(lo, plo)
            hi = min(hi, phi)
        out_lo[i] = lo
        out_hi[i] = hi
        out_nodes[i] = spent
