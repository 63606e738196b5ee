"""Finding stored games: a tournament's games with their agents, filtered by agent, brick cell, colour and result
(``bttt show``, ``bttt export``, and the report's game viewer use the same rules).

* ``agent``: a canonical name, a spec as given, a report label, or an unambiguous part of one (case-insensitive).
* ``cell``: games whose layout has a brick on that cell; ``layout``: games of exactly that layout (``D3+E5``).
* ``colour``: the colour the agent played (``O``/``1`` moves first, ``X``/``2``); needs ``agent``.
* ``result``: ``win``, ``loss`` or ``draw`` for the agent; without ``agent``, for O (player 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bttt.cells import parse_cell
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from tournament.store import GameRow, Store, StoreError

RESULTS = ("win", "loss", "draw")


class GameQueryError(BtttError):
    """A filter that matches nothing it could mean (an unknown agent, a malformed cell)."""


@dataclass
class Tournament:
    """A tournament database read whole: configuration, agents (name, spec, training cells, digest), games."""

    path: Path
    config: dict
    agents: list[tuple[str, str, tuple[int, ...] | None, str | None]]
    games: list[GameRow]
    labels: dict[str, str]

    @property
    def rows(self) -> int:
        return self.config["rows"]

    @property
    def cols(self) -> int:
        return self.config["cols"]


def load_tournament(db: str | Path) -> Tournament:
    """Every game of ``db`` (by row id) with its agents; a missing or foreign file is a clear error."""
    from tournament.report import agent_labels

    with Store(db, create=False) as store:
        config = store.config()
        if config is None:
            raise StoreError(f"{db} holds no tournament yet: run 'bttt tournament --db {db}' first")
        rows, cols = config["rows"], config["cols"]
        agents = store.agents(rows, cols)
        digests = store.digests()
        games = sorted(store.games(rows, cols), key=lambda g: g.id or 0)
    full = [(name, spec, cells, digests.get(name)) for name, spec, cells in agents]
    return Tournament(Path(db), config, full, games, agent_labels(agents))


@dataclass(frozen=True)
class GameFilter:
    agent: str | None = None
    cell: str | None = None
    layout: str | None = None
    colour: str | None = None
    result: str | None = None

    def given(self) -> bool:
        return any(v is not None for v in (self.agent, self.cell, self.layout, self.colour, self.result))


def resolve_agent(t: Tournament, text: str) -> str:
    """The canonical name of the agent ``text`` names (see the module docstring)."""
    exact = [n for n, spec, _, _ in t.agents if text in (n, spec, t.labels[n])]
    if exact:
        return exact[0]
    low = text.lower()
    partial = [n for n, spec, _, _ in t.agents if low in n.lower() or low in spec.lower() or low in t.labels[n].lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(t.labels[n] for n, *_ in t.agents)
    if partial:
        raise GameQueryError(f"--agent {text!r} matches several agents ({', '.join(t.labels[n] for n in partial)})")
    raise GameQueryError(f"--agent {text!r} is not an agent of {t.path}; its agents: {names}")


def colour_seat(text: str) -> int:
    low = text.strip().lower()
    if low in ("o", "1", "p1", "first"):
        return 1
    if low in ("x", "2", "p2", "second"):
        return 2
    raise GameQueryError(f"--colour {text!r}: O (or 1, player 1, moves first) or X (2)")


def select(t: Tournament, f: GameFilter) -> list[GameRow]:
    """The games of ``t`` that ``f`` keeps, by row id."""
    agent = resolve_agent(t, f.agent) if f.agent is not None else None
    seat = colour_seat(f.colour) if f.colour is not None else None
    if seat is not None and agent is None:
        raise GameQueryError("--colour is the colour an agent played: give --agent too")
    if f.result is not None and f.result not in RESULTS:
        raise GameQueryError(f"--result {f.result!r}: one of {', '.join(RESULTS)}")
    cell = parse_cell(f.cell, t.rows, t.cols) if f.cell is not None else None
    layout = parse_layout(f.layout, t.rows, t.cols) if f.layout is not None else None
    out = []
    for g in t.games:
        bricks = parse_layout(g.layout, t.rows, t.cols)
        if cell is not None and cell not in bricks:
            continue
        if layout is not None and tuple(sorted(bricks)) != tuple(sorted(layout)):
            continue
        if agent is not None:
            seats = [s for s, name in ((1, g.p1), (2, g.p2)) if name == agent]
            if not seats or (seat is not None and seat not in seats):
                continue
            mine = seat or seats[0]
        else:
            mine = 1
        if f.result is not None and outcome(g, mine) != f.result:
            continue
        out.append(g)
    return out


def outcome(g: GameRow, seat: int) -> str:
    """``win``, ``loss`` or ``draw`` for the player in ``seat`` (a crash, which blames nobody, is a draw)."""
    if g.winner == 0:
        return "draw"
    return "win" if g.winner == seat else "loss"


def export_games(db: str | Path, out: str | Path, fmt: str, f: GameFilter | None = None, force: bool = False) -> int:
    """Write the games of ``db`` that ``f`` keeps to ``out`` as ``fmt``; returns how many. ``out`` is checked
    before the database is read, and replaced only with ``force`` and only when bttt wrote it."""
    from bttt.paths import atomic_write, check_output_file
    from tournament.gamefile import FORMATS, GameFileError, dumps, records

    if fmt not in FORMATS:
        raise GameFileError(f"--format {fmt!r}: choose {', '.join(FORMATS)}")
    check_output_file(out, "--out", force=force, ours=lambda p: is_game_file(p, fmt))
    t = load_tournament(db)
    games = select(t, f) if f is not None else t.games
    if not games:
        raise GameFileError(f"no game of {db} matches the filters; nothing written")
    atomic_write(out, dumps(records(games, t.agents, t.config), fmt))
    return len(games)


def is_game_file(path: str | Path, fmt: str) -> bool:
    """Whether ``path`` is a game file bttt can read (bttt replaces only files it made)."""
    from tournament.gamefile import GameFileError, read_games

    try:
        read_games(path, fmt)
    except GameFileError:
        return False
    return True
