"""``bttt demo``: play and print one seeded game between two uniform random movers."""

from __future__ import annotations

import argparse

from bttt.cli._options import seed_value
from bttt.layouts import GRAMMAR_HELP

INTERRUPTED = "nothing was saved"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bricks", default="D4", help=f"{GRAMMAR_HELP} (default D4)")
    p.add_argument("--brick", dest="bricks", help=argparse.SUPPRESS)  # the flag's name before bttt 0.2
    p.add_argument("--seed", type=seed_value, default=0, help="seed of the brick draw and every move (default 0)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from bttt import BrickDistribution, GameState, Rules

    rng = np.random.default_rng(args.seed)
    state = GameState(Rules(bricks=BrickDistribution.parse(args.bricks).sample(rng)))
    print(f"Brick Tic-Tac-Toe ({state.rules.describe()}), seed {args.seed}\n")
    while not state.is_terminal():
        actions = state.legal_actions()
        move = actions[int(rng.integers(len(actions)))]
        mover = "O" if state.to_move == 1 else "X"
        state.apply_action(move)
        print(f"{len(state.history)}. {mover} plays {state.rules.name(move)}")
    print(f"\n{state}\n")
    print({1: "O (player 1) wins", 2: "X (player 2) wins", 0: "draw"}[state.winner])
    return 0
