"""Drawing a position: text like the original code, and an RGB image."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from bttt.cells import ROW_LETTERS

if TYPE_CHECKING:
    from bttt.state import GameState

SYMBOLS = {0: " ", 1: "O", 2: "X", 3: "B"}


def render_text(state: GameState, mark_win: bool = True) -> str:
    """Rows lettered at the left, columns numbered at the bottom, O / X / B stones::

    A| | | | | | | |
    ...
    G| | | | | | | |
     ________________
     |1|2|3|4|5|6|7|

    With ``mark_win``, the stones of a winning line are drawn in lower case (``o`` / ``x``).
    """
    board = state.board()
    rows, cols = board.shape
    win = set(state.winning_line()) if mark_win else set()

    def symbol(r: int, c: int) -> str:
        text = SYMBOLS[int(board[r, c])]
        return text.lower() if r * cols + c in win else text

    lines = [ROW_LETTERS[r] + "|" + "".join(symbol(r, c) + "|" for c in range(cols)) for r in range(rows)]
    lines.append(" " + "__" * (cols + 1))
    lines.append(" |" + "".join(f"{c + 1}|" for c in range(cols)))
    return "\n".join(lines)


_COLOURS = {
    "background": (236, 220, 178),
    "grid": (90, 70, 40),
    "o": (30, 90, 200),
    "x": (200, 40, 40),
    "brick": (150, 75, 40),
    "mortar": (220, 200, 180),
    "last": (250, 240, 120),
}


def render_rgb(state: GameState, cell_px: int = 48) -> np.ndarray:
    """uint8 image (H, W, 3) of the board: blue O rings, red X crosses, brick-patterned bricks."""
    board = state.board()
    rows, cols = board.shape
    h, w = rows * cell_px + 1, cols * cell_px + 1
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = _COLOURS["background"]
    yy, xx = np.mgrid[0:cell_px, 0:cell_px]
    centre = (cell_px - 1) / 2
    dist = np.hypot(yy - centre, xx - centre)
    ring = (dist < cell_px * 0.38) & (dist > cell_px * 0.26)
    thick = cell_px * 0.07
    diag = (np.abs(yy - xx) < thick) | (np.abs(yy + xx - (cell_px - 1)) < thick)
    margin = (yy > cell_px * 0.18) & (yy < cell_px * 0.82) & (xx > cell_px * 0.18) & (xx < cell_px * 0.82)
    cross = diag & margin
    mortar = (yy % (cell_px // 4) == 0) | ((xx + (yy // (cell_px // 4)) * (cell_px // 2)) % cell_px == 0)
    last = state.history[-1] if state.history else -1
    for r in range(rows):
        for c in range(cols):
            tile = img[r * cell_px : (r + 1) * cell_px, c * cell_px : (c + 1) * cell_px]
            if r * cols + c == last:
                tile[:] = _COLOURS["last"]
            v = int(board[r, c])
            if v == 1:
                tile[ring] = _COLOURS["o"]
            elif v == 2:
                tile[cross] = _COLOURS["x"]
            elif v == 3:
                tile[:] = _COLOURS["brick"]
                tile[mortar] = _COLOURS["mortar"]
    img[::cell_px, :] = _COLOURS["grid"]
    img[:, ::cell_px] = _COLOURS["grid"]
    return img
