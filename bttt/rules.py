"""The rules of a Brick Tic-Tac-Toe variant, as one small immutable object.

A :class:`Rules` fixes the board size, the win length and the brick cells. It also
builds (once, lazily) the lookup tables the numba core needs: every winning window
as a bitmask, and for each cell the windows through it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import TYPE_CHECKING

import numpy as np

from bttt.cells import cell_name
from bttt.errors import RulesError
from bttt.layouts import BrickSpecError, layout_name, parse_layout

if TYPE_CHECKING:
    from bttt.kernels import RuleTables

MIN_SIZE, MAX_SIZE = 3, 7
# Window directions in the order the original code enumerates them:
# row (right), column (down), diagonal (down-right), anti-diagonal (down-left).
DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


@dataclass(frozen=True)
class Rules:
    """A game variant.

    Args:
        rows, cols: board size, each from 3 to 7.
        win_length: stones in a line needed to win (2 up to the longer side).
        bricks: cells nobody may play and no winning line may cross: one layout of the brick grammar
            (:mod:`bttt.layouts`): ``"center"`` (the default: the centre cell, D4 on 7x7), a cell (``"E5"``, 32),
            several bricks joined by ``+`` (``"D3+E5"``), ``"none"``; in Python also an iterable of cells, or
            ``None`` / ``()`` for no brick. A comma (several layouts) is refused: a distribution over layouts is
            drawn per game by the environments and commands, never fixed in a ``Rules``.
    """

    rows: int = 7
    cols: int = 7
    win_length: int = 4
    bricks: tuple[int, ...] | str | int | None = field(default="center")

    def __post_init__(self) -> None:
        for name in ("rows", "cols", "win_length"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or isinstance(value, bool):
                raise RulesError(f"{name} must be an integer, got {value!r}")
            object.__setattr__(self, name, int(value))
        for name in ("rows", "cols"):
            value = getattr(self, name)
            if not MIN_SIZE <= value <= MAX_SIZE:
                raise RulesError(f"{name}={value} is not supported: boards have {MIN_SIZE} to {MAX_SIZE} {name}")
        longest = max(self.rows, self.cols)
        if not 2 <= self.win_length <= longest:
            raise RulesError(
                f"win_length={self.win_length} does not fit a {self.rows}x{self.cols} board: choose 2..{longest}"
            )
        object.__setattr__(self, "bricks", self._normalise_bricks(self.bricks))
        if len(self.bricks) >= self.n_cells:
            raise RulesError("bricks cover the whole board: leave at least one playable cell")

    def _normalise_bricks(self, bricks: tuple[int, ...] | str | int | Iterable | None) -> tuple[int, ...]:
        if isinstance(bricks, str) and bricks.strip().lower() == "center":
            return ((self.rows // 2) * self.cols + self.cols // 2,)
        try:
            return parse_layout(bricks, self.rows, self.cols)
        except BrickSpecError as exc:
            raise RulesError(f"Rules(bricks={bricks!r}): {exc}") from None

    def __repr__(self) -> str:
        return (
            f"Rules(rows={self.rows}, cols={self.cols}, win_length={self.win_length}, "
            f"bricks={layout_name(self.bricks, self.rows, self.cols)!r})"
        )

    # ----------------------------------------------------------------- geometry
    @cached_property
    def n_cells(self) -> int:
        return self.rows * self.cols

    @property
    def is_square(self) -> bool:
        return self.rows == self.cols

    def name(self, cell: int) -> str:
        """Cell name on this board (``24 -> "D4"``)."""
        return cell_name(cell, self.rows, self.cols)

    def with_bricks(self, bricks: tuple[int, ...] | str | int | Iterable | None) -> Rules:
        """The same variant with another brick layout."""
        return Rules(self.rows, self.cols, self.win_length, bricks)

    @cached_property
    def brick_mask(self) -> int:
        mask = 0
        for c in self.bricks:
            mask |= 1 << c
        return mask

    @cached_property
    def full_mask(self) -> int:
        """Bitmask of every playable (non-brick) cell."""
        return ((1 << self.n_cells) - 1) & ~self.brick_mask

    @property
    def windows(self) -> np.ndarray:
        """Every in-bounds line of ``win_length`` cells, bricked or not.

        Shape ``(n_windows, win_length)``, in the original code's order: by start
        cell (row-major), then row, column, diagonal, anti-diagonal. Shared by every
        variant of the same size: do not modify it.
        """
        return _windows(self.rows, self.cols, self.win_length)

    @cached_property
    def tables(self) -> RuleTables:
        """The :class:`bttt.kernels.RuleTables` of this variant, built once and shared (do not modify)."""
        return _tables(self.rows, self.cols, self.win_length, self.bricks)

    @cached_property
    def cell_win_masks(self) -> tuple[tuple[int, ...], ...]:
        """For each cell, the live windows through it as Python-int bitmasks.

        The same windows as :attr:`tables` (``win_masks`` via ``cell_ptr``/``cell_wins``),
        for the Python-level :class:`~bttt.state.GameState`, where testing a few ints
        is cheaper than a call into the numba core.
        """
        return _cell_win_masks(self.rows, self.cols, self.win_length, self.bricks)

    def describe(self) -> str:
        bricks = layout_name(self.bricks, self.rows, self.cols)
        return f"{self.rows}x{self.cols}, {self.win_length} in a row, bricks: {bricks}"


@cache
def _windows(rows: int, cols: int, k: int) -> np.ndarray:
    out = []
    for r in range(rows):
        for c in range(cols):
            for dr, dc in DIRECTIONS:
                end_r, end_c = r + dr * (k - 1), c + dc * (k - 1)
                if 0 <= end_r < rows and 0 <= end_c < cols:
                    out.append([(r + dr * i) * cols + c + dc * i for i in range(k)])
    return np.asarray(out, dtype=np.int64).reshape(-1, k)


@cache
def _tables(rows: int, cols: int, k: int, bricks: tuple[int, ...]) -> RuleTables:
    """Cached across equal variants: a new ``Rules`` per episode costs no rebuild."""
    from bttt.kernels import RuleTables  # numba loads only when a kernel is needed, not on `import bttt`

    n_cells = rows * cols
    brick_set = set(bricks)
    live = [w for w in _windows(rows, cols, k) if not any(int(c) in brick_set for c in w)]
    masks = np.array([sum(1 << int(c) for c in w) for w in live], dtype=np.uint64)
    per_cell: list[list[int]] = [[] for _ in range(n_cells)]
    for i, w in enumerate(live):
        for c in w:
            per_cell[int(c)].append(i)
    ptr = np.zeros(n_cells + 1, dtype=np.int32)
    ptr[1:] = np.cumsum([len(p) for p in per_cell])
    wins = np.array([i for p in per_cell for i in p], dtype=np.int32)
    brick_mask = sum(1 << c for c in bricks)
    full = ((1 << n_cells) - 1) & ~brick_mask
    for a in (masks, ptr, wins):
        a.setflags(write=False)
    return RuleTables(np.uint64(full), np.uint64(brick_mask), masks, ptr, wins, rows, cols, k)


@cache
def _cell_win_masks(rows: int, cols: int, k: int, bricks: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    t = _tables(rows, cols, k, bricks)
    return tuple(
        tuple(int(t.win_masks[t.cell_wins[j]]) for j in range(t.cell_ptr[c], t.cell_ptr[c + 1]))
        for c in range(rows * cols)
    )
