"""Self-play throughput: positions per second with 1 and N worker processes, and where the time goes.

Prints one table: workers, games, positions, seconds, positions/s and the ratio to
1 worker (the baseline), plus, for the in-process run, the share of self-play time
spent in the network against in the numba search (tree walk, expansion, backup,
plane building) and Python bookkeeping. Each worker runs its games with a CPU copy
of the same randomly initialised network, exactly as ``bttt train --workers N``.
``--device cuda`` runs the in-process games' network on the GPU (workers always use CPU
copies, as in training); ``--backend`` picks the inference backend (default: the process's,
see :mod:`agents.alphazero.evaluator`).

    python scripts/bench_az_selfplay.py --games 64 --simulations 48 --workers 2
    python scripts/bench_az_selfplay.py --games 1024 --parallel-games 1024 --workers 1 --device cuda
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import sys
import time

import numpy as np
import torch

from agents.alphazero.config import TrainConfig
from agents.alphazero.evaluator import Evaluator
from agents.alphazero.network import PolicyValueNet, preset
from agents.alphazero.selfplay import SelfPlayResult, play_games, play_games_worker, portable_weights


def _warm_up(job: tuple) -> None:
    play_games_worker(job)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--games", type=int, default=64, help="games per measurement (split over workers)")
    p.add_argument("--simulations", type=int, default=48)
    p.add_argument("--parallel-games", type=int, default=64, help="games searched together per process")
    p.add_argument("--net", default="small")
    p.add_argument("--checkpoint", help="use this checkpoint's network (e.g. agents/alphazero/checkpoints/d4.pt)")
    p.add_argument("--bricks", default="D4")
    p.add_argument("--workers", type=int, default=2, help="the largest worker count measured (1..N)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE (for scripts/bench_compare.py)")
    p.add_argument("--device", default="cpu", help="device of the in-process games' network (cpu, cuda, auto)")
    p.add_argument("--backend", default="auto", help="inference backend: auto, torch, plain or onnx")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    cfg = TrainConfig(
        bricks=args.bricks,
        simulations=args.simulations,
        parallel_games=args.parallel_games,
        games_per_iteration=args.games,
    )
    if args.checkpoint:
        from agents.alphazero.checkpoint import load_checkpoint

        net = load_checkpoint(args.checkpoint).build_net()
        args.net = args.checkpoint
    else:
        net = PolicyValueNet(preset(args.net)).eval()
    state = portable_weights(net.state_dict())
    evaluate = Evaluator(net, device=args.device, backend=args.backend)
    play_games(evaluate, cfg, 2, args.seed)  # compile/load numba kernels

    rows = []
    t0 = time.perf_counter()
    res = play_games(evaluate, cfg, args.games, args.seed)
    base_s = time.perf_counter() - t0
    rows.append((1, res.games, res.positions, base_s))
    in_process = res
    for workers in range(2, args.workers + 1):
        warm = (net.config.to_dict(), state, cfg.to_dict(), 2, args.seed, 1)
        with mp.get_context("spawn").Pool(workers, initializer=_warm_up, initargs=(warm,)) as pool:
            # start-up (imports, numba cache) is not measured: every worker must finish its warm-up
            # before it takes one of these short tasks
            pool.map(time.sleep, [0.3] * (2 * workers), chunksize=1)
            shares = np.array_split(np.arange(args.games), workers)
            jobs = [
                (net.config.to_dict(), state, cfg.to_dict(), len(s), args.seed + w, 1) for w, s in enumerate(shares)
            ]
            t0 = time.perf_counter()
            merged = SelfPlayResult.merge(pool.map(play_games_worker, jobs))
            rows.append((workers, merged.games, merged.positions, time.perf_counter() - t0))

    base_rate = rows[0][2] / rows[0][3]
    print(
        f"self-play, {args.net} network, {args.simulations} simulations, {args.parallel_games} games per "
        f"batch, bricks {args.bricks}, torch threads 1, {mp.cpu_count()} CPUs, in-process network on "
        f"{evaluate.device} ({evaluate.backend} backend)"
        + (f", {torch.cuda.get_device_name(evaluate.device)}" if evaluate.device.type == "cuda" else "")
    )
    print(f"{'workers':>7} {'games':>6} {'positions':>9} {'seconds':>8} {'pos/s':>8} {'vs 1 worker':>11}")
    for workers, games, positions, seconds in rows:
        rate = positions / seconds
        print(f"{workers:>7} {games:>6} {positions:>9} {seconds:>8.2f} {rate:>8.1f} {rate / base_rate:>10.2f}x")
    r = in_process
    search_only = r.search_s - r.network_s
    other = r.total_s - r.search_s
    print(
        f"\nwhere 1 worker's time goes ({r.total_s:.2f} s, {r.network_calls} network calls, "
        f"{r.positions * args.simulations / max(r.network_calls, 1):.1f} leaves per call on average):"
    )
    print(f"  network evaluation      {r.network_s:7.2f} s  {r.network_s / r.total_s:6.1%}")
    print(f"  numba search + planes   {search_only:7.2f} s  {search_only / r.total_s:6.1%}")
    print(f"  Python game bookkeeping {other:7.2f} s  {other / r.total_s:6.1%}")
    if args.json:
        figures = {f"self-play positions/s, {w} worker{'s' * (w > 1)}": pos / sec for w, _, pos, sec in rows}
        figures["numba search positions/s (search time without the network)"] = r.positions / max(search_only, 1e-9)
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=1)
    if evaluate.device.type == "cuda":
        peak = torch.cuda.max_memory_allocated(evaluate.device) / 2**20
        print(f"peak GPU memory allocated by torch: {peak:,.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
