"""Count the network work of one paper-network gauntlet tournament, played in one process (issue 14).

Plans the tournament as ``scripts/az_paper_tournament.py`` does (the three networks at 0 and 100 simulations with
``paper=true`` against ``--gauntlet``, 49 cells, one game per colour), groups its games as ``--workers`` workers
would, plays every group and single game in this process, and prints how many positions the network evaluated,
in how many calls, the time spent serving them, and the time per position. With the network's batch-256 rate
(``scripts/bench_az_network.py``), this gives the least time any schedule of these games can take: the search
fixes which positions must be evaluated.

    BTTT_INFERENCE=onnx .venv/bin/python scripts/az_gauntlet_evaluations.py --dir runs/paper \\
        --gauntlet minimax:preset=paper [--early-stop false]
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time
from pathlib import Path

from az_paper_tournament import NETS, OPPONENTS, SIMS


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="runs/paper", help="folder with baseline.pt, r2.pt and r3.pt")
    parser.add_argument("--suite", default="all")
    parser.add_argument("--gauntlet", default="minimax:preset=paper")
    parser.add_argument("--workers", type=int, default=2, help="group the games as this many workers would")
    parser.add_argument("--early-stop", choices=("true", "false"), default="true")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")

    import agents.alphazero.network_request as network_request
    from tournament.batch_play import play_group
    from tournament.driver import TournamentSpec, group_tasks, plan_tournament
    from tournament.play import play_game

    folder = Path(args.dir).resolve()
    extra = "" if args.early_stop == "true" else ",early_stop=false"
    agents = [
        f"alphazero:checkpoint={folder / net}.pt,simulations={sims},paper=true{extra}" for net in NETS for sims in SIMS
    ]
    spec = TournamentSpec(
        agents=[*agents, *OPPONENTS],
        suite=args.suite,
        games_per_colour=1,
        seed=0,
        gauntlet=args.gauntlet,
        openings=0,
    )
    plan = plan_tournament(spec, None)
    units = group_tasks(plan.tasks, args.workers)

    batch_sizes: collections.Counter = collections.Counter()
    served = [0.0]
    serve = network_request.NetworkRequest.serve

    def counting_serve(requests):
        start = time.perf_counter()
        out = serve(requests)
        served[0] += time.perf_counter() - start
        batch_sizes[sum(r.size for r in requests)] += 1
        return out

    network_request.NetworkRequest.serve = staticmethod(counting_serve)
    start = time.perf_counter()
    for unit in units:
        if isinstance(unit, list):
            play_group(unit)
        else:
            play_game(unit)
    wall = time.perf_counter() - start
    positions = sum(size * n for size, n in batch_sizes.items())
    calls = sum(batch_sizes.values())
    print(f"{len(plan.tasks)} games in {len(units)} units, early_stop={args.early_stop}, {wall:.1f} s in one process")
    print(
        f"network: {positions} positions in {calls} calls ({positions / max(calls, 1):.1f} a call), "
        f"{served[0]:.1f} s serving them ({1e3 * served[0] / max(positions, 1):.2f} ms a position); "
        f"{wall - served[0]:.1f} s of everything else"
    )
    buckets: collections.Counter = collections.Counter()
    for size, n in batch_sizes.items():
        buckets[min(size, 64) // 8 * 8] += n
    print("calls by batch size (buckets of 8, 64 = 64 or more):", dict(sorted(buckets.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
