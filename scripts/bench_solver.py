#!/usr/bin/env python
"""Exact-solver speed: bttt's solver beside a plain alpha-beta and a df-pn, side by side in one run, as ratios.

Usage::

    python scripts/bench_solver.py                     # about 10-20 minutes on a loaded 2-core machine
    python scripts/bench_solver.py --games 4 --quick   # a smoke run (fewer positions, no baseline openings)
    python scripts/bench_solver.py --json > bench.json

One process, one thread (numba kernels are single-threaded). Every engine gets a fresh transposition table of the
same size (``--memory``) for every position, so no engine profits from another's work. Engines:

* ``solver``: :class:`bttt.solver.engine.Solver` with every feature (threats, static bounds, symmetry-keyed
  table, move ordering), its default probe strategy: the exact value with distance.
* ``alphabeta``: the same bitboards, the same table and the same symmetry keys, but no threats, no static bounds
  and no ordering, one full-window search: the exact value with distance (the plain baseline).
* ``solver-wdl``: the solver asked only win/draw/loss (two null-window probes: score >= 1? score >= 0?).
* ``dfpn``: :mod:`bttt.solver.dfpn`, the same threat rules and table keys, asked the same two questions.

Positions: seeded games between the agents of the project's tournaments (the paper's Minimax and MCTS, the
shipped AlphaZero; a brick on a random cell each game); the positions at plies 8, 12, 16 and 20 of the games
still running then. Every engine's results are checked against each other (exact values equal; win/draw/loss
equal); a disagreement stops the run.

Openings: the empty board of each of the 10 brick orbits of 7x7 (time and nodes per engine; the baseline within
``--baseline-seconds``). Memory: the table's bytes against the ``--memory`` limit, and the peak resident memory
of ``bttt solve --memory M`` in a child process for two limits.

Times are wall-clock (``perf_counter``) and CPU (``process_time``) seconds; on a shared machine read the CPU
times and the ratios. Speed claims in docs/solver.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

from agents.registry import make_agent
from bttt import GameState, Rules
from bttt.cells import cell_name
from bttt.solver import search
from bttt.solver.dfpn import DfpnSolver
from bttt.solver.engine import Budget, Solver
from bttt.solver.solve import side_bitboards
from bttt.solver.table import ENTRY_BYTES, bits_for_memory
from bttt.symmetry import brick_orbits

PLIES = (8, 12, 16, 20)
# the agents of the project's tournaments (docs/tournament-49): their games are long enough to reach ply 20
PAIRS = (
    ("minimax:preset=paper", "mcts:preset=paper"),
    ("mcts:preset=paper", "minimax:preset=paper"),
    ("alphazero:checkpoint=d4,simulations=50", "mcts:preset=paper"),
    ("mcts:preset=paper", "alphazero:checkpoint=d4,simulations=50"),
)
ENGINES = ("solver", "alphabeta", "solver-wdl", "dfpn")


def game_positions(n_games: int, seed: int) -> list[tuple[int, GameState, str]]:
    """``(ply, state, game label)`` at each ply of :data:`PLIES` of ``n_games`` seeded games."""
    rng = random.Random(seed)
    out = []
    for g in range(n_games):
        brick = rng.randrange(49)
        first, second = PAIRS[g % len(PAIRS)]
        agents = (make_agent(first, seed=rng.randrange(2**31)), make_agent(second, seed=rng.randrange(2**31)))
        state = GameState(Rules(7, 7, 4, (brick,)))
        label = f"game {g}: {first} vs {second}, brick {cell_name(brick, 7, 7)}"
        while not state.is_terminal():
            if len(state.history) in PLIES:
                out.append((len(state.history), state.clone(), label))
            state.apply_action(agents[len(state.history) % 2].step(state))
    return out


def stored_positions(db: str, per_ply: int, seed: int, plies=PLIES) -> list[tuple[int, GameState, str]]:
    """``(ply, state, game label)`` from the games of a tournament database (read only): at each ply of
    :data:`PLIES` that a game reached unfinished, then a seeded sample of ``per_ply`` of them per ply."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    games = conn.execute("SELECT id, layout, moves FROM games ORDER BY id").fetchall()
    conn.close()
    by_ply: dict[int, list] = {p: [] for p in plies}
    for gid, layout, moves in games:
        state = GameState(Rules(7, 7, 4, layout))
        for m in moves.split(",") if moves else []:
            if len(state.history) in by_ply and not state.is_terminal():
                by_ply[len(state.history)].append((len(state.history), state.clone(), f"game {gid}"))
            state.apply_action(m)
    rng = random.Random(seed)
    return [x for p in plies for x in (rng.sample(by_ply[p], per_ply) if len(by_ply[p]) > per_ply else by_ply[p])]


