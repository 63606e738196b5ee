#!/usr/bin/env python
"""Coverage of the novel-cell IQM's interval on a real tournament: bttt's pooled IQM beside trimmed cell means.

Usage::

    python scripts/iqm_calibration.py --db runs/generalization/core.db --train D4 --tournaments 150

For each agent, each cell's observed pair scores (against every opponent) are taken as that cell's true
distribution. Simulated tournaments draw as many pairs per cell from it as were played; the script counts how
often each method's 95% interval holds its own true value:

* ``pooled``: :func:`tournament.cell_stats.iqm`, the IQM of the pair scores pooled over cells (cells weighing
  the same), stratified bootstrap. Its truth is the IQM of the cells' pooled true distributions.
* ``cell means``: the IQM of the cell means (``int(0.25 G)`` cut from each end), the same stratified bootstrap
  (Rao-Wu, n - 1 of a cell's n pairs). Its truth is the IQM of the true cell means. This was bttt's method
  before; with a few pairs per cell its estimate is biased (the noise of each mean moves which cells the trim
  cuts), so its intervals miss.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tournament.bootstrap import Strata
from tournament.cell_stats import iqm
from tournament.pairs import form_pairs
from tournament.store import Store


def cell_means_iqm(strata: Strata, scores: np.ndarray, reps: int, rng: np.random.Generator) -> tuple[float, ...]:
    """(estimate, low, high) of the IQM of cell means, ``int(0.25 G)`` cut from each end."""

    def cut(x: np.ndarray) -> np.ndarray:
        x = np.sort(x, axis=-1)
        k = int(0.25 * x.shape[-1])
        return x[..., k : x.shape[-1] - k].mean(axis=-1)

    use = strata.size > 0
    lo, hi = np.quantile(cut(strata.means(scores, reps, rng)[:, use]), [0.025, 0.975])
    return float(cut(strata.observed_means(scores)[use])), lo, hi


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, required=True, help="a tournament database")
    parser.add_argument("--train", default="D4", help="the training cell, left out (novel cells only)")
    parser.add_argument("--tournaments", type=int, default=150)
    parser.add_argument("--reps", type=int, default=500, help="bootstrap replicates per tournament")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not args.db.is_file():
        sys.exit(f"{args.db}: no such database; give a tournament database with --db")
    with Store(args.db, create=False) as store:
        pairs = form_pairs(store.games())
    rng = np.random.default_rng(args.seed)
    print(f"{'agent':60s} pairs/cell   IQM  pooled  cell means")
    for agent in pairs.agents:
        cells, scores = pairs.agent_scores(agent)
        if args.train in pairs.layouts:
            keep = cells != pairs.layout_index(args.train)
            cells, scores = cells[keep], scores[keep]
        strata = Strata.from_labels(cells, len(pairs.layouts))
        if np.count_nonzero(strata.size) < 8:
            continue
        truth = iqm(cells, scores, reps=1, rng=0).value
        truth_means = cell_means_iqm(strata, scores, 1, rng)[0]
        pooled_in = means_in = 0
        for _ in range(args.tournaments):
            new = np.empty_like(scores)
            for h in np.flatnonzero(strata.size):
                items = strata.order[strata.start[h] : strata.start[h] + strata.size[h]]
                new[items] = scores[rng.choice(items, size=len(items))]
            est = iqm(cells, new, reps=args.reps, rng=rng)
            pooled_in += est.low <= truth <= est.high
            _, lo, hi = cell_means_iqm(strata, new, args.reps, rng)
            means_in += lo <= truth_means <= hi
        n = args.tournaments
        per_cell = strata.size[strata.size > 0].mean()
        print(f"{agent[:60]:60s} {per_cell:10.1f} {truth:5.3f} {pooled_in / n:7.2f} {means_in / n:11.2f}", flush=True)
    print(f"coverage of 95% intervals over {args.tournaments} simulated tournaments each (sd about 0.018 at 0.95)")


if __name__ == "__main__":
    main()
