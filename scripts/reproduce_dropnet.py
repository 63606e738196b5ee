"""DropNet (Tan & Motani, ICML 2020) with the paper's protocol, on offline data.

Protocol (the paper and the authors' notebook): ReLU; glorot-uniform weights, zero biases (Keras
defaults); plain SGD at lr 0.1, no momentum, no weight decay, no schedule; batch 32 in a fixed order
(the notebook fits with ``shuffle=False``); up to 100 epochs, early stopping on the validation loss
with patience 5 (no restoring of the best weights, as Keras' default); after every cycle the
survivors are rewound to the same theta0 and 20% of the remaining units are removed (at least one),
until at most 10% remain. Units are removed physically, which computes exactly what masks after the
activation (before pooling) compute.

Arms: ``min`` (DropNet, global), ``min_layer``, ``random``, ``random_layer``, ``max``, ``max_layer``;
``reinit`` is recorded inside the ``min`` run as in the notebook: every cycle, min's mask is also
trained from a fresh initialisation (seed + 20) instead of theta0. ``oracle`` compares, one unit per
cycle on FC20-20, the greedy oracle (remove the unit whose removal from the trained network raises
the training loss least, then retrain from theta0) with min, max and random_layer.

    python scripts/reproduce_dropnet.py run --task mnist5k-fc40 --seeds 0-14 [--workers 2]
    python scripts/reproduce_dropnet.py oracle --task mnist5k-fc20 --seeds 0-4
    python scripts/reproduce_dropnet.py report

Results: ``docs/pruning/dropnet_<task>.csv`` (one row per arm, seed and cycle, appended as cycles
finish; a rerun skips finished runs and resumes unfinished ones from ``runs/pruning_repro``; a
store written with other settings is refused), ``dropnet_summary.md`` and plots.
"""

from __future__ import annotations

import argparse
import copy
import shutil
import sys
from functools import partial
from pathlib import Path

import torch
from pruning_data import LOADERS, DataError, Split
from pruning_repro import DOCS, RUNS, CpuClock, ResultStore, UsageError, parse_list, parse_seeds, run_jobs
from torch import nn

from pruning import Criterion, IterativePruner, Masker, Negated, PruneConfig, discover_units, full_alive, shrink

TASKS = {
    "mnist5k-fc40": ("mnist5k", "fc", (40, 40)),
    "mnist5k-fc20": ("mnist5k", "fc", (20, 20)),
    "digits-fc40": ("digits", "fc", (40, 40)),
    "digits-fc20": ("digits", "fc", (20, 20)),
    "fashion-conv64": ("fashion", "conv", (64, 64)),
    "fashion-conv32-64": ("fashion", "conv", (32, 64)),
}
ARMS = {
    "min": ("dropnet", "minimum"),
    "min_layer": ("dropnet", "minimum_layer"),
    "random": ("random", "minimum"),
    "random_layer": ("random", "minimum_layer"),
    "max": ("max", "minimum"),
    "max_layer": ("max", "minimum_layer"),
}
ORACLE_ARMS = ("oracle", "min", "max", "random_layer")
FIELDS = [
    "task",
    "arm",
    "seed",
    "cycle",
    "units",
    "units_frac",
    "n1",
    "n2",
    "params",
    "epochs",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "test_loss",
    "test_acc",
    "mask",
]


