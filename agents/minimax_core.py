"""numba alpha-beta negamax for strong Minimax play (mode=fast).

Transposition table with Zobrist hashing, move ordering (TT move, two killers per
ply, history heuristic), immediate-win and forced-block detection, wins scored
``WIN - ply`` so sooner wins and later losses are preferred, and a node limit so a
Python iterative-deepening loop can honour a time budget.

The search is iterative with an explicit stack of per-ply frames rather than
recursive: numba's on-disk cache of recursive functions crashes when reloaded, and
an uncached kernel would cost every process seconds of compilation.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from agents.heuristic import evaluate
from bttt.kernels import lowest_bit_index, winning_cells

WIN = 1_000_000.0
MATE_BAND = 10_000.0  # |score| > WIN - MATE_BAND means a forced win/loss
MAX_PLY = 64
EXACT, LOWER, UPPER = 0, 1, 2
_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_ENTER, _NEXT, _RETURN = 0, 1, 2
# int64 frame columns
_SIDE, _DEPTH, _N, _IDX, _BEST_MOVE = range(5)
# float64 frame columns
_ALPHA, _BETA, _ALPHA0, _BEST = range(4)


class SearchTables(NamedTuple):
    """The search's memory, kept between moves: transposition table, move-ordering tables and Zobrist keys."""

    key: np.ndarray  # uint64 [2**bits]: full hash of the stored position
    val: np.ndarray  # float64: value (mate scores relative to the stored node)
    depth: np.ndarray  # int8: depth searched (-1 = empty)
    flag: np.ndarray  # int8: EXACT, LOWER or UPPER
    move: np.ndarray  # int8: best move found
    history: np.ndarray  # int64 (2, 64): history heuristic per side and cell
    killers: np.ndarray  # int64 (MAX_PLY + 1, 2): killer moves per ply
    zob: np.ndarray  # uint64 (3, 64): Zobrist keys of player 1, player 2 and brick per cell


def new_search_tables(bits: int) -> SearchTables:
    """Empty tables with a transposition table of ``2**bits`` entries (Zobrist keys from a fixed seed)."""
    size = 1 << bits
    zob = np.random.default_rng(0x5EED).integers(0, 2**63, size=(3, 64), dtype=np.int64).astype(np.uint64)
    return SearchTables(
        np.zeros(size, dtype=np.uint64),
        np.zeros(size, dtype=np.float64),
        np.full(size, -1, dtype=np.int8),
        np.zeros(size, dtype=np.int8),
        np.zeros(size, dtype=np.int8),
        np.zeros((2, 64), dtype=np.int64),
        np.full((MAX_PLY + 1, 2), -1, dtype=np.int64),
        zob * np.uint64(2) + np.uint64(1),
    )


@njit(cache=True)
def zobrist_hash(p1, p2, bricks, zob):
    h = _ZERO
    for c in range(64):
        b = _ONE << np.uint64(c)
        if p1 & b:
            h ^= zob[0, c]
        elif p2 & b:
            h ^= zob[1, c]
        elif bricks & b:
            h ^= zob[2, c]
    return h


@njit(cache=True)
def _mate_to_tt(v, ply):
    if v > WIN - MATE_BAND:
        return v + ply
    if v < -(WIN - MATE_BAND):
        return v - ply
    return v


@njit(cache=True)
def _mate_from_tt(v, ply):
    if v > WIN - MATE_BAND:
        return v - ply
    if v < -(WIN - MATE_BAND):
        return v + ply
    return v


@njit(cache=True)
def _store(tt, h, depth, best, alpha0, beta, best_move, ply):
    slot = h & np.uint64(tt.key.shape[0] - 1)
    if best <= alpha0:
        flag = UPPER
    elif best >= beta:
        flag = LOWER
    else:
        flag = EXACT
    tt.key[slot] = h
    tt.val[slot] = _mate_to_tt(best, ply)
    tt.depth[slot] = depth
    tt.flag[slot] = flag
    tt.move[slot] = best_move


