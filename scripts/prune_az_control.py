"""Control for ``bttt prune``: retrain the *unpruned* network exactly as a pruning run retrained its
pruned one (same dataset split, epochs, optimizer and per-cycle peak learning rates from the run's
CSV), so a tournament can separate the effect of pruning from the effect of the extra training.

    python scripts/prune_az_control.py az.pt --dataset pos.npz --report az-pruned.csv --out az-control.pt
"""

from __future__ import annotations

import argparse
import csv
import sys

import torch

from agents.alphazero.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
from agents.alphazero.compress_task import PolicyValueTask
from agents.alphazero.dataset import load_dataset
from pruning import CycleInfo, Schedule


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--dataset", required=True)
    p.add_argument("--report", required=True, help="the pruning run's per-cycle CSV (max_lr column)")
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    ckpt = load_checkpoint(args.checkpoint)
    net = ckpt.build_net("cpu")
    task = PolicyValueTask(load_dataset(args.dataset), args.val_fraction, args.batch_size, args.epochs, 1.0, args.seed)
    with open(args.report) as f:
        peaks = [float(r["max_lr"]) for r in csv.DictReader(f)]
    print("cycle 0", task.evaluate(net))
    for cycle, peak in enumerate(peaks[1:], start=1):
        info = CycleInfo(cycle, [0.0] * (cycle + 1), Schedule("lr_rewinding", max_lr=peak))
        task.train(net, info)
        print(f"cycle {cycle} peak {peak:.4f}", task.evaluate(net))
    save_checkpoint(
        args.out,
        Checkpoint.from_net(
            net,
            training_bricks=ckpt.training_bricks,
            training_cells=ckpt.training_cells,
            train_config=ckpt.train_config,
            progress=dict(ckpt.progress),
            extra={"control": {"source": args.checkpoint, "peaks": peaks[1:], "epochs": args.epochs}},
        ),
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
