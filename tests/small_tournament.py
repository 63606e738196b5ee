"""A small real tournament for the tests of everything that reads stored games (show, export/import, viewer).

Three scripted agents (one declares a training cell, one raises on its third move, so some games end in faults)
on three layouts, each game from one 2-ply opening: 18 games in a few seconds.
"""

from __future__ import annotations

from pathlib import Path

from tournament_agents import make_importable

T = "tests.tournament_agents"
AGENTS = ("random", f"{T}:trained:cells=D4", f"{T}:raiser:after=2")


def build(db: Path, out: Path | None = None, figures: bool = False) -> Path:
    """Play the tournament into ``db`` (and write its report to ``out`` when given)."""
    from bttt.cli import main

    make_importable()
    args = ["tournament", *AGENTS, "--bricks", "D4,E5,A1", "--games", "1", "--openings", "1", "--opening-plies", "2"]
    args += ["--train-bricks", "D4", "--workers", "1", "--db", str(db), "--no-progress"]
    args += ["--out", str(out)] if out is not None else ["--no-report"]
    if not figures:
        args.append("--no-figures")
    assert main(args) == 0
    return db
