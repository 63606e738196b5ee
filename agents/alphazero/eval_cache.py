"""A cache of network evaluations keyed by position, kept within a search and across the moves of a game.

Search evaluates the same positions again and again: a tree reaches one position by different move orders
(transpositions), and a fresh tree each move (the paper's search) re-evaluates much of the previous move's
tree. The network is a function of its input planes, so an evaluation keyed by the exact planes (side to
move's stones, the opponent's, the bricks; the legal moves follow from them) can be reused without changing
anything: a hit returns what the network returned for the same input, which differs from a recomputation at
most by the float rounding of a different batch size (none with ONNX Runtime). Symmetric positions are *not*
shared: the network is not exactly equivariant, so a rotated position's outputs are not the rotated outputs
(an entry could only be shared under transforms that map the bricks onto themselves, and would still change
results). The cache is per agent and cleared between games, so a game does not depend on which games the same
agent played before it.
"""

from __future__ import annotations

import numpy as np


class EvalCache:
    """Position -> (priors, value), at most ``max_entries`` (the oldest half is dropped when full).

    Args:
        max_entries: bound on stored positions (a 100-simulation game needs a few thousand).
    """

    def __init__(self, max_entries: int = 1 << 16) -> None:
        self.max_entries = max_entries
        self._store: dict[bytes, tuple[np.ndarray, np.float32]] = {}
        #: Positions looked up and found, in this object's life (for benchmarks).
        self.lookups = 0
        self.hits = 0

    def clear(self) -> None:
        self._store.clear()

    def __len__(self) -> int:
        return len(self._store)

    @staticmethod
    def keys(planes: np.ndarray) -> list[bytes]:
        """One key per position: its 0/1 input planes packed to bits."""
        flat = np.asarray(planes).reshape(len(planes), -1) != 0
        packed = np.packbits(flat, axis=1)
        return [row.tobytes() for row in packed]

    def lookup(self, keys: list[bytes], n_actions: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(hit mask, priors, values) for ``keys``; rows of misses are zero."""
        n = len(keys)
        hit = np.zeros(n, bool)
        priors = np.zeros((n, n_actions), np.float32)
        values = np.zeros(n, np.float32)
        store = self._store
        for i, key in enumerate(keys):
            entry = store.get(key)
            if entry is not None:
                hit[i] = True
                priors[i], values[i] = entry
        self.lookups += n
        self.hits += int(hit.sum())
        return hit, priors, values

    def store(self, keys: list[bytes], priors: np.ndarray, values: np.ndarray) -> None:
        if len(self._store) + len(keys) > self.max_entries:
            for key in list(self._store)[: len(self._store) // 2]:
                del self._store[key]
        for key, p, v in zip(keys, priors, values, strict=True):
            self._store[key] = (np.array(p, np.float32), np.float32(v))
