"""The report's tables of pair statistics (:mod:`tournament.report_stats`): pentanomial counts per pairing,
generalization (gap, power, verdict), IQM over cells, probability of improvement and normalised scores.

Text cells show an estimate with its 95% interval (``62.5% [55.1, 70.0]``); the CSV and JSON columns hold the
numbers, an interval as its two ends (:attr:`tournament.tables.Table.raw_headers`).
"""

from __future__ import annotations

import math

from bttt.cells import cell_name
from tournament.bootstrap import Interval
from tournament.generalization import orbit_label
from tournament.report_stats import (
    GAP_RESAMPLING,
    GROUP_RESAMPLING,
    IQM_RESAMPLING,
    POI_RESAMPLING,
    TournamentStats,
)
from tournament.tables import Table, pct


def interval_text(iv: Interval | None, points: bool = False) -> str:
    """``62.5% [55.1, 70.0]`` (a score), or ``+8.1 [-3.0, +19.2]`` in percentage points (``points``)."""
    if iv is None or math.isnan(iv.value):
        return "-"
    if points:
        return f"{100 * iv.value:+.1f} [{100 * iv.low:+.1f}, {100 * iv.high:+.1f}]"
    return f"{100 * iv.value:.1f}% [{100 * iv.low:.1f}, {100 * iv.high:.1f}]"


def interval_raw(iv: Interval | None) -> list:
    return [None, None, None] if iv is None else [iv.value, iv.low, iv.high]


def verdict_word(gap) -> str:
    if gap is None:
        return "-"
    if gap.gap.low > 0:
        return "worse on novel"
    if gap.gap.high < 0:
        return "better on novel"
    return "not decided"


def pairs_table(stats: TournamentStats, labels: dict[str, str]) -> Table:
    """Pentanomial counts per pairing, from the first agent's side, with the distinct games played."""
    t = Table(
        "Colour-swapped pairs per pairing (A's points per pair: LL 0, LD 1/2, WL and DD 1, WD 3/2, WW 2)",
        ["A", "B", "pairs", "LL", "LD", "WL", "DD", "WD", "WW", "A's score", "games", "distinct games"],
    )
    t.raw = []
    for p in stats.pairings:
        c = p.counts
        t.rows.append(
            [labels[p.a], labels[p.b], str(c.pairs)]
            + [str(x) for x in (c.ll, c.ld, c.wl, c.dd, c.wd, c.ww)]
            + [pct(c.score), str(p.games), str(p.distinct)]
        )
        counts = [c.pairs, c.ll, c.ld, c.wl, c.dd, c.wd, c.ww]
        t.raw.append([labels[p.a], labels[p.b], *counts, c.score, p.games, p.distinct])
    t.note = (
        f"{stats.distinct_games} of {stats.games} games are distinct move sequences (per layout); replays of one "
        "game are not independent samples, so every interval resamples pairs or cells, never games."
    )
    if stats.unpaired:
        t.note += f" {stats.unpaired} games have no colour-swapped partner (it crashed or is not played yet): left out."
    return t


def generalization_table(stats: TournamentStats, labels: dict[str, str], config: dict, sources: dict) -> Table:
    """Train minus novel per agent: mean cell scores, the gap with its cluster-bootstrap interval, power, verdict."""
    rows, cols = config["rows"], config["cols"]
    t = Table(
        "Generalization: mean cell score on training versus novel layouts (gap = train - novel in percentage "
        "points, 95% CI)",
        ["agent", "training cells", "from", "cells", "train score", "novel score", "gap", "detects", "verdict"],
        raw_headers=[
            "agent",
            "training cells",
            "from",
            "train cells",
            "novel cells",
            "pairs",
            "train",
            "train low",
            "train high",
            "novel",
            "novel low",
            "novel high",
            "gap",
            "gap low",
            "gap high",
            "detectable gap",
            "verdict",
        ],
    )
    t.raw = []
    for name in stats.names:
        a = stats.agents.get(name)
        if a is None:
            continue
        split = stats.training[name]
        cells = ",".join(cell_name(c, rows, cols) for c in split) if split else "-"
        g = a.gap
        t.rows.append(
            [
                labels[name],
                cells,
                sources.get(name, "none"),
                f"{g.train_cells}+{g.novel_cells}" if g else str(int((a.cell_pairs > 0).sum())),
                interval_text(g.train) if g else "-",
                interval_text(g.novel) if g else "-",
                interval_text(g.gap, points=True) if g else "-",
                _detectable(g),
                verdict_word(g),
            ]
        )
        t.raw.append(
            [
                labels[name],
                cells,
                sources.get(name, "none"),
                g.train_cells if g else None,
                g.novel_cells if g else None,
                g.pairs if g else int(a.cell_pairs.sum()),
                *interval_raw(g.train if g else None),
                *interval_raw(g.novel if g else None),
                *interval_raw(g.gap if g else None),
                g.detectable if g else None,
                verdict_word(g),
            ]
        )
    t.note = (
        GAP_RESAMPLING.format(reps=stats.reps)
        + " 'detects' is in percentage points ('-' where the scores did not vary: no variance to judge power by)."
        " Agents without training cells use the --train-bricks split; with "
        "neither they are controls (IQM and per-cell scores only)."
    )
    return t


