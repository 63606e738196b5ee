"""The rules of Brick Tic-Tac-Toe as numba kernels: the one place where a stone is placed and a game decided.

A position is two ``uint64`` bitboards, player 1's and player 2's stones (bit ``c`` is cell ``c``). Everything a
kernel needs to know about a variant (board size, win length, bricks, the live winning windows) travels in one
:class:`RuleTables` bundle, built once per variant by :attr:`bttt.Rules.tables`. Every search in the project --
MCTS, Minimax, the paper's Minimax, AlphaZero's PUCT and the exact solver -- places stones with
:func:`play_cell`, finds threats with :func:`winning_cells` and builds network inputs with :func:`write_planes`,
so a rule changes in one place.

Nothing here allocates Python objects per move. Random numbers come from a splitmix64 generator whose state is a
one-element ``uint64`` array (:func:`make_rng`), so every stream is explicit and seedable.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

#: Game status codes, as returned by :func:`play_cell` and stored by every search.
ONGOING, P1_WIN, P2_WIN, DRAW = 0, 1, 2, 3

_ONE = np.uint64(1)
_ZERO = np.uint64(0)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


class RuleTables(NamedTuple):
    """A variant's lookup tables for the kernels (numpy arrays and scalars only; never modify them).

    Attributes:
        full: bitboard of the playable cells (every cell but the bricks).
        bricks: bitboard of the brick cells.
        win_masks: ``uint64[n_live]``, every winning window that holds no brick.
        cell_ptr: ``int32[n_cells + 1]``, CSR offsets into ``cell_wins``.
        cell_wins: ``int32[...]``, for each cell the indices into ``win_masks`` of the live windows through it.
        rows, cols: board size.
        k: stones in a line needed to win.
    """

    full: np.uint64
    bricks: np.uint64
    win_masks: np.ndarray
    cell_ptr: np.ndarray
    cell_wins: np.ndarray
    rows: int
    cols: int
    k: int


# ----------------------------------------------------------------------------------------------- bit tricks
@intrinsic
def popcount(typingctx, x):
    """Number of set bits of an integer (one ``popcnt`` instruction)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], x, types.uint64)
        return context.cast(builder, builder.ctpop(value), types.uint64, types.intp)

    return types.intp(x), codegen


