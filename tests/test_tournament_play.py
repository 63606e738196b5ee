"""One game in-process: legal replays, colours, and the fault paths (raise, illegal move, timeout)."""

from __future__ import annotations

import pytest
from tournament_agents import make_importable

from bttt import GameState, Rules
from tournament.play import (
    DRAW,
    ILLEGAL,
    RAISE,
    TIMEOUT,
    WIN,
    GameResult,
    GameTask,
    clear_agents,
    play_game,
)
from tournament.schedule import GameKey

make_importable()
RANDOM = "agents.random_agent:RandomAgent"
T = "tests.tournament_agents"


def task(p1, p2, layout="D4", index=0, limit=None, seed=None) -> GameTask:
    key = GameKey(p1, p2, layout, index)
    return GameTask(key, key.seed(0) if seed is None else seed, p1, p2, move_time_limit=limit)


def test_normal_game_is_legal_and_repeatable():
    r = play_game(task(RANDOM, f"{T}:slow:delay=0", "D3+E5"))
    state = GameState.from_moves(Rules(bricks=(23, 32)), r.moves)
    assert state.is_terminal()
    assert r.winner == state.winner
    assert r.termination == (WIN if state.winner else DRAW)
    assert r.fault_player is None
    assert len(r.move_times) == r.plies == len(state.history)
    clear_agents()  # fresh agents give the same game: seeds come from the task alone
    again = play_game(task(RANDOM, f"{T}:slow:delay=0", "D3+E5"))
    assert again.moves == r.moves
    other = play_game(task(RANDOM, f"{T}:slow:delay=0", "D3+E5", seed=r.seed + 1))
    assert other.moves != r.moves
    assert GameResult.from_dict(r.to_dict()) == r


@pytest.mark.parametrize("seat", [1, 2])
@pytest.mark.parametrize(
    "spec, reason, detail",
    [
        (f"{T}:raiser:after=2", RAISE, "RuntimeError: deliberate failure"),
        (f"{T}:illegal:after=3", ILLEGAL, "returned"),
        (f"{T}:sleeper:after=1,seconds=30", TIMEOUT, "limit"),
    ],
)
def test_faulty_agent_loses(seat, spec, reason, detail):
    p1, p2 = (spec, RANDOM) if seat == 1 else (RANDOM, spec)
    r = play_game(task(p1, p2, limit=0.3))
    assert r.termination == reason
    assert r.fault_player == seat
    assert r.winner == 3 - seat
    assert detail in r.fault_detail
    # The faulty agent's earlier (legal) moves are kept; its failed move is timed, not played.
    legal_moves = {RAISE: 2, ILLEGAL: 3, TIMEOUT: 1}[reason]
    assert r.plies == 2 * legal_moves + (seat == 2)
    assert len(r.move_times) == r.plies + 1
    GameState.from_moves(Rules(bricks="D4"), r.moves)  # replays without error
    if reason == TIMEOUT:
        assert 0.25 < r.move_times[-1] < 5


def test_slow_move_over_limit_is_a_timeout_even_without_interrupt():
    # 0.05 s per move against a 0.01 s limit: over the limit on the first move.
    r = play_game(task(f"{T}:slow:delay=0.05", RANDOM, limit=0.01))
    assert r.termination == TIMEOUT and r.fault_player == 1 and r.plies == 0


def test_one_off_start_up_cost_is_not_charged_to_a_timed_move():
    clear_agents()
    r = play_game(task(f"{T}:slow_first:seconds=0.6", RANDOM, limit=0.3))
    assert r.termination in (WIN, DRAW), r.fault_detail
    assert max(r.move_times) < 0.3
