"""The single-agent Gymnasium environment against an opponent."""

from __future__ import annotations

import gymnasium
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import bttt
from bttt import GameState, Rules
from bttt.errors import BtttError, IllegalMoveError
from bttt.gymnasium_env import BrickTicTacToeEnv


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"bricks": "random", "learner": "random"},
        {"learner": 2, "bricks": "D3,D4"},
        {"rules": Rules(5, 4, 3, bricks=None)},
        {"rules": Rules(3, 3, 3, bricks=None), "learner": 2},
    ],
)
def test_gymnasium_check_env(kwargs):
    env = gymnasium.make(bttt.GYM_ID, **kwargs)  # through make, so every render mode is checked too
    check_env(env.unwrapped)


def test_registered_id():
    env = gymnasium.make("bttt/BrickTicTacToe-v0")
    assert isinstance(env.unwrapped, BrickTicTacToeEnv)
    assert env.action_space.n == 49 and env.observation_space.shape == (7, 7, 3)


def _scripted(moves):
    """An opponent that plays ``moves`` in order (a plain callable)."""
    it = iter(moves)
    return lambda state: next(it)


def test_learner_wins_loses_and_observes_its_own_view():
    env = BrickTicTacToeEnv(opponent=_scripted([48, 47, 46]))
    obs, info = env.reset(seed=0)
    assert info["learner"] == 1 and info["bricks"] == ["D4"] and info["opponent_action"] is None
    assert obs.dtype == np.int8 and obs[..., 2].sum() == 1
    for cell in (0, 1, 2):
        obs, reward, terminated, truncated, info = env.step(cell)
        assert (reward, terminated, truncated) == (0.0, False, False)
    assert obs[0, :3, 0].tolist() == [1, 1, 1] and obs[6, 4:, 1].tolist() == [1, 1, 1]
    assert info["opponent_action"] == 46
    obs, reward, terminated, truncated, info = env.step(3)
    assert (reward, terminated, truncated, info["winner"]) == (1.0, True, False, 1)
    assert not env.action_masks().any()
    with pytest.raises(BtttError, match="reset"):
        env.step(10)

    env = BrickTicTacToeEnv(opponent=_scripted([48, 47, 46, 45]))
    env.reset(seed=0)
    for cell in (0, 8, 15):
        env.step(cell)
    obs, reward, terminated, _, info = env.step(30)
    assert (reward, terminated, info["winner"]) == (-1.0, True, 2)


def test_learner_as_player_two():
    env = BrickTicTacToeEnv(learner=2, opponent=_scripted([0, 1, 2, 9]))
    obs, info = env.reset(seed=1)
    assert info["learner"] == 2 and info["opponent_action"] == 0
    assert obs[0, 0].tolist() == [0, 1, 0]  # the opponent's stone, from the learner's view
    assert info["action_mask"][0] == 0 and env.action_masks().sum() == 47
    for cell in (48, 47):
        env.step(cell)
    obs, reward, terminated, _, info = env.step(46)
    assert not terminated
    obs, reward, terminated, _, info = env.step(45)  # G4-G7 is the learner's line
    assert (reward, terminated, info["winner"]) == (1.0, True, 2)


def test_illegal_learner_action_ends_the_episode():
    env = BrickTicTacToeEnv(opponent=_scripted([48]))
    env.reset(seed=0)
    _obs, reward, terminated, truncated, info = env.step(24)  # the brick
    assert (reward, terminated, truncated) == (-1.0, True, False)
    assert info["illegal_action"] is True and "brick" in info["illegal_reason"]
    assert not info["action_mask"].any()
    env.reset(seed=0)
    env.opponent = _scripted([48])
    env.step(0)
    _, reward, terminated, _, info = env.step(48)
    assert reward == -1.0 and terminated and "taken by X" in info["illegal_reason"]
    env.reset(seed=0)
    with pytest.raises(IllegalMoveError, match="action space"):
        env.step(49)


def test_illegal_opponent_move_raises():
    env = BrickTicTacToeEnv(opponent=lambda state: 24)
    env.reset(seed=0)
    with pytest.raises(IllegalMoveError, match=r"opponent .* illegal move: move D4: a brick"):
        env.step(0)


def test_default_opponent_is_seeded():
    def episode(seed):
        env = BrickTicTacToeEnv(bricks="random", learner="random")
        _obs, info = env.reset(seed=seed)
        trace = [info["layout"], info["learner"], info["opponent_action"]]
        rng = np.random.default_rng(0)
        done = False
        while not done:
            legal = np.flatnonzero(env.action_masks())
            _obs, reward, done, _, info = env.step(int(rng.choice(legal)))
            trace.append(info["opponent_action"])
        return trace, reward

    assert episode(3) == episode(3)
    assert len({str(episode(s)) for s in range(6)}) > 1
    learners = {episode(s)[0][1] for s in range(12)}
    assert learners == {1, 2}


def test_agent_style_opponent_is_reset_and_seeded():
    class Opponent:
        def __init__(self):
            self.resets, self.seeds = 0, []

        def __call__(self, state: GameState) -> int:
            assert isinstance(state, GameState)
            state.apply_action(state.legal_actions()[0])  # a copy: must not disturb the env
            return state.history[-1]

        def reset(self):
            self.resets += 1

        def seed(self, seed):
            self.seeds.append(seed)

    opp = Opponent()
    env = BrickTicTacToeEnv(opponent=opp)
    env.reset(seed=1)
    env.reset()
    assert opp.resets == 2 and len(opp.seeds) == 1
    _, _, _, _, info = env.step(10)
    assert info["opponent_action"] == 0 and env.game.history == [10, 0]


def test_bricks_per_episode_via_options():
    env = BrickTicTacToeEnv(bricks="D3")
    _, info = env.reset(seed=0, options={"bricks": ["A1", "B2"]})
    assert info["bricks"] == ["A1", "B2"] and info["brick_indices"] == [0, 8]
    _, info = env.reset(options={"bricks": "C3,C5"})
    assert info["layout"] in ("C3", "C5")
    _, info = env.reset()
    assert info["bricks"] == ["D3"]
    with pytest.raises(BtttError):
        env.reset(options={"bricks": "Q1"})


def test_rendering(capsys):
    env = BrickTicTacToeEnv(render_mode="ansi", opponent=_scripted([48]))
    env.reset(seed=0)
    env.step(0)
    assert env.render().startswith("A|O| | | | | | |")
    env = BrickTicTacToeEnv(render_mode="rgb_array")
    env.reset(seed=0)
    assert env.render().dtype == np.uint8
    env = BrickTicTacToeEnv(render_mode="human")
    env.reset(seed=0)
    assert "|1|2|3|4|5|6|7|" in capsys.readouterr().out


def test_bad_arguments_are_refused():
    with pytest.raises(BtttError, match="learner"):
        BrickTicTacToeEnv(learner=3)
    with pytest.raises(BtttError, match="opponent"):
        BrickTicTacToeEnv(opponent="minimax")
    with pytest.raises(BtttError, match="render_mode"):
        BrickTicTacToeEnv(render_mode="window")
