"""The report's statistics of colour-swapped pairs: ratings, generalization, improvement, normalised scores.

:func:`compute_stats` turns a tournament's stored games into the figures of the report's rating and
generalization sections, all with the pair as the unit (:mod:`tournament.pairs`) and every bootstrap seeded from
the tournament's seed and the statistic's name (adding an agent does not move another agent's intervals):

* **ratings**: the Bradley-Terry-Davidson fit with intervals from a bootstrap of pairs within (cell, pairing)
  strata (:func:`tournament.rating_bootstrap.bootstrap_ratings`);
* per agent with a training split: the **train - novel** gap with a cluster bootstrap over cells, its verdict and
  the smallest gap detectable with 80% power; for every agent the **IQM** over cells with a stratified bootstrap
  (:mod:`tournament.cell_stats`);
* the **probability of improvement** of each agent over each other one, against their common opponents;
* **pentanomial** counts per pairing, with the number of distinct games (move sequences) played;
* **normalised** scores (random play 0, perfect play 1) when the tournament has a ``random`` and a ``solver``
  agent: their cell scores against the same opponents are the references;
* per agent, the score on each **symmetry orbit** of the brick and (with a training split) by **distance** from
  the training cells, with cells as clusters (:mod:`tournament.cell_groups`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bttt.seeding import derive_seed
from tournament.bootstrap import DEFAULT_REPS, Interval, Strata
from tournament.cell_groups import CellGroup, distance_scores, orbit_scores
from tournament.cell_stats import (
    AgentStats,
    GapEstimate,
    agent_generalization,
    iqm,
    probability_of_improvement,
    train_novel_gap,
    training_layouts,
)
from tournament.pairs import PairCounts, PairTable, distinct_games, form_pairs
from tournament.rating_bootstrap import RatingBootstrap, bootstrap_ratings

RANDOM_AGENT = "random"
SOLVER_AGENT = "solver"

#: What each interval resamples, for the report's notes and the docs.
RATING_RESAMPLING = (
    "95% intervals: bootstrap of colour-swapped pairs, resampled within each (cell, pairing) stratum ({reps} "
    "replicates, n-1 of n pairs drawn, both games of a pair kept together) and refitted; cells and pairings are "
    "fixed. LOS over next: share of replicates rating the agent above the next one down."
)
GAP_RESAMPLING = (
    "Scores are per colour-swapped pair (points / 2), averaged per cell, cells weighing the same. Gap intervals: "
    "cluster bootstrap with cells as clusters (training and novel cells resampled separately, each with all its "
    "pairs; a single training cell resamples its pairs), {reps} replicates. 'detects' is the smallest gap this "
    "tournament detects with 80% power at alpha 0.05: an interval containing 0 then means no evidence, not no gap."
)
IQM_RESAMPLING = (
    "Interquartile mean of the pair scores pooled over cells, each cell weighing the same (the middle 50% of the "
    "weight), 95% stratified bootstrap: pairs resampled within each cell, cells fixed ({reps} replicates; Agarwal "
    "et al. 2021, cells as tasks, pairs as runs)."
)
GROUP_RESAMPLING = (
    "Score of a group of cells: the mean of its cell scores (mean pair score per layout). 95% intervals: cluster "
    "bootstrap with cells as clusters (G - 1 of the group's G cells drawn, each with all its pairs; a group of one "
    "cell resamples its pairs), {reps} replicates: replayed games count once per cell, not once per game."
)
POI_RESAMPLING = (
    "P(X > Y): rliable's probability of improvement, the mean over cells of P(a pair score of X beats one of Y) + "
    "half the ties, both scored against the opponents they share; X's and Y's pairs resampled within cells "
    "({reps} replicates). 50% = no difference."
)


@dataclass(frozen=True)
class PairingCounts:
    """The colour-swapped pairs of one pairing, from ``a``'s side."""

    a: str
    b: str
    counts: PairCounts
    games: int  # stored games of the pairing (crashes included)
    distinct: int  # distinct (layout, move sequence) among them


@dataclass(frozen=True)
class Improvement:
    """The probability that ``x`` improves on ``y``, against ``opponents``."""

    x: str
    y: str
    opponents: tuple[str, ...]
    value: Interval


