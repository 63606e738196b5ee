"""The report: generalization numbers on a hand-made database, files written, and the two commands."""

from __future__ import annotations

import csv
import math

import pytest
from tournament_agents import make_importable

from bttt.cells import parse_cell
from bttt.cli import main
from tournament.generalization import analyse, chebyshev, layout_distance
from tournament.play import GameResult
from tournament.report import build_report, write_report
from tournament.schedule import GameKey
from tournament.store import Store

make_importable()
T = "tests.tournament_agents"


def make_db(path, train=None):
    """'trained' (training cell D4) beats 'control' on D4 and C3 and loses on A1 and G7; 4 games per layout."""
    cfg = {
        "rows": 7,
        "cols": 7,
        "win_length": 4,
        "seed": 0,
        "suite": ["D4", "C3", "A1", "G7"],
        "games_per_colour": 2,
        "move_time_limit": None,
        "train": train,
    }
    with Store(path) as s:
        s.ensure_config(cfg)
        s.add_agent("trained", "trained", (24,))
        s.add_agent("control", "control", None)
        for layout in cfg["suite"]:
            trained_wins = layout in ("D4", "C3")
            for i in range(2):
                for p1, p2 in (("trained", "control"), ("control", "trained")):
                    seat_of_trained = 1 if p1 == "trained" else 2
                    winner = seat_of_trained if trained_wins else 3 - seat_of_trained
                    s.add_game(GameResult(GameKey(p1, p2, layout, i), i, winner, "win", [0, 1], [0.1, 0.1]))
    return path


def test_generalization_numbers(tmp_path):
    db = make_db(tmp_path / "g.db", train=["A1"])
    with Store(db, create=False) as s:
        gen = {g.name: g for g in analyse(s.games(), s.agents(), (0,))}
    t = gen["trained"]
    assert t.training_source == "agent" and t.training_cells == (24,)
    maps = t.heatmaps()
    assert maps["all"][3, 3] == 1.0 and maps["p1"][0, 0] == 0.0 and math.isnan(maps["all"][1, 1])
    c = gen["control"]  # declares no cells: uses the --train split (A1)
    assert c.training_source == "--train" and c.training_cells == (0,)
    assert chebyshev(parse_cell("A1"), parse_cell("D4")) == 3
    assert layout_distance((parse_cell("A1"), parse_cell("C3")), (24,)) == 3


def test_orbit_and_distance_scores_count_cells_not_games(tmp_path):
    stats = build_report(make_db(tmp_path / "g.db", train=["A1"])).stats
    by_d = {g.key: (g.played, g.pairs, g.score.value) for g in stats.by_distance["trained"]}
    assert by_d == {0: (1, 2, 1.0), 1: (1, 2, 1.0), 3: (2, 4, 0.0)}  # D4; C3; A1 and G7
    corner = next(g for g in stats.by_orbit["control"] if 0 in g.key)  # A1 and G7 share the corner orbit
    assert (corner.cells, corner.played, corner.training, corner.pairs) == (4, 2, 1, 4)
    assert corner.score.value == 1.0


def test_report_files_and_tables(tmp_path):
    report = build_report(make_db(tmp_path / "g.db"))
    text = report.summary()
    assert "Ratings" in text and "Crosstable" in text and "Score per brick cell, trained" in text
    standings = report.tables["standings"]
    assert [row[1] for row in standings.rows] == ["trained", "control"] or [row[1] for row in standings.rows] == [
        "control",
        "trained",
    ]
    page = write_report(report, tmp_path / "out")
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {
        "index.md",
        "index.html",
        "standings.csv",
        "cells.csv",
        "generalization.csv",
        "ratings.png",
        "heatmap_trained.png",
        "heatmap_control.png",
        "by_distance.png",
    } <= files
    md = page.read_text()
    assert "![heatmap_trained](heatmap_trained.png)" in md and "## Generalization" in md
    page_html = (tmp_path / "out" / "index.html").read_text()
    assert "<img src='heatmap_trained.png'" in page_html and "<h2>Generalization</h2>" in page_html
    with open(tmp_path / "out" / "generalization.csv") as fh:
        rows = {r["agent"]: r for r in csv.DictReader(fh)}
    assert float(rows["trained"]["gap"]) == pytest.approx(1 - 1 / 3)
    assert rows["control"]["from"] == "none"


def test_tournament_and_report_commands(tmp_path, capsys):
    db, out = str(tmp_path / "t.db"), str(tmp_path / "rep")
    agents = ["agents.random_agent:RandomAgent", f"{T}:trained:cells=D4+C3", f"{T}:raiser:after=3"]
    rc = main(
        [
            "tournament",
            "--openings",
            "0",
            *agents,
            "--suite",
            "D4,C3,A1",
            "--games",
            "1",
            "--workers",
            "2",
            "--train",
            "D4",
            "--db",
            db,
            "--out",
            out,
            "--no-progress",
            "--no-figures",
        ]
    )
    assert rc == 0
    printed = capsys.readouterr().out
    assert "Ratings" in printed and "Generalization" in printed and "D4,C3" in printed
    assert "exception" in printed  # the raising agent's faults are counted
    with Store(db, create=False) as s:
        games = s.games()
    assert len(games) == 3 * 3 * 2
    assert all(g.termination == "exception" for g in games if f"{T}:raiser:after=3" in (g.p1, g.p2))
    assert main(["report", "--db", db, "--out", out, "--quiet"]) == 0
    assert (tmp_path / "rep" / "ratings.png").exists()
    # A changed configuration on the same database is refused with a message, not a traceback.
    assert main(["tournament", "--games", "2", "--db", db, "--no-progress"]) == 2
    assert "another configuration" in capsys.readouterr().err
    assert main(["report", "--db", str(tmp_path / "missing.db"), "--out", out]) == 2
    assert "no tournament database" in capsys.readouterr().err
