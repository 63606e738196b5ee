"""Unit scores: DropNet's mean post-activation and the baselines (APoZ, weight magnitude, random).

These are the computations; :mod:`pruning.criteria` wraps them as pluggable criterion objects.
Every criterion returns ``{group name: float tensor (size,)}`` where a *lower* score means
"remove first", so :func:`pruning.selection.select_removal` works the same for all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

import torch
from torch import nn

from pruning.groups import Point, UnitGroup
from pruning.points import PointHooks

CRITERIA = ("dropnet", "apoz", "magnitude", "random")
Scores = dict[str, torch.Tensor]


def _inputs(batch):
    return batch[0] if isinstance(batch, (list, tuple)) else batch


def _per_sample_channel_mean(out: torch.Tensor) -> torch.Tensor:
    """(N, C, ...) -> (N, C): a filter's map averaged over positions."""
    return out.flatten(2).mean(2) if out.dim() > 2 else out


@torch.no_grad()
def activation_stats(
    model: nn.Module,
    groups: Sequence[UnitGroup],
    loader: Iterable,
    device: torch.device | str | None = None,
    max_batches: int | None = None,
    input_fn: Callable | None = None,
) -> tuple[Scores, Scores]:
    """Mean post-activation and fraction of non-positive post-activations per unit.

    The model runs in eval mode over the whole loader (or ``max_batches``); each unit's value is
    its per-sample spatial mean averaged over all samples, then over the group's activation
    points (a residual group is activated at several places).
    """
    sums: dict[Point, torch.Tensor] = {}
    zeros: dict[Point, torch.Tensor] = {}
    counts: dict[Point, int] = {}

    def record(p: Point):
        def fn(out: torch.Tensor) -> None:
            o = out.detach().float()
            m = _per_sample_channel_mean(o).sum(0).cpu()
            z = _per_sample_channel_mean((o <= 0).float()).sum(0).cpu()
            sums[p] = sums.get(p, 0) + m
            zeros[p] = zeros.get(p, 0) + z
            counts[p] = counts.get(p, 0) + o.shape[0]

        return fn

    callbacks = {p: [record(p)] for g in groups for p in g.activations}
    was_training = model.training
    model.eval()
    get = input_fn or _inputs
    try:
        with PointHooks(model, callbacks):
            for i, batch in enumerate(loader):
                if max_batches is not None and i >= max_batches:
                    break
                x = get(batch)
                model(x.to(device) if device is not None else x)
    finally:
        model.train(was_training)
    mean, apoz = {}, {}
    for g in groups:
        if not all(p in counts for p in g.activations):
            raise RuntimeError(f"activations of {g.name} never ran; is the loader empty?")
        mean[g.name] = torch.stack([sums[p] / counts[p] for p in g.activations]).mean(0)
        apoz[g.name] = torch.stack([zeros[p] / counts[p] for p in g.activations]).mean(0)
    return mean, apoz


@torch.no_grad()
def magnitude_scores(model: nn.Module, groups: Sequence[UnitGroup]) -> Scores:
    """Mean absolute weight of each unit's producer rows (averaged over a group's producers)."""
    modules = dict(model.named_modules())
    out = {}
    for g in groups:
        per = [modules[p].weight.detach().abs().flatten(1).mean(1).cpu() for p in g.producers]
        out[g.name] = torch.stack(per).mean(0)
    return out


def random_scores(groups: Sequence[UnitGroup], seed: int) -> Scores:
    gen = torch.Generator().manual_seed(int(seed))
    return {g.name: torch.rand(g.size, generator=gen) for g in groups}


def score_units(
    criterion,
    model: nn.Module,
    groups: Sequence[UnitGroup],
    loader: Iterable | None = None,
    seed: int = 0,
    **kw,
) -> Scores:
    """Per-unit scores (lower = pruned first).

    Args:
        criterion: a name in :data:`CRITERIA` or a unit :class:`pruning.criteria.Criterion` object.
        model: the network (scored in eval mode for activation criteria).
        groups: the unit groups to score.
        loader: batches (or ``(inputs, ...)`` tuples) for the data-driven criteria.
        seed: seed of the random criterion.
        **kw: passed on (``max_batches``; ``device`` and ``input_fn`` for the activation statistics).
    """
    from pruning.criteria import Criterion, resolve_criterion

    if isinstance(criterion, Criterion):
        c = resolve_criterion(criterion, "units")
        return c(model, groups, loader, seed=seed, **kw)
    if criterion == "dropnet":
        return activation_stats(model, groups, _need(loader, criterion), **kw)[0]
    if criterion == "apoz":
        apoz = activation_stats(model, groups, _need(loader, criterion), **kw)[1]
        return {k: 1.0 - v for k, v in apoz.items()}
    if criterion == "magnitude":
        return magnitude_scores(model, groups)
    if criterion == "random":
        return random_scores(groups, seed)
    raise ValueError(f"unknown criterion {criterion!r}; choose one of {', '.join(CRITERIA)}")


def _need(loader, criterion: str):
    if loader is None:
        raise ValueError(f"criterion {criterion!r} needs a data loader")
    return loader
