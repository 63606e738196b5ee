"""Reference oracles: greedy unit removal and a per-cycle grid search of the peak learning rate.

Both are expensive (they re-evaluate or retrain once per candidate) and meant for small networks,
to check how close DropNet's and SILO's cheap choices come to the best choice.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Sequence

import torch
from torch import nn

from pruning.groups import UnitGroup
from pruning.masks import Alive, Masker, full_alive


@torch.no_grad()
def greedy_oracle(
    model: nn.Module,
    groups: Sequence[UnitGroup],
    loss_fn: Callable[[nn.Module], float],
    n_remove: int,
    alive: Alive | None = None,
    min_units: int = 1,
) -> tuple[Alive, list[tuple[str, int, float]]]:
    """Remove ``n_remove`` units one at a time, each time the one whose removal (by mask) raises
    ``loss_fn(model)`` (e.g. the training loss) least. Returns the final masks and the removal
    order as ``(group, unit, loss after removal)``."""
    alive = {k: v.clone() for k, v in (alive or full_alive(groups)).items()}
    masker = Masker(model, groups, alive)
    order: list[tuple[str, int, float]] = []
    try:
        for _ in range(n_remove):
            best: tuple[float, str, int] | None = None
            for g in groups:
                if int(alive[g.name].sum()) <= min_units:
                    continue
                for i in torch.nonzero(alive[g.name]).flatten().tolist():
                    alive[g.name][i] = False
                    masker.update(alive)
                    loss = float(loss_fn(model))
                    alive[g.name][i] = True
                    if best is None or loss < best[0]:
                        best = (loss, g.name, i)
            if best is None:
                break
            alive[best[1]][best[2]] = False
            masker.update(alive)
            order.append((best[1], best[2], best[0]))
    finally:
        masker.remove()
    return alive, order


def best_interval(
    results: Sequence[tuple[float, float]], tolerance: float, higher_is_better: bool = True
) -> tuple[float, float, float]:
    """``(best_lr, lo, hi)``: the contiguous range of grid values around the best one whose metric
    is within ``tolerance`` of the best metric."""
    res = sorted(results)
    vals = [m if higher_is_better else -m for _, m in res]
    b = max(range(len(res)), key=lambda i: vals[i])
    lo = hi = b
    while lo > 0 and vals[lo - 1] >= vals[b] - tolerance:
        lo -= 1
    while hi < len(res) - 1 and vals[hi + 1] >= vals[b] - tolerance:
        hi += 1
    return res[b][0], res[lo][0], res[hi][0]


class MaxLrOracle:
    """Wraps a pruning ``train_fn``: before each cycle's real training it retrains copies of the
    model with every peak in ``grid`` (LR-rewinding shape, constant peak) and evaluates them, so
    the schedule's own choice (e.g. SILO's) can be compared with the best peak of that cycle.

    ``records`` gets one dict per cycle: cycle, chosen peak, grid results, best peak, interval
    and whether the chosen peak lies in it.
    """

    def __init__(
        self,
        train_fn,
        eval_fn: Callable[[nn.Module], dict],
        metric: str,
        grid: Sequence[float],
        tolerance: float,
        higher_is_better: bool = True,
    ) -> None:
        self.train_fn, self.eval_fn = train_fn, eval_fn
        self.metric, self.grid, self.tol = metric, list(grid), tolerance
        self.higher = higher_is_better
        self.records: list[dict] = []

    def __call__(self, model: nn.Module, info) -> None:
        results = []
        for lr in self.grid:
            m = copy.deepcopy(model)
            sched = dataclasses.replace(info.schedule, kind="lr_rewinding", max_lr=lr)
            state = torch.random.get_rng_state()
            self.train_fn(m, dataclasses.replace(info, schedule=sched))
            torch.random.set_rng_state(state)
            results.append((lr, float(self.eval_fn(m)[self.metric])))
        best, lo, hi = best_interval(results, self.tol, self.higher)
        chosen = info.max_lr
        self.records.append(
            {
                "cycle": info.cycle,
                "sparsity": info.sparsity,
                "history": list(info.sparsity_history),
                "chosen": chosen,
                "best": best,
                "lo": lo,
                "hi": hi,
                "inside": lo <= chosen <= hi,
                "grid": results,
            }
        )
        self.train_fn(model, info)
