"""``bttt export``: every stored game with all its fields, as JSON Lines, CSV or BTTT-PGN
(:func:`tournament.game_query.export_games`; the formats: :mod:`tournament.gamefile`, :mod:`tournament.pgn`)."""

from __future__ import annotations

import argparse

INTERRUPTED = "nothing was written (the file is written in one piece at the end)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from bttt.cli.show import add_filter_arguments
    from tournament.defaults import DEFAULT_DB

    p.add_argument("--db", default=DEFAULT_DB, help=f"tournament database (default {DEFAULT_DB})")
    p.add_argument("--format", required=True, choices=("jsonl", "csv", "pgn"), help="file format")
    p.add_argument("--out", help="file to write (default: the database's name with the format's suffix)")
    p.add_argument("--force", action="store_true", help="replace an existing --out that bttt wrote")
    add_filter_arguments(p)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bttt.cli.show import filter_from_args
    from tournament.game_query import export_games

    out = Path(args.out) if args.out else Path(args.db).with_suffix("." + args.format)
    f = filter_from_args(args)
    n = export_games(args.db, out, args.format, f if f.given() else None, force=args.force)
    print(f"wrote {n} games to {out} ({args.format})")
    return 0