def run_engine(engine: str, state: GameState, tt_bits: int, node_cap: int | None) -> dict:
    """Solve ``state`` with ``engine`` and a fresh table; the result, nodes and times."""
    me, opp = side_bitboards(state)
    if engine == "dfpn":
        d = DfpnSolver(state.rules, tt_bits)
    else:
        features = search.SYMMETRY if engine == "alphabeta" else search.ALL_FEATURES
        s = Solver(state.rules, tt_bits=tt_bits, features=features)
    w0, c0 = time.perf_counter(), time.process_time()  # the tables are allocated: time the search alone
    if engine == "dfpn":
        outcome, nodes = d.outcome(me, opp, node_cap or 0)
        solved, value = outcome != -2, (None if outcome == -2 else outcome)
    else:
        budget = Budget(nodes=node_cap).start(0)
        if engine == "solver-wdl":
            value = _wdl(s, me, opp, budget)
            solved = value is not None
        else:
            b = s.value(me, opp, budget, "full" if engine == "alphabeta" else "horizon", started=True)
            solved, value = b.exact, (b.lo if b.exact else None)
        nodes = s.nodes
    return {
        "solved": solved,
        "value": value,
        "nodes": int(nodes),
        "wall": time.perf_counter() - w0,
        "cpu": time.process_time() - c0,
    }


def _wdl(s: Solver, me: int, opp: int, budget: Budget) -> int | None:
    from bttt.solver.engine import BudgetExhausted

    try:
        if s.test(me, opp, 1, budget).lo >= 1:
            return 1
        return 0 if s.test(me, opp, 0, budget).lo >= 0 else -1
    except BudgetExhausted:
        return None


def _sign(v: int | None) -> int | None:
    return None if v is None else (v > 0) - (v < 0)


def check_agreement(results: dict[str, dict], where: str) -> None:
    """Stop the run if two engines disagree on a solved position."""
    exact = [results[e]["value"] for e in ("solver", "alphabeta") if e in results and results[e]["solved"]]
    wdl = [_sign(r["value"]) if e in ("solver", "alphabeta") else r["value"] for e, r in results.items() if r["solved"]]
    if len(set(exact)) > 1 or len(set(wdl)) > 1:
        sys.exit(f"engines disagree on {where}: {results}")


def percentile(xs: list[float], q: float) -> float:
    return float(np.percentile(np.array(xs), q)) if xs else float("nan")


def summarise(rows: list[dict], engine: str) -> dict:
    """Median and p90 of times over positions; censored at the cap when an engine did not solve them all."""
    rs = [r[engine] for r in rows]
    solved = [r for r in rs if r["solved"]]
    n, k = len(rs), len(solved)

    def stat(key: str, q: float):
        # unsolved positions count as slower than every solved one: the quantile is known when it is a solved one
        xs = sorted(r[key] if r["solved"] else float("inf") for r in rs)
        v = percentile(xs, q) if k == n else (xs[min(n - 1, int(np.ceil(q / 100 * n)) - 1)] if n else float("nan"))
        return None if not np.isfinite(v) else v

    total_nodes = sum(r["nodes"] for r in rs)
    total_cpu = sum(r["cpu"] for r in rs)
    return {
        "positions": n,
        "solved": k,
        "median_ms_wall": _ms(stat("wall", 50)),
        "p90_ms_wall": _ms(stat("wall", 90)),
        "median_ms_cpu": _ms(stat("cpu", 50)),
        "p90_ms_cpu": _ms(stat("cpu", 90)),
        "median_nodes": stat("nodes", 50),
        "nodes_per_cpu_second": total_nodes / total_cpu if total_cpu > 0 else None,
    }


def _ms(v: float | None) -> float | None:
    return None if v is None else round(1000 * v, 3)


def ratio_of_medians(rows: list[dict], slow: str, fast: str, key: str = "cpu") -> float | None:
    """Median over positions solved by both of ``slow``'s time over ``fast``'s."""
    rs = [r[slow][key] / r[fast][key] for r in rows if r[slow]["solved"] and r[fast]["solved"] and r[fast][key] > 0]
    return round(statistics.median(rs), 2) if rs else None


