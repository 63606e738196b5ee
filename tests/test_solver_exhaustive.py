"""The solver against an exhaustive negamax written in the tests (tests/solver_reference.py): on every position
reachable in small variants, with and without a brick, the same value, the same distance and the same set of
optimal moves; and the values known from the literature."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit
from solver_reference import reference_lines, reference_optimal_sets, reference_values

from bttt import Rules
from bttt.solver.engine import Solver
from bttt.solver.position import state_from_stones
from bttt.solver.solve import solve

FAST = [(3, 3, 3, "none"), (3, 3, 3, "B2"), (3, 4, 3, "none"), (3, 4, 3, "B2"), (4, 4, 3, "none"), (4, 4, 3, "B2")]
SLOW = [(4, 4, 4, "none"), (4, 4, 4, "B2")]


def _expected_scores(res: np.ndarray, length: np.ndarray) -> np.ndarray:
    return np.where(res == 1, 64 - length, np.where(res == -1, length - 64, 0))


def _sides(p1: np.ndarray, p2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n1 = np.array([int(x).bit_count() for x in p1])
    n2 = np.array([int(x).bit_count() for x in p2])
    first = n1 == n2
    return np.where(first, p1, p2), np.where(first, p2, p1)


@njit
def _solver_optimal_sets(p1, p2, scores, playable, win_masks, n_cells):
    """Optimal-move bitmasks from the solver's scores: the moves whose child's score gives the best value."""
    keys = (p1 << np.uint64(32)) | p2
    out = np.zeros(p1.shape[0], dtype=np.uint64)
    for i in range(p1.shape[0]):
        n1 = 0
        n2 = 0
        for c in range(n_cells):
            n1 += (p1[i] >> np.uint64(c)) & np.uint64(1)
            n2 += (p2[i] >> np.uint64(c)) & np.uint64(1)
        first = n1 == n2
        best = -100
        mask = np.uint64(0)
        for c in range(n_cells):
            b = np.uint64(1) << np.uint64(c)
            if not playable & b or (p1[i] | p2[i]) & b:
                continue
            q1 = p1[i] | b if first else p1[i]
            q2 = p2[i] if first else p2[i] | b
            mine = q1 if first else q2
            won = False
            for m in win_masks:
                if mine & m == m:
                    won = True
            if won:
                v = 63
            elif (q1 | q2) & playable == playable:
                v = 0
            else:
                j = np.searchsorted(keys, (q1 << np.uint64(32)) | q2)
                s = scores[j]
                v = -s + 1 if s > 0 else (-s - 1 if s < 0 else 0)
            if v > best:
                best = v
                mask = b
            elif v == best:
                mask |= b
        out[i] = mask
    return out


def _check_variant(rows: int, cols: int, k: int, bricks: str) -> None:
    rules = Rules(rows, cols, k, bricks)
    p1, p2, res, length = reference_values(rows, cols, k, rules.bricks)
    order = np.argsort((p1 << np.uint64(32)) | p2)
    p1, p2, res, length = p1[order], p2[order], res[order], length[order]
    me, opp = _sides(p1, p2)
    solver = Solver(rules, tt_bits=22)
    lo, hi, _ = solver.values(me, opp)
    expected = _expected_scores(res, length)
    wrong = np.flatnonzero((lo != hi) | (lo != expected))
    if wrong.size:
        i = wrong[0]
        state = state_from_stones(rules, int(p1[i]), int(p2[i]))
        pytest.fail(
            f"{wrong.size} of {len(p1)} positions differ, e.g. {state.serialize()}: [{lo[i]}, {hi[i]}] != {expected[i]}"
        )
    playable = np.uint64(rules.full_mask)
    lines = reference_lines(rows, cols, k, rules.bricks)
    ref_sets = reference_optimal_sets(p1, p2, res, length, playable, lines, rows * cols)
    got_sets = _solver_optimal_sets(p1, p2, lo, playable, rules.tables.win_masks, rows * cols)
    differ = np.flatnonzero(ref_sets != got_sets)
    assert differ.size == 0, f"optimal-move sets differ on {differ.size} positions"
    # the per-move path of solve() on a sample of positions (the batch above checked values and sets)
    rng = np.random.default_rng(rows * 100 + cols * 10 + k)
    for i in rng.choice(len(p1), size=min(40, len(p1)), replace=False):
        state = state_from_stones(rules, int(p1[i]), int(p2[i]))
        sol = solve(state, solver=solver, moves="all", pv=False)
        assert sol.bounds.exact and sol.bounds.lo == expected[i], state.serialize()
        assert sum(1 << m for m in sol.optimal_moves) == int(ref_sets[i]), state.serialize()
        quick = solve(state, solver=Solver(rules, tt_bits=16), moves="optimal", pv=False)
        assert quick.optimal_moves == sol.optimal_moves, state.serialize()


@pytest.mark.parametrize("variant", FAST, ids=lambda v: f"{v[0]}x{v[1]}k{v[2]}-{v[3]}")
def test_every_reachable_position_matches_the_exhaustive_negamax(variant) -> None:
    _check_variant(*variant)


@pytest.mark.slow
@pytest.mark.parametrize("variant", SLOW, ids=lambda v: f"{v[0]}x{v[1]}k{v[2]}-{v[3]}")
def test_every_reachable_position_of_4x4k4_matches_the_exhaustive_negamax(variant) -> None:
    _check_variant(*variant)


@pytest.mark.parametrize(
    ("variant", "value"),
    [((3, 3, 3, "none"), 0), ((4, 4, 4, "none"), 0), ((4, 4, 3, "none"), 64 - 5)],
    ids=["3x3k3-draw", "4x4k4-draw", "4x4k3-win-in-5"],
)
def test_known_values_of_empty_boards(variant, value) -> None:
    sol = solve(state_from_stones(Rules(*variant), 0, 0), moves="none", pv=False)
    assert sol.bounds.exact and sol.bounds.lo == value
