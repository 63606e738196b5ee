"""Scores of groups of cells -- symmetry orbits of the brick, distances from the training cells -- per agent.

A group's score is the mean of its cell scores (each cell the mean pair score on that layout, as in
:mod:`tournament.cell_stats`). Its interval is a cluster bootstrap with cells as clusters (``G - 1`` of the
group's ``G`` cells drawn with replacement, each with all its pairs), so replayed games of deterministic agents
count once per cell, not once per game; a group of one cell (D4's orbit, or a single training cell) resamples
its pairs instead. The groups are the single-brick layouts of the tournament; distance also takes multi-brick
layouts (the largest distance over their bricks).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bttt.layouts import parse_layout
from bttt.symmetry import brick_orbits
from tournament.bootstrap import DEFAULT_REPS, Interval, as_generator
from tournament.cell_stats import group_score
from tournament.generalization import layout_distance
from tournament.pairs import PairTable


@dataclass(frozen=True)
class CellGroup:
    """One agent's score on a group of cells.

    Attributes:
        key: the orbit's cells, or the distance from the nearest training cell.
        cells: cells of the group (for an orbit: all its cells, played or not).
        played: layouts of the group the agent played.
        training: training cells of the agent in the group.
        pairs: the agent's pairs on them.
        score: mean cell score with its cluster-bootstrap interval.
    """

    key: tuple[int, ...] | int
    cells: int
    played: int
    training: int
    pairs: int
    score: Interval


def _scores(
    pairs: PairTable, agent: str, members: dict, reps: int, rng: np.random.Generator
) -> dict[object, tuple[int, int, Interval]]:
    """``key -> (layouts played, pairs, interval)`` for groups given as ``key -> layout indices``."""
    cells, scores = pairs.agent_scores(agent)
    h = len(pairs.layouts)
    played = np.bincount(cells, minlength=h) > 0
    out = {}
    for key, layouts in members.items():
        group = np.array(sorted(i for i in layouts if played[i]), dtype=np.int64)
        if len(group):
            out[key] = (len(group), int(np.isin(cells, group).sum()), group_score(cells, scores, group, h, reps, rng))
    return out


def orbit_scores(
    pairs: PairTable,
    agent: str,
    training: tuple[int, ...] | None,
    rows: int,
    cols: int,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
) -> list[CellGroup]:
    """The agent's score on each symmetry orbit of the brick (single-brick layouts), in the orbits' order."""
    rng = as_generator(rng)
    index = {parse_layout(lay, rows, cols): i for i, lay in enumerate(pairs.layouts)}
    orbits = brick_orbits(rows, cols)
    members = {orbit: [index[(c,)] for c in orbit if (c,) in index] for orbit in orbits}
    found = _scores(pairs, agent, members, reps, rng)
    train = set(training or ())
    out = []
    for orbit in orbits:
        if orbit in found:
            played, n, score = found[orbit]
            out.append(CellGroup(orbit, len(orbit), played, sum(c in train for c in orbit), n, score))
    return out


def distance_scores(
    pairs: PairTable,
    agent: str,
    training: tuple[int, ...],
    rows: int,
    cols: int,
    reps: int = DEFAULT_REPS,
    rng: np.random.Generator | int | None = 0,
) -> list[CellGroup]:
    """The agent's score by Chebyshev distance of the layout from its nearest training cell (0 = training)."""
    rng = as_generator(rng)
    members: dict[int, list[int]] = {}
    for i, lay in enumerate(pairs.layouts):
        members.setdefault(layout_distance(parse_layout(lay, rows, cols), training, cols), []).append(i)
    found = _scores(pairs, agent, dict(sorted(members.items())), reps, rng)
    return [
        CellGroup(d, len(members[d]), played, played if d == 0 else 0, n, iv) for d, (played, n, iv) in found.items()
    ]
