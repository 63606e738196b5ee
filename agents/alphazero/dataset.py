"""Datasets of self-play positions (for pruning and offline analysis).

An ``.npz`` file (``numpy.savez_compressed``) with:

==============  ======================  ==========================================================
key             dtype, shape            meaning
==============  ======================  ==========================================================
``planes``      uint8 (N, 3, R, C)      input planes from the side to move's view: own stones,
                                        opponent stones, bricks (0/1; cast to float32 for a net)
``masks``       bool (N, R*C)           legal moves
``policy``      float32 (N, R*C)        search policy: root visit counts / their sum
``value``       float32 (N,)            final outcome for the side to move (+1, 0, -1)
``layout``      int16 (N,)              index into ``layouts``
``layouts``     str (L,)                brick layout names (``"D4"``, ``"D3+E5"``, ``"none"``)
``format``      str ()                  ``"bttt-selfplay-dataset"``; ``version`` int ()
``bricks``      str ()                  training brick distribution spec; ``rows``, ``cols`` int ()
==============  ======================  ==========================================================
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from bttt.errors import BtttError
from bttt.layouts import BrickDistribution, layout_name

FORMAT = "bttt-selfplay-dataset"
VERSION = 1
ARRAYS = ("planes", "masks", "policy", "value", "layout")


class DatasetError(BtttError):
    """A dataset file that cannot be written or read."""


def save_dataset(path: str | os.PathLike, arrays: dict[str, np.ndarray], bricks: str, rows: int, cols: int) -> int:
    """Write positions (``ARRAYS`` keys) to ``path``; returns the number of positions."""
    dist = BrickDistribution.parse(bricks, rows, cols)
    n = len(arrays["value"])
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path, planes=arrays["planes"].astype(np.uint8), masks=arrays["masks"].astype(bool),
        policy=arrays["policy"].astype(np.float32), value=arrays["value"].astype(np.float32),
        layout=arrays["layout"].astype(np.int16),
        layouts=np.array([layout_name(lay, rows, cols) for lay in dist.layouts]),
        format=np.array(FORMAT), version=np.array(VERSION), bricks=np.array(bricks),
        rows=np.array(rows), cols=np.array(cols),
    )
    return n


def export_dataset(checkpoint: str | os.PathLike, path: str | os.PathLike) -> int:
    """Write the replay buffer stored in a training checkpoint to ``path``."""
    from agents.alphazero.checkpoint import load_checkpoint
    from agents.alphazero.replay import ReplayBuffer

    ckpt = load_checkpoint(checkpoint)
    if "replay" not in ckpt.extra:
        raise DatasetError(f"{checkpoint} holds no replay buffer; export from a run's checkpoint.pt")
    buf = ReplayBuffer.from_state_dict(ckpt.extra["replay"])
    cfg = ckpt.train_config or {}
    return save_dataset(path, buf.contents(), ckpt.training_bricks or "none", int(cfg.get("rows", buf.rows)),
                        int(cfg.get("cols", buf.cols)))


def load_dataset(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read and check a dataset; planes come back as float32. Raises :class:`DatasetError`."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"no dataset at {path}: create one with 'bttt train ... --export-dataset {path}'")
    try:
        with np.load(path, allow_pickle=False) as data:
            d = {k: data[k] for k in data.files}
    except Exception as exc:  # noqa: BLE001 - numpy raises many types for a damaged file
        raise DatasetError(f"cannot read dataset {path}: {type(exc).__name__}: {exc}") from None
    if str(d.get("format", "")) != FORMAT:
        raise DatasetError(f"{path} is not a bttt self-play dataset (no format tag {FORMAT!r})")
    missing = [k for k in ARRAYS if k not in d]
    if missing:
        raise DatasetError(f"dataset {path} lacks {', '.join(missing)}")
    n = len(d["value"])
    rows, cols = int(d["rows"]), int(d["cols"])
    shapes = {"planes": (n, 3, rows, cols), "masks": (n, rows * cols), "policy": (n, rows * cols), "layout": (n,)}
    for k, shape in shapes.items():
        if d[k].shape != shape:
            raise DatasetError(f"dataset {path}: {k} has shape {d[k].shape}, expected {shape}")
    d["planes"] = d["planes"].astype(np.float32)
    return d
