"""Criteria as pluggable objects: the shorthands map to built-in objects, a user's object plugs in."""

from __future__ import annotations

import doctest

import pytest
import torch
from torch import nn

import pruning.schedules
import pruning.step_lr
from pruning import (
    APoZ,
    Criterion,
    IterativePruner,
    MeanActivation,
    Negated,
    PruneConfig,
    RandomUnits,
    Schedule,
    UnitMagnitude,
    discover_units,
    resolve_criterion,
    score_units,
)
from pruning.criteria import UNIT_CRITERIA, WEIGHT_CRITERIA, WeightMagnitude, criterion_name

torch.manual_seed(0)
X = torch.randn(40, 5)
Y = (X[:, 0] > 0).long()


def net() -> nn.Sequential:
    torch.manual_seed(1)
    return nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 6), nn.ReLU(), nn.Linear(6, 2))


def test_shorthands_map_to_built_in_objects_with_the_same_scores():
    m = net()
    groups = discover_units(m, X[:1])
    loader = [X[:20], X[20:]]
    for name, cls in UNIT_CRITERIA.items():
        obj = resolve_criterion(name)
        assert isinstance(obj, cls) and obj.name == name == criterion_name(obj)
        a = score_units(name, m, groups, loader, seed=5)
        b = score_units(obj, m, groups, loader, seed=5)
        assert all(torch.equal(a[k], b[k]) for k in a)
    assert isinstance(resolve_criterion("magnitude", "weights"), WeightMagnitude)
    assert set(WEIGHT_CRITERIA) == {"magnitude", "random"}
    assert [type(resolve_criterion(n)) for n in ("dropnet", "apoz", "magnitude", "random")] == [
        MeanActivation,
        APoZ,
        UnitMagnitude,
        RandomUnits,
    ]


def test_negated_reverses_the_order():
    m = net()
    groups = discover_units(m, X[:1])
    s = score_units("dropnet", m, groups, [X])
    n = Negated("dropnet")
    assert n.needs_data and n.name == "max:dropnet"
    r = score_units(n, m, groups, [X])
    assert all(torch.equal(r[k], -s[k]) for k in s)


class LastUnitsFirst(Criterion):
    """A criterion the library does not ship: remove the highest-indexed units first."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None):
        self.calls += 1
        return {g.name: -torch.arange(g.size, dtype=torch.float32) for g in targets}


def _train(model, info):
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    sched = info.scheduler(opt, 2)
    for _ in range(2):
        opt.zero_grad()
        nn.functional.cross_entropy(model(X), Y).backward()
        opt.step()
        sched.step()


def test_a_user_criterion_object_plugs_into_the_driver():
    crit = LastUnitsFirst()
    m = net()
    groups = discover_units(m, X[:1])
    cfg = PruneConfig(criterion=crit, fraction=0.25, mode="minimum_layer", cycles=2, latency=False)
    res = IterativePruner(m, groups, _train, lambda _m: {}, None, X[:1], cfg, Schedule("fine_tune")).run()
    assert crit.calls == 2
    assert res.alive["0"].tolist() == [True] * 5 + [False] * 3  # 8 -> 6 -> 5, highest indices go
    assert res.alive["2"].tolist() == [True] * 4 + [False] * 2  # 6 -> 5 -> 4


def test_a_data_criterion_gets_the_loader_and_max_batches():
    seen = {}

    class Spy(Criterion):
        needs_data = True

        def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None):
            seen["loader"], seen["max_batches"] = loader, max_batches
            return {g.name: torch.rand(g.size) for g in targets}

    m = net()
    loader = [X]
    cfg = PruneConfig(criterion=Spy(), cycles=1, latency=False, score_batches=3)
    IterativePruner(m, discover_units(m, X[:1]), _train, lambda _m: {}, loader, X[:1], cfg, Schedule()).run()
    assert seen == {"loader": loader, "max_batches": 3}


def test_unknown_or_mismatched_criteria_are_refused():
    with pytest.raises(ValueError, match="unknown criterion"):
        resolve_criterion("taylor")
    with pytest.raises(ValueError, match="scores units"):
        resolve_criterion(MeanActivation(), "weights")
    with pytest.raises(ValueError, match="needs a data loader"):
        score_units(MeanActivation(), net(), discover_units(net(), X[:1]))


@pytest.mark.parametrize("module", [pruning.step_lr, pruning.schedules])
def test_docstring_examples_run(module):
    result = doctest.testmod(module, extraglobs={"torch": torch})
    assert result.failed == 0 and (module is pruning.schedules or result.attempted > 0)
