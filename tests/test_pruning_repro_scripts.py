"""The DropNet and SILO reproduction scripts end to end on tiny synthetic data: rows per cycle,
resume after an interruption to the same rows, finished runs skipped, other settings refused."""

from __future__ import annotations

import argparse
import csv
import itertools

import pytest
import torch
from script_modules import load_script_module

from pruning import silo_max_lr

data = load_script_module("pruning_data")
repro = load_script_module("pruning_repro")
dropnet = load_script_module("reproduce_dropnet")


def tiny_split(n_per_class: int = 6, shape=(1, 8, 8)) -> data.Split:
    g = torch.Generator().manual_seed(0)

    def part(n):
        y = torch.arange(10).repeat_interleave(n)
        x = torch.rand(len(y), *shape, generator=g) * 0.2
        x.view(len(y), -1)[torch.arange(len(y)), y] += 1.0  # a learnable pixel per class
        return x, y

    return data.Split("tiny", *part(n_per_class), *part(2), *part(2))


class Stop(Exception):
    pass


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_dropnet_run_resumes_exactly_and_refuses_other_settings(tmp_path, monkeypatch):
    monkeypatch.setattr(dropnet, "load_data", lambda task, fashion: tiny_split())
    monkeypatch.setattr(dropnet, "RUNS", tmp_path / "runs")
    args = argparse.Namespace(max_epochs=2, fashion=(1, 1, 1))
    settings = dropnet.settings_for("digits-fc20", args, oracle=False)

    def job(arm, out):
        return ("digits-fc20", arm, 0, out, settings, False, (1, 1, 1))

    full = tmp_path / "full.csv"
    assert "cycles" in dropnet.run_one(job("min", full))
    rows = _rows(full)
    arms = {r["arm"] for r in rows}
    assert arms == {"min", "reinit"}
    mins = [r for r in rows if r["arm"] == "min"]
    units = [int(r["units"]) for r in mins]
    assert units[0] == 40 and units == sorted(units, reverse=True) and units[-1] <= 4 < units[-2]
    assert all(int(r["units"]) == int(m["units"]) for r, m in zip(rows[0::2], mins, strict=True))

    real_fit, calls = dropnet.fit, []

    def flaky(model, split, cfg):
        calls.append(1)
        if len(calls) == 7:  # in the middle of cycle 3 (min, reinit, min, reinit, ...)
            raise Stop
        return real_fit(model, split, cfg)

    cut = tmp_path / "cut.csv"
    monkeypatch.setattr(dropnet, "fit", flaky)
    with pytest.raises(Stop):
        dropnet.run_one(job("min", cut))
    assert 0 < len(_rows(cut)) < len(rows)
    dropnet.run_one(job("min", cut))
    key = lambda r: (r["arm"], int(r["cycle"]))  # noqa: E731
    assert sorted(_rows(cut), key=key) == sorted(rows, key=key)
    assert dropnet.run_one(job("min", cut)).endswith("already done")
    for arm in ("random", "min_layer"):
        dropnet.run_one(job(arm, cut))
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "dropnet_digits-fc20.csv").write_text(cut.read_text())
    load_script_module("dropnet_report").write_report(docs)
    text = (docs / "dropnet_summary.md").read_text()
    assert "min - random" in text and "claims" in text and (docs / "dropnet_digits-fc20.png").exists()
    other = dict(settings, max_epochs=3)
    with pytest.raises(repro.UsageError, match="max_epochs"):
        dropnet.run_one(("digits-fc20", "min", 0, cut, other, False, (1, 1, 1)))


