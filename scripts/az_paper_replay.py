"""Replay the paper networks' gauntlet games with bttt's tree search or the transposition graph, same seeds.

The committed gauntlet (docs/alphazero-paper-networks.md) played each AlphaZero agent
(``alphazero:checkpoint=<net>.pt,simulations=<s>,paper=true``) against ``minimax:preset=paper`` and
``mcts:preset=paper``, one game per colour and brick cell. This script schedules exactly those games -- the
same game keys, hence the same seeds -- and plays them with the agents as named (``--search tree``) or with
``search=graph`` substituted for the AlphaZero agents (``--search graph``), so that the two replays differ
only in the search. It writes per-cell scores in the report's ``cells.csv`` format, to compare with
``scripts/compare_paper_cells.py``, and prints the wall time. Games are played in batched groups
(:mod:`tournament.batch_play`) on the local backend.

    BTTT_INFERENCE=onnx nice -n 19 .venv/bin/python scripts/az_paper_replay.py --dir runs/paper --nets r3 \\
        --sims 100 --search graph --workers 2 --out runs/paper/replay-graph.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

OPPONENTS = ("minimax:preset=paper", "mcts:preset=paper")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="../shared/reference/bttt-paper-models", help="the paper's .h5 files")
    parser.add_argument("--dir", default="runs/paper", help="folder of the imported <net>.pt files")
    parser.add_argument("--nets", default="baseline,r2,r3")
    parser.add_argument("--sims", default="0,100")
    parser.add_argument("--suite", default="all")
    parser.add_argument("--search", choices=("tree", "graph"), default="tree")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch-games", type=int, default=None, help="games per group (default: the agents')")
    parser.add_argument("--out", required=True, help="CSV of per-cell scores (cells.csv format)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    args.out = Path(args.out).resolve()
    work = Path(args.dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    for net in args.nets.split(","):
        if not (work / f"{net}.pt").exists():
            src = Path(args.models).resolve() / f"alphazero_{net}.h5"
            subprocess.run([sys.executable, "-m", "bttt", "import-keras", str(src), "--out", f"{net}.pt"], cwd=work)
    os.chdir(work)  # the committed names say checkpoint=<net>.pt, relative to the tournament's folder

    from agents.registry import make_agent
    from tournament.driver import group_tasks
    from tournament.play import GameTask
    from tournament.runner import iter_local
    from tournament.schedule import GameKey, parse_suite

    specs = [
        f"alphazero:checkpoint={n}.pt,simulations={s},paper=true"
        for n in args.nets.split(",")
        for s in args.sims.split(",")
    ]
    named = {spec: make_agent(spec).name for spec in specs}
    played = {
        spec: make_agent(f"{spec},search=graph").name if args.search == "graph" else named[spec] for spec in specs
    }
    opponents = {o: make_agent(o).name for o in OPPONENTS}
    from bttt.layouts import layout_name

    layouts = [layout_name(lay) for lay in parse_suite(args.suite)]
    tasks, short = [], {}
    for spec in specs:
        for opp in opponents.values():
            for layout in layouts:
                for p1, p2 in ((named[spec], opp), (opp, named[spec])):
                    key = GameKey(p1, p2, layout, 0)
                    task_p1 = played[spec] if p1 == named[spec] else p1
                    task_p2 = played[spec] if p2 == named[spec] else p2
                    tasks.append(GameTask(key, key.seed(0), task_p1, task_p2))
                    short[key] = spec
    units = group_tasks(tasks, args.workers, args.batch_games)
    t0 = time.perf_counter()
    scores: dict = defaultdict(lambda: {"P1": [], "P2": []})
    faults = 0
    for r in iter_local(units, args.workers):
        spec = short[r.key]
        seat = 1 if r.key.p1 == named[spec] else 2
        scores[(spec, r.key.layout)][f"P{seat}"].append(1.0 if r.winner == seat else 0.5 if r.winner == 0 else 0.0)
        faults += r.termination not in ("win", "draw")
    wall = time.perf_counter() - t0
    with open(args.out, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["agent", "layout", "n as P1", "score as P1", "n as P2", "score as P2", "n", "score"])
        for (spec, layout), s in sorted(scores.items()):
            a, b = s["P1"], s["P2"]
            w.writerow(
                [
                    spec,
                    layout,
                    len(a),
                    sum(a) / len(a),
                    len(b),
                    sum(b) / len(b),
                    len(a) + len(b),
                    (sum(a) + sum(b)) / (len(a) + len(b)),
                ]
            )
    print(
        f"{len(tasks)} games ({faults} faults) in {wall:.1f} s with {args.workers} workers, search={args.search}, "
        f"inference {os.environ.get('BTTT_INFERENCE', 'torch')}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
