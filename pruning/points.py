"""Forward hooks addressed by :class:`~pruning.groups.Point` (module name + call index).

A module may run several times per forward pass (a shared ``nn.ReLU`` is common), so a hook
on the module alone cannot tell which channel group a given output belongs to. The
:class:`PointHooks` manager counts calls per module, resetting at each forward of the root
model, and dispatches each output to the callbacks registered for that exact call.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from pruning.groups import Point

Callback = Callable[[torch.Tensor], torch.Tensor | None]


class PointHooks:
    """Register ``callbacks[point] -> [fn(output) -> new output or None]`` on ``model``."""

    def __init__(self, model: nn.Module, callbacks: dict[Point, list[Callback]]) -> None:
        self.model = model
        self.callbacks = callbacks
        self.counts: dict[str, int] = {}
        modules = dict(model.named_modules())
        self._handles = [model.register_forward_pre_hook(self._reset)]
        for name in sorted({p.module for p in callbacks}):
            if name not in modules:
                raise KeyError(f"no submodule named {name!r}")
            self._handles.append(modules[name].register_forward_hook(self._make(name)))

    def _reset(self, _module, _inputs) -> None:
        self.counts.clear()

    def _make(self, name: str):
        def hook(_module, _inputs, output):
            call = self.counts.get(name, 0)
            self.counts[name] = call + 1
            fns = self.callbacks.get(Point(name, call))
            if not fns:
                return None
            for fn in fns:
                new = fn(output)
                if new is not None:
                    output = new
            return output

        return hook

    def remove(self) -> None:
        """Detach every hook (the model is left exactly as before)."""
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self) -> PointHooks:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
