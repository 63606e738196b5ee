"""The tournament report: every table and figure rebuilt from the database.

:func:`build_report` reads a store and returns a :class:`Report` (tables, the
terminal summary, the fitted ratings and the generalization analysis);
:func:`write_report` writes its CSV files, PNG figures and one Markdown page
(``index.md``, and the same as ``index.html``) that puts them together.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from agents.registry import pinned_digest
from bttt.cells import parse_cells
from tournament.generalization import CRASH, AgentGeneralization, analyse
from tournament.play import FAULTS
from tournament.rating import Ratings, fit_ratings, outcome_counts
from tournament.rating_anchor import anchor_report_ratings
from tournament.report_quality import quality_tables, write_quality_figures
from tournament.report_stats import TournamentStats, compute_stats
from tournament.standings import standings_table
from tournament.stats_tables import sprt_table, stats_tables
from tournament.store import Store
from tournament.tables import Table, num, pct

#: The tables the terminal summary prints, in order (those a report has).
SUMMARY_TABLES = (
    "sprt",
    "standings",
    "crosstable_p1",
    "crosstable_p2",
    "outcomes",
    "pairs",
    "generalization",
    "iqm",
    "improvement",
    "normalised",
)


@dataclass
class Report:
    config: dict
    labels: dict[str, str]  # canonical name -> label (the spec as given)
    ratings: Ratings
    generalization: list[AgentGeneralization]
    tables: dict[str, Table]  # file stem -> table
    runs: list[dict]
    n_games: int
    games: list = field(default_factory=list)  # every GameRow, for the game viewer (tournament.viewer)
    training_cells: dict = field(default_factory=dict)  # agent name -> the cells it declares (or None)
    analysis: dict = field(default_factory=dict)  # game id -> per-ply verdicts of bttt analyse, when present
    stats: TournamentStats | None = None  # the pair statistics (tournament.report_stats)
    sprt: dict | None = None  # a sequential test's stored result (tournament.sprt_run), if the tournament is one

    def summary(self, keys=SUMMARY_TABLES) -> str:
        head = describe_config(self.config, self.n_games, self.stats.distinct_games if self.stats else None)
        parts = [head] + [self.tables[k].text() for k in keys if k in self.tables]
        parts += [
            heatmap_text(g, self.labels[g.name], self.config) for g in self.generalization if len(g.by_layout) > 1
        ]
        return "\n\n".join(parts)


def describe_config(config: dict, n_games: int, distinct: int | None = None) -> str:
    """One line: games (and how many are distinct move sequences), suite, games per colour, seed, split."""
    suite = config["suite"]
    shown = ",".join(suite) if len(suite) <= 12 else f"{len(suite)} layouts ({','.join(suite[:6])},...)"
    bits = [
        f"{n_games} games" + (f" ({distinct} distinct move sequences)" if distinct is not None else ""),
        f"suite {shown}",
        f"{config['games_per_colour']} per colour and layout",
        f"seed {config['seed']}",
    ]
    if config.get("train"):
        bits.append(f"--train {','.join(config['train'])}")
    if config.get("move_time_limit"):
        bits.append(f"move time limit {config['move_time_limit']:g} s")
    return "Tournament: " + ", ".join(bits)


def build_report(db: str | Path, train: str | None = None) -> Report:
    """Read ``db`` and compute every table; ``train`` (e.g. ``"D4"``) overrides the stored ``--train`` split."""
    with Store(db, create=False) as store:
        config = store.config()
        if config is None:
            from tournament.store import StoreError

            raise StoreError(f"{db} holds no tournament yet: run 'bttt tournament --db {db}' first")
        rows, cols = config["rows"], config["cols"]
        agents = store.agents(rows, cols)
        games = store.games()
        runs = store.runs()
        sprt = store.get_meta("sprt")
    if train is not None:
        from tournament.schedule import describe_cells, parse_train

        cells = parse_train(train, rows, cols)
        config = dict(config, train=describe_cells(cells, rows, cols).split(",") if cells else None)
    names = [a[0] for a in agents]
    labels = agent_labels(agents)
    train = tuple(parse_cells(config["train"], rows, cols)) if config.get("train") else None
    stats = compute_stats(games, agents, train, config)
    if stats.ratings is not None:
        ratings = stats.ratings.point  # the fit to the complete pairs, the games the intervals resample
    else:
        rated = [(g.p1, g.p2, g.winner) for g in games if g.termination != CRASH]
        ratings = fit_ratings(outcome_counts(rated, names), names)
    ratings, stats = anchor_report_ratings(ratings, stats)
    gen = analyse(games, agents, train, rows, cols)
    sources = {g.name: g.training_source for g in gen}
    pair_tables = stats_tables(stats, labels, config, sources)
    tables = {
        **({"sprt": sprt_table(sprt, labels)} if sprt else {}),
        "standings": standings_table(ratings, games, labels, stats),
        "crosstable_p1": crosstable(games, names, labels, first=True),
        "crosstable_p2": crosstable(games, names, labels, first=False),
        "outcomes": outcomes_table(games, labels, names),
        **pair_tables,
        "cells": cells_table(gen, labels),
        **quality_tables(db, gen, labels, rows, cols),  # when bttt analyse has judged the moves
    }
    from tournament.viewer import read_analysis

    cells = {a[0]: a[2] for a in agents}
    return Report(config, labels, ratings, gen, tables, runs, len(games), games, cells, read_analysis(db), stats, sprt)


def agent_labels(agents) -> dict[str, str]:
    """Each agent's label: its spec as given, with the content hash of a pinned checkpoint (``[3f2a9c1b]``)."""
    labels, used = {}, set()
    for name, spec, _ in agents:
        pin = pinned_digest(name)
        label = f"{spec} [{pin[:8]}]" if pin else spec
        label = label if label not in used else name
        labels[name] = label
        used.add(label)
    return labels


