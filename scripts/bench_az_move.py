"""One move of the paper network's search against the network's batched throughput, side by side (issue 14).

For each inference backend, interleaved over ``--rounds``: the time of one move of
``alphazero:checkpoint=<ckpt>,simulations=N,paper=true`` on the empty board with the brick on D4 (a fresh
search and an empty evaluation cache each time), and the time of N network evaluations at the rate of
batch-256 calls of the same backend in the same process. The target of issue 14 is a move in at most 1.5x
the N evaluations at the batch-256 rate (the practical limit of the CPU).

    .venv/bin/python scripts/bench_az_move.py --checkpoint runs/paper/r3.pt --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--simulations", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="plain,torch,onnx")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    from agents.alphazero.agent import AlphaZeroAgent
    from bttt import GameState, Rules

    state = GameState(Rules(bricks="D4"))
    rng = np.random.default_rng(0)
    planes = (rng.random((256, 3, 7, 7)) < 0.3).astype(np.float32)
    masks = np.ones((256, 49), bool)
    agents = {
        b: AlphaZeroAgent(args.checkpoint, args.simulations, paper=True, backend=b) for b in args.backends.split(",")
    }
    move_t: dict[str, list[float]] = {b: [] for b in agents}
    eval_t: dict[str, list[float]] = {b: [] for b in agents}
    for agent in agents.values():  # warm up: numba, the backend's first calls
        agent.step(state.clone())
        agent.evaluator(planes, masks)
    for _ in range(args.rounds):
        for b, agent in agents.items():
            agent.reset()
            t0 = time.perf_counter()
            agent.step(state.clone())
            move_t[b].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            agent.evaluator(planes, masks)
            eval_t[b].append((time.perf_counter() - t0) / 256 * args.simulations)
    base = statistics.median(move_t[next(iter(agents))])
    print(f"| backend | s/move | {args.simulations} evals at batch-256 rate, s | move / evals | speed-up vs first |")
    print("|---|---|---|---|---|")
    for b in agents:
        m, e = statistics.median(move_t[b]), statistics.median(eval_t[b])
        ratios = [x / y for x, y in zip(move_t[b], eval_t[b], strict=True)]
        print(f"| {b} | {m:.3f} | {e:.3f} | {statistics.median(ratios):.2f}x | {base / m:.2f}x |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
