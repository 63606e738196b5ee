"""Reversible pruning: multiply every point of a unit group by a 0/1 channel mask.

The mask is applied at each producer, norm and activation output of the group, so a removed
unit is an exact zero everywhere its channel is visible (after the activation included) and the
masked model computes exactly what the physically shrunk model computes.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pruning.groups import Point, UnitGroup
from pruning.points import PointHooks

Alive = dict[str, torch.Tensor]


def full_alive(groups: Sequence[UnitGroup]) -> Alive:
    """Every unit of every group kept."""
    return {g.name: torch.ones(g.size, dtype=torch.bool) for g in groups}


def count_alive(alive: Alive) -> int:
    return int(sum(int(a.sum()) for a in alive.values()))


def _apply(mask: torch.Tensor):
    def fn(out: torch.Tensor) -> torch.Tensor:
        m = mask.to(device=out.device, dtype=out.dtype)
        return out * m.view(1, -1, *([1] * (out.dim() - 2)))

    return fn


class Masker:
    """Forward hooks that zero the removed units; ``update`` changes masks, ``remove`` undoes."""

    def __init__(self, model: nn.Module, groups: Sequence[UnitGroup], alive: Alive) -> None:
        self.groups = list(groups)
        self.masks: dict[str, torch.Tensor] = {}
        callbacks: dict[Point, list] = {}
        for g in self.groups:
            self.masks[g.name] = torch.ones(g.size)
            for p in g.mask_points:
                callbacks.setdefault(p, []).append(_apply(self.masks[g.name]))
        self.hooks = PointHooks(model, callbacks)
        self.update(alive)

    def update(self, alive: Alive) -> None:
        for g in self.groups:
            a = alive[g.name]
            if a.numel() != g.size:
                raise ValueError(f"mask for {g.name} has {a.numel()} entries, expected {g.size}")
            self.masks[g.name].copy_(a.to(torch.float32))

    def remove(self) -> None:
        self.hooks.remove()
