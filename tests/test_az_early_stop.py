"""Early stop of a move's search: the same most visited move as the full search, with fewer network calls."""

from __future__ import annotations

import numpy as np
import pytest
from test_az_search import hashed_evaluate

from agents.alphazero.search import BatchedMCTS, SearchConfig, drive
from agents.registry import make_agent
from bttt import GameState, Rules


def _positions(n: int, seed: int = 3) -> list[GameState]:
    """Random positions of random play on random one-brick boards (none of them over)."""
    rng = np.random.default_rng(seed)
    out = []
    while len(out) < n:
        state = GameState(Rules(bricks=int(rng.integers(49))))
        for _ in range(int(rng.integers(0, 12))):
            if state.is_terminal():
                break
            state.apply_action(int(rng.choice(np.flatnonzero(state.legal_mask()))))
        if not state.is_terminal():
            out.append(state)
    return out


class _Counting:
    def __init__(self) -> None:
        self.positions = 0

    def __call__(self, planes, masks):
        self.positions += len(planes)
        return hashed_evaluate(planes, masks)


@pytest.mark.parametrize(
    "config",
    [
        {"paper_rule": True, "c_puct": 1.0},
        {"paper_rule": True, "c_puct": 1.0, "graph": True},
        {"c_puct": 1.5},
        {"c_puct": 1.5, "win_check": True},
    ],
    ids=["paper", "paper-graph", "bttt", "bttt-win-check"],
)
def test_an_early_stopped_search_has_the_full_searchs_unique_most_visited_move(config):
    saved = 0
    for state in _positions(25):
        sims = 60
        full_eval, early_eval = _Counting(), _Counting()
        full = BatchedMCTS(SearchConfig(simulations=sims, **config), 1, state.rules)
        early = BatchedMCTS(SearchConfig(simulations=sims, **config), 1, state.rules)
        v_full = drive(full.search_steps([state]), full_eval)[0]
        v_early = drive(early.search_steps([state], stop_when_decided=True), early_eval)[0]
        order = np.sort(v_early)[::-1]
        left = sims - v_early.sum()
        assert left >= 0 and early_eval.positions <= full_eval.positions
        assert left == 0 or order[0] - order[1] > left  # it stopped only once the lead was safe
        assert int(np.argmax(v_early)) == int(np.argmax(v_full))
        assert (v_full == v_full.max()).sum() == 1 or left == 0  # a tie in the full search means no early stop
        saved += full_eval.positions - early_eval.positions
    assert saved > 0  # it does stop early somewhere


def _game(spec: str, cell: str, az_seat: int) -> tuple[list[int], int]:
    az, opp = make_agent(spec), make_agent("mcts:iterations=200")
    for agent, seed in ((az, 11), (opp, 5)):
        agent.reset()
        agent.seed(seed)
    start = az.evaluator.positions
    state = GameState(Rules(bricks=cell))
    while not state.is_terminal():
        state.apply_action((az if state.to_move == az_seat else opp).step(state.clone()))
    return list(state.history), az.evaluator.positions - start


def test_paper_games_are_the_same_with_and_without_early_stop_and_need_fewer_evaluations():
    spec = "alphazero:checkpoint=d4,simulations=40,paper=true"
    early_total = full_total = 0
    for cell, seat in (("D4", 1), ("A5", 2), ("C3", 1)):
        early, n_early = _game(spec, cell, seat)
        full, n_full = _game(spec + ",early_stop=false", cell, seat)
        assert early == full
        early_total, full_total = early_total + n_early, full_total + n_full
    assert early_total < full_total


def test_early_stop_applies_only_to_moves_read_as_the_most_visited():
    paper = make_agent("alphazero:checkpoint=d4,simulations=30,paper=true")
    assert paper.early_stop
    assert not make_agent("alphazero:checkpoint=d4,simulations=30,paper=true,temperature=1").early_stop
    assert not make_agent("alphazero:checkpoint=d4,simulations=30").early_stop  # a reused tree keeps its visits
    assert not make_agent("alphazero:checkpoint=d4,simulations=30,paper=true,early_stop=false").early_stop
    paper.reset()
    policy = paper.policy(GameState(Rules(bricks="D4")))  # visit shares: always the full search
    assert paper.mcts.evaluated_leaves == 30
    assert policy.max() < 1.0
