"""Unstructured pruning: 0/1 masks on individual weights, selected globally or per layer.

A mask is a bool tensor of a weight's shape (``True`` = kept). :class:`WeightMasker` keeps the
removed entries exactly zero while the user trains with any optimizer: a gradient hook zeroes their
gradients (so plain SGD, momentum, weight decay and Adam leave a zero weight at zero), a forward
pre-hook re-zeroes any entry that something else made non-zero before the layer runs, and
:meth:`WeightMasker.apply` zeroes them in place (the driver calls it after every training, before
evaluating and saving). Sparsity is the fraction of the prunable weights removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import nn

__all__ = [
    "PRUNABLE_TYPES",
    "WeightMasker",
    "WeightMasks",
    "count_kept",
    "full_masks",
    "prunable_weights",
    "select_weights",
    "weight_sparsity",
]

WeightMasks = dict[str, torch.Tensor]
# Layers whose ``weight`` is pruned by default (biases and normalisation parameters are not).
PRUNABLE_TYPES = (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)
SCOPES = ("global", "layer")


def prunable_weights(model: nn.Module, modules: Sequence[str] | None = None) -> dict[str, nn.Parameter]:
    """``{"<module>.weight": parameter}`` of the layers to prune, in registration order.

    Args:
        model: the network.
        modules: names of the layers to prune (each must have a ``weight``); ``None`` = every
            Linear and Conv1d/2d/3d layer.
    """
    named = dict(model.named_modules())
    if modules is None:
        names = [n for n, m in named.items() if isinstance(m, PRUNABLE_TYPES)]
    else:
        names = list(modules)
        for n in names:
            if n not in named or not isinstance(getattr(named[n], "weight", None), nn.Parameter):
                raise ValueError(f"{n!r} is not a submodule with a weight parameter")
    return {f"{n}.weight" if n else "weight": named[n].weight for n in names}


def full_masks(weights: Mapping[str, torch.Tensor]) -> WeightMasks:
    """Every weight kept."""
    return {k: torch.ones(tuple(w.shape), dtype=torch.bool) for k, w in weights.items()}


def count_kept(masks: Mapping[str, torch.Tensor]) -> int:
    return int(sum(int(m.sum()) for m in masks.values()))


def weight_sparsity(masks: Mapping[str, torch.Tensor]) -> float:
    """Fraction of the prunable weights removed."""
    total = sum(m.numel() for m in masks.values())
    return 1.0 - count_kept(masks) / total if total else 0.0


def _count(fraction: float, n: int) -> int:
    return min(n, max(1, int(np.floor(fraction * n + 1e-9)))) if n else 0


def select_weights(
    scores: Mapping[str, torch.Tensor],
    masks: Mapping[str, torch.Tensor],
    fraction: float = 0.2,
    scope: str = "global",
    seed: int = 0,
    min_kept: int = 1,
) -> WeightMasks:
    """New masks after removing the lowest-scoring ``fraction`` of the weights still kept.

    Args:
        scores: ``{name: tensor of the weight's shape}``; lower = removed first.
        masks: the current masks (``True`` = kept); removed entries stay removed.
        fraction: share of the *remaining* weights to remove (``floor``, at least one).
        scope: ``"global"`` ranks all layers' weights together; ``"layer"`` removes the fraction
            within each layer.
        seed: equal scores are ordered by a random key drawn from it.
        min_kept: no layer keeps fewer weights than this.
    """
    if scope not in SCOPES:
        raise ValueError(f"scope must be one of {SCOPES}, got {scope!r}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    names = list(masks)
    for n in names:
        if tuple(scores[n].shape) != tuple(masks[n].shape):
            raise ValueError(f"scores for {n} have shape {tuple(scores[n].shape)}, mask {tuple(masks[n].shape)}")
    new = {n: masks[n].clone().to(torch.bool) for n in names}
    alive_idx = {n: torch.nonzero(new[n].flatten()).flatten().numpy() for n in names}
    alive_val = {n: scores[n].detach().flatten().double().cpu().numpy()[alive_idx[n]] for n in names}

    def order(ns: list[str]) -> tuple[np.ndarray, np.ndarray]:
        vals = np.concatenate([alive_val[n] for n in ns]) if ns else np.zeros(0)
        which = np.concatenate([np.full(len(alive_idx[n]), i) for i, n in enumerate(ns)]) if ns else np.zeros(0)
        idx = np.concatenate([alive_idx[n] for n in ns]) if ns else np.zeros(0)
        o = np.lexsort((rng.random(len(vals)), vals))
        return which[o].astype(np.int64), idx[o].astype(np.int64)

    if scope == "global":
        total = sum(len(alive_idx[n]) for n in names)
        budget = _count(fraction, total)
        which, idx = order(names)
        left = [len(alive_idx[n]) for n in names]
        for w, i in zip(which.tolist(), idx.tolist(), strict=True):
            if budget == 0:
                break
            if left[w] > min_kept:
                new[names[w]].view(-1)[i] = False
                left[w] -= 1
                budget -= 1
    else:
        for n in names:
            k = min(_count(fraction, len(alive_idx[n])), len(alive_idx[n]) - min_kept)
            if k <= 0:
                continue
            _, idx = order([n])
            new[n].view(-1)[torch.from_numpy(idx[:k])] = False
    return new


class WeightMasker:
    """Keep the removed weights of ``model`` exactly zero (``update`` changes masks, ``remove`` undoes).

    Args:
        model: the network.
        masks: ``{"<module>.weight": bool mask}`` (see :func:`prunable_weights`).
    """

    def __init__(self, model: nn.Module, masks: Mapping[str, torch.Tensor]) -> None:
        self.model = model
        params = dict(model.named_parameters())
        modules = dict(model.named_modules())
        self.masks: WeightMasks = {}
        self._float: dict[str, torch.Tensor] = {}
        self._handles = []
        for name, m in masks.items():
            if name not in params:
                raise KeyError(f"no parameter named {name!r}")
            p = params[name]
            if tuple(m.shape) != tuple(p.shape):
                raise ValueError(f"mask for {name} has shape {tuple(m.shape)}, weight {tuple(p.shape)}")
            self.masks[name] = m.clone().to(torch.bool)
            self._float[name] = self.masks[name].to(device=p.device, dtype=p.dtype)
            self._handles.append(p.register_hook(self._grad_hook(name)))
            mod_name, _, attr = name.rpartition(".")
            self._handles.append(modules[mod_name].register_forward_pre_hook(self._pre_hook(name, attr)))
        self.apply()

    def _grad_hook(self, name: str):
        def fn(grad: torch.Tensor) -> torch.Tensor:
            return grad * self._float[name].to(device=grad.device, dtype=grad.dtype)

        return fn

    def _pre_hook(self, name: str, attr: str):
        def fn(module: nn.Module, _inputs) -> None:
            w = getattr(module, attr)
            keep = self._float[name]
            if keep.device != w.device or keep.dtype != w.dtype:
                keep = self._float[name] = keep.to(device=w.device, dtype=w.dtype)
            with torch.no_grad():
                if bool((w * (1 - keep)).any()):  # only touch the tensor when an entry came back
                    w.mul_(keep)

        return fn

    @torch.no_grad()
    def apply(self) -> None:
        """Zero every removed weight in place."""
        params = dict(self.model.named_parameters())
        for name, keep in self.masks.items():
            p = params[name]
            p.mul_(keep.to(device=p.device, dtype=p.dtype))

    def update(self, masks: Mapping[str, torch.Tensor]) -> None:
        """Install new masks (same names and shapes) and zero the newly removed weights."""
        for name, m in masks.items():
            if name not in self.masks or tuple(m.shape) != tuple(self.masks[name].shape):
                raise ValueError(f"mask for {name} does not match the masked weights")
            self.masks[name] = m.clone().to(torch.bool)
            self._float[name] = self.masks[name].to(device=self._float[name].device, dtype=self._float[name].dtype)
        self.apply()

    def remove(self) -> None:
        """Detach the hooks (the weights keep their current values)."""
        for h in self._handles:
            h.remove()
        self._handles = []
