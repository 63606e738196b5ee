"""Brick Tic-Tac-Toe: rules, game state and environments.

>>> from bttt import Rules, GameState
>>> s = GameState(Rules(bricks="D4"))
>>> s.apply_action("C3")

``bttt.env()`` / ``bttt.raw_env()`` build the PettingZoo AEC environment and importing this package registers the
Gymnasium env ``bttt/BrickTicTacToe-v0``. The names below load on first use, so ``import bttt`` (and ``bttt
--help``) does not load numba.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.2.0"
GYM_ID = "bttt/BrickTicTacToe-v0"

_EXPORTS = {
    "BrickDistribution": "bttt.layouts",
    "BrickSpecError": "bttt.layouts",
    "BtttError": "bttt.errors",
    "CellNameError": "bttt.errors",
    "GameState": "bttt.state",
    "IllegalMoveError": "bttt.errors",
    "Rules": "bttt.rules",
    "RulesError": "bttt.errors",
    "SerializationError": "bttt.errors",
    "all_cells": "bttt.cells",
    "cell_name": "bttt.cells",
    "layout_name": "bttt.layouts",
    "parse_cell": "bttt.cells",
    "parse_cells": "bttt.cells",
    "parse_distribution": "bttt.layouts",
    "parse_layout": "bttt.layouts",
}
__all__ = ["GYM_ID", *sorted(_EXPORTS), "env", "raw_env"]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bttt' has no attribute {name!r}")


def env(**kwargs):
    """The wrapped PettingZoo AEC environment (see :mod:`bttt.pettingzoo_env`)."""
    from bttt.pettingzoo_env import env as make_env

    return make_env(**kwargs)


def raw_env(**kwargs):
    """The unwrapped PettingZoo AEC environment."""
    from bttt.pettingzoo_env import raw_env as make_raw_env

    return make_raw_env(**kwargs)


def _register_gymnasium() -> None:
    try:
        import gymnasium
    except ImportError:  # pragma: no cover - gymnasium is a dependency
        return
    if GYM_ID not in gymnasium.registry:
        gymnasium.register(id=GYM_ID, entry_point="bttt.gymnasium_env:BrickTicTacToeEnv")


_register_gymnasium()
