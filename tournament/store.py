"""The tournament database: one SQLite file per tournament (WAL, one transaction per game).

Tables: ``meta`` (the configuration as JSON, tagged ``format = "bttt-tournament"`` and a schema version; the
opening suite, if any), ``agents`` (canonical name -- which pins a checkpoint's content hash --, the spec as
given, training cells, the checkpoint digest), ``games`` (every finished game, UNIQUE on its schedule identity so
a resumed run can neither lose nor duplicate a game) and ``runs`` (each invocation with its wall time). Only the
driver writes.

A file is trusted as data, never as code, and only after it proves to be a bttt tournament:
:func:`probe` tells a bttt database from a missing, empty, foreign or corrupt file without writing to it, a
database of a newer schema is refused, and every row read back is checked (:meth:`Store.games`), so a damaged or
hand-edited database gives one clear error instead of a wrong report.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bttt.cells import cell_name, parse_cells
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.sqlite_open import open_sqlite
from tournament.play import TERMINATIONS, GameResult
from tournament.schedule import GameKey

FORMAT = "bttt-tournament"
SCHEMA_VERSION = 2
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE agents (
    name TEXT PRIMARY KEY, spec TEXT NOT NULL, training_cells TEXT, digest TEXT, added REAL NOT NULL
);
CREATE TABLE games (
    id INTEGER PRIMARY KEY,
    p1 TEXT NOT NULL REFERENCES agents(name), p2 TEXT NOT NULL REFERENCES agents(name),
    layout TEXT NOT NULL, opening TEXT NOT NULL, game_index INTEGER NOT NULL, seed INTEGER NOT NULL,
    winner INTEGER NOT NULL, termination TEXT NOT NULL, plies INTEGER NOT NULL, opening_plies INTEGER NOT NULL,
    moves TEXT NOT NULL, move_times TEXT NOT NULL,
    fault_player INTEGER, fault_detail TEXT, wall_time REAL NOT NULL, worker TEXT,
    finished_at REAL NOT NULL,
    UNIQUE (p1, p2, layout, opening, game_index)
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY, started REAL NOT NULL, finished REAL, backend TEXT, workers INTEGER,
    games_played INTEGER NOT NULL DEFAULT 0, wall_time REAL, command TEXT
);
"""
_TABLES = {"meta", "agents", "games", "runs"}
#: Configuration keys that fix the games' identities; a resume must match them.
IDENTITY_KEYS = (
    "rows",
    "cols",
    "win_length",
    "seed",
    "suite",
    "games_per_colour",
    "move_time_limit",
    "openings",
    "sprt",
)
#: Configuration keys that only affect the report or when a run stops; a resume may change them (the new value is
#: stored).
REPORT_KEYS = ("train", "sprt_max_rounds")
_SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(BtttError):
    """A database that does not match the tournament asked for, or is not a usable tournament database."""


@dataclass
class GameRow:
    """One stored game, as the report reads it. ``moves`` are all the game's moves as cell names, the opening's
    first; ``move_times`` are the agents' moves only (after the ``opening_plies``)."""

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
    opening: str = ""
    opening_plies: int = 0
    id: int | None = None  # the database's row id (``bttt show --db X ID``); None before it is stored
    worker: str = ""
    finished_at: float | None = None

    @property
    def key(self) -> GameKey:
        return GameKey(self.p1, self.p2, self.layout, self.index, self.opening)


def probe(path: str | Path) -> str:
    """What is at ``path``, without writing to it: ``"missing"`` (or an empty file), ``"bttt"`` (a tournament
    database of this schema), ``"old"`` (bttt 0.1's), ``"newer"`` (a later bttt's), or ``"foreign"`` (anything
    else)."""
    path = Path(path)
    if not path.exists():
        return "missing"
    if not path.is_file():
        return "foreign"
    if path.stat().st_size == 0:  # e.g. made by sqlite3.connect: nothing in it to lose
        return "missing"
    with open(path, "rb") as fh:
        if fh.read(16) != _SQLITE_HEADER:
            return "foreign"
    try:
        conn = open_sqlite(path)  # only reads (the journal mode stays as it is)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if not tables >= _TABLES:
                return "foreign"
            row = conn.execute("SELECT value FROM meta WHERE key='config'").fetchone()
        finally:
            conn.close()
        config = json.loads(row[0]) if row else None
    except (sqlite3.DatabaseError, UnicodeDecodeError, json.JSONDecodeError, TypeError):
        # UnicodeDecodeError: a schema that is not UTF-8 (sqlite's message about it cannot be decoded)
        return "foreign"
    if not isinstance(config, dict):
        return "foreign"
    version = config.get("schema_version")
    if config.get("format") != FORMAT:
        return "old" if version == 1 else "foreign"
    if not isinstance(version, int):
        return "foreign"
    return "bttt" if version == SCHEMA_VERSION else ("newer" if version > SCHEMA_VERSION else "old")