# ---------------------------------------------------------------- models
def make_model(kind: str, widths: tuple[int, int], input_shape: tuple[int, ...], seed: int) -> nn.Module:
    """MLP "A" (FC k1 -> FC k2 -> 10) or CNN "B" (Conv c1 3x3 -> pool -> Conv c2 3x3 -> pool -> FC10),
    ReLU, valid padding, glorot-uniform weights and zero biases, seeded."""
    torch.manual_seed(seed)
    a, b = widths
    if kind == "fc":
        n_in = int(torch.tensor(input_shape).prod())
        net = nn.Sequential(nn.Flatten(), nn.Linear(n_in, a), nn.ReLU(), nn.Linear(a, b), nn.ReLU(), nn.Linear(b, 10))
    else:
        c, h, w = input_shape
        h2, w2 = ((h - 2) // 2 - 2) // 2, ((w - 2) // 2 - 2) // 2
        net = nn.Sequential(
            nn.Conv2d(c, a, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(a, b, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(b * h2 * w2, 10),
        )
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


# ---------------------------------------------------------------- training (the paper's protocol)
@torch.no_grad()
def _loss_acc(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> tuple[float, float]:
    model.eval()
    loss = correct = 0.0
    for i in range(0, len(y), batch):
        out = model(x[i : i + batch])
        loss += float(nn.functional.cross_entropy(out, y[i : i + batch], reduction="sum"))
        correct += float((out.argmax(1) == y[i : i + batch]).sum())
    return loss / len(y), correct / len(y)


def fit(model: nn.Module, data: Split, cfg: dict) -> int:
    """Plain SGD, fixed batch order, early stopping on validation loss; returns the epochs run."""
    opt = torch.optim.SGD(model.parameters(), lr=cfg["lr"])
    x, y, bs = data.x_train, data.y_train, cfg["batch"]
    best, wait = float("inf"), 0
    for epoch in range(1, cfg["max_epochs"] + 1):
        model.train()
        for i in range(0, len(y), bs):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(x[i : i + bs]), y[i : i + bs]).backward()
            opt.step()
        val_loss, _ = _loss_acc(model, data.x_val, data.y_val)
        if val_loss < best:
            best, wait = val_loss, 0
        else:
            wait += 1
            if wait >= cfg["patience"]:
                return epoch
    return cfg["max_epochs"]


def metrics(model: nn.Module, data: Split) -> dict:
    out = {}
    for name, x, y in (
        ("train", data.x_train, data.y_train),
        ("val", data.x_val, data.y_val),
        ("test", data.x_test, data.y_test),
    ):
        out[f"{name}_loss"], out[f"{name}_acc"] = _loss_acc(model, x, y)
    return out


class GreedyOracle(Criterion):
    """The paper's oracle as a criterion object: each unit's score is the training loss after
    removing it alone from the trained network (lowest = removed first, one per cycle)."""

    name = "oracle"

    def __init__(self, data: Split) -> None:
        self.data = data

    @torch.no_grad()
    def __call__(self, model, targets, loader=None, *, seed=0, max_batches=None):
        alive = full_alive(targets)
        masker = Masker(model, targets, alive)
        scores = {}
        try:
            for g in targets:
                s = torch.empty(g.size)
                for i in range(g.size):
                    alive[g.name][i] = False
                    masker.update(alive)
                    s[i] = _loss_acc(model, self.data.x_train, self.data.y_train)[0]
                    alive[g.name][i] = True
                scores[g.name] = s
        finally:
            masker.remove()
        return scores


# ---------------------------------------------------------------- one run
def paper_config(criterion, mode: str, seed: int, one_unit: bool = False, cycles: int = 10_000) -> PruneConfig:
    """The paper's pruning loop: 20% of the remaining units (or one unit) a cycle, physically removed, rewound
    to theta0, until at most 10% of the units remain (or after ``cycles`` pruning cycles)."""
    return PruneConfig(
        criterion=criterion,
        fraction=1e-9 if one_unit else 0.2,
        mode=mode,
        apply="shrink",
        rewind="init",
        cycles=cycles,
        target_units=0.1,
        seed=seed,
        latency=False,
    )


def settings_for(task: str, args, oracle: bool) -> dict:
    dataset, kind, widths = TASKS[task]
    s = {
        "protocol": "dropnet-paper/1",
        "task": task,
        "dataset": dataset,
        "model": kind,
        "widths": list(widths),
        "lr": 0.1,
        "batch": 32,
        "max_epochs": args.max_epochs,
        "patience": 5,
        "fraction": "one unit" if oracle else 0.2,
        "stop_units_frac": 0.1,
        "init": "glorot_uniform, zero bias",
        "reinit_seed": "seed + 20",
        "split_seed": 0,
    }
    if dataset == "fashion":
        s["fashion_per_class"] = list(args.fashion)
    return s


def load_data(task: str, fashion: tuple[int, int, int]) -> Split:
    dataset = TASKS[task][0]
    if dataset == "fashion":
        return LOADERS[dataset](train_per_class=fashion[0], val_per_class=fashion[1], test_per_class=fashion[2])
    return LOADERS[dataset]()


def run_one(job: tuple) -> str:
    """One (task, arm, seed) pruning run, resumable; rows go to the store as cycles finish."""
    task, arm, seed, out_csv, settings, oracle_mode, fashion = job
    _, kind, widths = TASKS[task]
    store = ResultStore(out_csv, settings, FIELDS)
    if (arm, seed) in store.finished():
        return f"{task} {arm} seed {seed}: already done"
    data = load_data(task, fashion)
    cfg = {"lr": settings["lr"], "batch": settings["batch"], "max_epochs": settings["max_epochs"], "patience": 5}
    model = make_model(kind, widths, data.input_shape, seed)
    groups = discover_units(model, data.x_train[:1])
    assert len(groups) == 2, groups
    full_groups = copy.deepcopy(groups)
    if arm == "oracle":
        criterion, mode = GreedyOracle(data), "minimum"
    else:
        name, mode = ARMS[arm]
        criterion = Negated("dropnet") if name == "max" else name
    state: dict = {}

    def row(cycle: int, alive, m: nn.Module, epochs: int, arm_name: str) -> dict:
        n1, n2 = (int(alive[g.name].sum()) for g in full_groups)
        total = sum(g.size for g in full_groups)
        mask = "".join("1" if b else "0" for g in full_groups for b in alive[g.name].tolist())
        return {
            "task": task,
            "arm": arm_name,
            "seed": seed,
            "cycle": cycle,
            "units": n1 + n2,
            "units_frac": (n1 + n2) / total,
            "n1": n1,
            "n2": n2,
            "params": sum(p.numel() for p in m.parameters()),
            "epochs": epochs,
            **metrics(m, data),
            "mask": mask if oracle_mode else "",
        }

    def train(m: nn.Module, info) -> None:
        torch.manual_seed(seed * 1000 + info.cycle)
        state["epochs"] = fit(m, data, cfg)
        state["cycle"], state["alive"] = info.cycle, info.alive
        if arm == "min" and not oracle_mode:  # reinit: min's mask from a fresh initialisation
            fresh = make_model(kind, widths, data.input_shape, seed + 20)
            shrink(fresh, full_groups, info.alive)
            torch.manual_seed(seed * 1000 + info.cycle)
            ep = fit(fresh, data, cfg)
            store.append(row(info.cycle, info.alive, fresh, ep, "reinit"))

    def evaluate(m: nn.Module) -> dict:
        store.append(row(state["cycle"], state["alive"], m, state["epochs"], arm))
        return {}

    config = paper_config(criterion, mode, seed, one_unit=oracle_mode)
    work = RUNS / Path(out_csv).stem / f"{arm}-s{seed}"
    with CpuClock() as clock:
        res = IterativePruner(
            model,
            groups,
            train,
            evaluate,
            list(data.x_train.split(500)),
            data.x_train[:1],
            config,
            None,
            checkpoint_dir=work,
        ).run()
    store.finish(arm, seed, cycles=len(res.rows), cpu_s=round(clock.cpu, 1), stop=res.stop_reason)
    shutil.rmtree(work, ignore_errors=True)  # the rows are stored; the checkpoints are no longer needed
    return f"{task} {arm} seed {seed}: {len(res.rows)} cycles, {clock.cpu:.0f} s CPU"


# ---------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "oracle"):
        q = sub.add_parser(name)
        q.add_argument("--task", default="mnist5k-fc20" if name == "oracle" else "mnist5k-fc40", choices=list(TASKS))
        q.add_argument("--seeds", default="0-14" if name == "run" else "0-4")
        q.add_argument("--arms", default=",".join(ARMS if name == "run" else ORACLE_ARMS))
        q.add_argument("--workers", type=int, default=1)
        q.add_argument("--max-epochs", type=int, default=100, help="the paper's cap is 100 (part of the settings)")
        q.add_argument(
            "--fashion",
            type=int,
            nargs=3,
            default=(500, 100, 200),
            metavar=("TRAIN", "VAL", "TEST"),
            help="Fashion-MNIST samples per class (part of the settings)",
        )
        q.add_argument("--out", type=Path, default=None, help="CSV (default docs/pruning/dropnet_<task>.csv)")
    r = sub.add_parser("report")
    r.add_argument("--docs", type=Path, default=DOCS)
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # one core per process: the machine is shared
    try:
        if args.cmd == "report":
            from dropnet_report import write_report

            print(write_report(args.docs))
            return 0
        oracle_mode = args.cmd == "oracle"
        arms = parse_list(args.arms, ORACLE_ARMS if oracle_mode else list(ARMS), "arm")
        seeds = parse_seeds(args.seeds)
        suffix = "_oracle" if oracle_mode else ""
        out = args.out or DOCS / f"dropnet_{args.task}{suffix}.csv"
        if out.suffix != ".csv":
            raise UsageError(f"--out must end in .csv, got {out}")
        settings = settings_for(args.task, args, oracle_mode)
        ResultStore(out, settings, FIELDS)  # validate settings before any work
        load_data(args.task, tuple(args.fashion))  # and the data
        jobs = [(args.task, a, s, out, settings, oracle_mode, tuple(args.fashion)) for s in seeds for a in arms]
        run_jobs(jobs, run_one, args.workers, log=partial(print, flush=True))
    except (UsageError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
