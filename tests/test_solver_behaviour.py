"""The solver on 7x7: endgames of real games against the exhaustive negamax, consistency (a value is the best of
its children, symmetric positions are equal), budgets that never produce a wrong value, finished positions, and
the values known from the literature."""

from __future__ import annotations

import numpy as np
import pytest
from solver_reference import reference_subtree

from bttt import GameState, Rules
from bttt.solver.engine import Budget, Solver
from bttt.solver.solve import solve
from bttt.solver.values import SCORE_MAX, parent_score
from bttt.symmetry import transform_state, transforms


def _endgames(original_games, empties: tuple[int, ...], count: int) -> list[GameState]:
    """Unfinished positions of real games with the given numbers of empty cells."""
    out = []
    for g in original_games:
        rules = Rules(bricks=g["brick"])
        for e in empties:
            ply = 48 - e
            if ply < g["plies"]:
                out.append(GameState.from_moves(rules, g["moves"][:ply]))
    return out[:count]


def _scores(res: np.ndarray, length: np.ndarray) -> np.ndarray:
    return np.where(res == 1, SCORE_MAX - length, np.where(res == -1, length - SCORE_MAX, 0))


def test_endgames_of_real_games_agree_with_the_exhaustive_negamax(original_games) -> None:
    states = _endgames(original_games, (10, 11, 12, 13, 14), 12)
    assert len(states) >= 10
    checked = 0
    for state in states:
        r = state.rules
        p1, p2, res, length = reference_subtree(r.rows, r.cols, r.win_length, r.bricks, state.p1, state.p2)
        expected = _scores(res, length)
        first = np.array([int(a).bit_count() == int(b).bit_count() for a, b in zip(p1, p2, strict=True)])
        solver = Solver(r, tt_bits=20)
        lo, hi, _ = solver.values(np.where(first, p1, p2), np.where(first, p2, p1))
        assert np.array_equal(lo, hi) and np.array_equal(lo, expected), state.serialize()
        checked += len(p1)
        sol = solve(state, solver=solver, moves="all", pv=True)
        assert sol.bounds.lo == expected[0]
        for m in sol.moves:
            child = state.child(m.move)
            if child.is_terminal():
                want = SCORE_MAX - 1 if child.winner else 0
            else:
                j = np.flatnonzero((p1 == child.p1) & (p2 == child.p2))[0]
                want = parent_score(int(expected[j]))
            assert m.bounds.exact and m.bounds.lo == want, (state.serialize(), m)
            assert m.optimal == (want == expected[0])
        line = state.clone()
        for move in sol.pv:
            line.apply_action(move)
        assert line.is_terminal()
        if sol.bounds.lo != 0:
            assert len(sol.pv) == SCORE_MAX - abs(sol.bounds.lo)
            assert line.winner == (state.to_move if sol.bounds.lo > 0 else 3 - state.to_move)
    assert checked > 10_000  # every position of every endgame's subtree, not just the roots


def _random_positions(seed: int, count: int, plies: tuple[int, int]) -> list[GameState]:
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < count:
        rules = Rules(bricks=int(rng.integers(49)))
        state = GameState(rules)
        target = int(rng.integers(*plies))
        while len(state.history) < target and not state.is_terminal():
            state.apply_action(int(rng.choice(state.legal_actions())))
        if not state.is_terminal():
            out.append(state)
    return out


def test_the_value_is_the_best_over_the_children_on_random_midgames() -> None:
    for state in _random_positions(1, 12, (14, 22)):
        solver = Solver(state.rules, tt_bits=18)
        root = solve(state, solver=solver, moves="none", pv=False, budget=Budget(seconds=20))
        assert root.bounds.exact, state.serialize()
        best = -SCORE_MAX
        for m in state.legal_actions():
            child = state.child(m)
            if child.is_terminal():
                value = SCORE_MAX - 1 if child.winner else 0
            else:
                fresh = Solver(state.rules, tt_bits=18)  # no shared table: an independent solve of each child
                sol = solve(child, solver=fresh, moves="none", pv=False, budget=Budget(seconds=20))
                assert sol.bounds.exact, child.serialize()
                value = parent_score(sol.bounds.lo)
            best = max(best, value)
        assert best == root.bounds.lo, state.serialize()


