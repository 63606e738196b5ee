"""The empty board of every brick orbit, solved and mapped onto all the cells: the table bttt ships.

:func:`solve_openings` solves the empty board with one brick on the lowest cell of each symmetry orbit (10 on
7x7), within a budget per orbit, and records for each what is proven: the value and distance (or, when the
budget runs out, the bounds: e.g. "no win within 25 plies"), the optimal first moves, every first move's proven
interval, the principal line, nodes, time and the machine. With a store folder each orbit keeps its proven
positions in its own :class:`~bttt.solver.store.SolutionStore`, so a stopped run resumes, and a finished orbit is
not solved again. A solved win also gets a certificate, checked by the independent checker, whose size and
checking time go in the table. :func:`cell_map` maps the orbits onto every cell by the board's symmetries.

The table is JSON with the format tag ``bttt-openings``; an unsolved orbit has ``"solved": false`` and is never
shown as solved.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from bttt.cells import cell_name
from bttt.errors import BtttError
from bttt.paths import atomic_write
from bttt.rules import Rules
from bttt.solver.certificate import make_certificate, write_certificate
from bttt.solver.checker import read_certificate, verify
from bttt.solver.engine import Budget, Solver
from bttt.solver.solve import solve
from bttt.solver.store import SolutionStore
from bttt.solver.table import bits_for_memory
from bttt.state import GameState
from bttt.symmetry import brick_orbits, transform_cell, transforms

TABLE_FORMAT = "bttt-openings"
TABLE_VERSION = 1
SHIPPED = "openings_7x7k4.json"


def machine() -> dict:
    """The machine a result was measured on."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    return {
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_average_1min": round(load[0], 2),
    }


def store_path(folder: Path, rules: Rules) -> Path:
    """The store file of one layout in an openings folder (``7x7k4-D4.sqlite``)."""
    bricks = "+".join(cell_name(c, rules.rows, rules.cols) for c in rules.bricks) or "none"
    return folder / f"{rules.rows}x{rules.cols}k{rules.win_length}-{bricks}.sqlite"


def solve_orbit(
    rules: Rules,
    budget_seconds: float | None,
    memory_mb: float = 256,
    store_folder: Path | None = None,
    certificate_folder: Path | None = None,
) -> dict:
    """Solve the empty board of ``rules`` (one orbit's representative layout) and return its table entry."""
    store = SolutionStore(store_path(store_folder, rules), rules) if store_folder is not None else None
    previous = store.result("opening") if store is not None else None
    if previous is not None and previous.get("solved"):
        store.close()
        return previous
    solver = Solver(rules, tt_bits=bits_for_memory(memory_mb), store=store)
    state = GameState(rules)
    cpu0 = time.process_time()
    try:
        sol = solve(state, solver=solver, budget=Budget(budget_seconds), moves="optimal", pv=True)
    finally:
        if store is not None:
            solver.flush()
    name = rules.name
    spent_before = (previous or {}).get("effort", {})
    entry = {
        "brick": name(rules.bricks[0]),
        "orbit": [name(c) for c in _orbit_of(rules)],
        "solved": sol.bounds.exact,
        "value": sol.bounds.outcome if sol.bounds.exact else "unknown",
        "distance": sol.bounds.distance,
        "text": sol.bounds.text(),
        "lower": sol.bounds.lo,
        "upper": sol.bounds.hi,
        "optimal_first_moves": sorted((name(m) for m in sol.optimal_moves), key=_cell_order(rules)),
        "optimal_moves_complete": sol.complete,
        "first_moves": {
            m.name: {"lower": m.bounds.lo, "upper": m.bounds.hi, "text": m.bounds.text(), "optimal": m.optimal}
            for m in sol.moves
        },
        "principal_line": [name(m) for m in sol.pv],
        "nodes": sol.nodes,
        "seconds": round(sol.seconds, 3),
        "cpu_seconds": round(time.process_time() - cpu0, 3),
        "effort": {
            "nodes": sol.nodes + spent_before.get("nodes", 0),
            "seconds": round(sol.seconds + spent_before.get("seconds", 0.0), 3),
            "runs": 1 + spent_before.get("runs", 0),
        },
        "budget_seconds": budget_seconds,
        "memory_mb": memory_mb,
        "machine": machine(),
    }
    if sol.bounds.exact and sol.bounds.lo > 0 and certificate_folder is not None:
        entry["certificate"] = _certify(state, solver, certificate_folder)
    if store is not None:
        store.put_result("opening", entry)
        store.close()
    return entry


