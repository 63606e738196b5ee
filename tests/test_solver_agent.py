"""The ``solver`` agent: the fastest win, the longest defence, a seeded choice among equal moves, the fallback's
move (counted) when its budget runs out, and no training cells."""

from __future__ import annotations

from agents.registry import make_agent
from bttt import GameState, Rules
from bttt.cli import main
from bttt.solver.engine import Solver
from bttt.solver.solve import solve


def _move_values(state: GameState) -> dict[int, int]:
    sol = solve(state, solver=Solver(state.rules, tt_bits=20), moves="all", pv=False)
    assert sol.complete
    return {m.move: m.bounds.lo for m in sol.moves}


def test_it_plays_the_fastest_win() -> None:
    state = GameState.deserialize("7x7k4 b:D4 m:C3,A1,C4,A2")  # O has a win in 3 and slower wins
    values = _move_values(state)
    best = max(values.values())
    assert len(set(values.values())) > 1
    agent = make_agent("solver:time=10", seed=0)
    for seed in range(5):
        agent.seed(seed)
        assert values[agent.step(state)] == best
    assert agent.fallback_moves == 0 and agent.last_info["source"] == "solver"


def test_it_plays_the_longest_defence_when_lost() -> None:
    state = GameState.deserialize("7x7k4 b:D4 m:B4")  # X to move, lost: loss in 10 at best, many replies lose sooner
    values = _move_values(state)
    best = max(values.values())
    assert best < 0 and min(values.values()) < best
    agent = make_agent("solver:time=20", seed=1)
    assert values[agent.step(state)] == best


def test_the_choice_among_equal_moves_is_seeded() -> None:
    state = GameState(Rules(4, 4, 3, "none"))  # four optimal first moves (win in 5)
    picks = []
    for seed in range(8):
        a = make_agent("solver:time=20", seed=seed)
        b = make_agent("solver:time=20", seed=seed)
        pick = a.step(state)
        assert b.step(state) == pick
        picks.append(pick)
    assert len(set(picks)) > 1
    assert {state.rules.name(p) for p in picks} <= {"B2", "B3", "C2", "C3"}


def test_it_falls_back_and_counts_when_the_budget_runs_out() -> None:
    agent = make_agent("solver:time=0,nodes=50,fallback=minimax:depth=2", seed=0)
    state = GameState.deserialize("7x7k4 b:A1 m:G4,D4")
    move = agent.step(state)
    assert state.is_legal(move)
    assert agent.last_info["source"] == "fallback" and agent.fallback_moves == 1 and agent.moves_played == 1
    won = GameState.deserialize("7x7k4 b:A1 m:D4,A2,D3,A3,D5")
    agent.step(won)
    assert agent.stats() == {"moves": 2, "fallback_moves": 1, "fallback_share": 0.5}


def test_under_a_node_budget_a_game_does_not_depend_on_the_games_before() -> None:
    """With ``time=0,nodes=N`` every game starts from an empty table: a position asked again in a new game costs
    the same nodes and gets the same answer, so a tournament's results do not depend on its workers or order."""
    state = GameState.deserialize("7x7k4 b:D4 m:C3,A1")
    agent = make_agent("solver:time=0,nodes=4000", seed=0)
    agent.step(state)
    first = {k: agent.last_info[k] for k in ("source", "value", "optimal_moves", "nodes")}
    agent.step(GameState.deserialize("7x7k4 b:D4 m:C3,A1,C4"))  # later in the same game: the table is kept
    agent.reset()
    agent.seed(0)
    agent.step(state)
    assert {k: agent.last_info[k] for k in first} == first
    timed = make_agent("solver:time=600,nodes=4000", seed=0)  # a time budget is not reproducible anyway:
    timed.step(state)  # there the table is kept, and the second game profits from the first
    timed.reset()
    timed.step(state)
    assert timed.last_info["nodes"] < first["nodes"]


def test_it_declares_no_training_cells_and_is_listed(capsys) -> None:
    agent = make_agent("solver")
    assert agent.training_cells is None
    assert agent.name == "solver:time=1.0,nodes=0,fallback=minimax:depth=4,memory=64.0,store=none"
    assert main(["agents", "solver"]) == 0
    assert "fastest win" in capsys.readouterr().out
    assert main(["play", "--p1", "solver:fallback=solver", "--p2", "random"]) == 2


def test_it_wins_a_won_game_against_minimax() -> None:
    from tournament.play import GameTask, play_game
    from tournament.schedule import GameKey

    result = play_game(
        GameTask(GameKey("solver:time=20", "minimax:depth=4", "B4", 0), 7, "solver:time=20", "minimax:depth=4")
    )
    assert result.winner == 1 and result.plies <= 9
