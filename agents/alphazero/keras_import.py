"""Import Tan & Motani's Keras 2.4 AlphaZero networks (HDF5) into :class:`PolicyValueNet`.

No TensorFlow: the file's ``model_config`` (the Keras layer graph) is read with
h5py and walked from the two outputs (``value_head``, ``policy_head``) back to the
input, which identifies every layer by its role rather than by its auto-generated
name (``conv2d_533`` ...). The architecture found (filters, kernel, number of
residual blocks, LeakyReLU slope, BN epsilon, head sizes) becomes a
:class:`NetConfig` (for the paper's files it equals :data:`network.PAPER`), and the
weights are converted: conv kernels (kh, kw, in, out) -> (out, in, kh, kw), dense
(in, out) -> (out, in), Keras BN (gamma, beta, moving mean/variance) -> PyTorch BN.

h5py is an optional dependency (``pip install 'bttt[keras]'``), imported only here.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from agents.alphazero.checkpoint import Checkpoint
from agents.alphazero.network import PAPER, NetConfig, PolicyValueNet
from bttt.errors import BtttError
from bttt.layouts import BrickDistribution
from bttt.symmetry import PAPER_FLIPS, transform_cells


class KerasImportError(BtttError):
    """A Keras file that cannot be read or whose architecture is not the paper's family."""


#: Brick distributions the paper's three files were trained on (by file name stem).
PAPER_TRAINING_BRICKS = {
    "alphazero_baseline": "D4",
    "alphazero_r2": "D3,D4",
    "alphazero_r3": "C3,D3,D4",
}


@dataclass
class KerasModel:
    """The parts of a Keras HDF5 file the importer needs."""

    layers: dict[str, dict]  # name -> layer entry of model_config (class_name, config, inbound)
    order: list[str]  # layer names in model_config order
    weights: dict[str, dict[str, np.ndarray]]  # layer name -> {"kernel": ..., "gamma": ...}
    keras_version: str


def _h5py():
    try:
        import h5py
    except ImportError:
        raise KerasImportError(
            "reading Keras .h5 files needs h5py, which is not installed: pip install 'bttt[keras]'"
        ) from None
    return h5py


def read_keras_h5(path: str | os.PathLike) -> KerasModel:
    """Read a Keras 2.x HDF5 model's layer graph and weights."""
    h5py = _h5py()
    path = Path(path)
    if not path.is_file():
        raise KerasImportError(f"no Keras file at {path}: check the path")
    try:
        fh = h5py.File(path, "r")
    except OSError as exc:
        raise KerasImportError(f"{path} is not a readable HDF5 file ({exc})") from None
    with fh:
        if "model_config" not in fh.attrs or "model_weights" not in fh:
            raise KerasImportError(
                f"{path} is HDF5 but not a whole Keras model saved with model.save() "
                "(no model_config attribute or model_weights group)"
            )
        raw = fh.attrs["model_config"]
        config = json.loads(raw.decode() if isinstance(raw, bytes) else raw)
        version = fh.attrs.get("keras_version", b"?")
        version = version.decode() if isinstance(version, bytes) else str(version)
        group = fh["model_weights"]
        weights: dict[str, dict[str, np.ndarray]] = {}
        for name in group:
            names = group[name].attrs.get("weight_names", [])
            entry = {}
            for wname in names:
                wname = wname.decode() if isinstance(wname, bytes) else str(wname)
                short = wname.rsplit("/", 1)[-1].split(":")[0]
                entry[short] = np.asarray(group[name][wname], dtype=np.float32)
            weights[name] = entry
    if config.get("class_name") not in ("Functional", "Model"):
        raise KerasImportError(f"{path}: expected a functional Keras model, got {config.get('class_name')!r}")
    layers, order = {}, []
    for layer in config["config"]["layers"]:
        inbound = [item[0] for node in layer.get("inbound_nodes", []) for item in node]
        layers[layer["name"]] = {"class_name": layer["class_name"], "config": layer["config"], "inbound": inbound}
        order.append(layer["name"])
    return KerasModel(layers, order, weights, version)