def check_usable(path: str | Path, must_exist: bool = False) -> str:
    """Raise :class:`StoreError` unless ``path`` is a bttt tournament database (or missing, when allowed)."""
    kind = probe(path)
    if kind == "missing" and must_exist:
        raise StoreError(f"no tournament database at {path}: run 'bttt tournament --db {path}' first")
    if kind == "foreign":
        raise StoreError(
            f"{path} is not a bttt tournament database (not SQLite, or without bttt's tables and format tag); "
            "bttt will not write to it: choose another --db"
        )
    if kind == "old":
        raise StoreError(
            f"{path} was made by bttt 0.1, whose game identities changed (checkpoints are now pinned by content "
            "hash and games may start from openings): start a new --db (bttt 0.1 can still read the old one)"
        )
    if kind == "newer":
        raise StoreError(f"{path} was made by a newer bttt (schema above {SCHEMA_VERSION}): upgrade bttt to read it")
    return kind


class Store:
    """A tournament database: check the configuration, add agents and games, read them back.

    ``create=True`` makes a new database when ``path`` does not exist; an existing file is opened only if it is
    a bttt tournament database of this schema (:func:`check_usable`).
    """

    def __init__(
        self, path: str | Path, create: bool = True, config: dict | None = None, openings: dict | None = None
    ) -> None:
        """Open (or, with ``create``, make) the database; a new one gets ``config`` and ``openings`` in the
        transaction that makes its tables, so that a creation that fails (e.g. on a full disk) leaves no
        half-made file behind that a rerun would have to refuse."""
        self.path = Path(path)
        kind = check_usable(self.path, must_exist=not create)
        existed = self.path.exists()
        try:
            self.conn = open_sqlite(self.path, isolation_level=None)
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            if kind == "missing":
                with self.conn:
                    self.conn.execute("BEGIN")
                    for statement in _SCHEMA.strip().split(";\n"):
                        if statement.strip():
                            self.conn.execute(statement)
                    if config is not None:
                        self.conn.execute("INSERT INTO meta VALUES ('config', ?)", (json.dumps(config),))
                    if openings is not None:
                        self.conn.execute("INSERT INTO meta VALUES ('openings', ?)", (json.dumps(openings),))
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            if kind == "missing":
                self._undo_creation(existed)
            raise StoreError(f"cannot make or open the tournament database {self.path}: {exc}") from None

    def _undo_creation(self, existed: bool) -> None:
        """Remove what a failed creation left (an empty file that was there stays, emptied)."""
        with contextlib.suppress(Exception):
            self.conn.close()
        for suffix in ("-wal", "-shm", "-journal"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
        if existed:
            self.path.write_bytes(b"")
        else:
            self.path.unlink(missing_ok=True)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def read(self, sql: str, args: tuple = ()) -> list[tuple]:
        """Every row of a query; a damaged file (a bad page, text that is not UTF-8) is a StoreError."""
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:  # e.g. a text field that is not valid UTF-8
            raise StoreError(f"{self.path} is damaged ({exc}); it was changed outside bttt") from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction; a write SQLite refuses (a full disk, a damaged or read-only file) is a StoreError.
        Every game of an earlier transaction stays stored, so the same command resumes once the cause is fixed."""
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                yield
        except sqlite3.IntegrityError:
            raise
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot write to {self.path}: {exc} (a full disk, a read-only or damaged file); what was stored "
                "before is kept: fix the cause and rerun the same command to resume"
            ) from None

    # ------------------------------------------------------------ configuration
    def config(self) -> dict | None:
        rows = self.read("SELECT value FROM meta WHERE key='config'")
        if not rows:
            return None
        try:
            config = json.loads(rows[0][0])
        except (ValueError, TypeError):  # ValueError: also a BLOB that is not UTF-8
            raise StoreError(f"{self.path}: its configuration is not valid JSON; it was changed outside bttt") from None
        if not isinstance(config, dict) or not isinstance(config.get("suite"), list):
            raise StoreError(f"{self.path}: its configuration is damaged; it was changed outside bttt")
        return config

    def check_config(self, config: dict) -> dict:
        """The stored configuration (with ``config``'s report keys), or None for a new database; raises if the
        games' identities differ. Writes nothing."""
        old = self.config()
        if old is None:
            return dict(config, format=FORMAT, schema_version=SCHEMA_VERSION, created=time.time())
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
        return dict(old, **{k: config.get(k) for k in REPORT_KEYS if k in config})

    def ensure_config(self, config: dict) -> dict:
        """Store ``config`` in a new database, or check it against an existing one's (updating report keys)."""
        merged = self.check_config(config)
        self.write_config(merged)
        return merged

    def write_config(self, config: dict, openings: dict | None = None) -> None:
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('config', ?)", (json.dumps(config),))
            if openings is not None:
                self.conn.execute("INSERT OR REPLACE INTO meta VALUES ('openings', ?)", (json.dumps(openings),))

    def openings(self) -> dict | None:
        """The stored opening suite (:meth:`tournament.openings.OpeningSuite.to_json`), or None."""
        rows = self.read("SELECT value FROM meta WHERE key='openings'")
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except (ValueError, TypeError):
            raise StoreError(f"{self.path}: its opening suite is not valid JSON; it was changed outside bttt") from None

    def set_meta(self, key: str, value) -> None:
        """Store ``value`` (JSON) under ``key`` in the meta table (e.g. a sequential test's result)."""
        if key in ("config", "openings"):
            raise ValueError(f"meta key {key!r} is written by write_config")
        with self.transaction():
            self.conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, json.dumps(value)))

    def get_meta(self, key: str):
        """The JSON value stored under ``key``, or None."""
        rows = self.read("SELECT value FROM meta WHERE key=?", (key,))
        if not rows:
            return None
        try:
            return json.loads(rows[0][0])
        except (ValueError, TypeError):
            raise StoreError(f"{self.path}: its {key} entry is not valid JSON; it was changed outside bttt") from None

    # ------------------------------------------------------------------- agents
    def add_agent(
        self, name: str, spec: str, training_cells: Iterable[int] | None, rows=7, cols=7, digest: str | None = None
    ) -> None:
        cells = None if training_cells is None else json.dumps([cell_name(c, rows, cols) for c in training_cells])
        with self.transaction():
            self.conn.execute(
                "INSERT OR IGNORE INTO agents (name, spec, training_cells, digest, added) VALUES (?, ?, ?, ?, ?)",
                (name, spec, cells, digest, time.time()),
            )

    def agents(self, rows: int = 7, cols: int = 7) -> list[tuple[str, str, tuple[int, ...] | None]]:
        """(canonical name, spec, training cells) in the order they joined."""
        out = []
        for name, spec, cells in self.read("SELECT name, spec, training_cells FROM agents ORDER BY added, rowid"):
            try:
                training = None if cells is None else parse_cells(json.loads(cells), rows, cols)
            except (ValueError, TypeError):  # BtttError is a ValueError
                raise StoreError(f"{self.path}: agent {name!r} has damaged training cells {cells!r}") from None
            if not isinstance(name, str) or not isinstance(spec, str):
                raise StoreError(f"{self.path}: the agents table is damaged; it was changed outside bttt")
            out.append((name, spec, training))
        return out

    def digests(self) -> dict[str, str | None]:
        """Agent name -> the content hash of its checkpoint (None for agents that load no file)."""
        return dict(self.read("SELECT name, digest FROM agents"))

    # -------------------------------------------------------------------- games
    def done_keys(self) -> set[GameKey]:
        rows = self.read("SELECT p1, p2, layout, game_index, opening FROM games")
        return {GameKey(*row) for row in rows}

    def add_game(
        self,
        result: GameResult,
        rows: int = 7,
        cols: int = 7,
        game_id: int | None = None,
        finished_at: float | None = None,
    ) -> bool:
        """Record a finished game in its own transaction; False if it was already there. ``game_id`` and
        ``finished_at`` keep an imported game's row id and time (``bttt import``); by default SQLite numbers the
        row and the time is now."""
        k = result.key
        moves = ",".join(cell_name(m, rows, cols) for m in result.moves)
        times = json.dumps([round(t, 6) for t in result.move_times])
        try:
            with self.transaction():
                self.conn.execute(
                    "INSERT INTO games (id, p1, p2, layout, opening, game_index, seed, winner, termination, plies,"
                    " opening_plies, moves, move_times, fault_player, fault_detail, wall_time, worker, finished_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        game_id,
                        k.p1,
                        k.p2,
                        k.layout,
                        k.opening,
                        k.index,
                        result.seed,
                        result.winner,
                        result.termination,
                        result.plies,
                        result.opening_plies,
                        moves,
                        times,
                        result.fault_player,
                        result.fault_detail,
                        result.wall_time,
                        result.worker,
                        time.time() if finished_at is None else finished_at,
                    ),
                )
        except sqlite3.IntegrityError:
            return False
        return True

    def games(self, rows: int = 7, cols: int = 7) -> list[GameRow]:
        """Every stored game, each row checked (a damaged row is a :class:`StoreError` naming it)."""
        agents = {a[0] for a in self.agents(rows, cols)}
        out = []
        for r in self.read(
            "SELECT id, p1, p2, layout, game_index, seed, winner, termination, plies, moves, move_times,"
            " fault_player, fault_detail, wall_time, opening, opening_plies, worker, finished_at FROM games"
            " ORDER BY p1, p2, layout, opening, game_index"
        ):
            out.append(self._row(r, agents, rows, cols))
        return out

    def _row(self, r: tuple, agents: set[str], rows: int, cols: int) -> GameRow:
        gid, p1, p2, layout, index, seed, winner, termination, plies, moves, times, fplayer, fdetail = r[:13]
        wall, opening, opening_plies, worker, finished_at = r[13:]

        def bad(what: str) -> StoreError:
            return StoreError(f"{self.path}: game {gid} is damaged ({what}); the database was changed outside bttt")

        if p1 not in agents or p2 not in agents:
            raise bad("an unknown agent")
        values = (index, seed, opening_plies, opening, wall, finished_at, fdetail, worker)
        if _wrong_type(values, _GAME_FIELD_TYPES) is not None:
            raise bad("a field holds a value of the wrong type")
        if winner not in (0, 1, 2) or termination not in TERMINATIONS or fplayer not in (None, 1, 2):
            raise bad(f"winner {winner!r}, termination {termination!r}")
        try:
            parse_layout(layout, rows, cols)
            cells = parse_cells(moves, rows, cols) if moves else ()
            move_times = json.loads(times)
        except (ValueError, TypeError):
            raise bad("its layout, moves or move times do not parse") from None
        if not isinstance(move_times, list) or not all(isinstance(t, int | float) for t in move_times):
            raise bad("move times are not a list of numbers")
        if not isinstance(plies, int) or plies != len(cells) or not 0 <= opening_plies <= plies:
            raise bad(f"{plies!r} plies for {len(cells)} moves")
        return GameRow(
            p1,
            p2,
            layout,
            index,
            seed,
            winner,
            termination,
            plies,
            moves,
            move_times,
            fplayer,
            fdetail,
            wall,
            opening,
            opening_plies,
            gid,
            worker or "",
            finished_at,
        )

    def count_games(self) -> int:
        return self.read("SELECT COUNT(*) FROM games")[0][0]

    # --------------------------------------------------------------------- runs
    def start_run(self, backend: str, workers: int, command: str) -> int:
        with self.transaction():
            cur = self.conn.execute(
                "INSERT INTO runs (started, backend, workers, command) VALUES (?, ?, ?, ?)",
                (time.time(), backend, workers, command),
            )
        return int(cur.lastrowid)

    def finish_run(self, run_id: int, games_played: int, wall_time: float) -> None:
        with self.transaction():
            self.conn.execute(
                "UPDATE runs SET finished=?, games_played=?, wall_time=? WHERE id=?",
                (time.time(), games_played, wall_time, run_id),
            )

    def runs(self) -> list[dict]:
        """Every recorded run, each row checked for its types (a damaged row is a :class:`StoreError`)."""
        cols = ("id", "started", "finished", "backend", "workers", "games_played", "wall_time", "command")
        out = []
        for r in self.read(f"SELECT {', '.join(cols)} FROM runs ORDER BY id"):
            col = _wrong_type(r, _RUN_FIELD_TYPES)
            if col is not None:
                raise StoreError(
                    f"{self.path}: run {r[0]!r} is damaged ({cols[col]} holds {type(r[col]).__name__}); "
                    "the database was changed outside bttt"
                )
            out.append(dict(zip(cols, r, strict=True)))
        return out


