"""``bttt play``: one game between any two agents, the board drawn after every move."""

from __future__ import annotations

import argparse
import time

from bttt.cli._options import seed_value
from bttt.layouts import GRAMMAR_HELP

INTERRUPTED = "the game was abandoned (nothing is saved)"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--p1", default="human", help="player 1 (O, moves first): an agent spec (default human)")
    p.add_argument("--p2", default="mcts:preset=paper", help="player 2 (X): an agent spec (default mcts:preset=paper)")
    p.add_argument("--bricks", help=f"{GRAMMAR_HELP} (default: the centre cell, D4 on 7x7)")
    p.add_argument("--brick", dest="bricks", help=argparse.SUPPRESS)  # the flag's name before bttt 0.2
    p.add_argument("--seed", type=seed_value, default=None, help="seed of the brick draw and both agents")
    p.add_argument("--rows", type=int, default=7, help="board rows (3-7, default 7)")
    p.add_argument("--cols", type=int, default=7, help="board columns (3-7, default 7)")
    p.add_argument("--win", type=int, default=4, help="stones in a row to win (default 4)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from agents.human import HumanQuit
    from agents.registry import make_agent
    from bttt import BrickDistribution, GameState, Rules
    from bttt.errors import BtttError

    board = Rules(args.rows, args.cols, args.win)  # the board first: its errors name the board options
    seeds = np.random.SeedSequence(args.seed).generate_state(3) if args.seed is not None else (None,) * 3
    rng = np.random.default_rng(None if seeds[0] is None else int(seeds[0]))
    layout = (
        board.bricks if args.bricks is None else BrickDistribution.parse(args.bricks, args.rows, args.cols).sample(rng)
    )
    rules = board.with_bricks(layout)
    players = {
        1: make_agent(args.p1, seed=None if seeds[1] is None else int(seeds[1])),
        2: make_agent(args.p2, seed=None if seeds[2] is None else int(seeds[2])),
    }
    state = GameState(rules)
    print(f"Brick Tic-Tac-Toe ({rules.describe()})")
    print(f"O (player 1): {players[1].name}\nX (player 2): {players[2].name}\n")
    print(f"{state}\n", flush=True)
    while not state.is_terminal():
        mover = state.to_move
        agent = players[mover]
        start = time.perf_counter()
        try:
            move = agent.step(state.clone())
        except HumanQuit as stop:
            print(f"{stop}; no result.")
            return 0
        took = time.perf_counter() - start
        if not state.is_legal(move):
            raise BtttError(f"agent {agent.name} chose an illegal move {move!r}; this is a bug in that agent")
        state.apply_action(int(move))
        mark = "O" if mover == 1 else "X"
        timing = "" if agent.name == "human" else f"  ({took * 1000:.1f} ms)"
        print(f"{len(state.history)}. {mark} plays {rules.name(int(move))}{timing}\n{state}\n", flush=True)
    if state.winner:
        mark = "O" if state.winner == 1 else "X"
        line = " ".join(rules.name(c) for c in state.winning_line())
        print(
            f"{mark} (player {state.winner}, {players[state.winner].name}) wins after {len(state.history)} moves "
            f"with the line {line} (lower case on the board)."
        )
    else:
        print(f"Draw: the board is full after {len(state.history)} moves.")
    return 0
