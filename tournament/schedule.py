"""What a tournament plays: brick suites, pairings, colours and per-game seeds.

A game's *schedule identity* is ``(p1, p2, layout, index)``: the agent moving
first, the agent moving second (canonical specs), the brick layout's name and the
game's number among the games of that pairing, colour and layout. Everything
about a game, its seed included, derives from that identity and the tournament
seed, so the same command plays the same games whatever the worker count or the
order in which workers finish.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import Layout, layout_name, parse_layout
from bttt.symmetry import orbit_representatives

SEED_BITS = 63


class ScheduleError(BtttError):
    """A brick suite, agent list or gauntlet that cannot be scheduled."""


@dataclass(frozen=True, order=True)
class GameKey:
    """The schedule identity of one game (unique in a tournament)."""

    p1: str
    p2: str
    layout: str
    index: int

    def seed(self, tournament_seed: int) -> int:
        return derive_seed(tournament_seed, self.p1, self.p2, self.layout, self.index)


def derive_seed(*parts) -> int:
    """A 63-bit seed from a hash of ``parts`` (stable across runs, machines and Python versions)."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little") >> (64 - SEED_BITS)


def parse_suite(spec: str, rows: int = 7, cols: int = 7) -> tuple[Layout, ...]:
    """Brick layouts of a suite.

    ``"D4"`` one cell; ``"D3,D4,E5"`` a list; ``"D3+E5"`` a two-brick layout (also in a
    list); ``"all"`` every cell; ``"orbits"`` one cell per symmetry orbit (the lowest
    index); ``"none"`` the brick-free board.
    """
    text = (spec or "").strip()
    low = text.lower()
    if not text:
        raise ScheduleError("empty brick suite: use a cell (D4), a list (D3,D4), 'all' or 'orbits'")
    if low == "all":
        return tuple((c,) for c in range(rows * cols))
    if low == "orbits":
        return tuple((c,) for c in orbit_representatives(rows, cols))
    layouts = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            layouts.append(parse_layout(part, rows, cols))
        except BtttError as exc:
            raise ScheduleError(
                f"brick suite {spec!r}: {exc}. A suite is a cell (D4), a list (D3,D4,E5), "
                "two-brick layouts (D3+E5), 'all' or 'orbits'"
            ) from None
    if len(set(layouts)) != len(layouts):
        raise ScheduleError(f"brick suite {spec!r} names a layout twice")
    return tuple(layouts)


def parse_train(spec: str | None, rows: int = 7, cols: int = 7) -> tuple[int, ...] | None:
    """Training cells from ``--train`` (e.g. ``"D4"`` or ``"D3,D4"``); None when not given."""
    if spec is None or not spec.strip():
        return None
    try:
        return tuple(sorted(set(parse_cells(spec.replace("+", ","), rows, cols))))
    except BtttError as exc:
        raise ScheduleError(f"--train {spec!r}: {exc}") from None


def suite_names(layouts, rows: int = 7, cols: int = 7) -> list[str]:
    return [layout_name(lay, rows, cols) for lay in layouts]


def pairings(agents: list[str], gauntlet: str | None = None) -> list[tuple[str, str]]:
    """Unordered pairs: every pair of ``agents`` (round robin) or ``gauntlet`` against each other one."""
    if len(set(agents)) != len(agents):
        dupes = sorted({a for a in agents if agents.count(a) > 1})
        raise ScheduleError(f"agent listed twice: {', '.join(dupes)} (each agent plays each other once per game slot)")
    if len(agents) < 2:
        raise ScheduleError("a tournament needs at least two agents")
    if gauntlet is not None:
        if gauntlet not in agents:
            raise ScheduleError(f"gauntlet agent {gauntlet!r} is not among the agents")
        return [(gauntlet, a) for a in agents if a != gauntlet]
    return [(a, b) for i, a in enumerate(agents) for b in agents[i + 1 :]]


def build_schedule(
    agents: list[str], layout_names: list[str], games_per_colour: int, gauntlet: str | None = None
) -> list[GameKey]:
    """Every game: each pairing, both colours, each layout, ``games_per_colour`` times."""
    if games_per_colour < 1:
        raise ScheduleError(f"games per colour must be at least 1, got {games_per_colour}")
    if not layout_names:
        raise ScheduleError("the brick suite has no layout")
    out = []
    for a, b in pairings(agents, gauntlet):
        for layout in layout_names:
            for i in range(games_per_colour):
                out.append(GameKey(a, b, layout, i))
                out.append(GameKey(b, a, layout, i))
    return out


def describe_cells(cells, rows: int = 7, cols: int = 7) -> str:
    return ",".join(cell_name(c, rows, cols) for c in cells) if cells else "none"
