"""The openings table bttt ships (bttt/solver/openings_7x7k4.json): complete, consistent with the certificates in
docs/solver/certificates, mapped onto every cell by the symmetries, and re-solved where that is cheap."""

from __future__ import annotations

import json
from pathlib import Path

from bttt import GameState, Rules
from bttt.cells import parse_cell
from bttt.solver.openings import TABLE_FORMAT, cell_map, shipped_table
from bttt.solver.solve import solve
from bttt.symmetry import brick_orbits

CERTIFICATES = Path(__file__).resolve().parents[1] / "docs" / "solver" / "certificates"


def test_every_orbit_and_every_cell_is_in_the_table() -> None:
    table = shipped_table()
    assert table["format"] == TABLE_FORMAT
    assert [e["brick"] for e in table["orbits"]] == [Rules(7, 7, 4, (o[0],)).name(o[0]) for o in brick_orbits(7, 7)]
    assert len(table["cells"]) == 49
    for cell in table["cells"].values():
        for key in ("value", "distance", "optimal_first_moves", "nodes", "seconds", "machine"):
            assert key in cell
    assert table["cells"] == cell_map(table["orbits"])


def test_solved_orbits_agree_with_their_certificates() -> None:
    for e in shipped_table()["orbits"]:
        if not e["solved"]:
            assert e["value"] == "unknown"
            continue
        cert = json.loads((CERTIFICATES / f"certificate-7x7k4-{e['brick']}.json").read_text())
        assert cert["claim"] == {"value": e["value"], "within": e["distance"]}
        assert e["optimal_moves_complete"]


def test_the_symmetric_cells_carry_the_moves_over() -> None:
    cells = shipped_table()["cells"]
    # the brick on B4 and on F4 are mirror images (columns): their optimal first moves are too
    mirror = {f"{chr(ord('A') + 6 - (ord(m[0]) - ord('A')))}{m[1]}" for m in cells["B4"]["optimal_first_moves"]}
    assert mirror == set(cells["F4"]["optimal_first_moves"])


def test_the_cheap_orbits_solve_again_to_the_same_entry() -> None:
    table = {e["brick"]: e for e in shipped_table()["orbits"]}
    for brick in ("B4", "C4"):  # a quarter of a second each
        rules = Rules(7, 7, 4, brick)
        sol = solve(GameState(rules), moves="optimal", pv=False)
        assert sol.bounds.text() == table[brick]["text"]
        assert sorted(sol.optimal_moves) == sorted(parse_cell(m, 7, 7) for m in table[brick]["optimal_first_moves"])
