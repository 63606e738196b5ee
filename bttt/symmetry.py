"""The symmetries of the board: the 8 transforms of a square (4 of a rectangle).

A transform maps cell ``c`` to ``perm[c]``. The same permutation moves stones,
bricks, actions and policy vectors, so a transformed game is the same game played
on a transformed board. Orbits of single brick cells under these transforms are
the equivalence classes that train/test splits use (10 on 7x7).
"""

from __future__ import annotations

from functools import cache

import numpy as np

from bttt.rules import Rules

IDENTITY, ROT90, ROT180, ROT270, FLIP_LR, FLIP_UD, TRANSPOSE, ANTI_TRANSPOSE = range(8)
NAMES = ("identity", "rot90", "rot180", "rot270", "flip_lr", "flip_ud", "transpose", "anti_transpose")
#: The paper's augmentation: up/down and left/right flips and both (which move an off-centre brick).
PAPER_FLIPS = (IDENTITY, FLIP_LR, FLIP_UD, ROT180)
_RECT_SAFE = (IDENTITY, ROT180, FLIP_LR, FLIP_UD)
_INVERSE = (IDENTITY, ROT270, ROT180, ROT90, FLIP_LR, FLIP_UD, TRANSPOSE, ANTI_TRANSPOSE)


def _map(t: int, r: int, c: int, rows: int, cols: int) -> tuple[int, int]:
    n, m = rows - 1, cols - 1
    return (
        (r, c),
        (c, n - r),
        (n - r, m - c),
        (m - c, r),
        (r, m - c),
        (n - r, c),
        (c, r),
        (m - c, n - r),
    )[t]


def transforms(rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    """The transform ids valid on this board shape (8 if square, else 4)."""
    return tuple(range(8)) if rows == cols else _RECT_SAFE


def inverse(t: int) -> int:
    return _INVERSE[t]


@cache
def permutation(t: int, rows: int = 7, cols: int = 7) -> np.ndarray:
    """int64 array ``perm`` with ``perm[c]`` = image of cell ``c`` under transform ``t``."""
    if t not in transforms(rows, cols):
        raise ValueError(f"transform {NAMES[t] if 0 <= t < 8 else t} does not keep a {rows}x{cols} board")
    perm = np.empty(rows * cols, dtype=np.int64)
    for r in range(rows):
        for c in range(cols):
            rr, cc = _map(t, r, c, rows, cols)
            perm[r * cols + c] = rr * cols + cc
    perm.setflags(write=False)
    return perm


def transform_cell(t: int, cell: int, rows: int = 7, cols: int = 7) -> int:
    return int(permutation(t, rows, cols)[cell])


def transform_cells(t: int, cells, rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    perm = permutation(t, rows, cols)
    return tuple(sorted(int(perm[c]) for c in cells))


def transform_planes(t: int, planes: np.ndarray) -> np.ndarray:
    """Apply ``t`` to the last two (row, col) axes of an array of boards or planes."""
    rows, cols = planes.shape[-2:]
    flat = planes.reshape(*planes.shape[:-2], rows * cols)
    out = np.empty_like(flat)
    out[..., permutation(t, rows, cols)] = flat
    return out.reshape(planes.shape)


def transform_vector(t: int, vector: np.ndarray, rows: int = 7, cols: int = 7) -> np.ndarray:
    """Apply ``t`` to a per-cell vector (a policy, a mask) along its last axis."""
    out = np.empty_like(vector)
    out[..., permutation(t, rows, cols)] = vector
    return out


def transform_rules(t: int, rules: Rules) -> Rules:
    return rules.with_bricks(transform_cells(t, rules.bricks, rules.rows, rules.cols))


def transform_state(t: int, state):
    """The same game with every stone, brick and past move transformed."""
    from bttt.state import GameState

    rules = state.rules
    perm = permutation(t, rules.rows, rules.cols)
    return GameState.from_moves(transform_rules(t, rules), [int(perm[a]) for a in state.history])


def preserving_transforms(rules: Rules) -> tuple[int, ...]:
    """Transforms that leave this layout's bricks where they are (all 8 for D4 on 7x7)."""
    return tuple(
        t
        for t in transforms(rules.rows, rules.cols)
        if transform_cells(t, rules.bricks, rules.rows, rules.cols) == tuple(rules.bricks)
    )


@cache
def brick_orbits(rows: int = 7, cols: int = 7) -> tuple[tuple[int, ...], ...]:
    """Orbits of single cells under the board's symmetries, each sorted, ordered by first cell."""
    seen: set[int] = set()
    orbits = []
    for c in range(rows * cols):
        if c in seen:
            continue
        orbit = tuple(sorted({transform_cell(t, c, rows, cols) for t in transforms(rows, cols)}))
        seen.update(orbit)
        orbits.append(orbit)
    return tuple(orbits)


def orbit_of(cell: int, rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    for orbit in brick_orbits(rows, cols):
        if cell in orbit:
            return orbit
    raise ValueError(f"cell {cell} is not on a {rows}x{cols} board")


def orbit_representatives(rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    """One cell per orbit (the lowest index)."""
    return tuple(o[0] for o in brick_orbits(rows, cols))
