"""Network evaluations per second of the AlphaZero presets (paper vs small, CPU and CUDA when present).

For each preset, device and batch size it times (after warm-up, median over repeats)
the raw forward pass under ``torch.inference_mode`` and the full
:class:`agents.alphazero.evaluator.Evaluator` call that search uses (numpy in,
masked softmax, numpy out), in positions per second, and the ratio of each preset
to the paper's network (the baseline) at the same batch and device.

    .venv/bin/python scripts/bench_az_network.py [--presets paper,small] [--batches 1,16,256]
        [--threads N] [--seconds 1.0] [--checkpoint runs/paper/r3.pt --sims 0,100,1000]

With ``--checkpoint`` it also times whole moves of the agent
``alphazero:checkpoint=...,simulations=S,paper=true`` on the empty D4 board
(median of 3 moves after a warm-up move; one fresh search tree per move).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import numpy as np
import torch

from agents.alphazero.evaluator import Evaluator
from agents.alphazero.network import PRESETS, build_net
from bttt import GameState, Rules


def positions(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Planes and masks of random mid-game positions (random brick, random moves)."""
    rng = np.random.default_rng(seed)
    planes, masks = [], []
    for _ in range(batch):
        state = GameState(Rules(bricks=int(rng.integers(49))))
        for _ in range(int(rng.integers(0, 20))):
            actions = state.legal_actions()
            if not actions or state.is_terminal():
                break
            state.apply_action(actions[int(rng.integers(len(actions)))])
        if state.is_terminal():
            state = GameState(state.rules)
        planes.append(state.observation())
        masks.append(state.legal_mask())
    return np.stack(planes), np.stack(masks)


def _rate(fn, batch: int, seconds: float, device: torch.device) -> float:
    """Median positions/s over repeats of ``fn`` lasting about ``seconds`` in total."""

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    for _ in range(3):
        fn()
    sync()
    t0 = time.perf_counter()
    fn()
    sync()
    once = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(seconds / 5 / once))
    rates = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(inner):
            fn()
        sync()
        rates.append(batch * inner / (time.perf_counter() - t0))
    return statistics.median(rates)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="paper,small", help="comma-separated presets (baseline first)")
    parser.add_argument("--batches", default="1,16,256")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per measurement")
    parser.add_argument("--no-cuda", action="store_true", help="skip CUDA even when present")
    parser.add_argument("--checkpoint", default=None, help="also time agent moves with this checkpoint")
    parser.add_argument("--sims", default="0,100,1000", help="simulations for --checkpoint move timings")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    presets = args.presets.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    devices = [torch.device("cpu")]
    if torch.cuda.is_available() and not args.no_cuda:
        devices.append(torch.device("cuda"))
    print(
        f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, devices "
        f"{', '.join(str(d) for d in devices)}"
        + (f" ({torch.cuda.get_device_name(0)})" if len(devices) > 1 else "")
        + f"; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other work skews CPU figures)"
    )
    header = (
        f"{'preset':<8} {'params':>9} {'device':<6} {'batch':>5} {'forward pos/s':>14} "
        f"{'Evaluator pos/s':>16} {'ms/call':>8} {'vs ' + presets[0]:>10}"
    )
    print(header)
    print("-" * len(header))
    base: dict[tuple[str, int], float] = {}
    for device in devices:
        for name in presets:
            net = build_net(PRESETS[name], seed=0).to(device).eval()
            ev = Evaluator(net, device)
            for batch in batches:
                planes, masks = positions(batch)
                x = torch.from_numpy(planes).to(device)

                @torch.inference_mode()
                def forward(net=net, x=x):
                    return net(x)

                raw = _rate(forward, batch, args.seconds, device)
                full = _rate(lambda ev=ev, p=planes, m=masks: ev(p, m), batch, args.seconds, device)
                key = (str(device), batch)
                base.setdefault(key, full)
                print(
                    f"{name:<8} {net.parameter_count():>9,} {device.type:<6} {batch:>5} {raw:>14,.0f} "
                    f"{full:>16,.0f} {1000 * batch / full:>8.3f} {full / base[key]:>9.2f}x"
                )
    if args.checkpoint:
        time_moves(args.checkpoint, [int(x) for x in args.sims.split(",")], devices)


def time_moves(checkpoint: str, sims: list[int], devices: list[torch.device]) -> None:
    """Seconds per move of the paper-mode agent on the empty D4 board."""
    from agents.registry import make_agent

    print(f"\nagent moves, {checkpoint}, paper=true, empty board with the brick on D4")
    print(f"{'device':<6} {'simulations':>11} {'s/move':>8} {'network calls/s':>16}")
    state = GameState(Rules(bricks="D4"))
    for device in devices:
        for n in sims:
            agent = make_agent(
                f"alphazero:checkpoint={checkpoint},simulations={n},paper=true,device={device.type},threads=0", seed=0
            )
            agent.step(state)
            times = []
            for _ in range(3):
                before = agent.evaluator.calls
                t0 = time.perf_counter()
                agent.step(state)
                times.append(time.perf_counter() - t0)
                calls = agent.evaluator.calls - before
            t = statistics.median(times)
            print(f"{device.type:<6} {n:>11} {t:>8.3f} {calls / t:>16,.0f}")


if __name__ == "__main__":
    main()
