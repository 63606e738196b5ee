"""The pair statistics (:mod:`tournament.report_stats`) as JSON, the ``statistics`` object of ``bttt report --json``
(schema ``bttt/schemas/bttt-report.schema.json``): numbers only, intervals as ``{value, low, high, confidence}``,
``null`` where a figure is undefined."""

from __future__ import annotations

import math

from bttt.cells import cell_name
from tournament.bootstrap import Interval
from tournament.report_stats import (
    GAP_RESAMPLING,
    IQM_RESAMPLING,
    POI_RESAMPLING,
    RATING_RESAMPLING,
    TournamentStats,
)
from tournament.stats_tables import verdict_word


def _num(x) -> float | None:
    return None if x is None or not math.isfinite(float(x)) else float(x)


def interval_json(iv: Interval | None) -> dict | None:
    if iv is None:
        return None
    return {"value": _num(iv.value), "low": _num(iv.low), "high": _num(iv.high), "confidence": iv.confidence}


def _gap_json(g) -> dict | None:
    if g is None:
        return None
    return {
        "train": interval_json(g.train),
        "novel": interval_json(g.novel),
        "gap": interval_json(g.gap),
        "train_cells": g.train_cells,
        "novel_cells": g.novel_cells,
        "pairs": g.pairs,
        "detectable": _num(g.detectable) if g.components.within > 0 else None,
        "power": g.power,
        "alpha": g.alpha,
        "decided": g.decided,
        "verdict": verdict_word(g),
        "text": g.verdict(),
    }


def stats_document(stats: TournamentStats, labels: dict[str, str], rows: int, cols: int) -> dict:
    """The ``statistics`` object: what was resampled, ratings, pairings, per-agent generalization, improvement."""
    boot = stats.ratings
    ratings = []
    if boot is not None:
        lohi = boot.intervals()
        for i, name in enumerate(boot.names):
            ratings.append(
                {
                    "name": name,
                    "agent": labels[name],
                    "elo": _num(boot.elo[i]),
                    "low": _num(lohi[i, 0]),
                    "high": _num(lohi[i, 1]),
                }
            )
    first = None
    if boot is not None:
        fm, lo, hi = boot.first_move_interval()
        first = {"value": _num(fm), "low": _num(lo), "high": _num(hi), "confidence": boot.confidence}
    pairings = []
    for p in stats.pairings:
        c = p.counts
        pairings.append(
            {
                "a": labels[p.a],
                "b": labels[p.b],
                "pairs": c.pairs,
                "pentanomial": [int(x) for x in c.pentanomial],
                "classes": {"LL": c.ll, "LD": c.ld, "WL": c.wl, "DD": c.dd, "WD": c.wd, "WW": c.ww},
                "score": _num(c.score),
                "games": p.games,
                "distinct_games": p.distinct,
            }
        )
    agents = []
    for name in stats.names:
        a = stats.agents.get(name)
        if a is None:
            continue
        split = stats.training[name]
        n = stats.normalised.get(name)
        agents.append(
            {
                "name": name,
                "agent": labels[name],
                "training_cells": None if not split else [cell_name(c, rows, cols) for c in split],
                "cells": int((a.cell_pairs > 0).sum()),
                "pairs": int(a.cell_pairs.sum()),
                "iqm": interval_json(a.iqm),
                "iqm_novel": interval_json(a.iqm_novel),
                "gap": _gap_json(a.gap),
                "normalised": None
                if n is None
                else {
                    "against": [labels[o] for o in n.opponents],
                    "cells": n.cells,
                    "cells_left_out": n.skipped,
                    "iqm": interval_json(n.iqm),
                    "iqm_novel": interval_json(n.iqm_novel),
                    "gap": _gap_json(n.gap),
                },
            }
        )
    improvement = [
        {"x": labels[i.x], "y": labels[i.y], "against": [labels[o] for o in i.opponents], **interval_json(i.value)}
        for i in stats.improvement
    ]
    refs = stats.references
    return {
        "games": stats.games,
        "distinct_games": stats.distinct_games,
        "pairs": len(stats.pairs),
        "unpaired_games": stats.unpaired,
        "replicates": stats.reps,
        "resampling": {
            "ratings": RATING_RESAMPLING.format(reps=stats.reps),
            "generalization": GAP_RESAMPLING.format(reps=stats.reps),
            "iqm": IQM_RESAMPLING.format(reps=stats.reps),
            "improvement": POI_RESAMPLING.format(reps=stats.reps),
        },
        "ratings": ratings,
        "first_move_elo": first,
        "pairings": pairings,
        "agents": agents,
        "improvement": improvement,
        "normalisation": {"random": labels[refs[0]], "perfect": labels[refs[1]], "note": stats.normalised_note}
        if refs
        else None,
    }
