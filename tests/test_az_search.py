"""Batched PUCT search: tactics, visit accounting, the paper's selection rule, batching, reuse."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.alphazero.evaluator import Evaluator
from agents.alphazero.network import TINY, PolicyValueNet
from agents.alphazero.search import BatchedMCTS, SearchConfig, uniform_evaluate
from bttt import GameState, Rules
from bttt.errors import BtttError

RULES = Rules()  # 7x7, 4 in a row, brick on D4


def _name(action: int) -> str:
    return RULES.name(int(action))


def hashed_evaluate(planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A deterministic, position-dependent 'network' computed row by row (batch-independent)."""
    rng = np.random.default_rng(12345)
    w = rng.normal(size=(planes[0].size, masks.shape[1]))
    v = rng.normal(size=planes[0].size)
    priors = np.zeros(masks.shape, np.float32)
    values = np.zeros(len(masks), np.float32)
    for i in range(len(masks)):
        x = planes[i].reshape(-1).astype(np.float64)
        logits = np.where(masks[i], x @ w * 0.5, -np.inf)
        p = np.exp(logits - logits.max())
        priors[i] = p / p.sum()
        values[i] = np.tanh(x @ v * 0.3)
    return priors, values


@pytest.fixture(scope="module")
def small_net_evaluate(az_device):
    torch.manual_seed(0)
    torch.set_num_threads(1)  # more threads on a busy CI machine only spin (see docs/alphazero-training.md)
    return Evaluator(PolicyValueNet(TINY), device=az_device)


WIN_IN_ONE = "A1,G1,A2,G2,A3,G3"  # O to move, A4 wins (and X threatens G4)
BLOCK = "A1,G1,A2,G2,A3"  # X to move, must block A4


@pytest.mark.parametrize("paper", [False, True])
def test_finds_win_in_one_and_blocks_with_uniform_priors(paper):
    mcts = BatchedMCTS(SearchConfig(simulations=400, paper_rule=paper), 2, RULES)
    visits = mcts.search(
        [GameState.from_moves(RULES, WIN_IN_ONE), GameState.from_moves(RULES, BLOCK)], uniform_evaluate
    )
    assert [_name(a) for a in visits.argmax(axis=1)] == ["A4", "A4"]
    assert mcts.last_root_values[0] > 0.5  # a forced win is recognised


def test_finds_win_and_block_with_a_real_network(small_net_evaluate):
    # An untrained network's values are noise; the win-in-one check refutes every move that does not
    # block at the first visit of the reply, so 150 simulations over ~44 moves find the block.
    mcts = BatchedMCTS(SearchConfig(simulations=150), 2, RULES)
    visits = mcts.search(
        [GameState.from_moves(RULES, WIN_IN_ONE), GameState.from_moves(RULES, BLOCK)], small_net_evaluate
    )
    assert [_name(a) for a in visits.argmax(axis=1)] == ["A4", "A4"]
    assert mcts.last_root_values[1] < 0.5  # X is not winning here


def test_win_check_takes_a_win_in_one_without_the_network():
    state = GameState.from_moves(RULES, WIN_IN_ONE)
    calls = []

    def skewed(planes, masks):
        calls.append(len(masks))
        return _skewed_evaluate(planes, masks)

    visits = BatchedMCTS(SearchConfig(simulations=2), 1, RULES).search([state], skewed)
    assert _name(visits[0].argmax()) == "A4" and visits[0].max() == 2 and calls == []
    # without it the prior (all on G7) decides a 2-simulation search
    off = BatchedMCTS(SearchConfig(simulations=2, win_check=False), 1, RULES).search([state], skewed)
    assert _name(off[0].argmax()) == "G7"
    assert not SearchConfig(paper_rule=True).uses_win_check and SearchConfig().uses_win_check


def test_visit_counts_sum_to_simulations_with_and_without_reuse():
    cfg = SearchConfig(simulations=37)
    mcts = BatchedMCTS(cfg, 3, RULES, seed=1)
    states = [GameState(RULES), GameState.from_moves(RULES, "C3"), GameState(RULES.with_bricks("B2"))]
    visits = mcts.search(states, hashed_evaluate, add_noise=True)
    assert visits.sum(axis=1).tolist() == [37, 37, 37]
    assert np.all(visits[:, list(RULES.bricks)] == 0)  # never a brick
    for t, state in enumerate(states):  # reuse: the child's earlier visits count towards the target
        a = int(visits[t].argmax())
        state.apply_action(a)
        mcts.advance(t, a)
    calls = mcts.evaluated_leaves
    again = mcts.search(states, hashed_evaluate, add_noise=True)
    assert again.sum(axis=1).tolist() == [37, 37, 37]
    assert np.all(again[np.array([s.legal_mask() for s in states]) == 0] == 0)
    assert mcts.evaluated_leaves - calls < 3 * 37  # some visits came from the reused subtrees


def _skewed_evaluate(planes, masks):
    """Priors that strongly prefer the highest legal index."""
    priors = np.zeros(masks.shape, np.float32)
    for i, m in enumerate(masks):
        legal = np.flatnonzero(m)
        priors[i, legal] = 0.01 / max(len(legal) - 1, 1)
        priors[i, legal[-1]] = 0.99
    return priors, np.zeros(len(masks), np.float32)


