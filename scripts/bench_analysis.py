#!/usr/bin/env python
"""Move-quality speed: ``bttt analyse`` with its memo of judged positions beside the same analysis without it.

Usage::

    python scripts/bench_analysis.py --db runs/generalization/core.db --layouts D4,A1 --nodes 1000000
    python scripts/bench_analysis.py --db t.db --layouts D4 --games 20 --json

One process (``bttt analyse --workers 1`` does the same), the games of each layout in ``analyse``'s order. Each
mode starts from a fresh solver (a fresh transposition table per layout, as a worker has), so the only
difference is :class:`tournament.analysis.GameJob`'s ``reuse``: whether a position already judged with the same
budget is looked up or searched again. Every interval either mode proves is true, so verdicts can differ only
where one mode left a move undecided; the script counts the moves whose verdicts differ and those whose proven
intervals do (a search that ran out proves different bounds from a different table). Times are wall-clock and
CPU seconds; on a shared machine read the CPU times and the ratio.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bttt.cells import parse_cells
from tournament import analysis
from tournament.store import Store


def jobs_of(db: Path, layouts: list[str], games: int | None, nodes: int) -> list[analysis.GameJob]:
    """The analysis jobs of ``db``'s games on ``layouts`` (at most ``games`` per layout), in analyse's order."""
    with Store(db, create=False) as store:
        config = store.config() or {}
        rows, cols, k = int(config.get("rows", 7)), int(config.get("cols", 7)), int(config.get("win_length", 4))
        stored = store.games(rows, cols)
    jobs = []
    for layout in layouts:
        mine = [g for g in stored if g.layout == layout][:games]
        if not mine:
            sys.exit(f"{db} holds no game on layout {layout}: name layouts it has (e.g. D4)")
        for g in mine:
            moves = parse_cells(g.moves, rows, cols) if g.moves else ()
            jobs.append(analysis.GameJob(g.id, rows, cols, k, g.layout, moves, g.opening_plies, None, nodes, 128.0))
    return sorted(jobs, key=lambda j: (j.layout, j.game_id))


def run(jobs: list[analysis.GameJob], reuse: bool) -> tuple[dict, float, float, int]:
    """(verdict per (game, ply), wall s, CPU s, solver nodes) of one mode from a fresh solver."""
    analysis._SOLVER.clear()
    wall, cpu = time.perf_counter(), time.process_time()
    out, nodes = {}, 0
    for job in jobs:
        for row in analysis.analyse_game(replace(job, reuse=reuse)):
            out[(row[0], row[1])] = (row[7:9], row[3:7])
            nodes += row[9]
    return out, time.perf_counter() - wall, time.process_time() - cpu, nodes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a tournament database")
    parser.add_argument("--layouts", default="D4", help="comma-separated layouts to analyse")
    parser.add_argument("--games", type=int, default=None, help="at most this many games per layout")
    parser.add_argument("--nodes", type=int, default=1_000_000, help="solver nodes per position")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not args.db.is_file():
        sys.exit(f"{args.db}: no such database; give a tournament database with --db")
    jobs = jobs_of(args.db, args.layouts.split(","), args.games, args.nodes)
    run(jobs[:1], True)  # compile the numba kernels outside the timings
    base, base_wall, base_cpu, base_nodes = run(jobs, reuse=False)
    memo, memo_wall, memo_cpu, memo_nodes = run(jobs, reuse=True)
    differ = sum(base[key][0] != memo[key][0] for key in base)
    bounds = sum(base[key][1] != memo[key][1] for key in base)
    undecided = sum(v[0][0] == "undecided" for v in base.values())
    result = {
        "games": len(jobs),
        "moves": len(base),
        "nodes_per_position": args.nodes,
        "without_memo": {"wall_s": round(base_wall, 2), "cpu_s": round(base_cpu, 2), "nodes": base_nodes},
        "with_memo": {"wall_s": round(memo_wall, 2), "cpu_s": round(memo_cpu, 2), "nodes": memo_nodes},
        "cpu_ratio": round(base_cpu / memo_cpu, 2),
        "moves_whose_verdict_differs": differ,
        "moves_whose_intervals_differ": bounds,
        "undecided_without_memo": undecided,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(f"{len(jobs)} games, {len(base)} moves, {args.nodes:,} nodes per position")
    print(f"without memo: {base_cpu:.1f} s CPU ({base_wall:.1f} s wall), {base_nodes:,} nodes")
    print(f"with memo:    {memo_cpu:.1f} s CPU ({memo_wall:.1f} s wall), {memo_nodes:,} nodes")
    print(f"ratio {base_cpu / memo_cpu:.2f}x CPU; verdicts differ on {differ} moves ({undecided} undecided without the")
    print(f"memo), proven intervals on {bounds} (a budgeted search proves what it reaches, both are true)")


if __name__ == "__main__":
    main()
