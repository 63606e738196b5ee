"""Cell notation: ``"D4"`` <-> 24.

Rows are letters A.. from the top, columns are numbers 1.. from the left, and the
index is ``cols * row + col`` (so on the standard 7x7 board D4 is 24).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from bttt.errors import CellNameError

ROW_LETTERS = "ABCDEFG"
_INT_TYPES = (int, np.integer)
_CELL_RE = re.compile(r"^([A-Za-z])([0-9]+)$")


def cell_name(index: int, rows: int = 7, cols: int = 7) -> str:
    """Name of cell ``index`` on a ``rows`` x ``cols`` board, e.g. 24 -> ``"D4"``."""
    if not isinstance(index, _INT_TYPES) or isinstance(index, bool):
        raise CellNameError(f"cell index must be an integer, got {index!r}")
    index = int(index)
    if not 0 <= index < rows * cols:
        raise CellNameError(f"cell index {index} is off the {rows}x{cols} board (valid: 0..{rows * cols - 1})")
    return f"{ROW_LETTERS[index // cols]}{index % cols + 1}"


def parse_cell(name: str | int, rows: int = 7, cols: int = 7) -> int:
    """Index of a cell given by name (case-insensitive, e.g. ``"d4"``) or by index."""
    if isinstance(name, _INT_TYPES) and not isinstance(name, bool):
        cell_name(int(name), rows, cols)  # validates the range
        return int(name)
    if not isinstance(name, str):
        raise CellNameError(f"a cell is a name like 'D4' or an index, got {name!r}")
    text = name.strip()
    last_row = ROW_LETTERS[rows - 1]
    hint = f"use a row letter A-{last_row} then a column number 1-{cols}, e.g. 'D4'"
    if not text:
        raise CellNameError(f"empty cell name: {hint}")
    match = _CELL_RE.match(text)
    if match is None:
        raise CellNameError(f"malformed cell name {name!r}: {hint}")
    row = ord(match.group(1).upper()) - ord("A")
    col = int(match.group(2)) - 1
    if not 0 <= row < rows:
        raise CellNameError(f"row {match.group(1).upper()!r} in {name!r} is off the board: {hint}")
    if not 0 <= col < cols:
        raise CellNameError(f"column {match.group(2)} in {name!r} is off the board: {hint}")
    return row * cols + col


def parse_cells(spec: str | int | Iterable[str | int], rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    """Several cells from ``"D3,D4"``, ``"D3 D4"`` or an iterable of names/indices."""
    if isinstance(spec, str):
        parts = [p for p in re.split(r"[,\s]+", spec.strip()) if p]
    elif isinstance(spec, _INT_TYPES):
        parts = [spec]
    else:
        parts = list(spec)
    return tuple(parse_cell(p, rows, cols) for p in parts)


def all_cells(rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    """Every cell index of the board."""
    return tuple(range(rows * cols))
