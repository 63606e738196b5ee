"""DropNet and SILO on scikit-learn's digits (shipped with scikit-learn: no download).

Reproduces every CSV and plot under docs/pruning/:

    nice -n 10 .venv/bin/python scripts/pruning_experiments.py            # all, 3 seeds
    nice -n 10 .venv/bin/python scripts/pruning_experiments.py --quick    # smoke run

Experiments (an MLP 64-128-128-10 and a small CNN with BatchNorm, several seeds each):
  criteria   DropNet against random, weight-magnitude and APoZ pruning: 20% of the remaining
             units per cycle (global "minimum"), rewind to the initial weights, LR rewinding.
  schedules  DropNet under SILO against LR rewinding, one-cycle and fine-tuning: weights continue
             between cycles, only the learning-rate schedule restarts.
  maxlr      the max_lr oracle (grid search of the peak per cycle) against SILO's choice (MLP).
  greedy     one-shot removal order: the greedy oracle against DropNet/magnitude/random (MLP).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from pruning import (
    CycleInfo,
    IterativePruner,
    Masker,
    MaxLrOracle,
    PruneConfig,
    Schedule,
    discover_units,
    full_alive,
    greedy_oracle,
    score_units,
    select_removal,
)
from pruning.report import plot_metric, summarise, write_csv

OUT = Path(__file__).resolve().parents[1] / "docs" / "pruning"


def load_digits_split(seed: int = 0):
    """Digits scaled to [0, 1]; a fixed 1197/300/300 train/validation/test split."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = torch.tensor(d.data / 16.0, dtype=torch.float32)
    y = torch.tensor(d.target, dtype=torch.long)
    perm = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    x, y = x[perm], y[perm]
    return (x[:1197], y[:1197]), (x[1197:1497], y[1197:1497]), (x[1497:], y[1497:])


def make_mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 128), nn.ReLU(), nn.Linear(128, 10))


class SmallCNN(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1, bias=False),
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1, bias=False),
            nn.BatchNorm2d(32),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 16, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.features(x.view(-1, 1, 8, 8))


MODELS = {"mlp": make_mlp, "cnn": SmallCNN}