class _Graph:
    """Walks the Keras layer graph, checking each layer's type as it goes."""

    def __init__(self, model: KerasModel, source: str) -> None:
        self.m = model
        self.source = source

    def fail(self, what: str) -> KerasImportError:
        return KerasImportError(
            f"{self.source}: unsupported architecture ({what}); only the paper's AlphaZero network family "
            "(conv block, residual blocks, value and policy heads) can be imported"
        )

    def layer(self, name: str, kind: str | tuple[str, ...]) -> dict:
        kinds = (kind,) if isinstance(kind, str) else kind
        layer = self.m.layers.get(name)
        if layer is None or layer["class_name"] not in kinds:
            found = None if layer is None else layer["class_name"]
            raise self.fail(f"expected {'/'.join(kinds)} at {name!r}, found {found}")
        return layer

    def parent(self, name: str, kind: str | tuple[str, ...]) -> str:
        inbound = self.m.layers[name]["inbound"]
        if len(inbound) != 1:
            raise self.fail(f"layer {name!r} has {len(inbound)} inputs, expected 1")
        self.layer(inbound[0], kind)
        return inbound[0]

    def weights(self, name: str, *keys: str) -> list[np.ndarray]:
        entry = self.m.weights.get(name, {})
        missing = [k for k in keys if k not in entry]
        if missing:
            raise self.fail(f"layer {name!r} has no stored weights {missing}")
        return [entry[k] for k in keys]


def _conv_bn_act(g: _Graph, act_name: str) -> tuple[str, str, str]:
    """(conv, bn, act) names ending at the activation ``act_name``."""
    bn = g.parent(act_name, "BatchNormalization")
    conv = g.parent(bn, "Conv2D")
    return conv, bn, act_name


