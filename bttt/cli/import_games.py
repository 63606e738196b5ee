"""``bttt import``: games from a file written by ``bttt export`` (JSON Lines, CSV or BTTT-PGN) into a tournament
database, every game checked first (:func:`tournament.game_import.import_games`).

A separate command rather than ``bttt tournament --games-from``: importing plays nothing, so it needs neither the
agents' code nor their checkpoints, and a database made this way is read by ``bttt show``, ``report`` and
``export`` like any other.
"""

from __future__ import annotations

import argparse

INTERRUPTED = "each game is stored in its own transaction; rerun the same command to add the rest"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="game file (.jsonl, .csv or .pgn)")
    p.add_argument("--db", required=True, help="tournament database to create, or to add the games to")
    p.add_argument("--format", choices=("jsonl", "csv", "pgn"), help="file format (default: from the file's suffix)")


def run(args: argparse.Namespace) -> int:
    from tournament.game_import import import_games

    s = import_games(args.file, args.db, args.format)
    where = "a new database" if s.created else "the existing database"
    agents = f", {len(s.new_agents)} new agents" if s.new_agents else ""
    print(f"imported {s.added} games into {where} {s.db} ({s.skipped} already there{agents})")
    return 0
