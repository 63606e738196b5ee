"""The transposition graph (``SearchConfig.graph``) against a slow reference of the original code's search."""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_az_search import hashed_evaluate

from agents.alphazero.search import BatchedMCTS, SearchConfig
from bttt import GameState, Rules
from bttt.cells import parse_cell

RULES = Rules()


def reference_graph_search(state: GameState, simulations: int, c_puct: float) -> np.ndarray:
    """The original code's MCTS (alpha-zero-general style): statistics in dictionaries keyed by position, so
    every path to a position shares them; the paper's rule (no +1 under the root, Q of an unvisited edge 0,
    ties to the lowest action). The root's expansion is not a simulation. Returns the root's visit counts."""
    prior: dict = {}
    visits: dict = {}
    value_sum: dict = {}

    def key(s: GameState) -> tuple:
        return (s.p1, s.p2)

    def visit(s: GameState) -> float:  # value for the side to move at s
        if s.is_terminal():
            return 0.0 if s.winner == 0 else -1.0
        k = key(s)
        if k not in prior:
            p, v = hashed_evaluate(s.observation()[None], s.legal_mask()[None])
            prior[k] = p[0].astype(np.float32)
            return float(v[0])
        legal = np.flatnonzero(s.legal_mask())
        total = sum(visits.get((k, a), 0) for a in legal)
        best, best_score = -1, -1e300
        for a in legal:
            n = visits.get((k, a), 0)
            q = value_sum[(k, a)] / n if n else 0.0
            score = q + c_puct * float(prior[k][a]) * math.sqrt(total) / (1.0 + n)
            if score > best_score:
                best, best_score = a, score
        child = s.clone()
        child.apply_action(int(best))
        v = -visit(child)
        visits[(k, best)] = visits.get((k, best), 0) + 1
        value_sum[(k, best)] = value_sum.get((k, best), 0.0) + v
        return v

    for _ in range(simulations + 1):
        visit(state.clone())
    out = np.zeros(RULES.n_cells, np.float32)
    for a in np.flatnonzero(state.legal_mask()):
        out[a] = visits.get((key(state), a), 0)
    return out


def _state(moves: str) -> GameState:
    return GameState.from_moves(RULES, [parse_cell(m) for m in moves.split(",") if m])


def _links(mcts: BatchedMCTS) -> int:
    """Edges that reached a position already in the graph (transpositions found)."""
    used = mcts.forest.meta[0, 1]  # NEXT_FREE
    return int((mcts.forest.link[0, :used] >= 0).sum())


# positions and exploration constants whose 400-simulation searches meet transpositions (checked below)
CASES = [("", 1.0), ("C3,E5", 1.0), ("C3,E5", 20.0), ("D3,C4,E4,D5,C5", 4.0), ("D3,C4,E4,D5,C5", 20.0)]


@pytest.mark.parametrize(("moves", "c_puct"), CASES)
def test_graph_search_equals_the_original_codes_search(moves, c_puct):
    state = _state(moves)
    sims = 400
    mcts = BatchedMCTS(SearchConfig(simulations=sims, c_puct=c_puct, paper_rule=True, graph=True), 1, RULES)
    graph = mcts.search([state], hashed_evaluate)[0]
    assert graph.sum() == sims and _links(mcts) > 0
    np.testing.assert_array_equal(graph, reference_graph_search(state, sims, c_puct))


def test_the_graph_shares_transpositions_and_the_tree_does_not():
    state = _state("D3,C4,E4,D5,C5")
    sims = 400
    graph = BatchedMCTS(SearchConfig(simulations=sims, c_puct=20.0, paper_rule=True, graph=True), 1, RULES)
    tree = BatchedMCTS(SearchConfig(simulations=sims, c_puct=20.0, paper_rule=True), 1, RULES)
    g, t = graph.search([state], hashed_evaluate)[0], tree.search([state], hashed_evaluate)[0]
    assert g.sum() == t.sum() == sims and _links(graph) > 0
    assert not np.array_equal(g, t)
    np.testing.assert_array_equal(t, BatchedMCTS(tree.config, 1, RULES).search([state], hashed_evaluate)[0])


def test_graph_search_with_tree_reuse_and_the_default_rule_keeps_its_visit_targets():
    config = SearchConfig(simulations=60, graph=True, reuse_tree=True)
    mcts = BatchedMCTS(config, 2, RULES, seed=3)
    states = [GameState(RULES), GameState.from_moves(RULES, [parse_cell("C3")])]
    for _ in range(6):
        visits = mcts.search(states, hashed_evaluate, add_noise=True)
        assert (visits.sum(axis=1) == 60).all()
        for t, s in enumerate(states):
            a = int(np.argmax(visits[t]))
            s.apply_action(a)
            mcts.advance(t, a)


def test_leaf_batching_keeps_visit_targets_finds_wins_and_makes_fewer_calls():
    from test_az_search import BLOCK, WIN_IN_ONE

    sequential = BatchedMCTS(SearchConfig(simulations=64), 2, RULES)
    batched = BatchedMCTS(SearchConfig(simulations=64, leaf_batch=8), 2, RULES)
    states = [_state(WIN_IN_ONE), _state(BLOCK)]
    a = sequential.search(states, hashed_evaluate)
    b = batched.search(states, hashed_evaluate)
    assert (a.sum(axis=1) == 64).all() and (b.sum(axis=1) == 64).all()
    assert [RULES.name(int(np.argmax(v))) for v in b] == ["A4", "A4"]  # the win, the block
    assert batched.network_calls < sequential.network_calls / 3
    # the sequential search is unchanged by the option's existence: same visits as a fresh one
    np.testing.assert_array_equal(
        a, BatchedMCTS(SearchConfig(simulations=64), 2, RULES).search(states, hashed_evaluate)
    )
    deep = _state("D3,C4,E4,D5,C5")
    wide = BatchedMCTS(SearchConfig(simulations=200, leaf_batch=16), 1, RULES).search([deep], hashed_evaluate)[0]
    assert wide.sum() == 200 and (wide > 0).sum() > 1


def test_agent_names_and_options_of_the_new_search_modes():
    from agents.registry import AgentSpecError, make_agent

    plain = make_agent("alphazero:checkpoint=d4,simulations=8")
    assert "search=" not in plain.name and "leaf_batch=" not in plain.name  # names stored before are unchanged
    graph = make_agent("alphazero:checkpoint=d4,simulations=8,paper=true,search=graph")
    assert graph.name.endswith(",search=graph") and graph.graph
    batched = make_agent("alphazero:checkpoint=d4,simulations=8,leaf_batch=4")
    assert batched.name.endswith(",leaf_batch=4")
    state = _state("C3,E5")
    for agent in (graph, batched):
        assert state.legal_mask()[agent.step(state.clone())]
    with pytest.raises(AgentSpecError, match="sequential and exact"):
        make_agent("alphazero:checkpoint=d4,paper=true,leaf_batch=4")


def test_paper_search_is_the_sequential_search_with_the_papers_settings():
    """paper=true runs select/expand one leaf at a time: the agent's visits equal a plain sequential search."""
    from agents.registry import make_agent

    agent = make_agent("alphazero:checkpoint=d4,simulations=30,paper=true")
    state = _state("D3,C4")
    dist = agent.policy(state.clone())
    config = SearchConfig(simulations=29, c_puct=1.0, paper_rule=True, reuse_tree=False)
    visits = BatchedMCTS(config, 1, RULES).search([state], agent.evaluator)[0]
    np.testing.assert_array_equal(dist, visits / visits.sum())
