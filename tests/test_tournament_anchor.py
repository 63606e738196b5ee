"""The rating scale anchored on the solver agent (tournament/rating_anchor.py): the solver is rated 0, every
difference, LOS and order is unchanged, and a tournament without a solver keeps ratings that sum to zero."""

from __future__ import annotations

import numpy as np
import pytest

from tournament.rating import fit_ratings, outcome_counts
from tournament.rating_anchor import anchor_name, anchored

NAMES = ["random", "minimax:depth=2", "solver:time=1.0"]
GAMES = (
    [("solver:time=1.0", "random", 1)] * 8
    + [("random", "solver:time=1.0", 2)] * 8
    + [("solver:time=1.0", "minimax:depth=2", 1)] * 7
    + [("minimax:depth=2", "solver:time=1.0", 2)] * 6
    + [("minimax:depth=2", "solver:time=1.0", 0)] * 1
    + [("minimax:depth=2", "random", 1)] * 8
    + [("random", "minimax:depth=2", 2)] * 7
    + [("random", "minimax:depth=2", 1)] * 1
)


def test_the_solver_is_the_zero_of_the_scale_and_differences_are_kept() -> None:
    r = fit_ratings(outcome_counts(GAMES, NAMES), NAMES)
    a, _ = anchored(r)
    s = NAMES.index("solver:time=1.0")
    assert a.anchor == "solver:time=1.0"
    assert a.elo[s] == 0.0 and a.elo_ci[s] == pytest.approx(0.0, abs=1e-9)
    assert np.all(a.elo <= 1e-9)  # the solver is on top here
    for i in range(3):
        for j in range(3):
            assert a.elo[i] - a.elo[j] == pytest.approx(r.elo[i] - r.elo[j])
            assert a.los(i, j) == pytest.approx(r.los(i, j))
            assert a.diff_se(i, j) == pytest.approx(r.diff_se(i, j))
    m = NAMES.index("minimax:depth=2")
    assert a.elo_se[m] == pytest.approx(r.diff_se(m, s) * 400 / np.log(10))
    assert a.order() == r.order()


def test_without_a_solver_nothing_moves() -> None:
    names = NAMES[:2]
    games = [g for g in GAMES if "solver:time=1.0" not in g[:2]]
    r = fit_ratings(outcome_counts(games, names), names)
    a, boot = anchored(r)
    assert a is r and boot is None and anchor_name(names) is None
    assert abs(r.theta.sum()) < 1e-9


def test_a_report_with_a_solver_is_anchored_on_it(tmp_path) -> None:
    from test_tournament_report_stats import normalised_db

    from tournament.report import build_report

    report = build_report(normalised_db(tmp_path / "n.db"))
    r = report.ratings
    s = r.names.index("solver:time=1")
    assert r.anchor == "solver:time=1" and r.elo[s] == 0.0
    boot = report.stats.ratings
    assert np.all(boot.elo_replicates[:, s] == 0.0) and boot.point.anchor == "solver:time=1"
    lo, hi = boot.interval(r.names.index("random"))
    assert lo - 1e-3 <= r.elo[r.names.index("random")] <= hi + 1e-3 and hi < 0  # random is below perfect play
    assert "solver:time=1 = 0" in report.tables["standings"].title
