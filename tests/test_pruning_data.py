"""The offline data loaders and the resumable result store of the pruning reproductions (scripts/),
on tiny synthetic files: nothing here downloads or needs the Debian Fashion-MNIST package."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
import torch
from script_modules import load_script_module

data = load_script_module("pruning_data")
repro = load_script_module("pruning_repro")


def _write_idx(path, arr: np.ndarray, compress: bool = True) -> None:
    head = bytes([0, 0, 0x08, arr.ndim]) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    raw = head + arr.astype(np.uint8).tobytes()
    (gzip.open if compress else open)(path, "wb").write(raw)


def _fake_fashion(root, n_train: int = 12, n_test: int = 5) -> None:
    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for (img, lab), n in zip(data.FASHION_FILES.values(), (n_train, n_test), strict=True):
        y = np.repeat(np.arange(10), n)
        x = rng.integers(0, 256, size=(10 * n, 28, 28))
        x[:, 0, 0] = y  # label written into a pixel, to check images and labels stay paired
        _write_idx(root / img, x)
        _write_idx(root / lab, y)


def test_stratified_indices_take_the_same_count_of_every_class():
    y = np.repeat(np.arange(4), [10, 12, 9, 30])
    a, b, c = data.stratified_indices(y, (5, 2, 2), seed=3)
    for part, n in ((a, 5), (b, 2), (c, 2)):
        assert np.bincount(y[part], minlength=4).tolist() == [n] * 4
    assert not (set(a) & set(b)) and not (set(a) & set(c)) and not (set(b) & set(c))
    again = data.stratified_indices(y, (5, 2, 2), seed=3)
    assert all(np.array_equal(p, q) for p, q in zip((a, b, c), again, strict=True))
    with pytest.raises(data.DataError, match="class 2 has 9"):
        data.stratified_indices(y, (5, 3, 2), seed=0)


def test_read_idx_gzipped_and_plain(tmp_path):
    arr = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    _write_idx(tmp_path / "a.gz", arr)
    _write_idx(tmp_path / "b", arr, compress=False)
    assert np.array_equal(data.read_idx(tmp_path / "a.gz"), arr)
    assert np.array_equal(data.read_idx(tmp_path / "b"), arr)
    (tmp_path / "bad").write_bytes(b"\x00\x00\x0d\x01\x00\x00\x00\x01\x00")
    with pytest.raises(data.DataError, match="not an unsigned-byte IDX"):
        data.read_idx(tmp_path / "bad")


def test_fashion_loader_on_tiny_idx_files(tmp_path):
    _fake_fashion(tmp_path / "fm")
    s = data.load_fashion(tmp_path / "fm", train_per_class=6, val_per_class=3, test_per_class=4)
    assert s.sizes == (60, 30, 40) and s.input_shape == (1, 28, 28) and s.classes == 10
    for x, y in ((s.x_train, s.y_train), (s.x_val, s.y_val), (s.x_test, s.y_test)):
        assert x.dtype == torch.float32 and float(x.min()) >= 0 and float(x.max()) <= 1
        assert torch.equal((x[:, 0, 0, 0] * 255).round().long(), y)  # images stay with their labels
        assert torch.bincount(y).tolist() == [len(y) // 10] * 10
    with pytest.raises(data.DataError, match="apt-get install -y dataset-fashion-mnist"):
        data.load_fashion(tmp_path / "nowhere")


def test_mnist5k_split_on_synthetic_arrays():
    rng = np.random.default_rng(1)
    y = np.repeat(np.arange(10), 20)
    x = rng.integers(0, 256, size=(200, 784)).astype(float)
    s = data.load_mnist5k(arrays=(x, y))
    assert s.sizes == (140, 20, 40) and s.input_shape == (1, 28, 28)
    assert float(s.x_train.max()) <= 1.0
    assert torch.bincount(s.y_val).tolist() == [2] * 10


def test_digits_loader_is_offline_and_stratified():
    s = data.load_digits()
    assert s.sizes == (1200, 180, 360) and s.input_shape == (1, 8, 8)
    assert torch.bincount(s.y_test).tolist() == [36] * 10 and float(s.x_train.max()) == 1.0


def test_mnist1d_is_generated_locally():
    state = np.random.get_state()
    s = data.load_mnist1d(num_samples=200, val_per_class=2)
    assert s.sizes == (140, 20, 40) and s.input_shape == (1, 40)
    assert torch.bincount(s.y_val).tolist() == [2] * 10
    assert np.array_equal(np.random.get_state()[1], state[1])  # numpy's global generator is left alone
    again = data.load_mnist1d(num_samples=200, val_per_class=2)
    assert torch.equal(s.x_train, again.x_train)


def test_result_store_dedupes_records_runs_and_refuses_other_settings(tmp_path):
    fields = ["arm", "seed", "cycle", "acc"]
    store = repro.ResultStore(tmp_path / "r.csv", {"lr": 0.1}, fields)
    assert store.append({"arm": "min", "seed": 0, "cycle": 0, "acc": 0.5})
    assert not store.append({"arm": "min", "seed": 0, "cycle": 0, "acc": 0.9})  # already stored
    store.finish("min", 0, cpu_s=1.5)
    again = repro.ResultStore(tmp_path / "r.csv", {"lr": 0.1}, fields)
    assert [r["acc"] for r in again.rows()] == ["0.5"] and again.finished()[("min", 0)]["cpu_s"] == 1.5
    with pytest.raises(repro.UsageError, match=r"lr: 0.1 -> 0.2"):
        repro.ResultStore(tmp_path / "r.csv", {"lr": 0.2}, fields)
    (tmp_path / "other.csv").write_text("x\n")
    with pytest.raises(repro.UsageError, match="did not write it"):
        repro.ResultStore(tmp_path / "other.csv", {"lr": 0.1}, fields)
    with pytest.raises(KeyError):
        store.append({"arm": "a", "seed": 1, "cycle": 0, "loss": 1.0})


def test_paired_statistics():
    a = {0: 0.9, 1: 0.8, 2: 0.85, 3: 0.95}
    b = {0: 0.85, 1: 0.8, 2: 0.8, 3: 0.9, 9: 0.1}
    r = repro.paired(a, b)
    d = np.array([0.05, 0.0, 0.05, 0.05])
    assert r["n"] == 4 and r["mean"] == pytest.approx(d.mean()) and r["sd"] == pytest.approx(d.std(ddof=1))
    assert r["ci196"] == pytest.approx(1.96 * d.std(ddof=1) / 2)
    from scipy import stats

    assert r["p"] == pytest.approx(stats.ttest_rel([0.9, 0.8, 0.85, 0.95], [0.85, 0.8, 0.8, 0.9]).pvalue)
    assert repro.parse_seeds("0-2,5") == [0, 1, 2, 5]
    with pytest.raises(repro.UsageError):
        repro.parse_seeds("a-b")
