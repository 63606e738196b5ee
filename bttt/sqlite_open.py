"""Opening an SQLite file that may come from elsewhere (tournament databases, solution stores).

``PRAGMA trusted_schema=OFF`` keeps SQL functions with side effects out of the file's own schema (views,
triggers, generated columns), so a crafted database cannot make bttt do anything by being read
(docs/security.md).
"""

from __future__ import annotations

import os
import sqlite3


def open_sqlite(path: str | os.PathLike, timeout: float = 30.0, isolation_level: str | None = "") -> sqlite3.Connection:
    """A connection to ``path`` that does not trust the file's schema (see the module docstring)."""
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=isolation_level)
    conn.execute("PRAGMA trusted_schema=OFF")
    return conn
