"""The persistent solution store: proven positions of one variant in an SQLite file the user names.

What a long solve proved survives it: the solver's costly table entries (those whose search took at least
``2**(min_work - 1)`` nodes) are written every ``flush_seconds`` and when a solve ends, so a solve stopped by
Ctrl-C or ``kill -9`` restarts with them loaded and skips the work they stand for; later solves and the analysis
of games reuse them. Each write is one transaction (SQLite, WAL), so a killed process leaves the last complete
write.

The file is data, never code: a format tag and version, the variant (rows, columns, win length, bricks) and the
canonical form are recorded and checked on open, SQLite's own integrity check runs, and every row is validated
when loaded (disjoint stones on playable cells, stone counts of a reachable position, a canonical key, a
well-formed interval). A file that is not a store, a store for another variant, or a corrupt one is a
:class:`StoreError` that says which.

Tables: ``meta`` (key/value text), ``positions`` (``k1, k2`` the canonical stones of the side to move and of the
opponent as signed 64-bit integers; ``lo, hi`` the proven score interval relative to the position; ``move`` the
best move in canonical coordinates or -1; ``work``) and ``results`` (JSON summaries of solved roots, e.g. the
openings' progress).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numba import njit

from bttt.errors import BtttError
from bttt.kernels import popcount
from bttt.layouts import layout_name
from bttt.rules import Rules
from bttt.solver.symmetry_tables import SymmetryTables, canonical
from bttt.solver.table import TransTable, collect, store_many
from bttt.solver.values import SCORE_MAX
from bttt.sqlite_open import open_sqlite

FORMAT = "bttt-solution-store"
FORMAT_VERSION = 1
DEFAULT_MIN_WORK = 11  # entries whose search took at least 1024 nodes
_SQLITE_MAGIC = b"SQLite format 3\x00"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (
    k1 INTEGER NOT NULL, k2 INTEGER NOT NULL, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
    move INTEGER NOT NULL, work INTEGER NOT NULL, PRIMARY KEY (k1, k2)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated REAL NOT NULL);
"""
_UPSERT = (
    "INSERT INTO positions (k1, k2, lo, hi, move, work) VALUES (?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (k1, k2) DO UPDATE SET lo = max(lo, excluded.lo), hi = min(hi, excluded.hi), "
    "move = CASE WHEN excluded.work >= work THEN excluded.move ELSE move END, work = max(work, excluded.work)"
)


class StoreError(BtttError):
    """A solution store that cannot be used: not a store, another variant's, or corrupt."""


def variant_meta(rules: Rules) -> dict[str, str]:
    """The variant as the store records it."""
    return {
        "rows": str(rules.rows),
        "cols": str(rules.cols),
        "win_length": str(rules.win_length),
        "bricks": layout_name(rules.bricks, rules.rows, rules.cols),
        "canonical": "layout-preserving symmetries, least (me, opp)",
    }


