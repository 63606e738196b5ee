"""DropNet and SILO for any PyTorch model (depends on torch and numpy only).

- :mod:`pruning.groups`: find (``discover_units``) or declare (``declare_units``) prunable units,
  coupled through residual additions into :class:`UnitGroup` s.
- :mod:`pruning.scores` / :mod:`pruning.selection`: DropNet's mean post-activation (and APoZ,
  magnitude, random baselines); remove the lowest fraction globally or per layer.
- :mod:`pruning.masks` / :mod:`pruning.surgery`: apply a decision by exact masks or by shrinking
  Conv2d/Linear/BatchNorm layers.
- :mod:`pruning.schedules`: SILO and baseline LR schedulers (``torch.optim.lr_scheduler``).
- :mod:`pruning.driver`: the checkpointed, resumable train/score/prune/rewind loop.
- :mod:`pruning.oracle`, :mod:`pruning.metrics`, :mod:`pruning.report`: greedy and max-LR
  oracles, parameter/MAC/latency counts, CSV and plots.
"""

from pruning.declare import declare_units
from pruning.driver import CycleInfo, IterativePruner, PruneConfig, PruneResult, PruningRunError
from pruning.groups import Point, PruningGraphError, UnitGroup, discover_units
from pruning.masks import Masker, count_alive, full_alive
from pruning.metrics import count_macs, count_params, cpu_latency_ms
from pruning.oracle import MaxLrOracle, greedy_oracle
from pruning.schedules import (
    SILO_PRESETS,
    ConstantLR,
    OneCycleCosineLR,
    Schedule,
    SiloLR,
    WarmupDecayLR,
    silo_max_lr,
)
from pruning.scores import CRITERIA, score_units
from pruning.selection import select_removal
from pruning.surgery import rebuild_optimizer, shrink

__all__ = [
    "CRITERIA",
    "SILO_PRESETS",
    "ConstantLR",
    "CycleInfo",
    "IterativePruner",
    "Masker",
    "MaxLrOracle",
    "OneCycleCosineLR",
    "Point",
    "PruneConfig",
    "PruneResult",
    "PruningGraphError",
    "PruningRunError",
    "Schedule",
    "SiloLR",
    "UnitGroup",
    "WarmupDecayLR",
    "count_alive",
    "count_macs",
    "count_params",
    "cpu_latency_ms",
    "declare_units",
    "discover_units",
    "full_alive",
    "greedy_oracle",
    "rebuild_optimizer",
    "score_units",
    "select_removal",
    "shrink",
    "silo_max_lr",
]