def crosstable(games, names, labels, first: bool) -> Table:
    """Row agent's score against each column agent with the row agent moving first (or second)."""
    acc: dict[tuple[str, str], list[int]] = {}
    for g in games:
        if g.termination == CRASH:
            continue
        row, col, seat = (g.p1, g.p2, 1) if first else (g.p2, g.p1, 2)
        w = acc.setdefault((row, col), [0, 0, 0])
        w[0 if g.winner == seat else (2 if g.winner == 0 else 1)] += 1
    title = (
        "Crosstable: row agent's score moving "
        + ("first (P1, O)" if first else "second (P2, X)")
        + " against the column agent (W-D-L)"
    )
    t = Table(title, ["agent"] + [labels[n] for n in names])
    t.raw = []
    for a in names:
        cells, raw = [], []
        for b in names:
            w = acc.get((a, b))
            if a == b or w is None:
                cells.append("-")
                raw.append("")
                continue
            n = sum(w)
            cells.append(f"{pct((w[0] + 0.5 * w[2]) / n, 0)} {w[0]}-{w[2]}-{w[1]}")
            raw.append((w[0] + 0.5 * w[2]) / n)
        t.rows.append([labels[a], *cells])
        t.raw.append([labels[a], *raw])
    return t


def outcomes_table(games, labels, names) -> Table:
    t = Table(
        "Outcomes", ["games", "P1 wins", "P2 wins", "draws", "mean plies", "exception", "illegal", "timeout", "crash"]
    )
    n = len(games)
    count = lambda pred: sum(1 for g in games if pred(g))  # noqa: E731
    p1 = count(lambda g: g.winner == 1)
    p2 = count(lambda g: g.winner == 2)
    draws = count(lambda g: g.winner == 0 and g.termination != CRASH)
    plies = float(np.mean([g.plies for g in games])) if games else float("nan")
    faults = [count(lambda g, f=f: g.termination == f) for f in FAULTS]
    t.rows.append(
        [
            str(n),
            f"{p1} ({pct(p1 / n if n else float('nan'))})",
            f"{p2} ({pct(p2 / n if n else float('nan'))})",
            str(draws),
            num(plies, 1),
        ]
        + [str(f) for f in faults]
    )
    t.raw = [[n, p1, p2, draws, plies, *faults]]
    details = [g for g in games if g.termination in FAULTS][:5]
    if details:
        t.note = "First faults: " + "; ".join(
            f"{g.termination} by {_fault_owner(g, labels)} ({g.layout} #{g.index}: {g.fault_detail})" for g in details
        )
    return t


def _fault_owner(g, labels) -> str:
    if not g.fault_player:
        return "worker"
    return labels.get(g.p1 if g.fault_player == 1 else g.p2, "?")


def cells_table(gen, labels) -> Table:
    t = Table(
        "Score per brick layout", ["agent", "layout", "n as P1", "score as P1", "n as P2", "score as P2", "n", "score"]
    )
    t.raw = []
    for g in gen:
        for layout, grp in g.by_layout.items():
            t.rows.append(
                [
                    labels[g.name],
                    layout,
                    str(grp["p1"].n),
                    pct(grp["p1"].mean),
                    str(grp["p2"].n),
                    pct(grp["p2"].mean),
                    str(grp["all"].n),
                    pct(grp["all"].mean),
                ]
            )
            t.raw.append(
                [
                    labels[g.name],
                    layout,
                    grp["p1"].n,
                    grp["p1"].mean,
                    grp["p2"].n,
                    grp["p2"].mean,
                    grp["all"].n,
                    grp["all"].mean,
                ]
            )
    return t


