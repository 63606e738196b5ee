"""AlphaZero checkpoints: weights, architecture, training bricks, progress and resume state in one file.

The file is a ``torch.save`` dict tagged ``format = "bttt-alphazero"`` and a
format version. It is written atomically (temporary file in the same folder,
fsync, ``os.replace``) so an interrupted save never leaves a half-written
checkpoint behind, and it is read with ``torch.load(weights_only=True)``, so a
checkpoint can hold only tensors, numbers, strings and containers: numpy arrays
(replay buffers, RNG states) are stored as tensors and come back as numpy arrays.
Anything that cannot be loaded (missing, truncated, random bytes, a Keras file,
missing keys, weights that do not fit the configuration) raises
:class:`CheckpointError` saying what is wrong and what to do.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from agents.alphazero.network import NetConfig, PolicyValueNet
from bttt.errors import BtttError
from bttt.paths import atomic_write

FORMAT = "bttt-alphazero"
VERSION = 1
REQUIRED_KEYS = (
    "format",
    "version",
    "net_config",
    "state_dict",
    "training_bricks",
    "training_cells",
    "train_config",
    "progress",
    "extra",
)
_NUMPY_TAG = "__bttt_numpy__"


class CheckpointError(BtttError):
    """A checkpoint that cannot be written or read, with the reason and the fix."""


@dataclass
class Checkpoint:
    """Everything a trained network needs to play, be evaluated, pruned or resumed.

    ``training_bricks`` is a :class:`bttt.BrickDistribution` spec ("D4", "D3,D4",
    "random"); ``training_cells`` the brick cells the network actually saw
    (augmentation can add cells), declared by the agent.
    """

    net_config: NetConfig
    state_dict: dict
    training_bricks: str | None = None
    training_cells: tuple[int, ...] | None = None
    train_config: dict | None = None
    progress: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_net(cls, net: PolicyValueNet, **kwargs) -> Checkpoint:
        """A checkpoint of ``net``'s current weights (copied to CPU)."""
        state = {k: v.detach().to("cpu").clone() for k, v in net.state_dict().items()}
        return cls(net_config=net.config, state_dict=state, **kwargs)

    def build_net(self, device: str | torch.device = "cpu") -> PolicyValueNet:
        """The network with these weights, in eval mode, on ``device``."""
        from agents.alphazero.evaluator import resolve_device

        net = PolicyValueNet(self.net_config)
        _load_weights(net, self.state_dict, "this checkpoint")
        return net.to(resolve_device(device)).eval()


