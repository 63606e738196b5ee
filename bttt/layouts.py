"""Brick layouts and distributions over them: the one grammar every command, environment and config reads.

The brick layout is the variable this testbed studies, so it is written one way everywhere::

    layout        = "none" | CELL ("+" CELL)*        one board's bricks:   D4   D3+E5   none
    distribution  = item ("," item)*                 one item per game:    D3,D4   C3,D3,D4   D4,D3+E5
    item          = layout | "random" | "all" | "orbits"

``+`` joins the bricks of one layout; ``,`` separates alternatives. ``random`` and ``all`` are every single-brick
layout (one brick on each cell: drawn per game where a game takes one, each played in a tournament); ``orbits`` is
one single-brick layout per symmetry orbit of the board (its lowest cell: 10 on 7x7). Words and cells are
case-insensitive and spaces are ignored. An empty spec is refused, never read as "no brick": ``none`` means no
brick. Whatever takes a single layout (:class:`bttt.Rules`, the bricks of a serialised state) refuses a comma, with
the fix in the message.

Where a distribution is drawn per game (environments, ``bttt play``/``demo``, training, self-play), every draw
comes from the caller's seeded generator; a tournament plays every layout of its distribution.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from bttt.cells import cell_name, parse_cell
from bttt.errors import BtttError

Layout = tuple[int, ...]
WORDS = ("random", "all", "orbits", "none")
GRAMMAR_HELP = (
    "bricks: D4 (one brick), D3+E5 (two bricks on one board), none (no brick), D3,D4 (one of these per game), "
    "random or all (one brick on any cell), orbits (one cell per symmetry orbit)"
)


class BrickSpecError(BtttError):
    """A brick layout or distribution that does not follow the grammar (the message shows the fix)."""


def layout_name(layout: Layout, rows: int = 7, cols: int = 7) -> str:
    """``(23, 32)`` -> ``"D3+E5"``; ``()`` -> ``"none"``."""
    return "+".join(cell_name(c, rows, cols) for c in layout) or "none"


def parse_layout(spec, rows: int = 7, cols: int = 7) -> Layout:
    """One layout, sorted: ``"D4"``, ``"D3+E5"``, ``"none"``, a cell index, or an iterable of cells (Python API).

    ``None`` is no brick (Python API only; on the command line and in files, write ``none``).
    """
    if spec is None:
        return ()
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise BrickSpecError(f"empty brick layout: write none for no brick, or e.g. D4 or D3+E5 ({GRAMMAR_HELP})")
        if "," in text:
            fix = text.replace(",", "+").replace(" ", "")
            raise BrickSpecError(
                f"{text!r} is several layouts, but one layout is needed here: write {fix} for these bricks on one "
                "board, or pass the list where a distribution is accepted (e.g. bttt.env(bricks=...), --bricks)"
            )
        if text.lower() == "none":
            return ()
        if text.lower() in WORDS:
            raise BrickSpecError(f"{text!r} names a distribution, but one layout is needed here ({GRAMMAR_HELP})")
        parts = [p.strip() for p in text.split("+")]
        if "" in parts:
            raise BrickSpecError(f"malformed brick layout {text!r}: join cells with +, e.g. D3+E5")
        cells = tuple(parse_cell(p, rows, cols) for p in parts)
    elif isinstance(spec, int | np.integer) and not isinstance(spec, bool):
        cells = (parse_cell(int(spec), rows, cols),)
    elif isinstance(spec, Iterable):
        cells = tuple(parse_cell(c, rows, cols) for c in spec)
    else:
        raise BrickSpecError(f"cannot read brick layout {spec!r} ({GRAMMAR_HELP})")
    if len(set(cells)) != len(cells):
        twice = sorted({cell_name(c, rows, cols) for c in cells if cells.count(c) > 1})
        raise BrickSpecError(f"brick cells repeat: {', '.join(twice)} (the layout {spec!r} names a cell twice)")
    return tuple(sorted(cells))


def parse_distribution(spec, rows: int = 7, cols: int = 7) -> tuple[Layout, ...]:
    """The layouts of a distribution spec (see the module docstring), in the order written, each once.

    In Python it also accepts a :class:`BrickDistribution`, a cell index or a list of cells (one layout, as
    :func:`parse_layout`), and ``{"choice": [layout, ...]}`` (the alternatives as a list).
    """
    if isinstance(spec, BrickDistribution):
        return spec.layouts
    if isinstance(spec, str):
        text = spec.strip()
        if not text:
            raise BrickSpecError(f"empty brick spec: write none for no brick ({GRAMMAR_HELP})")
        items = [p.strip() for p in text.split(",")]
        if "" in items:
            raise BrickSpecError(f"malformed brick spec {text!r}: an empty item between commas ({GRAMMAR_HELP})")
    elif isinstance(spec, dict):
        if set(spec) != {"choice"} or isinstance(spec["choice"], str) or not spec["choice"]:
            raise BrickSpecError(f"a brick distribution dict is {{'choice': [layout, ...]}}, got {spec!r}")
        items = list(spec["choice"])
    elif isinstance(spec, int | np.integer | list | tuple) and not isinstance(spec, bool):
        items = [spec]  # a cell, or (Python API) a list of cells: one layout
    else:
        raise BrickSpecError(f"cannot read brick spec {spec!r} ({GRAMMAR_HELP})")
    layouts: list[Layout] = []
    for item in items:
        word = item.strip().lower() if isinstance(item, str) else None
        if word in ("random", "all"):
            layouts.extend((c,) for c in range(rows * cols))
        elif word == "orbits":
            from bttt.symmetry import orbit_representatives

            layouts.extend((c,) for c in orbit_representatives(rows, cols))
        else:
            layouts.append(parse_layout(item, rows, cols))
    if len(set(layouts)) != len(layouts):
        twice = sorted({layout_name(x, rows, cols) for x in layouts if layouts.count(x) > 1})
        raise BrickSpecError(f"brick spec {spec!r} names {', '.join(twice)} more than once: list each layout once")
    return tuple(layouts)


@dataclass(frozen=True)
class BrickDistribution:
    """A uniform distribution over a non-empty tuple of brick layouts (see the module grammar)."""

    layouts: tuple[Layout, ...]
    rows: int = 7
    cols: int = 7

    def __post_init__(self) -> None:
        if not self.layouts:
            raise BrickSpecError("a brick distribution needs at least one layout")

    @classmethod
    def parse(cls, spec, rows: int = 7, cols: int = 7) -> BrickDistribution:
        """Build from a spec of the grammar (raises :class:`BrickSpecError` with the fix)."""
        if isinstance(spec, BrickDistribution):
            return spec
        return cls(parse_distribution(spec, rows, cols), rows, cols)

    def sample(self, rng: np.random.Generator) -> Layout:
        """One layout, drawn with the caller's seeded generator (no draw for a single layout)."""
        if len(self.layouts) == 1:
            return self.layouts[0]
        return self.layouts[int(rng.integers(len(self.layouts)))]

    @property
    def cells(self) -> tuple[int, ...]:
        """Every cell that carries a brick in some layout (the training cells)."""
        return tuple(sorted({c for layout in self.layouts for c in layout}))

    def describe(self) -> str:
        """The canonical spec: layout names joined by commas (``"D3,D4"``, ``"D3+E5"``, ``"none"``)."""
        return ",".join(layout_name(layout, self.rows, self.cols) for layout in self.layouts)

    @property
    def names(self) -> list[str]:
        return [layout_name(layout, self.rows, self.cols) for layout in self.layouts]
