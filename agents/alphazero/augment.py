"""Symmetry augmentation of training positions that respects the brick distribution.

A board symmetry moves the brick too. Training on a transformed position is only
"free" data when the transformed brick layout is one the network is meant to see,
so the default mode (``"auto"``) allows, for each layout of the training
distribution, exactly the transforms that map it onto a layout of the same
distribution: all 8 for D4 (or for ``random``), identity and the up/down flip for
D3 in {D3, D4}. ``"paper"`` reproduces the paper's four flips (identity, left/right,
up/down, both) whatever they do to the brick, so an off-centre brick is also seen
mirrored (R2 trains on D3, D4, D5). ``"none"`` disables augmentation.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from bttt import symmetry
from bttt.errors import BtttError
from bttt.layouts import BrickDistribution

MODES = ("auto", "paper", "none")


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise BtttError(f"augment mode {mode!r} is unknown; choose one of {', '.join(MODES)}")
    return mode


def allowed_transforms(dist: BrickDistribution, mode: str = "auto") -> tuple[tuple[int, ...], ...]:
    """For each layout of ``dist`` (same order), the transform ids augmentation may apply."""
    check_mode(mode)
    rows, cols = dist.rows, dist.cols
    valid = symmetry.transforms(rows, cols)
    if mode == "none":
        return tuple((symmetry.IDENTITY,) for _ in dist.layouts)
    if mode == "paper":
        flips = tuple(t for t in symmetry.PAPER_FLIPS if t in valid)
        return tuple(flips for _ in dist.layouts)
    members = {tuple(sorted(layout)) for layout in dist.layouts}
    return tuple(
        tuple(t for t in valid if symmetry.transform_cells(t, layout, rows, cols) in members) for layout in dist.layouts
    )


def augmented_cells(dist: BrickDistribution, mode: str = "auto") -> tuple[int, ...]:
    """Every brick cell the network sees in training once augmentation is applied."""
    cells = set()
    for layout, ts in zip(dist.layouts, allowed_transforms(dist, mode), strict=True):
        for t in ts:
            cells.update(symmetry.transform_cells(t, layout, dist.rows, dist.cols))
    return tuple(sorted(cells))


@cache
def gather_indices(rows: int = 7, cols: int = 7) -> np.ndarray:
    """int64 (8, n_cells): ``out = x[..., idx[t]]`` applies transform ``t`` to a per-cell vector ``x``.

    Rows of transforms invalid on a non-square board are the identity (never chosen).
    """
    n = rows * cols
    idx = np.tile(np.arange(n, dtype=np.int64), (8, 1))
    for t in symmetry.transforms(rows, cols):
        perm = symmetry.permutation(t, rows, cols)
        idx[t, perm] = np.arange(n)  # out[perm[c]] = x[c]
    idx.setflags(write=False)
    return idx


def apply_transforms(tids: np.ndarray, planes: np.ndarray, *vectors: np.ndarray) -> tuple[np.ndarray, ...]:
    """Transform sample ``i`` of each array by ``tids[i]``.

    ``planes`` is (B, C, R, Cols); each of ``vectors`` is (B, R*Cols) (policies, masks).
    Returns new arrays in the same order.
    """
    b, c, rows, cols = planes.shape
    idx = gather_indices(rows, cols)[np.asarray(tids, dtype=np.int64)]  # (B, n)
    flat = planes.reshape(b, c, rows * cols)
    out = [np.take_along_axis(flat, idx[:, None, :], axis=2).reshape(planes.shape)]
    out.extend(np.take_along_axis(v, idx, axis=1) for v in vectors)
    return tuple(out)


def sample_transforms(
    layout_ids: np.ndarray, table: tuple[tuple[int, ...], ...], rng: np.random.Generator
) -> np.ndarray:
    """A uniformly drawn allowed transform for each sample (``layout_ids`` index ``table``)."""
    counts = np.array([len(ts) for ts in table], dtype=np.int64)
    padded = np.zeros((len(table), 8), dtype=np.int64)
    for i, ts in enumerate(table):
        padded[i, : len(ts)] = ts
    layout_ids = np.asarray(layout_ids, dtype=np.int64)
    pick = (rng.random(len(layout_ids)) * counts[layout_ids]).astype(np.int64)
    return padded[layout_ids, pick]