def bench_positions(args, tt_bits: int, log) -> dict:
    t0 = time.perf_counter()
    if args.db:
        positions = stored_positions(args.db, args.per_ply, args.seed, tuple(args.plies))
        log(f"{len(positions)} positions from the games of {args.db}")
    else:
        positions = game_positions(args.games, args.seed)
        log(f"{len(positions)} positions from {args.games} games in {time.perf_counter() - t0:.0f} s")
    by_ply: dict[int, list[dict]] = {p: [] for p in PLIES}
    for i, (ply, state, label) in enumerate(positions):
        row = {"position": state.serialize(), "game": label}
        for engine in ENGINES:
            cap = args.baseline_nodes if engine == "alphabeta" else args.node_cap
            row[engine] = run_engine(engine, state, tt_bits, cap)
            if not row[engine]["solved"]:
                log(f"  {engine} did not solve {state.serialize()} within {cap} nodes")
        check_agreement({e: row[e] for e in ENGINES}, state.serialize())
        by_ply[ply].append(row)
        log(
            f"[{i + 1}/{len(positions)}] ply {ply}: " + ", ".join(f"{e} {row[e]['cpu'] * 1000:.1f} ms" for e in ENGINES)
        )
    out = {}
    for ply, rows in by_ply.items():
        out[str(ply)] = {
            "engines": {e: summarise(rows, e) for e in ENGINES},
            "ratio_alphabeta_over_solver": ratio_of_medians(rows, "alphabeta", "solver"),
            "ratio_dfpn_over_solver_wdl": ratio_of_medians(rows, "dfpn", "solver-wdl"),
            "rows": rows if args.rows else None,
        }
    return out


def bench_openings(args, log) -> list[dict]:
    tt_bits = bits_for_memory(args.openings_memory)
    out = []
    engines = ENGINES if not args.quick else ("solver", "solver-wdl", "dfpn")
    for orbit in brick_orbits(7, 7):
        state = GameState(Rules(7, 7, 4, (orbit[0],)))
        row = {"brick": cell_name(orbit[0], 7, 7), "orbit_size": len(orbit)}
        for engine in engines:
            if engine == "alphabeta":
                row[engine] = _capped_alphabeta(state, tt_bits, args.baseline_seconds)
            else:  # the solver unbounded (its result is the table's); the others within --node-cap
                row[engine] = run_engine(engine, state, tt_bits, None if engine == "solver" else args.node_cap)
        check_agreement({e: row[e] for e in engines}, row["brick"])
        out.append(row)
        log(f"opening {row['brick']}: " + ", ".join(f"{e} {row[e]['cpu']:.2f} s" for e in engines))
    return out


def _capped_alphabeta(state: GameState, tt_bits: int, seconds: float) -> dict:
    me, opp = side_bitboards(state)
    s = Solver(state.rules, tt_bits=tt_bits, features=search.SYMMETRY)
    w0, c0 = time.perf_counter(), time.process_time()
    b = s.value(me, opp, Budget(seconds=seconds), "full")  # a wall-clock budget: the baseline may not finish
    return {
        "solved": b.exact,
        "value": b.lo if b.exact else None,
        "bounds": [b.lo, b.hi],
        "nodes": s.nodes,
        "wall": time.perf_counter() - w0,
        "cpu": time.process_time() - c0,
    }


_CHILD = """
import sys
from bttt.cli import main
code = main(sys.argv[1:])
hwm = [line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM:")]
print("peak_rss_kib", hwm[0] if hwm else -1)
sys.exit(code)
"""


