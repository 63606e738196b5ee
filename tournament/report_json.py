"""The tournament report as one JSON document (``bttt report --json``, ``bttt tournament --json``): the same
figures as the text summary and the CSV files -- every table with its raw values, and each agent's per-cell
scores -- for scripts."""

from __future__ import annotations

import numpy as np

from bttt.cells import cell_name
from tournament.report_stats_json import stats_document

FORMAT = "bttt-report"
VERSION = 2
CONFIG_KEYS = ("rows", "cols", "win_length", "seed", "suite", "games_per_colour", "move_time_limit", "train")


def table_document(table) -> dict:
    rows = table.raw if table.raw is not None else table.rows
    return {"title": table.title, "columns": list(table.columns), "rows": [list(r) for r in rows], "note": table.note}


def report_document(report, out=None, files: list[str] | None = None) -> dict:
    """The report's figures; ``out`` and ``files``: where its pages were written (None when they were not)."""
    rows, cols = report.config["rows"], report.config["cols"]
    heatmaps = {}
    for g in report.generalization:
        maps = g.heatmaps(rows, cols)
        heatmaps[report.labels[g.name]] = {
            "training_cells": None
            if g.training_cells is None
            else [cell_name(c, rows, cols) for c in g.training_cells],
            **{k: np.where(np.isnan(v), None, v).tolist() for k, v in maps.items()},
        }
    return {
        "format": FORMAT,
        "version": VERSION,
        "tournament": {k: report.config.get(k) for k in CONFIG_KEYS},
        "games": report.n_games,
        "runs": report.runs,
        "agents": [{"name": n, "label": label} for n, label in report.labels.items()],
        "tables": {stem: table_document(t) for stem, t in report.tables.items()},
        "heatmaps": heatmaps,
        "statistics": None if report.stats is None else stats_document(report.stats, report.labels, rows, cols),
        "sprt": report.sprt,
        "out": None if out is None else str(out),
        "files": files,
    }
