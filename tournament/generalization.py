"""Generalization over brick layouts: per-cell scores, train versus novel cells, orbits, distance.

An agent's *score* in a game is 1 for a win, 1/2 for a draw and 0 for a loss
(a fault is a loss; a ``crash`` game, which blames nobody, is left out). Its
training cells are the ones it declares (``training_cells``, e.g. AlphaZero
checkpoints) or, for agents that declare none, the tournament's ``--train``
split; agents with neither are controls and get per-cell scores only. A layout
is *training* when all its bricks are training cells, *novel* otherwise. The
distance of a layout from training is the Chebyshev (king-move) distance from its
bricks to the nearest training cell (the largest over its bricks).

Intervals on a mean score and on the train-novel gap use the normal
approximation with the Agresti-Caffo adjustment (one win and one loss added to
each group), which keeps them honest when a group is all wins or all losses.
Because every layout is played against the same opponents with both colours the
same number of times, per-layout scores are directly comparable.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bttt.cells import cell_name
from bttt.layouts import parse_layout
from bttt.symmetry import brick_orbits
from tournament.rating import Z95

CRASH = "crash"


@dataclass
class Group:
    """Scores of one agent over a set of games."""

    n: int = 0
    total: float = 0.0
    total_sq: float = 0.0

    def add(self, score: float) -> None:
        self.n += 1
        self.total += score
        self.total_sq += score * score

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else float("nan")

    def adjusted(self) -> tuple[float, float]:
        """(mean, variance of the mean) with one win and one loss added."""
        n = self.n + 2
        mean = (self.total + 1) / n
        var = max((self.total_sq + 1) / n - mean * mean, 0.0)
        return mean, var / n

    def ci(self) -> float:
        """Half-width of the 95% interval of the mean score."""
        return Z95 * math.sqrt(self.adjusted()[1]) if self.n else float("nan")


def gap_ci(a: Group, b: Group) -> tuple[float, float]:
    """(observed a - b, half-width of its 95% interval)."""
    if not a.n or not b.n:
        return float("nan"), float("nan")
    _, va = a.adjusted()
    _, vb = b.adjusted()
    return a.mean - b.mean, Z95 * math.sqrt(va + vb)


@dataclass
class AgentGeneralization:
    """Everything the report shows about one agent's play across layouts."""

    name: str
    training_cells: tuple[int, ...] | None
    training_source: str  # "agent", "--train" or "none"
    by_layout: dict[str, dict[str, Group]]  # layout -> {"p1", "p2", "all"}
    train: Group
    novel: Group
    by_orbit: list[tuple[tuple[int, ...], int, Group]]  # (orbit cells, training cells in it, scores)
    by_distance: dict[int, Group]

    def heatmaps(self, rows: int = 7, cols: int = 7) -> dict[str, np.ndarray]:
        """``{"p1", "p2", "all"}`` -> (rows, cols) mean score on each single-brick layout (nan if unplayed)."""
        maps = {k: np.full((rows, cols), np.nan) for k in ("p1", "p2", "all")}
        for layout, groups in self.by_layout.items():
            cells = parse_layout(layout, rows, cols)
            if len(cells) != 1:
                continue
            r, c = divmod(cells[0], cols)
            for k in maps:
                if groups[k].n:
                    maps[k][r, c] = groups[k].mean
        return maps

    @property
    def gap(self) -> tuple[float, float]:
        return gap_ci(self.train, self.novel)


def chebyshev(a: int, b: int, cols: int = 7) -> int:
    return max(abs(a // cols - b // cols), abs(a % cols - b % cols))


def layout_distance(layout: tuple[int, ...], training: tuple[int, ...], cols: int = 7) -> int:
    """Largest over the layout's bricks of the Chebyshev distance to the nearest training cell."""
    if not layout:
        return 0
    return max(min(chebyshev(c, t, cols) for t in training) for c in layout)


def analyse(games, agents, train: tuple[int, ...] | None, rows: int = 7, cols: int = 7) -> list[AgentGeneralization]:
    """One :class:`AgentGeneralization` per agent.

    ``games``: stored games (``p1, p2, layout, winner, termination``); ``agents``:
    ``(name, spec, training cells or None)``; ``train``: the ``--train`` cells or None.
    """
    per: dict[str, dict[str, dict[str, Group]]] = {
        a[0]: defaultdict(lambda: {"p1": Group(), "p2": Group(), "all": Group()}) for a in agents
    }
    for g in games:
        if g.termination == CRASH:
            continue
        for seat, name in ((1, g.p1), (2, g.p2)):
            if name not in per:
                continue
            score = 0.5 if g.winner == 0 else float(g.winner == seat)
            groups = per[name][g.layout]
            groups["p1" if seat == 1 else "p2"].add(score)
            groups["all"].add(score)
    out = []
    for name, _spec, own in agents:
        cells, source = (own, "agent") if own else ((train, "--train") if train else (None, "none"))
        by_layout = dict(sorted(per[name].items(), key=lambda kv: parse_layout(kv[0], rows, cols)))
        tr, nv = Group(), Group()
        dist: dict[int, Group] = defaultdict(Group)
        orbit_groups = {orbit: Group() for orbit in brick_orbits(rows, cols)}
        orbit_of = {c: orbit for orbit in brick_orbits(rows, cols) for c in orbit}
        for layout, groups in by_layout.items():
            lay = parse_layout(layout, rows, cols)
            if len(lay) == 1:
                _merge(orbit_groups[orbit_of[lay[0]]], groups["all"])
            if cells:
                _merge(tr if set(lay) <= set(cells) else nv, groups["all"])
                _merge(dist[layout_distance(lay, cells, cols)], groups["all"])
        orbits = [(orbit, sum(c in (cells or ()) for c in orbit), grp) for orbit, grp in orbit_groups.items() if grp.n]
        out.append(AgentGeneralization(name, cells, source, by_layout, tr, nv, orbits, dict(sorted(dist.items()))))
    return out


def _merge(into: Group, other: Group) -> None:
    into.n += other.n
    into.total += other.total
    into.total_sq += other.total_sq


def orbit_label(orbit: tuple[int, ...], rows: int = 7, cols: int = 7) -> str:
    return cell_name(orbit[0], rows, cols) + (f" (+{len(orbit) - 1})" if len(orbit) > 1 else "")
