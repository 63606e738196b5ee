"""Pieces shared by the PettingZoo and Gymnasium environments.

The environments are thin API wrappers around :class:`bttt.state.GameState`; this
module holds what both need besides the rules: choosing the brick layout of an
episode, the incrementally maintained observation planes and action mask, the
``info`` entries that name the bricks, and rendering.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from bttt.errors import BtttError
from bttt.layouts import BrickDistribution, layout_name
from bttt.rules import Rules
from bttt.state import GameState

RENDER_MODES = ("human", "ansi", "rgb_array")
OWN, OPP, BRICK = 0, 1, 2  # channel order of the observation planes (channels last)


def resolve_rules(rules: Rules | None, bricks: Any) -> tuple[Rules, BrickDistribution]:
    """The board variant and the brick distribution an environment samples from.

    ``rules`` fixes the board size and win length (default: 7x7, 4 in a row).
    ``bricks=None`` keeps the bricks of ``rules`` (the centre, D4, by default);
    anything else is a :meth:`BrickDistribution.parse` spec for that board.
    """
    if rules is None:
        rules = Rules()
    elif not isinstance(rules, Rules):
        raise BtttError(f"rules must be a bttt.Rules, e.g. Rules(5, 5, 4), got {rules!r}")
    return rules, distribution_for(rules, bricks)


def distribution_for(rules: Rules, bricks: Any) -> BrickDistribution:
    """``bricks`` parsed on ``rules``' board; ``None`` means the bricks of ``rules`` itself."""
    if bricks is None:
        return BrickDistribution((tuple(rules.bricks),), rules.rows, rules.cols)
    dist = BrickDistribution.parse(bricks, rules.rows, rules.cols)
    if (dist.rows, dist.cols) != (rules.rows, rules.cols):
        raise BtttError(
            f"brick distribution is for a {dist.rows}x{dist.cols} board but the rules are {rules.rows}x{rules.cols}"
        )
    for layout in dist.layouts:  # validate every layout now rather than mid-training
        rules.with_bricks(layout)
    return dist


def episode_rules(base: Rules, default: BrickDistribution, options: dict | None, rng: np.random.Generator) -> Rules:
    """The rules of a new episode: a layout drawn from ``options["bricks"]`` or the default."""
    spec = (options or {}).get("bricks")  # other keys are ignored, as PettingZoo's api_test expects
    dist = default if spec is None else distribution_for(base, spec)
    layout = dist.sample(rng)
    return base if layout == tuple(base.bricks) else base.with_bricks(layout)


def brick_info(rules: Rules) -> dict[str, Any]:
    """``info`` entries naming the bricks of an episode."""
    return {
        "bricks": [rules.name(c) for c in rules.bricks],
        "brick_indices": [int(c) for c in rules.bricks],
        "layout": layout_name(tuple(rules.bricks), rules.rows, rules.cols),
    }


class BoardPlanes:
    """Observation planes for both players and the legal-move mask, updated per move.

    ``planes[p - 1]`` is the (rows, cols, 3) int8 view of player ``p``: its own
    stones, the opponent's stones, the bricks. Updating two cells per move is much
    cheaper than rebuilding the planes from the bitboards at every observation.
    """

    __slots__ = ("_flat", "_start", "cols", "mask", "planes", "rows")

    def __init__(self, rows: int, cols: int) -> None:
        self.rows, self.cols = rows, cols
        self.planes = np.zeros((2, rows, cols, 3), dtype=np.int8)
        self._flat = self.planes.reshape(2, rows * cols * 3)
        self.mask = np.zeros(rows * cols, dtype=np.int8)
        self._start: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}  # empty boards per layout

    def reset(self, state: GameState) -> None:
        """Rebuild everything from ``state`` (any position, not only an empty board)."""
        if not state.history:
            start = self._start.get(state.rules.bricks)
            if start is None:
                start = self._start[state.rules.bricks] = self._build(state)
            self.planes[:] = start[0]
            self.mask[:] = start[1]
            return
        planes, mask = self._build(state)
        self.planes[:] = planes
        self.mask[:] = mask

    def _build(self, state: GameState) -> tuple[np.ndarray, np.ndarray]:
        mover = state.observation().transpose(1, 2, 0).astype(np.int8)  # (rows, cols, own/opp/brick)
        other = mover[..., [OPP, OWN, BRICK]]
        planes = np.stack([mover, other] if state.to_move == 1 else [other, mover])
        return planes, state.legal_mask().astype(np.int8)

    def play(self, cell: int, player: int, terminal: bool) -> None:
        """Record ``player``'s stone on ``cell``."""
        flat = self._flat
        flat[player - 1, 3 * cell + OWN] = 1
        flat[2 - player, 3 * cell + OPP] = 1
        if terminal:
            self.mask[:] = 0
        else:
            self.mask[cell] = 0

    def observation(self, player: int) -> np.ndarray:
        """A copy of player ``player``'s planes."""
        return self.planes[player - 1].copy()


def render(state: GameState, mode: str | None) -> str | np.ndarray | None:
    """Render for a Gymnasium/PettingZoo ``render_mode``."""
    from bttt.render import render_rgb, render_text

    if mode is None:
        return None
    if mode == "ansi":
        return render_text(state) + "\n"
    if mode == "rgb_array":
        return render_rgb(state)
    if mode == "human":
        sys.stdout.write(render_text(state) + "\n\n")
        sys.stdout.flush()
        return None
    raise BtttError(f"unknown render_mode {mode!r}: choose one of {', '.join(RENDER_MODES)}")


def check_render_mode(mode: str | None) -> str | None:
    if mode is not None and mode not in RENDER_MODES:
        raise BtttError(f"unknown render_mode {mode!r}: choose None or one of {', '.join(RENDER_MODES)}")
    return mode
