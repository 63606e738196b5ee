"""Edge cases of the 7x7 game: every line at every edge, bricks, draws, illegal moves, rendering."""

from __future__ import annotations

import numpy as np
import pytest
from test_engine_oracle import empty_board, replay, slow_winner

from bttt import GameState, Rules
from bttt.errors import BtttError, IllegalMoveError
from bttt.render import render_rgb, render_text

OPEN = Rules(bricks=None)


def _filler(rules: Rules, avoid, count: int) -> list[int]:
    """``count`` free cells outside ``avoid`` that hold no line of their own (checked by the oracle)."""
    out: list[int] = []
    board = empty_board(rules.rows, rules.cols, rules.bricks)
    for cell in range(rules.n_cells):
        if len(out) == count:
            break
        if cell in avoid or cell in rules.bricks:
            continue
        board[cell // rules.cols][cell % rules.cols] = 2
        if slow_winner(board, rules.win_length):
            board[cell // rules.cols][cell % rules.cols] = 0
            continue
        out.append(cell)
    assert len(out) == count
    return out


def _play_line(rules: Rules, window, last: int, winner: int) -> GameState:
    """The ``winner`` completes ``window`` with the stone on ``last``; the other side plays elsewhere."""
    k = len(window)
    line = [c for c in window if c != last] + [last]
    other = _filler(rules, set(window), k - 1 if winner == 1 else k)
    moves = []
    for i in range(k):
        if winner == 2:
            moves.append(other[i])
        moves.append(line[i])
        if winner == 1 and i < k - 1:
            moves.append(other[i])
    state = GameState(rules)
    for i, m in enumerate(moves):
        assert not state.is_terminal(), f"ended early at move {i}"
        state.apply_action(m)
    return state


def test_every_line_at_every_edge_and_every_completing_stone():
    windows = OPEN.windows
    assert len(windows) == 4 * 7 * 2 + 4 * 4 * 2  # rows, columns, two diagonal directions
    directions = set()
    for window in windows:
        window = [int(c) for c in window]
        (r0, c0), (r1, c1) = divmod(window[0], 7), divmod(window[1], 7)
        directions.add((r1 - r0, c1 - c0))
        for last in window:
            state = _play_line(OPEN, window, last, winner=1)
            assert state.is_terminal() and state.winner == 1, (window, last)
        state = _play_line(OPEN, window, window[0], winner=2)
        assert state.is_terminal() and state.winner == 2 and state.returns() == (-1.0, 1.0)
    assert directions == {(0, 1), (1, 0), (1, 1), (1, -1)}
    edge_cells = {c for c in range(49) if c // 7 in (0, 6) or c % 7 in (0, 6)}
    assert edge_cells <= {int(c) for w in windows for c in w}


def test_five_in_a_row_also_wins():
    state = GameState.from_moves(OPEN, "A1,G1,A2,G2,A4,G4,A5,G5,A3")
    assert state.winner == 1


def test_a_brick_blocks_every_line_through_it():
    rules = Rules()  # brick on D4
    assert rules.bricks == (24,)
    live = {tuple(int(c) for c in w) for w in rules.windows if 24 not in w}
    assert len(rules.tables.win_masks) == len(live) == 88 - 16
    # O fills row D and the main diagonal around the brick: no 4 in a row
    blocked = GameState.from_moves(rules, "D1,A7,D2,B7,D3,A6,D5,B6,D6,A1,D7,C7")
    assert not blocked.is_terminal()
    blocked = GameState.from_moves(rules, "A1,A6,B2,A7,C3,B6,E5,B7,F6,G1,G7")
    assert not blocked.is_terminal()
    column = GameState.from_moves(rules, "A4,A1,B4,A2,C4,B1,E4,B2,F4,G1,G4")
    assert not column.is_terminal()
    column.apply_action("A3")  # X now holds A1 A2 A3: three, not four
    assert not column.is_terminal()
    with pytest.raises(IllegalMoveError, match="D4: a brick stands on that cell"):
        column.apply_action("D4")


def test_draw_on_a_full_board():
    pattern = [[1 + ((c + 2 * r) // 2) % 2 for c in range(7)] for r in range(7)]
    o_cells = [r * 7 + c for r in range(7) for c in range(7) if pattern[r][c] == 1 and r * 7 + c != 24]
    x_cells = [r * 7 + c for r in range(7) for c in range(7) if pattern[r][c] == 2 and r * 7 + c != 24]
    assert len(o_cells) == len(x_cells) == 24
    moves = [m for pair in zip(o_cells, x_cells, strict=True) for m in pair]
    state = GameState(Rules())
    for m in moves:
        assert not state.is_terminal()
        state.apply_action(m)
    assert state.is_terminal() and state.winner == 0 and state.returns() == (0.0, 0.0)
    assert state.legal_actions() == [] and not state.legal_mask().any()
    _, winner, full = replay(7, 7, 4, [24], moves)
    assert winner == 0 and full
    with pytest.raises(IllegalMoveError, match="already over"):
        state.apply_action(0)


@pytest.mark.parametrize("brick", range(49))
def test_a_brick_on_every_cell(brick):
    rules = Rules(bricks=brick)
    assert rules.bricks == (brick,)
    state = GameState(rules)
    assert brick not in state.legal_actions() and len(state.legal_actions()) == 48
    assert state.board()[brick // 7, brick % 7] == 3
    assert state.observation()[2].sum() == 1 and state.observation()[2, brick // 7, brick % 7] == 1
    with pytest.raises(IllegalMoveError, match=f"{rules.name(brick)}: a brick stands"):
        state.apply_action(brick)
    live = [w for w in rules.windows if brick not in w]
    assert len(rules.tables.win_masks) == len(live)
    # a seeded random game ends exactly where the oracle says
    rng = np.random.default_rng(brick)
    while not state.is_terminal():
        legal = state.legal_actions()
        state.apply_action(legal[int(rng.integers(len(legal)))])
    _, winner, full = replay(7, 7, 4, [brick], state.history)
    assert state.winner == winner and (winner or full)


def test_illegal_moves_name_the_move_and_the_reason():
    state = GameState.from_moves(Rules(), "C3,E5")
    cases = [
        ("C3", "move C3: the cell is already taken by O"),
        (32, "move E5: the cell is already taken by X"),
        ("D4", "move D4: a brick stands on that cell"),
        (49, "move 49 is off the board"),
        (-1, "move -1 is off the board"),
        (1.5, "a move is a cell index or name"),
        (True, "a move is a cell index or name"),
    ]
    for move, message in cases:
        with pytest.raises(IllegalMoveError) as err:
            state.apply_action(move)
        assert message in str(err.value), (move, str(err.value))
        assert isinstance(err.value, BtttError)
    assert state.history == [16, 32]  # nothing changed
    state.apply_action(np.int64(0))
    state.apply_action("g7")
    assert state.history == [16, 32, 0, 48]


def test_text_rendering_matches_the_original_style():
    state = GameState.from_moves(Rules(), "A1,G7,C3")
    assert render_text(state) == "\n".join(
        [
            "A|O| | | | | | |",
            "B| | | | | | | |",
            "C| | |O| | | | |",
            "D| | | |B| | | |",
            "E| | | | | | | |",
            "F| | | | | | | |",
            "G| | | | | | |X|",
            " ________________",
            " |1|2|3|4|5|6|7|",
        ]
    )
    assert str(state) == render_text(state)


def test_rgb_rendering_draws_every_kind_of_cell():
    state = GameState.from_moves(Rules(), "A1,G7")
    img = render_rgb(state, cell_px=32)
    assert img.shape == (7 * 32 + 1, 7 * 32 + 1, 3) and img.dtype == np.uint8
    tiles = {
        name: img[r * 32 + 1 : (r + 1) * 32, c * 32 + 1 : (c + 1) * 32]
        for name, (r, c) in {"o": (0, 0), "x": (6, 6), "brick": (3, 3), "empty": (2, 2)}.items()
    }
    colours = {name: {tuple(p) for p in t.reshape(-1, 3)} for name, t in tiles.items()}
    assert len(colours["empty"]) == 1
    assert (30, 90, 200) in colours["o"] and (150, 75, 40) in colours["brick"]
    assert colours["x"] != colours["o"] != colours["brick"]