def heatmap_text(g: AgentGeneralization, label: str, config) -> str:
    """A 7x7 grid of the agent's combined score (%) on each single-brick layout; '.' = not played. Each number's
    last digit sits under its column's number."""
    rows, cols = config["rows"], config["cols"]
    grid = g.heatmaps(rows, cols)["all"]
    train = set(g.training_cells or ())
    lines = [
        f"Score per brick cell, {label} (both colours; * = training cell)",
        "    " + "".join(f"{c + 1:>4} " for c in range(cols)),
    ]
    for r in range(rows):
        cells = []
        for c in range(cols):
            v = grid[r, c]
            mark = "*" if r * cols + c in train else " "
            cells.append("   . " if math.isnan(v) else f"{100 * v:4.0f}{mark}")
        lines.append(f"  {chr(65 + r)} " + "".join(cells))
    return "\n".join(line.rstrip() for line in lines)


REPORT_MARKER = ".bttt-report"  # in every report folder: its format tag and the files bttt wrote there


def check_report_dir(out: str | Path) -> Path:
    """Check, before any work, that ``out`` can hold a report: a new or empty folder, or one bttt wrote a report
    into before (it holds :data:`REPORT_MARKER`). bttt never writes over someone else's files."""
    from bttt.paths import OutputPathError, check_output_dir

    out = check_output_dir(out, "report folder")
    if out.exists() and any(out.iterdir()) and not _marker(out):
        raise OutputPathError(
            f"report folder {out} holds files that bttt did not write; choose a new or empty folder (--out)"
        )
    return out


def _marker(out: Path) -> dict | None:
    import json

    try:
        data = json.loads((out / REPORT_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == "bttt-report" else None


def written_files(out: str | Path) -> list[str]:
    """The files the report in ``out`` consists of (from its marker), or [] when there is none."""
    return list((_marker(Path(out)) or {}).get("files", []))


def write_report(
    report: Report, out: str | Path, figures: bool = True, also: dict[str, list[str]] | None = None
) -> Path:
    """Write CSVs, PNGs, ``index.md`` and ``index.html`` into ``out``; return the Markdown page's path.

    Files an earlier report left in ``out`` that this one does not write (e.g. figures, after ``--no-figures``)
    are removed -- only files listed in the folder's marker, which bttt wrote.
    """

    out = check_report_dir(out)
    out.mkdir(parents=True, exist_ok=True)
    old = set((_marker(out) or {}).get("files", []))
    written = []
    for stem, table in report.tables.items():
        table.write_csv(out / f"{stem}.csv")
        written.append(f"{stem}.csv")
    images: dict[str, list[str]] = {}
    if figures:
        from tournament.figures import write_figures

        images = write_figures(report, out)
        images["blunders"] = write_quality_figures(report, out)
        written += [name for kind, names in images.items() if kind != "heatmap_links" for name in names]
    from tournament.viewer import write_viewer

    images["viewer"] = write_viewer(report, out, report.analysis)
    written += images["viewer"]
    for kind, names in (also or {}).items():  # pages the caller wrote there (e.g. a training run's)
        images[kind] = list(names)
        written += list(names)
    from tournament.page import html_page, markdown_page

    (out / "index.html").write_text(html_page(report, images))
    path = out / "index.md"
    path.write_text(markdown_page(report, images))
    written += ["index.html", "index.md"]
    register_report_files(out, written, old)
    return path


_REPORT_SUFFIXES = (".csv", ".png", ".md", ".html", ".json", ".js", ".txt")


def _removable(out: Path, name: str) -> bool:
    """Whether a file an earlier report's marker lists may be removed: a plain file of a kind reports write,
    directly in ``out`` (a marker is data in the folder: it must not make bttt remove anything else)."""
    from bttt.paths import is_bttt_png

    path = out / name
    if "/" in name or "\\" in name or name in ("", ".", "..", REPORT_MARKER) or not name.endswith(_REPORT_SUFFIXES):
        return False
    if path.is_symlink() or not path.is_file():
        return False
    return is_bttt_png(path) if name.endswith(".png") else True


def register_report_files(out: Path, written: list[str], old: set[str] | None = None) -> None:
    """Record ``written`` in the folder's marker and remove the files an earlier report listed there but this one
    did not write (only files bttt listed, so only its own)."""
    import json

    from bttt.paths import atomic_write

    old = set((_marker(out) or {}).get("files", [])) if old is None else old
    for stale in sorted(name for name in old - set(written) if isinstance(name, str)):
        if _removable(out, stale):
            (out / stale).unlink(missing_ok=True)
    atomic_write(out / REPORT_MARKER, json.dumps({"format": "bttt-report", "files": sorted(written)}, indent=1))
