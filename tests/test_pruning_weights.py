"""Unstructured (weight) pruning: selection, exact zeros through training, the driver and resume."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from pruning import (
    Criterion,
    IterativePruner,
    PruneConfig,
    Schedule,
    WeightMasker,
    full_masks,
    prunable_weights,
    select_weights,
    weight_sparsity,
)

torch.manual_seed(0)
X = torch.randn(96, 6)
Y = (X[:, 0] - X[:, 3] + 0.5 * X[:, 1] > 0).long()


def make_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 2))


def train(model: nn.Module, info) -> None:
    """SGD with momentum and weight decay (the regime where a masked weight could drift)."""
    g = torch.Generator().manual_seed(100 + info.cycle)
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9, weight_decay=5e-4)
    sched = info.scheduler(opt, total_steps=3 * 6)
    for epoch in range(1, 4):
        for idx in torch.randperm(96, generator=g).split(16):
            opt.zero_grad()
            nn.functional.cross_entropy(model(X[idx]), Y[idx]).backward()
            opt.step()
            sched.step()
            _assert_masked_zero(model, info.weight_masks)
        info.epoch_end(model, epoch)


def _assert_masked_zero(model: nn.Module, masks) -> None:
    params = dict(model.named_parameters())
    for name, m in (masks or {}).items():
        assert torch.count_nonzero(params[name].detach()[~m]) == 0, name


@torch.no_grad()
def evaluate(model: nn.Module) -> dict:
    out = model(X)
    return {"acc": float((out.argmax(1) == Y).float().mean()), "loss": float(nn.functional.cross_entropy(out, Y))}


def pruner(net, tmp=None, train_fn=train, **cfg) -> IterativePruner:
    config = PruneConfig(latency=False, granularity="weights", **{"criterion": "magnitude", "cycles": 3, **cfg})
    schedule = Schedule("lr_rewinding", max_lr=0.05, shape="steps", warmup_steps=3)
    return IterativePruner(net, None, train_fn, evaluate, None, X[:1], config, schedule, checkpoint_dir=tmp)


def test_global_and_layer_selection_on_hand_made_weights():
    scores = {"a": torch.tensor([[0.1, 5.0], [0.2, 4.0]]), "b": torch.tensor([3.0, 0.3, 2.0, 1.0])}
    masks = full_masks(scores)
    glob = select_weights(scores, masks, fraction=0.5, scope="global")  # 4 of 8: 0.1, 0.2, 0.3, 1.0
    assert glob["a"].tolist() == [[False, True], [False, True]]
    assert glob["b"].tolist() == [True, False, True, False]
    layer = select_weights(scores, masks, fraction=0.5, scope="layer")  # 2 of each layer
    assert layer["a"].tolist() == [[False, True], [False, True]]
    assert layer["b"].tolist() == [True, False, True, False]
    skewed = {"a": torch.tensor([[0.1, 0.2], [0.3, 0.4]]), "b": torch.tensor([3.0, 4.0, 5.0, 6.0])}
    glob = select_weights(skewed, masks, fraction=0.5, scope="global")
    assert glob["a"].tolist() == [[False, False], [False, True]]  # global never empties a layer (min_kept=1)
    assert glob["b"].tolist() == [False, True, True, True]
    layer = select_weights(skewed, masks, fraction=0.5, scope="layer")
    assert layer["a"].tolist() == [[False, False], [True, True]] and layer["b"].tolist() == [False, False, True, True]
    again = select_weights(
        {"a": torch.tensor([-9.0, 1.0, 2.0, 3.0])}, {"a": torch.tensor([False, True, True, True])}, 0.4
    )
    assert again["a"].tolist() == [False, False, True, True]  # a removed weight is not counted again
    assert weight_sparsity(again) == pytest.approx(0.5)


def test_ties_are_broken_by_the_seed():
    scores = {"a": torch.zeros(30)}
    masks = full_masks(scores)
    picks = {tuple(select_weights(scores, masks, 0.2, seed=s)["a"].tolist()) for s in range(5)}
    assert len(picks) > 1
    assert torch.equal(select_weights(scores, masks, 0.2, seed=3)["a"], select_weights(scores, masks, 0.2, seed=3)["a"])


@pytest.mark.parametrize("make_opt", [lambda p: torch.optim.SGD(p, 0.1, 0.9, weight_decay=1e-3), torch.optim.Adam])
def test_masked_weights_stay_exactly_zero_through_training(make_opt):
    net = make_net()
    weights = prunable_weights(net)
    assert list(weights) == ["0.weight", "2.weight", "4.weight"]
    scores = {k: w.detach().abs() for k, w in weights.items()}
    masks = select_weights(scores, full_masks(weights), 0.6)
    masker = WeightMasker(net, masks)
    start = {k: w.detach().clone() for k, w in weights.items()}
    opt = make_opt(net.parameters())
    for _ in range(20):
        opt.zero_grad()
        nn.functional.cross_entropy(net(X), Y).backward()
        opt.step()
        _assert_masked_zero(net, masks)
    assert all(bool((w.detach()[masks[k]] != start[k][masks[k]]).any()) for k, w in weights.items())  # kept ones train
    with torch.no_grad():
        net[0].weight.add_(1.0)  # something outside the optimizer writes into removed weights
    net(X)  # the forward pre-hook puts the zeros back before the layer runs
    _assert_masked_zero(net, masks)
    masker.remove()


def test_driver_prunes_weights_iteratively_with_every_rewind():
    for rewind in ("init", "early", "reinit", "continue"):
        res = pruner(make_net(), rewind=rewind).run()
        fracs = [r["weights_frac"] for r in res.rows]
        assert fracs[0] == 1.0 and all(a > b for a, b in itertools.pairwise(fracs))
        total = sum(w.numel() for w in prunable_weights(make_net()).values())
        assert res.rows[1]["weights"] == total - int(0.2 * total)
        assert [r["sparsity"] for r in res.rows] == pytest.approx([1 - f for f in fracs])
        assert res.rows[-1]["nonzero_params"] == res.rows[-1]["params"] - (total - res.rows[-1]["weights"])
        _assert_masked_zero(res.model, res.weight_masks)


def test_init_rewind_restores_initial_weights_times_mask():
    net = make_net(3)
    w0 = {k: v.detach().clone() for k, v in net.state_dict().items()}
    p = pruner(net, rewind="init", cycles=1)
    p.train_fn = lambda m, info: None
    out = p.run()
    for name, m in out.weight_masks.items():
        torch.testing.assert_close(out.model.state_dict()[name], w0[name] * m)
    assert int(out.weight_masks["0.weight"].sum()) < 96


def test_layer_scope_prunes_each_layer_by_the_fraction():
    res = pruner(make_net(), scope="layer", cycles=2).run()
    for name, m in res.weight_masks.items():
        n = m.numel()
        left = n - int(0.2 * n)
        assert int(m.sum()) == left - int(0.2 * left), name


def test_target_weights_stops_the_run():
    res = pruner(make_net(), cycles=50, target_weights=0.3).run()
    assert res.rows[-1]["weights_frac"] <= 0.3 < res.rows[-2]["weights_frac"]


class Interrupt(Exception):
    pass


@pytest.mark.parametrize("rewind", ["init", "continue"])
def test_interrupted_weight_run_resumes_with_exact_zeros(tmp_path, rewind):
    full = pruner(make_net(), tmp_path / "full", rewind=rewind).run()
    calls = []

    def flaky(model, info):
        calls.append(info.cycle)
        if info.cycle == 2 and calls.count(2) == 1:
            raise Interrupt
        train(model, info)

    with pytest.raises(Interrupt):
        pruner(make_net(), tmp_path / "cut", flaky, rewind=rewind).run()
    saved = torch.load(tmp_path / "cut" / "state.pt", weights_only=False)
    for name, m in saved["weight_masks"].items():
        assert torch.count_nonzero(saved["model"][name][~m]) == 0
    resumed = pruner(make_net(7), tmp_path / "cut", flaky, rewind=rewind).run()
    assert calls == [0, 1, 2, 2, 3]
    assert [r["weights"] for r in resumed.rows] == [r["weights"] for r in full.rows]
    for ra, rb in zip(resumed.rows, full.rows, strict=True):
        assert ra["loss"] == pytest.approx(rb["loss"], rel=1e-5)
    assert all(torch.equal(resumed.weight_masks[k], full.weight_masks[k]) for k in full.weight_masks)
    _assert_masked_zero(resumed.model, resumed.weight_masks)


def test_a_user_weight_criterion_plugs_in():
    class Reverse(Criterion):  # remove the *largest* weights: a criterion the library does not ship
        granularity = "weights"

        def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None):
            return {k: -w.detach().abs() for k, w in targets.items()}

    net = make_net()
    big = net[0].weight.detach().abs().max()
    p = pruner(net, criterion=Reverse(), cycles=1)
    p.train_fn = lambda m, info: None
    out = p.run()
    w0 = make_net().state_dict()["0.weight"]
    assert not out.weight_masks["0.weight"][w0.abs() == big].any()
    with pytest.raises(ValueError, match="scores weights"):
        PruneConfig(criterion=Reverse())  # a weight criterion cannot prune units


def test_bad_configs():
    with pytest.raises(ValueError, match="apply='mask'"):
        PruneConfig(granularity="weights", apply="shrink", criterion="magnitude")
    with pytest.raises(ValueError, match="unknown criterion"):
        PruneConfig(granularity="weights", criterion="dropnet")
    with pytest.raises(ValueError, match="scope"):
        PruneConfig(scope="row")
    with pytest.raises(ValueError, match="not a submodule"):
        prunable_weights(make_net(), ["nope"])
