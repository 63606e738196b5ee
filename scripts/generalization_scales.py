"""The generalization study's two scales beside raw pair scores (docs/generalization.md): pair scores normalised
between random play (0) and perfect play (1), and move quality from the exact solver's verdict on every move.

Used by ``scripts/generalization_report.py``; the estimators are those of ``generalization_tables``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from generalization_tables import LAYOUTS, TRAIN_CELL, Pairs, agent_labels, fmt, gap_estimate, train_mask

from tournament.bootstrap import Strata, z_value
from tournament.store import Store


def read_quality(db: Path, agents: dict[str, str]) -> tuple[list, dict[str, str], dict[str, set[str]]]:
    """``bttt analyse``'s verdicts in ``db`` (empty before it ran), stored agent name -> label, training cells."""
    from tournament.analysis import read_verdicts

    if not db.exists() or not (verdicts := read_verdicts(db)):
        return [], {}, {}
    with Store(db, create=False) as store:
        labels, training = agent_labels(store, agents)
    return verdicts, labels, training


#: added to dense.db's game ids so that they stay apart from core.db's (the bootstrap resamples games by id)
DENSE_GAME_IDS = 10**9


def read_study_quality(work: Path, agents: dict[str, str]) -> tuple[list, dict[str, str], dict[str, set[str]]]:
    """The study's verdicts, as its pairs are taken: D4 from ``dense.db`` (16 openings) for every agent whose
    dense games are analysed, everything else from ``core.db``. Returns what :func:`read_quality` returns."""
    from dataclasses import replace

    core, labels, training = read_quality(work / "core.db", agents)
    dense, dense_labels, dense_training = read_quality(work / "dense.db", agents)
    if not dense:
        return core, labels, training
    labels, training = {**labels, **dense_labels}, {**training, **dense_training}
    dense_agents = {v.agent for v in dense if v.layout == TRAIN_CELL}
    kept = [v for v in core if not (v.layout == TRAIN_CELL and v.agent in dense_agents)]
    return kept + [replace(v, game_id=v.game_id + DENSE_GAME_IDS) for v in dense], labels, training


def quality_rows(verdicts, labels: dict[str, str], training: dict[str, set[str]], order, reps: int) -> list[dict]:
    """Move quality from the exact solver's verdict on every move (free of the opponent's strength): per agent
    (in ``order``), the optimal-move rate on its training cells and on novel cells, their difference with the
    two-stage bootstrap of :func:`tournament.report_quality.optimal_gap` (cells, then games within cells), and
    the blunder rates. Moves the solver's budget left undecided are counted and left out."""
    from tournament.report_quality import optimal_gap

    by_label: dict[str, list] = {}
    for v in verdicts:
        by_label.setdefault(labels.get(v.agent, v.agent), []).append(v)
    rows = []
    for label in [x for x in order if x in by_label]:
        items = by_label[label]
        train = train_mask(training.get(label, set()))
        g = optimal_gap(items, tuple(int(c) for c in np.flatnonzero(train)), reps=reps)
        if g is None:
            continue
        decided = [v for v in items if v.verdict != "undecided"]
        side = np.array([train[LAYOUTS.index(v.layout)] for v in decided])
        blunder = np.array([bool(v.blunder) for v in decided])
        rows.append(
            {
                "agent": label,
                "moves": len(items),
                "undecided": len(items) - len(decided),
                "games (train/novel)": f"{g['train_games']}/{g['novel_games']}",
                "optimal, train": f"{g['train']:.3f}",
                "optimal, novel": f"{g['novel']:.3f}",
                "train minus novel": f"{g['gap']:.3f} [{g['low']:.3f}, {g['high']:.3f}]",
                "decided": "yes" if g["low"] > 0 or g["high"] < 0 else "not decided",
                "detectable": f"{(z_value(0.975) + z_value(0.8)) * g['se']:.3f}",
                "blunders, train": f"{blunder[side].mean():.3f}" if side.any() else "-",
                "blunders, novel": f"{blunder[~side].mean():.3f}" if (~side).any() else "-",
                "p": f"{g['p']:.4f}",
            }
        )
    return rows


def reference_scores(p: Pairs, random: str, perfect: str, opponents: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Per opponent, a (2, cells) array: random play's and perfect play's mean pair score on each cell against it
    (nan where either did not play), the ends of the normalised scale."""
    out = {}
    for o in opponents:
        ends = []
        for agent in (random, perfect):
            idx = p.of(agent, (o,))
            ends.append(Strata.from_labels(p.layout[idx], len(LAYOUTS)).observed_means(p.score[idx]))
        out[o] = np.array(ends)
    return out


def normalised_row(p: Pairs, agent: str, opponents: tuple[str, ...], ends: dict[str, np.ndarray], reps: int):
    """The train-minus-novel gap of ``agent`` on the scale random play = 0, perfect play = 1 (per opponent and
    cell, :func:`tournament.cell_stats.normalise`), estimated as :func:`gap_estimate` does; None without both
    sides. Pairs on a cell where the two ends are missing or equal are left out and counted."""
    from tournament.cell_stats import normalise

    idx = p.of(agent, opponents)
    if not len(idx):
        return None
    lo = np.array([ends[o][0, c] for o, c in zip(p.opponent[idx], p.layout[idx], strict=True)])
    hi = np.array([ends[o][1, c] for o, c in zip(p.opponent[idx], p.layout[idx], strict=True)])
    scores = normalise(p.score[idx], lo, hi)
    keep = ~np.isnan(scores)
    cells, scores = p.layout[idx][keep], scores[keep]
    train = train_mask(p.training.get(agent, set()))
    if not np.any(train[cells]) or np.all(train[cells]):
        return None
    est = gap_estimate(cells, scores, train, reps, 8)
    return {
        "agent": agent,
        "pairs": int(keep.sum()),
        "left out": int((~keep).sum()),
        "train, normalised": fmt(est.train),
        "novel, normalised": fmt(est.novel),
        "gap": fmt(est.gap),
        "decided": "yes" if est.gap.excludes(0.0) else "not decided",
        "detectable": f"{est.detectable:.3f}",
        "p": f"{est.p:.4f}",
    }
