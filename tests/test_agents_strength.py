"""Search agents take wins, block losses and beat the random agent."""

from __future__ import annotations

import numpy as np
import pytest

from agents import make_agent
from bttt import GameState, Rules

SEARCHERS = (
    "minimax:preset=paper",
    "minimax:depth=3",
    "mcts:preset=paper",
    "mcts:iterations=2000,leaf=rollout",
)


@pytest.mark.parametrize("spec", SEARCHERS)
def test_takes_an_immediate_win_rather_than_blocking(spec):
    # O: A1 A2 A3 (wins on A4); X: G7 F7 E7 (wins on D7). O to move must win, not block.
    state = GameState.from_moves(Rules(bricks="D4"), "A1,G7,A2,F7,A3,E7")
    agent = make_agent(spec, seed=0)
    assert state.rules.name(agent.step(state)) == "A4"


@pytest.mark.parametrize("spec", SEARCHERS)
def test_blocks_an_immediate_loss(spec):
    # O threatens A4; X to move has no win of its own and must block.
    state = GameState.from_moves(Rules(bricks="D4"), "A1,G7,A2,F7,A3")
    agent = make_agent(spec, seed=0)
    assert state.rules.name(agent.step(state)) == "A4"


@pytest.mark.parametrize("spec", SEARCHERS)
def test_takes_the_win_as_player_two(spec):
    # X: B7 C7 E7 wins on D7 (column 7); O threatens G1-G3 -> G4. X must win.
    state = GameState.from_moves(Rules(bricks="A1"), "G1,B7,G2,C7,G3,E7,A2")
    agent = make_agent(spec, seed=1)
    assert state.rules.name(agent.step(state)) == "D7"


def _play(p1, p2, rules: Rules) -> int:
    state = GameState(rules)
    while not state.is_terminal():
        mover = p1 if state.to_move == 1 else p2
        state.apply_action(mover.step(state.clone()))
    return state.winner


@pytest.mark.parametrize(
    "spec",
    ("minimax:preset=paper", "minimax:depth=2", "mcts:preset=paper,iterations=400", "mcts:iterations=400"),
)
def test_beats_random_in_95_of_100_colour_paired_games(spec):
    agent = make_agent(spec, seed=7)
    rand = make_agent("random", seed=8)
    cells = np.random.default_rng(2024).integers(0, 49, size=50)
    wins = 0
    for cell in cells:
        rules = Rules(bricks=int(cell))
        wins += _play(agent, rand, rules) == 1
        wins += _play(rand, agent, rules) == 2
    assert wins >= 95, f"{spec} won only {wins} of 100"
