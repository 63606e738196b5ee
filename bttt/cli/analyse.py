"""``bttt analyse``: every move of every game in a tournament database judged by the exact solver, stored beside
the games (:func:`tournament.analysis.analyse`), and the optimal-move and blunder rates per agent, colour and
cell (:func:`tournament.analysis.move_rates`)."""

from __future__ import annotations

import argparse
import json
import sys

INTERRUPTED = "every game analysed so far is stored in the database: rerun the same command to continue"

EPILOG = """examples:
  bttt analyse --db bttt-tournament.db                    # 1 s of solving per position, all cores
  bttt analyse --db t.db --workers 2 --time-limit 5       # a larger budget retries the undecided moves
  bttt analyse --db t.db --summary-only --by agent,cell   # the rates again, without solving
A move is optimal when it keeps the best value (the fastest win, the longest defence, a draw), a blunder when it
turns a win into a draw or loss or a draw into a loss, an inaccuracy otherwise (e.g. a slower win); a move the
budget cannot judge is undecided: counted, never guessed. Intervals resample whole games (95%)."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = EPILOG
    p.add_argument("--db", required=True, help="the tournament database (written by bttt tournament)")
    p.add_argument("--workers", type=int, help="worker processes (default: the number of cores)")
    p.add_argument(
        "--time-limit",
        type=float,
        metavar="SECONDS",
        help="solver time per position (default 1, or no time limit when --nodes is given)",
    )
    p.add_argument(
        "--nodes",
        type=int,
        metavar="N",
        help="solver nodes per position: alone, a reproducible budget (the same verdicts on any machine, with any "
        "workers); with --time-limit, whichever runs out first",
    )
    p.add_argument("--memory", type=float, default=128, metavar="MB", help="each worker's table (default 128 MB)")
    p.add_argument(
        "--by",
        default="agent;agent,colour",
        help="groupings of the summary, ';' between tables, ',' within: agent, colour, cell (default "
        "'agent;agent,colour')",
    )
    p.add_argument("--summary-only", action="store_true", help="print the rates of what is stored; solve nothing")
    p.add_argument("--json", action="store_true", help="print one JSON document (run and rates) instead of text")


def run(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError
    from tournament.analysis import GROUPINGS, analyse, move_rates, read_verdicts
    from tournament.store import check_usable

    if args.time_limit is not None and not args.time_limit > 0:
        raise BtttError(f"--time-limit {args.time_limit:g}: give a positive number of seconds")
    if args.nodes is not None and args.nodes <= 0:
        raise BtttError(f"--nodes {args.nodes}: give a positive number")
    if args.workers is not None and args.workers < 1:
        raise BtttError(f"--workers {args.workers}: give at least 1")
    from bttt.cli._options import memory_problem

    problem = memory_problem(args.memory)
    if problem:
        raise BtttError(problem)
    tables = [tuple(k.strip() for k in t.split(",") if k.strip()) for t in args.by.split(";") if t.strip()]
    for keys in tables:
        for key in keys:
            if key not in GROUPINGS:
                raise BtttError(f"--by {args.by!r}: {key!r} is not one of {', '.join(GROUPINGS)}")
    check_usable(args.db, must_exist=True)
    run_info = None
    if not args.summary_only:

        def progress(done: int, total: int) -> None:
            if not args.json and sys.stderr.isatty():
                print(f"\ranalysed {done}/{total} games", end="", file=sys.stderr, flush=True)

        seconds = 1.0 if args.time_limit is None and args.nodes is None else args.time_limit
        run_info = analyse(args.db, args.workers, seconds, args.nodes, args.memory, progress)
        if not args.json:
            print(
                f"\r{run_info.analysed} games analysed ({run_info.moves} moves) in {run_info.seconds:.1f} s; "
                f"{run_info.skipped} of {run_info.games} were already analysed"
            )
    verdicts = read_verdicts(args.db)
    summaries = {",".join(keys): move_rates(verdicts, keys) for keys in tables}
    if args.json:
        doc = {"run": None if run_info is None else run_info.__dict__, "moves": len(verdicts), "rates": {}}
        for name, rows in summaries.items():
            doc["rates"][name] = [_row_dict(r) for r in rows]
        json.dump(doc, sys.stdout, indent=1)
        print()
        return 0
    counts = {v: sum(1 for m in verdicts if m.verdict == v) for v in ("optimal", "inaccuracy", "blunder", "undecided")}
    print(f"{len(verdicts)} moves: " + ", ".join(f"{n} {v}" for v, n in counts.items()))
    for name, rows in summaries.items():
        print()
        print(_table(name.split(","), rows))
    return 0


def _row_dict(r) -> dict:
    def est(e):
        return None if e is None else {"rate": e.rate, "low": e.low, "high": e.high, "n": e.denominator}

    return {
        "group": list(r.group),
        "moves": r.moves,
        "optimal": est(r.optimal),
        "blunder": est(r.blunder),
        "undecided_verdict": r.undecided_verdict,
        "undecided_blunder": r.undecided_blunder,
    }


def _table(keys: list[str], rows) -> str:
    def fmt(e) -> str:
        return "-" if e is None else f"{e.rate:.3f} [{e.low:.3f}, {e.high:.3f}]"

    head = [*keys, "moves", "optimal rate [95%]", "blunder rate [95%]", "undecided"]
    body = [
        [*r.group, str(r.moves), fmt(r.optimal), fmt(r.blunder), f"{r.undecided_verdict}/{r.undecided_blunder}"]
        for r in rows
    ]
    widths = [max(len(x) for x in col) for col in zip(head, *body, strict=True)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in body]
    lines.append("(undecided: moves whose verdict / blunder flag the budget did not prove)")
    return "\n".join(lines)
