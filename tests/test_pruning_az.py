"""Pruning the AlphaZero PolicyValueNet: unit groups, masked == shrunk == rebuilt from NetConfig."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.alphazero import compress_task as az
from agents.alphazero.network import PAPER, NetConfig, PolicyValueNet
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
    assert set(names) == {
        "stem.conv",
        "blocks.0.conv1",
        "blocks.1.conv1",
        "policy_head.conv",
        "value_head.conv",
        "value_head.fc1",
    }
    assert names["stem.conv"].producers == ["stem.conv", "blocks.0.conv2", "blocks.1.conv2"]
    assert sorted(names["stem.conv"].consumers) == [
        ("blocks.0.conv1", 1),
        ("blocks.1.conv1", 1),
        ("policy_head.conv", 1),
        ("value_head.conv", 1),
    ]
    assert names["policy_head.conv"].consumers == [("policy_head.fc", 49)]
    assert az.trunk_groups(groups) == ["stem.conv", "blocks.0.conv1", "blocks.1.conv1"]
    assert [g.name for g in az.discover(net)] == ["stem.conv", "blocks.0.conv1", "blocks.1.conv1", "value_head.fc1"]

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


def _positions(layouts: list[str], per_layout: int, seed: int = 0) -> dict:
    """Random legal positions with random search policies and outcomes, ``per_layout`` on each layout."""
    from bttt import GameState, Rules
    from bttt.layouts import parse_layout

    rng = np.random.default_rng(seed)
    out: dict[str, list] = {"planes": [], "masks": [], "policy": [], "value": [], "layout": []}
    for k, name in enumerate(layouts):
        for _ in range(per_layout):
            s = GameState(Rules(bricks=parse_layout(name)))
            for _ in range(int(rng.integers(0, 12))):
                s.apply_action(int(rng.choice(s.legal_actions())))
                if s.is_terminal():
                    break
            if s.is_terminal():
                continue
            m = s.legal_mask().astype(bool)
            p = rng.random(49) * m
            out["planes"].append(s.observation().astype(np.float32))
            out["masks"].append(m)
            out["policy"].append((p / p.sum()).astype(np.float32))
            out["value"].append(np.float32(rng.choice([-1.0, 0.0, 1.0])))
            out["layout"].append(k)
    return {k: np.array(v) for k, v in out.items()}


def test_retraining_task_augments_only_the_training_split_by_layout_preserving_symmetries():
    from agents.alphazero.augment import allowed_transforms
    from bttt.layouts import BrickDistribution

    data = _positions(["D3", "D4"], 30)
    table = allowed_transforms(BrickDistribution.parse("D3,D4"), "auto")
    assert [len(t) for t in table] == [2, 8]  # D3: identity and the up/down flip; D4: all eight
    task = az.PolicyValueTask(data, 0.2, 16, 1, 1.0, seed=0, augment=table)
    plain = az.PolicyValueTask(data, 0.2, 16, 1, 1.0, seed=0)
    assert task.n_val == plain.n_val and torch.equal(task.val_set["planes"], plain.val_set["planes"])
    tr = plain.train_set
    d3 = int((tr["planes"][:, 2, 3, 2] == 1).sum())
    assert task.n_train == 2 * d3 + 8 * (plain.n_train - d3)
    bricks = task.train_set["planes"][:, 2].reshape(-1, 49)
    assert set(bricks.argmax(1).tolist()) == {23, 24}  # every copy still has its brick on D3 or D4
    # each copy keeps stones, legal moves and policy aligned: the policy is zero on occupied cells
    occupied = task.train_set["planes"][:, :3].sum(1).reshape(-1, 49) > 0
    assert torch.all(task.train_set["policy"][occupied] == 0)
    assert torch.equal(task.train_set["masks"], ~occupied)
    assert sorted(task.train_set["value"].tolist()) == sorted(
        v
        for k, v in zip((tr["planes"][:, 2, 3, 2] == 1).tolist(), tr["value"].tolist(), strict=True)
        for _ in range(2 if k else 8)
    )


def test_distillation_targets_are_the_teachers_own_outputs():
    data = _positions(["D4"], 40)
    teacher = _net(NetConfig(channels=6, blocks=1, value_hidden=4), 2)
    pure = az.PolicyValueTask(data, 0.25, 16, 1, 1.0, seed=0, teacher=teacher, distill=1.0)
    none = az.PolicyValueTask(data, 0.25, 16, 1, 1.0, seed=0, teacher=teacher, distill=0.0)
    half = az.PolicyValueTask(data, 0.25, 16, 1, 1.0, seed=0, teacher=teacher, distill=0.5)
    with torch.no_grad():
        logits, v = teacher(pure.train_set["planes"])
    probs = torch.softmax(logits.masked_fill(~pure.train_set["masks"], -1e9), dim=1)
    torch.testing.assert_close(pure.train_set["policy"], probs)
    torch.testing.assert_close(pure.train_set["value"], v)
    torch.testing.assert_close(half.train_set["policy"], (probs + none.train_set["policy"]) / 2)
    torch.testing.assert_close(half.train_set["value"], (v + none.train_set["value"]) / 2)
    # fidelity metrics: the teacher agrees with itself exactly; another network does not
    m = pure.evaluate(teacher)
    assert m["val_teacher_top1"] == 1.0 and abs(m["val_teacher_kl"]) < 1e-5
    other = pure.evaluate(_net(NetConfig(channels=6, blocks=1, value_hidden=4), 3))
    assert other["val_teacher_kl"] > 0.01 and other["val_teacher_top1"] < 1.0
    # held-out losses stay on the dataset's search targets, whatever the blend
    assert pure.evaluate(teacher)["val_policy_loss"] == none.evaluate(teacher)["val_policy_loss"]