@njit(cache=True)
def search(me0, opp0, side0, h0, depth0, ply0, alpha_in, beta_in, t, heur, tt, stats):
    """Negamax value of a position for its side to move (``side0`` 0 = player 1) at ``ply0``.

    ``t`` is the variant's :class:`bttt.kernels.RuleTables`, ``heur`` its heuristic tables, ``tt`` the
    :class:`SearchTables`.

    ``stats`` = [nodes, node limit, aborted]; on hitting the limit it sets aborted
    and returns 0 (the value is then meaningless).
    """
    fme = np.empty(MAX_PLY + 1, dtype=np.uint64)
    fopp = np.empty(MAX_PLY + 1, dtype=np.uint64)
    fh = np.empty(MAX_PLY + 1, dtype=np.uint64)
    fi = np.empty((MAX_PLY + 1, 5), dtype=np.int64)
    ff = np.empty((MAX_PLY + 1, 4), dtype=np.float64)
    moves = np.empty((MAX_PLY + 1, 64), dtype=np.int64)
    scores = np.empty((MAX_PLY + 1, 64), dtype=np.int64)
    tt_mask = np.uint64(tt.key.shape[0] - 1)
    full = t.full
    tt_key, tt_val, tt_depth, tt_flag, tt_move = tt.key, tt.val, tt.depth, tt.flag, tt.move
    history, killers, zob = tt.history, tt.killers, tt.zob
    p = ply0
    fme[p], fopp[p], fh[p] = me0, opp0, h0
    fi[p, _SIDE], fi[p, _DEPTH] = side0, depth0
    ff[p, _ALPHA], ff[p, _BETA] = alpha_in, beta_in
    mode = _ENTER
    ret = 0.0
    while True:
        if mode == _ENTER:
            stats[0] += 1
            if stats[0] > stats[1]:
                stats[2] = 1
                return 0.0
            me, opp, side, depth = fme[p], fopp[p], fi[p, _SIDE], fi[p, _DEPTH]
            free = full & ~(me | opp)
            mode = _RETURN
            if free == _ZERO:
                ret = 0.0
                continue
            if winning_cells(me, opp, t) & free != _ZERO:
                ret = WIN - (p + 1)
                continue
            if depth <= 0:
                ret = evaluate(me, opp, heur) if side == 0 else -evaluate(opp, me, heur)
                continue
            slot = fh[p] & tt_mask
            tt_mv = -1
            if tt_key[slot] == fh[p]:
                tt_mv = tt_move[slot]
                if tt_depth[slot] >= depth:
                    v = _mate_from_tt(tt_val[slot], p)
                    f = tt_flag[slot]
                    if f == EXACT:
                        ret = v
                        continue
                    if f == LOWER and v > ff[p, _ALPHA]:
                        ff[p, _ALPHA] = v
                    elif f == UPPER and v < ff[p, _BETA]:
                        ff[p, _BETA] = v
                    if ff[p, _ALPHA] >= ff[p, _BETA]:
                        ret = v
                        continue
            threats = winning_cells(opp, me, t) & free
            if threats != _ZERO:
                if threats & (threats - _ONE) != _ZERO:
                    ret = -(WIN - (p + 2))  # two threats: one block is not enough
                    continue
                cand = threats
            else:
                cand = free
            n = 0
            k1 = killers[p, 0]
            k2 = killers[p, 1]
            while cand != _ZERO:
                c = lowest_bit_index(cand)
                cand &= cand - _ONE
                moves[p, n] = c
                if c == tt_mv:
                    scores[p, n] = 1 << 50
                elif c == k1:
                    scores[p, n] = 1 << 41
                elif c == k2:
                    scores[p, n] = 1 << 40
                else:
                    scores[p, n] = history[side, c]
                n += 1
            fi[p, _N] = n
            fi[p, _IDX] = 0
            fi[p, _BEST_MOVE] = moves[p, 0]
            ff[p, _ALPHA0] = ff[p, _ALPHA]
            ff[p, _BEST] = -np.inf
            mode = _NEXT
        elif mode == _NEXT:
            i = fi[p, _IDX]
            n = fi[p, _N]
            if i >= n:
                _store(tt, fh[p], fi[p, _DEPTH], ff[p, _BEST], ff[p, _ALPHA0], ff[p, _BETA], fi[p, _BEST_MOVE], p)
                ret = ff[p, _BEST]
                mode = _RETURN
                continue
            j_best = i
            for j in range(i + 1, n):
                if scores[p, j] > scores[p, j_best]:
                    j_best = j
            if j_best != i:
                tmp = moves[p, i]
                moves[p, i] = moves[p, j_best]
                moves[p, j_best] = tmp
                tmp = scores[p, i]
                scores[p, i] = scores[p, j_best]
                scores[p, j_best] = tmp
            c = moves[p, i]
            side = fi[p, _SIDE]
            q = p + 1
            fme[q] = fopp[p]
            fopp[q] = fme[p] | (_ONE << np.uint64(c))
            fh[q] = fh[p] ^ zob[side, c]
            fi[q, _SIDE] = 1 - side
            fi[q, _DEPTH] = fi[p, _DEPTH] - 1
            ff[q, _ALPHA] = -ff[p, _BETA]
            ff[q, _BETA] = -ff[p, _ALPHA]
            p = q
            mode = _ENTER
        else:  # _RETURN: ret is the value of the node at ply p
            if p == ply0:
                return ret
            p -= 1
            v = -ret
            c = moves[p, fi[p, _IDX]]
            if v > ff[p, _BEST]:
                ff[p, _BEST] = v
                fi[p, _BEST_MOVE] = c
                if v > ff[p, _ALPHA]:
                    ff[p, _ALPHA] = v
                    if v >= ff[p, _BETA]:
                        if c != killers[p, 0]:
                            killers[p, 1] = killers[p, 0]
                            killers[p, 0] = c
                        history[fi[p, _SIDE], c] += fi[p, _DEPTH] * fi[p, _DEPTH]
                        _store(tt, fh[p], fi[p, _DEPTH], v, ff[p, _ALPHA0], ff[p, _BETA], c, p)
                        ret = v
                        continue  # still _RETURN: pass the cut-off value up
            fi[p, _IDX] += 1
            mode = _NEXT


