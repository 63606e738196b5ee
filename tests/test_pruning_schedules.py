"""SILO and baseline learning-rate schedulers."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from torch.optim.lr_scheduler import LRScheduler

from pruning.schedules import (
    CLR,
    SILO_PRESETS,
    SLR,
    ConstantLR,
    OneCycleCosineLR,
    Schedule,
    SiloLR,
    SiloStepLR,
    WarmupDecayLR,
    WarmupStepLR,
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
        lambda o: SiloStepLR(o, 12, 0.1, warmup_steps=3),
        lambda o: SLR(o, 12, 0.1),
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


def _values(s: LRScheduler, opt, n: int) -> list[float]:
    """The learning rate used at each of the first ``n`` optimisation steps."""
    return _trace(s, opt, n)


def test_silo_step_shape_matches_the_authors_definition_point_by_point():
    # ResNet-20 cycle: 50 epochs; with one step per epoch the step-downs come at epochs 25 and 32
    opt = _opt()
    lrs = _values(SiloStepLR(opt, total_steps=50, max_lr=0.07, warmup_steps=5), opt, 50)
    expected = {0: 0.0, 1: 0.014, 2: 0.028, 4: 0.056, 5: 0.07, 24: 0.07, 25: 0.007, 31: 0.007, 32: 0.0007, 49: 0.0007}
    for t, v in expected.items():
        assert lrs[t] == pytest.approx(v, abs=1e-12), t
    opt = _opt()  # ten steps per epoch: the same epochs, in steps; the warmup stays a fixed count
    s = SiloStepLR(opt, total_steps=500, max_lr=0.05, warmup_steps=40)
    assert s.milestones == [250, 320] and s.warmup_steps == 40
    lrs = _values(s, opt, 500)
    assert lrs[20] == pytest.approx(0.025) and lrs[40] == lrs[249] == pytest.approx(0.05)
    assert lrs[250] == lrs[319] == pytest.approx(0.005) and lrs[320] == lrs[499] == pytest.approx(0.0005)


def test_slr_matches_its_definition_point_by_point():
    opt = _opt()
    s = SLR(opt, total_steps=200, max_lr=0.1)
    lrs = _values(s, opt, 200)
    expected = {0: 0.0, 10: 0.05, 19: 0.095, 20: 0.1, 89: 0.1, 90: 0.01, 134: 0.01, 135: 0.001, 199: 0.001}
    for t, v in expected.items():
        assert lrs[t] == pytest.approx(v, abs=1e-12), t


def test_clr_is_one_cycle_with_the_issue_constants():
    opt = _opt()
    lrs = _values(CLR(opt, total_steps=100, max_lr=0.2), opt, 100)
    up = 9  # PyTorch: the rise ends at step pct_start * total - 1

    def cos(a: float, b: float, f: float) -> float:
        return b + (a - b) * (1 + math.cos(math.pi * f)) / 2

    for t in (0, 3, 9, 30, 54, 80, 99):
        want = cos(0.2 / 100, 0.2, t / up) if t <= up else cos(0.2, 0.2 / 100 / 100, (t - up) / (99 - up))
        assert lrs[t] == pytest.approx(want, rel=1e-9), t
    assert lrs[0] == pytest.approx(0.002) and lrs[9] == pytest.approx(0.2) and lrs[99] == pytest.approx(2e-5)
    assert opt.param_groups[0]["momentum"] == 0  # the momentum is not cycled


def test_constant_fine_tuning_and_lr_rewinding_replay_the_dense_cycle():
    opt = _opt()
    assert _values(ConstantLR(opt, 0.003), opt, 7) == [0.003] * 7
    sched = Schedule("lr_rewinding", max_lr=0.06, dense_max_lr=0.06, shape="steps", warmup_steps=4)
    dense, later = _opt(), _opt()
    a = _values(sched.build(dense, 50, 0, [0.0]), dense, 50)
    b = _values(sched.build(later, 50, 6, [0.0, 0.2, 0.36, 0.49, 0.59, 0.67, 0.74]), later, 50)
    assert a == b and a[4] == pytest.approx(0.06) and a[25] == pytest.approx(0.006)


def test_schedule_factory_builds_the_new_kinds():
    h = [0.0, 0.2, 0.5, 0.9]
    s = Schedule("silo", eta0=0.03, alpha=0.04, shape="steps", warmup_steps=5).build(_opt(), 50, 3, h)
    assert isinstance(s, SiloStepLR) and s.max_lr == pytest.approx(silo_max_lr(0.5))  # lag 1
    assert isinstance(Schedule("slr", max_lr=0.1).build(_opt(), 40, 2, h), SLR)
    c = Schedule("clr", max_lr=0.1).build(_opt(), 40, 2, h)
    assert isinstance(c, CLR) and isinstance(c, LRScheduler)
    w = Schedule("silo", shape="steps").build(_opt(), 100, 1, h)  # no warmup_steps: 10% of the cycle
    assert w.warmup_steps == 10
    with pytest.raises(ValueError, match="shape"):
        Schedule("silo", shape="cosine")


def test_warmup_step_validation():
    with pytest.raises(ValueError, match="increase"):
        WarmupStepLR(_opt(), 0.1, 2, [5, 3])
    with pytest.raises(ValueError, match="warmup"):
        WarmupStepLR(_opt(), 0.1, -1, [5])
