"""The report's move quality, when ``bttt analyse`` has judged the games: an opponent-free measure of play.

From the verdicts of :mod:`tournament.analysis` (every move: optimal, inaccuracy, blunder or undecided, judged by
the exact solver) this module builds, per agent:

* ``move_quality``: the optimal-move and blunder rates as O, as X and both, with 95% intervals from a bootstrap
  that resamples whole games (a game's moves are one cluster);
* ``move_quality_gap``: the optimal-move rate on the agent's training cells minus that on novel cells, with a
  95% interval from a two-stage bootstrap (cells resampled within each side, then games within each cell), so a
  single training cell's few games and the spread between cells both count;
* ``worst_moves``: its costliest proven mistakes, each pointing to the game id and ply (``bttt show --game ID``);
* ``blunder_cells``: the blunder rate with the brick on each cell, drawn as a 7x7 heatmap per agent.

Moves the solver could not decide are counted and shown, never guessed. The hooks in :mod:`tournament.report`,
:mod:`tournament.page` and the figures are :func:`quality_tables`, :func:`quality_blocks` and
:func:`write_quality_figures`.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from bttt.cells import cell_name
from bttt.layouts import parse_layout
from tournament.analysis import MoveVerdict, move_rates, read_verdicts, worst_moves
from tournament.multiplicity import bootstrap_p_value
from tournament.rates import RateEstimate
from tournament.tables import Table, pct

GAP_REPS = 2000
WORST_PER_AGENT = 5
INTRO = (
    "Every move was judged by the exact solver (bttt analyse): optimal when it keeps the best value available, a "
    "blunder when it turns a win into a draw or loss, or a draw into a loss. Intervals resample whole games. "
    "Moves the solver's budget could not decide are counted as undecided, never guessed."
)


def _interval(e: RateEstimate | None) -> str:
    return "-" if e is None else f"{pct(e.rate)} [{pct(e.low)}, {pct(e.high)}]"


def quality_tables(db: str | Path, generalization, labels: dict[str, str], rows: int = 7, cols: int = 7) -> dict:
    """The move-quality tables of the report (empty when ``bttt analyse`` has not run on ``db``).

    Args:
        db: the tournament database.
        generalization: the report's :class:`tournament.generalization.AgentGeneralization` list (for each
            agent's training cells).
        labels: agent name -> label.
    """
    verdicts = read_verdicts(db)
    if not verdicts:
        return {}
    training = {g.name: g.training_cells for g in generalization}
    return {
        "move_quality": rate_table(verdicts, labels),
        "move_quality_gap": gap_table(verdicts, training, labels, rows, cols),
        "worst_moves": worst_table(verdicts, labels, rows, cols),
        "blunder_cells": cell_table(verdicts, labels, rows, cols),
    }


def rate_table(verdicts: list[MoveVerdict], labels: dict[str, str]) -> Table:
    t = Table(
        "Move quality per agent and colour (exact solver; 95% intervals resample games)",
        ["agent", "colour", "moves", "optimal", "blunders", "undecided"],
    )
    rows = move_rates(verdicts, ("agent",)) + move_rates(verdicts, ("agent", "colour"))
    rows.sort(key=lambda r: (labels.get(r.group[0], r.group[0]), len(r.group), r.group[1:]))
    t.raw = []
    for r in rows:
        colour = r.group[1] if len(r.group) > 1 else "both"
        t.rows.append(
            [
                labels.get(r.group[0], r.group[0]),
                colour,
                str(r.moves),
                _interval(r.optimal),
                _interval(r.blunder),
                str(r.undecided_verdict),
            ]
        )
        t.raw.append(
            [labels.get(r.group[0], r.group[0]), colour, r.moves]
            + [x for e in (r.optimal, r.blunder) for x in ((e.rate, e.low, e.high) if e else (None,) * 3)]
            + [r.undecided_verdict]
        )
    t.raw_headers = [
        "agent",
        "colour",
        "moves",
        "optimal",
        "optimal low",
        "optimal high",
        "blunder",
        "blunder low",
        "blunder high",
        "undecided",
    ]
    return t


def _is_train(layout: str, cells: tuple[int, ...], rows: int, cols: int) -> bool:
    bricks = parse_layout(layout, rows, cols)
    return bool(bricks) and all(b in cells for b in bricks)


def optimal_gap(
    verdicts: list[MoveVerdict], train_cells: tuple[int, ...], rows: int = 7, cols: int = 7, reps: int = GAP_REPS
) -> dict | None:
    """Train minus novel optimal-move rate of one agent's decided moves, with a two-stage bootstrap interval.

    Returns None unless both sides have decided moves. The interval resamples the cells of each side with
    replacement and, within each drawn cell, its games with replacement (seeded, so the report is
    reproducible); ``se`` is the replicates' standard deviation and ``p`` the Wald p-value of no gap from it
    (:func:`tournament.multiplicity.bootstrap_p_value`).
    """
    per_game: dict[tuple[bool, str, int], list[float]] = {}
    for v in verdicts:
        if v.verdict == "undecided":
            continue
        key = (_is_train(v.layout, train_cells, rows, cols), v.layout, v.game_id)
        acc = per_game.setdefault(key, [0.0, 0.0])
        acc[0] += v.verdict == "optimal"
        acc[1] += 1
    sides: dict[bool, dict[str, np.ndarray]] = {True: {}, False: {}}
    for (train, layout, _), (hit, n) in per_game.items():
        sides[train].setdefault(layout, []).append((hit, n))
    if not sides[True] or not sides[False]:
        return None
    arrays = {s: [np.array(g) for g in cells.values()] for s, cells in sides.items()}

    def rate(cells: list[np.ndarray]) -> float:
        both = np.concatenate(cells)
        return float(both[:, 0].sum() / both[:, 1].sum())

    point = rate(arrays[True]) - rate(arrays[False])
    rng = np.random.default_rng(12)
    diffs = np.empty(reps)
    for k in range(reps):
        r = []
        for s in (True, False):
            cells = arrays[s]
            drawn = [cells[i] for i in rng.integers(0, len(cells), len(cells))]
            r.append(rate([g[rng.integers(0, len(g), len(g))] for g in drawn]))
        diffs[k] = r[0] - r[1]
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    return {
        "p": bootstrap_p_value(point, diffs),
        "se": float(np.std(diffs, ddof=1)),
        "train": rate(arrays[True]),
        "novel": rate(arrays[False]),
        "gap": point,
        "low": float(lo),
        "high": float(hi),
        "train_cells": len(arrays[True]),
        "novel_cells": len(arrays[False]),
        "train_games": sum(len(g) for g in arrays[True]),
        "novel_games": sum(len(g) for g in arrays[False]),
    }


def gap_table(verdicts, training: dict, labels: dict[str, str], rows: int = 7, cols: int = 7) -> Table:
    t = Table(
        "Optimal-move rate, training cells minus novel cells (95% interval: cells, then games, resampled)",
        ["agent", "training cells", "train", "novel", "difference", "95% interval", "cells (train/novel)"],
    )
    t.raw = []
    by_agent: dict[str, list[MoveVerdict]] = {}
    for v in verdicts:
        by_agent.setdefault(v.agent, []).append(v)
    for agent, items in sorted(by_agent.items(), key=lambda kv: labels.get(kv[0], kv[0])):
        cells = training.get(agent)
        label = labels.get(agent, agent)
        g = optimal_gap(items, cells, rows, cols) if cells else None
        named = ",".join(cell_name(c, rows, cols) for c in cells) if cells else "none"
        if g is None:
            why = "no training cells" if not cells else "not both train and novel cells analysed"
            t.rows.append([label, named, "-", "-", "-", why, "-"])
            t.raw.append([label, named, None, None, None, None, None, None, None])
            continue
        t.rows.append(
            [
                label,
                named,
                pct(g["train"]),
                pct(g["novel"]),
                f"{100 * g['gap']:+.1f} pts",
                f"[{100 * g['low']:+.1f}, {100 * g['high']:+.1f}]",
                f"{g['train_cells']}/{g['novel_cells']}",
            ]
        )
        t.raw.append(
            [label, named, g["train"], g["novel"], g["gap"], g["low"], g["high"], g["train_cells"], g["novel_cells"]]
        )
    t.raw_headers = ["agent", "training cells", "train", "novel", "gap", "low", "high", "train cells", "novel cells"]
    t.note = "An interval that contains 0 does not decide whether the agent plays better on its training cells."
    return t


def worst_table(verdicts, labels: dict[str, str], rows: int = 7, cols: int = 7) -> Table:
    t = Table(
        f"Each agent's worst moves (up to {WORST_PER_AGENT}; open one with bttt show --db DB --game ID)",
        ["agent", "game", "ply", "brick", "colour", "before (for the mover)", "after", "verdict"],
    )
    t.raw = []
    agents = sorted({v.agent for v in verdicts}, key=lambda a: labels.get(a, a))
    for agent in agents:
        for v in worst_moves(verdicts, agent, WORST_PER_AGENT):
            row = [
                labels.get(agent, agent),
                str(v.game_id),
                str(v.ply + 1),
                v.layout,
                v.colour,
                v.before.text(),
                v.value_after,
                v.verdict,
            ]
            t.rows.append(row)
            t.raw.append(row)
    t.note = "Ply counts from 1 (the game's first move); 'after' is the position's value once the move is made."
    return t


def blunder_grid(verdicts: list[MoveVerdict], agent: str, rows: int = 7, cols: int = 7) -> np.ndarray:
    """(rows, cols) blunder rate of ``agent`` with the brick on each cell (nan where none of its moves there
    has a decided blunder flag)."""
    hits = np.zeros((rows, cols))
    n = np.zeros((rows, cols))
    for v in verdicts:
        if v.agent != agent or v.blunder is None:
            continue
        cells = parse_layout(v.layout, rows, cols)
        if len(cells) != 1:
            continue
        r, c = divmod(cells[0], cols)
        hits[r, c] += v.blunder
        n[r, c] += 1
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, hits / np.maximum(n, 1), np.nan)


def cell_table(verdicts, labels: dict[str, str], rows: int = 7, cols: int = 7) -> Table:
    t = Table("Blunder rate per brick cell", ["agent", "cell", "moves", "blunders", "rate"])
    t.raw = []
    agents = sorted({v.agent for v in verdicts}, key=lambda a: labels.get(a, a))
    for agent in agents:
        counts: dict[str, list[int]] = {}
        for v in verdicts:
            if v.agent == agent and v.blunder is not None:
                c = counts.setdefault(v.layout, [0, 0])
                c[0] += bool(v.blunder)
                c[1] += 1
        for layout, (b, n) in sorted(counts.items()):
            t.rows.append([labels.get(agent, agent), layout, str(n), str(b), pct(b / n)])
            t.raw.append([labels.get(agent, agent), layout, n, b, b / n])
    return t


def write_quality_figures(report, out: Path) -> list[str]:
    """One 7x7 blunder-rate heatmap per agent (``blunders_<agent>.png``) from the report's ``blunder_cells``
    table; the files written (none when the games were not analysed)."""
    table = report.tables.get("blunder_cells")
    if table is None or not table.raw:
        return []
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows, cols = report.config["rows"], report.config["cols"]
    grids: dict[str, np.ndarray] = {}
    for label, layout, _, _, rate in table.raw:
        cells = parse_layout(layout, rows, cols)
        if len(cells) == 1:
            grids.setdefault(label, np.full((rows, cols), np.nan))[divmod(cells[0], cols)] = rate
    written, used = [], set()
    for label, grid in grids.items():
        fig, ax = plt.subplots(figsize=(4.6, 4.4))
        cmap = plt.get_cmap("Reds").with_extremes(bad="#dddddd")
        top = float(np.nanmax(100 * grid))
        im = ax.imshow(np.ma.masked_invalid(100 * grid), cmap=cmap, vmin=0, vmax=max(10.0, top))
        for r in range(rows):
            for c in range(cols):
                if np.isfinite(grid[r, c]):
                    ax.text(c, r, f"{100 * grid[r, c]:.0f}", ha="center", va="center", fontsize=8)
        ax.set_xticks(range(cols), [str(c + 1) for c in range(cols)])  # as bttt prints the board: columns 1..7
        ax.set_yticks(range(rows), [chr(ord("A") + r) for r in range(rows)])  # rows A..G, A at the top
        ax.set_title(f"{label}\nblunder rate (%) with the brick on each cell (grey: none decided)", fontsize=8)
        fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        fig.tight_layout()
        slug = re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:60] or "agent"
        while slug in used:
            slug += "_"
        used.add(slug)
        name = f"blunders_{slug}.png"
        fig.savefig(out / name, dpi=100, metadata={"Software": "bttt"})
        plt.close(fig)
        written.append(name)
    return written


def quality_blocks(report, images: dict[str, list[str]]) -> list[tuple[str, object]]:
    """The page's move-quality section (nothing when the games were not analysed)."""
    t = report.tables
    if "move_quality" not in t:
        return []
    out: list[tuple[str, object]] = [("h2", "Move quality (exact solver)"), ("p", INTRO), ("table", t["move_quality"])]
    out += [("h3", "Training cells against novel cells"), ("table", t["move_quality_gap"])]
    out += [("h3", "Blunder rate per cell")] + [("img", p) for p in images.get("blunders", [])]
    out += [("h3", "Worst moves"), ("table", t["worst_moves"])]
    return out