_NULL = type(None)
_NUMBER = (int, float)
#: Allowed Python types of the checked game fields: index, seed, opening plies, opening, wall time, finished at,
#: fault detail, worker.
_GAME_FIELD_TYPES = ((int,), (int,), (int,), (str,), _NUMBER, _NUMBER, (str, _NULL), (str, _NULL))
#: ... and of a run row's columns, in :meth:`Store.runs` order.
_RUN_FIELD_TYPES = (
    (int,),
    _NUMBER,
    (*_NUMBER, _NULL),
    (str, _NULL),
    (int, _NULL),
    (int,),
    (*_NUMBER, _NULL),
    (str, _NULL),
)


def _wrong_type(values: tuple, kinds: tuple[tuple[type, ...], ...]) -> int | None:
    """Index of the first value whose exact type is not among its allowed types, or None. ``type()``, not
    ``isinstance``: a bool is no count, and SQLite gives exactly int, float, str, bytes or None."""
    for i, (value, allowed) in enumerate(zip(values, kinds, strict=True)):
        if type(value) not in allowed:
            return i
    return None


def delete_database(path: str | Path) -> None:
    """Delete a bttt tournament database (and its WAL files); anything else is refused, never deleted."""
    kind = probe(path)
    if kind == "missing":
        return
    if kind == "foreign":
        raise StoreError(f"--overwrite: {path} is not a bttt tournament database; bttt deletes only its own files")
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _norm(value):
    """Compare JSON-round-tripped values (tuples become lists)."""
    return json.loads(json.dumps(value))