def save_checkpoint(path: str | os.PathLike, ckpt: Checkpoint) -> None:
    """Write ``ckpt`` to ``path`` atomically (creates the parent folder)."""
    path = Path(path)
    cells = None if ckpt.training_cells is None else [int(c) for c in ckpt.training_cells]
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "net_config": ckpt.net_config.to_dict(),
        "state_dict": {k: v.detach().to("cpu") for k, v in ckpt.state_dict.items()},
        "training_bricks": ckpt.training_bricks,
        "training_cells": cells,
        "train_config": _encode(ckpt.train_config, "train_config"),
        "progress": _encode(dict(ckpt.progress), "progress"),
        "extra": _encode(dict(ckpt.extra), "extra"),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    atomic_write(path, buffer.getvalue())


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read and validate a checkpoint; any problem raises :class:`CheckpointError`."""
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}: check the path (or train one with 'bttt train')")
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder, not a checkpoint file")
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(b"\x89HDF"):
        raise CheckpointError(
            f"{path} is a Keras HDF5 file, not a bttt checkpoint; convert it first with "
            f"'bttt import-keras {path} --out {path.with_suffix('.pt')}'"
        )
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - torch raises many types for a damaged file
        raise CheckpointError(
            f"cannot read checkpoint {path}: the file is truncated, corrupt or not a PyTorch file "
            f"({type(exc).__name__}: {_short(exc)}); re-save it or use another checkpoint"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(
            f"{path} is a PyTorch file but not a bttt AlphaZero checkpoint (no format tag {FORMAT!r}); "
            "checkpoints are written by 'bttt train', 'bttt import-keras' or save_checkpoint()"
        )
    version = payload.get("version")
    if not isinstance(version, int) or version > VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format version {version!r}; this bttt reads versions up to {VERSION}: upgrade bttt"
        )
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise CheckpointError(f"checkpoint {path} is incomplete: missing {', '.join(missing)}; re-save it")
    try:
        config = NetConfig.from_dict(payload["net_config"])
    except (BtttError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} has an invalid network configuration: {exc}") from None
    state_dict = payload["state_dict"]
    if not isinstance(state_dict, dict) or not all(isinstance(v, torch.Tensor) for v in state_dict.values()):
        raise CheckpointError(f"checkpoint {path}: 'state_dict' is not a dict of tensors; re-save it")
    _load_weights(PolicyValueNet(config), state_dict, f"checkpoint {path}")
    broken = sorted(k for k, v in state_dict.items() if v.is_floating_point() and not bool(torch.isfinite(v).all()))
    if broken:
        raise CheckpointError(
            f"checkpoint {path} holds weights that are not finite numbers (NaN or infinity) in {_few(broken)}; "
            "the training diverged or the file was damaged: use an earlier checkpoint"
        )
    cells = payload["training_cells"]
    if cells is not None and (not isinstance(cells, list) or not all(isinstance(c, int) for c in cells)):
        raise CheckpointError(f"checkpoint {path}: its training cells {cells!r} are not a list of cell indices")
    if payload["training_bricks"] is not None and not isinstance(payload["training_bricks"], str):
        raise CheckpointError(f"checkpoint {path}: its training bricks are not a layout text; re-save it")
    for key in ("train_config", "progress", "extra"):
        if payload[key] is not None and not isinstance(payload[key], dict):
            raise CheckpointError(f"checkpoint {path}: its {key} is not a dict; re-save it")
    return Checkpoint(
        net_config=config,
        state_dict=state_dict,
        training_bricks=payload["training_bricks"],
        training_cells=None if cells is None else tuple(int(c) for c in cells),
        train_config=_decode(payload["train_config"]),
        progress=_decode(payload["progress"]) or {},
        extra=_decode(payload["extra"]) or {},
    )


def is_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a readable bttt AlphaZero checkpoint (bttt may replace only files it made)."""
    try:
        load_checkpoint(path)
    except CheckpointError:
        return False
    return True


def _load_weights(net: PolicyValueNet, state_dict: dict, where: str) -> None:
    """``net.load_state_dict(strict)`` with a readable error listing what does not fit."""
    own = net.state_dict()
    missing = sorted(set(own) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(own))
    wrong = sorted(k for k in set(own) & set(state_dict) if tuple(own[k].shape) != tuple(state_dict[k].shape))
    if missing or unexpected or wrong:
        parts = []
        if missing:
            parts.append(f"missing weights {_few(missing)}")
        if unexpected:
            parts.append(f"unexpected weights {_few(unexpected)}")
        if wrong:
            parts.append(
                "wrong shapes " + _few([f"{k} {tuple(state_dict[k].shape)} vs {tuple(own[k].shape)}" for k in wrong])
            )
        raise CheckpointError(
            f"{where}: the weights do not match its network configuration ({'; '.join(parts)}); "
            "the file was edited or written by an incompatible version"
        )
    net.load_state_dict(state_dict, strict=True)


def _encode(obj: Any, where: str) -> Any:
    """Make ``obj`` loadable with weights_only=True: numpy arrays/scalars -> tensors/Python numbers."""
    if obj is None or isinstance(obj, bool | int | float | str | bytes | torch.Tensor):
        return obj
    if isinstance(obj, np.ndarray):
        if obj.dtype == object:
            raise CheckpointError(f"cannot store an object array in a checkpoint ({where})")
        return {_NUMPY_TAG: torch.from_numpy(np.ascontiguousarray(obj))}
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, dict):
        return {k: _encode(v, f"{where}.{k}") for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        items = [_encode(v, f"{where}[{i}]") for i, v in enumerate(obj)]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, Path):
        return str(obj)
    raise CheckpointError(
        f"cannot store {type(obj).__name__} at {where} in a checkpoint: use numbers, strings, lists, "
        "dicts, tensors or numpy arrays"
    )


def _decode(obj: Any) -> Any:
    if isinstance(obj, dict):
        if len(obj) == 1 and _NUMPY_TAG in obj:
            return obj[_NUMPY_TAG].numpy()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_decode(v) for v in obj)
    return obj


def _few(items: list[str], n: int = 4) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no detail"
