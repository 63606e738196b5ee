"""``bttt solve``: the exact value of a position, every move's value and the principal line
(:func:`bttt.solver.solve.solve`); ``--openings`` for the empty board of every brick orbit, ``--verify`` for a
certificate."""

from __future__ import annotations

import argparse
import json
import sys

from bttt.layouts import GRAMMAR_HELP

INTERRUPTED = (
    "what was proven is kept in the --store file or folder if one was given (and the --out table up to the last "
    "finished orbit): rerun the same command to continue"
)

EPILOG = """examples:
  bttt solve '4x4k4 b:none m:A1,B2'                  # value, every move's value, principal line
  bttt solve '7x7k4 b:D4 o:C3,E5 x:D5,C4'           # a position by its stones
  bttt solve --brick E5 --time-limit 60 --store e5.sqlite   # the empty board; resumable through the store
  bttt solve '5x5k4 b:none m:C3' --moves optimal --json
  bttt solve '4x4k3 b:none m:-' --certificate win.json      # write a proof that --verify checks
  bttt solve --verify win.json
  bttt solve --openings --store openings/ --time-limit 600  # every brick orbit of 7x7 (resumable)
A search that runs out of its budget says "unknown" and prints the bounds it proved; it never guesses."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from bttt.solver.engine import DEFAULT_STRATEGY, STRATEGIES

    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument(
        "position",
        nargs="?",
        help="'7x7k4 b:D4 m:C3,D5' (moves in order) or '7x7k4 b:D4 o:C3,E5 x:D5' (stones); default: --brick's "
        "empty board",
    )
    p.add_argument("--brick", "--bricks", dest="bricks", help=f"the empty board with this layout ({GRAMMAR_HELP})")
    p.add_argument("--rows", type=int, default=7, help="rows of the empty board of --brick (default 7)")
    p.add_argument("--cols", type=int, default=7, help="columns of the empty board of --brick (default 7)")
    p.add_argument("--win", type=int, default=4, help="stones in a row to win, with --brick (default 4)")
    p.add_argument("--time-limit", type=float, metavar="SECONDS", help="stop after this long (default: no limit)")
    p.add_argument("--nodes", type=int, metavar="N", help="stop after searching this many nodes (default: no limit)")
    p.add_argument(
        "--store",
        metavar="PATH",
        help="solution store: a file (created if absent) that keeps what is proven, so an interrupted solve "
        "resumes; with --openings a folder (one store per orbit)",
    )
    p.add_argument(
        "--memory", type=float, default=256, metavar="MB", help="transposition table size in MB (default 256)"
    )
    p.add_argument(
        "--moves",
        choices=("all", "optimal", "none"),
        default="all",
        help="all: every legal move's exact value (default); optimal: only which moves keep the value (faster); "
        "none: the position's value only",
    )
    p.add_argument("--no-pv", action="store_true", help="do not compute the principal line")
    p.add_argument(
        "--strategy",
        choices=STRATEGIES,
        default=DEFAULT_STRATEGY,
        help=f"the order of null-window probes (default {DEFAULT_STRATEGY}; see docs/solver.md)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    p.add_argument(
        "--save-every",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="write proven positions to --store this often, and at the end (default 30)",
    )
    p.add_argument(
        "--certificate",
        metavar="FILE",
        help="also write a certificate of the position's value (a win for the side to move, or a draw) to FILE",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --certificate file that bttt wrote")
    p.add_argument("--verify", metavar="FILE", help="check a certificate with the independent checker; nothing else")
    p.add_argument(
        "--openings",
        action="store_true",
        help="solve the empty board of every brick orbit (--rows/--cols/--win), --time-limit per orbit, and write "
        "the table to --out",
    )
    p.add_argument("--orbits", help="with --openings: only the orbits of these cells (e.g. D4,A1)")
    p.add_argument("--out", metavar="FILE", help="with --openings: the table's JSON file (written after each orbit)")


def run(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError

    if args.verify is not None:
        if args.position is not None or args.bricks is not None or args.openings:
            raise BtttError("--verify checks a certificate file: give no position, --brick or --openings with it")
        return _verify(args)
    budget_problem = _check_budget(args)
    if budget_problem:
        raise BtttError(budget_problem)
    if args.openings:
        return _openings(args)
    if args.out is not None or args.orbits is not None:
        raise BtttError("--out and --orbits go with --openings")
    state = _position(args)
    if args.certificate is not None:
        from bttt.solver.checker import FORMAT

        _check_output(args.certificate, "--certificate", FORMAT, args.force)
    return _solve_position(args, state)


def _check_output(path: str, what: str, fmt: str, force: bool) -> None:
    """Check an output file before any work: a writable folder, and an existing file replaced only if bttt wrote
    it (its JSON format tag is ``fmt``) and ``force`` is set."""
    from bttt.paths import check_output_file

    def ours(p) -> bool:
        with open(p, "rb") as fh:
            return f'"format": "{fmt}"'.encode() in fh.read(4096)

    check_output_file(path, what, force=force, ours=ours)


def _verify(args: argparse.Namespace) -> int:
    from bttt.solver.checker import read_certificate, verify

    result = verify(read_certificate(args.verify))
    if args.json:
        json.dump(result.__dict__, sys.stdout, indent=2)
        print()
    else:
        print(result.describe())
    return 0


def _openings(args: argparse.Namespace) -> int:
    from pathlib import Path

    from bttt.cells import parse_cells
    from bttt.errors import BtttError
    from bttt.rules import Rules
    from bttt.solver.openings import solve_openings, write_table

    if args.position is not None or args.bricks is not None or args.certificate is not None:
        raise BtttError("--openings solves every orbit's empty board: give no position, --brick or --certificate")
    if args.nodes is not None:
        raise BtttError("--openings takes --time-limit (seconds per orbit), not --nodes")
    Rules(args.rows, args.cols, args.win, "none")  # the board's own errors first
    if args.out is not None:
        from bttt.solver.openings import TABLE_FORMAT

        _check_output(args.out, "--out", TABLE_FORMAT, force=True)  # the table of a rerun continues its own
    orbits = list(parse_cells(args.orbits, args.rows, args.cols)) if args.orbits else None
    folder = None
    if args.store is not None:
        from bttt.paths import check_output_dir

        folder = Path(args.store)
        if folder.exists() and not folder.is_dir():
            raise BtttError(f"--store {folder}: with --openings this is a folder (one store per orbit)")
        check_output_dir(folder, "--store").mkdir(parents=True, exist_ok=True)

    def progress(entry: dict, table: dict) -> None:
        if args.out is not None:
            write_table(table, args.out)
        if not args.json:
            effort = f"{entry['nodes']} nodes, {entry['seconds']:.1f} s"
            moves = " ".join(entry["optimal_first_moves"]) if entry["solved"] else "-"
            print(f"brick {entry['brick']:<3} {entry['text']:<40} optimal: {moves:<30} ({effort})", flush=True)

    table = solve_openings(
        args.rows, args.cols, args.win, args.time_limit, args.memory, folder, folder, orbits, on_orbit=progress
    )
    if args.json:
        json.dump(table, sys.stdout, indent=1)
        print()
    return 0


def _check_budget(args: argparse.Namespace) -> str | None:
    if args.time_limit is not None and not args.time_limit > 0:
        return f"--time-limit {args.time_limit:g}: give a positive number of seconds"
    if args.nodes is not None and args.nodes <= 0:
        return f"--nodes {args.nodes}: give a positive number of nodes"
    from bttt.cli._options import memory_problem

    return memory_problem(args.memory)


def _position(args: argparse.Namespace):
    from bttt import GameState, Rules
    from bttt.errors import BtttError
    from bttt.solver.position import parse_position

    if args.position is not None and args.bricks is not None:
        raise BtttError("give either a POSITION or --brick (the empty board), not both")
    if args.position is not None:
        return parse_position(args.position)
    if args.bricks is None:
        raise BtttError("give a POSITION such as '7x7k4 b:D4 m:C3,D5', or --brick E5 for an empty board")
    return GameState(Rules(args.rows, args.cols, args.win, args.bricks))


def _open_store(path: str | None, rules):
    if path is None:
        return None
    from pathlib import Path

    from bttt.paths import check_output_file
    from bttt.solver.store import SolutionStore

    if not Path(path).exists():  # a new store: its folder must be writable
        check_output_file(path, "--store")
    return SolutionStore(path, rules)


def _solve_position(args: argparse.Namespace, state) -> int:
    from bttt.solver.engine import Budget, Solver
    from bttt.solver.solve import describe, solve
    from bttt.solver.table import bits_for_memory

    store = _open_store(args.store, state.rules)
    solver = Solver(state.rules, tt_bits=bits_for_memory(args.memory), store=store, flush_seconds=args.save_every)
    try:
        solution = solve(
            state,
            solver=solver,
            budget=Budget(args.time_limit, args.nodes),
            moves=args.moves,
            pv=not args.no_pv,
            strategy=args.strategy,
        )
    finally:
        if store is not None:
            solver.flush()
            store.close()
    certificate = None
    if args.certificate is not None:
        certificate = _write_certificate(args, state, solver, solution)
    if args.json:
        doc = solution.to_dict(state.rules.name)
        doc["store"] = None if store is None else {"path": str(store.path), "loaded": solver.loaded}
        doc["certificate"] = certificate
        json.dump(doc, sys.stdout, indent=2)
        print()
    else:
        print(describe(solution, state.rules))
        if store is not None:
            print(f"store: {store.path} ({solver.loaded} positions loaded)")
        if certificate is not None:
            print(f"certificate: {certificate['path']} ({certificate['entries']} strategy entries)")
    return 0


def _write_certificate(args, state, solver, solution) -> dict:
    from bttt.errors import BtttError
    from bttt.solver.certificate import make_certificate, write_certificate
    from bttt.solver.engine import Budget

    if not solution.bounds.exact:
        raise BtttError(f"no certificate: the position is not solved ({solution.bounds.text()}); give more budget")
    doc = make_certificate(state, solver, Budget(args.time_limit, args.nodes))
    write_certificate(doc, args.certificate)
    return {"path": args.certificate, "entries": sum(len(v) for v in doc["strategies"].values())}
