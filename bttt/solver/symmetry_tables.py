"""The symmetries that keep a brick layout in place, as bit permutations the search applies in a few lookups.

A position is canonicalised under every board transform that maps the layout's bricks onto themselves
(:func:`bttt.symmetry.preserving_transforms`): all 8 for a brick in the centre of a square board, 2 for a brick on
a diagonal, 1 (only the identity) for a brick off every axis. Each transform is stored as lookup tables: the
board's bits in chunks of 7, each chunk's image precomputed, so transforming a bitboard costs one lookup per
chunk (7 on 7x7) and no loop over cells.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from bttt.rules import Rules
from bttt.symmetry import IDENTITY, permutation, preserving_transforms

CHUNK = 7
_CHUNK_MASK = np.uint64((1 << CHUNK) - 1)


class SymmetryTables(NamedTuple):
    """Lookup tables of a layout's preserving transforms; index 0 is the identity.

    Attributes:
        lut: ``uint64[count, chunks, 128]``, the image of each 7-bit chunk of a bitboard.
        perm: ``int64[count, 64]``, where each cell goes (``perm[i, c]``); ``-1`` past the board.
        inv: ``int64[count, 64]``, the inverse permutations.
        count: number of transforms.
        chunks: 7-bit chunks covering the board.
        ids: ``int64[count]``, the :mod:`bttt.symmetry` transform ids.
    """

    lut: np.ndarray
    perm: np.ndarray
    inv: np.ndarray
    count: int
    chunks: int
    ids: np.ndarray


def symmetry_tables(rules: Rules, use_symmetry: bool = True) -> SymmetryTables:
    """The tables for ``rules`` (only the identity when ``use_symmetry`` is false)."""
    ids = [IDENTITY] + [t for t in preserving_transforms(rules) if t != IDENTITY] if use_symmetry else [IDENTITY]
    n = rules.n_cells
    chunks = (n + CHUNK - 1) // CHUNK
    lut = np.zeros((len(ids), chunks, 1 << CHUNK), dtype=np.uint64)
    perm = np.full((len(ids), 64), -1, dtype=np.int64)
    inv = np.full((len(ids), 64), -1, dtype=np.int64)
    for i, t in enumerate(ids):
        p = permutation(t, rules.rows, rules.cols)
        perm[i, :n] = p
        inv[i, p] = np.arange(n)
        for ch in range(chunks):
            for value in range(1 << CHUNK):
                image = 0
                for bit in range(CHUNK):
                    cell = ch * CHUNK + bit
                    if value >> bit & 1 and cell < n:
                        image |= 1 << int(p[cell])
                lut[i, ch, value] = image
    for a in (lut, perm, inv):
        a.setflags(write=False)
    return SymmetryTables(lut, perm, inv, len(ids), chunks, np.asarray(ids, dtype=np.int64))


@njit(cache=True)
def transform_bits(x, i, sym):
    """The bitboard ``x`` under transform ``i`` of ``sym``."""
    y = np.uint64(0)
    for ch in range(sym.chunks):
        y |= sym.lut[i, ch, (x >> np.uint64(CHUNK * ch)) & _CHUNK_MASK]
    return y


@njit(cache=True)
def canonical(me, opp, sym):
    """``(me', opp', i)``: the least image of the position ``(me, opp)`` (ordered by ``me'`` then ``opp'``) and
    the transform ``i`` that gives it."""
    b1 = me
    b2 = opp
    bi = 0
    for i in range(1, sym.count):
        a = transform_bits(me, i, sym)
        if a > b1:
            continue
        c = transform_bits(opp, i, sym)
        if a < b1 or c < b2:
            b1 = a
            b2 = c
            bi = i
    return b1, b2, bi
