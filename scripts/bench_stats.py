"""Time the statistics of one tournament: rating intervals, per-agent generalization, probability of improvement.

    .venv/bin/python scripts/bench_stats.py [--cells 49] [--agents 5] [--openings 4] [--reps 2000]

The tournament is simulated (no games are played): every pairing plays each of ``--openings`` openings on
every cell as a colour-swapped pair, with outcomes drawn from a Bradley-Terry-Davidson model with a
first-move advantage. Baseline for the rating intervals: the same bootstrap replicates fitted one at a time
with ``tournament.rating.fit_ratings`` (on ``--baseline-reps`` replicates, scaled to ``--reps``); the batched
fit is checked to agree with it.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from tournament.cell_stats import agent_generalization, probability_of_improvement
from tournament.pairs import PairTable
from tournament.rating import fit_ratings
from tournament.rating_bootstrap import bootstrap_ratings, fit_ratings_batch


def simulated_pairs(agents: int, cells: int, openings: int, seed: int) -> PairTable:
    rng = np.random.default_rng(seed)
    strength = np.linspace(-1.5, 1.5, agents)
    cell_effect = rng.normal(0, 0.5, size=(agents, cells))  # agents differ by cell
    rows = [
        (i, j, c, k) for i in range(agents) for j in range(i + 1, agents) for c in range(cells) for k in range(openings)
    ]
    a, b, cell, opening = (np.array(x) for x in zip(*rows, strict=True))

    def play(first, second):
        x = strength[first] + cell_effect[first, cell] + 0.8
        y = strength[second] + cell_effect[second, cell]
        z = np.stack([x, y, -0.5 + (x + y) / 2], axis=1)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        return (rng.random(len(first))[:, None] > np.cumsum(p, axis=1)[:, :2]).sum(axis=1)

    return PairTable(
        tuple(f"agent{i}" for i in range(agents)),
        tuple(f"cell{c}" for c in range(cells)),
        a,
        b,
        cell,
        tuple(f"o{k}" for k in opening),
        np.zeros(len(a), dtype=np.int64),
        play(a, b),
        play(b, a),
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cells", type=int, default=49)
    ap.add_argument("--agents", type=int, default=5)
    ap.add_argument("--openings", type=int, default=4)
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--baseline-reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pairs = simulated_pairs(args.agents, args.cells, args.openings, args.seed)
    print(f"{args.agents} agents, {args.cells} cells, {args.openings} openings: {len(pairs)} pairs, {args.reps} reps")
    bootstrap_ratings(pairs, reps=10, rng=0)  # warm up

    t0 = time.perf_counter()
    rb = bootstrap_ratings(pairs, reps=args.reps, rng=1)
    t_ratings = time.perf_counter() - t0

    # Baseline: the first baseline-reps replicate count tables, refitted one by one with fit_ratings.
    rng = np.random.default_rng(1)
    names = list(pairs.agents)
    n = len(names)
    key = (pairs.layout * n + pairs.a) * n + pairs.b
    strata, stratum = np.unique(key, return_inverse=True)
    counts = []
    for _ in range(args.baseline_reps):
        w = np.zeros(len(pairs))
        for h in range(len(strata)):
            members = np.flatnonzero(stratum == h)
            m = max(len(members) - 1, 1)
            np.add.at(w, members[rng.integers(0, len(members), m)], len(members) / m)
        counts.append(pairs.outcome_counts(w))
    counts = np.stack(counts)
    t0 = time.perf_counter()
    slow = [fit_ratings(c, names) for c in counts]
    t_slow = (time.perf_counter() - t0) * args.reps / args.baseline_reps
    fast = fit_ratings_batch(counts)
    err = max(float(np.abs(fast[r, :n] - s.theta).max()) for r, s in enumerate(slow))

    t0 = time.perf_counter()
    train = [c == 24 for c in range(args.cells)]
    for agent in names:
        agent_generalization(pairs, agent, train, reps=args.reps, rng=2)
    t_gen = time.perf_counter() - t0

    t0 = time.perf_counter()
    others = names[2:]
    xc, xs = pairs.agent_scores(names[0], others)
    yc, ys = pairs.agent_scores(names[1], others)
    probability_of_improvement(xc, xs, yc, ys, args.cells, reps=args.reps, rng=3)
    t_poi = time.perf_counter() - t0

    print(f"{'what':58s} {'seconds':>8s}")
    print(f"{'rating intervals, batched fit (bootstrap_ratings)':58s} {t_ratings:8.3f}")
    print(f"{'rating intervals, fit_ratings per replicate (baseline)':58s} {t_slow:8.3f}")
    print(f"{'per-agent generalization, all agents (gap, IQM x2, power)':58s} {t_gen:8.3f}")
    print(f"{'probability of improvement, one pair of agents':58s} {t_poi:8.3f}")
    print(f"batched fit vs baseline: {t_slow / t_ratings:.1f}x faster; largest theta difference {err:.1e}")
    print(f"first agent: Elo {rb.elo[0]:+.0f} [{rb.interval(0)[0]:+.0f}, {rb.interval(0)[1]:+.0f}]")


if __name__ == "__main__":
    main()
