"""SILO (Liu, Ghosh, Tan & Motani, TMLR 2023) in its own regime, on offline data.

Iterative unstructured magnitude pruning (global, 20% of the remaining weights per cycle) of every
Linear/Conv weight, 18 cycles (to 1.8% of the weights), weights kept between cycles (no rewind);
each cycle retrains with SGD (momentum 0.9, weight decay 5e-4, batch 128), a new optimizer per
cycle. Every arm shares the dense cycle 0 (the SILO shape at the calibrated dense peak) and then
retrains each pruned network with its own schedule:

- ``lr_rewinding``: replay the dense cycle (the SILO shape at the dense peak);
- ``slr``: SLR at the dense peak; ``clr``: one-cycle at the dense peak;
- ``fine_tune``: constant at the dense cycle's final learning rate (peak / 100);
- ``silo_authors``: SILO with the authors' ResNet-20 constants (0.03, 0.04, 5);
- ``silo_calibrated``: SILO with eta0 and alpha calibrated on the validation split (``calibrate``).

The SILO shape restarts at 0, warms up linearly over 10% of the cycle's steps (a fixed count) and
steps down to peak/10 and peak/100 at 50% and 64% of the cycle (the authors' epochs 25 and 32 of 50).
The max-LR oracle retrains copies of the ``silo_calibrated`` network at 4 cycles with peaks
{0.5, ..., 3} x eta0; its best interval is the set of peaks not significantly worse than the best
(paired t-test across seeds, p >= 0.05). Every cycle logs the mean ratio ||grad|| / ||w|| over the
kept weights.

    python scripts/reproduce_silo.py calibrate --task mnist1d-mlp
    python scripts/reproduce_silo.py run --task mnist1d-mlp --seeds 0-4 [--workers 2]
    python scripts/reproduce_silo.py report
"""

from __future__ import annotations

import argparse
import copy
import json
import shutil
import sys
from functools import partial
from pathlib import Path

import torch
from pruning_data import LOADERS, DataError, Split
from pruning_repro import DOCS, RUNS, CpuClock, ResultStore, UsageError, parse_list, parse_seeds, run_jobs
from torch import nn

from pruning import IterativePruner, PruneConfig, Schedule, WeightMasker, prunable_weights

TASKS = {  # data set, model, epochs per cycle
    "mnist1d-mlp": ("mnist1d", "mlp", 20),
    "mnist1d-cnn": ("mnist1d", "cnn1d", 20),
    "fashion-cnn": ("fashion", "cnn2d", 6),
}
ARMS = ("lr_rewinding", "slr", "clr", "fine_tune", "silo_authors", "silo_calibrated")
GRID = (0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0)
ORACLE_CYCLES = (3, 7, 11, 16)  # sparsity 0.49, 0.79, 0.91, 0.97
CYCLES = 18
DENSE_GRID = (0.01, 0.02, 0.05, 0.1, 0.2, 0.4)
CALIBRATION_SEEDS = (100, 101)
CALIBRATION_CYCLES = (11, 16)  # alpha from the best validation peaks at sparsity 0.91 and 0.97
FIELDS = [
    "task",
    "arm",
    "seed",
    "cycle",
    "mult",
    "sparsity",
    "weights_frac",
    "max_lr",
    "train_loss",
    "train_acc",
    "val_loss",
    "val_acc",
    "test_loss",
    "test_acc",
    "grad_weight_ratio",
]


