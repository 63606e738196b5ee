"""What a tournament plays: brick suites, pairings, colours and per-game seeds.

A game's *schedule identity* is ``(p1, p2, layout, index)``: the agent moving
first, the agent moving second (canonical specs), the brick layout's name and the
game's number among the games of that pairing, colour and layout. Everything
about a game, its seed included, derives from that identity and the tournament
seed, so the same command plays the same games whatever the worker count or the
order in which workers finish.
"""

from __future__ import annotations

from dataclasses import dataclass

from bttt.cells import cell_name
from bttt.errors import BtttError
from bttt.layouts import BrickDistribution, Layout, layout_name, parse_distribution
from bttt.seeding import derive_seed


class ScheduleError(BtttError):
    """A brick suite, agent list or gauntlet that cannot be scheduled."""


@dataclass(frozen=True, order=True)
class GameKey:
    """The schedule identity of one game (unique in a tournament); ``opening`` is the id of the start position
    (:meth:`tournament.openings.Opening.id`, ``""`` for the empty board)."""

    p1: str
    p2: str
    layout: str
    index: int
    opening: str = ""

    def seed(self, tournament_seed: int) -> int:
        if not self.opening:  # the games of tournaments without openings keep their seeds
            return derive_seed(tournament_seed, self.p1, self.p2, self.layout, self.index)
        return derive_seed(tournament_seed, self.p1, self.p2, self.layout, self.opening, self.index)


def parse_suite(spec: str, rows: int = 7, cols: int = 7) -> tuple[Layout, ...]:
    """Brick layouts a tournament plays, each one: a distribution spec of the brick grammar (:mod:`bttt.layouts`):
    ``D4``, ``D3,D4,E5``, ``D3+E5,none``, ``all`` (every cell), ``orbits`` (one cell per symmetry orbit)."""
    try:
        return parse_distribution(spec, rows, cols)
    except BtttError as exc:
        raise ScheduleError(f"--bricks {spec!r}: {exc}") from None


def parse_train(spec: str | None, rows: int = 7, cols: int = 7) -> tuple[int, ...] | None:
    """Training cells from ``--train-bricks`` (a distribution spec, e.g. ``D4`` or ``D3,D4``): every cell that
    carries a brick in one of its layouts. None when not given."""
    if spec is None:
        return None
    try:
        return BrickDistribution.parse(spec, rows, cols).cells
    except BtttError as exc:
        raise ScheduleError(f"--train-bricks {spec!r}: {exc}") from None


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
    agents: list[str],
    layout_names: list[str],
    games_per_colour: int,
    gauntlet: str | None = None,
    openings: dict[str, list[str]] | None = None,
) -> list[GameKey]:
    """Every game: each pairing, each layout, each of its openings (``openings[layout]``: opening ids; none = the
    empty board), both colours -- a colour-swapped pair --, ``games_per_colour`` times."""
    if games_per_colour < 1:
        raise ScheduleError(f"games per colour must be at least 1, got {games_per_colour}")
    if not layout_names:
        raise ScheduleError("the brick suite has no layout")
    out = []
    for a, b in pairings(agents, gauntlet):
        for layout in layout_names:
            for opening in (openings or {}).get(layout, [""]):
                for i in range(games_per_colour):
                    out.append(GameKey(a, b, layout, i, opening))
                    out.append(GameKey(b, a, layout, i, opening))
    return out


def describe_cells(cells, rows: int = 7, cols: int = 7) -> str:
    return ",".join(cell_name(c, rows, cols) for c in cells) if cells else "none"