def _detectable(g) -> str:
    if g is None or not math.isfinite(g.detectable) or g.components.within == 0:
        return "-"
    return f"{100 * g.detectable:.1f}"


def iqm_table(stats: TournamentStats, labels: dict[str, str]) -> Table:
    t = Table(
        "Interquartile mean (IQM) of the cell scores, 95% CI",
        ["agent", "cells", "IQM, all cells", "IQM, novel cells"],
        raw_headers=["agent", "cells", "iqm", "iqm low", "iqm high", "novel iqm", "novel low", "novel high"],
    )
    t.raw = []
    for name in stats.names:
        a = stats.agents.get(name)
        if a is None:
            continue
        n = int((a.cell_pairs > 0).sum())
        t.rows.append([labels[name], str(n), interval_text(a.iqm), interval_text(a.iqm_novel)])
        t.raw.append([labels[name], n, *interval_raw(a.iqm), *interval_raw(a.iqm_novel)])
    t.note = IQM_RESAMPLING.format(reps=stats.reps)
    return t


def distance_table(stats: TournamentStats, labels: dict[str, str]) -> Table:
    """Score by Chebyshev distance of the brick from the agent's nearest training cell (agents with a split)."""
    t = Table(
        "Score by Chebyshev distance from the nearest training cell, 95% CI",
        ["agent", "distance", "cells", "pairs", "score"],
        raw_headers=["agent", "distance", "cells", "pairs", "score", "low", "high"],
    )
    t.raw = []
    for name in stats.names:
        for g in stats.by_distance.get(name, []):
            t.rows.append([labels[name], str(g.key), str(g.played), str(g.pairs), interval_text(g.score)])
            t.raw.append([labels[name], g.key, g.played, g.pairs, *interval_raw(g.score)])
    t.note = GROUP_RESAMPLING.format(reps=stats.reps)
    return t


def orbit_table(stats: TournamentStats, labels: dict[str, str], config: dict) -> Table:
    """Score by symmetry orbit of the brick (single-brick layouts)."""
    rows, cols = config["rows"], config["cols"]
    t = Table(
        "Score by symmetry orbit of the brick (single-brick layouts), 95% CI",
        ["agent", "orbit", "cells", "played", "training cells in orbit", "pairs", "score"],
        raw_headers=["agent", "orbit", "cells", "played", "training cells", "pairs", "score", "low", "high"],
    )
    t.raw = []
    for name in stats.names:
        for g in stats.by_orbit.get(name, []):
            cells = " ".join(cell_name(c, rows, cols) for c in g.key)
            row = [str(g.cells), str(g.played), str(g.training), str(g.pairs)]
            t.rows.append([labels[name], orbit_label(g.key, rows, cols), *row, interval_text(g.score)])
            t.raw.append([labels[name], cells, g.cells, g.played, g.training, g.pairs, *interval_raw(g.score)])
    t.note = GROUP_RESAMPLING.format(reps=stats.reps)
    return t


def improvement_table(stats: TournamentStats, labels: dict[str, str]) -> Table:
    t = Table(
        "Probability of improvement P(X > Y) over all cells, against the opponents X and Y share (95% CI)",
        ["X", "Y", "against", "P(X > Y)"],
        raw_headers=["X", "Y", "against", "P(X > Y)", "low", "high"],
    )
    t.raw = []
    for imp in stats.improvement:
        against = ", ".join(labels[o] for o in imp.opponents)
        t.rows.append([labels[imp.x], labels[imp.y], against, interval_text(imp.value)])
        t.raw.append([labels[imp.x], labels[imp.y], against, *interval_raw(imp.value)])
    t.note = POI_RESAMPLING.format(reps=stats.reps)
    return t


