"""One move of the paper network's search against the network's batched throughput, side by side (issue 14).

For each inference backend, interleaved over ``--rounds``: the time of one move of
``alphazero:checkpoint=<ckpt>,simulations=N,paper=true`` on the empty board with the brick on D4 (a fresh
search and an empty evaluation cache each time), and the time of N network evaluations at the rate of
batch-256 calls of the same backend in the same process. The target of issue 14 is a move in at most 1.5x
the N evaluations at the batch-256 rate (the practical limit of the CPU). Each backend is timed with
``early_stop=false`` (all N simulations) and ``early_stop=true`` (the default: the search ends once the
simulations left cannot change the most visited move; the script checks that both chose the same move).

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
    parser.add_argument(
        "--early-stop",
        default="false,true",
        help="early_stop settings to time (false: all N simulations; true: the same move, its search ended once "
        "decided)",
    )
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
        (b, es): AlphaZeroAgent(
            args.checkpoint, args.simulations, paper=True, backend=b, early_stop=es == "true", seed=0
        )
        for b in args.backends.split(",")
        for es in args.early_stop.split(",")
    }
    move_t: dict = {k: [] for k in agents}
    eval_t: dict = {k: [] for k in agents}
    net_t: dict = {k: [] for k in agents}  # network time per position inside the move
    positions: dict = {}
    moves: dict = {}
    for agent in agents.values():  # warm up: numba, the backend's first calls
        agent.step(state.clone())
        agent.evaluator(planes, masks)
    for _ in range(args.rounds):
        for k, agent in agents.items():
            agent.reset()
            agent.seed(0)  # the same tie-breaks every round
            before, net_before = agent.evaluator.positions, agent.evaluator.seconds
            t0 = time.perf_counter()
            moves[k] = agent.step(state.clone())
            move_t[k].append(time.perf_counter() - t0)
            positions[k] = agent.evaluator.positions - before
            net_t[k].append((agent.evaluator.seconds - net_before) / max(positions[k], 1))
            t0 = time.perf_counter()
            agent.evaluator(planes, masks)
            eval_t[k].append((time.perf_counter() - t0) / 256 * args.simulations)
    for b in args.backends.split(","):  # early stop must not change a move (backends may: their rounding differs)
        if len({moves[k] for k in moves if k[0] == b}) != 1:
            print(f"{b}: early stop changed the move: {moves}", file=sys.stderr)
            return 1
    base = statistics.median(move_t[next(iter(agents))])
    print(
        f"| backend | early stop | network positions | ms a position in the move | ms a position at batch 256 "
        f"| s/move | {args.simulations} evals at batch-256 rate, s | move / evals | speed-up vs first |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for k in agents:
        m, e = statistics.median(move_t[k]), statistics.median(eval_t[k])
        ratios = [x / y for x, y in zip(move_t[k], eval_t[k], strict=True)]
        print(
            f"| {k[0]} | {k[1]} | {positions[k]} | {1e3 * statistics.median(net_t[k]):.2f} "
            f"| {1e3 * e / args.simulations:.2f} | {m:.3f} | {e:.3f} | {statistics.median(ratios):.2f}x "
            f"| {base / m:.2f}x |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
