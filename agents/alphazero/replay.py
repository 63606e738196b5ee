"""Replay buffer of self-play positions: a fixed-size ring of numpy arrays.

Each position keeps its input planes (uint8, side to move's view), the legal mask,
the search policy (visit counts normalised), the game outcome from the side to
move's view and the index of its brick layout in the training distribution (which
selects the symmetry transforms augmentation may apply). The whole buffer goes
into checkpoints (``state_dict``) so ``--resume`` continues exactly.
"""

from __future__ import annotations

import numpy as np

from agents.alphazero.augment import apply_transforms, sample_transforms


class ReplayBuffer:
    """Ring buffer of the most recent ``capacity`` positions."""

    def __init__(self, capacity: int, rows: int = 7, cols: int = 7) -> None:
        if capacity < 1:
            raise ValueError("replay capacity must be positive")
        n = rows * cols
        self.capacity = int(capacity)
        self.rows, self.cols = rows, cols
        self.planes = np.zeros((capacity, 3, rows, cols), np.uint8)
        self.masks = np.zeros((capacity, n), bool)
        self.policy = np.zeros((capacity, n), np.float32)
        self.value = np.zeros(capacity, np.float32)
        self.layout = np.zeros(capacity, np.int16)
        self.size = 0
        self.head = 0  # next slot to write
        self.total_added = 0

    def __len__(self) -> int:
        return self.size

    def add(
        self, planes: np.ndarray, masks: np.ndarray, policy: np.ndarray, value: np.ndarray, layout: np.ndarray
    ) -> None:
        """Append a batch of positions (oldest entries are overwritten when full)."""
        n = len(value)
        if n == 0:
            return
        if n > self.capacity:  # only the newest fit
            planes, masks, policy, value, layout = (a[-self.capacity :] for a in (planes, masks, policy, value, layout))
            n = self.capacity
        slots = (self.head + np.arange(n)) % self.capacity
        self.planes[slots] = planes
        self.masks[slots] = masks
        self.policy[slots] = policy
        self.value[slots] = value
        self.layout[slots] = layout
        self.head = int((self.head + n) % self.capacity)
        self.size = min(self.capacity, self.size + n)
        self.total_added += len(value)

    def sample(
        self, batch: int, rng: np.random.Generator, transforms: tuple[tuple[int, ...], ...] | None = None
    ) -> tuple[np.ndarray, ...]:
        """A random batch (with replacement): planes float32, masks, policy, value.

        ``transforms[layout]`` lists the symmetry transforms allowed per layout; one is
        drawn per sample and applied to planes, mask and policy alike.
        """
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        idx = rng.integers(self.size, size=batch)
        planes = self.planes[idx].astype(np.float32)
        masks, policy, value = self.masks[idx], self.policy[idx], self.value[idx]
        if transforms is not None:
            tids = sample_transforms(self.layout[idx], transforms, rng)
            planes, masks, policy = apply_transforms(tids, planes, masks, policy)
        return planes, masks, policy, value

    def contents(self) -> dict[str, np.ndarray]:
        """The stored positions, oldest first."""
        order = (self.head - self.size + np.arange(self.size)) % self.capacity
        return {
            "planes": self.planes[order],
            "masks": self.masks[order],
            "policy": self.policy[order],
            "value": self.value[order],
            "layout": self.layout[order],
        }

    def state_dict(self) -> dict:
        return {
            "capacity": self.capacity,
            "rows": self.rows,
            "cols": self.cols,
            "head": self.head,
            "size": self.size,
            "total_added": self.total_added,
            **{k: getattr(self, k)[: self.size].copy() for k in ("planes", "masks", "policy", "value", "layout")},
        }

    @classmethod
    def from_state_dict(cls, d: dict) -> ReplayBuffer:
        buf = cls(int(d["capacity"]), int(d["rows"]), int(d["cols"]))
        size = int(d["size"])
        for k in ("planes", "masks", "policy", "value", "layout"):
            getattr(buf, k)[:size] = d[k]
        buf.size, buf.head, buf.total_added = size, int(d["head"]), int(d["total_added"])
        return buf
