"""The rule kernels against the independent slow line checker (tests/test_engine_oracle.py) on random positions.

Every search places stones with ``play_cell`` and finds threats with ``winning_cells``; here each kernel is
compared, position by position, with a referee that shares no code with it, on boards from 3x3 to 7x7, several
win lengths and zero to three bricks.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numba import njit
from test_engine_oracle import EMPTY, P1, P2, empty_board, slow_full, slow_winner
from test_engine_properties import games

from bttt import GameState, Rules, kernels

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _board_of(rules: Rules, moves: list[int]) -> list[list[int]]:
    board = empty_board(rules.rows, rules.cols, rules.bricks)
    for i, m in enumerate(moves):
        board[m // rules.cols][m % rules.cols] = P1 if i % 2 == 0 else P2
    return board


def _slow_status(board: list[list[int]], k: int) -> int:
    winner = slow_winner(board, k)
    assert winner != -1
    if winner:
        return kernels.P1_WIN if winner == 1 else kernels.P2_WIN
    return kernels.DRAW if slow_full(board) else kernels.ONGOING


@SETTINGS
@given(games())
def test_play_cell_agrees_with_the_slow_referee_at_every_ply(game):
    rules, moves = game
    t = rules.tables
    p1 = p2 = np.uint64(0)
    for i, m in enumerate(moves):
        p1, p2, status = kernels.play_cell(p1, p2, 1 if i % 2 == 0 else 2, m, t.full, t)
        assert status == _slow_status(_board_of(rules, moves[: i + 1]), rules.win_length), (rules, moves[: i + 1])
        mover_stones = p1 if i % 2 == 0 else p2
        assert kernels.is_win_at(mover_stones, m, t) == (status in (kernels.P1_WIN, kernels.P2_WIN))
    state = GameState.from_moves(rules, moves)
    assert (int(p1), int(p2)) == (state.p1, state.p2)


def _slow_winning_cells(rules: Rules, board: list[list[int]], player: int) -> int:
    out = 0
    for c in range(rules.n_cells):
        r, col = divmod(c, rules.cols)
        if board[r][col] != EMPTY:
            continue
        board[r][col] = player
        if slow_winner(board, rules.win_length) == player:
            out |= 1 << c
        board[r][col] = EMPTY
    return out


@SETTINGS
@given(games())
def test_winning_cells_agree_with_the_slow_referee(game):
    rules, moves = game
    state = GameState.from_moves(rules, moves)
    if state.is_terminal():
        return
    board = _board_of(rules, moves)
    t = rules.tables
    for player, me, opp in ((1, state.p1, state.p2), (2, state.p2, state.p1)):
        got = int(kernels.winning_cells(np.uint64(me), np.uint64(opp), t))
        assert got == _slow_winning_cells(rules, board, player), (rules, moves, player)
    # brick-free tables (as AlphaZero's batched search uses) give the same cells when bricks count as blockers
    bare = Rules(rules.rows, rules.cols, rules.win_length, None).tables
    for me, opp in ((state.p1, state.p2), (state.p2, state.p1)):
        assert kernels.winning_cells(np.uint64(me), np.uint64(opp | rules.brick_mask), bare) == kernels.winning_cells(
            np.uint64(me), np.uint64(opp), t
        )


@SETTINGS
@given(games())
def test_write_planes_matches_the_board(game):
    rules, moves = game
    board = np.array(_board_of(rules, moves))
    mover = P1 if len(moves) % 2 == 0 else P2
    state = GameState.from_moves(rules, moves)
    own, opp = (state.p1, state.p2) if mover == P1 else (state.p2, state.p1)
    planes = np.full((2, 3, rules.rows, rules.cols), -1.0, np.float32)
    masks = np.zeros((2, rules.n_cells), bool)
    free = np.uint64(rules.full_mask & ~(state.p1 | state.p2))
    kernels.write_planes(
        np.uint64(own), np.uint64(opp), np.uint64(rules.brick_mask), free, rules.rows, rules.cols, planes, masks, 1
    )
    expected = np.stack([board == mover, board == 3 - mover, board == 3]).astype(np.float32)
    np.testing.assert_array_equal(planes[1], expected)
    np.testing.assert_array_equal(masks[1], (board == EMPTY).reshape(-1))
    assert (planes[0] == -1).all()  # only the requested row is written
    np.testing.assert_array_equal(state.observation(), expected)


@njit
def _bits(x):
    return kernels.popcount(x), kernels.lowest_bit_index(x)


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 2**64 - 1))
def test_bit_intrinsics(x):
    count, low = _bits(np.uint64(x))
    assert count == bin(x).count("1")
    assert low == (x & -x).bit_length() - 1


def test_random_playouts_always_finish_a_legal_game():
    rules = Rules(5, 5, 4, "C3")
    counts = kernels.random_playouts(np.uint64(0), np.uint64(0), 1, rules.tables, kernels.make_rng(3), 500)
    assert counts[1:4].sum() == 500
    assert 500 * 7 <= counts[4] <= 500 * 24  # at least 7 plies to win with k=4, at most 24 playable cells
    again = kernels.random_playouts(np.uint64(0), np.uint64(0), 1, rules.tables, kernels.make_rng(3), 500)
    np.testing.assert_array_equal(counts, again)  # seeded