def _certify(state: GameState, solver: Solver, folder: Path) -> dict:
    t0 = time.perf_counter()
    doc = make_certificate(state, solver)
    made = time.perf_counter() - t0
    path = folder / f"certificate-{store_path(folder, state.rules).stem}.json"
    write_certificate(doc, path)
    check = verify(read_certificate(path))
    return {
        "file": path.name,
        "claim": check.claim,
        "strategy_entries": check.strategy_entries,
        "positions_checked": check.positions_checked,
        "bytes": path.stat().st_size,
        "seconds_to_make": round(made, 3),
        "seconds_to_verify": round(check.seconds, 3),
    }


def _orbit_of(rules: Rules) -> tuple[int, ...]:
    for orbit in brick_orbits(rules.rows, rules.cols):
        if rules.bricks[0] in orbit:
            return orbit
    raise ValueError(rules)  # pragma: no cover


def _cell_order(rules: Rules) -> Callable[[str], int]:
    from bttt.cells import parse_cell

    return lambda n: parse_cell(n, rules.rows, rules.cols)


def solve_openings(
    rows: int = 7,
    cols: int = 7,
    k: int = 4,
    budget_seconds: float | None = 600.0,
    memory_mb: float = 256,
    store_folder: Path | None = None,
    certificate_folder: Path | None = None,
    orbits: list[int] | None = None,
    on_orbit: Callable[[dict, dict], None] | None = None,
) -> dict:
    """Solve every orbit (or those whose representative cell is in ``orbits``); ``on_orbit(entry, table)`` is
    called after each, e.g. to write the table so far. Returns the table."""
    table = {
        "format": TABLE_FORMAT,
        "version": TABLE_VERSION,
        "variant": {"rows": rows, "cols": cols, "win_length": k},
        "value_for": "player 1 (O), to move on the empty board",
        "orbits": [],
        "cells": {},
    }
    for orbit in brick_orbits(rows, cols):
        if orbits is not None and orbit[0] not in orbits:
            continue
        entry = solve_orbit(
            Rules(rows, cols, k, (orbit[0],)), budget_seconds, memory_mb, store_folder, certificate_folder
        )
        table["orbits"].append(entry)
        table["cells"] = cell_map(table["orbits"], rows, cols)
        if on_orbit is not None:
            on_orbit(entry, table)
    return table


def cell_map(entries: list[dict], rows: int = 7, cols: int = 7) -> dict[str, dict]:
    """Each cell's entry: its orbit's value, with the optimal first moves carried over by the symmetry that takes
    the orbit's representative brick to that cell."""
    from bttt.cells import parse_cell

    out: dict[str, dict] = {}
    for e in entries:
        rep = parse_cell(e["brick"], rows, cols)
        for t in transforms(rows, cols):
            cell = transform_cell(t, rep, rows, cols)
            name = cell_name(cell, rows, cols)
            if name in out:
                continue
            moves = sorted(transform_cell(t, parse_cell(m, rows, cols), rows, cols) for m in e["optimal_first_moves"])
            out[name] = {
                "orbit": e["brick"],
                "solved": e["solved"],
                "value": e["value"],
                "distance": e["distance"],
                "text": e["text"],
                "optimal_first_moves": [cell_name(m, rows, cols) for m in moves],
                "nodes": e["nodes"],
                "seconds": e["seconds"],
                "cpu_seconds": e.get("cpu_seconds"),
                "machine": e["machine"],
            }
    return dict(sorted(out.items(), key=lambda kv: parse_cell(kv[0], rows, cols)))


def write_table(table: dict, path: str | Path) -> None:
    """Write the table (refusing to replace a file that is not a bttt openings table)."""
    path = Path(path)
    if path.exists():
        check_table_file(path)
    atomic_write(path, json.dumps(table, indent=1, sort_keys=False) + "\n")


def check_table_file(path: Path) -> dict:
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        doc = None
    if not isinstance(doc, dict) or doc.get("format") != TABLE_FORMAT:
        raise BtttError(f"{path} exists and is not a bttt openings table: choose another --out file")
    return doc


def shipped_table() -> dict:
    """The openings table shipped with bttt (7x7, four in a row)."""
    return json.loads(resources.files("bttt.solver").joinpath(SHIPPED).read_text())
