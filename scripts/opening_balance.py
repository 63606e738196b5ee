"""How often random openings are already decided: the share of random k-ply games that a judge proves won for
one side within its horizon, by layout and judge (the minimax search to each depth, the solver to each horizon).

    .venv/bin/python scripts/opening_balance.py [--layouts D4,A1,C3] [--plies 2 4 6] [--depths 4 6]
        [--solver-horizons 7] [--games 200]

Each candidate is a random game of k plies (moves uniform among the legal ones, seeded), as
``tournament.openings.generate_openings`` draws them when it does not enumerate; games that end before the
k-th ply are counted apart.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bttt import GameState, Rules
from bttt.layouts import parse_layout
from tournament.opening_judges import MinimaxJudge, SolverJudge


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--layouts", default="D4,A1,C3")
    ap.add_argument("--plies", type=int, nargs="+", default=[2, 4, 6])
    ap.add_argument("--depths", type=int, nargs="+", default=[4, 6])
    ap.add_argument("--solver-horizons", type=int, nargs="*", default=[7])
    ap.add_argument("--games", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    judges = {f"depth {d}": MinimaxJudge(depth=d) for d in args.depths}
    judges.update({f"solver {h}": SolverJudge(horizon=h) for h in args.solver_horizons})
    head = " ".join(f"{name + ': P1  P2  time':>23s}" for name in judges)
    print(f"{'layout':8s} {'plies':>5s} {'ended':>6s} {head}")
    for layout in args.layouts.split(","):
        rules = Rules(bricks=parse_layout(layout))
        for plies in args.plies:
            rng = np.random.default_rng([args.seed, plies])
            states, ended = [], 0
            for _ in range(args.games):
                s = GameState(rules)
                for _ in range(plies):
                    moves = s.legal_actions()
                    s.apply_action(moves[int(rng.integers(len(moves)))])
                    if s.is_terminal():
                        break
                if s.is_terminal():
                    ended += 1
                else:
                    states.append(s)
            cols = []
            for judge in judges.values():
                t0 = time.perf_counter()
                values = [judge(s) for s in states]
                ms = (time.perf_counter() - t0) / max(len(states), 1) * 1000
                n = max(len(states), 1)
                p1 = sum(v is not None and v >= 1 for v in values) / n
                p2 = sum(v is not None and v <= -1 for v in values) / n
                cols.append(f"{p1:6.1%} {p2:6.1%} {ms:6.1f} ms")
            print(f"{layout:8s} {plies:5d} {ended:6d} " + " ".join(f"{c:>23s}" for c in cols))
    print("P1, P2: share of the openings still going that the judge proves won for player 1 / player 2 within its")
    print("depth or horizon; time: judge time per position")


if __name__ == "__main__":
    main()
