"""Does DropNet's score rank units by what removing them costs? A check on trained networks.

DropNet removes the units with the lowest mean post-activation. On the MLP tasks it beats random
removal per layer; on the Fashion-MNIST CNNs it does not at high sparsity (docs/pruning.md). This
script asks why without another pruning run of its own: it rebuilds the network that
``reproduce_dropnet.py``'s ``min_layer`` arm trains at a chosen cycle (``--cycle 0`` is the dense
network; same seed, data and protocol; its test accuracy is checked against the stored row), then
scores every unit by

- ``dropnet``: mean post-activation on the training set (the paper's criterion; masks sit after the
  activation, before pooling);
- ``pooled``: the mean of the same map after the max-pool that follows it (CNNs only), i.e. what the
  next layer sees;
- ``magnitude``: the L2 norm of the unit's incoming weights;
- ``cost``: the training loss after removing that unit alone, minus the trained network's (the
  oracle's criterion: the ground truth of "what removing it costs", one unit at a time).

The summary gives, per task, cycle and layer, Spearman's rho of each score with the cost (over the
seeds: mean and 1.96 sd / sqrt(n)), and the mean cost of the 20% of units each score would remove
first, beside a random 20% (the mean over all units) and the cost's own lowest 20% (the floor).

    python scripts/dropnet_criterion_check.py run --tasks fashion-conv64,mnist5k-fc40 --seeds 0-4 --cycle 8
    python scripts/dropnet_criterion_check.py report

Results: ``docs/pruning/criterion_check_dropnet.csv`` (one row per task, seed, cycle and unit; a rerun
skips the finished networks) and ``criterion_check_dropnet.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from pruning_data import DataError
from pruning_repro import DOCS, CpuClock, UsageError, parse_list, parse_seeds
from reproduce_dropnet import TASKS, GreedyOracle, fit, load_data, make_model, metrics, paper_config, settings_for
from scipy import stats
from torch import nn

from pruning import IterativePruner, discover_units
from pruning.criteria import score_with

OUT = DOCS / "criterion_check_dropnet.csv"
FIELDS = ["task", "seed", "cycle", "units", "layer", "unit", "dropnet", "pooled", "magnitude", "cost", "test_acc"]
SCORES = ("dropnet", "pooled", "magnitude")
# the reproduction settings of the networks rebuilt here: (max epochs, Fashion samples per class)
TASK_SETTINGS = {
    "fashion-conv64": (30, (200, 100, 200)),
    "fashion-conv32-64": (30, (200, 100, 200)),
    "mnist5k-fc40": (100, (500, 100, 200)),
    "mnist5k-fc20": (100, (500, 100, 200)),
    "digits-fc40": (100, (500, 100, 200)),
    "digits-fc20": (100, (500, 100, 200)),
}


@torch.no_grad()
def pooled_means(model: nn.Module, x: torch.Tensor) -> list[torch.Tensor]:
    """Per-channel mean of every max-pool's output over ``x`` (in order of the pools)."""
    pools = [m for m in model.modules() if isinstance(m, nn.MaxPool2d)]
    sums = [0.0] * len(pools)

    def hook(i: int):
        def fn(_module, _inputs, out: torch.Tensor) -> None:
            sums[i] = sums[i] + out.flatten(2).mean(2).sum(0)

        return fn

    handles = [p.register_forward_hook(hook(i)) for i, p in enumerate(pools)]
    try:
        model.eval()
        for xb in x.split(500):
            model(xb)
    finally:
        for h in handles:
            h.remove()
    return [s / len(x) for s in sums]


def trained_network(task: str, seed: int, cycle: int, data) -> tuple[nn.Module, list]:
    """The network that ``reproduce_dropnet.py``'s ``min_layer`` arm has trained at ``cycle`` (0 = dense)."""
    max_epochs, _ = TASK_SETTINGS[task]
    _, kind, widths = TASKS[task]
    model = make_model(kind, widths, data.input_shape, seed)
    groups = discover_units(model, data.x_train[:1])
    cfg = {"lr": 0.1, "batch": 32, "max_epochs": max_epochs, "patience": 5}

    def train(m: nn.Module, info) -> None:
        torch.manual_seed(seed * 1000 + info.cycle)  # as reproduce_dropnet.run_one
        fit(m, data, cfg)

    config = paper_config("dropnet", "minimum_layer", seed, cycles=cycle)
    loader = list(data.x_train.split(500))
    res = IterativePruner(model, groups, train, lambda m: {}, loader, data.x_train[:1], config).run()
    if len(res.rows) != cycle + 1:
        raise UsageError(f"{task}: min_layer stops after cycle {len(res.rows) - 1}; choose a smaller --cycle")
    return res.model, list(res.groups)