def test_paper_rule_first_simulation_takes_lowest_index():
    state = GameState.from_moves(RULES, "A1")  # lowest legal move is A2 (1)
    paper = BatchedMCTS(SearchConfig(simulations=1, paper_rule=True), 1, RULES)
    visits = paper.search([state], _skewed_evaluate)
    assert np.flatnonzero(visits[0]).tolist() == [1]
    default = BatchedMCTS(SearchConfig(simulations=1), 1, RULES)
    visits = default.search([state], _skewed_evaluate)
    assert np.flatnonzero(visits[0]).tolist() == [48]  # the default rule follows the prior at once
    # With a second simulation the paper rule's U is non-zero and the prior takes over.
    paper2 = BatchedMCTS(SearchConfig(simulations=2, paper_rule=True), 1, RULES)
    assert np.flatnonzero(paper2.search([state], _skewed_evaluate)[0]).tolist() == [1, 48]


def test_batched_search_equals_searching_each_state_alone():
    states = [
        GameState(RULES),
        GameState.from_moves(RULES, "C3,E5"),
        GameState.from_moves(RULES.with_bricks("A7"), "D4,D3,B2"),
    ]
    cfg = SearchConfig(simulations=60, noise_fraction=0.25)
    seeds = [11, 22, 33]
    batched = BatchedMCTS(cfg, 3, RULES, seed=seeds).search(states, hashed_evaluate, add_noise=True)
    for i, state in enumerate(states):
        alone = BatchedMCTS(cfg, 1, RULES, seed=[seeds[i]]).search([state], hashed_evaluate, add_noise=True)
        np.testing.assert_array_equal(batched[i], alone[0])
    # noise really is applied (and depends on the seed)
    other = BatchedMCTS(cfg, 3, RULES, seed=[1, 2, 3]).search(states, hashed_evaluate, add_noise=True)
    assert not np.array_equal(other, batched)


def test_compaction_keeps_search_results_identical():
    cfg = SearchConfig(simulations=40)
    big = BatchedMCTS(cfg, 1, RULES)
    small = BatchedMCTS(cfg, 1, RULES, max_nodes=2 * 41 * 49 + 10)  # forces compaction on reuse
    state = GameState(RULES)
    for _ in range(4):
        a = big.search([state], hashed_evaluate)
        b = small.search([state], hashed_evaluate)
        np.testing.assert_array_equal(a, b)
        move = int(a[0].argmax())
        state.apply_action(move)
        big.advance(0, move)
        small.advance(0, move)
    assert small.forest.meta[0, 1] < big.forest.meta[0, 1]  # the small pool was compacted (fewer nodes in use)


def test_terminal_only_leaves_need_no_network_call():
    # O to move with a win available; with 1 simulation the uniform prior picks the lowest index,
    # later simulations revisit the winning (terminal) child without calling the network.
    state = GameState.from_moves(RULES, WIN_IN_ONE)
    calls = []

    def counting(planes, masks):
        calls.append(len(masks))
        return uniform_evaluate(planes, masks)

    mcts = BatchedMCTS(SearchConfig(simulations=200), 1, RULES)
    mcts.search([state], counting)
    assert sum(calls) < 200  # many simulations ended on the terminal win


def test_bad_inputs_are_refused():
    mcts = BatchedMCTS(SearchConfig(simulations=4), 1, RULES)
    finished = GameState.from_moves(RULES, "A1,G1,A2,G2,A3,G3,A4")
    with pytest.raises(BtttError, match="finished"):
        mcts.search([finished], uniform_evaluate)
    with pytest.raises(BtttError, match="5x5"):
        mcts.search([GameState(Rules(5, 5, 4, None))], uniform_evaluate)
    with pytest.raises(BtttError, match="expected"):
        mcts.search([GameState(RULES)], lambda p, m: (np.zeros((1, 3)), np.zeros(1)))
    with pytest.raises(BtttError):
        SearchConfig(simulations=-1)


def test_double_threat_is_a_proven_loss_and_a_single_threat_forces_the_block():
    # X to move; O has an open three B2-B3-B4 (B1 and B5 both complete a line): X is lost.
    lost = GameState.from_moves(RULES, "B2,G7,B3,G6,B4")
    calls = []

    def counting(planes, masks):
        calls.append(len(masks))
        return uniform_evaluate(planes, masks)

    mcts = BatchedMCTS(SearchConfig(simulations=1), 1, RULES)
    visits = mcts.search([lost], counting)
    assert calls == [] and mcts.last_root_values[0] == -1.0  # proven without the network
    assert {_name(a) for a in np.flatnonzero(visits[0])} <= {"B1", "B5"}
    # one threat (A4 only): the block gets the whole prior, so even 1 simulation plays it
    visits = BatchedMCTS(SearchConfig(simulations=1), 1, RULES).search(
        [GameState.from_moves(RULES, BLOCK)], _skewed_evaluate
    )
    assert _name(visits[0].argmax()) == "A4"
    off = BatchedMCTS(SearchConfig(simulations=1, win_check=False), 1, RULES).search(
        [GameState.from_moves(RULES, BLOCK)], _skewed_evaluate
    )
    assert _name(off[0].argmax()) == "G7"