class SolutionStore:
    """One variant's proven positions in an SQLite file (see the module docstring).

    Args:
        path: the file; created (with its folder) if absent and ``create`` is true.
        rules: the variant this store must hold.
        create: make a new store when the file does not exist (else that is an error).
    """

    def __init__(self, path: str | Path, rules: Rules, create: bool = True) -> None:
        self.path = Path(path)
        self.rules = rules
        exists = self.path.exists() and not (self.path.is_file() and self.path.stat().st_size == 0)
        if not exists and not create:
            raise StoreError(f"no solution store at {self.path}")
        if exists:
            _check_header(self.path)
        elif not self.path.parent.exists():
            raise StoreError(f"cannot create the store {self.path}: the folder {self.path.parent} does not exist")
        try:
            self.conn = open_sqlite(self.path, timeout=60, isolation_level=None)
            if exists:
                self._validate_existing()
            else:
                self._create()
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:  # UnicodeDecodeError: a schema not in UTF-8
            raise StoreError(f"{self.path} is not a usable solution store ({exc}); choose another file") from None

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        try:
            return self.conn.execute(sql, args).fetchall()
        except sqlite3.DatabaseError as exc:  # a damaged page, a text field that is not UTF-8
            raise StoreError(f"{self.path} is corrupt ({exc}); delete the file to start afresh") from None

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; a write SQLite refuses (a full disk, a read-only or damaged file) is a StoreError."""
        try:
            with self.conn:
                self.conn.execute("BEGIN")
                yield
        except sqlite3.DatabaseError as exc:
            raise StoreError(
                f"cannot write to the solution store {self.path}: {exc} (a full disk, a read-only or damaged file); "
                "what it held before is kept: fix the cause and rerun to resume"
            ) from None

    # ------------------------------------------------------------------------------------------------ open
    def _create(self) -> None:
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.executescript(_SCHEMA)
        meta = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "created": repr(time.time())}
        meta.update(variant_meta(self.rules))
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", sorted(meta.items()))

    def _validate_existing(self) -> None:
        tables = {r[0] for r in self._read("SELECT name FROM sqlite_master WHERE type='table'")}
        if "meta" not in tables:
            raise StoreError(f"{self.path} is an SQLite file but not a bttt solution store; choose another file")
        meta = dict(r for r in self._read("SELECT key, value FROM meta") if len(r) == 2)
        if meta.get("format") != FORMAT:
            raise StoreError(f"{self.path} is not a bttt solution store (format {meta.get('format')!r})")
        if meta.get("format_version") != str(FORMAT_VERSION):
            raise StoreError(
                f"{self.path} is a solution store of format version {meta.get('format_version')}, this bttt reads "
                f"version {FORMAT_VERSION}"
            )
        if not {"positions", "results"} <= tables:
            raise StoreError(f"{self.path} is corrupt: tables are missing")
        want = variant_meta(self.rules)
        diffs = [f"{k} {meta.get(k)!r} (asked {v!r})" for k, v in want.items() if meta.get(k) != v]
        if diffs:
            raise StoreError(
                f"{self.path} holds another variant: {', '.join(diffs)}; use a store made for "
                f"{self.rules.describe()} or a new file"
            )
        check = self._read("PRAGMA quick_check")[0][0]
        if check != "ok":
            raise StoreError(f"{self.path} is corrupt (SQLite integrity check: {check})")
        self.conn.execute("PRAGMA journal_mode=WAL")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> SolutionStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------------------------------- positions
    def count(self) -> int:
        return int(self._read("SELECT COUNT(*) FROM positions")[0][0])

    def load_into(self, tt: TransTable, sym: SymmetryTables) -> int:
        """Validate every stored position and put it in ``tt``; the number loaded."""
        rows = self._read("SELECT k1, k2, lo, hi, move, work FROM positions")
        if not rows:
            return 0
        if not all(type(v) is int and -(2**63) <= v < 2**63 for row in rows for v in row):
            raise StoreError(f"{self.path} is corrupt: a position row holds a value that is not an integer")
        data = np.array(rows, dtype=np.int64)
        k1 = data[:, 0].view(np.uint64).copy()
        k2 = data[:, 1].view(np.uint64).copy()
        lo, hi, move, work = data[:, 2], data[:, 3], data[:, 4], data[:, 5]
        t = self.rules.tables
        bad = _first_invalid(k1, k2, lo, hi, move, work, t.full, self.rules.n_cells, sym)
        if bad >= 0:
            raise StoreError(
                f"{self.path} is corrupt: position row {bad + 1} ({int(data[bad, 0])}, {int(data[bad, 1])}) is not a "
                "valid entry for this variant; delete the file to start afresh"
            )
        store_many(
            tt, k1, k2, lo.astype(np.int8), hi.astype(np.int8), move.astype(np.int8), work.astype(np.uint8), False
        )
        return len(rows)

    def save_from(self, tt: TransTable, min_work: int = DEFAULT_MIN_WORK) -> int:
        """Write the entries of ``tt`` that took at least ``2**(min_work - 1)`` nodes and changed since the last
        write (:attr:`TransTable.dirty`); the number written."""
        idx = collect(tt, min_work, True)
        if idx.size == 0:
            return 0
        rows = zip(
            tt.k1[idx].view(np.int64).tolist(),
            tt.k2[idx].view(np.int64).tolist(),
            tt.lo[idx].tolist(),
            tt.hi[idx].tolist(),
            tt.move[idx].tolist(),
            tt.work[idx].tolist(),
            strict=True,
        )
        with self._writing():
            self.conn.executemany(_UPSERT, rows)
        tt.dirty[idx] = 0
        return int(idx.size)

    # ------------------------------------------------------------------------------------------- ordering
    def save_history(self, history: np.ndarray) -> None:
        """Keep the search's history heuristic (move-ordering counts per colour and cell): a resumed search that
        starts without it orders its moves worse and can take longer than the search it resumes."""
        self.put_result("history", {"history": np.asarray(history).tolist()})

    def load_history(self, shape: tuple[int, int]) -> np.ndarray | None:
        doc = self.result("history")
        if doc is None:
            return None
        try:
            h = np.array(doc["history"], dtype=np.int64)
        except (KeyError, TypeError, ValueError, OverflowError):
            h = None
        if h is None or h.shape != shape or (h < 0).any():
            raise StoreError(f"{self.path} is corrupt: the stored move-ordering table is malformed")
        return h

    # --------------------------------------------------------------------------------------------- results
    def put_result(self, key: str, value: dict) -> None:
        """Record a JSON summary (e.g. a solved root) under ``key``."""
        with self._writing():
            self.conn.execute(
                "INSERT INTO results (key, value, updated) VALUES (?, ?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated",
                (key, json.dumps(value, sort_keys=True), time.time()),
            )

    def result(self, key: str) -> dict | None:
        rows = self._read("SELECT value FROM results WHERE key = ?", (key,))
        if not rows:
            return None
        try:
            value = json.loads(rows[0][0])
        except (ValueError, TypeError):  # ValueError: also a BLOB that is not UTF-8
            raise StoreError(f"{self.path} is corrupt: the result {key!r} is not JSON") from None
        if not isinstance(value, dict):
            raise StoreError(f"{self.path} is corrupt: the result {key!r} is not a JSON object")
        return value


def _check_header(path: Path) -> None:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not a solution store file")
    with open(path, "rb") as f:
        head = f.read(len(_SQLITE_MAGIC))
    if head != _SQLITE_MAGIC:
        raise StoreError(f"{path} is not a bttt solution store (not an SQLite file); choose another file")


@njit(cache=True)
def _first_invalid(k1, k2, lo, hi, move, work, full, n_cells, sym):
    """Index of the first row that cannot be a stored position, or -1."""
    for i in range(k1.shape[0]):
        a = k1[i]
        b = k2[i]
        if a & b or (a | b) & ~full:
            return i
        d = popcount(b) - popcount(a)
        if d != 0 and d != 1:
            return i
        if not -SCORE_MAX <= lo[i] <= hi[i] <= SCORE_MAX:
            return i
        if not -1 <= move[i] < n_cells or not 1 <= work[i] <= 255:
            return i
        if move[i] >= 0 and ((full >> np.uint64(move[i])) & np.uint64(1) == 0 or ((a | b) >> np.uint64(move[i])) & 1):
            return i
        c1, c2, _ = canonical(a, b, sym)
        if c1 != a or c2 != b:
            return i
    return -1
