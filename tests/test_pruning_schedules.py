"""SILO and baseline learning-rate schedulers."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch.optim.lr_scheduler import LRScheduler

from pruning.schedules import (
    SILO_PRESETS,
    ConstantLR,
    OneCycleCosineLR,
    Schedule,
    SiloLR,
    WarmupDecayLR,
    silo_max_lr,
)


def test_silo_max_lr_formula():
    for x in (0.0, 0.1, 0.37, 0.5, 0.9, 1.0):
        for eta0, alpha, beta in ((0.03, 0.04, 5.0), (0.01, 0.2, 2.0)):
            xb, yb = x**beta, (1 - x) ** beta
            assert silo_max_lr(x, eta0, alpha, beta) == pytest.approx(eta0 + alpha * xb / (xb + yb))
    with pytest.raises(ValueError):
        silo_max_lr(1.5)


# Hand-computed from the authors' defaults: ResNet-20 (0.03, 0.04, 5), VGG-19 (0.04, 0.06, 5).
TABLE = [
    # x,    resnet20,      vgg19
    (0.0, 0.03, 0.04),
    (0.2, 0.0300390244, 0.0400585366),  # 0.2^5/(0.2^5+0.8^5) = 1/1025
    (0.5, 0.05, 0.07),
    (0.8, 0.0699609756, 0.0999414634),
    (0.9, 0.0699993226, 0.0999989839),  # 0.9^5/(0.9^5+0.1^5) = 59049/59050
    (1.0, 0.07, 0.10),
]


@pytest.mark.parametrize(("x", "r20", "vgg"), TABLE)
def test_silo_table_of_author_defaults(x, r20, vgg):
    assert silo_max_lr(x, *SILO_PRESETS["resnet20"]) == pytest.approx(r20, abs=1e-9)
    assert silo_max_lr(x, *SILO_PRESETS["vgg19"]) == pytest.approx(vgg, abs=1e-9)


def _opt():
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(2))], lr=123.0)


def _trace(s: LRScheduler, opt, n: int) -> list[float]:
    out = []
    for _ in range(n):
        out.append(opt.param_groups[0]["lr"])
        assert s.get_last_lr() == [opt.param_groups[0]["lr"]]
        opt.step()
        s.step()
    return out


def test_warmup_decay_shape_and_silo_peak():
    opt = _opt()
    s = SiloLR(opt, total_steps=10, sparsity=0.5, warmup=0.2)
    lrs = _trace(s, opt, 10)
    assert isinstance(s, LRScheduler)
    assert lrs[1] == pytest.approx(0.05) and max(lrs) == pytest.approx(0.05)  # peak = max_lr(0.5)
    assert lrs[0] == pytest.approx(0.025)
    assert all(a >= b for a, b in itertools.pairwise(lrs[1:]))
    assert lrs[-1] == pytest.approx(0.05 / 9)  # decays to 0 just after the last step
    assert 123.0 not in lrs  # the scheduler, not the optimizer, owns the learning rate


def test_baselines():
    opt = _opt()
    assert set(_trace(ConstantLR(opt, 1e-3), opt, 5)) == {1e-3}
    opt = _opt()
    lrs = _trace(OneCycleCosineLR(opt, 20, max_lr=0.1), opt, 20)
    assert lrs[0] == pytest.approx(0.1 / 25) and max(lrs) == pytest.approx(0.1)
    assert lrs.index(max(lrs)) == 6
    opt = _opt()
    lrr = _trace(Schedule("lr_rewinding", max_lr=0.07).build(opt, 10, cycle=3, history=[0, 0.2, 0.4, 0.6]), opt, 10)
    opt = _opt()
    silo = _trace(Schedule("silo").build(opt, 10, cycle=3, history=[0, 0.2, 0.4, 1.0]), opt, 10)
    assert max(lrr) == pytest.approx(0.07)
    assert max(silo) == pytest.approx(silo_max_lr(0.4))  # lag 1: sparsity of the previous cycle


def test_schedule_lag_and_peaks():
    h = [0.0, 0.3, 0.6]
    assert Schedule("silo", lag=0).peak(2, h) == pytest.approx(silo_max_lr(0.6))
    assert Schedule("silo", lag=1).peak(2, h) == pytest.approx(silo_max_lr(0.3))
    assert Schedule("silo", lag=1).peak(0, h[:1]) == pytest.approx(0.03)
    assert Schedule.silo_preset("vgg19").peak(1, [0.0, 0.5]) == pytest.approx(0.04)
    assert Schedule("fine_tune", fine_tune_lr=0.002).peak(5, h) == 0.002
    dense = Schedule("fine_tune", dense_max_lr=0.2)
    assert dense.peak(0, [0.0]) == 0.2 and dense.peak(1, [0.0, 0.2]) == 1e-3
    assert isinstance(dense.build(_opt(), 10, 0, [0.0]), WarmupDecayLR)
    assert isinstance(dense.build(_opt(), 10, 1, [0.0, 0.2]), ConstantLR)
    with pytest.raises(ValueError):
        Schedule("cosine")


@pytest.mark.parametrize(
    "make",
    [
        lambda o: WarmupDecayLR(o, 12, 0.1),
        lambda o: SiloLR(o, 12, 0.7),
        lambda o: OneCycleCosineLR(o, 12, 0.1),
        lambda o: ConstantLR(o, 0.01),
    ],
)
def test_schedulers_save_and_restore(make):
    opt = _opt()
    s = make(opt)
    _trace(s, opt, 5)
    state = s.state_dict()
    expected = _trace(s, opt, 7)
    opt2 = _opt()
    s2 = make(opt2)
    s2.load_state_dict(state)
    opt2.param_groups[0]["lr"] = s2.get_last_lr()[0]
    assert _trace(s2, opt2, 7) == pytest.approx(expected)
