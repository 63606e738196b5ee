"""Prunable unit groups: which layers produce, normalise, activate and consume a set of channels.

A *unit* is one output channel of a Conv2d (a filter) or one output feature of a Linear layer.
Channels that are added together through residual connections must be pruned together, so the
unit of bookkeeping is a :class:`UnitGroup`: ``size`` units shared by one or more producers,
the normalisation layers that follow them, the activation points where DropNet reads the
post-activation values (and where masks write exact zeros), and the consumers whose input
dimension shrinks when a unit is removed (``repeat`` > 1 when a conv map is flattened into a
Linear layer).

:func:`discover_units` finds the groups of any ``torch.fx``-traceable module with a shape probe;
:func:`pruning.declare.declare_units` lets the user name ``(layer, activation)`` pairs instead.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import nn

__all__ = ["NORM_TYPES", "Point", "PruningGraphError", "UnitGroup", "discover_units", "explain_frozen", "trace_units"]


class PruningGraphError(ValueError):
    """The model's structure does not allow the requested pruning."""


@dataclass(frozen=True)
class Point:
    """The ``call``-th call (0-based, per forward pass) of the submodule named ``module``."""

    module: str
    call: int = 0


@dataclass
class UnitGroup:
    """A set of ``size`` channels that are kept or removed together."""

    name: str
    size: int
    producers: list[str] = field(default_factory=list)
    norms: list[str] = field(default_factory=list)
    activations: list[Point] = field(default_factory=list)
    consumers: list[tuple[str, int]] = field(default_factory=list)
    mask_points: list[Point] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "size": self.size,
            "producers": list(self.producers),
            "norms": list(self.norms),
            "activations": [[p.module, p.call] for p in self.activations],
            "consumers": [[m, r] for m, r in self.consumers],
            "mask_points": [[p.module, p.call] for p in self.mask_points],
        }

    @classmethod
    def from_dict(cls, d: dict) -> UnitGroup:
        return cls(
            name=d["name"],
            size=int(d["size"]),
            producers=list(d["producers"]),
            norms=list(d["norms"]),
            activations=[Point(m, int(c)) for m, c in d["activations"]],
            consumers=[(m, int(r)) for m, r in d["consumers"]],
            mask_points=[Point(m, int(c)) for m, c in d["mask_points"]],
        )


_ACTIVATIONS = (
    nn.ReLU,
    nn.LeakyReLU,
    nn.ReLU6,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Tanh,
    nn.Sigmoid,
    nn.Hardtanh,
    nn.Hardswish,
    nn.Hardsigmoid,
    nn.Softplus,
    nn.PReLU,
)
# Modules that keep the channel dimension and map a zero channel to a zero channel.
_PASS_MODULES = (
    nn.Dropout,
    nn.Dropout1d,
    nn.Dropout2d,
    nn.Identity,
    nn.MaxPool2d,
    nn.AvgPool2d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveMaxPool2d,
)
# Normalisation layers whose per-channel parameters and statistics follow a unit group.
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d)
_F = torch.nn.functional
_PASS_FUNCTIONS = {
    _F.relu,
    torch.relu,
    _F.leaky_relu,
    _F.gelu,
    _F.silu,
    _F.elu,
    _F.hardtanh,
    _F.relu6,
    torch.tanh,
    _F.dropout,
    _F.max_pool2d,
    _F.avg_pool2d,
    _F.adaptive_avg_pool2d,
    _F.adaptive_max_pool2d,
}
_PASS_METHODS = {"relu", "relu_", "tanh", "contiguous", "clone", "detach", "float"}
_ADD_FUNCTIONS = {operator.add, operator.iadd, torch.add, operator.sub, torch.sub}
_SHAPE_ONLY = {"size", "dim", "shape"}


@dataclass
class _Chan:
    gid: int
    repeat: int  # number of consecutive features per channel after a flatten


