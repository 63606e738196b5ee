"""Generalization over brick layouts: per-layout scores by colour, the heatmaps, and distances between cells.

An agent's *score* in a game is 1 for a win, 1/2 for a draw and 0 for a loss
(a fault is a loss; a ``crash`` game, which blames nobody, is left out). Its
training cells are the ones it declares (``training_cells``, e.g. AlphaZero
checkpoints) or, for agents that declare none, the tournament's ``--train``
split; agents with neither are controls. The distance of a layout from training
is the Chebyshev (king-move) distance from its bricks to the nearest training
cell (the largest over its bricks).

This module only counts games. Every interval of the report (train minus novel, orbits, distances, IQM) is
computed from colour-swapped pairs with cells as clusters (:mod:`tournament.cell_stats`,
:mod:`tournament.cell_groups`), because games of deterministic agents replay each other and are not independent.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from bttt.cells import cell_name
from bttt.layouts import parse_layout

CRASH = "crash"


@dataclass
class Group:
    """Scores of one agent over a set of games."""

    n: int = 0
    total: float = 0.0

    def add(self, score: float) -> None:
        self.n += 1
        self.total += score

    @property
    def mean(self) -> float:
        return self.total / self.n if self.n else float("nan")


@dataclass
class AgentGeneralization:
    """Everything the report shows about one agent's play across layouts."""

    name: str
    training_cells: tuple[int, ...] | None
    training_source: str  # "agent", "--train" or "none"
    by_layout: dict[str, dict[str, Group]]  # layout -> {"p1", "p2", "all"}

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
        out.append(AgentGeneralization(name, cells, source, by_layout))
    return out


def orbit_label(orbit: tuple[int, ...], rows: int = 7, cols: int = 7) -> str:
    return cell_name(orbit[0], rows, cols) + (f" (+{len(orbit) - 1})" if len(orbit) > 1 else "")