def test_symmetric_positions_have_equal_values() -> None:
    for state in [GameState.deserialize("7x7k4 b:C3 m:D4,E3"), *_random_positions(2, 6, (6, 14))]:
        values = set()
        for t in transforms(7, 7):
            image = transform_state(t, state)
            sol = solve(image, solver=Solver(image.rules, tt_bits=18), moves="none", pv=False)
            assert sol.bounds.exact
            values.add(sol.bounds.lo)
        assert len(values) == 1, state.serialize()


def test_a_budget_run_proves_or_says_unknown_never_a_wrong_value() -> None:
    states = [*_random_positions(3, 6, (6, 16)), GameState.deserialize("5x5k4 b:none m:C3")]
    for state in states:
        exact = solve(state, solver=Solver(state.rules, tt_bits=20), moves="none", pv=False, budget=Budget(60))
        assert exact.bounds.exact
        v = exact.bounds.lo
        for nodes in (1, 10, 100, 1000, 10_000):
            for strategy in ("horizon", "wdl", "bisect", "mtdf", "full"):
                solver = Solver(state.rules, tt_bits=16)
                b = solve(state, solver=solver, moves="none", pv=False, budget=Budget(nodes=nodes), strategy=strategy)
                assert b.bounds.lo <= v <= b.bounds.hi, (state.serialize(), nodes, strategy, b.bounds)
                assert b.complete == b.bounds.exact
                assert solver.nodes <= nodes + 1


def test_budgeted_move_values_hold_the_true_values() -> None:
    state = GameState.deserialize("4x4k4 b:none m:A1")
    full = solve(state, solver=Solver(state.rules, tt_bits=20), moves="all", pv=False)
    assert full.complete
    part = solve(state, solver=Solver(state.rules, tt_bits=16), moves="all", pv=False, budget=Budget(nodes=3000))
    assert not part.complete
    for a, b in zip(full.moves, part.moves, strict=True):
        assert a.move == b.move and b.bounds.lo <= a.bounds.lo <= b.bounds.hi
        assert b.optimal in (None, a.optimal)


def test_a_finished_position_gets_its_value_at_once() -> None:
    won = GameState.deserialize("4x4k3 b:none m:A1,B1,A2,B2,A3")
    sol = solve(won, moves="all")
    assert sol.finished and sol.nodes == 0 and sol.bounds.lo == -SCORE_MAX and sol.bounds.exact
    assert sol.bounds.text() == "loss in 0" and sol.moves == [] and sol.pv == []
    drawn = GameState.from_moves(Rules(3, 3, 3, "none"), "B2,A1,A2,C2,B1,B3,C3,A3,C1")
    assert drawn.is_terminal() and drawn.winner == 0
    assert solve(drawn).bounds.text() == "draw"


@pytest.mark.parametrize(
    ("variant", "text"),
    [((6, 5, 4, "none"), "win in 11"), ((7, 7, 4, "none"), "win in 11"), ((7, 7, 4, "D4"), "win in 11")],
)
def test_first_player_wins_on_larger_boards(variant, text) -> None:
    sol = solve(GameState(Rules(*variant)), moves="none", pv=False)
    assert sol.bounds.text() == text


@pytest.mark.slow
def test_5x5k4_is_a_draw() -> None:
    sol = solve(GameState(Rules(5, 5, 4, "none")), solver=Solver(Rules(5, 5, 4, "none"), tt_bits=22), moves="none")
    assert sol.bounds.text() == "draw"


def test_the_principal_line_plays_the_fastest_win_against_the_longest_defence() -> None:
    state = GameState.deserialize("7x7k4 b:D4 m:-")
    solver = Solver(state.rules, tt_bits=20)
    sol = solve(state, solver=solver, moves="none", pv=True)
    assert sol.bounds.text() == "win in 11" and len(sol.pv) == 11
    s = state.clone()
    for i, move in enumerate(sol.pv):
        left = solve(s, solver=solver, moves="none", pv=False).bounds.lo
        assert abs(left) == SCORE_MAX - (11 - i)  # every position on the line is exactly as far from the end
        s.apply_action(move)
    assert s.winner == 1
