"""Learning-rate schedules for the retraining cycles: SILO and its baselines.

All schedulers subclass :class:`torch.optim.lr_scheduler.LRScheduler` and are stepped once per
optimisation step; they overwrite the optimizer's learning rate at construction and on each
``step()``, so the scheduler is the one object that owns the learning rate.

SILO (Liu, Ghosh, Tan & Motani, TMLR 2023) raises the peak of a warmup-then-decay cycle as the
network gets sparser: ``max_lr(x) = eta0 + alpha * x**beta / (x**beta + (1 - x)**beta)``.
Within a cycle the authors' code restarts the learning rate at 0, warms it up linearly over a fixed
number of iterations and then steps it down twice (:class:`SiloStepLR`); :class:`WarmupDecayLR`
is this library's earlier linear warmup-then-decay cycle. Baselines: LR rewinding (Renda et al.
2020: replay the dense cycle's schedule), :class:`SLR` (Le & Hua 2021), :class:`CLR` (one-cycle)
and :class:`ConstantLR` (fine-tuning).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch.optim.lr_scheduler import LRScheduler

from pruning.step_lr import CLR, SLR, SiloStepLR, WarmupStepLR

# (eta0, alpha, beta) from the authors' released code.
SILO_PRESETS: dict[str, tuple[float, float, float]] = {
    "resnet20": (0.03, 0.04, 5.0),
    "vgg19": (0.04, 0.06, 5.0),
}
__all__ = [
    "CLR",
    "KINDS",
    "SILO_PRESETS",
    "SLR",
    "ConstantLR",
    "OneCycleCosineLR",
    "Schedule",
    "SiloLR",
    "SiloStepLR",
    "WarmupDecayLR",
    "WarmupStepLR",
    "silo_max_lr",
]
KINDS = ("silo", "lr_rewinding", "fine_tune", "one_cycle", "slr", "clr")
SHAPES = ("linear", "steps")


def silo_max_lr(x: float, eta0: float = 0.03, alpha: float = 0.04, beta: float = 5.0) -> float:
    """SILO's peak learning rate at sparsity ``x`` (fraction removed, in [0, 1])."""
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {x}")
    xb, yb = x**beta, (1.0 - x) ** beta
    return eta0 + alpha * xb / (xb + yb)