def parse_architecture(model: KerasModel, source: str = "Keras model") -> tuple[NetConfig, dict]:
    """Identify the layers by role; returns the NetConfig and ``{torch module prefix: keras layer}``."""
    g = _Graph(model, source)
    inputs = [n for n in model.order if model.layers[n]["class_name"] == "InputLayer"]
    if len(inputs) != 1:
        raise g.fail(f"{len(inputs)} inputs")
    shape = model.layers[inputs[0]]["config"].get("batch_input_shape")
    if not shape or len(shape) != 4:
        raise g.fail(f"input shape {shape}")
    in_planes, rows, cols = shape[1:]
    roles: dict[str, str] = {}

    # value head: value_head(Dense, tanh) <- act <- Dense(hidden) <- Flatten <- act <- BN <- Conv(1x1)
    g.layer("value_head", "Dense")
    v_act2 = g.parent("value_head", "LeakyReLU")
    v_fc1 = g.parent(v_act2, "Dense")
    v_flat = g.parent(v_fc1, "Flatten")
    v_act = g.parent(v_flat, "LeakyReLU")
    v_conv, v_bn, _ = _conv_bn_act(g, v_act)
    # policy head: policy_head(Dense) <- Flatten <- act <- BN <- Conv(1x1)
    g.layer("policy_head", "Dense")
    p_flat = g.parent("policy_head", "Flatten")
    p_act = g.parent(p_flat, "LeakyReLU")
    p_conv, p_bn, _ = _conv_bn_act(g, p_act)
    roles.update(
        {
            "value_head.conv": v_conv,
            "value_head.bn": v_bn,
            "value_head.fc1": v_fc1,
            "value_head.fc2": "value_head",
            "policy_head.conv": p_conv,
            "policy_head.bn": p_bn,
            "policy_head.fc": "policy_head",
        }
    )
    trunk_out = model.layers[v_conv]["inbound"]
    if trunk_out != model.layers[p_conv]["inbound"] or len(trunk_out) != 1:
        raise g.fail("the two heads do not read the same trunk output")
    if model.layers["value_head"]["config"].get("activation") != "tanh":
        raise g.fail("value_head is not a tanh dense layer")
    if model.layers["policy_head"]["config"].get("activation") != "linear":
        raise g.fail("policy_head does not output raw logits")
    for flat in (v_flat, p_flat):
        if model.layers[flat]["config"].get("data_format", "channels_last") != "channels_last":
            raise g.fail(f"{flat} flattens channels_first data in channels-last order")

    # trunk, walked backwards: each residual block is act(Add(block input, BN(conv(act(BN(conv(input)))))))
    blocks: list[tuple[str, ...]] = []
    node = trunk_out[0]
    while True:
        g.layer(node, "LeakyReLU")
        parent = model.layers[node]["inbound"][0]
        if model.layers[parent]["class_name"] != "Add":
            break
        add_in = model.layers[parent]["inbound"]
        if len(add_in) != 2:
            raise g.fail(f"{parent} adds {len(add_in)} tensors")
        bn2 = next((n for n in add_in if model.layers[n]["class_name"] == "BatchNormalization"), None)
        skip = next((n for n in add_in if n != bn2), None)
        if bn2 is None or skip is None:
            raise g.fail(f"{parent} is not a residual connection")
        conv2 = g.parent(bn2, "Conv2D")
        act1 = g.parent(conv2, "LeakyReLU")
        conv1, bn1, _ = _conv_bn_act(g, act1)
        if model.layers[conv1]["inbound"] != [skip]:
            raise g.fail(f"residual block ending at {node} does not start at its skip input {skip}")
        blocks.append((conv1, bn1, conv2, bn2))
        node = skip
    stem_conv, stem_bn, _ = _conv_bn_act(g, node)
    if model.layers[stem_conv]["inbound"] != inputs:
        raise g.fail("the first convolution does not read the input")
    blocks.reverse()
    roles.update({"stem.conv": stem_conv, "stem.bn": stem_bn})
    for i, (c1, b1, c2, b2) in enumerate(blocks):
        roles.update({f"blocks.{i}.conv1": c1, f"blocks.{i}.bn1": b1, f"blocks.{i}.conv2": c2, f"blocks.{i}.bn2": b2})

    # hyper-parameters, checked to be uniform
    convs = [roles["stem.conv"]] + [roles[f"blocks.{i}.conv{j}"] for i in range(len(blocks)) for j in (1, 2)]
    conv_cfg = [model.layers[c]["config"] for c in convs]
    for c in [*conv_cfg, model.layers[v_conv]["config"], model.layers[p_conv]["config"]]:
        if (
            c.get("data_format") != "channels_first"
            or c.get("padding") != "same"
            or tuple(c.get("strides", (1, 1))) != (1, 1)
            or c.get("activation") != "linear"
        ):
            raise g.fail(f"convolution {c['name']} is not a linear, stride-1, 'same', channels-first conv")
    filters = {c["filters"] for c in conv_cfg}
    kernels = {tuple(c["kernel_size"]) for c in conv_cfg}
    biases = {bool(c["use_bias"]) for c in conv_cfg} | {
        bool(model.layers[h]["config"]["use_bias"]) for h in (v_conv, p_conv)
    }
    if len(filters) != 1 or len(kernels) != 1 or len(biases) != 1:
        raise g.fail(f"trunk convolutions differ (filters {filters}, kernels {kernels}, bias {biases})")
    kh, kw = kernels.pop()
    if kh != kw:
        raise g.fail(f"non-square kernel {kh}x{kw}")
    dense_bias = {bool(model.layers[d]["config"]["use_bias"]) for d in (v_fc1, "value_head", "policy_head")}
    slopes = {
        round(float(model.layers[n]["config"]["alpha"]), 6)
        for n in model.order
        if model.layers[n]["class_name"] == "LeakyReLU"
    }
    eps = {
        float(model.layers[n]["config"]["epsilon"])
        for n in model.order
        if model.layers[n]["class_name"] == "BatchNormalization"
    }
    if len(dense_bias) != 1 or len(slopes) != 1 or len(eps) != 1:
        raise g.fail(f"mixed dense biases {dense_bias}, LeakyReLU slopes {slopes} or BN epsilons {eps}")
    if int(model.layers["policy_head"]["config"]["units"]) != rows * cols:
        raise g.fail("the policy head does not have one logit per cell")
    config = NetConfig(
        rows=int(rows),
        cols=int(cols),
        in_planes=int(in_planes),
        channels=int(filters.pop()),
        blocks=len(blocks),
        kernel=int(kh),
        activation="leaky_relu",
        leaky_slope=slopes.pop(),
        tf_same_padding=True,
        conv_bias=biases.pop(),
        value_filters=int(model.layers[v_conv]["config"]["filters"]),
        value_hidden=int(model.layers[v_fc1]["config"]["units"]),
        policy_filters=int(model.layers[p_conv]["config"]["filters"]),
        bn_eps=eps.pop(),
        head_bias=dense_bias.pop(),
    )
    return config, roles