@njit(cache=True, nogil=True)
def negamax_root(p1, p2, to_move, depth, root_moves, node_limit, t, heur, tt):
    """Search ``root_moves`` (tried in the given order) to ``depth`` plies.

    Returns (best move, its value, per-move values in ``root_moves`` order, nodes,
    aborted). Values are from the side to move's point of view; a move that does
    not beat the best so far holds an upper bound. ``aborted`` is 1 when the node
    limit stopped the search (results are then incomplete).
    """
    stats = np.zeros(3, dtype=np.int64)
    stats[1] = node_limit
    side = 0 if to_move == 1 else 1
    me, opp = (p1, p2) if side == 0 else (p2, p1)
    h = zobrist_hash(p1, p2, t.bricks, tt.zob)
    n = root_moves.shape[0]
    values = np.full(n, -np.inf)
    free = t.full & ~(me | opp)
    wins = winning_cells(me, opp, t) & free
    if wins != _ZERO:
        c = lowest_bit_index(wins)
        for i in range(n):
            if root_moves[i] == c:
                values[i] = WIN - 1
        return c, WIN - 1, values, 1, 0
    threats = winning_cells(opp, me, t) & free
    alpha = -np.inf
    best = -np.inf
    best_move = root_moves[0]
    for i in range(n):
        c = root_moves[i]
        b = _ONE << np.uint64(c)
        if threats != _ZERO and threats & b == _ZERO:
            values[i] = -(WIN - 2)  # ignores a threat: the opponent wins next move
        else:
            child = h ^ tt.zob[side, c]
            values[i] = -search(opp, me | b, 1 - side, child, depth - 1, 1, -np.inf, -alpha, t, heur, tt, stats)
            if stats[2]:
                return best_move, best, values, stats[0], 1
        if values[i] > best:
            best = values[i]
            best_move = c
            if best > alpha:
                alpha = best
    return best_move, best, values, stats[0], 0
