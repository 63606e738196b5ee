"""Tables and figures of the generalization study (docs/generalization.md) from its tournament databases.

Used by ``scripts/generalization_study.py figures``. The unit is the colour-swapped pair (its score is the
agent's points / 2); D4's pairs come from the dense D4 tournament where the agent played it, every other cell's
from the 49-cell one. Intervals are 95% bootstrap intervals (``tournament.bootstrap`` conventions: *n - 1* of
*n* drawn). A group of cells is resampled with cells as clusters; a single cell (D4) by its pairs.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bttt import cell_name
from tournament.bootstrap import Strata, as_generator, interval_from, z_value
from tournament.cell_stats import iqm, probability_of_improvement, training_layouts
from tournament.multiplicity import bootstrap_p_value
from tournament.pairs import distinct_games, form_pairs
from tournament.power import variance_components
from tournament.store import Store

LAYOUTS = tuple(cell_name(i) for i in range(49))
TRAIN_CELL = "D4"
RUN_WALL: dict[str, float] = {}  # database file name -> wall seconds of its finished tournament runs


@dataclass
class Pairs:
    """Every pair of the study from one agent's side: parallel arrays."""

    agent: np.ndarray  # label
    opponent: np.ndarray  # label
    layout: np.ndarray  # index into LAYOUTS
    key: np.ndarray  # "<opening>#<index>", the same opening for every pairing
    score: np.ndarray  # points / 2
    training: dict[str, set[str]]  # label -> training cells (empty for search agents)

    def of(self, agent: str, opponents: tuple[str, ...] | None = None) -> np.ndarray:
        mask = self.agent == agent
        if opponents is not None:
            mask &= np.isin(self.opponent, opponents)
        return np.flatnonzero(mask)


def agent_labels(store: Store, agents: dict[str, str]) -> tuple[dict[str, str], dict[str, set[str]]]:
    by_spec = {spec: label for label, spec in agents.items()}
    labels, training = {}, {}
    for name, spec, cells in store.agents():
        label = by_spec.get(spec, spec)
        labels[name] = label
        training[label] = set() if cells is None else {cell_name(c) for c in cells}
    return labels, training


def _rows(db: Path, agents: dict[str, str]) -> tuple[list[tuple], dict[str, set[str]], int, int]:
    with Store(db, create=False) as store:
        labels, training = agent_labels(store, agents)
        games = store.games()
        RUN_WALL[db.name] = sum(r["wall_time"] or 0.0 for r in store.runs())
    table = form_pairs(games)
    rows = []
    for i in range(len(table)):
        a, b = labels[table.agents[table.a[i]]], labels[table.agents[table.b[i]]]
        pts = float(table.points_a[i])
        layout = LAYOUTS.index(table.layouts[table.layout[i]])
        key = f"{table.opening[i]}#{table.index[i]}"
        rows.append((a, b, layout, key, pts / 2))
        rows.append((b, a, layout, key, 1 - pts / 2))
    return rows, training, len(games), distinct_games(games)


def load_pairs(
    work: Path, agents: dict[str, str], dbs: tuple[str, str] = ("core.db", "dense.db")
) -> tuple[Pairs, dict[str, tuple[int, int]]]:
    """The study's pairs: D4 from the dense database (``dbs[1]``, 16 openings) where present for (agent,
    opponent), other cells from the 49-cell one (``dbs[0]``)."""
    core_db, dense_db = dbs
    core, training, n_core, d_core = _rows(work / core_db, agents)
    info = {core_db: (n_core, d_core)}
    dense: list[tuple] = []
    if (work / dense_db).exists():
        dense, t2, n_dense, d_dense = _rows(work / dense_db, agents)
        training.update(t2)
        info[dense_db] = (n_dense, d_dense)
    d4 = LAYOUTS.index(TRAIN_CELL)
    dense_keys = {(r[0], r[1]) for r in dense}
    rows = [r for r in core if not (r[2] == d4 and (r[0], r[1]) in dense_keys)] + dense
    cols = list(zip(*rows, strict=True))
    return (
        Pairs(
            np.array(cols[0]),
            np.array(cols[1]),
            np.array(cols[2], dtype=np.int64),
            np.array(cols[3]),
            np.array(cols[4], dtype=float),
            training,
        ),
        info,
    )


