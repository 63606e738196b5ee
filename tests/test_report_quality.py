"""The report's move-quality section (tournament/report_quality.py): shown only when bttt analyse has run, its
rates equal the analysis read API's, the train-minus-novel gap and its interval are right on hand-made verdicts,
worst moves point to real games and plies, and one blunder heatmap per agent is drawn."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
import small_tournament

from bttt.solver.values import Bounds
from tournament.analysis import MoveVerdict, analyse, move_rates, read_verdicts
from tournament.report import build_report, write_report
from tournament.report_quality import blunder_grid, optimal_gap


@pytest.fixture(scope="module")
def dbs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("quality")
    plain = small_tournament.build(folder / "plain.db")
    judged = folder / "judged.db"
    src, dst = sqlite3.connect(plain), sqlite3.connect(judged)
    src.backup(dst)
    src.close()
    dst.close()
    analyse(judged, workers=1, seconds=None, nodes=20_000)
    return plain, judged


def test_no_section_without_analysis(dbs, tmp_path) -> None:
    report = build_report(dbs[0])
    assert "move_quality" not in report.tables
    page = write_report(report, tmp_path / "r", figures=False).read_text()
    assert "Move quality" not in page


def test_the_section_with_analysis(dbs, tmp_path) -> None:
    report = build_report(dbs[1])
    t = report.tables
    verdicts = read_verdicts(dbs[1])
    rates = {r.group: r for r in move_rates(verdicts, ("agent",))}
    for row in t["move_quality"].raw:
        if row[1] == "both":
            name = next(n for n, label in report.labels.items() if label == row[0])
            assert row[2] == rates[(name,)].moves
            assert row[3] == pytest.approx(rates[(name,)].optimal.rate)
    games = {g.id: g for g in report.games}
    for row in t["worst_moves"].raw:
        g = games[int(row[1])]
        assert 1 <= int(row[2]) <= g.plies and row[3] == g.layout
    trained = [r for r in t["move_quality_gap"].raw if r[1] == "D4"]
    assert trained, "the agent that declares D4 has a gap row"
    out = tmp_path / "r"
    page = write_report(report, out, figures=True).read_text()
    assert "Move quality (exact solver)" in page and "Worst moves" in page
    assert sorted(p.name for p in out.glob("blunders_*.png"))


def _v(gid: int, layout: str, optimal: bool, ply: int = 0) -> MoveVerdict:
    b = Bounds(5, 5)
    return MoveVerdict(
        gid,
        ply,
        1,
        "a",
        layout,
        b,
        b if optimal else Bounds(3, 3),
        "optimal" if optimal else "inaccuracy",
        False,
        1,
        0.0,
    )


def test_the_gap_and_its_interval_on_hand_made_verdicts() -> None:
    vs = []
    gid = 0
    for layout, hits in (("D4", [1, 1, 1, 0]), ("A1", [1, 0, 0, 0]), ("B2", [0, 1, 0, 0])):
        for h in hits:  # one move per game
            vs.append(_v(gid, layout, bool(h)))
            gid += 1
    g = optimal_gap(vs, (24,))
    assert g["train"] == pytest.approx(0.75) and g["novel"] == pytest.approx(0.25)
    assert g["gap"] == pytest.approx(0.5)
    assert g["low"] < 0.5 < g["high"] and g["train_cells"] == 1 and g["novel_cells"] == 2
    assert 0.0 < g["p"] < 0.2  # a gap of 0.5 on 12 games: small, not tiny
    assert optimal_gap(vs, ()) is None  # no training cell: no train side


def test_the_blunder_grid() -> None:
    vs = [_v(0, "D4", True), _v(1, "D4", True)]
    vs[1] = MoveVerdict(1, 0, 1, "a", "D4", Bounds(5, 5), Bounds(0, 0), "blunder", True, 1, 0.0)
    grid = blunder_grid(vs, "a")
    assert grid[3, 3] == pytest.approx(0.5) and np.isnan(grid[0, 0])
