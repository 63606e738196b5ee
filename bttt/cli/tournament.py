"""``bttt tournament``: a round robin (or gauntlet) over brick layouts, stored, rated and reported
(:func:`tournament.driver.run_tournament`, :func:`tournament.report.build_report`)."""

from __future__ import annotations

import argparse
import shlex
import sys

from bttt.cli._options import seed_value
from bttt.layouts import GRAMMAR_HELP

INTERRUPTED = "every finished game is stored; rerun the same command to resume"

EPILOG = """examples:
  bttt tournament                                   # random, paper Minimax/MCTS, strong MCTS, AlphaZero d4; 49 cells
  bttt tournament random minimax:depth=4 --bricks orbits --games 2 --db small.db
  bttt tournament minimax:depth=4                   # add an agent to the default db: new pairings only
  bttt tournament alphazero:checkpoint=d4 --gauntlet alphazero:checkpoint=d4 --db az.db
  bttt report --train-bricks D4                     # the same games, D4 as the training cell of every control
  bttt tournament --backend ray --address auto      # the same games on a Ray cluster
  bttt tournament alphazero:checkpoint=d4-half alphazero:checkpoint=d4 --sprt elo0=-10,elo1=0 --db ab.db
                                                    # A/B: a sequential test over rounds of fresh openings
Rerunning the same command resumes an interrupted tournament (only missing games are played)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from tournament.defaults import (
        DEFAULT_AGENTS,
        DEFAULT_DB,
        DEFAULT_GAMES,
        DEFAULT_MAX_CRASHES,
        DEFAULT_OPENING_PLIES,
        DEFAULT_OPENINGS,
        DEFAULT_REPORT,
        DEFAULT_SUITE,
        DEFAULT_TRAIN,
    )

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument(
        "agents",
        nargs="*",
        metavar="AGENT",
        help=f"agent specs (see 'bttt agents'); default: {' '.join(DEFAULT_AGENTS)} (with --train-bricks "
        f"{DEFAULT_TRAIN} for the controls), or the agents already in --db",
    )
    p.add_argument(
        "--bricks", dest="suite", help=f"brick layouts, each played: {GRAMMAR_HELP} (default {DEFAULT_SUITE})"
    )
    p.add_argument("--suite", dest="suite", help=argparse.SUPPRESS)  # the flag's name before bttt 0.2
    p.add_argument(
        "--games",
        type=int,
        dest="games_per_colour",
        metavar="N",
        help=f"games per pairing, layout, opening and colour (default {DEFAULT_GAMES})",
    )
    p.add_argument(
        "--openings",
        type=int,
        metavar="N",
        help=f"start positions per layout, each played with both colours (default {DEFAULT_OPENINGS}; 0 = the "
        "empty board)",
    )
    p.add_argument(
        "--opening-plies",
        type=int,
        metavar="K",
        help=f"plies of each opening (default {DEFAULT_OPENING_PLIES}); openings are distinct under the layout's "
        "symmetries and not won by either side within 7 plies (the solver) or 4 (the search's value)",
    )
    p.add_argument("--openings-file", metavar="FILE", help="openings from a file, one serialised position a line")
    p.add_argument(
        "--allow-plugin",
        action="append",
        default=[],
        metavar="PACKAGE",
        help="let agents stored in --db as package.module:factory specs from PACKAGE run (repeatable)",
    )
    p.add_argument("--seed", type=seed_value, help="tournament seed; every game's seed derives from it (default 0)")
    p.add_argument(
        "--train-bricks",
        dest="train",
        metavar="BRICKS",
        help="training bricks of agents that declare none (e.g. D4): every other layout is novel in the report",
    )
    p.add_argument("--train", dest="train", help=argparse.SUPPRESS)  # the flag's name before bttt 0.2
    p.add_argument("--gauntlet", metavar="AGENT", help="play only this agent against each of the others")
    p.add_argument(
        "--move-time-limit",
        type=float,
        metavar="SECONDS",
        help="an agent that takes longer for one move loses the game (default: no limit)",
    )
    p.add_argument(
        "--sprt",
        metavar="TEST",
        help="A/B test of the two agents given (A first): play rounds of colour-swapped pairs on fresh openings "
        "until a pentanomial SPRT decides, e.g. elo0=0,elo1=10,alpha=0.05,beta=0.05 (model=logistic|normalized)",
    )
    p.add_argument(
        "--max-rounds",
        type=int,
        metavar="N",
        help="with --sprt: rounds at most (one pair per layout and opening each; default 50); a larger value "
        "continues an undecided test",
    )
    p.add_argument("--workers", type=int, help="worker processes (default: the number of cores)")
    p.add_argument(
        "--batch-games",
        type=int,
        metavar="N",
        help="network agents' games played together per worker, their network calls pooled "
        "(default: 64 on a CPU, 1024 on a GPU; 1 = one game at a time; results do not change)",
    )
    p.add_argument(
        "--backend", choices=("local", "ray"), default="local", help="local process pool (default) or a Ray cluster"
    )
    p.add_argument("--address", help="Ray cluster address (e.g. auto or ray://host:10001); default: a local Ray")
    p.add_argument(
        "--max-crashes",
        type=int,
        default=DEFAULT_MAX_CRASHES,
        metavar="N",
        help=f"times a game may kill its worker before it is recorded as a crash (default {DEFAULT_MAX_CRASHES})",
    )
    p.add_argument("--db", default=DEFAULT_DB, help=f"SQLite database (default {DEFAULT_DB})")
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="delete --db (a bttt tournament database) first and start a new tournament",
    )
    p.add_argument("--out", default=DEFAULT_REPORT, help=f"report folder (default {DEFAULT_REPORT}/)")
    p.add_argument("--no-report", action="store_true", help="do not print the summary or write the report")
    p.add_argument("--no-figures", action="store_true", help="write the report without PNG figures")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--json", action="store_true", help="print what the run did and the report's figures as one JSON document"
    )


def run(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError
    from tournament.driver import TournamentSpec, run_tournament

    for flag, value, low in (
        ("--games", args.games_per_colour, 1),
        ("--workers", args.workers, 1),
        ("--openings", args.openings, 0),
        ("--opening-plies", args.opening_plies, 0),
        ("--max-crashes", args.max_crashes, 1),
        ("--batch-games", args.batch_games, 1),
    ):
        if value is not None and value < low:
            raise BtttError(f"{flag} must be at least {low}, got {value}")
    if args.move_time_limit is not None and args.move_time_limit <= 0:
        raise BtttError("--move-time-limit must be positive (seconds)")
    if args.openings_file is not None and args.openings:
        raise BtttError("give --openings N or --openings-file FILE, not both")
    if args.sprt is None and args.max_rounds is not None:
        raise BtttError("--max-rounds applies to a sequential test: add --sprt elo0=...,elo1=...")
    sprt = _sprt_spec(args) if args.sprt is not None else None
    if not args.no_report:
        from tournament.report import check_report_dir

        check_report_dir(args.out)  # before any game: a bad folder must not waste the tournament
    if sprt is not None:
        return _run_sprt(args, sprt)
    spec = TournamentSpec(
        agents=list(args.agents),
        suite=args.suite,
        games_per_colour=args.games_per_colour,
        seed=args.seed,
        train=args.train,
        gauntlet=args.gauntlet,
        move_time_limit=args.move_time_limit,
        openings=args.openings,
        opening_plies=args.opening_plies,
        openings_file=args.openings_file,
        allow_plugins=tuple(args.allow_plugin),
    )
    summary = run_tournament(
        spec,
        db=args.db,
        workers=args.workers,
        backend=args.backend,
        address=args.address,
        progress=not args.no_progress,
        max_crashes=args.max_crashes,
        overwrite=args.overwrite,
        command=shlex.join(["bttt", *sys.argv[1:]]),
        batch_games=args.batch_games,
    )
    print(
        f"{summary.played} games played in {summary.wall_time:.1f} s ({summary.already_done} were already in "
        f"{summary.db}; {summary.faults} faults).",
        file=sys.stderr,
    )
    if args.no_report:
        if args.json:
            _emit(summary, None)
        return 0
    from tournament.report import build_report, write_report

    report = build_report(args.db)
    if not args.json:
        print(report.summary())
    page = write_report(report, args.out, figures=not args.no_figures)
    if args.json:
        from tournament.report import written_files
        from tournament.report_json import report_document

        _emit(summary, report_document(report, args.out, written_files(args.out)))
        return 0
    print(f"\nReport written to {page} and index.html (CSV files and figures beside them).")
    return 0


def _sprt_spec(args: argparse.Namespace):
    """The test asked for, after the checks that need no game: two agents, no gauntlet, openings drawn."""
    from bttt.errors import BtttError
    from tournament.sprt import SprtSpec

    test = SprtSpec.parse(args.sprt)
    if len(args.agents) != 2:
        raise BtttError(f"--sprt tests two agents, A against B: give exactly two agent specs (got {len(args.agents)})")
    if args.gauntlet is not None:
        raise BtttError("--sprt plays A against B only: leave out --gauntlet")
    if args.openings_file is not None:
        raise BtttError("--sprt draws fresh openings every round: leave out --openings-file (use --openings N)")
    if args.games_per_colour not in (None, 1):
        raise BtttError("--sprt plays one pair per layout and opening each round: leave out --games")
    return test


def _run_sprt(args: argparse.Namespace, test) -> int:
    from tournament.driver import default_workers
    from tournament.sprt_run import SprtRunSpec, run_sprt

    spec = SprtRunSpec(
        a=args.agents[0],
        b=args.agents[1],
        sprt=test,
        suite=args.suite,
        openings=args.openings,
        opening_plies=args.opening_plies,
        max_rounds=args.max_rounds,
        seed=args.seed,
        train=args.train,
        move_time_limit=args.move_time_limit,
        allow_plugins=tuple(args.allow_plugin),
    )
    result = run_sprt(
        spec,
        args.db,
        workers=args.workers or default_workers(),
        backend=args.backend,
        address=args.address,
        progress=not args.no_progress,
        max_crashes=args.max_crashes,
        overwrite=args.overwrite,
        command=shlex.join(["bttt", *sys.argv[1:]]),
    )
    print(
        f"{result.played} games played in {result.wall_time:.1f} s ({result.already_done} were already in "
        f"{result.db}; {result.faults} faults).",
        file=sys.stderr,
    )
    report_doc = None
    if not args.no_report:
        from tournament.report import build_report, write_report

        report = build_report(args.db)
        if not args.json:
            print(report.summary())
        page = write_report(report, args.out, figures=not args.no_figures)
        if args.json:
            from tournament.report import written_files
            from tournament.report_json import report_document

            report_doc = report_document(report, args.out, written_files(args.out))
        else:
            print(f"\nReport written to {page} and index.html (CSV files and figures beside them).")
    if args.json:
        from types import SimpleNamespace

        summary = SimpleNamespace(
            db=result.db,
            to_play=result.played,
            already_done=result.already_done,
            played=result.played,
            faults=result.faults,
            wall_time=result.wall_time,
            agents=result.agents,
        )
        _emit(summary, report_doc, result.to_json())
    else:
        print("\n" + result.describe())
    return 0


def _emit(summary, report: dict | None, sprt: dict | None = None) -> None:
    from bttt.jsonout import emit

    emit(
        {
            "format": "bttt-tournament-run",
            "version": 2,
            "db": str(summary.db),
            "to_play": summary.to_play,
            "already_done": summary.already_done,
            "played": summary.played,
            "faults": summary.faults,
            "wall_time_s": summary.wall_time,
            "agents": summary.agents,
            "report": report,
            "sprt": sprt,
        }
    )
