"""MCTS: presets, determinism under a seed, tree reuse and time budgets."""

from __future__ import annotations

from agents import make_agent
from agents.mcts import MCTSAgent
from agents.mcts_core import FIRST_CHILD, MOVE, NEXT_SIBLING, VISITS, find_child
from bttt import GameState, Rules


def test_paper_preset_parameters():
    agent = make_agent("mcts:preset=paper")
    assert (agent.iterations, agent.c, agent.leaf) == (2500, 1.0, "heuristic")
    assert agent.name == "mcts:iterations=2500,time=0.0,c=1.0,leaf=heuristic,reuse=false,preset=paper"
    # The number given is honoured (the original silently ran 2500).
    assert make_agent("mcts:preset=paper,iterations=300").iterations == 300


def test_iterations_are_counted_exactly():
    state = GameState(Rules(bricks="D4"))
    agent = MCTSAgent(iterations=700, seed=1)
    counts = agent.visit_counts(state)
    assert sum(counts.values()) == 700
    assert agent.last_info["nodes"] == 701


def test_seeded_choices_repeat():
    state = GameState.from_moves(Rules(bricks="E5"), "D4,C3,D3")
    for spec in ("mcts:iterations=400", "mcts:preset=paper,iterations=400"):
        a, b = make_agent(spec, seed=11), make_agent(spec, seed=11)
        assert a.visit_counts(state) == b.visit_counts(state)


def test_tree_reuse_keeps_the_subtree():
    rules = Rules(bricks="D4")
    agent = MCTSAgent(iterations=2000, reuse=True, seed=2)
    state = GameState(rules)
    move = agent.step(state)
    ints, _, vals, _ = agent._tree
    node = find_child(ints, 0, move)
    reply, kept = max(((int(ints[ch, MOVE]), vals[ch, VISITS]) for ch in _children(ints, node)), key=lambda x: x[1])
    assert kept > 1
    state.apply_action(move)
    state.apply_action(reply)
    agent.step(state)
    # The new root starts with the visits the old tree already had below it.
    assert agent._tree[2][0, VISITS] == kept + 2000
    fresh = MCTSAgent(iterations=2000, reuse=False, seed=2)
    fresh.step(state)
    assert fresh._tree[2][0, VISITS] == 2000


def _children(ints, node):
    ch = ints[node, FIRST_CHILD]
    while ch != -1:
        yield ch
        ch = ints[ch, NEXT_SIBLING]


def test_time_budget_runs_batches():
    agent = MCTSAgent(time=0.05, seed=0)
    agent.step(GameState(Rules(bricks="D4")))
    assert agent.last_info["iterations"] >= 256
