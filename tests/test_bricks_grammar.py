"""One brick grammar everywhere: ``+`` joins the bricks of a layout, ``,`` separates alternatives, ``random`` /
``all`` / ``orbits`` / ``none`` are words, an empty spec is refused. Checked at every entry point: the parser, Rules,
serialised states, both environments, training and self-play configs, and each command's ``--bricks`` flag."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest

import bttt
from agents.alphazero.config import TrainConfig
from agents.alphazero.dataset import SelfPlayOptions
from bttt import BrickDistribution, GameState, Rules
from bttt.cli import main
from bttt.errors import BtttError
from bttt.layouts import BrickSpecError, parse_distribution, parse_layout
from bttt.symmetry import orbit_representatives
from tournament.schedule import ScheduleError, parse_suite, parse_train


def test_the_two_operators_and_the_words():
    assert parse_layout("D3+E5") == (23, 32)
    assert parse_layout(" d3 + e5 ") == (23, 32)  # case and spaces do not matter
    assert parse_layout("none") == ()
    assert parse_distribution("D3,D4") == ((23,), (24,))
    assert parse_distribution("D4,D3+E5,none") == ((24,), (23, 32), ())
    assert parse_distribution("random") == parse_distribution("all") == tuple((c,) for c in range(49))
    assert parse_distribution("orbits") == tuple((c,) for c in orbit_representatives())
    assert parse_distribution("orbits", 5, 5) == tuple((c,) for c in orbit_representatives(5, 5))
    assert BrickDistribution.parse("D3,D4").describe() == "D3,D4"
    assert BrickDistribution.parse("C3+E5").cells == (16, 32)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("", "empty brick spec"),
        (" ", "empty brick spec"),
        ("D3,,D4", "empty item"),
        ("D3+", "join cells with +"),
        ("D3,D3", "more than once"),
        ("D3+D3", "names a cell twice"),
        ("H1", "row 'H'"),
        ("D8", "column 8"),
    ],
)
def test_distribution_refusals(spec, fragment):
    with pytest.raises(BtttError, match=fragment):
        parse_distribution(spec)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [("D3,E5", "write D3\\+E5"), ("", "write none for no brick"), ("random", "names a distribution")],
)
def test_one_layout_refuses_a_distribution_and_shows_the_fix(spec, fragment):
    with pytest.raises(BrickSpecError, match=fragment):
        parse_layout(spec)
    with pytest.raises(BtttError, match=fragment):
        Rules(bricks=spec)


def test_rules_show_cell_names():
    assert repr(Rules(bricks="D3+E5")) == "Rules(rows=7, cols=7, win_length=4, bricks='D3+E5')"
    assert repr(Rules(bricks=None)) == "Rules(rows=7, cols=7, win_length=4, bricks='none')"
    assert Rules(bricks="E5").describe() == "7x7, 4 in a row, bricks: E5"


def test_serialised_states_use_the_layout_grammar():
    state = GameState.from_moves(Rules(bricks="D3+E5"), "C3,D5")
    assert state.serialize() == "7x7k4 b:D3+E5 m:C3,D5"
    assert GameState.deserialize(state.serialize()) == state
    assert GameState.deserialize("5x5k4 b:none m:-").rules.bricks == ()
    assert GameState.deserialize("5x5k4 b:- m:-").rules.bricks == ()  # as written before bttt 0.2
    with pytest.raises(BtttError, match="write D3\\+E5"):
        GameState.deserialize("7x7k4 b:D3,E5 m:-")


def test_both_environments_draw_from_the_same_grammar():
    pz = bttt.env(bricks="D3,D4")
    seen = set()
    for seed in range(12):
        pz.reset(seed=seed)
        seen.add(tuple(pz.unwrapped.game.rules.bricks))
    assert seen == {(23,), (24,)}
    pz.reset(seed=0, options={"bricks": "C3+E5"})
    assert pz.unwrapped.game.rules.bricks == (16, 32)
    gym = gymnasium.make(bttt.GYM_ID, bricks="D3+E5")
    _, info = gym.reset(seed=0)
    assert info["layout"] == "D3+E5"
    for bad in ("", "D3,,D4"):
        with pytest.raises(BtttError):
            bttt.env(bricks=bad)
        with pytest.raises(BtttError):
            gymnasium.make(bttt.GYM_ID, bricks=bad).reset(seed=0)
    # the environment's distribution and Rules' single layout: two bricks mean the same game either way
    assert (
        bttt.env(bricks="D3+E5").unwrapped.brick_distribution
        == bttt.env(rules=Rules(bricks="D3+E5")).unwrapped.brick_distribution
    )


def test_training_and_selfplay_configs():
    assert TrainConfig(bricks="D3,D4").distribution().layouts == ((23,), (24,))
    assert TrainConfig(bricks="orbits").distribution().layouts[0] == (0,)
    for bad in ("", "D3,D3"):
        with pytest.raises(BtttError):
            TrainConfig(bricks=bad)
    assert SelfPlayOptions(bricks="D3+E5").bricks == "D3+E5"


def test_tournament_suites_and_training_cells():
    assert parse_suite("D4,D3+E5") == ((24,), (23, 32))
    assert len(parse_suite("random")) == 49
    assert parse_train("D3,D4") == (23, 24) and parse_train("D3+E5") == (23, 32)
    for bad in ("", "D4,,D3"):
        with pytest.raises(ScheduleError, match="--bricks"):
            parse_suite(bad)
        with pytest.raises(ScheduleError, match="--train-bricks"):
            parse_train(bad)


def test_commands_take_the_grammar(capsys, tmp_path):
    assert main(["demo", "--bricks", "D3+E5", "--seed", "1"]) == 0
    assert "bricks: D3+E5" in capsys.readouterr().out
    draws = set()
    for seed in range(8):  # a distribution is drawn per game, seeded
        assert main(["demo", "--bricks", "D3,D4", "--seed", str(seed)]) == 0
        draws.add(capsys.readouterr().out.splitlines()[0])
    assert {any("bricks: D3" in d for d in draws), any("bricks: D4" in d for d in draws)} == {True}
    assert main(["play", "--p1", "random", "--p2", "random", "--bricks", "none", "--seed", "2"]) == 0
    assert "bricks: none" in capsys.readouterr().out
    for command in (["demo"], ["play", "--p1", "random", "--p2", "random"]):
        for bad in ("", "D3,,E5", "Z1"):
            assert main([*command, "--bricks", bad]) == 2
            err = capsys.readouterr().err
            assert "error:" in err and "Traceback" not in err
    db = tmp_path / "t.db"
    assert (
        main(
            [
                "tournament",
                "--openings",
                "0",
                "random",
                "mcts:iterations=5",
                "--bricks",
                "D3+E5,A1",
                "--games",
                "1",
                "--db",
                str(db),
                "--no-report",
                "--no-progress",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    from tournament.store import Store

    with Store(db) as store:
        assert sorted({g.layout for g in store.games()}) == ["A1", "D3+E5"]
    assert main(["tournament", "random", "mcts:iterations=5", "--bricks", "", "--db", str(tmp_path / "u.db")]) == 2
    assert "--bricks" in capsys.readouterr().err


def test_play_validates_the_board_before_the_bricks(capsys):
    assert main(["play", "--p1", "random", "--p2", "random", "--rows", "8"]) == 2
    assert "rows=8" in capsys.readouterr().err
    assert main(["play", "--p1", "random", "--p2", "random", "--rows", "2"]) == 2
    err = capsys.readouterr().err
    assert "rows=2" in err and "D4" not in err
    assert main(["play", "--p1", "random", "--p2", "random", "--rows", "5", "--cols", "5", "--seed", "0"]) == 0
    assert "bricks: C3" in capsys.readouterr().out  # the default brick is the board's centre


def test_a_distribution_is_drawn_with_the_callers_generator():
    dist = BrickDistribution.parse("D3,D4,E5")
    a = [dist.sample(np.random.default_rng(7)) for _ in range(5)]
    b = [dist.sample(np.random.default_rng(7)) for _ in range(5)]
    assert a == b
