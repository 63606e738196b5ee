"""CPU speed of a pruned AlphaZero network against the unpruned one it came from.

Prints one table, baseline (unpruned) and pruned side by side with the ratio: parameters,
MACs (PyTorch's FLOP counter / 2), median network latency through the agents' Evaluator at
batch 1 and 64, and self-play throughput (positions/s of ``play_games`` with the same search
settings and seed, plus the seconds spent inside the network). Runs interleave the two networks
so background load hits both alike.

    python scripts/prune_az_speed.py runs/az/final.pt runs/az/final-pruned.pt --games 32
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import torch

from agents.alphazero.checkpoint import load_checkpoint
from agents.alphazero.config import TrainConfig
from agents.alphazero.evaluator import Evaluator
from agents.alphazero.selfplay import play_games
from pruning import count_macs, count_params


def _latency(ev: Evaluator, planes: np.ndarray, masks: np.ndarray, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        ev(planes, masks)
        out.append(time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("baseline", help="unpruned checkpoint")
    p.add_argument("pruned", help="pruned checkpoint (bttt prune)")
    p.add_argument("--games", type=int, default=32, help="self-play games per measurement")
    p.add_argument("--simulations", type=int, default=48)
    p.add_argument("--rounds", type=int, default=3, help="interleaved self-play rounds")
    p.add_argument("--repeats", type=int, default=200, help="latency samples per batch size")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    cks = {"unpruned": load_checkpoint(args.baseline), "pruned": load_checkpoint(args.pruned)}
    nets = {k: c.build_net("cpu") for k, c in cks.items()}
    evs = {k: Evaluator(n, device="cpu") for k, n in nets.items()}
    c = cks["unpruned"].net_config
    rng = np.random.default_rng(0)
    stats: dict[str, dict[str, float]] = {k: {} for k in nets}
    for k, net in nets.items():
        stats[k]["parameters"] = count_params(net)
        stats[k]["MACs per position"] = count_macs(net, torch.zeros(1, 3, c.rows, c.cols))
    for b in (1, 64):
        planes = rng.integers(0, 2, (b, 3, c.rows, c.cols)).astype(np.float32)
        masks = np.ones((b, c.rows * c.cols), bool)
        samples = {k: [] for k in nets}
        for ev in evs.values():
            _latency(ev, planes, masks, 20)  # warm-up
        for _ in range(5):  # interleave
            for k, ev in evs.items():
                samples[k] += _latency(ev, planes, masks, args.repeats // 5)
        for k in nets:
            stats[k][f"latency batch {b} (ms, median)"] = 1000 * statistics.median(samples[k])
    bricks = cks["unpruned"].training_bricks or "D4"
    cfg = TrainConfig(
        bricks=bricks, simulations=args.simulations, parallel_games=args.games, games_per_iteration=args.games
    )
    for ev in evs.values():
        play_games(ev, cfg, 2, 0)  # numba compile / warm-up
    sp = {k: [] for k in nets}
    for r in range(args.rounds):
        for k, ev in evs.items():
            res = play_games(ev, cfg, args.games, 1000 + r)
            sp[k].append((res.positions, res.total_s, res.network_s))
    for k in nets:
        pos = sum(x[0] for x in sp[k])
        stats[k]["self-play positions/s"] = pos / sum(x[1] for x in sp[k])
        stats[k]["self-play network s per 1000 positions"] = 1000 * sum(x[2] for x in sp[k]) / pos
    print(
        f"CPU, torch threads {args.threads}; self-play: {args.rounds} x {args.games} games, "
        f"{args.simulations} simulations, bricks {bricks}"
    )
    print(f"{'measure':42s} {'unpruned':>12s} {'pruned':>12s} {'pruned/unpruned':>16s}")
    for key in stats["unpruned"]:
        a, b = stats["unpruned"][key], stats["pruned"][key]
        print(f"{key:42s} {a:12.4g} {b:12.4g} {b / a:16.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
