"""The study's tables against a third or fourth opponent (``write_opponents``) from a real small tournament."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

from script_modules import load_script_module
from tournament_agents import make_importable

report = load_script_module("generalization_report")
NET = "tests.tournament_agents:trained:cells=D4"


def _play(db: Path, bricks: str, openings: int) -> None:
    from bttt.cli import main

    make_importable()
    args = ["tournament", NET, "random", "--gauntlet", "random", "--bricks", bricks, "--games", "1"]
    args += ["--openings", str(openings), "--opening-plies", "2", "--workers", "1", "--db", str(db)]
    assert main([*args, "--no-report", "--no-progress"]) == 0


def _mean_points(db: Path, where: str) -> float:
    """The network's mean points per game, straight from the games table (an independent reading)."""
    with sqlite3.connect(db) as con:
        rows = con.execute(f"SELECT p1, winner FROM games WHERE {where}").fetchall()
    pts = [0.5 if w == 0 else float((w == 1) == p1.startswith("tests.")) for p1, w in rows]
    return sum(pts) / len(pts)


def test_a_network_against_perfect_play_takes_d4_from_the_dense_database(tmp_path):
    _play(tmp_path / "perfect-core.db", "D4,E5,A1", 1)
    _play(tmp_path / "perfect-dense.db", "D4", 3)
    text = report.write_opponents(tmp_path, tmp_path / "docs", {"net": NET, "perfect": "random"}, reps=200)
    assert "## Against perfect play" in text and "## Against the strong MCTS" not in text
    (row,) = csv.DictReader((tmp_path / "docs" / "vs_perfect.csv").open())
    assert row["agent"] == "net" and row["opponents"] == "perfect"
    assert (row["train pairs"], row["novel cells"], row["novel pairs"]) == ("3", "2", "2")
    train = _mean_points(tmp_path / "perfect-dense.db", "1")
    novel = _mean_points(tmp_path / "perfect-core.db", "layout != 'D4'")
    assert abs(float(row["train score"].split(" ")[0]) - train) < 1e-3
    assert abs(float(row["novel score"].split(" ")[0]) - novel) < 1e-3


def test_move_quality_takes_d4_from_the_dense_database(tmp_path):
    from tournament.analysis import analyse, read_verdicts

    scales = load_script_module("generalization_scales")
    _play(tmp_path / "core.db", "D4,E5", 1)
    _play(tmp_path / "dense.db", "D4", 3)
    agents = {"net": NET, "random": "random"}
    core_only, _, _ = scales.read_study_quality(tmp_path, agents)
    assert core_only == []  # nothing judged yet
    analyse(tmp_path / "core.db", workers=1, seconds=None, nodes=2_000)
    core = read_verdicts(tmp_path / "core.db")
    assert scales.read_study_quality(tmp_path, agents)[0] == core  # dense.db not judged: core.db alone
    analyse(tmp_path / "dense.db", workers=1, seconds=None, nodes=2_000)
    dense = read_verdicts(tmp_path / "dense.db")
    merged, labels, _ = scales.read_study_quality(tmp_path, agents)
    d4 = [v for v in merged if v.layout == "D4"]
    assert len(d4) == len(dense) and {v.game_id for v in d4} == {v.game_id + scales.DENSE_GAME_IDS for v in dense}
    assert [v for v in merged if v.layout == "E5"] == [v for v in core if v.layout == "E5"]
    assert set(labels.values()) == {"net", "random"}