def make_model(kind: str, input_shape: tuple[int, ...], seed: int) -> nn.Module:
    """MLP 40-100-100-10 and a 3-layer 1-D CNN for MNIST-1D; a 2-layer CNN for Fashion-MNIST
    (PyTorch's default initialisation, seeded)."""
    torch.manual_seed(seed)
    if kind == "mlp":
        n = int(torch.tensor(input_shape).prod())
        return nn.Sequential(
            nn.Flatten(), nn.Linear(n, 100), nn.ReLU(), nn.Linear(100, 100), nn.ReLU(), nn.Linear(100, 10)
        )
    if kind == "cnn1d":
        length = input_shape[-1]
        return nn.Sequential(
            nn.Conv1d(1, 32, 5, padding=2),
            nn.ReLU(),
            nn.Conv1d(32, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(32, 32, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * ((length + 3) // 4), 10),
        )
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 7 * 7, 10),
    )


@torch.no_grad()
def _loss_acc(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch: int = 2000) -> tuple[float, float]:
    model.eval()
    loss = correct = 0.0
    for i in range(0, len(y), batch):
        out = model(x[i : i + batch])
        loss += float(nn.functional.cross_entropy(out, y[i : i + batch], reduction="sum"))
        correct += float((out.argmax(1) == y[i : i + batch]).sum())
    return loss / len(y), correct / len(y)


def metrics(model: nn.Module, data: Split) -> dict:
    out = {}
    for name, x, y in (
        ("train", data.x_train, data.y_train),
        ("val", data.x_val, data.y_val),
        ("test", data.x_test, data.y_test),
    ):
        out[f"{name}_loss"], out[f"{name}_acc"] = _loss_acc(model, x, y)
    return out


def train_cycle(model: nn.Module, data: Split, sched_fn, epochs: int, seed: int) -> float:
    """One retraining cycle (new SGD, momentum 0.9, wd 5e-4, batch 128, shuffled by ``seed``);
    returns the mean over steps of ||grad|| / ||w|| on the kept prunable weights."""
    opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9, weight_decay=5e-4)
    n, bs = len(data.y_train), 128
    steps = epochs * ((n + bs - 1) // bs)
    sched = sched_fn(opt, steps)
    g = torch.Generator().manual_seed(seed)
    weights = prunable_weights(model)
    ratios = []
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(n, generator=g).split(bs):
            opt.zero_grad(set_to_none=True)
            nn.functional.cross_entropy(model(data.x_train[idx]), data.y_train[idx]).backward()
            with torch.no_grad():
                gn = torch.sqrt(sum((w.grad.double() ** 2).sum() for w in weights.values()))
                wn = torch.sqrt(sum((w.double() ** 2).sum() for w in weights.values()))
                ratios.append(float(gn / wn))
            opt.step()
            sched.step()
    return sum(ratios) / len(ratios)


# ---------------------------------------------------------------- schedules of the arms
def schedule_for(arm: str, cal: dict, warmup_steps: int) -> Schedule:
    dense = cal["dense_lr"]
    common = {"dense_max_lr": dense, "shape": "steps", "warmup_steps": warmup_steps, "lag": 1}
    if arm == "lr_rewinding":
        return Schedule("lr_rewinding", max_lr=dense, **common)
    if arm in ("slr", "clr"):
        return Schedule(arm, max_lr=dense, **common)
    if arm == "fine_tune":
        return Schedule("fine_tune", fine_tune_lr=dense / 100, **common)
    if arm == "silo_authors":
        return Schedule("silo", eta0=0.03, alpha=0.04, beta=5.0, **common)
    return Schedule("silo", eta0=cal["eta0"], alpha=cal["alpha"], beta=5.0, **common)


def steps_per_cycle(data: Split, epochs: int) -> int:
    return epochs * ((len(data.y_train) + 127) // 128)


# ---------------------------------------------------------------- calibration (validation split only)
def calibrate(task: str, fashion: tuple[int, int, int], log=print) -> dict:
    """eta0 = the dense peak with the best validation accuracy (SILO shape, grid DENSE_GRID);
    alpha = (the best oracle peak on validation at sparsity ~0.91 and ~0.97 of an LR-rewinding
    trajectory) - eta0, averaged over the two sparsities; seeds CALIBRATION_SEEDS, never the test split."""
    _, kind, epochs = TASKS[task]
    data = load_data(task, fashion)
    warm = round(0.1 * steps_per_cycle(data, epochs))
    dense_scores = {}
    for lr in DENSE_GRID:
        accs = []
        for s in CALIBRATION_SEEDS:
            m = make_model(kind, data.input_shape, s)
            train_cycle(
                m,
                data,
                lambda o, n, lr=lr: Schedule(shape="steps", warmup_steps=warm).cycle_scheduler(o, n, lr),
                epochs,
                s,
            )
            accs.append(metrics(m, data)["val_acc"])
        dense_scores[lr] = sum(accs) / len(accs)
        log(f"calibrate {task}: dense peak {lr}: val acc {dense_scores[lr]:.4f}")
    eta0 = max(dense_scores, key=dense_scores.get)
    cal = {"dense_lr": eta0, "eta0": eta0, "alpha": 0.0}
    best_peaks = []
    for s in CALIBRATION_SEEDS:
        probe: dict[int, dict[float, float]] = {}

        def train(m, info, s=s, probe=probe):
            sched = schedule_for("lr_rewinding", cal, warm)
            if info.cycle in CALIBRATION_CYCLES:
                for mult in GRID:
                    c = copy.deepcopy(m)
                    WeightMasker(c, info.weight_masks)
                    train_cycle(
                        c,
                        data,
                        lambda o, n, mult=mult: sched.cycle_scheduler(o, n, mult * eta0),
                        epochs,
                        s * 100 + info.cycle,
                    )
                    probe.setdefault(info.cycle, {})[mult] = metrics(c, data)["val_acc"]
            train_cycle(m, data, lambda o, n: info.scheduler(o, n), epochs, s * 100 + info.cycle)

        config = PruneConfig(
            granularity="weights",
            criterion="magnitude",
            fraction=0.2,
            rewind="continue",
            cycles=max(CALIBRATION_CYCLES),
            seed=s,
            latency=False,
        )
        model = make_model(kind, data.input_shape, s)
        IterativePruner(
            model, None, train, lambda m: {}, None, data.x_train[:1], config, schedule_for("lr_rewinding", cal, warm)
        ).run()
        for c, res in probe.items():
            best_peaks.append(max(res, key=res.get) * eta0)
            log(f"calibrate {task}: seed {s} cycle {c}: val acc by peak x eta0 {res}")
    cal["alpha"] = max(0.0, sum(best_peaks) / len(best_peaks) - eta0)
    cal["dense_scores"] = {str(k): v for k, v in dense_scores.items()}
    cal["best_peaks"] = best_peaks
    return cal


# ---------------------------------------------------------------- one run
def load_data(task: str, fashion: tuple[int, int, int]) -> Split:
    dataset = TASKS[task][0]
    if dataset == "fashion":
        return LOADERS[dataset](train_per_class=fashion[0], val_per_class=fashion[1], test_per_class=fashion[2])
    return LOADERS[dataset]()


def run_one(job: tuple) -> str:
    task, arm, seed, out_csv, settings, fashion = job
    _, kind, epochs = TASKS[task]
    store = ResultStore(out_csv, settings, FIELDS)
    if (arm, seed) in store.finished():
        return f"{task} {arm} seed {seed}: already done"
    data = load_data(task, fashion)
    cal = settings["calibration"]
    warm = round(0.1 * steps_per_cycle(data, epochs))
    schedule = schedule_for(arm, cal, warm)
    state: dict = {}

    def row(cycle, m, masks, max_lr, ratio, arm_name, mult=""):
        kept = sum(int(v.sum()) for v in masks.values())
        total = sum(v.numel() for v in masks.values())
        return {
            "task": task,
            "arm": arm_name,
            "seed": seed,
            "cycle": cycle,
            "mult": mult,
            "sparsity": 1 - kept / total,
            "weights_frac": kept / total,
            "max_lr": max_lr,
            **metrics(m, data),
            "grad_weight_ratio": ratio,
        }

    def train(m: nn.Module, info) -> None:
        shuffle_seed = seed * 1000 + info.cycle
        if arm == "silo_calibrated" and info.cycle in ORACLE_CYCLES:
            for mult in GRID:
                key = (f"oracle_x{mult:g}", seed, info.cycle)
                if key in store.stored_keys():
                    continue
                c = copy.deepcopy(m)
                WeightMasker(c, info.weight_masks)  # a deep copy does not carry the gradient hooks
                peak = mult * cal["eta0"]
                r = train_cycle(
                    c, data, lambda o, n, peak=peak: schedule.cycle_scheduler(o, n, peak), epochs, shuffle_seed
                )
                store.append(row(info.cycle, c, info.weight_masks, peak, r, key[0], mult))
        state["ratio"] = train_cycle(m, data, lambda o, n: info.scheduler(o, n), epochs, shuffle_seed)
        state["cycle"], state["masks"], state["max_lr"] = info.cycle, info.weight_masks, info.max_lr

    def evaluate(m: nn.Module) -> dict:
        store.append(row(state["cycle"], m, state["masks"], state["max_lr"], state["ratio"], arm))
        return {}

    config = PruneConfig(
        granularity="weights",
        criterion="magnitude",
        scope="global",
        fraction=0.2,
        rewind="continue",
        cycles=CYCLES,
        seed=seed,
        latency=False,
    )
    work = RUNS / Path(out_csv).stem / f"{arm}-s{seed}"
    model = make_model(kind, data.input_shape, seed)
    with CpuClock() as clock:
        res = IterativePruner(
            model, None, train, evaluate, None, data.x_train[:1], config, schedule, checkpoint_dir=work
        ).run()
    store.finish(arm, seed, cycles=len(res.rows), cpu_s=round(clock.cpu, 1), stop=res.stop_reason)
    shutil.rmtree(work, ignore_errors=True)
    return f"{task} {arm} seed {seed}: {len(res.rows)} cycles, {clock.cpu:.0f} s CPU"


def settings_for(task: str, cal: dict, fashion) -> dict:
    dataset, kind, epochs = TASKS[task]
    s = {
        "protocol": "silo-regime/1",
        "task": task,
        "model": kind,
        "epochs_per_cycle": epochs,
        "batch": 128,
        "optimizer": "SGD momentum 0.9 wd 5e-4, new per cycle",
        "prune": "global magnitude, 20% of remaining per cycle",
        "cycles": CYCLES,
        "shape": "restart at 0, warmup 10% of steps, x0.1 at 50%, x0.01 at 64%",
        "calibration": {k: cal[k] for k in ("dense_lr", "eta0", "alpha")},
        "grid": list(GRID),
        "oracle_cycles": list(ORACLE_CYCLES),
    }
    if dataset == "fashion":
        s["fashion_per_class"] = list(fashion)
    return s


def calibration_path(task: str) -> Path:
    return DOCS / f"silo_{task}_calibration.json"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("calibrate", "run"):
        q = sub.add_parser(name)
        q.add_argument("--task", default="mnist1d-mlp", choices=list(TASKS))
        q.add_argument(
            "--fashion",
            type=int,
            nargs=3,
            default=(300, 100, 200),
            metavar=("TRAIN", "VAL", "TEST"),
            help="Fashion-MNIST samples per class (part of the settings)",
        )
        if name == "run":
            q.add_argument("--seeds", default="0-4")
            q.add_argument("--arms", default=",".join(ARMS))
            q.add_argument("--workers", type=int, default=1)
            q.add_argument("--out", type=Path, default=None, help="CSV (default docs/pruning/silo_<task>.csv)")
    r = sub.add_parser("report")
    r.add_argument("--docs", type=Path, default=DOCS)
    args = p.parse_args(argv)
    torch.set_num_threads(1)  # one core per process: the machine is shared
    try:
        if args.cmd == "report":
            from silo_report import write_report

            print(write_report(args.docs))
            return 0
        path = calibration_path(args.task)
        if args.cmd == "calibrate":
            if path.exists():
                raise UsageError(f"{path} exists; move it away to calibrate again")
            with CpuClock() as clock:
                cal = calibrate(args.task, tuple(args.fashion), log=partial(print, flush=True))
            cal["cpu_s"] = round(clock.cpu, 1)
            cal["fashion_per_class"] = list(args.fashion)
            path.write_text(json.dumps(cal, indent=1) + "\n")
            print(f"wrote {path}: dense/eta0 {cal['eta0']}, alpha {cal['alpha']:.4g} ({clock.cpu:.0f} s CPU)")
            return 0
        if not path.exists():
            raise UsageError(f"{path} is missing; run `reproduce_silo.py calibrate --task {args.task}` first")
        cal = json.loads(path.read_text())
        arms = parse_list(args.arms, ARMS, "arm")
        seeds = parse_seeds(args.seeds)
        out = args.out or DOCS / f"silo_{args.task}.csv"
        if out.suffix != ".csv":
            raise UsageError(f"--out must end in .csv, got {out}")
        settings = settings_for(args.task, cal, tuple(args.fashion))
        ResultStore(out, settings, FIELDS)
        jobs = [(args.task, a, s, out, settings, tuple(args.fashion)) for s in seeds for a in arms]
        run_jobs(jobs, run_one, args.workers, log=partial(print, flush=True))
    except (UsageError, DataError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
