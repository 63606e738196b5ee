"""What the default tournament spends outside its games: choosing the openings and the report's pair statistics.

    .venv/bin/python scripts/bench_default_overhead.py [--openings 2] [--plies 4] [--agents 5] [--reps 2000]

1. The opening suite of all 49 cells (``generate_openings``) with the default judge (the solver within 7 plies,
   then the depth-4 search) and, side by side, with the depth-4 search alone (the judge before the solver).
2. The report's statistics (``tournament.report_stats.compute_stats``: rating bootstrap, gap, IQM, probability
   of improvement for every two agents, pentanomial counts, distinct games) on a simulated default tournament
   (``--agents`` agents, every pairing plays each opening of each cell as a colour-swapped pair), beside the
   per-game tables it replaces (``tournament.generalization.analyse``).
Both figures are seconds of one process; the games themselves are unchanged.
"""

from __future__ import annotations

import argparse
import os
import time
from types import SimpleNamespace

from bench_stats import simulated_pairs

from bttt.layouts import layout_name
from tournament.generalization import analyse
from tournament.opening_judges import MinimaxJudge, default_judge
from tournament.openings import generate_openings
from tournament.report_stats import compute_stats
from tournament.schedule import parse_suite


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--openings", type=int, default=2)
    ap.add_argument("--plies", type=int, default=4)
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--reps", type=int, default=2000)
    args = ap.parse_args()
    layouts = [layout_name(lay) for lay in parse_suite("all")]
    print(f"load average {os.getloadavg()[0]:.1f}")
    generate_openings(layouts[:1], 1, args.plies, 0, judge=default_judge())  # compile and load the kernels
    generate_openings(layouts[:1], 1, args.plies, 0, judge=MinimaxJudge(depth=4))
    rows = []
    for name, judge in (("depth-4 search alone (before)", MinimaxJudge(depth=4)), ("default judge", default_judge())):
        t0 = time.perf_counter()
        generate_openings(layouts, args.openings, args.plies, 0, judge=judge)
        rows.append((f"openings, 49 cells x {args.openings} of {args.plies} plies, {name}", time.perf_counter() - t0))
    pairs = simulated_pairs(args.agents, len(layouts), args.openings, 0)
    games = []
    for k in range(len(pairs)):
        a, b, lay = pairs.agents[pairs.a[k]], pairs.agents[pairs.b[k]], layouts[pairs.layout[k]]
        for p1, p2, code in ((a, b, pairs.ab[k]), (b, a, pairs.ba[k])):
            winner = (1, 2, 0)[code]
            games.append(SimpleNamespace(p1=p1, p2=p2, layout=lay, winner=winner, opening=pairs.opening[k],
                                         index=0, termination="win", moves=f"{lay},{k},{p1}"))  # fmt: skip
    agents = [(name, name, (24,) if i == 0 else None) for i, name in enumerate(pairs.agents)]
    config = {"rows": 7, "cols": 7, "seed": 0, "suite": layouts}
    t0 = time.perf_counter()
    analyse(games, agents, (24,))
    rows.append((f"per-game tables (analyse), {len(games)} games", time.perf_counter() - t0))
    t0 = time.perf_counter()
    compute_stats(games, agents, (24,), config, reps=args.reps)
    rows.append((f"pair statistics (compute_stats), {len(pairs)} pairs, {args.reps} reps", time.perf_counter() - t0))
    print(f"{'what':72s} {'seconds':>8s}")
    for what, sec in rows:
        print(f"{what:72s} {sec:8.2f}")
    print(f"default judge / search alone: {rows[1][1] / rows[0][1]:.2f}x")
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
