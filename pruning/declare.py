"""User-declared units: ``(layer, activation)`` pairs instead of (or on top of) discovery.

With an example input the model is traced and each declared pair must name a prunable group;
without one (or when fx cannot trace the model) the model is taken as sequential in
registration order.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from pruning.groups import NORM_TYPES, Point, PruningGraphError, UnitGroup, trace_units

__all__ = ["declare_units"]


def declare_units(
    model: nn.Module,
    pairs: Sequence[tuple[str, str]],
    example_input=None,
) -> list[UnitGroup]:
    """Unit groups for user-declared ``(layer, activation)`` pairs.

    With ``example_input`` the model is traced and each declared layer must belong to a prunable
    group (its activation point is the declared module). Without it, or when tracing fails, the
    model is assumed sequential in registration order: BatchNorms between the layer and its
    activation are its norms and the next Conv2d/Linear is its consumer.
    """
    modules = dict(model.named_modules())
    for layer, act in pairs:
        for n in (layer, act):
            if n not in modules:
                raise PruningGraphError(f"no submodule named {n!r} in {type(model).__name__}")
    if example_input is not None:
        try:
            groups, frozen = trace_units(model, example_input)
        except PruningGraphError:
            groups = None
        if groups is not None:
            out: list[UnitGroup] = []
            for layer, act in pairs:
                g = next((g for g in groups if layer in g.producers), None)
                if g is None:
                    why = frozen.get(layer, "it is not a Conv2d/Linear feeding an activation")
                    raise PruningGraphError(f"layer {layer!r} cannot be pruned: {why}")
                pts = [p for p in g.activations if p.module == act]
                if not pts:
                    raise PruningGraphError(f"{act!r} is not an activation of {layer!r}'s channels")
                if g not in out:
                    out.append(g)
            return out
    return _declare_sequential(model, pairs, example_input)


def _declare_sequential(model: nn.Module, pairs, example_input) -> list[UnitGroup]:
    order = [n for n, m in model.named_modules() if n]
    modules = dict(model.named_modules())
    flat_repeat: dict[str, int] = {}
    if example_input is not None:  # learn Linear fan-in per producer channel from a shape probe
        shapes: dict[str, tuple] = {}

        def probe(name: str):
            def hook(_m, _i, out) -> None:  # must return None: a value would replace the output
                shapes.setdefault(name, tuple(out.shape))

            return hook

        hooks = [m.register_forward_hook(probe(n)) for n, m in modules.items() if isinstance(m, (nn.Conv2d, nn.Linear))]
        was_training = model.training
        try:
            with torch.no_grad():
                model.eval()
                model(*(example_input if isinstance(example_input, tuple) else (example_input,)))
        finally:
            model.train(was_training)
            for h in hooks:
                h.remove()
        flat_repeat = {n: (s[2] * s[3] if len(s) == 4 else 1) for n, s in shapes.items()}
    out = []
    for layer, act in pairs:
        mod = modules[layer]
        if not isinstance(mod, (nn.Conv2d, nn.Linear)):
            raise PruningGraphError(f"{layer!r} is not a Conv2d or Linear layer")
        size = mod.out_channels if isinstance(mod, nn.Conv2d) else mod.out_features
        i, j = order.index(layer), order.index(act)
        norms = [n for n in order[i + 1 : j] if isinstance(modules[n], NORM_TYPES)]
        nxt = next((n for n in order[j + 1 :] if isinstance(modules[n], (nn.Conv2d, nn.Linear))), None)
        if nxt is None:
            raise PruningGraphError(f"no Conv2d/Linear consumes {layer!r}; it is an output layer")
        nm = modules[nxt]
        repeat = flat_repeat.get(layer, 1) if isinstance(nm, nn.Linear) else 1
        fan_in = nm.in_channels if isinstance(nm, nn.Conv2d) else nm.in_features
        if fan_in != size * repeat:
            raise PruningGraphError(
                f"{nxt!r} takes {fan_in} inputs but {layer!r} gives {size}x{repeat}; pass "
                "example_input or use discover_units"
            )
        pts = [Point(layer), *[Point(n) for n in norms], Point(act)]
        out.append(UnitGroup(layer, size, [layer], norms, [Point(act)], [(nxt, repeat)], pts))
    return out