def train_mask(training: set[str]) -> np.ndarray:
    """Training cells of an agent; a search agent (none declared) is split at D4 like the paper's baseline."""
    cells = training or {TRAIN_CELL}
    return np.array(training_layouts(LAYOUTS, [LAYOUTS.index(c) for c in cells]), dtype=bool)


@dataclass(frozen=True)
class Gap:
    """Mean pair score on the training cells and on the novel cells, their difference and its power."""

    train: object  # tournament.bootstrap.Interval
    novel: object
    gap: object
    detectable: float  # smallest gap detected with 80% power by a two-sided 5% test
    p: float  # p-value of "no gap" from the bootstrap standard error


def gap_estimate(cells: np.ndarray, scores: np.ndarray, train: np.ndarray, reps: int, seed: int) -> Gap:
    """Train minus novel. The training cells are fixed by the design (a network trains on these cells, not on
    cells drawn from a population), so their pairs are resampled within each cell; the novel cells stand for
    cells like them, so they are resampled as clusters (G - 1 of G, each with its observed mean). For one
    training cell this is ``tournament.cell_stats.train_novel_gap``; for 2-3 training cells that function's
    cluster draw of 1-2 cells ignores the noise within them, which this does not."""
    rng = as_generator(seed)
    h = len(LAYOUTS)
    strata = Strata.from_labels(cells, h)
    means = strata.observed_means(scores)
    played = strata.size > 0
    t, n = np.flatnonzero(played & train), np.flatnonzero(played & ~train)
    t_rep = strata.means(scores, reps, rng)[:, t].mean(axis=1)
    outer = Strata.from_labels(np.zeros(len(n), dtype=np.int64), 1)
    n_rep = means[n[outer.resample(reps, rng)]].mean(axis=1)
    t_obs, n_obs = float(means[t].mean()), float(means[n].mean())
    within = variance_components(cells, scores, h).within
    novel_pairs = np.isin(cells, n)
    between = variance_components(cells[novel_pairs], scores[novel_pairs], h).between
    v_train = float(np.sum(within / strata.size[t])) / len(t) ** 2
    v_novel = (between + within / float(np.mean(strata.size[n]))) / len(n)
    det = (z_value(0.975) + z_value(0.8)) * float(np.sqrt(v_train + v_novel))
    return Gap(
        interval_from(t_obs, t_rep),
        interval_from(n_obs, n_rep),
        interval_from(t_obs - n_obs, t_rep - n_rep),
        det,
        bootstrap_p_value(t_obs - n_obs, t_rep - n_rep),
    )


def cluster_mean(cells: np.ndarray, values: np.ndarray, include: np.ndarray, reps: int, rng) -> tuple:
    """Mean over the included cells of each cell's mean value, cells resampled as clusters (G - 1 of G): its
    interval, the difference from 0 detectable with 80% power, the number of cells and the p-value of 0."""
    strata = Strata.from_labels(cells, len(LAYOUTS))
    means = strata.observed_means(values)
    group = np.flatnonzero((strata.size > 0) & include)
    outer = Strata.from_labels(np.zeros(len(group), dtype=np.int64), 1)
    reps_means = means[group[outer.resample(reps, as_generator(rng))]].mean(axis=1)
    observed = float(np.mean(means[group]))
    iv = interval_from(observed, reps_means)
    se = float(np.std(reps_means, ddof=1))
    return iv, (z_value(0.975) + z_value(0.8)) * se, len(group), bootstrap_p_value(observed, reps_means)