@intrinsic
def lowest_bit_index(typingctx, x):
    """Index of the least significant set bit of a non-zero integer (one ``tzcnt`` instruction)."""
    if not isinstance(x, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        value = context.cast(builder, args[0], x, types.uint64)
        return context.cast(
            builder, builder.cttz(value, context.get_constant(types.boolean, True)), types.uint64, types.intp
        )

    return types.intp(x), codegen


# ------------------------------------------------------------------------------------------------------ rules
@njit(cache=True)
def is_win_at(stones, cell, t):
    """Whether ``stones`` fill a live window through ``cell`` (the test after a stone lands on ``cell``)."""
    for j in range(t.cell_ptr[cell], t.cell_ptr[cell + 1]):
        m = t.win_masks[t.cell_wins[j]]
        if stones & m == m:
            return True
    return False


@njit(cache=True)
def play_cell(p1, p2, mover, cell, full, t):
    """Place ``mover``'s (1 or 2) stone on the empty ``cell``; return ``(p1, p2, status)`` after the move.

    ``full`` is the bitboard of the playable cells (``t.full``, or a search's own when one set of brick-free
    tables serves several layouts). The caller guarantees that ``cell`` is empty and the game not over.
    """
    b = _ONE << np.uint64(cell)
    if mover == 1:
        p1 |= b
        if is_win_at(p1, cell, t):
            return p1, p2, P1_WIN
    else:
        p2 |= b
        if is_win_at(p2, cell, t):
            return p1, p2, P2_WIN
    if (p1 | p2) & full == full:
        return p1, p2, DRAW
    return p1, p2, ONGOING


@njit(cache=True)
def winning_cells(me, opp, t):
    """Bitboard of the empty cells where one more stone of ``me`` completes a live window.

    ``opp`` is the other side's stones. Windows through bricks are not in ``t`` (tables built for the layout);
    with brick-free tables, pass ``opp | bricks``. A result with two or more bits is a double threat.
    """
    out = _ZERO
    masks = t.win_masks
    for i in range(masks.shape[0]):
        m = masks[i]
        if m & opp == _ZERO:
            e = m & ~me
            if e != _ZERO and e & (e - _ONE) == _ZERO:
                out |= e
    return out


@njit(cache=True)
def write_planes(own, opp, bricks, free, rows, cols, planes, masks, row):
    """Network input for the side to move: ``planes[row]`` = own stones, opponent stones, bricks (float 0/1,
    shape (3, rows, cols)) and ``masks[row]`` = the legal cells ``free``."""
    for r in range(rows):
        for c in range(cols):
            b = _ONE << np.uint64(r * cols + c)
            planes[row, 0, r, c] = 1.0 if own & b else 0.0
            planes[row, 1, r, c] = 1.0 if opp & b else 0.0
            planes[row, 2, r, c] = 1.0 if bricks & b else 0.0
            masks[row, r * cols + c] = (free & b) != _ZERO


# ------------------------------------------------------------------------------------------------ randomness
def make_rng(seed: int) -> np.ndarray:
    """A splitmix64 state for :func:`next_u64` from any Python integer seed."""
    return np.array([seed & 0xFFFFFFFFFFFFFFFF], dtype=np.uint64)


@njit(cache=True)
def next_u64(rng):
    rng[0] += _GOLDEN
    z = rng[0]
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


@njit(cache=True)
def rand_below(rng, n):
    """Uniform integer in ``[0, n)`` (Lemire's multiply-shift, n < 2**32)."""
    return int(((next_u64(rng) >> np.uint64(32)) * np.uint64(n)) >> np.uint64(32))


@njit(cache=True)
def rand_unit(rng):
    """Uniform float in ``[0, 1)``."""
    return float(next_u64(rng) >> np.uint64(11)) * (1.0 / 9007199254740992.0)


# -------------------------------------------------------------------------------------------------- playouts
@njit(cache=True)
def random_playout(p1, p2, to_move, t, rng, scratch):
    """Play uniformly random legal moves to the end; return ``(final status, moves played)``.

    ``scratch`` is int64 space of at least ``rows * cols`` (reused, not allocated).
    """
    free = t.full & ~(p1 | p2)
    n = 0
    while free:
        scratch[n] = lowest_bit_index(free)
        n += 1
        free &= free - _ONE
    # The board fills exactly when the shuffled cells run out, so only the win test is needed per move.
    mover = to_move
    for i in range(n):
        j = i + rand_below(rng, n - i)
        c = scratch[j]
        scratch[j] = scratch[i]
        b = _ONE << np.uint64(c)
        if mover == 1:
            p1 |= b
            if is_win_at(p1, c, t):
                return P1_WIN, i + 1
        else:
            p2 |= b
            if is_win_at(p2, c, t):
                return P2_WIN, i + 1
        mover = 3 - mover
    return DRAW, n


@njit(cache=True)
def random_playouts(p1, p2, to_move, t, rng, n_games):
    """Many playouts from one position: int64[5] with the counts of P1 wins, P2 wins and draws at indices 1, 2
    and 3, and the total number of moves played at index 4 (for throughput figures)."""
    scratch = np.empty(64, dtype=np.int64)
    counts = np.zeros(5, dtype=np.int64)
    for _ in range(n_games):
        status, moves = random_playout(p1, p2, to_move, t, rng, scratch)
        counts[status] += 1
        counts[4] += moves
    return counts


# ------------------------------------------------------------------------------------------------ threats
@njit(cache=True)
def line_threats(me, opp, t):
    """One pass over the live windows: what each side threatens, for threat-based search (the exact solver).

    A window is *open* for a side when the other side has no stone in it. Returns
    ``(me_wins, opp_wins, me_makers, opp_makers, me_most, opp_most, live)``:

    * ``*_wins``: empty cells where one more stone of that side completes an open window (as
      :func:`winning_cells`);
    * ``*_makers``: empty cells of open windows that lack exactly two stones of that side (playing one creates a
      threat on the other);
    * ``*_most``: the most stones of that side in one open window, or -1 when it has no open window left (it
      can no longer win);
    * ``live``: the cells of every window still open for either side. An empty cell outside ``live`` is *dead*:
      no stone there can ever matter, so all dead cells are equivalent moves.

    Windows through bricks are not in ``t`` (tables built for the layout).
    """
    me_wins = _ZERO
    opp_wins = _ZERO
    me_makers = _ZERO
    opp_makers = _ZERO
    me_most = -1
    opp_most = -1
    live = _ZERO
    k = t.k
    masks = t.win_masks
    for i in range(masks.shape[0]):
        m = masks[i]
        a = popcount(m & me)
        b = popcount(m & opp)
        if a == 0 or b == 0:
            live |= m
        if b == 0:
            if a > me_most:
                me_most = a
            if a == k - 1:
                me_wins |= m & ~me
            elif a == k - 2:
                me_makers |= m & ~me
        if a == 0:
            if b > opp_most:
                opp_most = b
            if b == k - 1:
                opp_wins |= m & ~opp
            elif b == k - 2:
                opp_makers |= m & ~opp
    return me_wins, opp_wins, me_makers, opp_makers, me_most, opp_most, live


@njit(cache=True)
def winning_cells_after(me, opp, cell, t):
    """The new winning cells ``me`` gains by playing the empty ``cell`` (only windows through it are read).

    With :func:`winning_cells` of ``me`` empty, two or more bits mean the move is a double threat.
    """
    b = _ONE << np.uint64(cell)
    stones = me | b
    out = _ZERO
    for j in range(t.cell_ptr[cell], t.cell_ptr[cell + 1]):
        m = t.win_masks[t.cell_wins[j]]
        if m & opp == _ZERO:
            e = m & ~stones
            if e != _ZERO and e & (e - _ONE) == _ZERO:
                out |= e
    return out
