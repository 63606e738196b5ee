"""The PettingZoo AEC environment: PettingZoo's own checks plus the game's semantics."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from pettingzoo.test import api_test, render_test, seed_test

import bttt
from bttt import GameState, Rules
from bttt.errors import BtttError, IllegalMoveError
from bttt.pettingzoo_env import env, raw_env
from bttt.render import render_text


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        # api_test warns that dict observations are "not a NumPy array" for every env
        # outside its own list of classic games; the checks themselves must pass.
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"bricks": "random"},
        {"bricks": "D3+E5"},
        {"bricks": "none", "rules": Rules(3, 3, 3)},
        {"rules": Rules(5, 4, 3, bricks="A1")},
    ],
)
def test_pettingzoo_api_test(kwargs):
    api_test(env(**kwargs), num_cycles=200)


def test_pettingzoo_seed_test():
    seed_test(lambda: env(bricks="random"), num_cycles=100)
    seed_test(env, num_cycles=100)


def test_pettingzoo_render_test(capsys):
    render_test(lambda render_mode=None: env(render_mode=render_mode))
    assert "|1|2|3|4|5|6|7|" in capsys.readouterr().out  # human mode prints the board


def test_package_entry_points():
    assert isinstance(bttt.env().unwrapped, raw_env)
    assert type(bttt.raw_env()) is raw_env
    assert bttt.env().metadata["render_modes"] == ["human", "ansi", "rgb_array"]


def _play(e, moves) -> None:
    for m in moves:
        e.step(m)


def test_observations_follow_the_game_state():
    e = env()
    e.reset(seed=0)
    moves = [16, 32, 0, 48, 8]  # C3 E5 A1 G7 B2
    state = GameState(Rules())
    for m in moves:
        obs, *_ = e.last()
        expected = np.moveaxis(state.observation(), 0, -1).astype(np.int8)
        assert obs["observation"].dtype == np.int8 and obs["observation"].shape == (7, 7, 3)
        assert np.array_equal(obs["observation"], expected)
        assert np.array_equal(obs["action_mask"], state.legal_mask().astype(np.int8))
        e.step(m)
        state.apply_action(m)
    other = "player_1" if e.agent_selection == "player_2" else "player_2"
    assert not e.observe(other)["action_mask"].any()
    mine = e.observe(e.agent_selection)["observation"]
    theirs = e.observe(other)["observation"]
    assert np.array_equal(mine[..., 0], theirs[..., 1]) and np.array_equal(mine[..., 2], theirs[..., 2])
    returned = e.observe(e.agent_selection)["observation"]
    returned[:] = 1  # observations are copies
    assert np.array_equal(e.observe(e.agent_selection)["observation"], mine)


def test_win_rewards_and_termination():
    e = env()
    e.reset()
    _play(e, [0, 48, 1, 47, 2, 46])  # O: A1 A2 A3, X: G7 G6 G5
    assert e.agent_selection == "player_1"
    e.step(3)  # A4 completes the row
    assert all(e.terminations.values()) and not any(e.truncations.values())
    assert e.rewards == {"player_1": 1, "player_2": -1}
    assert e.last()[1] == -1  # player_2 sees its loss
    e.step(None)
    assert e.last()[1] == 1
    e.step(None)
    assert e.agents == []


def test_player_2_can_win():
    e = env()
    e.reset()
    _play(e, [0, 48, 1, 47, 9, 46, 15, 45])  # X: G7 G6 G5 G4
    assert e.rewards == {"player_1": -1, "player_2": 1}


def test_draw_gives_zero_to_both():
    pattern = [[1 + ((c + 2 * r) // 2) % 2 for c in range(7)] for r in range(7)]
    o_cells = [r * 7 + c for r in range(7) for c in range(7) if pattern[r][c] == 1 and r * 7 + c != 24]
    x_cells = [r * 7 + c for r in range(7) for c in range(7) if pattern[r][c] == 2 and r * 7 + c != 24]
    e = env()
    e.reset()
    _play(e, [m for pair in zip(o_cells, x_cells, strict=True) for m in pair])
    assert all(e.terminations.values())
    assert e.rewards == {"player_1": 0, "player_2": 0}


def test_illegal_action_ends_the_game_in_the_wrapped_env():
    e = env()
    e.reset()
    _play(e, [16, 32])
    e.last()
    e.step(24)  # the brick
    assert all(e.terminations.values())
    assert e.rewards == {"player_1": -1, "player_2": 0}
    e = env()
    e.reset()
    _play(e, [16])
    e.step(16)  # occupied (without calling last() first)
    assert e.rewards == {"player_1": 0, "player_2": -1}
    e = env()
    e.reset()
    with pytest.raises(AssertionError):
        e.step(49)


def test_raw_env_raises_on_illegal_actions():
    e = raw_env()
    e.reset()
    e.step(16)
    with pytest.raises(IllegalMoveError, match="C3: the cell is already taken by O"):
        e.step(16)
    with pytest.raises(IllegalMoveError, match="brick"):
        e.step(24)


def test_bricks_at_construction_and_per_episode():
    e = env(bricks="D3,D4")
    seen = set()
    for seed in range(12):
        e.reset(seed=seed)
        info = e.last()[4]
        assert info["bricks"] in (["D3"], ["D4"]) and info["brick_indices"] == [bttt.parse_cell(info["bricks"][0])]
        assert e.infos["player_1"] == e.infos["player_2"]
        seen.add(info["layout"])
        obs = e.last()[0]
        assert obs["observation"][..., 2].sum() == 1
        assert obs["action_mask"][info["brick_indices"][0]] == 0
    assert seen == {"D3", "D4"}
    e.reset(seed=3, options={"bricks": "A1+G7"})
    info = e.last()[4]
    assert info["bricks"] == ["A1", "G7"] and info["layout"] == "A1+G7"
    assert e.last()[0]["observation"][..., 2].sum() == 2
    e.reset(seed=3, options={"bricks": "none"})
    assert e.last()[4]["bricks"] == [] and e.last()[0]["action_mask"].sum() == 49
    e.reset(seed=3)  # back to the constructor's distribution
    assert e.last()[4]["layout"] in ("D3", "D4")


def test_seeded_brick_draws_repeat():
    def layouts(seed):
        e = env(bricks="random")
        e.reset(seed=seed)
        out = [e.last()[4]["layout"]]
        for _ in range(5):
            e.reset()
            out.append(e.last()[4]["layout"])
        return out

    assert layouts(5) == layouts(5)
    assert layouts(5) != layouts(6)
    assert len(set(layouts(5) + layouts(6))) > 3


def test_variant_rules():
    e = env(rules=Rules(3, 3, 3, bricks=None))
    e.reset()
    assert e.action_space("player_1").n == 9
    assert e.observation_space("player_2")["observation"].shape == (3, 3, 3)
    _play(e, [0, 3, 1, 4, 2])
    assert e.rewards["player_1"] == 1


def test_rendering_modes(capsys):
    e = env(render_mode="ansi")
    e.reset()
    _play(e, [0, 48])
    assert e.render() == render_text(GameState.from_moves(Rules(), [0, 48])) + "\n"
    e = env(render_mode="rgb_array")
    e.reset()
    img = e.render()
    assert img.dtype == np.uint8 and img.ndim == 3 and img.shape[2] == 3
    e = env(render_mode="human")
    e.reset()
    e.step(0)
    assert "A|O|" in capsys.readouterr().out


def test_bad_arguments_are_refused():
    with pytest.raises(BtttError, match="render_mode"):
        env(render_mode="video")
    with pytest.raises(BtttError):
        env(bricks="D9")
    with pytest.raises(BtttError):
        env(rules=Rules(3, 3, 3), bricks="D4")  # D4 is off a 3x3 board
    with pytest.raises(BtttError, match=r"bttt\.Rules"):
        env(rules="7x7")
