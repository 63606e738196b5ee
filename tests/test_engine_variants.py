"""Board variants, refused variants, cell names and brick orbits."""

from __future__ import annotations

import pytest
from test_engine_oracle import replay

from bttt import GameState, Rules, symmetry
from bttt.cells import cell_name, parse_cell, parse_cells
from bttt.errors import BtttError, CellNameError, RulesError
from bttt.layouts import BrickDistribution


def test_classic_tictactoe_game_tree():
    """3x3, 3 in a row, no brick: the well-known counts of all 255,168 possible games."""
    rules = Rules(3, 3, 3, bricks=None)
    counts = {0: 0, 1: 0, 2: 0}

    def walk(state: GameState) -> None:
        if state.is_terminal():
            counts[state.winner] += 1
            return
        for move in state.legal_actions():
            walk(state.child(move))

    walk(GameState(rules))
    assert counts == {1: 131184, 2: 77904, 0: 46080}


@pytest.mark.parametrize(
    ("rows", "cols", "k"), [(3, 3, 3), (5, 4, 3), (4, 5, 4), (6, 7, 4), (7, 3, 3), (7, 7, 5), (4, 4, 2)]
)
def test_variant_windows_and_random_games(rows, cols, k):
    rules = Rules(rows, cols, k, bricks=None)
    expected = 0
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        expected += sum(
            1 for r in range(rows) for c in range(cols) if 0 <= r + dr * (k - 1) < rows and 0 <= c + dc * (k - 1) < cols
        )
    assert len(rules.windows) == len(rules.tables.win_masks) == expected
    for seed in range(20):
        state = GameState(rules)
        i = seed
        while not state.is_terminal():
            legal = state.legal_actions()
            i = (i * 1103515245 + 12345) % 2**31
            state.apply_action(legal[i % len(legal)])
        _, winner, full = replay(rows, cols, k, (), state.history)
        assert state.winner == winner and (winner or full)


def test_rectangular_board_names_and_observation():
    rules = Rules(5, 4, 3, bricks="C2")
    assert rules.bricks == (9,) and rules.name(19) == "E4"
    state = GameState.from_moves(rules, "A1,E4")
    assert state.observation().shape == (3, 5, 4)
    assert state.board()[2, 1] == 3
    assert Rules(5, 4, 3).bricks == (2 * 4 + 2,)  # "center" on an even side rounds down-right


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"rows": 8}, "rows=8 is not supported"),
        ({"cols": 2}, "cols=2 is not supported"),
        ({"win_length": 9}, "win_length=9 does not fit a 7x7 board"),
        ({"win_length": 1}, "win_length=1"),
        ({"rows": 3, "cols": 3, "win_length": 4}, "does not fit a 3x3 board"),
        ({"bricks": "D4+D4"}, "brick cells repeat: D4"),
        ({"bricks": "D3,E5"}, "write D3+E5 for these bricks on one board"),  # a comma separates layouts
        ({"bricks": ""}, "empty brick layout: write none"),
        ({"bricks": [24, "D4"]}, "brick cells repeat: D4"),
        ({"bricks": "H1"}, "row 'H'"),
        ({"rows": 3, "cols": 3, "win_length": 3, "bricks": list(range(9))}, "whole board"),
        ({"rows": 7.0}, "rows must be an integer"),
    ],
)
def test_invalid_variants_are_refused_with_a_message(kwargs, message):
    with pytest.raises(RulesError if "H1" not in str(kwargs) else CellNameError) as err:
        Rules(**kwargs)
    assert message in str(err.value)
    assert isinstance(err.value, BtttError)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("H1", "row 'H' in 'H1' is off the board"),
        ("A8", "column 8 in 'A8' is off the board"),
        ("4D", "malformed cell name '4D'"),
        ("", "empty cell name"),
        ("D", "malformed cell name 'D'"),
        ("D4x", "malformed cell name"),
    ],
)
def test_cell_name_errors(name, message):
    with pytest.raises(CellNameError) as err:
        parse_cell(name)
    assert message in str(err.value)
    assert "e.g. 'D4'" in str(err.value)


def test_cell_names_round_trip():
    for index in range(49):
        assert parse_cell(cell_name(index)) == index
        assert parse_cell(cell_name(index).lower()) == index
    assert parse_cell("D4") == 24 and parse_cell(" d4 ") == 24 and parse_cell(24) == 24
    assert parse_cells("D3, D4 E5") == (23, 24, 32)
    assert cell_name(19, 5, 4) == "E4"
    for bad in (49, -1, True, 2.0):
        with pytest.raises(CellNameError):
            cell_name(bad)
    with pytest.raises(CellNameError, match="column 5"):
        parse_cell("A5", 5, 4)


def test_ten_brick_orbits_cover_the_board():
    orbits = symmetry.brick_orbits(7, 7)
    assert len(orbits) == 10
    cells = [c for o in orbits for c in o]
    assert sorted(cells) == list(range(49))  # disjoint and complete
    assert (24,) in orbits
    assert sorted(len(o) for o in orbits) == [1, 4, 4, 4, 4, 4, 4, 8, 8, 8]
    for orbit in orbits:
        for t in range(8):
            assert symmetry.transform_cells(t, orbit) == orbit
    assert symmetry.orbit_of(parse_cell("D3")) == tuple(sorted(parse_cells("C4,D3,D5,E4")))
    assert symmetry.preserving_transforms(Rules()) == tuple(range(8))
    assert len(symmetry.brick_orbits(5, 4)) == 6


def test_permutations_are_bijections_and_inverses():
    for rows, cols in ((7, 7), (5, 4)):
        for t in symmetry.transforms(rows, cols):
            perm = symmetry.permutation(t, rows, cols)
            inv = symmetry.permutation(symmetry.inverse(t), rows, cols)
            assert sorted(perm.tolist()) == list(range(rows * cols))
            assert [int(inv[perm[c]]) for c in range(rows * cols)] == list(range(rows * cols))


def test_brick_distribution_specs():
    assert BrickDistribution.parse("D4").layouts == ((24,),)
    assert BrickDistribution.parse("D3+E5").layouts == ((23, 32),)
    assert BrickDistribution.parse("D3,D4").layouts == ((23,), (24,))
    assert BrickDistribution.parse("none").layouts == ((),)
    assert len(BrickDistribution.parse("random").layouts) == 49
    with pytest.raises(BtttError, match="names a cell twice"):
        BrickDistribution.parse("D3+D3")
    with pytest.raises(CellNameError):
        BrickDistribution.parse("D3,Z9")


def test_tables_are_shared_and_python_masks_agree():
    assert Rules(bricks="D4").tables is Rules(bricks=24).tables  # built once per variant
    for rules in (Rules(), Rules(bricks=None), Rules(5, 4, 3, bricks="A1+C3"), Rules(3, 3, 3, bricks=None)):
        t = rules.tables
        for cell in range(rules.n_cells):
            expected = tuple(int(t.win_masks[t.cell_wins[j]]) for j in range(t.cell_ptr[cell], t.cell_ptr[cell + 1]))
            assert rules.cell_win_masks[cell] == expected
            assert all(m >> cell & 1 for m in expected)
            assert not any(m & rules.brick_mask for m in expected)
        assert rules.n_cells == rules.rows * rules.cols
