"""``bttt train``: AlphaZero self-play training with checkpoints, resume, evaluation and dataset export.

Every :class:`agents.alphazero.config.TrainConfig` field is an option
(``--games-per-iteration 64``). ``--resume`` continues a run exactly from its
``checkpoint.pt`` (the checkpoint's settings are used; only the number of
iterations, workers, device and evaluation settings may change).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from dataclasses import fields
from pathlib import Path

from agents.alphazero.config import TrainConfig

HELP = "train an AlphaZero network by batched self-play (resumable; exports datasets for pruning)"

_HELPS = {
    "bricks": "training brick distribution: D4, 'D3,D4' (one per game), 'C3,D3,D4', random, D3+E5 (default D4)",
    "augment": "symmetry augmentation: auto (only transforms keeping the layout in the distribution), paper "
    "(the paper's 4 flips), none (default auto)",
    "net": "network preset: small, tiny, medium, paper (default small)",
    "simulations": "PUCT simulations per self-play move (default 48)",
    "parallel_games": "games searched together per worker, sharing each network batch (default 64)",
    "temperature_moves": "plies played by sampling visit counts before switching to the most visited move",
    "eval_opponents": "agents to evaluate against, e.g. 'random,mcts:preset=paper' ('' disables)",
    "eval_every": "evaluate every N iterations (0 disables)",
    "eval_games": "evaluation games per layout and colour",
    "eval_novel": "novel brick cells (unseen symmetry orbits) to evaluate on",
    "device": "auto (CUDA if present), cpu or cuda",
    "workers": "self-play jobs per iteration, each a worker process (or Ray task) with a CPU copy of the weights "
    "(default 1)",
    "backend": "where self-play jobs run: local processes (default) or ray, like 'bttt tournament --backend ray'",
    "address": "Ray cluster address for --backend ray, e.g. auto (default: start a local Ray instance)",
}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--out",
        help="run folder for checkpoint.pt, final.pt, metrics.csv, eval.csv "
        "(default runs/az-<bricks>; with --resume, the checkpoint's folder)",
    )
    p.add_argument(
        "--resume",
        metavar="CHECKPOINT",
        help="continue the run saved in CHECKPOINT (a checkpoint.pt or its run folder)",
    )
    p.add_argument(
        "--export-dataset",
        metavar="FILE.npz",
        help="after training, write the replay buffer's positions (planes, masks, search policies, "
        "outcomes) to FILE.npz for 'bttt prune'",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (log evaluation lines instead)")
    group = p.add_argument_group("training configuration (TrainConfig)")
    for f in fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        help_text = _HELPS.get(f.name, f"default {default}")
        if f.type in ("bool", bool):
            group.add_argument(flag, type=_bool, default=None, metavar="BOOL", help=help_text)
        else:
            kind = {"int": int, "float": float, "str": str}.get(str(f.type), type(default))
            group.add_argument(flag, type=kind, default=None, help=help_text)


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def run(args: argparse.Namespace) -> int:
    from agents.alphazero.checkpoint import CheckpointError
    from agents.alphazero.dataset import export_dataset
    from agents.alphazero.trainer import CHECKPOINT, check_resume_config, load_for_resume, train
    from bttt.errors import BtttError

    given = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if getattr(args, f.name) is not None}
    # the command line for the checkpoint's provenance (None when called from Python, e.g. tests)
    command = "bttt train " + shlex.join(sys.argv[2:]) if sys.argv[1:2] == ["train"] else None
    resume = None
    if args.resume:
        path = Path(args.resume)
        if path.is_dir():
            path = path / CHECKPOINT
        resume, saved = load_for_resume(path)
        check_resume_config(saved.to_dict(), given, path)
        overrides = {k: v for k, v in given.items()}
        cfg = TrainConfig.from_dict({**saved.to_dict(), **overrides})
        out = Path(args.out) if args.out else path.parent
    else:
        cfg = TrainConfig(**given)
        out = Path(args.out) if args.out else Path("runs") / f"az-{_slug(cfg.bricks)}"
        if (out / CHECKPOINT).exists():
            raise CheckpointError(
                f"{out / CHECKPOINT} already exists: pass --resume {out} to continue that run, or choose another --out"
            )
    if resume is not None and resume.progress.get("iteration", 0) > cfg.iterations:
        raise BtttError(
            f"the run in {out} already finished {resume.progress.get('iteration')} iterations, more than "
            f"--iterations {cfg.iterations}; raise --iterations to train further (equal: just rewrite final.pt)"
        )
    print(
        f"training on bricks {cfg.bricks} ({cfg.net} network, {cfg.simulations} simulations, "
        f"{cfg.games_per_iteration} games/iteration) -> {out}"
    )
    progress = train(cfg, out, resume=resume, show_progress=not args.no_progress, command=command)
    print(
        f"done: {progress['iteration']} iterations, {progress['games']} games, {progress['positions']} "
        f"positions, {progress['steps']} steps, {progress['elapsed_s']:.0f} s; checkpoint {out / CHECKPOINT}, "
        f"playable network {out / 'final.pt'}"
    )
    if args.export_dataset:
        n = export_dataset(out / CHECKPOINT, args.export_dataset)
        print(f"exported {n} positions to {args.export_dataset}")
    return 0


def _slug(spec: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in spec.lower()).strip("-") or "none"
