"""The report's game viewer: ``games.html`` (one self-contained page: its HTML, CSS and JavaScript are in
``tournament/viewer_assets/`` and are copied into it, nothing is fetched from a network) and ``games-data.js``
beside it (every game, loaded by a ``<script>`` tag because browsers refuse ``fetch`` on ``file://`` pages).

``games-data.js`` is one JSON document, assigned as ``window.BTTT_GAMES = {...};``::

    format, version     "bttt-viewer-games", 1
    rows, cols, win_length
    agents              [{"name": canonical name, "label": as the report shows it, "training_cells": [...] | null}]
    games               [{"id", "o", "x" (indices into agents; o moves first), "layout", "opening", "opening_plies",
                          "index", "seed" (text: 64 bits), "moves" ("C3,D5,..."), "times" (seconds per agent
                          move, 3 significant digits), "winner" (1 O, 2 X, 0 none), "termination",
                          "fault_player", "fault_detail", "line" (the winning line's cells, "" unless won),
                          "analysis" (optional, see below)}]

**Move analysis** (``bttt analyse``, when its results are in the database): a game's ``analysis`` is a list with one
entry per ply (``null`` for a ply not analysed, e.g. the opening's)::

    {"verdict": "optimal" | "inaccuracy" | "blunder" | "undecided", "value": "X wins in 12"}

``value`` is the game-theoretic value of the position after the ply, in words from a fixed side (O or X), or
``"undecided"``. The page colours each move by its verdict and shows the value after the ply on view. The entries
come from ``tournament.analysis.viewer_analysis(db) -> {game id: [entry | None, ...]}`` when that module exists.

The page filters by agent, brick cell, the agent's colour and result, pages through the list 50 games at a time,
and steps through a game with its buttons or the arrow keys on a drawn board. Its address keeps the view
(``games.html#agent=LABEL&cell=E5&colour=O&result=loss&game=12&ply=5``), so the report's heatmaps link each cell
to its games.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.state import GameState

FORMAT = "bttt-viewer-games"
VERSION = 1
PAGE, DATA = "games.html", "games-data.js"
VERDICTS = ("optimal", "inaccuracy", "blunder", "undecided")


def viewer_data(report, analysis: dict[int, list] | None = None) -> dict:
    """The JSON document of ``games-data.js`` for a :class:`tournament.report.Report`."""
    config = report.config
    rows, cols = config["rows"], config["cols"]
    names = list(report.labels)
    index = {n: i for i, n in enumerate(names)}
    cells = dict(getattr(report, "training_cells", {}) or {})
    agents = [
        {
            "name": n,
            "label": report.labels[n],
            "training_cells": None if cells.get(n) is None else [cell_name(c, rows, cols) for c in cells[n]],
        }
        for n in names
    ]
    analysis = analysis or {}
    games = []
    for g in sorted(report.games, key=lambda g: g.id or 0):
        entry = {
            "id": g.id,
            "o": index[g.p1],
            "x": index[g.p2],
            "layout": g.layout,
            "opening": g.opening,
            "opening_plies": g.opening_plies,
            "index": g.index,
            "seed": str(g.seed),  # 64-bit: more digits than a JavaScript number keeps
            "moves": g.moves,
            "times": [float(f"{t:.3g}") for t in g.move_times],
            "winner": g.winner,
            "termination": g.termination,
            "fault_player": g.fault_player,
            "fault_detail": g.fault_detail,
            "line": _winning_line(g, rows, cols, config["win_length"]),
        }
        if g.id in analysis:
            entry["analysis"] = check_analysis(analysis[g.id], g.plies, g.id)
        games.append(entry)
    return {
        "format": FORMAT,
        "version": VERSION,
        "rows": rows,
        "cols": cols,
        "win_length": config["win_length"],
        "agents": agents,
        "games": games,
    }


def check_analysis(entries: list, plies: int, game_id) -> list:
    """One entry per ply, each None or ``{"verdict", "value"}`` with a known verdict (ValueError otherwise)."""
    if not isinstance(entries, list) or len(entries) != plies:
        raise ValueError(f"game {game_id}: the analysis needs one entry per ply ({plies})")
    for e in entries:
        if e is None:
            continue
        if not isinstance(e, dict) or e.get("verdict") not in VERDICTS or not isinstance(e.get("value"), str):
            raise ValueError(f"game {game_id}: analysis entry {e!r} is not {{'verdict': {VERDICTS}, 'value': text}}")
    return [None if e is None else {"verdict": e["verdict"], "value": e["value"]} for e in entries]


def _winning_line(g, rows: int, cols: int, k: int) -> str:
    if g.termination != "win" or not g.moves:
        return ""
    try:
        state = GameState.from_moves(Rules(rows, cols, k, parse_layout(g.layout, rows, cols)), parse_cells(g.moves))
    except BtttError:  # a game that does not replay (a hand-made database): drawn as stored, without a line
        return ""
    return ",".join(cell_name(c, rows, cols) for c in state.winning_line())


def read_analysis(db: str | Path) -> dict[int, list]:
    """Per-move verdicts from ``bttt analyse`` (``tournament.analysis.viewer_analysis``), or {} without them."""
    try:
        from tournament import analysis  # type: ignore[attr-defined]
    except ImportError:
        return {}
    reader = getattr(analysis, "viewer_analysis", None)
    return dict(reader(db)) if reader is not None else {}


def _asset(name: str) -> str:
    return resources.files("tournament").joinpath("viewer_assets", name).read_text(encoding="utf-8")


def page_html(title: str) -> str:
    """``games.html``: the template with its stylesheet and script copied in."""
    import html

    text = _asset("games.html")
    return (
        text.replace("{{TITLE}}", html.escape(title))
        .replace("/*{{CSS}}*/", _asset("viewer.css"))
        .replace("/*{{JS}}*/", _asset("viewer.js"))
    )


def write_viewer(report, out: Path, analysis: dict[int, list] | None = None) -> list[str]:
    """Write ``games.html`` and ``games-data.js`` into ``out``; returns their names."""
    from bttt.paths import atomic_write

    data = json.dumps(viewer_data(report, analysis), separators=(",", ":"), allow_nan=False)
    atomic_write(out / DATA, f"window.BTTT_GAMES = {data};\n")
    atomic_write(out / PAGE, page_html(f"bttt games: {report.n_games} games"))
    return [PAGE, DATA]
