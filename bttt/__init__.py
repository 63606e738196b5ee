"""Brick Tic-Tac-Toe: rules, game state and environments.

>>> from bttt import Rules, GameState
>>> s = GameState(Rules(bricks="D4"))
>>> s.apply_action("C3")

``bttt.env()`` / ``bttt.raw_env()`` build the PettingZoo AEC environment and
importing this package registers the Gymnasium env ``bttt/BrickTicTacToe-v0``.
"""

from __future__ import annotations

from bttt.cells import all_cells, cell_name, parse_cell, parse_cells
from bttt.errors import BtttError, CellNameError, IllegalMoveError, RulesError, SerializationError
from bttt.layouts import BrickDistribution, layout_name, parse_layout
from bttt.rules import Rules
from bttt.state import GameState

__version__ = "0.1.0"
GYM_ID = "bttt/BrickTicTacToe-v0"

__all__ = [
    "GYM_ID",
    "BrickDistribution",
    "BtttError",
    "CellNameError",
    "GameState",
    "IllegalMoveError",
    "Rules",
    "RulesError",
    "SerializationError",
    "all_cells",
    "cell_name",
    "env",
    "layout_name",
    "parse_cell",
    "parse_cells",
    "parse_layout",
    "raw_env",
]


def env(**kwargs):
    """The wrapped PettingZoo AEC environment (see :mod:`bttt.pettingzoo_env`)."""
    from bttt.pettingzoo_env import env as _env

    return _env(**kwargs)


def raw_env(**kwargs):
    """The unwrapped PettingZoo AEC environment."""
    from bttt.pettingzoo_env import raw_env as _raw_env

    return _raw_env(**kwargs)


def _register_gymnasium() -> None:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a dependency
        return
    if GYM_ID not in gymnasium.registry:
        gymnasium.register(id=GYM_ID, entry_point="bttt.gymnasium_env:BrickTicTacToeEnv")


_register_gymnasium()
