"""``bttt play``: one game between any two agents, the board drawn after every move."""

from __future__ import annotations

import argparse
import time

HELP = "play a game between two agents (e.g. --p1 human --p2 mcts:iterations=5000), board drawn after each move"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--p1", default="human", help="player 1 (O, moves first): an agent spec (default human)")
    p.add_argument("--p2", default="mcts:preset=paper", help="player 2 (X): an agent spec (default mcts:preset=paper)")
    p.add_argument(
        "--brick",
        default="D4",
        help="brick layout: a cell (E5), several (D3+E5), a list to draw from (D3,D4), random or none",
    )
    p.add_argument("--seed", type=int, default=None, help="seed for the brick draw and both agents")
    p.add_argument("--rows", type=int, default=7, help="board rows (3-7, default 7)")
    p.add_argument("--cols", type=int, default=7, help="board columns (3-7, default 7)")
    p.add_argument("--win", type=int, default=4, help="stones in a row to win (default 4)")


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from agents.registry import make_agent
    from bttt import BrickDistribution, GameState, Rules
    from bttt.errors import BtttError

    seeds = np.random.SeedSequence(args.seed).generate_state(3) if args.seed is not None else (None,) * 3
    rng = np.random.default_rng(None if seeds[0] is None else int(seeds[0]))
    layout = BrickDistribution.parse(args.brick, args.rows, args.cols).sample(rng)
    rules = Rules(args.rows, args.cols, args.win, layout)
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
        move = agent.step(state.clone())
        took = time.perf_counter() - start
        if not state.is_legal(move):
            raise BtttError(f"agent {agent.name} chose an illegal move {move!r}; this is a bug in that agent")
        state.apply_action(int(move))
        mark = "O" if mover == 1 else "X"
        timing = "" if agent.name == "human" else f"  ({took * 1000:.1f} ms)"
        print(f"{len(state.history)}. {mark} plays {rules.name(int(move))}{timing}\n{state}\n", flush=True)
    if state.winner:
        mark = "O" if state.winner == 1 else "X"
        print(f"{mark} (player {state.winner}, {players[state.winner].name}) wins after {len(state.history)} moves.")
    else:
        print(f"Draw: the board is full after {len(state.history)} moves.")
    return 0
