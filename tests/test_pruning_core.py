"""Pruning core: unit discovery, scores, selection, masks and physical removal."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn

from pruning import (
    Masker,
    PruningGraphError,
    declare_units,
    discover_units,
    full_alive,
    rebuild_optimizer,
    score_units,
    select_removal,
    shrink,
)
from pruning.groups import explain_frozen
from pruning.scores import activation_stats


class Block(nn.Module):
    def __init__(self, c: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)
        self.act = nn.LeakyReLU(0.3)  # shared: called twice per forward

    def forward(self, x):
        return self.act(self.bn2(self.conv2(self.act(self.bn1(self.conv1(x))))) + x)


class ResNet(nn.Module):
    """An AlphaZero-like net: stem, residual blocks, a conv+flatten head and a hidden Linear."""

    def __init__(self, c: int = 8) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, c, 3, padding=1), nn.BatchNorm2d(c), nn.ReLU())
        self.blocks = nn.ModuleList([Block(c), Block(c)])
        self.head = nn.Sequential(
            nn.Conv2d(c, 2, 1),
            nn.BatchNorm2d(2),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(2 * 25, 12),
            nn.ReLU(),
            nn.Linear(12, 3),
        )

    def forward(self, x):
        x = self.stem(x)
        for b in self.blocks:
            x = b(x)
        return self.head(x)


def mlp() -> nn.Sequential:
    return nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Tanh(), nn.Linear(5, 2))


def randomised_resnet(seed: int = 0) -> ResNet:
    torch.manual_seed(seed)
    net = ResNet()
    net.train()
    with torch.no_grad():
        for _ in range(3):
            net(torch.randn(32, 3, 5, 5))  # non-trivial BatchNorm statistics
        for m in net.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)
    return net.eval()


def test_discovery_groups_residual_channels_and_skips_outputs():
    net = randomised_resnet()
    groups = {g.name: g for g in discover_units(net, torch.randn(2, 3, 5, 5))}
    assert set(groups) == {"stem.0", "blocks.0.conv1", "blocks.1.conv1", "head.0", "head.4"}
    trunk = groups["stem.0"]
    assert trunk.producers == ["stem.0", "blocks.0.conv2", "blocks.1.conv2"]
    assert trunk.norms == ["stem.1", "blocks.0.bn2", "blocks.1.bn2"]
    assert [(p.module, p.call) for p in trunk.activations] == [("stem.2", 0), ("blocks.0.act", 1), ("blocks.1.act", 1)]
    assert sorted(trunk.consumers) == [("blocks.0.conv1", 1), ("blocks.1.conv1", 1), ("head.0", 1)]
    assert groups["blocks.0.conv1"].activations[0].call == 0
    assert groups["head.0"].consumers == [("head.4", 25)]
    assert explain_frozen(net, torch.randn(2, 3, 5, 5)) == {"head.6": "is a model output"}


def test_discovery_freezes_channels_that_leave_the_model():
    class TwoOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.a, self.r, self.b = nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)

        def forward(self, x):
            h = self.r(self.a(x))
            return self.b(h), h

    assert discover_units(TwoOut(), torch.randn(2, 3)) == []


def test_dropnet_and_apoz_scores_match_direct_computation():
    torch.manual_seed(1)
    net = mlp()
    data = [torch.randn(7, 4), torch.randn(5, 4)]
    groups = discover_units(net, data[0])
    assert [g.name for g in groups] == ["0", "2"]
    x = torch.cat(data)
    h1 = torch.relu(net[0](x))
    h2 = torch.tanh(net[2](h1))
    scores = score_units("dropnet", net, groups, data)
    torch.testing.assert_close(scores["0"], h1.mean(0))
    torch.testing.assert_close(scores["2"], h2.mean(0))
    apoz = score_units("apoz", net, groups, data)
    torch.testing.assert_close(apoz["0"], 1 - (h1 <= 0).float().mean(0))


def test_conv_scores_average_positions_then_samples_and_residual_points():
    net = randomised_resnet(2)
    data = [torch.randn(4, 3, 5, 5), torch.randn(6, 3, 5, 5)]
    groups = discover_units(net, data[0])
    mean, _ = activation_stats(net, groups, data)
    x = torch.cat(data)
    with torch.no_grad():
        s = net.stem(x)
        b0 = net.blocks[0]
        inner = b0.act(b0.bn1(b0.conv1(s)))
        out0 = b0(s)
        out1 = net.blocks[1](out0)
    torch.testing.assert_close(mean["blocks.0.conv1"], inner.mean((0, 2, 3)))
    expect = torch.stack([s.mean((0, 2, 3)), out0.mean((0, 2, 3)), out1.mean((0, 2, 3))]).mean(0)
    torch.testing.assert_close(mean["stem.0"], expect)


def test_magnitude_and_random_scores():
    net = mlp()
    groups = discover_units(net, torch.randn(1, 4))
    mag = score_units("magnitude", net, groups)
    torch.testing.assert_close(mag["0"], net[0].weight.abs().mean(1))
    r1 = score_units("random", net, groups, seed=3)
    r2 = score_units("random", net, groups, seed=3)
    assert torch.equal(r1["0"], r2["0"])
    with pytest.raises(ValueError, match="needs a data loader"):
        score_units("dropnet", net, groups)


def _alive(**sizes):
    return {k: torch.ones(v, dtype=torch.bool) for k, v in sizes.items()}


def test_global_selection_removes_lowest_scores_across_layers():
    scores = {"a": torch.tensor([5.0, 0.1, 3.0, 0.2]), "b": torch.tensor([0.3, 9.0, 0.05, 8.0])}
    new = select_removal(scores, _alive(a=4, b=4), fraction=0.5, mode="minimum")
    assert new["a"].tolist() == [True, False, True, False]
    assert new["b"].tolist() == [False, True, False, True]


def test_layer_selection_removes_fraction_in_each_layer():
    scores = {"a": torch.tensor([5.0, 0.1, 3.0, 0.2, 1.0]), "b": torch.tensor([0.3, 9.0, 8.0])}
    new = select_removal(scores, _alive(a=5, b=3), fraction=0.4, mode="minimum_layer")
    assert new["a"].tolist() == [True, False, True, False, True]  # floor(0.4*5) = 2
    assert new["b"].tolist() == [False, True, True]  # floor(1.2) = 1


def test_selection_never_empties_a_layer_and_removes_at_least_one():
    scores = {"a": torch.zeros(3), "b": torch.ones(10)}
    new = select_removal(scores, _alive(a=3, b=10), fraction=0.9, mode="minimum")
    assert int(new["a"].sum()) == 1 and int(new["b"].sum()) == 1
    new = select_removal(scores, _alive(a=3, b=10), fraction=0.9, mode="minimum", min_units={"a": 2})
    assert int(new["a"].sum()) == 2
    one = select_removal({"a": torch.rand(4)}, _alive(a=4), fraction=0.01)
    assert int(one["a"].sum()) == 3
    floor = select_removal({"a": torch.rand(1)}, _alive(a=1), fraction=0.5)
    assert int(floor["a"].sum()) == 1
    dead = {"a": torch.tensor([True, False, True, True])}
    again = select_removal({"a": torch.tensor([1.0, -5.0, 2.0, 3.0])}, dead, fraction=0.3)
    assert again["a"].tolist() == [False, False, True, True]  # dead unit is not counted again


def test_ties_are_broken_at_random_with_the_seed():
    scores = {"a": torch.zeros(20)}
    picks = {tuple(select_removal(scores, _alive(a=20), 0.25, seed=s)["a"].tolist()) for s in range(6)}
    assert len(picks) > 1
    same = [select_removal(scores, _alive(a=20), 0.25, seed=4)["a"] for _ in range(2)]
    assert torch.equal(*same)


@pytest.mark.parametrize("mode", ["minimum", "minimum_layer"])
def test_mask_and_physical_removal_agree_on_a_residual_net(mode):
    net = randomised_resnet(3)
    x = torch.randn(9, 3, 5, 5)
    groups = discover_units(net, x)
    scores = score_units("dropnet", net, groups, [x])
    scores["stem.0"] = scores["stem.0"] - 100  # make sure the residual group loses units
    alive = select_removal(scores, full_alive(groups), 0.5, mode, seed=0)
    assert int(alive["stem.0"].sum()) < 8
    masker = Masker(net, groups, alive)
    with torch.no_grad():
        masked = net(x)
    masker.remove()
    with torch.no_grad():
        assert not torch.allclose(net(x), masked)  # removing the hooks restores the full net
    small = copy.deepcopy(net)
    new_groups = shrink(small, groups, alive)
    with torch.no_grad():
        torch.testing.assert_close(small(x), masked, rtol=1e-5, atol=1e-5)
    kept = int(alive["stem.0"].sum())
    for name in ("stem.0", "blocks.0.conv2", "blocks.1.conv2"):
        assert dict(small.named_modules())[name].out_channels == kept
    for name in ("blocks.0.conv1", "blocks.1.conv1", "head.0"):
        assert dict(small.named_modules())[name].in_channels == kept
    assert small.blocks[1].bn2.running_mean.shape == (kept,)
    assert small.head[4].in_features == 25 * int(alive["head.0"].sum())
    assert [g.size for g in new_groups] == [int(alive[g.name].sum()) for g in groups]
    # the shrunk model can be pruned again and still trains
    opt = rebuild_optimizer(torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9), small)
    assert opt.defaults["momentum"] == 0.9
    small.train()
    small(x).sum().backward()
    opt.step()


def test_masked_units_are_exact_zeros_after_the_activation():
    net = mlp()
    groups = discover_units(net, torch.randn(1, 4))
    alive = full_alive(groups)
    alive["0"][[1, 4]] = False
    seen = {}
    m = Masker(net, groups, alive)
    net[1].register_forward_hook(lambda m, i, o: seen.setdefault("h", o))  # runs after the mask
    net(torch.randn(3, 4) * 10)
    assert torch.all(seen["h"][:, [1, 4]] == 0)
    m.remove()


def test_declared_units_with_and_without_tracing():
    net = mlp()
    d = declare_units(net, [("0", "1")], torch.randn(1, 4))
    assert [g.name for g in d] == ["0"] and d[0].consumers == [("2", 1)]
    seq = declare_units(net, [("0", "1"), ("2", "3")])
    assert [g.consumers for g in seq] == [[("2", 1)], [("4", 1)]]
    with pytest.raises(PruningGraphError, match="cannot be pruned"):
        declare_units(net, [("4", "3")], torch.randn(1, 4))
    with pytest.raises(PruningGraphError, match="no submodule"):
        declare_units(net, [("9", "1")])
    x = torch.randn(5, 4)
    alive = full_alive(seq)
    alive["2"][0] = False
    small = copy.deepcopy(net)
    shrink(small, seq, alive)
    with Masker(net, seq, alive).hooks:
        torch.testing.assert_close(small(x), net(x))


class Untraceable(nn.Module):
    """Data-dependent control flow: torch.fx cannot trace it, so declared units fall back to order."""

    def __init__(self) -> None:
        super().__init__()
        self.conv, self.bn, self.act = nn.Conv2d(2, 6, 3, padding=1), nn.BatchNorm2d(6), nn.ReLU()
        self.fc, self.act2, self.out = nn.Linear(6 * 16, 5), nn.ReLU(), nn.Linear(5, 2)

    def forward(self, x):
        h = self.act(self.bn(self.conv(x))).flatten(1)
        if h.sum() > -1e9:
            h = self.act2(self.fc(h))
        return self.out(h)


def test_declared_units_fall_back_to_registration_order_with_a_shape_probe():
    torch.manual_seed(5)
    net = Untraceable().eval()
    x = torch.randn(4, 2, 4, 4)
    with pytest.raises(PruningGraphError, match="could not trace"):
        discover_units(net, x)
    net.train()
    groups = declare_units(net, [("conv", "act"), ("fc", "act2")], x)
    assert net.training  # the shape probe leaves the mode as it was
    net.eval()
    assert groups[0].norms == ["bn"] and groups[0].consumers == [("fc", 16)]
    alive = full_alive(groups)
    alive["conv"][[0, 3]] = False
    alive["fc"][1] = False
    with Masker(net, groups, alive).hooks, torch.no_grad():
        masked = net(x)
    small = copy.deepcopy(net)
    shrink(small, groups, alive)
    assert small.fc.in_features == 4 * 16
    with torch.no_grad():
        torch.testing.assert_close(small(x), masked)
