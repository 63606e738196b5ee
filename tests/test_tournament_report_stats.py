"""The report's pair statistics on hand-built databases: pentanomial counts, distinct games, the gap with its
power, IQM, probability of improvement, normalised scores with a stand-in solver, and the JSON document."""

from __future__ import annotations

import csv
import json

import pytest
from test_json_output import validate

from bttt.cli import main
from tournament.play import GameResult
from tournament.report import build_report, write_report
from tournament.schedule import GameKey
from tournament.store import Store

CONFIG = {"rows": 7, "cols": 7, "win_length": 4, "games_per_colour": 1, "move_time_limit": None, "seed": 0}


def add_pair(store, a, b, layout, opening, points_a, moves=(0, 1)):
    """Store the colour-swapped pair (a first, b first) on ``layout``/``opening`` worth ``points_a`` (0..2) to a."""
    first, second = {0: (2, 1), 0.5: (2, 0), 1: (1, 1), 1.5: (1, 0), 2: (1, 2)}[points_a]
    for key, winner in ((GameKey(a, b, layout, 0, opening), first), (GameKey(b, a, layout, 0, opening), second)):
        moves_of_game = [*moves, len(opening)]  # distinct per opening, identical across the pairings
        term = "draw" if winner == 0 else "win"
        store.add_game(GameResult(key, 0, winner, term, moves_of_game, [0.1] * len(moves_of_game)), 7, 7)


def test_pentanomial_counts_distinct_games_gap_and_iqm(tmp_path):
    """'trained' (D4) against 'control': WW on D4 and C3, LL on A1 and G7, the third pair of a novel cell WL."""
    db = tmp_path / "t.db"
    suite = ["D4", "C3", "A1", "G7"]
    with Store(db) as s:
        s.ensure_config(dict(CONFIG, suite=suite, train=None))
        s.add_agent("trained", "trained", (24,))
        s.add_agent("control", "control", None)
        for layout in suite:
            for k, opening in enumerate(("x", "yy", "zzz")):
                pts = 2 if layout in ("D4", "C3") else 0
                add_pair(s, "trained", "control", layout, opening, 1 if k == 2 and layout != "D4" else pts)
    report = build_report(db)
    st = report.stats
    counts = st.pairings[0].counts
    assert (st.pairings[0].a, counts.ww, counts.ll, counts.wl, counts.pairs) == ("trained", 5, 4, 3, 12)
    assert st.distinct_games == 4 * 3 and st.games == 24  # one move sequence per (layout, opening)
    assert "24 games (12 distinct move sequences)" in report.summary()
    gap = st.agents["trained"].gap
    assert (gap.train_cells, gap.novel_cells) == (1, 3)
    # train: D4 = 1.0; novel: C3 (1, 1, 0.5), A1 and G7 (0, 0, 0.5): mean of cell means
    assert gap.train.value == pytest.approx(1.0)
    assert gap.novel.value == pytest.approx((5 / 6 + 1 / 6 + 1 / 6) / 3)
    assert gap.gap.low < gap.gap.value < gap.gap.high and gap.detectable > 0
    assert st.agents["control"].gap is None  # a control: no split
    # the 12 pair scores pooled (cells weigh the same, 3 pairs each): 0 0 0 | 0 .5 .5 .5 1 1 | 1 1 1
    assert st.agents["trained"].iqm.value == pytest.approx(3.5 / 6)
    text = report.summary()
    for title in ("Colour-swapped pairs per pairing", "Generalization: mean cell score", "Interquartile mean"):
        assert title in text
    assert "cluster bootstrap with cells as clusters" in text and "within each (cell, pairing) stratum" in text
    page = write_report(report, tmp_path / "out", figures=False).read_text()
    assert "### Colour-swapped pairs" in page and "### Interquartile mean over cells" in page
    with open(tmp_path / "out" / "generalization.csv") as fh:
        row = next(r for r in csv.DictReader(fh) if r["agent"] == "trained")
    assert float(row["gap"]) == pytest.approx(gap.gap.value) and float(row["detectable gap"]) == gap.detectable
    with open(tmp_path / "out" / "pairs.csv") as fh:
        row = next(csv.DictReader(fh))
    assert (row["WW"], row["LL"], row["WL"], row["distinct games"]) == ("5", "4", "3", "12")


