"""Warmup-then-step learning-rate cycles (SILO's within-cycle shape, SLR) and CLR (one-cycle).

Each is a :class:`torch.optim.lr_scheduler.LRScheduler` stepped once per optimisation step; the
step counts of a cycle are exact integers, so a test can check every value against the definition.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch.optim.lr_scheduler import LRScheduler, OneCycleLR

__all__ = ["CLR", "SLR", "SiloStepLR", "WarmupStepLR"]


class WarmupStepLR(LRScheduler):
    """Restart at 0, warm up linearly to ``max_lr``, then multiply by ``gamma`` at each milestone.

    At optimisation step ``t`` (0-based) the learning rate is ``max_lr * t / warmup_steps`` while
    ``t < warmup_steps`` and ``max_lr * gamma**k`` afterwards, ``k`` being the number of
    milestones ``<= t``.

    Args:
        optimizer: the wrapped optimizer (its learning rate is overwritten).
        max_lr: the peak learning rate.
        warmup_steps: iterations of the linear warmup from 0 (0 = start at ``max_lr``).
        milestones: steps at which the rate is multiplied by ``gamma`` (increasing).
        gamma: the factor at each milestone.
        last_epoch: the index of the last step (-1 = a new schedule).

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> s = WarmupStepLR(opt, max_lr=0.1, warmup_steps=2, milestones=[4, 6])
        >>> lrs = []
        >>> for _ in range(8):
        ...     lrs.append(round(opt.param_groups[0]["lr"], 6))
        ...     opt.step()
        ...     s.step()
        >>> lrs
        [0.0, 0.05, 0.1, 0.1, 0.01, 0.01, 0.001, 0.001]
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        max_lr: float,
        warmup_steps: int,
        milestones: Sequence[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        if warmup_steps < 0:
            raise ValueError("warmup_steps must be >= 0")
        ms = [int(m) for m in milestones]
        if any(b < a for a, b in itertools.pairwise(ms)):
            raise ValueError(f"milestones must increase, got {ms}")
        self.max_lr, self.warmup_steps, self.milestones, self.gamma = float(max_lr), int(warmup_steps), ms, gamma
        super().__init__(optimizer, last_epoch)

    def lr_at(self, t: int) -> float:
        if t < self.warmup_steps:
            return self.max_lr * t / self.warmup_steps
        return self.max_lr * self.gamma ** sum(1 for m in self.milestones if m <= t)

    def get_lr(self) -> list[float]:
        lr = self.lr_at(self.last_epoch)
        return [lr for _ in self.optimizer.param_groups]


class SiloStepLR(WarmupStepLR):
    """SILO's within-cycle shape from the authors' code: restart at 0, linear warmup to ``max_lr``
    over a fixed ``warmup_steps``, then ``max_lr/10`` and ``max_lr/100``.

    The step-downs come at ``step_fractions`` of the cycle's ``total_steps``; the default
    ``(0.5, 0.64)`` is the authors' ResNet-20 cycle (50 epochs, steps at epochs 25 and 32).

    Args:
        optimizer: the wrapped optimizer.
        total_steps: optimisation steps in the cycle.
        max_lr: the cycle's peak (SILO: :func:`silo_max_lr` of the sparsity; see :class:`Schedule`).
        warmup_steps: iterations of the warmup (a fixed count, not a fraction of the cycle).
        step_fractions: where the two step-downs come, as fractions of ``total_steps`` (rounded).
        last_epoch: the index of the last step.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> s = SiloStepLR(opt, total_steps=50, max_lr=0.07, warmup_steps=5)  # 50 epochs of 1 step
        >>> s.milestones
        [25, 32]
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        max_lr: float,
        warmup_steps: int,
        step_fractions: tuple[float, float] = (0.5, 0.64),
        last_epoch: int = -1,
    ) -> None:
        if total_steps < 1:
            raise ValueError("total_steps must be >= 1")
        self.total_steps = int(total_steps)
        ms = [round(f * total_steps) for f in step_fractions]
        super().__init__(optimizer, max_lr, min(int(warmup_steps), ms[0]), ms, 0.1, last_epoch)


class SLR(WarmupStepLR):
    """SLR (Le & Hua 2021): linear warmup from 0 over 10% of the cycle, then x0.1 at 45% and at 67.5%.

    Args:
        optimizer: the wrapped optimizer.
        total_steps: optimisation steps in the cycle.
        max_lr: the peak learning rate.
        warmup: fraction of the cycle spent warming up.
        step_fractions: where the rate is multiplied by 0.1, as fractions of ``total_steps`` (rounded).
        last_epoch: the index of the last step.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> s = SLR(opt, total_steps=200, max_lr=0.1)
        >>> s.warmup_steps, s.milestones
        (20, [90, 135])
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        max_lr: float,
        warmup: float = 0.1,
        step_fractions: tuple[float, float] = (0.45, 0.675),
        last_epoch: int = -1,
    ) -> None:
        if total_steps < 1:
            raise ValueError("total_steps must be >= 1")
        self.total_steps = int(total_steps)
        ms = [round(f * total_steps) for f in step_fractions]
        super().__init__(optimizer, max_lr, round(warmup * total_steps), ms, 0.1, last_epoch)


class CLR(OneCycleLR):
    """CLR: PyTorch's one-cycle schedule with ``pct_start=0.1``, ``div_factor=100`` and
    ``final_div_factor=100`` (cosine; starts at ``max_lr/100``, ends at ``max_lr/1e4``).

    The momentum is not cycled (``cycle_momentum=False``), so every schedule compared with it
    trains with the optimizer's own momentum.

    Args:
        optimizer: the wrapped optimizer.
        total_steps: optimisation steps in the cycle (stepping past it raises, as in PyTorch).
        max_lr: the peak learning rate.
        pct_start, div_factor, final_div_factor: as in :class:`torch.optim.lr_scheduler.OneCycleLR`.
        last_epoch: the index of the last step.

    Example:
        >>> opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
        >>> s = CLR(opt, total_steps=100, max_lr=0.1)
        >>> round(opt.param_groups[0]["lr"], 6)
        0.001
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        total_steps: int,
        max_lr: float,
        pct_start: float = 0.1,
        div_factor: float = 100.0,
        final_div_factor: float = 100.0,
        last_epoch: int = -1,
    ) -> None:
        self.max_lr = float(max_lr)
        super().__init__(
            optimizer,
            max_lr=max_lr,
            total_steps=int(total_steps),
            pct_start=pct_start,
            anneal_strategy="cos",
            cycle_momentum=False,
            div_factor=div_factor,
            final_div_factor=final_div_factor,
            last_epoch=last_epoch,
        )