class Task:
    """Training and evaluation closures for one model/seed."""

    def __init__(self, data, epochs: int, retrain_epochs: int, seed: int) -> None:
        (self.xtr, self.ytr), (self.xva, self.yva), (self.xte, self.yte) = data
        self.epochs, self.retrain_epochs, self.seed = epochs, retrain_epochs, seed
        self.score_loader = [self.xtr[i : i + 256] for i in range(0, len(self.xtr), 256)]

    def train(self, model: nn.Module, info, epochs: int | None = None) -> None:
        if epochs is None:
            epochs = self.epochs if info.cycle == 0 else self.retrain_epochs
        g = torch.Generator().manual_seed(self.seed * 1000 + info.cycle)
        opt = torch.optim.SGD(model.parameters(), lr=0.0, momentum=0.9, weight_decay=5e-4)
        n = len(self.ytr)
        steps = epochs * ((n + 63) // 64)
        sched = info.scheduler(opt, steps)
        model.train()
        for epoch in range(1, epochs + 1):
            perm = torch.randperm(n, generator=g)
            for i in range(0, n, 64):
                idx = perm[i : i + 64]
                opt.zero_grad()
                nn.functional.cross_entropy(model(self.xtr[idx]), self.ytr[idx]).backward()
                opt.step()
                sched.step()
            info.epoch_end(model, epoch)

    @torch.no_grad()
    def evaluate(self, model: nn.Module) -> dict:
        model.eval()
        out = {}
        for name, x, y in (("train", self.xtr, self.ytr), ("val", self.xva, self.yva), ("test", self.xte, self.yte)):
            logits = model(x)
            out[f"{name}_acc"] = float((logits.argmax(1) == y).float().mean())
            out[f"{name}_loss"] = float(nn.functional.cross_entropy(logits, y))
        return out


def run_one(model_name, seed, data, args, criterion, schedule, rewind, method, train_fn=None):
    torch.manual_seed(seed)
    model = MODELS[model_name]()
    # rewinding to the initial weights retrains from scratch: full epochs every cycle
    retrain = args.epochs if rewind == "init" else args.retrain_epochs
    task = Task(data, args.epochs, retrain, seed)
    groups = discover_units(model, data[0][0][:2])
    cfg = PruneConfig(
        criterion=criterion,
        fraction=0.2,
        mode="minimum",
        apply="shrink",
        rewind=rewind,
        cycles=args.cycles,
        seed=seed,
        latency=True,
    )
    p = IterativePruner(
        model,
        groups,
        train_fn or task.train,
        task.evaluate,
        task.score_loader,
        data[0][0][:1],
        cfg,
        schedule,
        tags={"model": model_name, "method": method, "seed": seed},
    )
    t0 = time.perf_counter()
    res = p.run()
    last = res.rows[-1]
    print(
        f"  {model_name} {method:>14} seed {seed}: {time.perf_counter() - t0:5.1f}s, "
        f"test acc {res.rows[0]['test_acc']:.3f} -> {last['test_acc']:.3f} at "
        f"{last['params_frac']:.3f} of the parameters",
        flush=True,
    )
    return res.rows


def criteria_experiment(args, data) -> None:
    sched = Schedule("lr_rewinding", max_lr=args.lr)
    for model_name in args.models:
        rows = []
        for crit in ("dropnet", "magnitude", "apoz", "random"):
            for seed in range(args.seeds):
                rows += run_one(model_name, seed, data, args, crit, sched, "init", crit)
        write_csv(rows, OUT / f"criteria_{model_name}.csv")
        plot_metric(
            rows,
            OUT / f"criteria_{model_name}.png",
            x="params_frac",
            y="test_acc",
            title=f"digits {model_name}: pruning criteria (rewind to init, 95% CI)",
        )
        table(rows, f"criteria, {model_name}")


def schedule_variants(args) -> dict[str, Schedule]:
    common = {"dense_max_lr": args.lr, "lag": 1}
    return {
        "silo": Schedule("silo", eta0=args.silo[0], alpha=args.silo[1], beta=args.silo[2], **common),
        # SILO's curve moved to bracket the LR-rewinding peak: lr/2 at x=0 up to 1.5 lr at x=1
        "silo_scaled": Schedule("silo", eta0=args.lr / 2, alpha=args.lr, beta=args.silo[2], **common),
        "lr_rewinding": Schedule("lr_rewinding", max_lr=args.lr, **common),
        "one_cycle": Schedule("one_cycle", max_lr=args.lr, **common),
        "fine_tune": Schedule("fine_tune", fine_tune_lr=args.lr / 50, **common),
    }


def schedules_experiment(args, data) -> None:
    for model_name in args.models:
        rows = []
        for name, sched in schedule_variants(args).items():
            for seed in range(args.seeds):
                rows += run_one(model_name, seed, data, args, "dropnet", sched, "continue", name)
        write_csv(rows, OUT / f"schedules_{model_name}.csv")
        plot_metric(
            rows,
            OUT / f"schedules_{model_name}.png",
            x="params_frac",
            y="test_acc",
            title=f"digits {model_name}: DropNet retraining schedules (95% CI)",
        )
        table(rows, f"schedules, {model_name}")


def maxlr_experiment(args, data) -> None:
    grid = [0.005, 0.01, 0.02, 0.04, 0.07, 0.1, 0.15, 0.2]
    variants = schedule_variants(args)
    sched, scaled = variants["silo"], variants["silo_scaled"]
    rows = []
    for seed in range(min(2, args.seeds)):
        task = Task(data, args.epochs, args.retrain_epochs, seed)
        oracle = MaxLrOracle(task.train, task.evaluate, "val_acc", grid, tolerance=args.tolerance)
        run_one("mlp", seed, data, args, "dropnet", sched, "continue", "silo+oracle", oracle)
        for r in oracle.records[1:]:  # cycle 0 is the dense training, not chosen by SILO
            rows.append(
                {
                    "seed": seed,
                    "cycle": r["cycle"],
                    "sparsity": r["sparsity"],
                    "silo_max_lr": r["chosen"],
                    "best_max_lr": r["best"],
                    "interval_lo": r["lo"],
                    "interval_hi": r["hi"],
                    "silo_inside": int(r["inside"]),
                    "silo_scaled_max_lr": scaled.peak(r["cycle"], r["history"]),
                    "silo_scaled_inside": int(r["lo"] <= scaled.peak(r["cycle"], r["history"]) <= r["hi"]),
                    **{f"val_acc@{lr}": acc for lr, acc in r["grid"]},
                }
            )
    write_csv(rows, OUT / "maxlr_oracle_mlp.csv")
    for key in ("silo", "silo_scaled"):
        inside = sum(r[f"{key}_inside"] for r in rows)
        print(
            f"max_lr oracle: {key}'s peak inside the best interval (val acc within "
            f"{args.tolerance} of the best) in {inside}/{len(rows)} cycles"
        )
    best = [r["best_max_lr"] for r in rows]
    print(
        f"max_lr oracle: best peak per cycle, median {float(np.median(best)):.3g} "
        f"(range {min(best):.3g}-{max(best):.3g})"
    )


@torch.no_grad()
def greedy_experiment(args, data) -> None:
    """One-shot removal from a trained MLP 64-32-32-10: training loss after removing k units."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 10))
    task = Task(data, args.epochs, args.retrain_epochs, 0)

    info = CycleInfo(0, [0.0], Schedule("lr_rewinding", max_lr=args.lr))
    with torch.enable_grad():
        task.train(model, info, epochs=args.epochs)
    model.eval()
    groups = discover_units(model, task.xtr[:2])

    def loss(m):
        return float(nn.functional.cross_entropy(m(task.xtr), task.ytr))

    n = args.greedy_remove
    _, order = greedy_oracle(model, groups, loss, n)
    rows = [{"removed": k + 1, "method": "greedy", "train_loss": v} for k, (_, _, v) in enumerate(order)]
    for crit in ("dropnet", "magnitude", "random"):
        scores = score_units(crit, model, groups, task.score_loader, seed=0)
        for k in range(1, n + 1):
            alive = select_removal(scores, full_alive(groups), k / 64, "minimum")
            with Masker(model, groups, alive).hooks:
                rows.append({"removed": k, "method": crit, "train_loss": loss(model)})
    write_csv(rows, OUT / "greedy_mlp.csv")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for m in ("greedy", "dropnet", "magnitude", "random"):
        pts = [(r["removed"], r["train_loss"]) for r in rows if r["method"] == m]
        ax.plot(*zip(*pts, strict=True), label=m)
    ax.set_xlabel("units removed (of 64), no retraining")
    ax.set_ylabel("training loss")
    ax.set_yscale("log")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(OUT / "greedy_mlp.png", dpi=120)
    for k in sorted({k for k in (8, 16, 32, n) if k <= n}):
        vals = {r["method"]: r["train_loss"] for r in rows if r["removed"] == k}
        print(f"greedy: {k:2d} removed: " + ", ".join(f"{m} {v:.3f}" for m, v in vals.items()))


def table(rows, title: str) -> None:
    """Mean test accuracy (95% CI) at each cycle, per method."""
    s_acc = summarise(rows, "params_frac", "test_acc")
    print(f"\n{title}: test accuracy (mean +- 95% CI over seeds) by cycle / params remaining")
    for method, pts in s_acc.items():
        print(f"  {method:>14}: " + "  ".join(f"{p[1]:.2f}:{p[2]:.3f}+-{p[3]:.3f}" for p in pts))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--experiments", nargs="+", default=["criteria", "schedules", "maxlr", "greedy"])
    ap.add_argument("--models", nargs="+", default=["mlp", "cnn"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--cycles", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=8, help="epochs of the dense training")
    ap.add_argument("--retrain-epochs", type=int, default=4, help="epochs per retraining cycle")
    ap.add_argument("--lr", type=float, default=0.1, help="dense/LR-rewinding peak")
    ap.add_argument(
        "--silo",
        type=float,
        nargs=3,
        default=[0.03, 0.04, 5.0],
        metavar=("ETA0", "ALPHA", "BETA"),
        help="SILO parameters (ResNet-20 defaults)",
    )
    ap.add_argument("--tolerance", type=float, default=0.01, help="max_lr oracle interval width")
    ap.add_argument("--greedy-remove", type=int, default=48)
    ap.add_argument("--quick", action="store_true", help="1 seed, 3 cycles, few epochs")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="output folder (default docs/pruning)")
    args = ap.parse_args(argv)
    if args.quick:
        args.seeds, args.cycles, args.epochs, args.retrain_epochs, args.greedy_remove = 1, 3, 3, 2, 8
    global OUT
    OUT = Path(args.out) if args.out else OUT
    torch.set_num_threads(args.threads)
    np.random.seed(0)
    data = load_digits_split()
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    for name in args.experiments:
        print(f"== {name}", flush=True)
        {
            "criteria": criteria_experiment,
            "schedules": schedules_experiment,
            "maxlr": maxlr_experiment,
            "greedy": greedy_experiment,
        }[name](args, data)
    print(f"\ntotal {time.perf_counter() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
