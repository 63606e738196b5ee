"""The iterative driver (modes, targets, checkpoints and resume) and the oracles."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from pruning import (
    IterativePruner,
    MaxLrOracle,
    PruneConfig,
    Schedule,
    discover_units,
    full_alive,
    greedy_oracle,
)
from pruning.oracle import best_interval

torch.manual_seed(0)
X = torch.randn(64, 6)
Y = (X[:, 0] + X[:, 1] - X[:, 2] > 0).long()
BATCHES = [X[:32], X[32:]]


def make_net(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Linear(16, 12), nn.ReLU(), nn.Linear(12, 2))


def train(model: nn.Module, info) -> None:
    torch.manual_seed(100 + info.cycle)
    opt = torch.optim.Adam(model.parameters(), lr=0.0)
    sched = info.scheduler(opt, total_steps=3 * 4)
    for epoch in range(1, 4):
        for i in torch.randperm(4).tolist():
            xb, yb = X[i * 16 : (i + 1) * 16], Y[i * 16 : (i + 1) * 16]
            opt.zero_grad()
            nn.functional.cross_entropy(model(xb), yb).backward()
            opt.step()
            sched.step()
        info.epoch_end(model, epoch)


@torch.no_grad()
def evaluate(model: nn.Module) -> dict:
    out = model(X)
    return {"acc": float((out.argmax(1) == Y).float().mean()), "loss": float(nn.functional.cross_entropy(out, Y))}


def pruner(net, tmp=None, train_fn=train, **cfg) -> IterativePruner:
    groups = discover_units(net, X[:1])
    config = PruneConfig(latency=False, **{"cycles": 3, "fraction": 0.25, **cfg})
    return IterativePruner(
        net,
        groups,
        train_fn,
        evaluate,
        BATCHES,
        X[:1],
        config,
        Schedule("silo", eta0=0.03, alpha=0.04),
        checkpoint_dir=tmp,
    )


@pytest.mark.parametrize(
    ("apply", "rewind"), list(itertools.product(["mask", "shrink"], ["init", "early", "reinit", "continue"]))
)
def test_every_mode_runs_and_shrinks(apply, rewind):
    res = pruner(make_net(), apply=apply, rewind=rewind).run()
    assert [r["cycle"] for r in res.rows] == [0, 1, 2, 3]
    units = [r["units"] for r in res.rows]
    assert units[0] == 28 and all(a > b for a, b in itertools.pairwise(units))
    assert res.rows[-1]["params_frac"] < 0.7 and res.rows[-1]["macs_frac"] < 0.7
    assert res.rows[1]["sparsity"] > 0 and res.rows[0]["max_lr"] == pytest.approx(0.03)
    if apply == "shrink":
        assert res.model[0].out_features == int(res.alive["0"].sum())


def test_mask_and_shrink_runs_give_the_same_trajectory():
    a = pruner(make_net(), apply="mask").run()
    b = pruner(make_net(), apply="shrink").run()
    for ra, rb in zip(a.rows, b.rows, strict=True):
        assert ra["units"] == rb["units"] and ra["params"] == rb["params"]
        assert ra["loss"] == pytest.approx(rb["loss"], rel=1e-4, abs=1e-5)


def test_init_rewind_restores_initial_weights_of_kept_units():
    net = make_net(3)
    w0 = net[0].weight.detach().clone()
    res = pruner(net, apply="shrink", rewind="init", cycles=1)
    p = res
    p.train_fn = lambda m, info: None  # no training: the model after pruning is the rewound one
    out = p.run()
    keep = torch.nonzero(out.alive["0"]).flatten()
    torch.testing.assert_close(out.model[0].weight, w0[keep])


def test_targets_stop_the_run():
    res = pruner(make_net(), cycles=20, target_units=0.5).run()
    assert res.rows[-1]["units_frac"] <= 0.5 < res.rows[-2]["units_frac"]
    assert "units_frac" in res.stop_reason
    res = pruner(make_net(), cycles=20, target_params=0.3, mode="minimum_layer").run()
    assert res.rows[-1]["params_frac"] <= 0.3
    res = pruner(make_net(), cycles=20, target_macs=0.5, apply="shrink").run()
    assert res.rows[-1]["macs_frac"] <= 0.5
    res = pruner(make_net(), cycles=20, target_groups=(("2", 0.5),), mode="minimum_layer").run()
    assert res.rows[-1]["n:2"] == 6 < res.rows[-2]["n:2"] and res.rows[-1]["n:0"] > 1
    with pytest.raises(ValueError, match="target group"):
        pruner(make_net(), target_groups=(("nope", 0.5),))


def test_metric_tolerance_returns_the_last_acceptable_model():
    res = pruner(make_net(), cycles=30, fraction=0.4, metric="acc", metric_tolerance=0.97, apply="shrink").run()
    base = res.rows[0]["acc"]
    assert "fell below" in res.stop_reason and res.rows[-1]["acc"] < 0.97 * base
    good = [r for r in res.rows if r["acc"] >= 0.97 * base]
    assert len(good) == len(res.rows) - 1 >= 2
    assert evaluate(res.model)["acc"] == pytest.approx(good[-1]["acc"])
    assert sum(int(a.sum()) for a in res.alive.values()) == good[-1]["units"]
    assert res.model[0].out_features + res.model[2].out_features == good[-1]["units"]


class Interrupt(Exception):
    pass


@pytest.mark.parametrize(("apply", "rewind"), [("shrink", "early"), ("mask", "continue")])
def test_interrupted_run_resumes_to_the_same_result(tmp_path, apply, rewind):
    full = pruner(make_net(), tmp_path / "full", apply=apply, rewind=rewind).run()
    calls = []

    def flaky(model, info):
        calls.append(info.cycle)
        if info.cycle == 2 and calls.count(2) == 1:
            raise Interrupt
        train(model, info)

    with pytest.raises(Interrupt):
        pruner(make_net(), tmp_path / "cut", flaky, apply=apply, rewind=rewind).run()
    assert (tmp_path / "cut" / "state.pt").exists()
    resumed = pruner(make_net(7), tmp_path / "cut", flaky, apply=apply, rewind=rewind).run()
    assert calls == [0, 1, 2, 2, 3]
    assert [r["units"] for r in resumed.rows] == [r["units"] for r in full.rows]
    for ra, rb in zip(resumed.rows, full.rows, strict=True):
        assert ra["loss"] == pytest.approx(rb["loss"], rel=1e-5)
    assert all(torch.equal(resumed.alive[k], full.alive[k]) for k in full.alive)
    again = pruner(make_net(), tmp_path / "cut", flaky, apply=apply, rewind=rewind).run()
    assert calls == [0, 1, 2, 2, 3] and len(again.rows) == 4  # a finished run is not redone


def test_greedy_oracle_removes_the_least_harmful_unit():
    net = make_net()
    groups = discover_units(net, X[:1])

    def loss(m):
        return evaluate(m)["loss"]

    alive, order = greedy_oracle(net, groups, loss, n_remove=3)
    assert len(order) == 3 and sum(int(a.sum()) for a in alive.values()) == 25
    # brute force the first step
    from pruning import Masker

    best = None
    for g in groups:
        for i in range(g.size):
            a = full_alive(groups)
            a[g.name][i] = False
            with Masker(net, groups, a).hooks:
                v = loss(net)
            if best is None or v < best[0]:
                best = (v, g.name, i)
    assert order[0][:2] == best[1:] and order[0][2] == pytest.approx(best[0])
    assert net(X).shape == (64, 2)  # hooks are gone
    assert loss(net) == pytest.approx(evaluate(net)["loss"])


def test_best_interval():
    res = [(0.01, 0.80), (0.03, 0.90), (0.05, 0.91), (0.1, 0.905), (0.3, 0.5)]
    assert best_interval(res, 0.011) == (0.05, 0.03, 0.1)
    assert best_interval([(1, 3.0), (2, 1.0)], 0.5, higher_is_better=False) == (2, 2, 2)


def test_max_lr_oracle_records_each_cycle():
    oracle = MaxLrOracle(train, evaluate, "acc", grid=[0.01, 0.1, 0.5], tolerance=0.02)
    res = pruner(make_net(), train_fn=oracle, cycles=2).run()
    assert [r["cycle"] for r in oracle.records] == [0, 1, 2]
    for rec, row in zip(oracle.records, res.rows, strict=True):
        assert rec["chosen"] == pytest.approx(row["max_lr"])
        assert len(rec["grid"]) == 3 and rec["lo"] <= rec["best"] <= rec["hi"]