@pytest.mark.slow
def test_dropnet_max_and_oracle_arms(tmp_path, monkeypatch):
    monkeypatch.setattr(dropnet, "load_data", lambda task, fashion: tiny_split())
    monkeypatch.setattr(dropnet, "RUNS", tmp_path / "runs")
    monkeypatch.setitem(dropnet.TASKS, "digits-fc20", ("digits", "fc", (6, 4)))
    args = argparse.Namespace(max_epochs=1, fashion=(1, 1, 1))
    oracle_settings = dropnet.settings_for("digits-fc20", args, oracle=True)
    out = tmp_path / "oracle.csv"
    dropnet.run_one(("digits-fc20", "oracle", 1, out, oracle_settings, True, (1, 1, 1)))
    rows = _rows(out)
    assert [int(r["units"]) for r in rows] == list(range(10, 1, -1))  # one unit per cycle (never a layer's last)
    masks = [r["mask"] for r in rows]
    assert masks[0] == "1" * 10 and all(a.count("1") - b.count("1") == 1 for a, b in itertools.pairwise(masks))
    for arm in ("max", "random_layer"):
        dropnet.run_one(("digits-fc20", arm, 1, out, oracle_settings, True, (1, 1, 1)))
    assert {r["arm"] for r in _rows(out)} == {"oracle", "max", "random_layer"}


silo = load_script_module("reproduce_silo")


@pytest.mark.slow
def test_silo_calibrate_run_oracle_and_resume(tmp_path, monkeypatch):
    monkeypatch.setattr(silo, "load_data", lambda task, fashion: tiny_split(8, (1, 40)))
    monkeypatch.setattr(silo, "RUNS", tmp_path / "runs")
    monkeypatch.setitem(silo.TASKS, "mnist1d-mlp", ("mnist1d", "mlp", 1))
    monkeypatch.setattr(silo, "DENSE_GRID", (0.01, 0.1))
    monkeypatch.setattr(silo, "CALIBRATION_SEEDS", (100,))
    monkeypatch.setattr(silo, "CALIBRATION_CYCLES", (2,))
    monkeypatch.setattr(silo, "GRID", (0.5, 1.0, 2.0))
    monkeypatch.setattr(silo, "CYCLES", 3)
    monkeypatch.setattr(silo, "ORACLE_CYCLES", (2,))
    cal = silo.calibrate("mnist1d-mlp", (1, 1, 1), log=lambda s: None)
    assert cal["eta0"] in (0.01, 0.1) and cal["alpha"] >= 0 and len(cal["best_peaks"]) == 1
    settings = silo.settings_for("mnist1d-mlp", cal, (1, 1, 1))
    out = tmp_path / "silo_mnist1d-mlp.csv"
    for arm in silo.ARMS:
        silo.run_one(("mnist1d-mlp", arm, 0, out, settings, (1, 1, 1)))
    rows = _rows(out)
    by_arm = {a: [r for r in rows if r["arm"] == a] for a in {r["arm"] for r in rows}}
    assert set(by_arm) == set(silo.ARMS) | {"oracle_x0.5", "oracle_x1", "oracle_x2"}
    for arm in silo.ARMS:
        sp = [float(r["sparsity"]) for r in by_arm[arm]]
        assert sp[0] == 0 and sp == sorted(sp) and sp[-1] == pytest.approx(1 - 0.8**3, abs=0.01)
        assert all(float(r["grad_weight_ratio"]) > 0 for r in by_arm[arm])
    dense = {a: by_arm[a][0]["test_acc"] for a in silo.ARMS}
    assert len(set(dense.values())) == 1  # every arm shares the dense cycle 0
    peaks = {a: [float(r["max_lr"]) for r in by_arm[a]] for a in silo.ARMS}
    sp = [float(r["sparsity"]) for r in by_arm["silo_authors"]]
    assert peaks["silo_authors"][1:] == pytest.approx([silo_max_lr(x, 0.03, 0.04, 5) for x in sp[:-1]], rel=1e-5)
    assert peaks["lr_rewinding"] == pytest.approx([cal["dense_lr"]] * 4)
    assert [float(r["mult"]) for r in rows if r["arm"].startswith("oracle")] == [0.5, 1.0, 2.0]
    assert silo.run_one(("mnist1d-mlp", "slr", 0, out, settings, (1, 1, 1))).endswith("already done")
    silo.run_one(("mnist1d-mlp", "silo_calibrated", 1, out, settings, (1, 1, 1)))
    import json

    (tmp_path / "silo_mnist1d-mlp_calibration.json").write_text(json.dumps(cal))
    report = load_script_module("silo_report")
    report.write_report(tmp_path)
    text = (tmp_path / "silo_summary.md").read_text()
    assert "best interval" in text and "Spearman" in text and (tmp_path / "silo_mnist1d-mlp.png").exists()


