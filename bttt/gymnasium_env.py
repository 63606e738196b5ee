"""Brick Tic-Tac-Toe as a single-agent Gymnasium environment against a fixed opponent.

Registered as ``bttt/BrickTicTacToe-v0`` when :mod:`bttt` is imported::

    import gymnasium, bttt
    env = gymnasium.make("bttt/BrickTicTacToe-v0", bricks="D3,D4", learner="random")

The learner plays one side; the opponent (any callable ``state -> action`` taking a
:class:`bttt.GameState`, e.g. an ``agents`` agent; default: a uniform random mover
seeded through ``reset(seed=...)``) answers inside :meth:`step`. The rules live in
:class:`bttt.state.GameState`; this module only translates the API.

==================  ================================================================
Action space        ``Discrete(rows * cols)``: the cell index ``cols * row + col``
                    (A1 = 0, D4 = 24 on the 7x7 board)
Observation space   ``Box(0, 1, (rows, cols, 3), int8)``, the learner's view, channels
                    last: own stones, opponent stones, bricks (as in the PettingZoo env)
Rewards             +1 when the learner completes a line, -1 when the opponent does
                    or when the learner plays an illegal cell, 0 otherwise (draws too)
Termination         first completed line, full board, or an illegal learner action
Truncation          never (a game lasts at most ``rows * cols`` moves)
Render modes        ``"ansi"`` (text), ``"rgb_array"`` (uint8 image), ``"human"``
                    (the text board printed to stdout after every step)
==================  ================================================================

**Learner side.** ``learner=1`` (moves first, default), ``2`` (the opponent opens
inside ``reset``) or ``"random"`` (drawn per episode from the seeded generator).

**Illegal actions.** An occupied or brick cell ends the episode with reward -1 and
``info["illegal_action"] = True``; the board is left as it was. An action outside
the action space raises :class:`bttt.errors.IllegalMoveError`. Use the mask to
avoid illegal moves: ``info["action_mask"]`` (int8, 1 = legal) and
:meth:`action_masks` (bool, the ``sb3-contrib`` MaskablePPO convention).

**Bricks.** ``bricks=`` at construction and ``reset(options={"bricks": ...})`` for
one episode: a cell (``"D4"``), several bricks (``"D3+E5"`` or a list), ``"none"``,
a comma list to draw one layout from (``"D3,D4"``) or ``"random"``; see
:mod:`bttt.layouts`. ``None`` (default) keeps the bricks of ``rules=`` (7x7, 4 in
a row, D4). ``info`` always holds ``bricks`` (names), ``brick_indices``, ``layout``,
``learner``, ``action_mask`` and ``opponent_action`` (the opponent's last reply or
``None``); the final step adds ``winner`` (0 draw, 1 or 2).

**Opponent.** Called with a copy of the current state. If it has ``reset()`` it is
called at every episode start; if it has ``seed(int)`` it is reseeded from the
environment's generator on ``reset(seed=...)``. An illegal opponent move raises
:class:`bttt.errors.IllegalMoveError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from bttt._env_common import (
    BoardPlanes,
    brick_info,
    check_render_mode,
    episode_rules,
    render,
    resolve_rules,
)
from bttt.errors import BtttError, IllegalMoveError
from bttt.rules import Rules
from bttt.state import GameState

Opponent = Callable[[GameState], int]


class BrickTicTacToeEnv(gym.Env):
    """Single-agent Brick Tic-Tac-Toe (see the module docstring).

    Args:
        render_mode: ``None``, ``"ansi"``, ``"rgb_array"`` or ``"human"``.
        bricks: brick layout or distribution (``None``: the bricks of ``rules``).
        rules: board size and win length, e.g. ``Rules(5, 4, 3, bricks=None)``.
        opponent: callable ``GameState -> action``; ``None`` for a seeded uniform random mover.
        learner: ``1``, ``2`` or ``"random"``.
    """

    metadata = {"render_modes": ["human", "ansi", "rgb_array"], "render_fps": 2}

    def __init__(
        self,
        render_mode: str | None = None,
        bricks: Any = None,
        rules: Rules | None = None,
        opponent: Opponent | None = None,
        learner: int | str = 1,
    ) -> None:
        super().__init__()
        self.render_mode = check_render_mode(render_mode)
        self.base_rules, self.brick_distribution = resolve_rules(rules, bricks)
        if learner not in (1, 2, "random"):
            raise BtttError(f"learner must be 1, 2 or 'random', got {learner!r}")
        if opponent is not None and not callable(opponent):
            raise BtttError(f"opponent must be a callable state -> action, got {opponent!r}")
        self.learner_spec = learner
        self.opponent = opponent
        rows, cols, n = self.base_rules.rows, self.base_rules.cols, self.base_rules.n_cells
        self.action_space = spaces.Discrete(n)
        self.observation_space = spaces.Box(0, 1, (rows, cols, 3), np.int8)
        self._planes = BoardPlanes(rows, cols)
        self._rules_cache: dict[tuple[int, ...], Rules] = {}
        self.game = GameState(self.base_rules)
        self.learner = 1
        self._info: dict[str, Any] = {}
        self._done = True

    # -------------------------------------------------------------- episodes
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[np.ndarray, dict]:
        super().reset(seed=seed)
        rng = self.np_random
        rules = episode_rules(self.base_rules, self.brick_distribution, options, rng)
        rules = self._rules_cache.setdefault(tuple(rules.bricks), rules)
        self.learner = int(rng.integers(1, 3)) if self.learner_spec == "random" else self.learner_spec
        if self.opponent is not None:
            if seed is not None and callable(getattr(self.opponent, "seed", None)):
                self.opponent.seed(int(rng.integers(2**31)))
            if callable(getattr(self.opponent, "reset", None)):
                self.opponent.reset()
        self.game = GameState(rules)
        self._planes.reset(self.game)
        self._done = False
        self._info = {**brick_info(rules), "learner": self.learner, "opponent_action": None}
        if self.learner == 2:
            self._opponent_move()
        if self.render_mode == "human":
            self.render()
        return self._obs(), self._infos()

    def step(self, action: int) -> tuple[np.ndarray, float, bool, bool, dict]:
        if self._done:
            raise BtttError("the episode is over: call reset() before step()")
        game = self.game
        if not self.action_space.contains(action):
            raise IllegalMoveError(f"action {action!r} is not in the action space Discrete({self.action_space.n})")
        action = int(action)
        if not self._planes.mask[action]:
            self._done = True
            self._planes.mask[:] = 0
            info = self._infos()
            info["illegal_action"] = True
            info["illegal_reason"] = _reason(game, action)
            return self._obs(), -1.0, True, False, info
        game.apply_action(action)
        self._planes.play(action, self.learner, game.is_terminal())
        self._info["opponent_action"] = None
        if not game.is_terminal():
            self._opponent_move()
        if self.render_mode == "human":
            self.render()
        terminated = game.is_terminal()
        reward = 0.0
        info = self._infos()
        if terminated:
            self._done = True
            winner = game.winner
            reward = 0.0 if winner == 0 else (1.0 if winner == self.learner else -1.0)
            info["winner"] = winner
        return self._obs(), reward, terminated, False, info

    def _opponent_move(self) -> None:
        game = self.game
        mover = game.to_move
        if self.opponent is None:
            legal = np.flatnonzero(self._planes.mask)
            action = int(legal[self.np_random.integers(len(legal))])
        else:
            action = self.opponent(game.clone())
        try:
            game.apply_action(action)
        except BtttError as err:
            raise IllegalMoveError(f"the opponent {self.opponent!r} chose an illegal move: {err}") from err
        cell = game.history[-1]
        self._planes.play(cell, mover, game.is_terminal())
        self._info["opponent_action"] = cell

    # --------------------------------------------------------------- queries
    def action_masks(self) -> np.ndarray:
        """bool array over all cells, True where the learner may play (all False once done)."""
        if self._done:
            return np.zeros(self.action_space.n, dtype=bool)
        return self._planes.mask.astype(bool)

    def _obs(self) -> np.ndarray:
        return self._planes.observation(self.learner)

    def _infos(self) -> dict[str, Any]:
        info = dict(self._info)
        info["action_mask"] = self._planes.mask.copy()
        return info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode: pass render_mode='ansi', 'rgb_array' or 'human'")
            return None
        return render(self.game, self.render_mode)


def _reason(game: GameState, action: int) -> str:
    """Why ``action`` is illegal, from GameState's own error message."""
    try:
        game.clone().apply_action(action)
    except IllegalMoveError as err:
        return str(err)
    return "legal"  # pragma: no cover - only called for illegal actions