def check_one(task: str, seed: int, cycle: int = 0) -> list[dict]:
    """Every unit's scores and removal cost in the ``min_layer`` network of ``task``/``seed`` at ``cycle``."""
    data = load_data(task, TASK_SETTINGS[task][1])
    model, groups = trained_network(task, seed, cycle, data)
    trained = metrics(model, data)
    drop = score_with("dropnet", model, groups, list(data.x_train.split(500)))
    mag = score_with("magnitude", model, groups)
    cost = GreedyOracle(data)(model, groups)
    conv = TASKS[task][1] == "conv"
    pooled = pooled_means(model, data.x_train) if conv else [None] * len(groups)
    units = sum(g.size for g in groups)
    rows = []
    for k, g in enumerate(groups):
        for u in range(g.size):
            rows.append(
                {
                    "task": task,
                    "seed": seed,
                    "cycle": cycle,
                    "units": units,
                    "layer": k + 1,
                    "unit": u,
                    "dropnet": float(drop[g.name][u]),
                    "pooled": "" if pooled[k] is None else float(pooled[k][u]),
                    "magnitude": float(mag[g.name][u]),
                    "cost": float(cost[g.name][u]) - trained["train_loss"],
                    "test_acc": trained["test_acc"],
                }
            )
    return rows


def stored_test_acc(task: str, seed: int, cycle: int) -> float | None:
    """The test accuracy of the ``min_layer`` arm at ``cycle`` in the reproduction's CSV, if stored."""
    path = DOCS / f"dropnet_{task}.csv"
    if not path.exists():
        return None
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            if r["arm"] == "min_layer" and int(r["seed"]) == seed and int(r["cycle"]) == cycle:
                return float(r["test_acc"])
    return None


def load_rows(path: Path = OUT) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


Key = tuple[str, int, int]  # (task, seed, cycle)


def _key(r: dict) -> Key:
    return r["task"], int(r["seed"]), int(r["cycle"])


def complete(rows: list[dict]) -> set[Key]:
    """The (task, seed, cycle) networks whose every unit is stored."""
    count: dict[Key, int] = {}
    for r in rows:
        count[_key(r)] = count.get(_key(r), 0) + 1
    units = {_key(r): int(r["units"]) for r in rows}
    return {k for k, n in count.items() if n == units[k]}


