"""DropNet and SILO for any PyTorch model (depends on torch and numpy only).

- :mod:`pruning.groups`: find (``discover_units``) or declare (``declare_units``) prunable units,
  coupled through residual additions into :class:`UnitGroup` s.
- :mod:`pruning.scores` / :mod:`pruning.selection`: DropNet's mean post-activation (and APoZ,
  magnitude, random baselines); remove the lowest fraction globally or per layer.
- :mod:`pruning.masks` / :mod:`pruning.surgery`: apply a decision by exact masks or by shrinking
  Conv2d/Linear/BatchNorm layers.
- :mod:`pruning.criteria`: criteria as pluggable objects (the strings are shorthands).
- :mod:`pruning.weights`: unstructured pruning: exact-zero masks on single weights, global or per layer.
- :mod:`pruning.schedules`: SILO and baseline LR schedulers (``torch.optim.lr_scheduler``).
- :mod:`pruning.driver`: the checkpointed, resumable train/score/prune/rewind loop.
- :mod:`pruning.oracle`, :mod:`pruning.metrics`, :mod:`pruning.report`: greedy and max-LR
  oracles, parameter/MAC/latency counts, CSV and plots.
"""

from pruning.criteria import (
    APoZ,
    Criterion,
    MeanActivation,
    Negated,
    RandomUnits,
    RandomWeights,
    UnitMagnitude,
    WeightMagnitude,
    resolve_criterion,
)
from pruning.declare import declare_units
from pruning.driver import CycleInfo, IterativePruner, PruneConfig, PruneResult, PruningRunError
from pruning.groups import Point, PruningGraphError, UnitGroup, discover_units
from pruning.masks import Masker, count_alive, full_alive
from pruning.metrics import count_macs, count_params, cpu_latency_ms
from pruning.oracle import MaxLrOracle, greedy_oracle
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
from pruning.scores import CRITERIA, score_units
from pruning.selection import select_removal
from pruning.surgery import rebuild_optimizer, shrink
from pruning.weights import WeightMasker, full_masks, prunable_weights, select_weights, weight_sparsity

__all__ = [
    "CLR",
    "CRITERIA",
    "SILO_PRESETS",
    "SLR",
    "APoZ",
    "ConstantLR",
    "Criterion",
    "CycleInfo",
    "IterativePruner",
    "Masker",
    "MaxLrOracle",
    "MeanActivation",
    "Negated",
    "OneCycleCosineLR",
    "Point",
    "PruneConfig",
    "PruneResult",
    "PruningGraphError",
    "PruningRunError",
    "RandomUnits",
    "RandomWeights",
    "Schedule",
    "SiloLR",
    "SiloStepLR",
    "UnitGroup",
    "UnitMagnitude",
    "WarmupDecayLR",
    "WarmupStepLR",
    "WeightMagnitude",
    "WeightMasker",
    "count_alive",
    "count_macs",
    "count_params",
    "cpu_latency_ms",
    "declare_units",
    "discover_units",
    "full_alive",
    "full_masks",
    "greedy_oracle",
    "prunable_weights",
    "rebuild_optimizer",
    "resolve_criterion",
    "score_units",
    "select_removal",
    "select_weights",
    "shrink",
    "silo_max_lr",
    "weight_sparsity",
]