def test_not_decided_reads_as_no_evidence_with_the_detectable_gap(tmp_path):
    db = tmp_path / "t.db"
    suite = ["D4", "C3", "A1"]
    with Store(db) as s:
        s.ensure_config(dict(CONFIG, suite=suite, train=["D4"]))
        s.add_agent("a", "a", None)
        s.add_agent("b", "b", None)
        for layout in suite:
            for k, opening in enumerate(("p", "q", "r", "s")):
                add_pair(s, "a", "b", layout, opening, (0.5, 1, 1, 1.5)[k])
    report = build_report(db)
    gap = report.stats.agents["a"].gap
    assert not gap.decided and "not decided" in gap.verdict() and "detects gaps of" in gap.verdict()
    row = next(r for r in report.tables["generalization"].rows if r[0] == "a")
    assert row[-1] == "not decided" and float(row[-2]) == pytest.approx(100 * gap.detectable, abs=0.06)


def normalised_db(path):
    """x scores 1/2 against 'opp' on every cell; random scores 0 and the stand-in solver 1 against 'opp'."""
    suite = ["D4", "A1", "E5"]
    solver = "solver:time=1"  # a stand-in: only its name says it is the solver
    with Store(path) as s:
        s.ensure_config(dict(CONFIG, suite=suite, train=["D4"]))
        for name in ("random", solver, "x", "opp"):
            s.add_agent(name, name, None)
        for layout in suite:
            for opening in ("p", "q"):
                add_pair(s, "x", "opp", layout, opening, 1)
                add_pair(s, "random", "opp", layout, opening, 0)
                add_pair(s, solver, "opp", layout, opening, 2)
                add_pair(s, "random", "x", layout, opening, 0)
                add_pair(s, solver, "x", layout, opening, 2)
                add_pair(s, "random", solver, layout, opening, 0)
    return path


def test_normalised_scores_with_a_solver_agent(tmp_path):
    report = build_report(normalised_db(tmp_path / "n.db"))
    st = report.stats
    assert st.references == ("random", "solver:time=1")
    n = st.normalised["x"]
    assert n.opponents == ("opp",) and n.cells == 3 and n.skipped == 0
    assert n.iqm.value == pytest.approx(0.5) and n.gap.gap.value == pytest.approx(0.0)
    assert st.normalised["opp"].opponents == ("x",) and st.normalised["opp"].iqm.value == pytest.approx(0.5)
    assert "random" not in st.normalised and "solver:time=1" not in st.normalised  # the ends of the scale
    assert "Normalised scores (random play 0, perfect play 1)" in report.summary()
    poi = {(i.x, i.y): i for i in st.improvement}
    assert poi[("solver:time=1", "random")].value.value == pytest.approx(1.0)


def test_without_a_solver_normalised_is_absent_and_says_why(tmp_path):
    db = normalised_db(tmp_path / "n.db")
    with Store(db, create=False) as s:
        s.conn.execute("DELETE FROM games WHERE p1 LIKE 'solver%' OR p2 LIKE 'solver%'")
        s.conn.execute("DELETE FROM agents WHERE name LIKE 'solver%'")
        s.conn.commit()
    report = build_report(db)
    assert "normalised" not in report.tables and report.stats.normalised == {}
    assert "need a 'random' and a 'solver' agent" in report.stats.normalised_note


def test_report_json_statistics(tmp_path, capsys):
    db = normalised_db(tmp_path / "n.db")
    assert main(["report", "--db", str(db), "--out", str(tmp_path / "rep"), "--json", "--no-figures"]) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "bttt-report")
    st = doc["statistics"]
    assert st["games"] == 2 * 3 * 2 * 6 and st["pairs"] == 36 and st["unpaired_games"] == 0
    assert "within each (cell, pairing) stratum" in st["resampling"]["ratings"]
    x = next(a for a in st["agents"] if a["name"] == "x")
    assert x["gap"]["verdict"] == "not decided" and x["normalised"]["iqm"]["value"] == pytest.approx(0.5)
    assert st["normalisation"] == {"random": "random", "perfect": "solver:time=1", "note": st["normalisation"]["note"]}
    pairing = next(p for p in st["pairings"] if (p["a"], p["b"]) == ("x", "opp"))
    assert pairing["pentanomial"] == [0, 0, 6, 0, 0] and pairing["classes"]["WL"] == 6
    assert {r["name"] for r in st["ratings"]} == {"random", "solver:time=1", "x", "opp"}
    assert all(r["low"] - 1e-3 <= r["elo"] <= r["high"] + 1e-3 for r in st["ratings"]), st["ratings"]
