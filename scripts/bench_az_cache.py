"""Network calls the evaluation cache saves, in games of a paper network against the paper's Minimax.

Plays ``--games`` games per brick cell (the network as player 1 and as player 2, alternately) with
``alphazero:checkpoint=...,simulations=N,paper=true`` in tree and graph mode, and counts the positions its
searches asked for (cache lookups), those found in the cache, and those the network evaluated.

    .venv/bin/python scripts/bench_az_cache.py --checkpoint runs/paper/r3.pt --cells D4,A5 --games 2
"""

from __future__ import annotations

import argparse
import sys

from agents.registry import make_agent
from bttt import GameState, Rules
from bttt.layouts import parse_layout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--simulations", type=int, default=100)
    parser.add_argument("--cells", default="D4,A5")
    parser.add_argument("--games", type=int, default=2, help="games per cell (colours alternate)")
    args = parser.parse_args()
    print(f"{'search':<6} {'games':>5} {'moves':>6} {'asked':>8} {'cached':>8} {'evaluated':>9} {'saved':>6}")
    for mode in ("tree", "graph"):
        az = make_agent(
            f"alphazero:checkpoint={args.checkpoint},simulations={args.simulations},paper=true,search={mode}"
        )
        opp = make_agent("minimax:preset=paper")
        moves = games = 0
        for cell in args.cells.split(","):
            for g in range(args.games):
                state = GameState(Rules(bricks=parse_layout(cell)))
                az.reset()
                az.seed(g)
                opp.seed(g)
                seat = 1 + g % 2
                while not state.is_terminal():
                    if state.to_move == seat:
                        state.apply_action(az.step(state.clone()))
                        moves += 1
                    else:
                        state.apply_action(opp.step(state.clone()))
                games += 1
        c = az.eval_cache
        print(
            f"{mode:<6} {games:>5} {moves:>6} {c.lookups:>8} {c.hits:>8} {c.lookups - c.hits:>9} "
            f"{100 * c.hits / max(c.lookups, 1):>5.1f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