def matched(p: Pairs, x: str, y: str, opponents: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(layout, score of x - score of y) over the pairs both played against the same opponent and opening."""
    ys = {(p.opponent[i], p.layout[i], p.key[i]): p.score[i] for i in p.of(y, opponents)}
    lay, diff = [], []
    for i in p.of(x, opponents):
        k = (p.opponent[i], p.layout[i], p.key[i])
        if k in ys:
            lay.append(p.layout[i])
            diff.append(p.score[i] - ys[k])
    return np.array(lay, dtype=np.int64), np.array(diff, dtype=float)


def fmt(iv) -> str:
    return f"{iv.value:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def gap_row(p: Pairs, agent: str, opponents: tuple[str, ...], reps: int) -> dict:
    idx = p.of(agent, opponents)
    cells, scores = p.layout[idx], p.score[idx]
    train = train_mask(p.training.get(agent, set()))
    per_cell = np.bincount(cells, minlength=len(LAYOUTS))
    if not np.any(train & (per_cell > 0)) or not np.any(~train & (per_cell > 0)):
        overall, _, _, _ = cluster_mean(cells, scores, np.ones(len(LAYOUTS), dtype=bool), reps, 0)
        return {
            "agent": agent,
            "opponents": " + ".join(opponents),
            "train cells": int(np.sum(train & (per_cell > 0))),
            "novel cells": int(np.sum(~train & (per_cell > 0))),
            "train pairs": int(per_cell[train].sum()),
            "novel pairs": int(per_cell[~train].sum()),
            "train score": fmt(overall) if np.any(train & (per_cell > 0)) else "-",
            "novel score": fmt(overall) if np.any(~train & (per_cell > 0)) else "-",
            "gap": "-",
            "gap decided": "-",
            "detectable gap": "-",
            "novel IQM": "-",
            "p": "-",
        }
    est = gap_estimate(cells, scores, train, reps, 0)
    det = est.detectable
    novel_iqm = iqm(cells, scores, len(LAYOUTS), ~train, reps=reps, rng=1)
    decided = "yes" if est.gap.excludes(0.0) else "not decided"
    return {
        "agent": agent,
        "opponents": " + ".join(opponents),
        "train cells": int(np.sum(train & (per_cell > 0))),
        "novel cells": int(np.sum(~train & (per_cell > 0))),
        "train pairs": int(per_cell[train].sum()),
        "novel pairs": int(per_cell[~train].sum()),
        "train score": fmt(est.train),
        "novel score": fmt(est.novel),
        "gap": fmt(est.gap),
        "gap decided": decided,
        "detectable gap": f"{det:.3f}",
        "novel IQM": fmt(novel_iqm),
        "p": f"{est.p:.4f}",
    }


def write_csv(path: Path, rows: list[dict]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def markdown(rows: list[dict], columns: list[str] | None = None) -> str:
    cols = columns or list(rows[0])
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    out += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(out)


def relative_to_search(p: Pairs, agent: str, minimax: str, mcts: str, reps: int) -> dict | None:
    """The agent's pair scores minus the other classic agent's against the same opponent, cell and opening."""
    l1, d1 = matched(p, agent, minimax, (mcts,))
    l2, d2 = matched(p, agent, mcts, (minimax,))
    cells, diff = np.concatenate([l1, l2]), np.concatenate([d1, d2])
    if not len(cells):
        return None
    train = train_mask(p.training.get(agent, set()))
    if not np.any(train[cells]) or np.all(train[cells]):
        return None
    est = gap_estimate(cells, diff, train, reps, 2)
    det = est.detectable
    novel, novel_det, _, _ = cluster_mean(cells, diff, ~train, reps, 3)
    return {
        "agent": agent,
        "matched pairs": len(cells),
        "relative score, train": fmt(est.train),
        "relative score, novel": fmt(novel),
        "novel detectable": f"{novel_det:.3f}",
        "gap minus search's gap": fmt(est.gap),
        "decided": "yes" if est.gap.excludes(0.0) else "not decided",
        "detectable": f"{det:.3f}",
        "p": f"{est.p:.4f}",
    }


def paired_step(p: Pairs, x: str, y: str, opponents: tuple[str, ...], include: np.ndarray, reps: int) -> dict | None:
    """x minus y (same opponents, cells, openings) on the included cells and on D4; POI of x over y."""
    cells, diff = matched(p, x, y, opponents)
    if not len(cells) or not np.any(include[cells]):
        return None
    mean, det, g, p_mean = cluster_mean(cells, diff, include, reps, 4)
    d4 = cells == LAYOUTS.index(TRAIN_CELL)
    d4_iv = None
    if d4.sum() > 1:
        s = Strata.from_labels(np.zeros(int(d4.sum()), dtype=np.int64), 1)
        d4_iv = interval_from(float(diff[d4].mean()), s.means(diff[d4], reps, as_generator(5))[:, 0])
    gap = "-"
    d4_mask = train_mask(set())
    if d4.sum() > 1 and np.any(include[cells] & ~d4):
        keep = include[cells] | d4
        est = gap_estimate(cells[keep], diff[keep], d4_mask, reps, 7)
        gap = f"{fmt(est.gap)} (detectable {est.detectable:.3f})"
    xi, yi = p.of(x, opponents), p.of(y, opponents)
    poi = probability_of_improvement(
        p.layout[xi], p.score[xi], p.layout[yi], p.score[yi], len(LAYOUTS), include, reps=reps, rng=6
    )
    return {
        "x": x,
        "y": y,
        "cells": g,
        "matched pairs": int(include[cells].sum()),
        "x - y on these cells": fmt(mean),
        "decided": "yes" if mean.excludes(0.0) else "not decided",
        "detectable": f"{det:.3f}",
        "P(x > y)": fmt(poi),
        "x - y on D4": "-" if d4_iv is None else f"{fmt(d4_iv)} ({int(d4.sum())} pairs)",
        "D4 minus these cells": gap,
        "p": f"{p_mean:.4f}",
    }


def cell_grid(p: Pairs, agent: str, opponents: tuple[str, ...]) -> np.ndarray:
    idx = p.of(agent, opponents)
    s = Strata.from_labels(p.layout[idx], len(LAYOUTS))
    return s.observed_means(p.score[idx]).reshape(7, 7)


def run_steps(steps: dict[str, list[float]]) -> list[dict]:
    """A training step with the *run* as the unit: each independent training run's paired step (its x - y on the
    same cells), their mean and a t interval over runs (n - 1 degrees of freedom). Every run's own sampling noise
    is part of the spread between runs, so the interval is about the recipe, not about one network; with two or
    three runs it is wide, and ``detectable`` (80% power at this spread) says how wide.

    Args:
        steps: step name -> one value per run (the same step and cells in each); steps with fewer than two runs
            are left out.
    """
    from scipy import stats

    rows = []
    for name, values in steps.items():
        d = np.asarray(values, dtype=float)
        if len(d) < 2:
            continue
        n, mean, se = len(d), float(d.mean()), float(d.std(ddof=1) / np.sqrt(len(d)))
        t975, t80 = stats.t.ppf(0.975, n - 1), stats.t.ppf(0.8, n - 1)
        p = 2 * stats.t.sf(abs(mean) / se, n - 1) if se > 0 else float(mean == 0.0)
        lo, hi = mean - t975 * se, mean + t975 * se
        rows.append(
            {
                "step": name,
                "runs": n,
                "each run": ", ".join(f"{v:+.3f}" for v in d),
                "mean over runs": f"{mean:.3f} [{lo:.3f}, {hi:.3f}]",
                "decided": "yes" if lo > 0 or hi < 0 else "not decided",
                "same sign in every run": "yes" if np.all(d > 0) or np.all(d < 0) else "no",
                "detectable": f"{(t975 + t80) * se:.3f}",
                "p": f"{p:.4f}",
            }
        )
    return rows