@dataclass(frozen=True)
class NormalisedStats:
    """One agent's cell scores on the random-0 / perfect-1 scale, against ``opponents``."""

    agent: str
    opponents: tuple[str, ...]
    cells: int  # cells where the references differ (the others are left out)
    skipped: int  # cells played where the solver did not score above random
    iqm: Interval
    gap: GapEstimate | None
    iqm_novel: Interval | None


@dataclass
class TournamentStats:
    """Everything :func:`compute_stats` computes; agent order is the tournament's."""

    pairs: PairTable
    names: list[str]
    ratings: RatingBootstrap | None  # None without complete pairs
    agents: dict[str, AgentStats]
    training: dict[str, tuple[int, ...] | None]  # the cells each agent's split uses (None: a control)
    pairings: list[PairingCounts]
    improvement: list[Improvement]
    normalised: dict[str, NormalisedStats]
    references: tuple[str, str] | None  # (random agent, solver agent) when both are in the tournament
    normalised_note: str
    games: int
    distinct_games: int
    reps: int
    seed: int
    unpaired: int = field(default=0)
    by_orbit: dict[str, list[CellGroup]] = field(default_factory=dict)
    by_distance: dict[str, list[CellGroup]] = field(default_factory=dict)  # agents with training cells


def training_split(agents, train: tuple[int, ...] | None) -> dict[str, tuple[int, ...] | None]:
    """Each agent's training cells: those it declares, else ``train`` (the --train-bricks split), else None."""
    return {name: (tuple(own) if own else train) for name, _spec, own in agents}


def reference_agents(names: list[str]) -> tuple[str, str] | None:
    """(random agent, solver agent) when the tournament has both: the ends of the normalised scale."""
    rand = next((n for n in names if n == RANDOM_AGENT), None)
    solver = next((n for n in names if n.split(":", 1)[0] == SOLVER_AGENT), None)
    return (rand, solver) if rand and solver else None


def compute_stats(
    games, agents, train: tuple[int, ...] | None, config: dict, reps: int = DEFAULT_REPS
) -> TournamentStats:
    """The pair statistics of a tournament.

    Args:
        games: stored games (:class:`tournament.store.GameRow`).
        agents: ``(name, spec, training cells or None)`` of every agent, in the tournament's order.
        train: the --train-bricks cells for agents that declare none (None: they are controls).
        config: the tournament's configuration (rows, cols, seed, suite).
        reps: bootstrap replicates of every interval.
    """
    rows, cols, seed = config["rows"], config["cols"], int(config.get("seed", 0))
    names = [a[0] for a in agents]
    seen_layouts = list(dict.fromkeys([*config.get("suite", []), *(g.layout for g in games)]))
    pairs = form_pairs(games, agents=names, layouts=seen_layouts)
    ratings = bootstrap_ratings(pairs, reps, derive_seed(seed, "report", "ratings")) if len(pairs) else None
    training = training_split(agents, train)
    per_agent: dict[str, AgentStats] = {}
    for name in names:
        if not np.any((pairs.a == names.index(name)) | (pairs.b == names.index(name))):
            continue
        cells = training[name]
        mask = training_layouts(pairs.layouts, cells, rows, cols) if cells else None
        per_agent[name] = agent_generalization(pairs, name, mask, reps=reps, rng=derive_seed(seed, "report", name))
    by_orbit, by_distance = {}, {}
    for name in per_agent:
        rng = derive_seed(seed, "groups", name)
        by_orbit[name] = orbit_scores(pairs, name, training[name], rows, cols, reps, rng)
        if training[name]:
            by_distance[name] = distance_scores(pairs, name, training[name], rows, cols, reps, rng + 1)
    order = [names[i] for i in ratings.point.order()] if ratings is not None else names
    refs = reference_agents(names)
    normalised, note = _normalised_all(pairs, names, training, refs, reps, seed, rows, cols)
    return TournamentStats(
        pairs,
        names,
        ratings,
        per_agent,
        training,
        _pairings(games, pairs, names),
        _improvements(pairs, [n for n in order if n in per_agent], reps, seed),
        normalised,
        refs,
        note,
        len(games),
        distinct_games(games),
        reps,
        seed,
        len(pairs.unpaired),
        by_orbit,
        by_distance,
    )