def normalised_table(stats: TournamentStats, labels: dict[str, str]) -> Table:
    t = Table(
        "Normalised scores (random play 0, perfect play 1), 95% CI",
        ["agent", "cells", "IQM, all cells", "IQM, novel cells", "gap (train - novel)", "verdict"],
        raw_headers=[
            "agent",
            "cells",
            "cells left out",
            "iqm",
            "iqm low",
            "iqm high",
            "novel iqm",
            "novel low",
            "novel high",
            "gap",
            "gap low",
            "gap high",
            "detectable gap",
            "verdict",
        ],
    )
    t.raw = []
    for name in stats.names:
        n = stats.normalised.get(name)
        if n is None:
            continue
        t.rows.append(
            [
                labels[name],
                str(n.cells) + (f" ({n.skipped} left out)" if n.skipped else ""),
                _plain(n.iqm),
                _plain(n.iqm_novel),
                _plain(n.gap.gap, sign=True) if n.gap else "-",
                verdict_word(n.gap),
            ]
        )
        t.raw.append(
            [
                labels[name],
                n.cells,
                n.skipped,
                *interval_raw(n.iqm),
                *interval_raw(n.iqm_novel),
                *interval_raw(n.gap.gap if n.gap else None),
                n.gap.detectable if n.gap else None,
                verdict_word(n.gap),
            ]
        )
    t.note = stats.normalised_note
    return t


def _plain(iv: Interval | None, sign: bool = False) -> str:
    if iv is None:
        return "-"
    f = "+.2f" if sign else ".2f"
    return f"{iv.value:{f}} [{iv.low:{f}}, {iv.high:{f}}]"


def stats_tables(stats: TournamentStats, labels: dict[str, str], config: dict, sources: dict) -> dict[str, Table]:
    """The tables of the pair statistics, by file stem (``improvement`` and ``normalised`` only with rows)."""
    out = {
        "pairs": pairs_table(stats, labels),
        "generalization": generalization_table(stats, labels, config, sources),
        "iqm": iqm_table(stats, labels),
        "by_distance": distance_table(stats, labels),
        "by_orbit": orbit_table(stats, labels, config),
    }
    optional = {"improvement": improvement_table(stats, labels), "normalised": normalised_table(stats, labels)}
    for stem, table in optional.items():
        if table.rows:  # none without common opponents (two agents) or without a solver
            out[stem] = table
    return out


def sprt_table(doc: dict, labels: dict[str, str]) -> Table:
    """A sequential test's result (:meth:`tournament.sprt_run.SprtRunResult.to_json`) as one row."""
    t = Table(
        f"Sequential test (pentanomial SPRT {doc['test']}): A = {labels.get(doc['a'], doc['a'])}, "
        f"B = {labels.get(doc['b'], doc['b'])}",
        ["rounds", "pairs", "LL, LD, 1 pt, WD, WW", "LLR", "bounds", "decision", "Elo of A - B (95% CI)"],
        raw_headers=["rounds", "pairs", "pentanomial", "llr", "lower", "upper", "stopped", "elo", "low", "high"],
    )

    def elo(x) -> str:
        return "-" if x is None else f"{x:+.1f}"

    t.rows.append(
        [
            str(doc["rounds"]),
            str(doc["pairs"]),
            " ".join(str(c) for c in doc["pentanomial"]),
            f"{doc['llr']:.2f}",
            f"({doc['lower_bound']:.2f}, {doc['upper_bound']:.2f})",
            doc["stopped"],
            f"{elo(doc['elo'])} [{elo(doc['elo_low'])}, {elo(doc['elo_high'])}]",
        ]
    )
    t.raw = [
        [
            doc["rounds"],
            doc["pairs"],
            " ".join(str(c) for c in doc["pentanomial"]),
            doc["llr"],
            doc["lower_bound"],
            doc["upper_bound"],
            doc["stopped"],
            doc["elo"],
            doc["elo_low"],
            doc["elo_high"],
        ]
    ]
    t.note = (
        f"{doc['pairs_per_round']} pairs per round (one per layout and opening, fresh openings every round), the "
        "test checked after each round. H1: A is about elo1 stronger than B; H0: about elo0; 'max rounds': not "
        "decided. The Elo interval is the pairs' normal approximation, not a test."
    )
    return t