class _Builder:
    """Union-find over channel groups while walking the fx graph."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}
        self.groups: dict[int, UnitGroup] = {}
        self.frozen: dict[int, str] = {}

    def new(self, name: str, size: int) -> int:
        gid = len(self.parent)
        self.parent[gid] = gid
        self.groups[gid] = UnitGroup(name=name, size=size, producers=[name])
        return gid

    def find(self, gid: int) -> int:
        while self.parent[gid] != gid:
            self.parent[gid] = self.parent[self.parent[gid]]
            gid = self.parent[gid]
        return gid

    def group(self, gid: int) -> UnitGroup:
        return self.groups[self.find(gid)]

    def freeze(self, gid: int, why: str) -> None:
        self.frozen.setdefault(self.find(gid), why)

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return ra
        if rb < ra:  # the earliest producer names the merged group
            ra, rb = rb, ra
        ga, gb = self.groups[ra], self.groups.pop(rb)
        if ga.size != gb.size:
            raise PruningGraphError(f"residual add of {ga.size} and {gb.size} channels")
        for attr in ("producers", "norms", "activations", "consumers", "mask_points"):
            getattr(ga, attr).extend(getattr(gb, attr))
        self.parent[rb] = ra
        if rb in self.frozen:
            self.frozen.setdefault(ra, self.frozen.pop(rb))
        return ra


def _shape(node) -> tuple[int, ...] | None:
    meta = node.meta.get("tensor_meta")
    shape = getattr(meta, "shape", None)
    return tuple(shape) if shape is not None else None


def _flat_args(args) -> Iterable:
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _flat_args(a)
        elif isinstance(a, dict):
            yield from _flat_args(list(a.values()))
        else:
            yield a


def trace_units(model: nn.Module, example_input) -> tuple[list[UnitGroup], dict[str, str]]:
    """Trace ``model`` with ``torch.fx`` and return its prunable groups and ``{layer: why frozen}``.

    Args:
        model: any fx-traceable module.
        example_input: one input (or a tuple of inputs) for the shape probe.
    """
    from torch.fx import Node, symbolic_trace
    from torch.fx.passes.shape_prop import ShapeProp

    try:
        gm = symbolic_trace(model)
    except Exception as exc:
        raise PruningGraphError(
            f"torch.fx could not trace {type(model).__name__} ({exc}); declare the units with "
            "declare_units(model, [(layer, activation), ...]) instead"
        ) from exc
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            ShapeProp(gm).propagate(*inputs)
    finally:
        model.train(was_training)

    b = _Builder()
    chan: dict[Node, _Chan | None] = {}
    calls: dict[str, int] = {}
    modules = dict(model.named_modules())

    def tensor_args(node) -> list[Node]:
        return [a for a in _flat_args((node.args, node.kwargs)) if isinstance(a, Node)]

    def freeze_args(node, why: str) -> None:
        for a in tensor_args(node):
            c = chan.get(a)
            if c is not None:
                b.freeze(c.gid, why)

    def point(name: str) -> Point:
        p = Point(name, calls.get(name, 0))
        calls[name] = p.call + 1
        return p

    def flatten(node, src: Node) -> _Chan | None:
        c, ins, outs = chan.get(src), _shape(src), _shape(node)
        if c is None:
            return None
        if ins == outs:
            return c
        if ins and outs and len(ins) == 4 and len(outs) == 2 and c.repeat == 1 and outs[0] == ins[0]:
            return _Chan(c.gid, ins[2] * ins[3])
        b.freeze(c.gid, f"reshaped by {node.name}")
        return None

    for node in gm.graph.nodes:
        out: _Chan | None = None
        args = tensor_args(node)
        first = chan.get(args[0]) if args else None
        if node.op == "call_module":
            mod = modules[node.target]
            name = str(node.target)
            if isinstance(mod, (nn.Conv2d, nn.Linear)):
                ins = _shape(args[0]) if args else None
                grouped = isinstance(mod, nn.Conv2d) and mod.groups != 1
                if first is not None:
                    ok = (isinstance(mod, nn.Conv2d) and first.repeat == 1 and not grouped) or (
                        isinstance(mod, nn.Linear) and ins is not None and len(ins) == 2
                    )
                    if ok:
                        b.group(first.gid).consumers.append((name, first.repeat))
                    else:
                        b.freeze(first.gid, f"consumed by {name} in an unsupported way")
                size = mod.out_channels if isinstance(mod, nn.Conv2d) else mod.out_features
                gid = b.new(name, size)
                b.group(gid).mask_points.append(point(name))
                if grouped:
                    b.freeze(gid, f"{name} is a grouped convolution")
                out = _Chan(gid, 1)
            elif isinstance(mod, NORM_TYPES) and first is not None and first.repeat == 1:
                g = b.group(first.gid)
                g.norms.append(name)
                g.mask_points.append(point(name))
                out = first
            elif isinstance(mod, _ACTIVATIONS) and first is not None and first.repeat == 1:
                if isinstance(mod, nn.PReLU) and mod.num_parameters != 1:
                    b.freeze(first.gid, f"{name} has per-channel parameters")
                p = point(name)
                g = b.group(first.gid)
                g.activations.append(p)
                g.mask_points.append(p)
                out = first
            elif isinstance(mod, _PASS_MODULES):
                out = first
            elif isinstance(mod, nn.Flatten) and args:
                out = flatten(node, args[0])
            else:
                freeze_args(node, f"consumed by unsupported module {name}")
            if isinstance(mod, _ACTIVATIONS + NORM_TYPES) and (first is None or first.repeat != 1):
                calls[name] = calls.get(name, 0) + 1
                freeze_args(node, f"{name} applied to a flattened map")
        elif node.op == "call_function":
            if node.target in _ADD_FUNCTIONS:
                cs = [chan.get(a) for a in args]
                if len(args) == 1:
                    out = cs[0]
                elif all(c is not None and c.repeat == 1 for c in cs):
                    gid = cs[0].gid
                    for c in cs[1:]:
                        gid = b.union(gid, c.gid)
                    out = _Chan(gid, 1)
                else:
                    freeze_args(node, f"{node.name} adds a tensor without prunable channels")
            elif node.target in _PASS_FUNCTIONS or (
                node.target in (operator.mul, operator.truediv, torch.mul) and len(args) == 1
            ):
                out = first
            elif node.target is torch.flatten and args:
                out = flatten(node, args[0])
            elif node.target is getattr:
                out = None
            else:
                freeze_args(node, f"consumed by function {node.name}")
        elif node.op == "call_method":
            if node.target in _PASS_METHODS:
                out = first
            elif node.target in ("view", "reshape", "flatten") and args:
                out = flatten(node, args[0])
            elif node.target in ("add", "add_", "sub") and len(args) == 2:
                c0, c1 = chan.get(args[0]), chan.get(args[1])
                if c0 is not None and c1 is not None and c0.repeat == c1.repeat == 1:
                    out = _Chan(b.union(c0.gid, c1.gid), 1)
                else:
                    freeze_args(node, f"{node.name} adds a tensor without prunable channels")
            elif node.target in _SHAPE_ONLY:
                out = None
            else:
                freeze_args(node, f"consumed by method {node.name}")
        elif node.op == "output":
            freeze_args(node, "is a model output")
        chan[node] = out

    for gid, g in b.groups.items():
        if not g.activations:
            b.frozen.setdefault(gid, "no activation module follows it")
    frozen = {p: why for g, why in b.frozen.items() if g in b.groups for p in b.groups[g].producers}
    live = [g for gid, g in b.groups.items() if gid not in b.frozen]
    return live, frozen


def discover_units(model: nn.Module, example_input) -> list[UnitGroup]:
    """All prunable unit groups of ``model``, found by tracing it with ``torch.fx``.

    Output layers, grouped convolutions and channels that feed unsupported operations are left
    alone; groups coupled by residual additions come back merged (several producers).
    """
    groups, _ = trace_units(model, example_input)
    return groups


def explain_frozen(model: nn.Module, example_input) -> dict[str, str]:
    """Why each non-prunable producer layer was left alone (for error messages and docs)."""
    return trace_units(model, example_input)[1]
