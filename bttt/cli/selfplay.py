"""``bttt selfplay``: a trained network plays itself; its positions become a dataset for ``bttt prune``
(:func:`agents.alphazero.dataset.generate_dataset`).

The search settings default to those the checkpoint was trained with (its ``train_config``), so the positions,
search policies and outcomes are the kind the network learned from; any of them can be changed. Chunks are saved
as they finish: rerunning an interrupted command resumes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

from bttt.cli._options import add_config_options, config_from_args

INTERRUPTED = "finished chunks are saved; rerun the same command to resume"


def add_arguments(p: argparse.ArgumentParser) -> None:
    from agents.alphazero.dataset import SelfPlayOptions

    p.add_argument("checkpoint", help="AlphaZero checkpoint (.pt), or a shipped name: d4, r2, r3, all, d4-half")
    p.add_argument("--out", required=True, help="dataset file to write (.npz is added when missing)")
    p.add_argument("--force", action="store_true", help="replace an existing dataset file written by bttt")
    p.add_argument(
        "--restart", action="store_true", help="discard the saved chunks of an earlier run with other inputs"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar (one line per saved chunk instead)")
    add_config_options(p, SelfPlayOptions)


def run(args: argparse.Namespace) -> int:
    from agents.alphazero.agent import resolve_checkpoint
    from agents.alphazero.dataset import SelfPlayOptions, check_dataset_output, generate_dataset

    options = SelfPlayOptions(**config_from_args(SelfPlayOptions, args))
    out = check_dataset_output(args.out, args.force, flag="--out")
    checkpoint = resolve_checkpoint(args.checkpoint)
    t0 = time.perf_counter()
    n = generate_dataset(
        checkpoint, out, restart=args.restart, progress=not args.no_progress, **dataclasses.asdict(options)
    )
    print(f"wrote {n} positions from {options.games} games to {out} in {time.perf_counter() - t0:.0f} s")
    return 0
