"""The baselines of the algorithm comparison (scripts/bench_solver.py) against the exhaustive negamax of the tests.

The df-pn (bttt/solver/dfpn.py): on every reachable position of small variants (a seeded sample of 20,000 in the
larger ones), with and without a brick, the same win, draw or loss; a node budget gives a right answer or
"unknown", never a wrong one. The plain alpha-beta (the solver with no threats, bounds or ordering, one full
window): the same exact values with distance on a sample of positions.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pytest
from solver_reference import reference_values

from bttt import Rules
from bttt.solver import search
from bttt.solver.dfpn import DfpnSolver
from bttt.solver.engine import Solver

FAST = [(3, 3, 3, "none"), (3, 3, 3, "B2"), (3, 4, 3, "none"), (3, 4, 3, "B2"), (4, 4, 3, "none"), (4, 4, 3, "B2")]
SLOW = [(4, 4, 4, "none"), (4, 4, 4, "B2")]


@lru_cache(maxsize=4)
def _positions(rows: int, cols: int, k: int, bricks: str):
    rules = Rules(rows, cols, k, bricks)
    p1, p2, res, _ = reference_values(rows, cols, k, rules.bricks)
    n1 = np.array([int(x).bit_count() for x in p1])
    n2 = np.array([int(x).bit_count() for x in p2])
    first = n1 == n2
    return rules, np.where(first, p1, p2), np.where(first, p2, p1), res.astype(np.int64)


def _check(variant, tt_bits: int = 20, sample: int = 20_000) -> None:
    rules, me, opp, res = _positions(*variant)
    if len(res) > sample:  # every position of the small variants; a seeded sample of the larger ones
        pick = np.random.default_rng(len(res)).choice(len(res), size=sample, replace=False)
        me, opp, res = me[pick], opp[pick], res[pick]
    got, _ = DfpnSolver(rules, tt_bits).outcomes(me, opp)
    wrong = np.flatnonzero(got != res)
    assert wrong.size == 0, f"{wrong.size} of {len(res)} positions differ, e.g. {me[wrong[0]]:#x} {opp[wrong[0]]:#x}"


@pytest.mark.parametrize("variant", FAST, ids=lambda v: f"{v[0]}x{v[1]}k{v[2]}-{v[3]}")
def test_every_reachable_position_matches_the_exhaustive_negamax(variant) -> None:
    _check(variant)


def test_a_tiny_table_only_costs_speed() -> None:
    _check((4, 4, 3, "B2"), tt_bits=6, sample=500)


@pytest.mark.slow
@pytest.mark.parametrize("variant", SLOW, ids=lambda v: f"{v[0]}x{v[1]}k{v[2]}-{v[3]}")
def test_every_reachable_position_of_4x4k4_matches_the_exhaustive_negamax(variant) -> None:
    _check(variant)


def test_a_node_budget_answers_right_or_unknown() -> None:
    rules, me, opp, res = _positions(4, 4, 3, "none")
    rng = np.random.default_rng(3)
    pick = rng.choice(len(res), size=min(400, len(res)), replace=False)
    got, nodes = DfpnSolver(rules, 16).outcomes(me[pick], opp[pick], node_limit=5)
    known = got != -2
    assert np.all(got[known] == res[pick][known])
    assert (~known).any() and known.any()  # the budget bit on some, not on all
    assert np.all(nodes <= 2 * 6)


def test_the_empty_4x4k4_board_is_a_draw_and_4x4k3_a_win() -> None:
    assert DfpnSolver(Rules(4, 4, 4, "none")).outcome(0, 0)[0] == 0
    assert DfpnSolver(Rules(4, 4, 3, "none")).outcome(0, 0)[0] == 1


@pytest.mark.parametrize("variant", [(3, 4, 3, "none"), (4, 4, 3, "B2")], ids=["3x4k3-none", "4x4k3-B2"])
def test_the_plain_alpha_beta_baseline_matches_the_exhaustive_negamax(variant) -> None:
    """The benchmark's baseline (same bitboards and table, no threats, bounds or ordering, one full window)."""
    rules, me, opp, res = _positions(*variant)
    _, _, _, length = reference_values(variant[0], variant[1], variant[2], rules.bricks)
    expected = np.where(res == 1, 64 - length, np.where(res == -1, length - 64, 0))
    baseline = Solver(rules, tt_bits=16, features=search.SYMMETRY)
    for i in np.random.default_rng(5).choice(len(res), size=300, replace=False):
        b = baseline.value(int(me[i]), int(opp[i]), strategy="full")
        assert b.exact and b.lo == expected[i], (hex(me[i]), hex(opp[i]), b, expected[i])
