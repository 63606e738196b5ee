"""AZ-NET: the alphazero agent plays legal games by spec, with the imported paper networks too."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

import agents.alphazero.agent as az_agent
from agents.alphazero.checkpoint import Checkpoint, save_checkpoint
from agents.alphazero.keras_import import import_keras, training_cells_for
from agents.alphazero.network import build_net
from agents.registry import AgentSpecError, make_agent
from bttt import GameState, Rules, parse_cells
from bttt.errors import BtttError

PAPER_FIRST_MOVES = {"baseline": "D3", "r2": "B4", "r3": "D2"}


@pytest.fixture(scope="session")
def paper_ckpts(reference_dir: Path, tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("paper")
    paths = {}
    for name in PAPER_FIRST_MOVES:
        paths[name] = out / f"{name}.pt"
        save_checkpoint(paths[name], import_keras(reference_dir / "bttt-paper-models" / f"alphazero_{name}.h5"))
    return paths


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.pt"
    save_checkpoint(path, Checkpoint.from_net(build_net("tiny", seed=0), training_bricks="D4", training_cells=(24,)))
    return path


def _play(first, second, brick: str) -> GameState:
    state = GameState(Rules(bricks=brick))
    for agent in (first, second):
        agent.reset()
    while not state.is_terminal():
        agent = first if state.to_move == 1 else second
        move = agent.step(state)
        assert state.is_legal(move)
        state.apply_action(move)
    return state


@pytest.mark.parametrize("name", sorted(PAPER_FIRST_MOVES))
def test_imported_networks_play_by_spec_without_search(paper_ckpts, name: str, az_device: str) -> None:
    agent = make_agent(f"alphazero:checkpoint={paper_ckpts[name]},simulations=0,paper=true,device={az_device}", seed=0)
    assert agent.evaluator.device == agent.device == torch.device(az_device)
    assert agent.training_cells == training_cells_for({"baseline": "D4", "r2": "D3,D4", "r3": "C3,D3,D4"}[name])
    empty = GameState(Rules(bricks="D4"))
    assert empty.rules.name(agent.step(empty)) == PAPER_FIRST_MOVES[name]
    for brick in ("D4", "A1", "F6"):
        state = _play(agent, make_agent("random", seed=1), brick)
        assert state.is_terminal()


def test_imported_network_plays_with_the_papers_search(paper_ckpts, az_device: str) -> None:
    sims = 6
    spec = f"alphazero:checkpoint={paper_ckpts['r2']},simulations={sims},paper=true,device={az_device}"
    agent = make_agent(spec, seed=3)
    assert agent.c_puct == 1.0 and agent.mcts is None
    state = GameState.from_moves(Rules(bricks="D3"), "D4,C4")
    dist = agent.policy(state)
    # the first of the original code's simulations only expands the root: sims - 1 visits below it
    visits = np.rint(dist * (sims - 1))
    np.testing.assert_allclose(dist * (sims - 1), visits, atol=1e-5)
    assert visits.sum() == sims - 1 and np.all(visits[~state.legal_mask()] == 0)
    assert agent.mcts.config.paper_rule and agent.mcts.config.c_puct == 1.0
    assert agent.reuse_tree is False  # the original searched a fresh tree every move
    # r2 against r3, both searching with the paper's rule, on a training cell and a novel cell
    other = make_agent(f"alphazero:checkpoint={paper_ckpts['r3']},simulations=4,paper=true,device={az_device}", seed=4)
    for brick in ("D3", "B6"):
        _play(agent, other, brick)


def test_default_search_with_tree_reuse_is_legal_and_repeatable(tiny_ckpt, az_device: str) -> None:
    spec = f"alphazero:checkpoint={tiny_ckpt},simulations=12,device={az_device}"
    games = [_play(make_agent(spec, seed=s), make_agent(spec, seed=s + 1), "C5").history for s in (7, 7)]
    assert games[0] == games[1]
    no_reuse = make_agent(spec + ",reuse_tree=false", seed=7)
    _play(no_reuse, make_agent("random", seed=0), "D4")
    assert "reuse_tree=false" in no_reuse.name and no_reuse.mcts.config.reuse_tree is False


def test_temperature_samples_and_zero_temperature_is_argmax(tiny_ckpt, az_device: str) -> None:
    state = GameState(Rules(bricks="D4"))
    greedy = make_agent(f"alphazero:checkpoint={tiny_ckpt},simulations=0,device={az_device}", seed=0)
    prior = greedy.policy(state)
    assert greedy.step(state) == int(np.argmax(prior))
    hot = make_agent(f"alphazero:checkpoint={tiny_ckpt},simulations=0,temperature=1.0,device={az_device}", seed=0)
    moves = {hot.step(state) for _ in range(40)}
    assert len(moves) > 3 and all(state.is_legal(m) for m in moves)
    hot.seed(11)
    first = [hot.step(state) for _ in range(10)]
    hot.seed(11)
    assert [hot.step(state) for _ in range(10)] == first


def test_shipped_checkpoint_names_resolve(tiny_ckpt, tmp_path: Path, monkeypatch) -> None:
    shipped = tmp_path / "checkpoints"
    shipped.mkdir()
    (shipped / "mini.pt").write_bytes(tiny_ckpt.read_bytes())
    monkeypatch.setattr(az_agent, "CHECKPOINT_DIR", shipped)
    agent = make_agent("alphazero:checkpoint=mini,simulations=0")
    assert agent.training_cells == parse_cells("D4") and agent.training_bricks == "D4"
    with pytest.raises(AgentSpecError, match=r"shipped: mini"):
        make_agent("alphazero:checkpoint=nope")


def test_bad_specs_and_positions_are_refused(tiny_ckpt) -> None:
    base = f"alphazero:checkpoint={tiny_ckpt}"
    with pytest.raises(AgentSpecError, match="zero or more"):
        make_agent(base + ",simulations=-1")
    with pytest.raises(AgentSpecError, match="cuda:N"):
        make_agent(base + ",device=tpu")
    with pytest.raises(AgentSpecError, match="not a valid bool"):
        make_agent(base + ",paper=maybe")
    with pytest.raises(AgentSpecError, match="auto, true, false"):
        make_agent(base + ",reuse_tree=sometimes")
    agent = make_agent(base + ",simulations=0,device=cpu")
    with pytest.raises(BtttError, match="plays 7x7 boards"):
        agent.step(GameState(Rules(rows=6, cols=6)))
    finished = GameState.from_moves(Rules(bricks="G7"), "A1,B1,A2,B2,A3,B3,A4")
    with pytest.raises(BtttError, match="game is over"):
        agent.step(finished)


def test_canonical_name_rebuilds_the_same_agent(tiny_ckpt) -> None:
    agent = make_agent(f"alphazero:checkpoint={tiny_ckpt},simulations=3,paper=true")
    assert "c_puct=auto" in agent.name and agent.c_puct == 1.0
    again = make_agent(agent.name)
    assert again.name == agent.name and again.simulations == 3 and again.paper
    assert make_agent(f"alphazero:checkpoint={tiny_ckpt},c_puct=2.5").c_puct == 2.5
    default = make_agent(f"alphazero:checkpoint={tiny_ckpt}")
    assert default.c_puct is None and default.reuse_tree  # the search's defaults
    assert make_agent(f"alphazero:checkpoint={tiny_ckpt},paper=true,reuse_tree=true").reuse_tree
    with pytest.raises(AgentSpecError, match="number or auto"):
        make_agent(f"alphazero:checkpoint={tiny_ckpt},c_puct=big")


def test_threads_parameter_sets_torch_threads(tiny_ckpt) -> None:
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        make_agent(f"alphazero:checkpoint={tiny_ckpt},simulations=0,threads=0,device=cpu")
        assert torch.get_num_threads() == 2
        agent = make_agent(f"alphazero:checkpoint={tiny_ckpt},simulations=0,device=cpu")
        assert torch.get_num_threads() == 1 and agent.name.endswith("threads=1")
    finally:
        torch.set_num_threads(before)
