"""The uniform random player: the weakest baseline and the default opponent."""

from __future__ import annotations

import numpy as np

from agents.base import Agent
from agents.registry import AgentEntry, register_agent
from bttt import GameState


class RandomAgent(Agent):
    """Plays a uniformly random legal move."""

    name = "random"

    def __init__(self, seed: int | None = None) -> None:
        self.rng = np.random.default_rng(seed)

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def step(self, state: GameState) -> int:
        actions = state.legal_actions()
        if not actions:
            raise ValueError("no legal move: the game is over")
        return actions[int(self.rng.integers(len(actions)))]


register_agent(AgentEntry("random", RandomAgent, (), "uniformly random legal moves"))
