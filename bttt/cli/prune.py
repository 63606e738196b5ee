"""``bttt prune``: DropNet + SILO on a trained AlphaZero network, written back as a playable checkpoint.

From a checkpoint and a dataset of self-play positions (``bttt selfplay``, ``bttt train --export-dataset``) this
iteratively scores the residual trunk's channels, each block's inner filters and the heads'
hidden units, removes the lowest-scoring fraction physically, and retrains on the policy
cross-entropy + value MSE with a SILO (or baseline) learning-rate cycle, until the trunk reaches
``--target-trunk`` of its filters. The retraining targets are by default the unpruned network's own
outputs on the dataset's positions (distillation, ``--distill 1``), with every symmetry that keeps a
position's brick layout among the dataset's (``--augment auto``). The result is an ordinary AlphaZero checkpoint whose
:class:`NetConfig` carries the pruned widths (``channels``, ``block_channels``,
``value_hidden``, ``value_filters``, ``policy_filters``), so ``alphazero:checkpoint=OUT`` plays it.
Every cycle is checkpointed under ``--work-dir``; rerunning the same command resumes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bttt.errors import BtttError

HELP = "prune an AlphaZero checkpoint with DropNet under SILO (physical removal), resumable"


class PruneCommandError(BtttError):
    """Bad arguments or inputs for ``bttt prune``."""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="trained AlphaZero checkpoint (.pt) to prune")
    p.add_argument(
        "--dataset",
        required=True,
        nargs="+",
        metavar="FILE.npz",
        help="self-play positions (bttt selfplay --out FILE.npz, bttt train --export-dataset FILE.npz); "
        "several files are concatenated (their brick layouts merged)",
    )
    p.add_argument("--out", help="pruned checkpoint to write (default <checkpoint>-pruned.pt)")
    p.add_argument("--work-dir", help="per-cycle checkpoints for resuming (default <out>.run)")
    p.add_argument("--report", help="per-cycle CSV (default <out>.csv)")
    p.add_argument("--criterion", default="dropnet", choices=["dropnet", "apoz", "magnitude", "random"])
    p.add_argument(
        "--mode",
        default="minimum_layer",
        choices=["minimum_layer", "minimum"],
        help="remove the fraction within each layer (default) or globally",
    )
    p.add_argument("--fraction", type=float, default=0.2, help="of the remaining units per cycle")
    p.add_argument(
        "--target-trunk",
        type=float,
        default=0.5,
        help="stop once the trunk's channels and every block's inner filters are at "
        "most this fraction of the original (default 0.5)",
    )
    p.add_argument("--cycles", type=int, default=10, help="at most this many prune steps")
    p.add_argument("--schedule", default="silo", choices=["silo", "lr_rewinding", "fine_tune", "one_cycle"])
    p.add_argument(
        "--silo",
        type=float,
        nargs=3,
        default=[0.01, 0.02, 5.0],
        metavar=("ETA0", "ALPHA", "BETA"),
        help="SILO max_lr(x) = ETA0 + ALPHA x^B/(x^B+(1-x)^B) (default 0.01 0.02 5)",
    )
    p.add_argument("--lag", type=int, default=1, help="cycles of delay in SILO's sparsity (default 1)")
    p.add_argument("--max-lr", type=float, default=0.02, help="peak for lr_rewinding/one_cycle")
    p.add_argument("--fine-tune-lr", type=float, default=0.002)
    p.add_argument(
        "--rewind",
        default="continue",
        choices=["continue", "init", "reinit"],
        help="weights between cycles: keep training them (default), back to the "
        "checkpoint's (kept units), or fresh random weights",
    )
    p.add_argument("--epochs", type=int, default=2, help="retraining epochs per cycle")
    p.add_argument("--batch-size", type=int, default=256)
    p.add_argument("--value-weight", type=float, default=1.0)
    p.add_argument("--val-fraction", type=float, default=0.1, help="held-out positions")
    p.add_argument("--max-positions", type=int, default=0, help="use at most this many (0 = all)")
    p.add_argument(
        "--augment",
        default="auto",
        choices=["auto", "none"],
        help="add every symmetry of each training position that maps its brick layout onto one "
        "of the dataset's layouts (auto: 8x for D4; default) or none",
    )
    p.add_argument(
        "--distill",
        type=float,
        default=1.0,
        metavar="W",
        help="targets: 1 = the unpruned network's own policy and value (distillation, default), "
        "0 = the dataset's search policies and outcomes, between = a blend",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--no-latency", action="store_true", help="skip the CPU latency measurement")
    p.add_argument(
        "--prune-head-convs",
        action="store_true",
        help="also prune the heads' 1x1 conv filters (only 1-2 each; off by default)",
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from agents.alphazero.augment import allowed_transforms
    from agents.alphazero.checkpoint import Checkpoint, load_checkpoint, save_checkpoint
    from agents.alphazero.dataset import load_datasets
    from bttt.cli import _prune_az as az
    from bttt.layouts import BrickDistribution, parse_layout
    from pruning import IterativePruner, PruneConfig, PruningRunError, Schedule
    from pruning.report import write_csv

    if not 0 < args.fraction < 1:
        raise PruneCommandError(f"--fraction must be between 0 and 1, got {args.fraction}")
    if not 0 <= args.distill <= 1:
        raise PruneCommandError(f"--distill must be between 0 and 1, got {args.distill}")
    if not 0 < args.target_trunk < 1:
        raise PruneCommandError(f"--target-trunk must be between 0 and 1, got {args.target_trunk}")
    torch.set_num_threads(max(1, args.threads))
    src = Path(args.checkpoint)
    out = Path(args.out) if args.out else src.with_name(src.stem + "-pruned.pt")
    work = Path(args.work_dir) if args.work_dir else out.with_name(out.name + ".run")
    report = Path(args.report) if args.report else out.with_suffix(".csv")

    ckpt = load_checkpoint(src)
    net = ckpt.build_net("cpu")
    data = load_datasets(args.dataset)
    cfg = ckpt.net_config
    if tuple(data["planes"].shape[1:]) != (cfg.in_planes, cfg.rows, cfg.cols):
        raise PruneCommandError(
            f"dataset positions have shape {tuple(data['planes'].shape[1:])} but the network takes "
            f"{(cfg.in_planes, cfg.rows, cfg.cols)}; export the dataset from the same board size"
        )
    table = None
    if args.augment == "auto":
        layouts = tuple(parse_layout(str(name), cfg.rows, cfg.cols) for name in data["layouts"])
        table = allowed_transforms(BrickDistribution(layouts, cfg.rows, cfg.cols), "auto")
    task = az.PolicyValueTask(
        data,
        args.val_fraction,
        args.batch_size,
        args.epochs,
        args.value_weight,
        args.seed,
        args.max_positions,
        teacher=ckpt.build_net("cpu"),
        distill=args.distill,
        augment=table,
    )
    groups = az.discover(net, head_convs=args.prune_head_convs)
    config = PruneConfig(
        criterion=args.criterion,
        fraction=args.fraction,
        mode=args.mode,
        apply="shrink",
        rewind=args.rewind,
        cycles=args.cycles,
        seed=args.seed,
        latency=not args.no_latency,
        target_groups=tuple((g, args.target_trunk) for g in az.trunk_groups(groups)),
    )
    schedule = Schedule(
        args.schedule,
        max_lr=args.max_lr,
        eta0=args.silo[0],
        alpha=args.silo[1],
        beta=args.silo[2],
        lag=args.lag,
        fine_tune_lr=args.fine_tune_lr,
    )
    print(
        f"pruning {src} ({net.parameter_count()} parameters) on {task.n_train} positions "
        f"({task.n_val} held out); groups: " + ", ".join(f"{g.name}[{g.size}]" for g in groups)
    )
    pruner = IterativePruner(
        net,
        groups,
        task.train,
        task.evaluate,
        task.score_batches(),
        task.example,
        config,
        schedule,
        checkpoint_dir=work,
        tags={"method": f"{args.criterion}+{args.schedule}"},
        log=print,
    )
    try:
        res = pruner.run()
    except PruningRunError as exc:
        raise PruneCommandError(f"{exc} (--work-dir {work})") from None
    write_csv(res.rows, report)
    pruned_cfg = az.pruned_config(cfg, res.model)
    rebuilt = az.rebuild(pruned_cfg, res.model)
    first, last = res.rows[0], res.rows[-1]
    extra = {
        "pruning": {
            "source": str(src),
            "dataset": [str(f) for f in args.dataset],
            "stop_reason": res.stop_reason,
            "original_net_config": cfg.to_dict(),
            "schedule": schedule.to_dict(),
            "criterion": args.criterion,
            "mode": args.mode,
            "fraction": args.fraction,
            "augment": args.augment,
            "distill": args.distill,
            "epochs": args.epochs,
            "params": [first["params"], last["params"]],
            "macs": [first["macs"], last["macs"]],
            "cycles": len(res.rows) - 1,
        }
    }
    save_checkpoint(
        out,
        Checkpoint.from_net(
            rebuilt,
            training_bricks=ckpt.training_bricks,
            training_cells=ckpt.training_cells,
            train_config=ckpt.train_config,
            progress=dict(ckpt.progress),
            extra=extra,
        ),
    )
    print(f"stopped: {res.stop_reason}")
    print(
        f"trunk {cfg.channels} -> {pruned_cfg.channels} channels, inner "
        f"{[cfg.inner_channels(i) for i in range(cfg.blocks)]} -> {list(pruned_cfg.block_channels or [])}, "
        f"value hidden {cfg.value_hidden} -> {pruned_cfg.value_hidden}"
    )
    print(
        f"parameters {first['params']} -> {last['params']} ({last['params_frac']:.3f}), "
        f"MACs {first['macs']} -> {last['macs']} ({last['macs_frac']:.3f})"
    )
    if "latency_b1_ms" in last:
        print(
            f"CPU latency batch 1: {first['latency_b1_ms']:.3f} -> {last['latency_b1_ms']:.3f} ms, "
            f"batch 64: {first['latency_b64_ms']:.3f} -> {last['latency_b64_ms']:.3f} ms"
        )
    print(
        f"held-out policy loss {first['val_policy_loss']:.4f} -> {last['val_policy_loss']:.4f}, "
        f"value loss {first['val_value_loss']:.4f} -> {last['val_value_loss']:.4f}, "
        f"move agreement {first['val_top1']:.3f} -> {last['val_top1']:.3f}, same best move as the "
        f"unpruned network {last['val_teacher_top1']:.3f}"
    )
    print(f"wrote {out} (play it with alphazero:checkpoint={out}), report {report}")
    return 0
