"""``bttt show``: one stored game in the terminal, or the list of games a filter matches
(:mod:`tournament.game_text`, :mod:`tournament.game_query`)."""

from __future__ import annotations

import argparse

INTERRUPTED = "nothing was changed"


def add_filter_arguments(p: argparse.ArgumentParser) -> None:
    """The game filters ``bttt show`` and ``bttt export`` share."""
    p.add_argument("--agent", help="games of this agent (its spec, name or an unambiguous part of it)")
    p.add_argument("--cell", help="games with a brick on this cell (e.g. E5)")
    p.add_argument("--layout", help="games of exactly this brick layout (e.g. D3+E5, none)")
    p.add_argument("--colour", "--color", dest="colour", help="the colour --agent played: O (moves first) or X")
    p.add_argument("--result", choices=("win", "loss", "draw"), help="the result for --agent (without --agent: for O)")


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tournament.defaults import DEFAULT_DB

    p.add_argument("game", nargs="?", type=int, metavar="GAME", help="the game's id (as listed); omit to list games")
    p.add_argument("--db", default=DEFAULT_DB, help=f"tournament database (default {DEFAULT_DB})")
    p.add_argument("--ply", type=int, metavar="N", help="only the board after ply N (0 = before the first move)")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="list at most N games (default 50; 0 = all)")
    add_filter_arguments(p)


def filter_from_args(args: argparse.Namespace):
    from tournament.game_query import GameFilter

    return GameFilter(args.agent, args.cell, args.layout, args.colour, args.result)


def run(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError
    from tournament.game_query import load_tournament, resolve_agent, select
    from tournament.game_text import game_list, show_game

    f = filter_from_args(args)
    if args.game is not None and f.given():
        raise BtttError("give a game id or filters (--agent, --cell, ...), not both")
    if args.limit < 0:
        raise BtttError(f"--limit must be zero or more, got {args.limit}")
    t = load_tournament(args.db)
    if args.game is not None:
        match = [g for g in t.games if g.id == args.game]
        if not match:
            ids = f"{t.games[0].id}..{t.games[-1].id}" if t.games else "none"
            raise BtttError(f"no game {args.game} in {args.db} (ids {ids}); 'bttt show --db {args.db}' lists them")
        print(show_game(t, match[0], args.ply))
        return 0
    if args.ply is not None:
        raise BtttError("--ply needs a game id")
    games = select(t, f)
    shown = games if not args.limit else games[: args.limit]
    table = game_list(t, shown, resolve_agent(t, f.agent) if f.agent else None)
    if len(shown) < len(games):
        table.title = f"{len(games)} games match; the first {len(shown)} (--limit 0 shows all)"
    print(table.text())
    print(f"\nShow one with: bttt show --db {args.db} ID  (add --ply N for one position)")
    return 0