class WarmupDecayLR(LRScheduler):
    """Linear warmup to ``max_lr`` over ``warmup`` of ``total_steps``, then linear decay to ``final_lr``."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        max_lr: float,
        warmup: float = 0.1,
        final_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if total_steps < 1:
            raise ValueError("total_steps must be >= 1")
        self.total_steps = int(total_steps)
        self.max_lr = float(max_lr)
        self.warmup_steps = max(1, round(warmup * total_steps))
        self.final_lr = float(final_lr)
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        w, n = self.warmup_steps, self.total_steps
        if t < w:
            return self.max_lr * (t + 1) / w
        frac = min(1.0, (t - w + 1) / (n - w + 1))  # reaches final_lr just after the last step
        return self.max_lr + (self.final_lr - self.max_lr) * frac

    def get_lr(self) -> list[float]:
        lr = self.lr_at(self.last_epoch)
        return [lr for _ in self.optimizer.param_groups]


class SiloLR(WarmupDecayLR):
    """The warmup-then-decay cycle whose peak is :func:`silo_max_lr` of the sparsity ``x``."""

    def __init__(
        self,
        optimizer,
        total_steps: int,
        sparsity: float,
        eta0: float = 0.03,
        alpha: float = 0.04,
        beta: float = 5.0,
        warmup: float = 0.1,
        final_lr: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        self.sparsity = float(sparsity)
        super().__init__(optimizer, total_steps, silo_max_lr(sparsity, eta0, alpha, beta), warmup, final_lr, last_epoch)


class ConstantLR(LRScheduler):
    """Fine-tuning: a small constant learning rate for the whole cycle.

    Args:
        optimizer: the wrapped optimizer (its learning rate is overwritten).
        lr: the constant learning rate.
        last_epoch: the index of the last step.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> s = ConstantLR(opt, 1e-3)
        >>> opt.param_groups[0]["lr"]
        0.001
    """

    def __init__(self, optimizer, lr: float, last_epoch: int = -1) -> None:
        self.lr = float(lr)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [self.lr for _ in self.optimizer.param_groups]


class OneCycleCosineLR(LRScheduler):
    """One-cycle: cosine rise from ``max_lr/div`` to ``max_lr`` then cosine fall to ``max_lr/final_div``."""

    def __init__(
        self,
        optimizer,
        total_steps: int,
        max_lr: float,
        pct_start: float = 0.3,
        div: float = 25.0,
        final_div: float = 1e4,
        last_epoch: int = -1,
    ) -> None:
        self.total_steps = int(total_steps)
        self.max_lr = float(max_lr)
        self.up = max(1, round(pct_start * total_steps))
        self.start_lr = max_lr / div
        self.end_lr = max_lr / final_div
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        t = self.last_epoch
        if t < self.up:
            a, b, f = self.start_lr, self.max_lr, t / self.up
        else:
            a, b = self.max_lr, self.end_lr
            f = min(1.0, (t - self.up) / max(1, self.total_steps - self.up))
        lr = b + (a - b) * (1 + math.cos(math.pi * f)) / 2
        return [lr for _ in self.optimizer.param_groups]


@dataclass(frozen=True)
class Schedule:
    """How each retraining cycle's learning rate is chosen (a factory for the schedulers above).

    ``kind``: ``silo`` (peak from the sparsity, fed with ``lag`` cycles of delay),
    ``lr_rewinding`` (the same cycle shape with the constant peak ``max_lr``: set it to the dense
    cycle's peak to replay the original schedule), ``fine_tune`` (constant ``fine_tune_lr``),
    ``one_cycle`` (cosine one-cycle with peak ``max_lr``, 30% rise), ``slr`` (:class:`SLR`) or
    ``clr`` (:class:`CLR`), both with peak ``max_lr``.
    ``shape`` is the cycle of ``silo`` and ``lr_rewinding`` (and of the dense cycle 0 when
    ``dense_max_lr`` is set): ``linear`` (:class:`WarmupDecayLR`, warmup ``warmup`` of the cycle)
    or ``steps`` (:class:`SiloStepLR`: ``warmup_steps`` iterations, step-downs at
    ``step_fractions``). ``dense_max_lr``, when set, gives cycle 0 (the unpruned network's own
    training) that peak for every kind, so methods share the dense start.
    """

    kind: str = "silo"
    max_lr: float = 0.05
    eta0: float = 0.03
    alpha: float = 0.04
    beta: float = 5.0
    lag: int = 1
    warmup: float = 0.1
    final_lr: float = 0.0
    fine_tune_lr: float = 1e-3
    dense_max_lr: float | None = None
    shape: str = "linear"
    warmup_steps: int | None = None
    step_fractions: tuple[float, float] = (0.5, 0.64)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown schedule {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.shape not in SHAPES:
            raise ValueError(f"unknown cycle shape {self.shape!r}; choose one of {', '.join(SHAPES)}")
        if self.lag < 0:
            raise ValueError("lag must be >= 0")

    @classmethod
    def silo_preset(cls, name: str, **kw) -> Schedule:
        eta0, alpha, beta = SILO_PRESETS[name]
        return cls(kind="silo", eta0=eta0, alpha=alpha, beta=beta, **kw)

    def sparsity_for(self, cycle: int, history: Sequence[float]) -> float:
        """The sparsity SILO sees at ``cycle``: ``history[cycle - lag]`` (0 before the first)."""
        i = min(cycle - self.lag, len(history) - 1)
        return float(history[i]) if i >= 0 else 0.0

    def peak(self, cycle: int, history: Sequence[float]) -> float:
        if cycle == 0 and self.dense_max_lr is not None:
            return self.dense_max_lr
        if self.kind == "silo":
            return silo_max_lr(self.sparsity_for(cycle, history), self.eta0, self.alpha, self.beta)
        return self.fine_tune_lr if self.kind == "fine_tune" else self.max_lr

    def cycle_scheduler(self, optimizer, total_steps: int, peak: float) -> LRScheduler:
        """This schedule's cycle shape (``shape``) with the given peak: the dense cycle, LR rewinding,
        SILO's cycle at any peak (a max-LR oracle retrains with it)."""
        if self.shape == "steps":
            w = self.warmup_steps if self.warmup_steps is not None else round(self.warmup * total_steps)
            return SiloStepLR(optimizer, total_steps, peak, w, self.step_fractions)
        return WarmupDecayLR(optimizer, total_steps, peak, self.warmup, self.final_lr)

    def build(self, optimizer, total_steps: int, cycle: int, history: Sequence[float]) -> LRScheduler:
        """The scheduler for retraining cycle ``cycle`` given the sparsity at the start of each cycle."""
        if cycle == 0 and self.dense_max_lr is not None:
            return self.cycle_scheduler(optimizer, total_steps, self.dense_max_lr)
        if self.kind == "fine_tune":
            return ConstantLR(optimizer, self.fine_tune_lr)
        if self.kind == "one_cycle":
            return OneCycleCosineLR(optimizer, total_steps, self.max_lr)
        if self.kind == "slr":
            return SLR(optimizer, total_steps, self.max_lr)
        if self.kind == "clr":
            return CLR(optimizer, total_steps, self.max_lr)
        if self.shape == "steps":
            return self.cycle_scheduler(optimizer, total_steps, self.peak(cycle, history))
        if self.kind == "silo":
            return SiloLR(
                optimizer,
                total_steps,
                self.sparsity_for(cycle, history),
                self.eta0,
                self.alpha,
                self.beta,
                self.warmup,
                self.final_lr,
            )
        return WarmupDecayLR(optimizer, total_steps, self.max_lr, self.warmup, self.final_lr)

    def to_dict(self) -> dict:
        return asdict(self)
