"""The expert heuristic reproduces the original code's values exactly."""

from __future__ import annotations

import math

from agents.heuristic import heuristic_value, log_scaled
from bttt import GameState, Rules


def test_heuristic_matches_every_original_value(original_games):
    checked = 0
    for game in original_games:
        state = GameState(Rules(bricks=game["brick_index"]))
        expected = game["heuristic_after_each_ply"]
        assert math.isclose(heuristic_value(state), expected[0], rel_tol=1e-9, abs_tol=0.0)
        for move, value in zip(game["moves"], expected[1:], strict=True):
            state.apply_action(move)
            assert math.isclose(heuristic_value(state), value, rel_tol=1e-9, abs_tol=0.0), (game, move)
            checked += 1
    assert checked > 8000


def test_heuristic_hand_computed_values():
    rules = Rules(bricks="D4")
    assert heuristic_value(GameState(rules)) == 0.0
    # One O stone on A1 (corner): windows through A1 are the row A1-A4, column A1-D1 and
    # diagonal A1-D4 (bricked: 0). Row and column have A1 as the first (occupied) cell:
    # bonus 1, blank 3 -> 1.5 / 1e6 each.
    s = GameState.from_moves(rules, "A1")
    assert math.isclose(heuristic_value(s), 2 * 1.5 / 1e6, rel_tol=1e-12)
    # An X stone on A2 as well: the row window A1-A4 now holds both (0); the row A2-A5,
    # the column A2-D2 and the diagonal A2-D5 hold X only with A2 first: -1/1e6 each.
    s.apply_action("A2")
    expected = 1.5 / 1e6 - 3 / 1e6
    assert math.isclose(heuristic_value(s), expected, rel_tol=1e-12)


def test_log_scaled_leaf_value():
    assert log_scaled(0.0) == 0.0
    assert math.isclose(log_scaled(1.0), (6 + math.log10(1.000001)) / 6, rel_tol=1e-12)
    assert math.isclose(log_scaled(-1e-4), -(6 + math.log10(1e-4 + 1e-6)) / 6, rel_tol=1e-12)
