"""The tournament database: one SQLite file per tournament (WAL, one transaction per game).

Tables: ``meta`` (the configuration as JSON), ``agents`` (canonical name, the
spec as given, training cells), ``games`` (every finished game, UNIQUE on its
schedule identity so a resumed run can neither lose nor duplicate a game) and
``runs`` (each invocation with its wall time). Only the driver writes.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from tournament.play import GameResult
from tournament.schedule import GameKey

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS agents (
    name TEXT PRIMARY KEY, spec TEXT NOT NULL, training_cells TEXT, added REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS games (
    id INTEGER PRIMARY KEY,
    p1 TEXT NOT NULL REFERENCES agents(name), p2 TEXT NOT NULL REFERENCES agents(name),
    layout TEXT NOT NULL, game_index INTEGER NOT NULL, seed INTEGER NOT NULL,
    winner INTEGER NOT NULL, termination TEXT NOT NULL, plies INTEGER NOT NULL,
    moves TEXT NOT NULL, move_times TEXT NOT NULL,
    fault_player INTEGER, fault_detail TEXT, wall_time REAL NOT NULL, worker TEXT,
    finished_at REAL NOT NULL,
    UNIQUE (p1, p2, layout, game_index)
);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL, backend TEXT, workers INTEGER,
    games_played INTEGER NOT NULL DEFAULT 0, wall_time REAL, command TEXT
);
"""
#: Configuration keys that fix the games' identities; a resume must match them.
IDENTITY_KEYS = ("rows", "cols", "win_length", "seed", "suite", "games_per_colour", "move_time_limit")
#: Configuration keys that only affect the report; a resume may change them (the new value is stored).
REPORT_KEYS = ("train",)


class StoreError(BtttError):
    """A database that does not match the tournament asked for, or is not a tournament database."""


@dataclass
class GameRow:
    """One stored game, as the report reads it."""

    p1: str
    p2: str
    layout: str
    index: int
    seed: int
    winner: int
    termination: str
    plies: int
    moves: str
    move_times: list[float]
    fault_player: int | None
    fault_detail: str | None
    wall_time: float

    @property
    def key(self) -> GameKey:
        return GameKey(self.p1, self.p2, self.layout, self.index)


class Store:
    """A tournament database (create, check the configuration, add games, read them back)."""

    def __init__(self, path: str | Path, create: bool = True) -> None:
        self.path = Path(path)
        if not create and not self.path.exists():
            raise StoreError(f"no tournament database at {self.path}: run 'bttt tournament --db {self.path}' first")
        try:
            self.conn = sqlite3.connect(str(self.path), timeout=30, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            self.conn.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path} is not a usable tournament database: {exc}") from None

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ configuration
    def config(self) -> dict | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        return None if row is None else json.loads(row[0])

    def ensure_config(self, config: dict) -> dict:
        """Store ``config`` in a new database, or check it against an existing one's."""
        old = self.config()
        if old is None:
            cfg = dict(config, schema_version=SCHEMA_VERSION, created=time.time())
            self.conn.execute("INSERT INTO meta VALUES ('config', ?)", (json.dumps(cfg),))
            return cfg
        diffs = [
            f"{k}: stored {old.get(k)!r}, asked {config.get(k)!r}"
            for k in IDENTITY_KEYS
            if _norm(old.get(k)) != _norm(config.get(k))
        ]
        if diffs:
            raise StoreError(
                f"{self.path} holds a tournament with another configuration ({'; '.join(diffs)}). "
                "Rerun with the stored settings to resume or extend it, choose another --db, "
                "or pass --overwrite to delete it and start afresh"
            )
        changed = {k: config.get(k) for k in REPORT_KEYS if k in config and _norm(old.get(k)) != _norm(config[k])}
        if changed:
            old = dict(old, **changed)
            self.conn.execute("UPDATE meta SET value=? WHERE key='config'", (json.dumps(old),))
        return old

    # ------------------------------------------------------------------- agents
    def add_agent(self, name: str, spec: str, training_cells: Iterable[int] | None, rows=7, cols=7) -> None:
        cells = None if training_cells is None else json.dumps([cell_name(c, rows, cols) for c in training_cells])
        self.conn.execute(
            "INSERT OR IGNORE INTO agents (name, spec, training_cells, added) VALUES (?, ?, ?, ?)",
            (name, spec, cells, time.time()),
        )

    def agents(self, rows: int = 7, cols: int = 7) -> list[tuple[str, str, tuple[int, ...] | None]]:
        """(canonical name, spec, training cells) in the order they joined."""
        out = []
        for name, spec, cells in self.conn.execute(
            "SELECT name, spec, training_cells FROM agents ORDER BY added, rowid"
        ):
            out.append((name, spec, None if cells is None else parse_cells(json.loads(cells), rows, cols)))
        return out

    # -------------------------------------------------------------------- games
    def done_keys(self) -> set[GameKey]:
        return {GameKey(*row) for row in self.conn.execute("SELECT p1, p2, layout, game_index FROM games")}

    def add_game(self, result: GameResult, rows: int = 7, cols: int = 7) -> bool:
        """Record a finished game in its own transaction; False if it was already there."""
        k = result.key
        moves = ",".join(cell_name(m, rows, cols) for m in result.moves)
        times = json.dumps([round(t, 6) for t in result.move_times])
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                self.conn.execute(
                    "INSERT INTO games (p1, p2, layout, game_index, seed, winner, termination, plies, moves,"
                    " move_times, fault_player, fault_detail, wall_time, worker, finished_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        k.p1,
                        k.p2,
                        k.layout,
                        k.index,
                        result.seed,
                        result.winner,
                        result.termination,
                        result.plies,
                        moves,
                        times,
                        result.fault_player,
                        result.fault_detail,
                        result.wall_time,
                        result.worker,
                        time.time(),
                    ),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def games(self) -> list[GameRow]:
        rows = self.conn.execute(
            "SELECT p1, p2, layout, game_index, seed, winner, termination, plies, moves, move_times,"
            " fault_player, fault_detail, wall_time FROM games ORDER BY p1, p2, layout, game_index"
        ).fetchall()
        return [GameRow(*r[:9], json.loads(r[9]), *r[10:]) for r in rows]

    def count_games(self) -> int:
        return self.conn.execute("SELECT COUNT(*) FROM games").fetchone()[0]

    # --------------------------------------------------------------------- runs
    def start_run(self, backend: str, workers: int, command: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO runs (started, backend, workers, command) VALUES (?, ?, ?, ?)",
            (time.time(), backend, workers, command),
        )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, games_played: int, wall_time: float) -> None:
        self.conn.execute(
            "UPDATE runs SET finished=?, games_played=?, wall_time=? WHERE id=?",
            (time.time(), games_played, wall_time, run_id),
        )

    def runs(self) -> list[dict]:
        cols = ("id", "started", "finished", "backend", "workers", "games_played", "wall_time", "command")
        return [
            dict(zip(cols, r, strict=True))
            for r in self.conn.execute(f"SELECT {', '.join(cols)} FROM runs ORDER BY id")
        ]


def _norm(value):
    """Compare JSON-round-tripped values (tuples become lists)."""
    return json.loads(json.dumps(value))
