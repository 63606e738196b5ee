"""Depth-first proof-number search (df-pn, Nagai 2002) for one yes/no question: does the side to move reach its
goal -- a win, or (with ``draw_counts``) at least a draw?

The alternative to the null-window alpha-beta of :mod:`bttt.solver.search` that ``scripts/bench_solver.py``
measures (docs/solver.md has the comparison). It answers win/draw/loss only, without distances. It uses the same
threat rules (an immediate win, two threats against, the forced block, a double threat, one dead cell), the same
static test of whether the side that needs a win can still get one, and a transposition table keyed by the same
canonical form. Written without recursion: an explicit stack of frames, each holding its children's proof and
disproof numbers (a child's numbers are read from the table when its parent is expanded and updated when the
search returns from it; numbers only steer the search, and a proof or disproof is final).

Numbers are kept per node from the view of its side to move (``phi``: the effort to prove the node's goal for the
mover, ``delta``: to disprove it), so a child's ``delta`` is its parent's ``phi`` contribution. A node's goal is
"win" or "at least a draw" (the root's question for the root's side, its complement for the other side), and the
goal is part of the table's key, so one table serves both questions and roots of either colour.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from bttt.kernels import line_threats, lowest_bit_index, popcount, winning_cells_after
from bttt.solver.symmetry_tables import canonical

INF = np.uint32(0xFFFFFFFF)
_BIG = 0xFFFFFFFF
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_GOAL_WIN = np.uint64(1) << np.uint64(63)  # in the key's k2: the mover's goal is a win (else: at least a draw)
MAX_PLY = 66


class DfpnTable(NamedTuple):
    """Proof and disproof numbers of canonical positions (``2**bits`` entries, buckets of two)."""

    k1: np.ndarray  # uint64
    k2: np.ndarray  # uint64
    phi: np.ndarray  # uint32
    delta: np.ndarray  # uint32
    work: np.ndarray  # uint32, 0 = empty


def new_dfpn_table(bits: int) -> DfpnTable:
    n = 1 << bits
    return DfpnTable(
        np.zeros(n, np.uint64),
        np.zeros(n, np.uint64),
        np.zeros(n, np.uint32),
        np.zeros(n, np.uint32),
        np.zeros(n, np.uint32),
    )


@njit(cache=True)
def _slot(tt, k1, k2):
    h = k1 * np.uint64(0x9E3779B97F4A7C15) ^ (k2 + np.uint64(0x632BE59BD9B4E019)) * np.uint64(0xC2B2AE3D27D4EB4F)
    h ^= h >> np.uint64(29)
    return 2 * int(h & np.uint64((tt.k1.shape[0] >> 1) - 1))


@njit(cache=True)
def _lookup(tt, k1, k2):
    s = _slot(tt, k1, k2)
    for q in (s, s + 1):
        if tt.work[q] != 0 and tt.k1[q] == k1 and tt.k2[q] == k2:
            return np.int64(tt.phi[q]), np.int64(tt.delta[q])
    return np.int64(1), np.int64(1)


@njit(cache=True)
def _save(tt, k1, k2, phi, delta, work):
    s = _slot(tt, k1, k2)
    for q in (s, s + 1):
        if tt.work[q] != 0 and tt.k1[q] == k1 and tt.k2[q] == k2:
            tt.phi[q], tt.delta[q], tt.work[q] = phi, delta, max(np.int64(tt.work[q]), work)
            return
    q = s if work >= tt.work[s] else s + 1
    if q == s and tt.work[s] != 0:
        tt.k1[s + 1], tt.k2[s + 1], tt.phi[s + 1] = tt.k1[s], tt.k2[s], tt.phi[s]
        tt.delta[s + 1], tt.work[s + 1] = tt.delta[s], tt.work[s]
    tt.k1[q], tt.k2[q], tt.phi[q], tt.delta[q], tt.work[q] = k1, k2, phi, delta, max(work, 1)


@njit(cache=True)
def _leaf(me, opp, t, goal_is_mine, draw_counts):
    """``(decided, mover_reaches_goal, moves bitboard)``: a node decided by the rules, or its moves.

    ``goal_is_mine``: the mover is the root's side (its goal: win, or not lose with ``draw_counts``); otherwise
    the mover's goal is to stop that.
    """
    free = t.full & ~(me | opp)
    if free == _ZERO:  # a full board: a draw
        return True, (draw_counts if goal_is_mine else not draw_counts), _ZERO
    mw, ow, mm, _, mmost, omost, live = line_threats(me, opp, t)
    if mw != _ZERO:
        return True, True, _ZERO  # winning at once reaches any goal
    if ow & (ow - _ONE) != _ZERO:
        return True, False, _ZERO  # lost: no goal of the mover is reached
    e = popcount(free)
    me_can = mmost >= 0 and t.k - mmost <= (e + 1) // 2
    opp_can = omost >= 0 and t.k - omost <= e // 2
    if goal_is_mine:
        if not draw_counts and not me_can:
            return True, False, _ZERO  # needs a win and cannot get one
        if draw_counts and not opp_can:
            return True, True, _ZERO  # needs a draw and cannot lose
    else:
        if not draw_counts and not opp_can:
            return True, True, _ZERO  # stops a win that cannot come
        if draw_counts and not me_can:
            return True, False, _ZERO  # must win to stop "at least a draw", and cannot
    if ow != _ZERO:
        return False, False, ow  # the forced block
    x = mm
    while x != _ZERO:
        c = lowest_bit_index(x)
        x &= x - _ONE
        w = winning_cells_after(me, opp, c, t)
        if w & (w - _ONE) != _ZERO:
            return True, True, _ZERO  # a double threat wins
    moves = free & live
    dead = free & ~live
    if dead != _ZERO:
        moves |= dead & (~dead + _ONE)
    return False, False, moves


@njit(cache=True)
def dfpn(me0, opp0, t, sym, tt, draw_counts, node_limit):
    """Does the side to move of ``(me0, opp0)`` win (or, with ``draw_counts``, at least draw)?

    Returns ``(answer, nodes)``: answer 1 yes, 0 no, -1 unknown (the node limit came first).
    """
    fme = np.zeros(MAX_PLY, np.uint64)
    fopp = np.zeros(MAX_PLY, np.uint64)
    fk1 = np.zeros(MAX_PLY, np.uint64)
    fk2 = np.zeros(MAX_PLY, np.uint64)
    fthphi = np.zeros(MAX_PLY, np.int64)
    fthdelta = np.zeros(MAX_PLY, np.int64)
    fn = np.zeros(MAX_PLY, np.int64)
    fnode0 = np.zeros(MAX_PLY, np.int64)
    fchild = np.zeros(MAX_PLY, np.int64)  # the child being searched
    moves = np.zeros((MAX_PLY, 64), np.int64)
    cphi = np.zeros((MAX_PLY, 64), np.int64)
    cdelta = np.zeros((MAX_PLY, 64), np.int64)
    nodes = 0
    p = 0
    fme[0] = me0
    fopp[0] = opp0
    fthphi[0] = _BIG - 1
    fthdelta[0] = _BIG - 1
    expand = True
    while True:
        if expand:
            expand = False
            nodes += 1
            me = fme[p]
            opp = fopp[p]
            mine = p % 2 == 0
            decided, reached, mv = _leaf(me, opp, t, mine, draw_counts)
            k1, k2, _ = canonical(me, opp, sym)
            goal_win = mine != draw_counts
            if goal_win:
                k2 |= _GOAL_WIN
            fk1[p] = k1
            fk2[p] = k2
            fnode0[p] = nodes
            if decided:
                phi, delta = (0, _BIG) if reached else (_BIG, 0)
                _save(tt, k1, k2, phi, delta, 1)
                # return to the parent with these numbers
                if p == 0:
                    return (1 if reached else 0), nodes
                q = p - 1
                i = fchild[q]
                cphi[q, i] = phi
                cdelta[q, i] = delta
                p = q
                continue
            n = 0
            while mv != _ZERO:
                c = lowest_bit_index(mv)
                mv &= mv - _ONE
                moves[p, n] = c
                ck1, ck2, _ = canonical(opp, me | (_ONE << np.uint64(c)), sym)
                if not goal_win:  # the child's mover has the other goal
                    ck2 |= _GOAL_WIN
                cphi[p, n], cdelta[p, n] = _lookup(tt, ck1, ck2)
                n += 1
            fn[p] = n
        # the frame at p: recompute its numbers from the children and choose the next one to search
        n = fn[p]
        phi = _BIG
        delta = 0
        best = 0
        d2 = _BIG
        for i in range(n):
            d = cdelta[p, i]
            if d < phi:
                d2 = phi
                phi = d
                best = i
            elif d < d2:
                d2 = d
            delta = min(delta + cphi[p, i], _BIG)
        if phi >= fthphi[p] or delta >= fthdelta[p] or nodes >= node_limit:
            _save(tt, fk1[p], fk2[p], phi, delta, nodes - fnode0[p] + 1)
            if p == 0:
                if phi == 0:
                    return 1, nodes
                if delta == 0:
                    return 0, nodes
                return -1, nodes
            q = p - 1
            i = fchild[q]
            cphi[q, i] = phi
            cdelta[q, i] = delta
            p = q
            if nodes >= node_limit:
                # unwind every frame, saving its numbers, then report unknown
                continue
            continue
        fchild[p] = best
        c = moves[p, best]
        q = p + 1
        fme[q] = fopp[p]
        fopp[q] = fme[p] | (_ONE << np.uint64(c))
        fthphi[q] = min(fthdelta[p] - delta + cphi[p, best], _BIG - 1)
        fthdelta[q] = min(fthphi[p], d2 + 1)
        p = q
        expand = True


@njit(cache=True)
def dfpn_outcomes(me, opp, t, sym, tt, node_limit, out, nodes):
    """Win, draw or loss (+1, 0, -1; -2 unknown) of each position ``(me[i], opp[i])`` by two df-pn questions:
    does the side to move win? if not, does it at least draw? ``node_limit`` bounds each question."""
    for i in range(me.shape[0]):
        a, n1 = dfpn(me[i], opp[i], t, sym, tt, False, node_limit)
        nodes[i] = n1
        if a == 1:
            out[i] = 1
            continue
        if a == -1:
            out[i] = -2
            continue
        b, n2 = dfpn(me[i], opp[i], t, sym, tt, True, node_limit)
        nodes[i] += n2
        out[i] = -2 if b == -1 else (0 if b == 1 else -1)


class DfpnSolver:
    """Win/draw/loss by df-pn for one variant, with its table kept between calls.

    Args:
        rules: the variant.
        tt_bits: the table holds ``2**tt_bits`` entries of 28 bytes.
    """

    def __init__(self, rules, tt_bits: int = 22) -> None:
        from bttt.solver.symmetry_tables import symmetry_tables

        self.rules = rules
        self.t = rules.tables
        self.sym = symmetry_tables(rules, True)
        self.tt = new_dfpn_table(tt_bits)
        self.nodes = 0

    @property
    def memory_bytes(self) -> int:
        return sum(a.nbytes for a in self.tt)

    def outcomes(self, me, opp, node_limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """``(outcome, nodes)`` arrays for positions given as bitboards (side to move first): +1 win, 0 draw,
        -1 loss, -2 unknown (``node_limit`` nodes per question ran out; 0 = no limit). Positions must be
        unfinished (no completed line, a free cell)."""
        me = np.ascontiguousarray(me, dtype=np.uint64)
        opp = np.ascontiguousarray(opp, dtype=np.uint64)
        out = np.empty(me.shape[0], dtype=np.int64)
        nodes = np.empty(me.shape[0], dtype=np.int64)
        limit = node_limit if node_limit > 0 else 1 << 62
        dfpn_outcomes(me, opp, self.t, self.sym, self.tt, limit, out, nodes)
        self.nodes += int(nodes.sum())
        return out, nodes

    def outcome(self, me: int, opp: int, node_limit: int = 0) -> tuple[int, int]:
        """``(outcome, nodes)`` of one position (see :meth:`outcomes`)."""
        out, nodes = self.outcomes(np.array([me], np.uint64), np.array([opp], np.uint64), node_limit)
        return int(out[0]), int(nodes[0])