def bench_memory(args) -> dict:
    """The table against the limit, and the peak resident memory (``VmHWM`` of the child itself, read at its end)
    of ``bttt solve --memory M`` in a fresh process for each limit."""
    out = {"limits": []}
    for mb in args.memory_limits:
        s = Solver(Rules(7, 7, 4, "D4"), tt_bits=bits_for_memory(mb))
        table = sum(a.nbytes for a in s.tt)
        argv = ["solve", "--brick", "D4", "--memory", f"{mb:g}", "--moves", "none"]
        done = subprocess.run([sys.executable, "-c", _CHILD, *argv], check=True, capture_output=True, text=True)
        peak = [ln.split()[1] for ln in done.stdout.splitlines() if ln.startswith("peak_rss_kib")]
        peak_mb = round(int(peak[0]) / 1024, 1) if peak and int(peak[0]) > 0 else None
        out["limits"].append(
            {
                "memory_mb": mb,
                "table_bytes": table,
                "table_within_limit": table <= mb * 1e6,
                "entry_bytes": ENTRY_BYTES,
                "child_peak_rss_mb": peak_mb,
                "command": "bttt " + " ".join(argv),
            }
        )
    out["this_process_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def warm_up(tt_bits: int) -> None:
    """Compile every engine's kernels before timing."""
    state = GameState(Rules(4, 4, 3, "none"))
    for engine in ENGINES:
        run_engine(engine, state, min(tt_bits, 16), None)
    _capped_alphabeta(state, 16, 5.0)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--games", type=int, default=16, help="seeded games to take positions from (default 16)")
    p.add_argument("--seed", type=int, default=2026, help="seed of the games (default 2026)")
    p.add_argument("--db", help="take the positions from the games of this tournament database instead (read only)")
    p.add_argument("--per-ply", type=int, default=60, help="with --db: a seeded sample of this many per ply (60)")
    p.add_argument("--plies", type=int, nargs="+", default=list(PLIES), help="with --db: these plies (8 12 16 20)")
    p.add_argument("--memory", type=float, default=16, help="MB of table per engine and position (default 16)")
    p.add_argument("--openings-memory", type=float, default=256, help="MB of table per engine and opening (256)")
    p.add_argument(
        "--node-cap", type=int, default=10_000_000, help="node budget per position for the solver and df-pn (1e7)"
    )
    p.add_argument(
        "--baseline-nodes", type=int, default=20_000_000, help="node budget per position for alphabeta (default 2e7)"
    )
    p.add_argument(
        "--baseline-seconds", type=float, default=60.0, help="time budget per opening for alphabeta (default 60)"
    )
    p.add_argument("--memory-limits", type=float, nargs="+", default=[16, 256], help="MB limits for the memory check")
    p.add_argument("--quick", action="store_true", help="no alphabeta on the openings")
    p.add_argument("--no-openings", action="store_true", help="skip the opening orbits")
    p.add_argument("--memory-only", action="store_true", help="only the memory check")
    p.add_argument("--rows", action="store_true", help="include every position's row in --json")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    args = p.parse_args(argv)
    log = (lambda m: print(m, file=sys.stderr, flush=True)) if args.json else (lambda m: print(m, flush=True))
    tt_bits = bits_for_memory(args.memory)
    if args.memory_only:
        report = bench_memory(args)
        print(json.dumps(report, indent=1) if args.json else report)
        return 0
    warm_up(tt_bits)
    report = {
        "command": "python scripts/bench_solver.py " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": {"platform": platform.platform(), "python": platform.python_version(), "load": _load()},
        "table_mb_per_engine": round(ENTRY_BYTES * (1 << tt_bits) / 1e6, 1),
        "openings_table_mb_per_engine": round(ENTRY_BYTES * (1 << bits_for_memory(args.openings_memory)) / 1e6, 1),
        "positions_by_ply": bench_positions(args, tt_bits, log),
        "openings": None if args.no_openings else bench_openings(args, log),
        "memory": bench_memory(args),
    }
    report["machine"]["load_after"] = _load()
    if args.json:
        json.dump(report, sys.stdout, indent=1)
        print()
    else:
        print(render(report))
    return 0


def _load() -> list[float]:
    import os

    return [round(x, 2) for x in os.getloadavg()]


def _f(v, unit: str = "") -> str:
    return "-" if v is None else (f"{v:.3g}{unit}" if isinstance(v, float) else f"{v}{unit}")


def render(report: dict) -> str:
    lines = [f"machine: {report['machine']}", f"table per engine: {report['table_mb_per_engine']} MB", ""]
    lines.append("positions from games (CPU ms: median / p90; solved of positions; nodes per CPU second)")
    for ply, block in report["positions_by_ply"].items():
        lines.append(f"ply {ply}:")
        for e, s in block["engines"].items():
            lines.append(
                f"  {e:<11} {_f(s['median_ms_cpu'])} / {_f(s['p90_ms_cpu'])} ms  solved {s['solved']}/{s['positions']}"
                f"  median nodes {_f(s['median_nodes'])}  {_f(s['nodes_per_cpu_second'])} nodes/s"
            )
        lines.append(
            f"  ratios (median per position): alphabeta/solver {_f(block['ratio_alphabeta_over_solver'])}, "
            f"dfpn/solver-wdl {_f(block['ratio_dfpn_over_solver_wdl'])}"
        )
    if report["openings"]:
        lines += ["", "openings (CPU s, nodes; value = score for player 1)"]
        for row in report["openings"]:
            parts = []
            for e in ENGINES:
                if e in row:
                    r = row[e]
                    parts.append(f"{e} {r['cpu']:.2f} s {r['nodes']} n" + ("" if r["solved"] else " (unsolved)"))
            lines.append(f"  {row['brick']:<3} " + "; ".join(parts))
    lines += ["", "memory:"]
    for m in report["memory"]["limits"]:
        lines.append(
            f"  --memory {m['memory_mb']:g}: table {m['table_bytes'] / 1e6:.1f} MB (within: {m['table_within_limit']}),"
            f" child peak RSS {_f(m['child_peak_rss_mb'])} MB"
        )
    lines.append(f"  this process peak RSS {report['memory']['this_process_peak_rss_mb']} MB")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
