"""Pruning criteria as pluggable objects (in the spirit of Torch-Pruning's ``importance`` classes).

A criterion scores what can be removed; a *lower* score is removed first. There are two kinds:

- a **unit** criterion (``granularity = "units"``) scores every unit of every
  :class:`~pruning.groups.UnitGroup`: ``criterion(model, groups, loader, seed=..., max_batches=...)``
  returns ``{group name: float tensor (size,)}``;
- a **weight** criterion (``granularity = "weights"``) scores every entry of every prunable weight
  tensor: ``criterion(model, weights, loader, seed=..., max_batches=...)`` gets ``{parameter name:
  tensor}`` and returns ``{parameter name: float tensor of the same shape}``.

Subclass :class:`Criterion`, set ``granularity`` (and ``needs_data`` if it reads a loader), implement
``__call__``, and hand the object to :class:`~pruning.driver.PruneConfig` or
:func:`~pruning.scores.score_units`; nothing inside the library needs an edit. The strings of
:data:`UNIT_CRITERIA` / :data:`WEIGHT_CRITERIA` are shorthands for the built-in objects.

Example::

    class Taylor(Criterion):  # |activation x gradient|, a user's own criterion
        granularity = "units"
        needs_data = True

        def __call__(self, model, groups, loader, *, seed=0, max_batches=None):
            ...
            return {g.name: scores_of(g) for g in groups}

    PruneConfig(criterion=Taylor())
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from pruning.groups import UnitGroup
from pruning.scores import Scores, activation_stats, magnitude_scores, random_scores

__all__ = [
    "UNIT_CRITERIA",
    "WEIGHT_CRITERIA",
    "APoZ",
    "Criterion",
    "MeanActivation",
    "Negated",
    "RandomUnits",
    "RandomWeights",
    "UnitMagnitude",
    "WeightMagnitude",
    "criterion_name",
    "resolve_criterion",
]

GRANULARITIES = ("units", "weights")


class Criterion:
    """Base class of every criterion: lower scores are removed first.

    Attributes:
        granularity: ``"units"`` (scores per unit of each group) or ``"weights"`` (per weight entry).
        needs_data: whether ``__call__`` reads the loader (the driver then passes its score loader).
        name: a short label for reports and checkpoints (defaults to the class name).
    """

    granularity: str = "units"
    needs_data: bool = False

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(
        self,
        model: nn.Module,
        targets,
        loader: Iterable | None = None,
        *,
        seed: int = 0,
        max_batches: int | None = None,
    ) -> Scores:
        """Scores for ``targets`` (unit groups or ``{name: weight}``); lower = removed first."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}()"


def _need(loader, criterion: Criterion):
    if loader is None:
        raise ValueError(f"criterion {criterion.name!r} needs a data loader")
    return loader


class MeanActivation(Criterion):
    """DropNet: a unit's mean post-activation over the loader (eval mode; a filter's map is
    averaged over positions, then over samples, then over a residual group's activation points)."""

    needs_data = True
    name = "dropnet"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        return activation_stats(model, targets, _need(loader, self), max_batches=max_batches)[0]


class APoZ(Criterion):
    """1 - average percentage of non-positive post-activations (Hu et al. 2016)."""

    needs_data = True
    name = "apoz"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        apoz = activation_stats(model, targets, _need(loader, self), max_batches=max_batches)[1]
        return {k: 1.0 - v for k, v in apoz.items()}


class UnitMagnitude(Criterion):
    """Mean absolute weight of a unit's producer rows (averaged over a group's producers)."""

    name = "magnitude"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        return magnitude_scores(model, targets)


class RandomUnits(Criterion):
    """Uniform random scores from ``seed``."""

    name = "random"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        return random_scores(targets, seed)


class WeightMagnitude(Criterion):
    """|w| of every weight entry: iterative magnitude pruning (Han et al. 2015; Frankle & Carbin 2019)."""

    granularity = "weights"
    name = "magnitude"

    @torch.no_grad()
    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        return {k: w.detach().abs().float().cpu() for k, w in targets.items()}


class RandomWeights(Criterion):
    """Uniform random score per weight entry from ``seed``."""

    granularity = "weights"
    name = "random"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        gen = torch.Generator().manual_seed(int(seed))
        return {k: torch.rand(tuple(w.shape), generator=gen) for k, w in sorted(targets.items())}


class Negated(Criterion):
    """Another criterion with its order reversed: the highest scores go first (DropNet's ``max`` arm)."""

    def __init__(self, inner: Criterion | str, granularity: str = "units") -> None:
        self.inner = resolve_criterion(inner, granularity)
        self.granularity = self.inner.granularity
        self.needs_data = self.inner.needs_data

    @property
    def name(self) -> str:
        return f"max:{self.inner.name}"

    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None) -> Scores:
        return {k: -v for k, v in self.inner(model, targets, loader, seed=seed, max_batches=max_batches).items()}

    def __repr__(self) -> str:
        return f"Negated({self.inner!r})"


UNIT_CRITERIA: Mapping[str, type[Criterion]] = {
    "dropnet": MeanActivation,
    "apoz": APoZ,
    "magnitude": UnitMagnitude,
    "random": RandomUnits,
}
WEIGHT_CRITERIA: Mapping[str, type[Criterion]] = {"magnitude": WeightMagnitude, "random": RandomWeights}


def resolve_criterion(criterion: str | Criterion, granularity: str = "units") -> Criterion:
    """The criterion object for a shorthand string (or the object itself, checked).

    Args:
        criterion: a :class:`Criterion` or a name from :data:`UNIT_CRITERIA` / :data:`WEIGHT_CRITERIA`.
        granularity: ``"units"`` or ``"weights"``: which table a string is looked up in, and what an
            object must score.
    """
    if granularity not in GRANULARITIES:
        raise ValueError(f"granularity must be one of {GRANULARITIES}, got {granularity!r}")
    if isinstance(criterion, Criterion):
        if criterion.granularity != granularity:
            raise ValueError(
                f"criterion {criterion.name!r} scores {criterion.granularity}, but {granularity} are being pruned"
            )
        return criterion
    table = UNIT_CRITERIA if granularity == "units" else WEIGHT_CRITERIA
    if not isinstance(criterion, str) or criterion not in table:
        raise ValueError(
            f"unknown criterion {criterion!r}; choose one of {', '.join(table)} or pass a pruning.criteria.Criterion"
        )
    return table[criterion]()


def criterion_name(criterion: str | Criterion) -> str:
    """A label for reports and checkpoints: the string itself or the object's ``name``."""
    return criterion if isinstance(criterion, str) else criterion.name


def score_with(
    criterion: str | Criterion,
    model: nn.Module,
    targets: Sequence[UnitGroup] | Mapping[str, torch.Tensor],
    loader: Iterable | None = None,
    seed: int = 0,
    max_batches: int | None = None,
    granularity: str = "units",
) -> Scores:
    """Run ``criterion`` (string or object) on ``targets``; lower = removed first."""
    c = resolve_criterion(criterion, granularity)
    return c(model, targets, loader, seed=seed, max_batches=max_batches)
