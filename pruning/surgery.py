"""Physical removal: shrink Conv2d, Linear and BatchNorm layers to the kept units.

Every producer loses the removed output channels (weights and bias), every norm the matching
affine parameters and running statistics, and every consumer the matching input channels (a
block of ``repeat`` inputs per channel after a flatten). Residual groups are shrunk together, so
their additions stay shape-consistent. Parameters are new tensors afterwards: rebuild the
optimizer (:func:`rebuild_optimizer`).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pruning.groups import UnitGroup
from pruning.masks import Alive

__all__ = ["kept_indices", "rebuild_optimizer", "shrink"]


def kept_indices(alive: torch.Tensor) -> torch.Tensor:
    return torch.nonzero(alive.to(torch.bool), as_tuple=False).flatten()


def _param(t: torch.Tensor, like: nn.Parameter) -> nn.Parameter:
    return nn.Parameter(t.detach().clone().contiguous(), requires_grad=like.requires_grad)


@torch.no_grad()
def shrink(model: nn.Module, groups: Sequence[UnitGroup], alive: Alive) -> list[UnitGroup]:
    """Remove the dead units of ``groups`` from ``model`` in place; returns the resized groups.

    Raises ``ValueError`` if a group would be emptied.
    """
    modules = dict(model.named_modules())
    out_keep: dict[str, torch.Tensor] = {}
    in_keep: dict[str, torch.Tensor] = {}
    norm_keep: dict[str, torch.Tensor] = {}
    new_groups = []
    for g in groups:
        keep = kept_indices(alive[g.name])
        if keep.numel() == 0:
            raise ValueError(f"cannot remove every unit of {g.name}")
        for p in g.producers:
            out_keep[p] = keep
        for n in g.norms:
            norm_keep[n] = keep
        for c, r in g.consumers:
            in_keep[c] = (keep[:, None] * r + torch.arange(r)[None, :]).flatten()
        new_groups.append(
            UnitGroup(
                g.name,
                int(keep.numel()),
                list(g.producers),
                list(g.norms),
                list(g.activations),
                list(g.consumers),
                list(g.mask_points),
            )
        )
    for name in set(out_keep) | set(in_keep):
        mod = modules[name]
        w = mod.weight
        dev = w.device
        if name in out_keep:
            k = out_keep[name].to(dev)
            w = w.index_select(0, k)
            if mod.bias is not None:
                mod.bias = _param(mod.bias.index_select(0, k), mod.bias)
        if name in in_keep:
            w = w.index_select(1, in_keep[name].to(dev))
        mod.weight = _param(w, mod.weight)
        if isinstance(mod, nn.Conv2d):
            mod.out_channels, mod.in_channels = w.shape[0], w.shape[1] * mod.groups
        else:
            mod.out_features, mod.in_features = w.shape[0], w.shape[1]
    for name, keep in norm_keep.items():
        mod = modules[name]
        k = keep.to(mod.running_mean.device if mod.running_mean is not None else "cpu")
        if mod.affine:
            mod.weight = _param(mod.weight.index_select(0, k), mod.weight)
            mod.bias = _param(mod.bias.index_select(0, k), mod.bias)
        if mod.running_mean is not None:
            mod.running_mean = mod.running_mean.index_select(0, k).clone()
            mod.running_var = mod.running_var.index_select(0, k).clone()
        mod.num_features = int(k.numel())
    return new_groups


def rebuild_optimizer(optimizer: torch.optim.Optimizer, model: nn.Module) -> torch.optim.Optimizer:
    """A fresh optimizer of the same class and hyper-parameters over ``model``'s new parameters."""
    return type(optimizer)(model.parameters(), **optimizer.defaults)
