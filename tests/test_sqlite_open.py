"""Databases from elsewhere are opened without trusting their schema (docs/security.md)."""

from __future__ import annotations

from bttt import Rules
from bttt.solver.store import SolutionStore
from bttt.sqlite_open import open_sqlite
from tournament.store import Store


def test_connections_do_not_trust_the_files_schema(tmp_path) -> None:
    conn = open_sqlite(tmp_path / "a.db")
    assert conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    with SolutionStore(tmp_path / "s.sqlite", Rules(4, 4, 4, "none")) as store:
        assert store.conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0
    tournament = Store(tmp_path / "t.db")
    assert tournament.conn.execute("PRAGMA trusted_schema").fetchone()[0] == 0


def test_an_empty_file_is_a_new_solution_store(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    path.touch()  # e.g. made by sqlite3.connect: nothing in it to lose
    with SolutionStore(path, Rules(4, 4, 4, "none")) as store:
        assert store.count() == 0
