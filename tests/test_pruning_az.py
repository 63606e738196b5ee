"""Pruning the AlphaZero PolicyValueNet: unit groups, masked == shrunk == rebuilt from NetConfig."""

from __future__ import annotations

import pytest
import torch

from agents.alphazero.network import PAPER, NetConfig, PolicyValueNet
from bttt.cli import _prune_az as az
from pruning import Masker, full_alive, score_units, select_removal, shrink


def _net(cfg: NetConfig, seed: int) -> PolicyValueNet:
    torch.manual_seed(seed)
    net = PolicyValueNet(cfg)
    with torch.no_grad():
        net.train()
        net(torch.rand(64, 3, 7, 7).round())  # non-trivial BatchNorm statistics
        for m in net.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.3, 0.3)
    return net.eval()


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")
def test_paper_like_net_prunes_to_a_rebuildable_config():
    # the paper's architecture (4x4 kernels with TF 'same' padding, LeakyReLU, no head biases), narrower
    cfg = PAPER.replace(channels=10, blocks=2, value_hidden=6)
    net = _net(cfg, 0)
    groups = az.discover(net, head_convs=True)
    names = {g.name: g for g in groups}
    assert set(names) == {"stem.conv", "blocks.0.conv1", "blocks.1.conv1", "policy_head.conv",
                          "value_head.conv", "value_head.fc1"}
    assert names["stem.conv"].producers == ["stem.conv", "blocks.0.conv2", "blocks.1.conv2"]
    assert sorted(names["stem.conv"].consumers) == [
        ("blocks.0.conv1", 1), ("blocks.1.conv1", 1), ("policy_head.conv", 1), ("value_head.conv", 1)]
    assert names["policy_head.conv"].consumers == [("policy_head.fc", 49)]
    assert az.trunk_groups(groups) == ["stem.conv", "blocks.0.conv1", "blocks.1.conv1"]
    assert [g.name for g in az.discover(net)] == ["stem.conv", "blocks.0.conv1", "blocks.1.conv1",
                                                  "value_head.fc1"]

    x = torch.rand(16, 3, 7, 7).round()
    scores = score_units("dropnet", net, groups, [x])
    alive = select_removal(scores, full_alive(groups), 0.4, "minimum_layer", seed=3)
    with Masker(net, groups, alive).hooks, torch.no_grad():
        masked = net(x)
    shrink(net, groups, alive)
    small = az.pruned_config(cfg, net)
    assert small.channels == int(alive["stem.conv"].sum()) == 6
    assert small.block_channels == (6, 6) and small.value_hidden == 4 and small.policy_filters == 1
    rebuilt = az.rebuild(small, net)  # checks rebuilt == shrunk itself
    with torch.no_grad():
        for a, b in zip(rebuilt(x), masked, strict=True):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
