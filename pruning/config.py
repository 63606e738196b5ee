"""What a pruning run is told (:class:`PruneConfig`), hands to ``train_fn`` (:class:`CycleInfo`)
and returns (:class:`PruneResult`); used by :class:`pruning.driver.IterativePruner`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn

from pruning.criteria import Criterion, resolve_criterion
from pruning.groups import UnitGroup
from pruning.masks import Alive
from pruning.schedules import Schedule
from pruning.weights import SCOPES, WeightMasks

__all__ = ["APPLY", "GRANULARITIES", "REWINDS", "CycleInfo", "PruneConfig", "PruneResult", "PruningRunError"]

REWINDS = ("init", "early", "reinit", "continue")
APPLY = ("mask", "shrink")
GRANULARITIES = ("units", "weights")


class PruningRunError(RuntimeError):
    """A pruning run that cannot start or resume (wrong checkpoint folder, missing snapshot)."""


@dataclass(frozen=True)
class PruneConfig:
    """What to prune, how much per cycle, and when to stop.

    Args:
        criterion: a shorthand (units: ``dropnet``, ``apoz``, ``magnitude``, ``random``; weights:
            ``magnitude``, ``random``) or a :class:`pruning.criteria.Criterion` object.
        granularity: ``units`` (structured) or ``weights`` (unstructured masks on single weights).
        fraction: share of the remaining units / weights removed per cycle.
        mode: unit selection, ``minimum`` (global) or ``minimum_layer``.
        scope: weight selection, ``global`` or ``layer``.
        weight_modules: the layers whose weights are pruned (default: every Linear and Conv).
        apply: units only: ``mask`` or ``shrink`` (weights are always masked).
        rewind: ``init``, ``early`` (after ``rewind_epoch`` epochs of cycle 0), ``reinit`` or ``continue``.
        cycles, target_units, target_params, target_macs, target_weights, target_groups, metric,
        metric_tolerance, higher_is_better: stop conditions (see the module docstring).
        sparsity_measure: units only: ``params`` or ``units`` (weights: fraction of prunable weights removed).
    """

    criterion: str | Criterion = "dropnet"
    fraction: float = 0.2
    mode: str = "minimum"
    min_units: int = 1
    apply: str = "mask"
    rewind: str = "init"
    rewind_epoch: int = 1
    cycles: int = 10
    target_units: float | None = None
    target_params: float | None = None
    target_macs: float | None = None
    target_groups: tuple[tuple[str, float], ...] | None = None  # never pruned below ceil(t*size)
    metric: str | None = None
    metric_tolerance: float | None = None
    higher_is_better: bool = True
    sparsity_measure: str = "params"
    seed: int = 0
    latency: bool = True
    score_batches: int | None = None
    granularity: str = "units"
    scope: str = "global"
    weight_modules: tuple[str, ...] | None = None
    target_weights: float | None = None

    def __post_init__(self) -> None:
        if self.granularity not in GRANULARITIES:
            raise ValueError(f"granularity must be one of {GRANULARITIES}, got {self.granularity!r}")
        if self.scope not in SCOPES:
            raise ValueError(f"scope must be one of {SCOPES}, got {self.scope!r}")
        if self.granularity == "weights" and self.apply != "mask":
            raise ValueError("weights are pruned by masks: use apply='mask' with granularity='weights'")
        resolve_criterion(self.criterion, self.granularity)  # fail early on an unknown criterion
        if self.apply not in APPLY:
            raise ValueError(f"apply must be one of {APPLY}, got {self.apply!r}")
        if self.rewind not in REWINDS:
            raise ValueError(f"rewind must be one of {REWINDS}, got {self.rewind!r}")
        if (self.metric is None) != (self.metric_tolerance is None):
            raise ValueError("metric and metric_tolerance go together")
        if self.sparsity_measure not in ("params", "units"):
            raise ValueError("sparsity_measure must be 'params' or 'units'")


@dataclass
class CycleInfo:
    """Handed to ``train_fn`` each cycle."""

    cycle: int
    sparsity_history: list[float]
    schedule: Schedule | None
    _on_epoch: Callable[[nn.Module, int], None] = field(repr=False, default=lambda m, e: None)
    alive: Alive | None = None  # units kept at this cycle (a copy), for unit pruning
    weight_masks: WeightMasks | None = None  # weights kept at this cycle (a copy), for weight pruning

    @property
    def sparsity(self) -> float:
        return self.sparsity_history[-1]

    @property
    def max_lr(self) -> float | None:
        return None if self.schedule is None else self.schedule.peak(self.cycle, self.sparsity_history)

    def scheduler(self, optimizer: torch.optim.Optimizer, total_steps: int):
        """This cycle's LR scheduler (step it once per optimisation step)."""
        if self.schedule is None:
            raise ValueError("no Schedule was given to the pruner")
        return self.schedule.build(optimizer, total_steps, self.cycle, self.sparsity_history)

    def epoch_end(self, model: nn.Module, epoch: int) -> None:
        """Call after each epoch (1-based) so rewind='early' can snapshot cycle 0's weights."""
        self._on_epoch(model, epoch)


@dataclass
class PruneResult:
    """The pruned model (with ``apply="mask"`` it is full size and still carries the mask hooks;
    with ``"shrink"`` it is physically smaller), its groups, kept units, the report rows and, for
    weight pruning, the kept weights (the model carries a :class:`~pruning.weights.WeightMasker`)."""

    model: nn.Module
    groups: list[UnitGroup]
    alive: Alive
    rows: list[dict]
    stop_reason: str
    weight_masks: WeightMasks = field(default_factory=dict)  # unstructured runs: the kept weights
