"""``bttt prune`` on a tiny AlphaZero network: pruned checkpoint loads, plays, resumes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.alphazero.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from agents.alphazero.dataset import save_dataset
from agents.alphazero.network import NetConfig, build_net
from agents.registry import make_agent
from bttt import GameState, Rules
from bttt.cells import parse_cell
from bttt.cli import main
from bttt.layouts import parse_layout

CFG = NetConfig(channels=8, blocks=2, kernel=3, value_hidden=8)


def _dataset(path, n_games: int = 40) -> None:
    rng = np.random.default_rng(0)
    planes, masks, policy, value = [], [], [], []
    for _ in range(n_games):
        s = GameState(Rules(bricks=parse_layout("D4")))
        while not s.is_terminal():
            m = s.legal_mask().astype(bool)
            planes.append(s.observation())
            masks.append(m)
            p = rng.random(49) * m
            policy.append(p / p.sum())
            value.append(rng.choice([-1.0, 0.0, 1.0]))
            acts = s.legal_actions()
            s.apply_action(acts[int(rng.integers(len(acts)))])
    arrays = {
        "planes": np.array(planes),
        "masks": np.array(masks),
        "policy": np.array(policy),
        "value": np.array(value),
        "layout": np.zeros(len(value), dtype=np.int16),
    }
    save_dataset(path, arrays, "D4", 7, 7)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("prune")
    net = build_net(CFG, seed=1)
    save_checkpoint(d / "az.pt", Checkpoint.from_net(net, training_bricks="D4", training_cells=(24,)))
    _dataset(d / "pos.npz")
    return d


def test_prune_command_writes_a_playable_half_width_checkpoint(files, capsys):
    out = files / "small.pt"
    args = [
        "prune",
        str(files / "az.pt"),
        "--dataset",
        str(files / "pos.npz"),
        "--out",
        str(out),
        "--epochs",
        "1",
        "--batch-size",
        "64",
        "--no-latency",
        "--fraction",
        "0.25",
        "--distill",
        "0.5",
    ]
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "trunk 8 -> 4 channels" in text and "same best move as the unpruned network" in text
    n_raw = len(np.load(files / "pos.npz")["value"])
    assert f"on {8 * (n_raw - round(0.1 * n_raw))} positions" in text  # D4: the 8 symmetries of the train split
    ck = load_checkpoint(out)
    cfg = ck.net_config
    assert cfg.channels == 4 and cfg.block_channels == (4, 4)  # exactly the 0.5 target
    assert ck.training_cells == (24,) and ck.extra["pruning"]["cycles"] >= 3
    assert ck.extra["pruning"]["distill"] == 0.5 and ck.extra["pruning"]["augment"] == "auto"
    assert ck.extra["pruning"]["macs"][1] < 0.5 * ck.extra["pruning"]["macs"][0]
    assert ck.extra["pruning"]["params"][1] < 0.8 * ck.extra["pruning"]["params"][0]
    assert cfg.policy_filters == 2 and cfg.value_filters == 1  # head convs kept by default
    assert cfg.value_hidden < 8
    net = ck.build_net()
    assert net.stem.conv.out_channels == cfg.channels
    logits, v = net(torch.zeros(2, 3, 7, 7))
    assert logits.shape == (2, 49) and v.shape == (2,)
    agent = make_agent(f"alphazero:checkpoint={out},simulations=8", seed=0)
    s = GameState(Rules(bricks=parse_layout("D4")))
    assert agent.step(s) in s.legal_actions()
    rows = (files / "small.csv").read_text().splitlines()
    assert rows[0].startswith("method,cycle,units") and len(rows) == ck.extra["pruning"]["cycles"] + 2
    # rerunning the finished command resumes from its work folder instead of starting over
    assert main(args) == 0
    assert "resumed at cycle" in capsys.readouterr().out
    plot = (files / "small.png").read_bytes()  # the per-cycle plot beside the report
    assert plot.startswith(b"\x89PNG") and b"tEXtSoftware\x00bttt" in plot
    assert main([*args, "--json", "--no-progress"]) == 0
    import json

    from test_json_output import validate

    doc = json.loads(capsys.readouterr().out)  # the log lines went to stderr
    validate(doc, "bttt-prune-summary")
    assert doc["plot"] == str(files / "small.png") and doc["last"]["params"] == ck.extra["pruning"]["params"][1]
    # other options cannot resume that folder or replace its output: clear errors, no traceback, nothing written
    before = out.read_bytes()
    assert main([*args, "--prune-head-convs"]) == 2
    assert "--out" in capsys.readouterr().err
    assert main([*args, "--prune-head-convs", "--force"]) == 2
    err = capsys.readouterr().err
    assert "different run" in err and "--restart" in err and "Traceback" not in err
    assert out.read_bytes() == before


def test_prune_command_reports_bad_inputs(files, capsys):
    assert main(["prune", str(files / "az.pt"), "--dataset", str(files / "missing.npz")]) == 2
    assert "no dataset" in capsys.readouterr().err
    assert main(["prune", str(files / "az.pt"), "--dataset", str(files / "pos.npz"), "--fraction", "1.5"]) == 2
    assert "--fraction" in capsys.readouterr().err
    assert main(["prune", str(files / "az.pt"), "--dataset", str(files / "pos.npz"), "--distill", "2"]) == 2
    assert "--distill" in capsys.readouterr().err


def test_shipped_half_width_d4_network_loads_plays_and_keeps_the_opening():
    """The shipped d4-half: the documented prune of the shipped d4 network, loadable by name."""
    from agents.alphazero.agent import resolve_checkpoint

    path = resolve_checkpoint("d4-half")
    ck = load_checkpoint(path)
    cfg = ck.net_config
    assert (cfg.channels, cfg.block_channels, cfg.value_hidden) == (16, (16, 16, 16), 14)
    assert ck.build_net().parameter_count() == 20100 and ck.training_cells == (24,)
    assert ck.extra["pruning"]["distill"] == 1.0 and ck.extra["pruning"]["params"] == [63194, 20100]
    s = GameState(Rules(bricks=parse_layout("D4")))
    pruned = make_agent("alphazero:checkpoint=d4-half,device=cpu", seed=0)
    unpruned = make_agent("alphazero:checkpoint=d4,device=cpu", seed=0)
    for move in ("F2", "D2", "F4", "F3", "E5", "D6", "E4", "E6"):  # the unpruned network's winning line on D4
        if s.to_move == 1:
            assert pruned.step(s) == unpruned.step(s)
        s.apply_action(parse_cell(move))
    assert pruned.step(s) == unpruned.step(s) == parse_cell("C6")
