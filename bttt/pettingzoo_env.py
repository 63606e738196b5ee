"""Brick Tic-Tac-Toe as a PettingZoo AEC environment (two players, alternating turns).

Built like PettingZoo's classic board games (``tictactoe_v3``, ``connect_four_v3``):
``env()`` is ``raw_env()`` wrapped in ``TerminateIllegalWrapper(illegal_reward=-1)``,
``AssertOutOfBoundsWrapper`` and ``OrderEnforcingWrapper``. The rules live in
:class:`bttt.state.GameState`; this module only translates the API.

================  ==================================================================
Agents            ``player_1`` (O, moves first) and ``player_2`` (X)
Action space      ``Discrete(rows * cols)``: the cell index ``cols * row + col``
                  (A1 = 0, D4 = 24, G7 = 48 on the 7x7 board)
Observation       ``Dict(observation=Box(0, 1, (rows, cols, 3), int8),
                  action_mask=Box(0, 1, (rows * cols,), int8))``
Render modes      ``"ansi"`` (text), ``"rgb_array"`` (uint8 image), ``"human"``
                  (the text board printed to stdout after every move)
================  ==================================================================

**Observation.** Three planes from the observing agent's point of view, channels
last like the PettingZoo classic games: ``[..., 0]`` its own stones, ``[..., 1]``
the opponent's stones, ``[..., 2]`` the bricks. They are the planes of
:meth:`GameState.observation` (channels first, float32) moved to the last axis:
``np.moveaxis(obs, -1, 0).astype(np.float32)`` gives the network input.
The ``action_mask`` marks the legal cells (empty, not a brick) for the agent to move
and is all zeros for the other agent and once the game is over.

**Rewards.** +1 to the player that completes a line of ``win_length`` stones, -1
to the other; 0 to both for a draw (full board) and on every other turn.

**Termination.** At the first completed line or when the board is full; both
agents terminate together. There is no truncation. In the wrapped ``env()`` an
illegal action (an occupied or brick cell) ends the game with -1 for the offender
and 0 for the other agent (``TerminateIllegalWrapper``); an action outside the
action space fails an assertion. The raw env raises
:class:`bttt.errors.IllegalMoveError` instead.

**Bricks.** ``bricks=`` at construction and ``reset(options={"bricks": ...})`` for
one episode take a cell (``"D4"``), several bricks (``"D3+E5"`` or a list of
cells), ``"none"``, a comma list to draw one layout from per episode (``"D3,D4"``)
or ``"random"`` (one brick on any cell); see :mod:`bttt.layouts`. Draws use the
generator seeded by ``reset(seed=...)``. ``None`` (default) keeps the bricks of
``rules=`` (7x7, 4 in a row, brick on D4 unless given). Every agent's ``info``
holds ``bricks`` (names), ``brick_indices`` and ``layout`` (e.g. ``"D4"``).

>>> import bttt
>>> env = bttt.env(bricks="D3,D4")
>>> env.reset(seed=0)
>>> obs, reward, terminated, truncated, info = env.last()
>>> obs["observation"].shape, info["bricks"] in (["D3"], ["D4"])
((7, 7, 3), True)
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces
from gymnasium.utils import EzPickle, seeding
from pettingzoo import AECEnv
from pettingzoo.utils import AgentSelector, wrappers

from bttt._env_common import (
    BoardPlanes,
    brick_info,
    check_render_mode,
    episode_rules,
    render,
    resolve_rules,
)
from bttt.rules import Rules
from bttt.state import GameState

AGENTS = ("player_1", "player_2")


def env(**kwargs) -> AECEnv:
    """``raw_env(**kwargs)`` under the wrappers of PettingZoo's classic board games."""
    out = raw_env(**kwargs)
    out = wrappers.TerminateIllegalWrapper(out, illegal_reward=-1)
    out = wrappers.AssertOutOfBoundsWrapper(out)
    return wrappers.OrderEnforcingWrapper(out)


