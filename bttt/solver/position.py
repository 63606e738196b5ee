"""Positions for the solver: the serialised state, or the stones of each side, checked to be reachable.

Two text forms are read:

* the serialised state of :meth:`bttt.GameState.serialize`: ``'7x7k4 b:D4 m:C3,D5'`` (the moves in order);
* the stones of each side in any order: ``'7x7k4 b:D4 o:C3,E5 x:D5'`` (``o:`` player 1, ``x:`` player 2, ``-``
  for none).

A position given by its stones must be one a game can reach: player 1 has as many stones as player 2 or one
more, no stone stands on a brick or shares a cell, and if a line is complete the game ended with the last move
(only the side that moved last has a line, and one of its stones lies on every line it has). Every error is a
:class:`PositionError` that names the problem.
"""

from __future__ import annotations

import re

from bttt.cells import parse_cells
from bttt.errors import BtttError
from bttt.rules import Rules
from bttt.state import GameState

_STONES_RE = re.compile(r"^(\d)x(\d)k(\d) b:([^ ]*) o:([^ ]*) x:([^ ]*)$")
FORMS = "'7x7k4 b:D4 m:C3,D5' (moves in order) or '7x7k4 b:D4 o:C3,E5 x:D5' (each side's stones)"


class PositionError(BtttError):
    """A position that cannot be read, or that no game can reach."""


def parse_position(text: str) -> GameState:
    """The game state ``text`` describes (either form of the module docstring)."""
    if not isinstance(text, str) or not text.strip():
        raise PositionError(f"empty position: write {FORMS}")
    text = " ".join(text.split())
    match = _STONES_RE.match(text)
    if match is None:
        if " m:" not in text:
            raise PositionError(f"cannot parse position {text!r}: write {FORMS}")
        try:
            return GameState.deserialize(text)
        except BtttError as exc:
            raise PositionError(str(exc)) from None
    rows, cols, k = (int(match.group(i)) for i in (1, 2, 3))
    try:
        rules = Rules(rows, cols, k, match.group(4))
        o = _cells(match.group(5), rows, cols)
        x = _cells(match.group(6), rows, cols)
    except BtttError as exc:
        raise PositionError(f"position {text!r}: {exc}") from None
    return state_from_stones(rules, o, x)


def _cells(text: str, rows: int, cols: int) -> tuple[int, ...]:
    return () if text in ("", "-") else parse_cells(text, rows, cols)


def state_from_stones(rules: Rules, p1_cells, p2_cells) -> GameState:
    """A :class:`GameState` with these stones, reached by some legal order of moves (checked as the module says).

    Args:
        rules: the variant.
        p1_cells, p2_cells: cell indices (or a bitboard int) of player 1's and player 2's stones.
    """
    p1 = _as_mask(p1_cells)
    p2 = _as_mask(p2_cells)
    o = sorted(_bits(p1))
    x = sorted(_bits(p2))
    name = rules.name
    if p1 & p2:
        raise PositionError(f"cells {', '.join(name(c) for c in _bits(p1 & p2))} hold stones of both sides")
    on_brick = (p1 | p2) & rules.brick_mask
    if on_brick:
        raise PositionError(f"a stone stands on the brick at {', '.join(name(c) for c in _bits(on_brick))}")
    if (p1 | p2) >> rules.n_cells:
        raise PositionError(f"a stone lies off the {rules.rows}x{rules.cols} board")
    if not 0 <= len(o) - len(x) <= 1:
        raise PositionError(
            f"stone counts cannot arise: O (player 1, moves first) has {len(o)}, X has {len(x)}; O must have as many "
            "as X or one more"
        )
    lines = [m for c in range(rules.n_cells) for m in rules.cell_win_masks[c]]
    o_lines = {m for m in lines if p1 & m == m}
    x_lines = {m for m in lines if p2 & m == m}
    last_is_o = len(o) > len(x)
    if o_lines and x_lines:
        raise PositionError("both sides have a completed line: the game ended at the first one")
    if (o_lines and not last_is_o) or (x_lines and last_is_o):
        who = "O" if o_lines else "X"
        raise PositionError(f"{who} has a completed line but did not move last: the game ended when it was made")
    winner_lines = o_lines or x_lines
    mover_cells = o if last_is_o else x
    last = None
    if winner_lines:
        common = [c for c in mover_cells if all(m >> c & 1 for m in winner_lines)]
        if not common:
            raise PositionError("the completed lines share no stone: moves were made after the game had ended")
        last = common[0]
    order = _interleave(o, x, last, last_is_o)
    try:
        return GameState.from_moves(rules, order)
    except BtttError as exc:  # pragma: no cover - the checks above rule this out
        raise PositionError(f"the stones cannot arise: {exc}") from None


def _interleave(o: list[int], x: list[int], last: int | None, last_is_o: bool) -> list[int]:
    """O, X, O, ... with ``last`` (the stone that completed the line, if any) played last."""
    if last is not None:
        (o if last_is_o else x).remove(last)
    order: list[int] = []
    for i in range(max(len(o), len(x))):
        if i < len(o):
            order.append(o[i])
        if i < len(x):
            order.append(x[i])
    if last is not None:
        order.append(last)
    return order


def _as_mask(cells) -> int:
    if isinstance(cells, int):
        return cells
    mask = 0
    for c in cells:
        mask |= 1 << int(c)
    return mask


def _bits(mask: int) -> list[int]:
    out = []
    while mask:
        low = mask & -mask
        out.append(low.bit_length() - 1)
        mask ^= low
    return out


def stones_text(state: GameState) -> str:
    """The stones form of ``state`` (``'7x7k4 b:D4 o:C3,E5 x:D5'``)."""
    r = state.rules
    head = state.serialize().split(" m:")[0]
    o = ",".join(r.name(c) for c in _bits(state.p1)) or "-"
    x = ",".join(r.name(c) for c in _bits(state.p2)) or "-"
    return f"{head} o:{o} x:{x}"
