"""No agent ever returns an illegal move, on any board, brick layout or position."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents import make_agent
from bttt import GameState, Rules

SPECS = (
    "random",
    "minimax:preset=paper",
    "minimax:depth=3,tt_bits=12",
    "minimax:depth=3,mode=paper",
    "mcts:iterations=60",
    "mcts:iterations=60,leaf=heuristic,reuse=true",
)


@st.composite
def positions(draw):
    rows = draw(st.integers(3, 7))
    cols = draw(st.integers(3, 7))
    k = draw(st.integers(2, max(rows, cols)))
    n = rows * cols
    bricks = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=min(4, n - 2)))
    rules = Rules(rows, cols, k, tuple(bricks))
    state = GameState(rules)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    for _ in range(draw(st.integers(0, n))):
        actions = state.legal_actions()
        if len(actions) <= 1:
            break
        probe = state.child(actions[int(rng.integers(len(actions)))])
        if probe.is_terminal():
            break
        state = probe
    return state


_AGENTS = {spec: make_agent(spec, seed=5) for spec in SPECS}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(positions())
def test_every_agent_plays_a_legal_move(state):
    assert not state.is_terminal()
    legal = set(state.legal_actions())
    for agent in _AGENTS.values():
        move = agent.step(state.clone())
        assert move in legal, (agent.name, state.serialize(), move)
