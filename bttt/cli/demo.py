"""``bttt demo``: play and print one seeded game between two random movers."""

from __future__ import annotations

import argparse

import numpy as np

from bttt import GameState, Rules
from bttt.layouts import parse_layout

HELP = "play and print a seeded demo game between two uniform random movers"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--brick", default="D4", help="brick cell(s), e.g. D4, D3+E5 or none (default D4)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")


def run(args: argparse.Namespace) -> int:
    state = GameState(Rules(bricks=parse_layout(args.brick)))
    rng = np.random.default_rng(args.seed)
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
