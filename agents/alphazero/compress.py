"""Compressing a trained AlphaZero network: DropNet pruning under a SILO learning-rate schedule, written back as a
playable checkpoint (``bttt prune``).

From a checkpoint and datasets of self-play positions (``bttt selfplay``, ``bttt train --export-dataset``) this
iteratively scores the residual trunk's channels, each block's inner filters and the heads' hidden units, removes
the lowest-scoring fraction physically, and retrains on the policy cross-entropy + value MSE with a SILO (or
baseline) learning-rate cycle, until the trunk reaches ``target_trunk`` of its filters. The retraining targets are
by default the unpruned network's own outputs (distillation, ``distill=1``), with every symmetry that keeps a
position's brick layout among the dataset's (``augment="auto"``). The result is an ordinary checkpoint whose
:class:`~agents.alphazero.network.NetConfig` carries the pruned widths, so ``alphazero:checkpoint=OUT`` plays it.
Every cycle is checkpointed in a work folder; rerunning the same command resumes, and only the same command.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from bttt.errors import BtttError
from bttt.options import option


class CompressError(BtttError):
    """Bad options or inputs for compressing a network."""


@dataclass(frozen=True)
class CompressConfig:
    """How a network is pruned and retrained (each field is a ``bttt prune`` option with this help)."""

    criterion: str = option("dropnet", "unit score: dropnet (mean post-activation), apoz, magnitude or random")
    mode: str = option("minimum_layer", "remove the fraction within each layer (minimum_layer) or globally (minimum)")
    fraction: float = option(0.2, "fraction of the remaining units removed per cycle")
    target_trunk: float = option(
        0.5, "stop once the trunk's channels and every block's inner filters are at most this fraction of the original"
    )
    cycles: int = option(10, "at most this many prune steps")
    schedule: str = option("silo", "learning-rate cycle: silo, lr_rewinding, fine_tune or one_cycle")
    silo: tuple[float, float, float] = option(
        (0.01, 0.02, 5.0), "SILO max_lr(x) = ETA0 + ALPHA x^B / (x^B + (1-x)^B): ETA0 ALPHA B"
    )
    lag: int = option(1, "cycles of delay in SILO's sparsity")
    max_lr: float = option(0.02, "peak learning rate of lr_rewinding and one_cycle")
    fine_tune_lr: float = option(0.002, "constant learning rate of fine_tune")
    rewind: str = option(
        "continue", "weights between cycles: continue training them, init (back to the checkpoint's) or reinit"
    )
    epochs: int = option(2, "retraining epochs per cycle")
    batch_size: int = option(256, "positions per gradient step")
    value_weight: float = option(1.0, "weight of the value loss beside the policy loss")
    val_fraction: float = option(0.1, "fraction of the positions held out for the metrics")
    max_positions: int = option(0, "use at most this many positions (0 = all)")
    augment: str = option(
        "auto", "auto: add every symmetry of a training position that keeps its layout among the dataset's; none"
    )
    distill: float = option(
        1.0, "targets: 1 = the unpruned network's own policy and value, 0 = the dataset's search targets, or a blend"
    )
    seed: int = option(0, "seed of the split, the batches and the random criterion")
    threads: int = option(1, "torch CPU threads")
    latency: bool = option(True, "measure the CPU latency of every cycle's network")
    prune_head_convs: bool = option(False, "also prune the heads' 1x1 conv filters (only 1-2 each)")

    def __post_init__(self) -> None:
        choices = {
            "criterion": ("dropnet", "apoz", "magnitude", "random"),
            "mode": ("minimum_layer", "minimum"),
            "schedule": ("silo", "lr_rewinding", "fine_tune", "one_cycle"),
            "rewind": ("continue", "init", "reinit"),
            "augment": ("auto", "none"),
        }
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise CompressError(f"--{name.replace('_', '-')} {getattr(self, name)!r}: choose {', '.join(allowed)}")
        for name, low, high in (("fraction", 0, 1), ("target_trunk", 0, 1), ("val_fraction", 0, 1)):
            if not low < getattr(self, name) < high:
                raise CompressError(f"--{name.replace('_', '-')} must be between {low} and {high} (exclusive)")
        if not 0 <= self.distill <= 1:
            raise CompressError(f"--distill must be between 0 and 1, got {self.distill}")
        for name in ("cycles", "epochs", "batch_size", "threads"):
            if getattr(self, name) < 1:
                raise CompressError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        for name in ("lag", "max_positions"):
            if getattr(self, name) < 0:
                raise CompressError(f"--{name.replace('_', '-')} must be zero or more, got {getattr(self, name)}")
        if min(self.max_lr, self.fine_tune_lr, self.silo[0]) <= 0 or self.silo[1] < 0 or self.silo[2] <= 0:
            raise CompressError("learning rates (--max-lr, --fine-tune-lr, --silo ETA0) must be positive")

    def to_dict(self) -> dict:
        d = asdict(self)
        d["silo"] = list(self.silo)
        return d


def _same_run(work_dir: str | os.PathLike, inputs: dict) -> bool:
    import json

    from bttt.paths import MANIFEST, RUN_FORMAT

    try:
        old = json.loads((Path(work_dir) / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(old, dict)
        and old.get("format") == RUN_FORMAT
        and old.get("inputs") == json.loads(json.dumps(inputs))
    )


def _is_prune_report(path: Path) -> bool:
    try:
        with open(path) as fh:
            return fh.readline().startswith("method,cycle,units")
    except (OSError, UnicodeDecodeError):
        return False


#: The per-cycle plot's panels: (y label, columns of the report).
CYCLE_PANELS = (
    ("held-out loss", ("val_policy_loss", "val_value_loss")),
    ("held-out move agreement", ("val_top1", "val_teacher_top1")),
    ("fraction of the original network", ("params_frac", "macs_frac")),
)


def cycles_plot_path(report: str | os.PathLike) -> Path:
    """The per-cycle plot written beside the report CSV: ``<report>.png``."""
    return Path(report).with_suffix(".png")


@dataclass
class CompressResult:
    """What a compression run produced: the pruned checkpoint, its per-cycle rows and the summary figures."""

    out: Path
    report: Path
    rows: list[dict]
    stop_reason: str
    widths: dict
    plot: Path | None = None  # the per-cycle plot beside the report (cycles_plot_path)


def compress(
    checkpoint: str | os.PathLike,
    datasets: list[str | os.PathLike],
    out: str | os.PathLike,
    config: CompressConfig,
    work_dir: str | os.PathLike,
    report: str | os.PathLike,
    log: Callable[[str], None] = print,
    restart: bool = False,
    force: bool = False,
) -> CompressResult:
    """Prune ``checkpoint`` on ``datasets`` as ``config`` says; write the pruned checkpoint to ``out`` and the
    per-cycle CSV to ``report``, checkpointing every cycle in ``work_dir``.

    Every input is checked before any work. A rerun with the same checkpoint content, datasets and options
    resumes in ``work_dir`` (and may rewrite its own ``out`` and ``report``); other inputs are refused unless
    ``restart``. Existing ``out``/``report`` files of another run are replaced only with ``force``, and only if
    bttt wrote them.
    """
    import torch

    from agents.alphazero import compress_task as task_lib
    from agents.alphazero.augment import allowed_transforms
    from agents.alphazero.checkpoint import Checkpoint, is_checkpoint, load_checkpoint, save_checkpoint
    from agents.alphazero.dataset import load_datasets
    from bttt.layouts import BrickDistribution, parse_layout
    from bttt.paths import check_output_file, claim_work_dir, file_digest, is_bttt_png
    from pruning import IterativePruner, PruneConfig, PruningRunError, Schedule
    from pruning.report import write_csv

    ckpt = load_checkpoint(checkpoint)
    data = load_datasets(datasets)
    cfg = ckpt.net_config
    if tuple(data["planes"].shape[1:]) != (cfg.in_planes, cfg.rows, cfg.cols):
        raise CompressError(
            f"dataset positions have shape {tuple(data['planes'].shape[1:])} but the network takes "
            f"{(cfg.in_planes, cfg.rows, cfg.cols)}; make the dataset on the same board size"
        )
    table = None
    if config.augment == "auto":
        layouts = tuple(parse_layout(str(name), cfg.rows, cfg.cols) for name in data["layouts"])
        table = allowed_transforms(BrickDistribution(layouts, cfg.rows, cfg.cols), "auto")
    inputs = {
        "checkpoint": file_digest(checkpoint),
        "datasets": [file_digest(d) for d in datasets],
        "config": config.to_dict(),
    }
    # the outputs first, so that a refused command leaves the work folder as it was
    resumable = _same_run(work_dir, inputs) and not restart
    check_output_file(out, "--out", force=force or resumable, ours=is_checkpoint)
    check_output_file(report, "--report", force=force or resumable, ours=_is_prune_report)
    plot = cycles_plot_path(report)
    check_output_file(plot, "--report's plot", force=force or resumable, ours=is_bttt_png)
    claim_work_dir(work_dir, inputs, restart, "--work-dir", CompressError)
    torch.set_num_threads(config.threads)
    net = ckpt.build_net("cpu")
    task = task_lib.PolicyValueTask(
        data,
        config.val_fraction,
        config.batch_size,
        config.epochs,
        config.value_weight,
        config.seed,
        config.max_positions,
        teacher=ckpt.build_net("cpu"),
        distill=config.distill,
        augment=table,
    )
    groups = task_lib.discover(net, head_convs=config.prune_head_convs)
    prune_config = PruneConfig(
        criterion=config.criterion,
        fraction=config.fraction,
        mode=config.mode,
        apply="shrink",
        rewind=config.rewind,
        cycles=config.cycles,
        seed=config.seed,
        latency=config.latency,
        target_groups=tuple((g, config.target_trunk) for g in task_lib.trunk_groups(groups)),
    )
    eta0, alpha, beta = config.silo
    schedule = Schedule(
        config.schedule,
        max_lr=config.max_lr,
        eta0=eta0,
        alpha=alpha,
        beta=beta,
        lag=config.lag,
        fine_tune_lr=config.fine_tune_lr,
    )
    log(
        f"pruning {checkpoint} ({net.parameter_count()} parameters) on {task.n_train} positions ({task.n_val} held "
        "out); groups: " + ", ".join(f"{g.name}[{g.size}]" for g in groups)
    )
    pruner = IterativePruner(
        net,
        groups,
        task.train,
        task.evaluate,
        task.score_batches(),
        task.example,
        prune_config,
        schedule,
        checkpoint_dir=work_dir,
        tags={"method": f"{config.criterion}+{config.schedule}"},
        log=log,
    )
    try:
        res = pruner.run()
    except PruningRunError as exc:
        raise CompressError(f"{exc} (work folder {work_dir})") from None
    write_csv(res.rows, report)
    from pruning.report import plot_cycles

    plot_cycles(
        res.rows, plot, CYCLE_PANELS, title=f"Pruning {Path(checkpoint).name}: {config.criterion} + {config.schedule}"
    )
    pruned_cfg = task_lib.pruned_config(cfg, res.model)
    rebuilt = task_lib.rebuild(pruned_cfg, res.model)
    first, last = res.rows[0], res.rows[-1]
    extra = {
        "pruning": {
            "source": str(checkpoint),
            "dataset": [str(f) for f in datasets],
            "stop_reason": res.stop_reason,
            "original_net_config": cfg.to_dict(),
            "schedule": schedule.to_dict(),
            **config.to_dict(),
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
    widths = {
        "channels": [cfg.channels, pruned_cfg.channels],
        "inner": [[cfg.inner_channels(i) for i in range(cfg.blocks)], list(pruned_cfg.block_channels or [])],
        "value_hidden": [cfg.value_hidden, pruned_cfg.value_hidden],
    }
    return CompressResult(Path(out), Path(report), res.rows, res.stop_reason, widths, plot)
