"""Brick layouts and distributions over them.

A layout is a sorted tuple of brick cells (possibly empty). A
:class:`BrickDistribution` is a finite list of layouts drawn uniformly, which
covers every case the environments, tournaments and training need:

==================  =====================================================
spec                meaning
==================  =====================================================
``"D4"`` / ``24``   always one brick on D4
``"D3+E5"``         always two bricks, on D3 and E5
``["D3", "E5"]``    the same (a Python list of cells is one layout)
``"none"``/``None`` no brick
``"D3,D4"``         one of the listed layouts per episode (the paper's R2)
``{"choice": [..]}``one of the listed layouts (each a cell, list or none)
``"random"``        one brick on a uniformly random cell
==================  =====================================================
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bttt.cells import cell_name, parse_cell, parse_cells
from bttt.errors import BtttError

Layout = tuple[int, ...]


@dataclass(frozen=True)
class BrickDistribution:
    """Uniform distribution over a non-empty tuple of brick layouts."""

    layouts: tuple[Layout, ...]
    rows: int = 7
    cols: int = 7

    def __post_init__(self) -> None:
        if not self.layouts:
            raise BtttError("a brick distribution needs at least one layout")

    @classmethod
    def parse(cls, spec, rows: int = 7, cols: int = 7) -> BrickDistribution:
        """Build from any spec in the module table (raises BtttError with a hint)."""
        if isinstance(spec, BrickDistribution):
            return spec
        return cls(_parse(spec, rows, cols), rows, cols)

    def sample(self, rng: np.random.Generator) -> Layout:
        if len(self.layouts) == 1:
            return self.layouts[0]
        return self.layouts[int(rng.integers(len(self.layouts)))]

    @property
    def cells(self) -> tuple[int, ...]:
        """Every cell that carries a brick in some layout (the training cells)."""
        return tuple(sorted({c for layout in self.layouts for c in layout}))

    def describe(self) -> str:
        return ",".join(layout_name(layout, self.rows, self.cols) for layout in self.layouts)


def layout_name(layout: Layout, rows: int = 7, cols: int = 7) -> str:
    """``(23, 32)`` -> ``"D3+E5"``; ``()`` -> ``"none"``."""
    return "+".join(cell_name(c, rows, cols) for c in layout) or "none"


def parse_layout(spec, rows: int = 7, cols: int = 7) -> Layout:
    """One layout: a cell, ``"D3+E5"``, a list of cells, or none."""
    if spec is None:
        return ()
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower() in ("", "none", "-"):
            return ()
        cells = tuple(parse_cell(p, rows, cols) for p in text.split("+"))
    elif isinstance(spec, int | np.integer):
        cells = (parse_cell(int(spec), rows, cols),)
    else:
        cells = parse_cells(spec, rows, cols)
    if len(set(cells)) != len(cells):
        raise BtttError(f"brick layout {spec!r} names a cell twice")
    return tuple(sorted(cells))


def _parse(spec, rows: int, cols: int) -> tuple[Layout, ...]:
    if isinstance(spec, dict):
        if set(spec) != {"choice"}:
            raise BtttError(f"a brick distribution dict has one key 'choice', got {sorted(spec)}")
        return tuple(parse_layout(s, rows, cols) for s in _nonempty(spec["choice"]))
    if isinstance(spec, str):
        text = spec.strip().lower()
        if text in ("random", "all"):
            return tuple((c,) for c in range(rows * cols))
        return tuple(parse_layout(part, rows, cols) for part in _nonempty(spec.split(",")))
    if spec is None or isinstance(spec, int | np.integer):
        return (parse_layout(spec, rows, cols),)
    if isinstance(spec, Iterable):
        return (parse_layout(list(spec), rows, cols),)
    raise BtttError(
        f"cannot read brick layout {spec!r}: use a cell ('D4'), several bricks ('D3+E5'), "
        "'none', a list to draw from ('D3,D4'), or 'random'"
    )


def _nonempty(items) -> list:
    items = list(items)
    if not items:
        raise BtttError("empty list of brick layouts")
    return items
