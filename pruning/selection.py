"""Choose which units to remove: the lowest scores, globally or per layer, never emptying a layer."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from pruning.masks import Alive
from pruning.scores import Scores

MODES = ("minimum", "minimum_layer")


def _count(fraction: float, n: int) -> int:
    return max(1, int(np.floor(fraction * n + 1e-9)))


def select_removal(
    scores: Scores,
    alive: Alive,
    fraction: float = 0.2,
    mode: str = "minimum",
    min_units: int | Mapping[str, int] = 1,
    seed: int = 0,
) -> Alive:
    """New ``alive`` masks after removing the lowest-scoring ``fraction`` of the remaining units.

    ``mode="minimum"`` ranks all remaining units of all groups together; ``"minimum_layer"``
    removes the fraction within each group. At least one unit is removed when any can be, and no
    group drops below ``min_units`` (an int or a per-group mapping). Equal scores are ordered by
    a random key drawn from ``seed``.
    """
    if mode not in MODES:
        raise ValueError(f"unknown selection mode {mode!r}; choose one of {', '.join(MODES)}")
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    new = {k: v.clone().to(torch.bool) for k, v in alive.items()}

    def floor_of(name: str) -> int:
        m = min_units.get(name, 1) if isinstance(min_units, Mapping) else min_units
        return max(1, int(m))

    def order(names: list[str]) -> list[tuple[str, int]]:
        s, key, ref = [], [], []
        for n in names:
            idx = torch.nonzero(new[n]).flatten().tolist()
            s.extend(scores[n][idx].double().tolist())
            ref.extend((n, i) for i in idx)
        key = rng.random(len(ref))
        return [ref[j] for j in np.lexsort((key, np.asarray(s, dtype=float)))]

    if mode == "minimum":
        names = sorted(new)
        total = sum(int(new[n].sum()) for n in names)
        budget = _count(fraction, total)
        left = {n: int(new[n].sum()) for n in names}
        for n, i in order(names):
            if budget == 0:
                break
            if left[n] > floor_of(n):
                new[n][i] = False
                left[n] -= 1
                budget -= 1
    else:
        for n in sorted(new):
            alive_n = int(new[n].sum())
            k = min(_count(fraction, alive_n), alive_n - floor_of(n))
            for _, i in order([n])[: max(0, k)]:
                new[n][i] = False
    return new
