"""``bttt solve``: the exact value of a position, every move's value and the principal line
(:func:`bttt.solver.solve.solve`); ``--openings`` for the empty board of every brick orbit, ``--verify`` for a
certificate."""

from __future__ import annotations

import argparse
import json
import sys

from bttt.layouts import GRAMMAR_HELP

INTERRUPTED = "what was proven is kept in the --store file if one was given: rerun the same command to continue"

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


def run(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError

    budget_problem = _check_budget(args)
    if budget_problem:
        raise BtttError(budget_problem)
    state = _position(args)
    return _solve_position(args, state)


def _check_budget(args: argparse.Namespace) -> str | None:
    if args.time_limit is not None and not args.time_limit > 0:
        return f"--time-limit {args.time_limit:g}: give a positive number of seconds"
    if args.nodes is not None and args.nodes <= 0:
        return f"--nodes {args.nodes}: give a positive number of nodes"
    if not args.memory >= 1:
        return f"--memory {args.memory:g}: give at least 1 MB"
    return None


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
    from bttt.solver.store import SolutionStore

    return SolutionStore(path, rules)


def _solve_position(args: argparse.Namespace, state) -> int:
    from bttt.solver.engine import Budget, Solver
    from bttt.solver.solve import describe, solve
    from bttt.solver.table import bits_for_memory

    store = _open_store(args.store, state.rules)
    solver = Solver(state.rules, tt_bits=bits_for_memory(args.memory), store=store)
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
    if args.json:
        doc = solution.to_dict(state.rules.name)
        doc["store"] = None if store is None else {"path": str(store.path), "loaded": solver.loaded}
        json.dump(doc, sys.stdout, indent=2)
        print()
    else:
        print(describe(solution, state.rules))
        if store is not None:
            print(f"store: {store.path} ({solver.loaded} positions loaded)")
    return 0
