"""The solution store: proven positions survive a process, are checked on open, and another variant's store, a
foreign file or a corrupt one is a clear error (exit code 2 on the command line)."""

from __future__ import annotations

import sqlite3

import pytest

from bttt import GameState, Rules
from bttt.cli import main
from bttt.solver.engine import Solver
from bttt.solver.solve import solve
from bttt.solver.store import SolutionStore, StoreError

RULES = Rules(4, 4, 4, "none")


def _solve_into(path, rules=RULES, moves="A1,B2") -> tuple[Solver, object]:
    store = SolutionStore(path, rules)
    solver = Solver(rules, tt_bits=16, store=store)
    sol = solve(GameState.from_moves(rules, moves), solver=solver, moves="none", pv=False)
    solver.flush()
    store.close()
    return solver, sol


def test_proven_positions_are_kept_and_reused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    first, sol = _solve_into(path)
    assert sol.bounds.exact and first.nodes > 1000
    with SolutionStore(path, RULES, create=False) as store:
        assert store.count() > 0
        again = Solver(RULES, tt_bits=16, store=store)
        assert again.loaded == store.count()
        sol2 = solve(GameState.from_moves(RULES, "A1,B2"), solver=again, moves="none", pv=False)
    assert sol2.bounds == sol.bounds
    assert again.nodes < first.nodes / 10  # the stored proof is reused, not redone


def test_a_flush_writes_only_what_changed_since_the_last(tmp_path) -> None:
    # The write at Ctrl-C must stay short however long a solve ran: only changed entries are written again.
    path = tmp_path / "s.sqlite"
    with SolutionStore(path, RULES) as store:
        solver = Solver(RULES, tt_bits=16, store=store)
        solve(GameState.from_moves(RULES, "A1,B2"), solver=solver, moves="none", pv=False)
        assert solver.flush() > 0
        assert solver.flush() == 0
        written = store.count()
        solve(GameState.from_moves(RULES, "A1,C3"), solver=solver, moves="none", pv=False)
        assert 0 < solver.flush() <= store.count()
    with SolutionStore(path, RULES, create=False) as store:
        again = Solver(RULES, tt_bits=16, store=store)
        assert again.loaded == store.count() > written
        assert again.flush() == 0  # what was loaded is already in the store


def test_a_store_for_another_variant_is_refused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    _solve_into(path)
    with pytest.raises(StoreError, match="another variant"):
        SolutionStore(path, Rules(4, 4, 4, "B2"))
    assert main(["solve", "4x4k4 b:B2 m:-", "--store", str(path)]) == 2


def test_foreign_and_corrupt_files_are_refused_and_left_alone(tmp_path, capsys) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("my notes")
    with pytest.raises(StoreError, match="not an SQLite file"):
        SolutionStore(text, RULES)
    assert text.read_text() == "my notes"
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    with pytest.raises(StoreError, match="not a bttt solution store"):
        SolutionStore(other, RULES)
    path = tmp_path / "s.sqlite"
    _solve_into(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE positions SET lo = 20, hi = 15 WHERE (k1, k2) IN (SELECT k1, k2 FROM positions LIMIT 1)")
    conn.commit()
    conn.close()
    with SolutionStore(path, RULES) as store, pytest.raises(StoreError, match="corrupt"):
        Solver(RULES, tt_bits=16, store=store)
    assert main(["solve", "4x4k4 b:none m:-", "--store", str(path)]) == 2
    assert "corrupt" in capsys.readouterr().err


def test_a_store_with_broken_meta_is_refused(tmp_path) -> None:
    path = tmp_path / "s.sqlite"
    _solve_into(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE meta SET value = '99' WHERE key = 'format_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="version 99"):
        SolutionStore(path, RULES)


def test_results_are_json_objects(tmp_path) -> None:
    with SolutionStore(tmp_path / "s.sqlite", RULES) as store:
        store.put_result("root", {"value": "draw"})
        assert store.result("root") == {"value": "draw"}
        assert store.result("missing") is None
        store.conn.execute("UPDATE results SET value = 'import os' WHERE key = 'root'")
        with pytest.raises(StoreError, match="not JSON"):
            store.result("root")


@pytest.mark.parametrize("damage", ["truncated", "overwritten pages"])
def test_a_damaged_store_file_is_one_line_and_exit_code_2(tmp_path, capsys, damage) -> None:
    path = tmp_path / "s.sqlite"
    _solve_into(path)
    data = bytearray(path.read_bytes())
    if damage == "truncated":
        data = data[: len(data) // 3]
    else:  # every page after the first (the header stays readable): the tables' b-trees are garbage
        for i in range(4096, len(data)):
            data[i] = (i * 131) & 0xFF
    path.write_bytes(bytes(data))
    before = path.read_bytes()
    assert main(["solve", "4x4k4 b:none m:A1,B2", "--store", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "store" in err and "Traceback" not in err
    assert path.read_bytes() == before  # left alone
