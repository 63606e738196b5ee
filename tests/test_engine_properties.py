"""Property tests: random legal play on random variants keeps every invariant.

Each example draws a variant (board 3..7 x 3..7, win length, a few bricks) and a
sequence of choices among the legal moves; the engine is checked after every ply
against the slow pure-Python oracle in ``test_engine_oracle``.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_engine_oracle import EMPTY, empty_board, slow_full, slow_winner

from bttt import GameState, Rules, kernels, symmetry
from bttt.errors import IllegalMoveError

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def variants(draw, square: bool = False) -> Rules:
    rows = draw(st.integers(3, 7))
    cols = rows if square else draw(st.integers(3, 7))
    k = draw(st.integers(3, min(5, max(rows, cols))))
    n_bricks = draw(st.integers(0, 3))
    bricks = draw(st.lists(st.integers(0, rows * cols - 1), min_size=n_bricks, max_size=n_bricks, unique=True))
    return Rules(rows, cols, k, bricks)


@st.composite
def games(draw, square: bool = False) -> tuple[Rules, list[int]]:
    """A variant and a random legal game on it (to the end, or cut short)."""
    rules = draw(variants(square))
    state = GameState(rules)
    length = draw(st.integers(0, rules.n_cells))
    moves = []
    while not state.is_terminal() and len(moves) < length:
        legal = state.legal_actions()
        move = legal[draw(st.integers(0, len(legal) - 1))]
        state.apply_action(move)
        moves.append(move)
    return rules, moves


def popcount(x: int) -> int:
    return bin(x).count("1")


@SETTINGS
@given(games())
def test_random_play_keeps_invariants(game):
    rules, moves = game
    state = GameState(rules)
    board = empty_board(rules.rows, rules.cols, rules.bricks)
    for ply, move in enumerate(moves):
        assert not state.is_terminal()
        assert slow_winner(board, rules.win_length) == 0 and not slow_full(board)
        empties = [r * rules.cols + c for r in range(rules.rows) for c in range(rules.cols) if board[r][c] == EMPTY]
        assert state.legal_actions() == empties
        assert state.legal_mask().nonzero()[0].tolist() == empties
        state.apply_action(move)
        r, c = divmod(move, rules.cols)
        board[r][c] = 1 + ply % 2
        # stone counts, alternation, no stone on a brick, no overlap
        assert popcount(state.p1) == (ply + 2) // 2 and popcount(state.p2) == (ply + 1) // 2
        assert state.p1 & state.p2 == 0
        assert (state.p1 | state.p2) & rules.brick_mask == 0
        assert state.history == moves[: ply + 1]
        assert state.to_move == 1 + (ply + 1) % 2
        assert state.board().tolist() == board
        # terminal exactly at the first line or a full board
        winner = slow_winner(board, rules.win_length)
        assert winner != -1
        assert state.is_terminal() == (winner != 0 or slow_full(board))
        assert state.winner == winner
    if state.is_terminal():
        assert state.legal_actions() == []
        assert sum(state.returns()) == 0.0
        for cell in range(rules.n_cells):
            try:
                state.clone().apply_action(cell)
            except IllegalMoveError as err:
                assert rules.name(cell) in str(err)
            else:
                raise AssertionError(f"move {cell} accepted after the end")


@SETTINGS
@given(games())
def test_observation_planes_match_the_board(game):
    rules, moves = game
    state = GameState.from_moves(rules, moves)
    obs = state.observation()
    board = state.board()
    own, opp = (1, 2) if state.to_move == 1 else (2, 1)
    assert obs.shape == (3, rules.rows, rules.cols) and obs.dtype == np.float32
    assert np.array_equal(obs[0], board == own)
    assert np.array_equal(obs[1], board == opp)
    assert np.array_equal(obs[2], board == 3)


@SETTINGS
@given(games(square=True), st.integers(0, 7))
def test_symmetry_commutes_with_play_and_result(game, t):
    rules, moves = game
    state = GameState.from_moves(rules, moves)
    perm = symmetry.permutation(t, rules.rows, rules.cols)
    # transform then play == play then transform
    moved = GameState(symmetry.transform_rules(t, rules))
    for m in moves:
        moved.apply_action(int(perm[m]))
    assert moved == symmetry.transform_state(t, state)
    assert moved.is_terminal() == state.is_terminal()
    assert moved.winner == state.winner
    assert np.array_equal(symmetry.transform_planes(t, state.board()), moved.board())
    assert np.array_equal(symmetry.transform_planes(t, state.observation()), moved.observation())
    assert np.array_equal(symmetry.transform_vector(t, state.legal_mask(), rules.rows, rules.cols), moved.legal_mask())
    back = symmetry.transform_state(symmetry.inverse(t), moved)
    assert back == state


@SETTINGS
@given(games(), st.integers(0, 3))
def test_rectangle_symmetries(game, t):
    rules, moves = game
    t = symmetry.transforms(rules.rows, rules.cols)[t]
    state = GameState.from_moves(rules, moves)
    moved = symmetry.transform_state(t, state)
    assert moved.winner == state.winner and moved.is_terminal() == state.is_terminal()


@SETTINGS
@given(games())
def test_serialisation_round_trips(game):
    rules, moves = game
    state = GameState.from_moves(rules, moves)
    text = state.serialize()
    again = GameState.deserialize(text)
    assert again == state and hash(again) == hash(state)
    assert (again.p1, again.p2, again.to_move, again.status) == (state.p1, state.p2, state.to_move, state.status)
    assert again.serialize() == text
    clone = state.clone()
    assert clone == state and clone.history is not state.history


@SETTINGS
@given(games())
def test_numba_playout_agrees_on_the_last_empty_cell(game):
    """With one empty cell left the playout is forced: it must agree with GameState."""
    rules, moves = game
    state = GameState.from_moves(rules, moves)
    empties = state.legal_actions()
    if state.is_terminal() or len(empties) != 1:
        # still check that playouts always end and count every game
        if not state.is_terminal():
            t = rules.tables
            counts = kernels.random_playouts(
                np.uint64(state.p1), np.uint64(state.p2), state.to_move, t, kernels.make_rng(len(moves)), 20
            )
            assert counts[1:4].sum() == 20
            assert 20 <= counts[4] <= 20 * len(empties)
        return
    t = rules.tables
    counts = kernels.random_playouts(np.uint64(state.p1), np.uint64(state.p2), state.to_move, t, kernels.make_rng(1), 5)
    state.apply_action(empties[0])
    status = {0: kernels.DRAW, 1: kernels.P1_WIN, 2: kernels.P2_WIN}[state.winner]
    assert counts[status] == 5 and counts[4] == 5
