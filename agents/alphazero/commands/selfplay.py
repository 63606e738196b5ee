"""``bttt selfplay``: a trained network plays itself; its positions become a dataset for ``bttt prune``.

The search settings default to those the checkpoint was trained with (its ``train_config``), so the
positions, search policies and outcomes are the kind the network learned from; any of them can be changed.
Chunks are saved as they finish: rerunning an interrupted command resumes it.
"""

from __future__ import annotations

import argparse
import time

HELP = "play self-play games with a trained AlphaZero network and write a dataset (.npz) for bttt prune"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("checkpoint", help="AlphaZero checkpoint (.pt), or a shipped name: d4, r2, r3, all")
    p.add_argument("--out", required=True, help="dataset file to write (.npz)")
    p.add_argument("--games", type=int, default=2048, help="self-play games (default 2048)")
    p.add_argument("--bricks", help="brick distribution (default: the checkpoint's training bricks)")
    p.add_argument("--simulations", type=int, help="PUCT simulations per move (default: as trained)")
    p.add_argument(
        "--temperature-moves",
        type=int,
        help="plies sampled from the visit counts before playing the most visited move (default: as trained)",
    )
    p.add_argument("--parallel-games", type=int, help="games searched together per job (default: as trained)")
    p.add_argument("--workers", type=int, default=1, help="worker processes (the games do not depend on it)")
    p.add_argument("--seed", type=int, default=0)


def run(args: argparse.Namespace) -> int:
    from agents.alphazero.agent import resolve_checkpoint
    from agents.alphazero.dataset import generate_dataset

    t0 = time.perf_counter()
    n = generate_dataset(
        resolve_checkpoint(args.checkpoint),
        args.out,
        args.games,
        seed=args.seed,
        workers=max(1, args.workers),
        bricks=args.bricks,
        simulations=args.simulations,
        temperature_moves=args.temperature_moves,
        parallel_games=args.parallel_games,
    )
    print(f"wrote {n} positions from {args.games} games to {args.out} in {time.perf_counter() - t0:.0f} s")
    return 0