crit = load_script_module("dropnet_criterion_check")


@pytest.mark.slow
def test_dropnet_criterion_check_against_direct_computation(tmp_path, monkeypatch):
    split = tiny_split(6, (1, 10, 10))
    for module in (crit, dropnet):
        monkeypatch.setattr(module, "load_data", lambda task, fashion: split)
    monkeypatch.setattr(crit, "DOCS", tmp_path)
    monkeypatch.setattr(dropnet, "RUNS", tmp_path / "runs")
    monkeypatch.setitem(crit.TASKS, "fashion-conv64", ("fashion", "conv", (3, 4)))
    monkeypatch.setitem(crit.TASK_SETTINGS, "fashion-conv64", (2, (1, 1, 1)))
    rows = crit.check_one("fashion-conv64", 0)
    assert [(int(r["layer"]), r["unit"]) for r in rows] == [(1, u) for u in range(3)] + [(2, u) for u in range(4)]
    # the same dense network, rebuilt here; every unit removed by zeroing its filter (ReLU(0) = 0)
    model = dropnet.make_model("conv", (3, 4), split.input_shape, 0)
    dropnet.fit(model, split, {"lr": 0.1, "batch": 32, "max_epochs": 2, "patience": 5})
    dense = dropnet.metrics(model, split)["train_loss"]
    assert rows[0]["test_acc"] == dropnet.metrics(model, split)["test_acc"]
    convs = [m for m in model if isinstance(m, torch.nn.Conv2d)]
    with torch.no_grad():
        pooled1 = model[:3](split.x_train).mean((0, 2, 3))
        for r in rows:
            conv = convs[r["layer"] - 1]
            saved = conv.weight[r["unit"]].clone(), conv.bias[r["unit"]].clone()
            conv.weight[r["unit"]] = 0
            conv.bias[r["unit"]] = 0
            assert r["cost"] == pytest.approx(dropnet.metrics(model, split)["train_loss"] - dense, abs=1e-6)
            conv.weight[r["unit"]], conv.bias[r["unit"]] = saved
        mean1 = model[:2](split.x_train).mean((0, 2, 3))
    assert [r["pooled"] for r in rows[:3]] == pytest.approx(pooled1.tolist(), abs=1e-6)
    assert [r["dropnet"] for r in rows[:3]] == pytest.approx(mean1.tolist(), abs=1e-6)

    # a later cycle is the min_layer arm's network: same size and test accuracy as the reproduction's row
    settings = dropnet.settings_for("fashion-conv64", argparse.Namespace(max_epochs=2, fashion=(1, 1, 1)), False)
    dropnet.run_one(
        ("fashion-conv64", "min_layer", 0, tmp_path / "dropnet_fashion-conv64.csv", settings, False, (1, 1, 1))
    )
    later = crit.check_one("fashion-conv64", 0, cycle=2)
    ref = next(r for r in _rows(tmp_path / "dropnet_fashion-conv64.csv") if r["cycle"] == "2")
    assert later[0]["units"] == len(later) == int(ref["units"]) < 7
    assert later[0]["test_acc"] == pytest.approx(float(ref["test_acc"]), abs=1e-6)
    assert crit.stored_test_acc("fashion-conv64", 0, 2) == float(ref["test_acc"])

    out = tmp_path / "check.csv"
    crit.run(["fashion-conv64"], [0, 1], 0, out)
    full = _rows(out)
    assert len(full) == 14 and crit.complete(full) == {("fashion-conv64", 0, 0), ("fashion-conv64", 1, 0)}
    out.write_text("".join(out.read_text().splitlines(keepends=True)[:-3]))  # cut off while writing seed 1
    crit.run(["fashion-conv64"], [0, 1], 0, out)
    assert sorted(map(str, _rows(out))) == sorted(map(str, full))
    assert "| fashion-conv64 | 0 | 1.000 | 1 | 2 |" in crit.report(out)
    monkeypatch.setitem(crit.TASK_SETTINGS, "fashion-conv64", (3, (1, 1, 1)))
    with pytest.raises(repro.UsageError, match="other settings"):
        crit.run(["fashion-conv64"], [0], 0, out)
