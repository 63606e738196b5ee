"""Exception types shared by the whole project.

Every error a user can cause derives from :class:`BtttError`, so the CLI can print
its message (which says what was wrong and how to fix it) instead of a traceback.
"""

from __future__ import annotations


class BtttError(ValueError):
    """Base class for errors caused by bad input (a user or caller mistake)."""


class CellNameError(BtttError):
    """A cell name or index that does not exist on the board."""


class RulesError(BtttError):
    """An invalid game variant (board size, win length or brick layout)."""


class IllegalMoveError(BtttError):
    """A move that the rules do not allow in the current state."""


class SerializationError(BtttError):
    """A serialised game state that cannot be parsed."""
