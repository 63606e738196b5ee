"""A batch of positions one agent needs evaluated, servable together with other agents' batches.

:class:`NetworkRequest` is the :class:`agents.batching.BatchRequest` of the ``alphazero`` agent: requests
whose evaluators run the same inference model (agents with the same checkpoint, device and backend share one,
see :mod:`agents.alphazero.agent`) go through the network in one forward pass; each then gets its priors with
its own evaluator's masking.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from agents.alphazero.evaluator import Evaluator


@dataclass
class NetworkRequest:
    """Positions for ``evaluator``'s network: planes ``(n, 3, R, C)`` float32, legal masks ``(n, R*C)``."""

    evaluator: Evaluator
    planes: np.ndarray
    masks: np.ndarray
    batch_key: tuple = field(init=False)

    def __post_init__(self) -> None:
        self.batch_key = ("alphazero", id(self.evaluator.model))

    @property
    def size(self) -> int:
        return len(self.planes)

    @staticmethod
    def serve(requests: list[NetworkRequest]) -> list[tuple[np.ndarray, np.ndarray]]:
        """One forward pass for every request (all of one ``batch_key``); ``(priors, values)`` for each."""
        if len(requests) == 1:
            r = requests[0]
            return [r.evaluator(r.planes, r.masks)]
        from agents.alphazero.evaluator import evaluate_together

        return evaluate_together([(r.evaluator, r.planes, r.masks) for r in requests])