def run(tasks: list[str], seeds: list[int], cycle: int = 0, out: Path = OUT) -> None:
    settings_path = out.with_suffix(".settings.json")
    want = {
        t: settings_for(t, SimpleNamespace(max_epochs=TASK_SETTINGS[t][0], fashion=TASK_SETTINGS[t][1]), False)
        for t in TASK_SETTINGS
    }
    want = json.loads(json.dumps(want, sort_keys=True))
    if settings_path.exists():
        if json.loads(settings_path.read_text()) != want:
            raise UsageError(f"{out} was written with other settings; move it away to recompute")
    elif out.exists():
        raise UsageError(f"{out} exists without {settings_path.name}; bttt did not write it")
    else:
        settings_path.write_text(json.dumps(want, indent=1, sort_keys=True) + "\n")
        with open(out, "w", newline="") as f:
            csv.writer(f).writerow(FIELDS)
    for task in tasks:
        load_data(task, TASK_SETTINGS[task][1])  # fail on missing data before any work
    rows = load_rows(out)
    done = complete(rows)
    if len(done) < len({_key(r) for r in rows}):  # a run cut off while writing its rows
        with open(out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(r for r in rows if _key(r) in done)
    for task in tasks:
        for seed in seeds:
            if (task, seed, cycle) in done:
                print(f"{task} seed {seed} cycle {cycle}: already done", flush=True)
                continue
            with CpuClock() as clock:
                rows = check_one(task, seed, cycle)
            with open(out, "a", newline="") as f:
                csv.DictWriter(f, fieldnames=FIELDS).writerows(rows)
            ref, acc = stored_test_acc(task, seed, cycle), rows[0]["test_acc"]
            same = "" if ref is None else f", stored {ref:.4f} ({'same' if abs(ref - acc) < 1e-5 else 'DIFFERENT'})"
            print(f"{task} seed {seed} cycle {cycle}: test {acc:.4f}{same}, {clock.cpu:.0f} s CPU", flush=True)


def _mean_ci(xs: list[float], fmt: str = "+.2f") -> str:
    """Mean ± 1.96 sd / sqrt(n) over the seeds."""
    if not xs:
        return "-"
    h = 1.96 * float(np.std(xs, ddof=1)) / math.sqrt(len(xs)) if len(xs) > 1 else float("nan")
    return f"{float(np.mean(xs)):{fmt}} ± {h:.2f}"


def report(out: Path = OUT) -> str:
    rows = load_rows(out)
    done = complete(rows)
    by: dict[tuple, list[dict]] = {}
    for r in rows:
        if _key(r) in done:
            by.setdefault((r["task"], int(r["cycle"]), int(r["layer"])), []).append(r)
    lines = [
        "# Does DropNet's score rank units by their removal cost?",
        "",
        "Written by `scripts/dropnet_criterion_check.py report` from `criterion_check_dropnet.csv`.",
        "rho: Spearman's correlation of the score with the training-loss increase when that unit alone is removed",
        "(mean over seeds ± 1.96 sd / sqrt(n)). Cost of the lowest 20%: the mean removal cost (training loss, x 1000)",
        "of the 20% of the layer's units that the score ranks lowest; 'random' is the mean over all units (what a",
        "random 20% costs on average), 'oracle' ranks by the cost itself (the floor). Lower is better.",
        "",
        "| task | cycle | units left | layer | seeds | rho dropnet | rho pooled | rho magnitude "
        "| cost of the lowest 20%: dropnet | pooled | magnitude | random | oracle |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (task, cycle, layer), rs in sorted(by.items()):
        seeds = sorted({int(r["seed"]) for r in rs})
        units_frac = float(np.mean([int(r["units"]) for r in rs])) / sum(TASKS[task][2])
        rho = {s: [] for s in SCORES}
        low = {s: [] for s in (*SCORES, "random", "cost")}
        for seed in seeds:
            cur = [r for r in rs if int(r["seed"]) == seed]
            cost = np.array([float(r["cost"]) for r in cur])
            k = max(1, round(0.2 * len(cur)))
            for name in (*SCORES, "cost"):
                if cur[0][name] == "":
                    continue
                v = np.array([float(r[name]) for r in cur])
                if name != "cost":
                    rho[name].append(float(stats.spearmanr(v, cost).statistic))
                low[name].append(1000 * float(cost[np.argsort(v, kind="stable")[:k]].mean()))
            low["random"].append(1000 * float(cost.mean()))
        lines.append(
            f"| {task} | {cycle} | {units_frac:.3f} | {layer} | {len(seeds)} | "
            + " | ".join(_mean_ci(rho[s]) for s in SCORES)
            + " | "
            + " | ".join(_mean_ci(low[s]) for s in (*SCORES, "random", "cost"))
            + " |"
        )
    text = "\n".join(lines) + "\n"
    out.with_suffix(".md").write_text(text)
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--tasks", default="fashion-conv64,mnist5k-fc40")
    r.add_argument("--seeds", default="0-4")
    r.add_argument("--cycle", type=int, default=0, help="the min_layer arm's cycle to check (0 = the dense network)")
    sub.add_parser("report")
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # one core: the machine is shared
    try:
        if args.cmd == "run":
            if args.cycle < 0:
                raise UsageError(f"--cycle must be >= 0, got {args.cycle}")
            run(parse_list(args.tasks, list(TASK_SETTINGS), "task"), parse_seeds(args.seeds), args.cycle)
        print(report())
    except (UsageError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