def _pairings(games, pairs: PairTable, names: list[str]) -> list[PairingCounts]:
    by_pairing: dict[tuple[str, str], list] = {}
    for g in games:
        a, b = sorted((g.p1, g.p2), key=names.index)
        by_pairing.setdefault((a, b), []).append(g)
    out = []
    for (a, b), played in sorted(by_pairing.items(), key=lambda kv: (names.index(kv[0][0]), names.index(kv[0][1]))):
        out.append(PairingCounts(a, b, pairs.counts(a, [b]), len(played), distinct_games(played)))
    return out


def _common_opponents(pairs: PairTable, x: str, y: str) -> tuple[str, ...]:
    def opponents(agent: str) -> set[str]:
        _, opp, _ = pairs.select(agent)
        return {pairs.agents[i] for i in opp}

    return tuple(a for a in pairs.agents if a in opponents(x) & opponents(y) and a not in (x, y))


def _improvements(pairs: PairTable, order: list[str], reps: int, seed: int) -> list[Improvement]:
    """P(X > Y) for every two agents (X rated above Y), against the opponents both played."""
    out = []
    h = len(pairs.layouts)
    for i, x in enumerate(order):
        for y in order[i + 1 :]:
            opponents = _common_opponents(pairs, x, y)
            if not opponents:
                continue
            xc, xs = pairs.agent_scores(x, opponents)
            yc, ys = pairs.agent_scores(y, opponents)
            try:
                value = probability_of_improvement(xc, xs, yc, ys, h, reps=reps, rng=derive_seed(seed, "poi", x, y))
            except ValueError:  # no cell where both played these opponents
                continue
            out.append(Improvement(x, y, opponents, value))
    return out


def _cell_means(pairs: PairTable, agent: str, opponents) -> np.ndarray:
    cells, scores = pairs.agent_scores(agent, opponents)
    return Strata.from_labels(cells, len(pairs.layouts)).observed_means(scores)


def _normalised_all(pairs, names, training, refs, reps, seed, rows, cols) -> tuple[dict[str, NormalisedStats], str]:
    if refs is None:
        return {}, (
            "Normalised scores (random play 0, perfect play 1) need a 'random' and a 'solver' agent in the tournament."
        )
    rand, solver = refs
    out = {}
    for name in names:
        if name in refs:
            continue
        shared = set(_common_opponents(pairs, name, solver))
        opponents = tuple(a for a in _common_opponents(pairs, name, rand) if a in shared)
        if not opponents:
            continue
        r_cells, p_cells = _cell_means(pairs, rand, opponents), _cell_means(pairs, solver, opponents)
        cells, scores = pairs.agent_scores(name, opponents)
        valid = np.isfinite(r_cells) & np.isfinite(p_cells) & (p_cells > r_cells)
        played = np.bincount(cells, minlength=len(pairs.layouts)) > 0
        keep = valid[cells]
        if not keep.any():
            continue
        cells, scores = cells[keep], scores[keep]
        reference = (np.where(valid, r_cells, 0.0), np.where(valid, p_cells, 1.0))
        h = len(pairs.layouts)
        rng = derive_seed(seed, "normalised", name)
        overall = iqm(cells, scores, h, None, reps, rng, reference=reference)
        gap = novel = None
        split = training[name]
        if split:
            mask = np.asarray(training_layouts(pairs.layouts, split, rows, cols), dtype=bool)
            used = np.bincount(cells, minlength=h) > 0
            if (mask & used).any() and (~mask & used).any():
                gap = train_novel_gap(cells, scores, mask, reps, rng + 1, reference=reference)
                novel = iqm(cells, scores, h, ~mask, reps, rng + 2, reference=reference)
        out[name] = NormalisedStats(
            name, opponents, int((valid & played).sum()), int((played & ~valid).sum()), overall, gap, novel
        )
    note = (
        f"Normalised: (score - random) / (perfect - random) per cell, with the cell scores of {rand} (0) and {solver} "
        "(perfect play, 1) against the same opponents as the agent; cells where the solver did not score above "
        "random are left out. The references are taken as exact: their own sampling noise is not in the intervals."
    )
    return out, note