class raw_env(AECEnv, EzPickle):  # noqa: N801 - PettingZoo's naming convention
    """The unwrapped AEC environment (see the module docstring).

    Args:
        render_mode: ``None``, ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        bricks: brick layout or distribution (``None``: the bricks of ``rules``).
        rules: board size and win length, e.g. ``Rules(3, 3, 3, bricks=None)``.
    """

    metadata = {
        "render_modes": ["human", "ansi", "rgb_array"],
        "name": "brick_tictactoe_v0",
        "is_parallelizable": False,
        "render_fps": 2,
    }

    def __init__(self, render_mode: str | None = None, bricks: Any = None, rules: Rules | None = None) -> None:
        EzPickle.__init__(self, render_mode, bricks, rules)
        super().__init__()
        self.render_mode = check_render_mode(render_mode)
        self.base_rules, self.brick_distribution = resolve_rules(rules, bricks)
        rows, cols, n = self.base_rules.rows, self.base_rules.cols, self.base_rules.n_cells

        self.possible_agents = list(AGENTS)
        self.agents = self.possible_agents[:]
        self.action_spaces = {a: spaces.Discrete(n) for a in self.possible_agents}
        self.observation_spaces = {
            a: spaces.Dict(
                {
                    "observation": spaces.Box(0, 1, (rows, cols, 3), np.int8),
                    "action_mask": spaces.Box(0, 1, (n,), np.int8),
                }
            )
            for a in self.possible_agents
        }
        self._zero_mask = np.zeros(n, dtype=np.int8)
        self._planes = BoardPlanes(rows, cols)
        self._np_random: np.random.Generator | None = None
        self._np_random_seed: int | None = None
        self._rules_cache: dict[tuple[int, ...], Rules] = {}
        self._info_cache: dict[tuple[int, ...], dict[str, Any]] = {}
        self._agent_selector = AgentSelector(self.possible_agents)
        self.game = GameState(self.base_rules)
        self._start_episode(self.base_rules)

    # ----------------------------------------------------------------- spaces
    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    @property
    def np_random(self) -> np.random.Generator:
        """The generator that draws brick layouts (seeded by ``reset(seed=...)``)."""
        if self._np_random is None:
            self._np_random, self._np_random_seed = seeding.np_random()
        return self._np_random

    # -------------------------------------------------------------- episodes
    def reset(self, seed: int | None = None, options: dict | None = None) -> None:
        """Start a game; ``options={"bricks": spec}`` sets this episode's layout (distribution)."""
        if seed is not None:
            self._np_random, self._np_random_seed = seeding.np_random(seed)
        rules = episode_rules(self.base_rules, self.brick_distribution, options, self.np_random)
        self._start_episode(self._rules_cache.setdefault(tuple(rules.bricks), rules))

    def _start_episode(self, rules: Rules) -> None:
        self.game = GameState(rules)
        self._planes.reset(self.game)
        self.agents = self.possible_agents[:]
        self.rewards = dict.fromkeys(self.agents, 0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        info = self._info_cache.get(rules.bricks)
        if info is None:
            info = self._info_cache[rules.bricks] = brick_info(rules)
        self.infos = {a: {k: list(v) if isinstance(v, list) else v for k, v in info.items()} for a in self.agents}
        self._agent_selector.reinit(self.agents)
        self.agent_selection = self._agent_selector.reset()

    def observe(self, agent: str) -> dict[str, np.ndarray]:
        player = 1 if agent == AGENTS[0] else 2
        mask = self._planes.mask.copy() if agent == self.agent_selection else self._zero_mask.copy()
        return {"observation": self._planes.observation(player), "action_mask": mask}

    def step(self, action: int) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        state = self.game
        player = state.to_move
        state.apply_action(action)  # IllegalMoveError for an illegal action (raw env only)
        cell = state.history[-1]
        terminal = state.is_terminal()
        self._planes.play(cell, player, terminal)
        self._cumulative_rewards[agent] = 0
        if terminal:
            winner = state.winner
            if winner:
                self.rewards[AGENTS[winner - 1]] = 1
                self.rewards[AGENTS[2 - winner]] = -1
            self.terminations = dict.fromkeys(self.agents, True)
            self._accumulate_rewards()
        self.agent_selection = self._agent_selector.next()
        if self.render_mode == "human":
            self.render()

    # ------------------------------------------------------------ rendering
    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            from gymnasium import logger

            logger.warn("render() called without a render_mode: pass render_mode='ansi', 'rgb_array' or 'human'")
            return None
        return render(self.game, self.render_mode)

    def close(self) -> None:
        """Nothing to release (no window is opened)."""