def convert_weights(model: KerasModel, config: NetConfig, roles: dict, source: str = "Keras model") -> dict:
    """A PyTorch state_dict for ``PolicyValueNet(config)`` from the Keras weights."""
    g = _Graph(model, source)
    state: dict[str, torch.Tensor] = {}
    for prefix, name in roles.items():
        kind = model.layers[name]["class_name"]
        if kind == "Conv2D":
            (kernel,) = g.weights(name, "kernel")
            state[f"{prefix}.weight"] = torch.from_numpy(kernel.transpose(3, 2, 0, 1).copy())
            if config.conv_bias:
                state[f"{prefix}.bias"] = torch.from_numpy(g.weights(name, "bias")[0].copy())
        elif kind == "BatchNormalization":
            gamma, beta, mean, var = g.weights(name, "gamma", "beta", "moving_mean", "moving_variance")
            state[f"{prefix}.weight"] = torch.from_numpy(gamma.copy())
            state[f"{prefix}.bias"] = torch.from_numpy(beta.copy())
            state[f"{prefix}.running_mean"] = torch.from_numpy(mean.copy())
            state[f"{prefix}.running_var"] = torch.from_numpy(var.copy())
            state[f"{prefix}.num_batches_tracked"] = torch.tensor(0, dtype=torch.long)
        elif kind == "Dense":
            (kernel,) = g.weights(name, "kernel")
            state[f"{prefix}.weight"] = torch.from_numpy(kernel.T.copy())
            if config.head_bias:
                state[f"{prefix}.bias"] = torch.from_numpy(g.weights(name, "bias")[0].copy())
        else:  # pragma: no cover - roles only name the three kinds above
            raise g.fail(f"unexpected layer kind {kind}")
    return state


def training_cells_for(bricks: str, augment: str = "paper", rows: int = 7, cols: int = 7) -> tuple[int, ...]:
    """The brick cells a network trained on ``bricks`` saw: with ``augment="paper"`` the images of
    every training cell under the paper's four flips (R2's D3 also gives D5), else the cells as given."""
    cells = BrickDistribution.parse(bricks, rows, cols).cells
    if augment == "none":
        return cells
    if augment != "paper":
        raise KerasImportError(f"unknown augmentation {augment!r}; use paper or none")
    return tuple(sorted({c for t in PAPER_FLIPS for c in transform_cells(t, cells, rows, cols)}))


def import_keras(path: str | os.PathLike, training_bricks: str | None = None, augment: str = "paper") -> Checkpoint:
    """Read a Keras AlphaZero file and return a :class:`Checkpoint` of the equivalent network.

    ``training_bricks`` defaults to the paper's distribution for the paper's three
    file names (``alphazero_baseline`` -> D4, ``alphazero_r2`` -> D3,D4,
    ``alphazero_r3`` -> C3,D3,D4); other files need it given.
    """
    path = Path(path)
    stem = path.stem.lower()
    if training_bricks is None:
        training_bricks = PAPER_TRAINING_BRICKS.get(stem)
        if training_bricks is None:
            raise KerasImportError(
                f"cannot tell which brick cells {path.name} was trained on; give them (e.g. --bricks D4 "
                "or --bricks D3,D4)"
            )
    model = read_keras_h5(path)
    config, roles = parse_architecture(model, str(path))
    state = convert_weights(model, config, roles, str(path))
    net = PolicyValueNet(config)
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as exc:  # pragma: no cover - parse_architecture checks the shapes' sources
        raise KerasImportError(f"{path}: converted weights do not fit: {exc}") from None
    cells = training_cells_for(training_bricks, augment, config.rows, config.cols)
    flips = "up/down and left/right flips (bttt.symmetry.PAPER_FLIPS)" if augment == "paper" else "none"
    return Checkpoint(
        net_config=config,
        state_dict=net.state_dict(),
        training_bricks=training_bricks,
        training_cells=cells,
        train_config=None,
        progress={},
        extra={
            "source": "keras",
            "keras_file": path.name,
            "keras_version": model.keras_version,
            "paper_architecture": config == PAPER,
            "augmentation": augment,
            "augmentation_note": f"training used {flips}; training_cells are every brick cell seen",
            "illegal_logit": -100.0,
            "reference": "Tan & Motani, arXiv 2207.05991 (GPL-3.0 weights, not redistributed)",
        },
    )
