"""numba kernels for Minimax: the original's exact depth-limited search and a fast negamax.

Two searches over bitboards, both with no Python objects per node:

* :func:`paper_root_values` re-creates the original code's Minimax: for each legal
  root move (ascending) the value of ``minimax(child, -10000, 10000, depth - 1)``,
  player 1 maximising, player 2 minimising, terminal positions scored +1/-1/0 and
  depth-0 positions by the expert heuristic. Each root value is exact.
* :func:`negamax_root` is a strong alpha-beta negamax for play: transposition
  table (Zobrist hashing), move ordering (TT move, killers, history), immediate
  win/forced block detection, wins scored ``WIN - ply`` so sooner wins and later
  losses are preferred, and a node limit so a Python iterative-deepening loop can
  honour a time budget.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.heuristic import evaluate
from bttt._core import is_win_at, lowest_bit_index

WIN = 1_000_000.0
MATE_BAND = 10_000.0  # |score| > WIN - MATE_BAND means a forced win/loss
MAX_PLY = 64
EXACT, LOWER, UPPER = 0, 1, 2
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


# ------------------------------------------------------------- fast negamax
@njit(cache=True)
def win_cells(me, opp, live_masks):
    """Bitboard of empty cells where ``me`` would complete a live window."""
    out = _ZERO
    for i in range(live_masks.shape[0]):
        m = live_masks[i]
        if m & opp == _ZERO:
            e = m & ~me
            if e != _ZERO and e & (e - _ONE) == _ZERO:
                out |= e
    return out


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


@njit(cache=False)  # recursive: numba's on-disk cache of recursive functions crashes on reload
def _negamax(me, opp, side, h, depth, ply, alpha, beta, full, live, hmasks, hfirst, hlast, bricks, k,
             zob, tt_key, tt_val, tt_depth, tt_flag, tt_move, history, killers, moves, scores, stats):
    """Negamax value of the position for the side to move (``side`` 0 = player 1)."""
    stats[0] += 1
    if stats[0] > stats[1]:
        stats[2] = 1
        return 0.0
    free = full & ~(me | opp)
    if free == _ZERO:
        return 0.0
    if win_cells(me, opp, live) & free != _ZERO:
        return WIN - (ply + 1)
    if depth <= 0:
        if side == 0:
            return evaluate(me, opp, bricks, hmasks, hfirst, hlast, k)
        return -evaluate(opp, me, bricks, hmasks, hfirst, hlast, k)
    mask = np.uint64(tt_key.shape[0] - 1)
    slot = h & mask
    tt_mv = -1
    if tt_key[slot] == h:
        tt_mv = tt_move[slot]
        if tt_depth[slot] >= depth:
            v = tt_val[slot]
            if v > WIN - MATE_BAND:
                v -= ply
            elif v < -(WIN - MATE_BAND):
                v += ply
            f = tt_flag[slot]
            if f == EXACT:
                return v
            if f == LOWER and v > alpha:
                alpha = v
            elif f == UPPER and v < beta:
                beta = v
            if alpha >= beta:
                return v
    threats = win_cells(opp, me, live) & free
    if threats != _ZERO:
        if threats & (threats - _ONE) != _ZERO:
            return -(WIN - (ply + 2))  # two threats: one block is not enough
        cand = threats
    else:
        cand = free
    n = 0
    k1 = killers[ply, 0]
    k2 = killers[ply, 1]
    while cand != _ZERO:
        c = lowest_bit_index(cand)
        cand &= cand - _ONE
        moves[ply, n] = c
        if c == tt_mv:
            scores[ply, n] = 1 << 50
        elif c == k1:
            scores[ply, n] = 1 << 41
        elif c == k2:
            scores[ply, n] = 1 << 40
        else:
            scores[ply, n] = history[side, c]
        n += 1
    alpha0 = alpha
    best = -np.inf
    best_move = moves[ply, 0]
    for i in range(n):
        j_best = i
        for j in range(i + 1, n):
            if scores[ply, j] > scores[ply, j_best]:
                j_best = j
        if j_best != i:
            t = moves[ply, i]
            moves[ply, i] = moves[ply, j_best]
            moves[ply, j_best] = t
            t = scores[ply, i]
            scores[ply, i] = scores[ply, j_best]
            scores[ply, j_best] = t
        c = moves[ply, i]
        b = _ONE << np.uint64(c)
        v = -_negamax(opp, me | b, 1 - side, h ^ zob[side, c], depth - 1, ply + 1, -beta, -alpha, full,
                      live, hmasks, hfirst, hlast, bricks, k, zob, tt_key, tt_val, tt_depth, tt_flag,
                      tt_move, history, killers, moves, scores, stats)
        if stats[2]:
            return 0.0
        if v > best:
            best = v
            best_move = c
            if v > alpha:
                alpha = v
                if alpha >= beta:
                    if c != k1:
                        killers[ply, 1] = k1
                        killers[ply, 0] = c
                    history[side, c] += depth * depth
                    break
    if best <= alpha0:
        flag = UPPER
    elif best >= beta:
        flag = LOWER
    else:
        flag = EXACT
    stored = best
    if stored > WIN - MATE_BAND:
        stored += ply
    elif stored < -(WIN - MATE_BAND):
        stored -= ply
    tt_key[slot] = h
    tt_val[slot] = stored
    tt_depth[slot] = depth
    tt_flag[slot] = flag
    tt_move[slot] = best_move
    return best


@njit(cache=False)
def negamax_root(p1, p2, to_move, depth, root_moves, node_limit, full, live, hmasks, hfirst, hlast,
                 bricks, k, zob, tt_key, tt_val, tt_depth, tt_flag, tt_move, history, killers):
    """Search ``root_moves`` (tried in the given order) to ``depth`` plies.

    Returns (best move, its value, per-move values in ``root_moves`` order, nodes,
    aborted). Values are from the side to move's point of view; a move that does
    not beat the best so far holds an upper bound. ``aborted`` is 1 when the node
    limit stopped the search (results are then incomplete).
    """
    stats = np.zeros(3, dtype=np.int64)
    stats[1] = node_limit
    moves = np.empty((MAX_PLY, 64), dtype=np.int64)
    scores = np.empty((MAX_PLY, 64), dtype=np.int64)
    side = 0 if to_move == 1 else 1
    me, opp = (p1, p2) if side == 0 else (p2, p1)
    h = zobrist_hash(p1, p2, bricks, zob)
    n = root_moves.shape[0]
    values = np.full(n, -np.inf)
    free = full & ~(me | opp)
    wins = win_cells(me, opp, live) & free
    if wins != _ZERO:
        c = lowest_bit_index(wins)
        for i in range(n):
            values[i] = WIN - 1 if root_moves[i] == c else -np.inf
        return c, WIN - 1, values, 1, 0
    threats = win_cells(opp, me, live) & free
    alpha = -np.inf
    best = -np.inf
    best_move = root_moves[0]
    for i in range(n):
        c = root_moves[i]
        b = _ONE << np.uint64(c)
        if threats != _ZERO and threats & b == _ZERO:
            values[i] = -(WIN - 2)  # ignores a threat: the opponent wins next move
            if best == -np.inf:
                best = values[i]
                best_move = c
            continue
        v = -_negamax(opp, me | b, 1 - side, h ^ zob[side, c], depth - 1, 1, -np.inf, -alpha, full,
                      live, hmasks, hfirst, hlast, bricks, k, zob, tt_key, tt_val, tt_depth, tt_flag,
                      tt_move, history, killers, moves, scores, stats)
        if stats[2]:
            return best_move, best, values, stats[0], 1
        values[i] = v
        if v > best:
            best = v
            best_move = c
            if v > alpha:
                alpha = v
    return best_move, best, values, stats[0], 0
