"""Network evaluation speed: the old inference path against the new one, side by side, as ratios.

For each device, preset and batch size it times the full
:class:`agents.alphazero.evaluator.Evaluator` call that search makes (numpy planes in,
masked softmax, numpy priors and values out) on every inference backend:

* ``plain``: the training module itself (the old path: BatchNorm layers, ``padding='same'``);
* ``torch``: the BN-folded, channels-last, copy-free inference network (the new default);
* ``onnx``: ONNX Runtime (CPU only; when ``onnx`` and ``onnxruntime`` are installed).

The repeats are interleaved (one timing of each backend per round, ``--rounds`` rounds),
so a change of machine load hits all of them alike; the table gives each backend's median
positions per second and the median over rounds of its ratio to ``plain`` in the same
round. Every backend's outputs are checked against ``plain`` first (max abs difference).

    .venv/bin/python scripts/bench_az_network.py [--presets paper,small]
        [--batches 1,16,64,256,1024,4096] [--threads 1] [--seconds 1.0] [--rounds 5]
        [--variants] [--checkpoint runs/paper/r3.pt --sims 0,100]

``--variants`` also times the candidates that were tried and not kept: the plain module in
channels-last memory order, the folded network in NCHW order, TorchScript
(trace + freeze + optimize_for_inference) of the plain module, ``torch.compile``
(inductor, weight freezing, one compilation per batch size, compile time printed) and
ONNX Runtime without the padding of every width to whole 16-channel blocks.
With ``--checkpoint`` it also times whole moves of
``alphazero:checkpoint=...,simulations=S,paper=true`` on the empty D4 board with each backend.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import time
import warnings

import numpy as np
import torch

from agents.alphazero.evaluator import Evaluator
from agents.alphazero.inference import fuse
from agents.alphazero.network import PRESETS, PolicyValueNet, build_net
from agents.alphazero.onnx_backend import onnx_available
from bttt import GameState, Rules


def positions(batch: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Planes and masks of random mid-game positions (random brick, random moves)."""
    rng = np.random.default_rng(seed)
    planes, masks = [], []
    for _ in range(min(batch, 256)):
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
    reps = -(-batch // len(planes))
    return np.tile(np.stack(planes), (reps, 1, 1, 1))[:batch], np.tile(np.stack(masks), (reps, 1))[:batch]


def trained_like(name: str) -> PolicyValueNet:
    """A seeded network with non-trivial BatchNorm statistics (fresh ones fold to the identity)."""
    net = build_net(PRESETS[name], seed=0)
    g = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            n = m.num_features
            m.weight.data = torch.rand(n, generator=g) + 0.5
            m.bias.data = torch.randn(n, generator=g) * 0.3
            m.running_mean.copy_(torch.randn(n, generator=g) * 0.3)
            m.running_var.copy_(torch.rand(n, generator=g) + 0.5)
    return net.eval()


class _Module:
    """An inference model around any callable torch module (for the ``--variants`` candidates)."""

    def __init__(self, module, device: torch.device, name: str, channels_last: bool = False) -> None:
        self.module, self.device, self.backend, self.channels_last = module, device, name, channels_last

    @torch.inference_mode()
    def __call__(self, planes: np.ndarray):
        x = torch.as_tensor(planes, dtype=torch.float32).to(self.device)
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.module(x)


def variant_evaluators(net: PolicyValueNet, device: torch.device, batch: int) -> dict[str, Evaluator]:
    """The tried-and-not-kept candidates for one batch size (TorchScript and compile specialise on it)."""
    out = {}
    cl = copy.deepcopy(net).to(memory_format=torch.channels_last)
    out["plain_cl"] = Evaluator(net, device, model=_Module(cl, device, "plain_cl", channels_last=True))
    out["fused_nchw"] = Evaluator(net, device, model=_Module(fuse(net, channels_last=False), device, "fused_nchw"))
    example = torch.zeros(batch, net.config.in_planes, net.config.rows, net.config.cols, device=device)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(net, example, check_trace=False).eval()
        frozen = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    out["jit"] = Evaluator(net, device, model=_Module(frozen, device, "jit"))
    import torch._inductor.config as inductor_config

    inductor_config.freezing = True
    compiled = torch.compile(copy.deepcopy(cl), dynamic=False)
    t0 = time.perf_counter()
    with torch.inference_mode():
        compiled(example.contiguous(memory_format=torch.channels_last))
    print(f"  (torch.compile for batch {batch}: {time.perf_counter() - t0:.1f} s to compile)", flush=True)
    out["compile"] = Evaluator(net, device, model=_Module(compiled, device, "compile", channels_last=True))
    if device.type == "cpu" and onnx_available():
        from agents.alphazero.onnx_backend import OnnxRuntimeNet

        runtime = OnnxRuntimeNet(fuse(net, channels_last=False), threads=torch.get_num_threads(), block=0)
        out["onnx_unpadded"] = Evaluator(net, device, model=_OnnxCandidate(runtime))
    return out


class _OnnxCandidate:
    """ONNX Runtime without the channel padding to whole blocks (the ``--variants`` candidate)."""

    backend = "onnx_unpadded"

    def __init__(self, runtime) -> None:
        self.runtime = runtime

    def __call__(self, planes: np.ndarray):
        return tuple(torch.from_numpy(a) for a in self.runtime(planes))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def compare(evaluators: dict[str, Evaluator], planes, masks, seconds: float, rounds: int, device) -> dict:
    """Interleaved timings: {name: (median pos/s, median ratio to the first evaluator, max abs error)}."""
    names = list(evaluators)
    calls = {k: (lambda ev=ev: ev(planes, masks)) for k, ev in evaluators.items()}
    ref = calls[names[0]]()
    errors = {}
    for k, fn in calls.items():
        got = fn()
        errors[k] = max(float(np.abs(got[0] - ref[0]).max()), float(np.abs(got[1] - ref[1]).max()))
        fn()
    _sync(device)
    t0 = time.perf_counter()
    calls[names[0]]()
    _sync(device)
    once = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(seconds / rounds / once))
    times: dict[str, list[float]] = {k: [] for k in names}
    for _ in range(rounds):
        for k in names:
            t0 = time.perf_counter()
            for _ in range(inner):
                calls[k]()
            _sync(device)
            times[k].append((time.perf_counter() - t0) / inner)
    batch = len(planes)
    base = times[names[0]]
    return {
        k: (
            batch / statistics.median(times[k]),
            statistics.median(b / t for b, t in zip(base, times[k], strict=True)),
            errors[k],
        )
        for k in names
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presets", default="paper,small", help="comma-separated network presets")
    parser.add_argument("--batches", default="1,16,64,256,1024,4096")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0 = torch's default)")
    parser.add_argument("--seconds", type=float, default=1.0, help="timing budget per backend and batch")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved repeats")
    parser.add_argument("--variants", action="store_true", help="also time the candidates not kept")
    parser.add_argument("--device", default="all", help="cpu, cuda, or all (CPU, plus CUDA when present)")
    parser.add_argument("--checkpoint", default=None, help="also time agent moves with this checkpoint")
    parser.add_argument("--sims", default="0,100", help="simulations for --checkpoint move timings")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    presets = args.presets.split(",")
    batches = [int(b) for b in args.batches.split(",")]
    devices = [torch.device("cpu")] if args.device in ("all", "cpu") else []
    if args.device == "cuda" or (args.device == "all" and torch.cuda.is_available()):
        devices.append(torch.device("cuda"))
    print(
        f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, devices "
        f"{', '.join(str(d) for d in devices)}"
        + (f" ({torch.cuda.get_device_name(0)})" if any(d.type == "cuda" for d in devices) else "")
        + f", onnxruntime {'yes' if onnx_available() else 'not installed'}; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores at the start (other work skews CPU figures)"
    )
    header = f"| preset | device | batch | {'backend':<10} | positions/s | vs plain | max abs diff | load |"
    print(header)
    print("|" + "|".join("---" for _ in range(8)) + "|")
    for device in devices:
        for name in presets:
            net = trained_like(name).to(device)
            backends = ["plain", "torch"] + (["onnx"] if device.type == "cpu" and onnx_available() else [])
            for batch in batches:
                planes, masks = positions(batch)
                evaluators = {b: Evaluator(net, device, backend=b) for b in backends}
                if args.variants:
                    evaluators.update(variant_evaluators(net, device, batch))
                rows = compare(evaluators, planes, masks, args.seconds, args.rounds, device)
                load = os.getloadavg()[0]
                for backend, (rate, ratio, err) in rows.items():
                    print(
                        f"| {name} | {device.type} | {batch} | {backend:<10} | {rate:,.0f} | {ratio:.2f}x | "
                        f"{err:.1e} | {load:.2f} |",
                        flush=True,
                    )
    if args.checkpoint:
        time_moves(args.checkpoint, [int(x) for x in args.sims.split(",")], devices, args.rounds)
    for device in devices:
        if device.type == "cuda":
            peak = torch.cuda.max_memory_allocated(device) / 2**20
            print(f"\npeak GPU memory allocated by torch ({device}): {peak:,.0f} MiB")


def time_moves(checkpoint: str, sims: list[int], devices: list[torch.device], rounds: int) -> None:
    """Seconds per move of the paper-mode agent on the empty D4 board, per backend, interleaved."""
    from agents.alphazero.agent import AlphaZeroAgent

    print(f"\nagent moves, {checkpoint}, paper=true, empty board with the brick on D4 (median of {rounds})")
    print("| device | simulations | backend | s/move | network calls/s | vs plain |")
    print("|---|---|---|---|---|---|")
    state = GameState(Rules(bricks="D4"))
    for device in devices:
        backends = ["plain", "torch"] + (["onnx"] if device.type == "cpu" and onnx_available() else [])
        for n in sims:
            agents = {
                b: AlphaZeroAgent(checkpoint, n, device=device.type, paper=True, threads=0, seed=0, backend=b)
                for b in backends
            }
            for agent in agents.values():
                agent.step(state)
            times: dict[str, list[float]] = {b: [] for b in backends}
            calls = {}
            for _ in range(rounds):
                for b, agent in agents.items():
                    before = agent.evaluator.calls
                    t0 = time.perf_counter()
                    agent.step(state)
                    times[b].append(time.perf_counter() - t0)
                    calls[b] = agent.evaluator.calls - before
            for b in backends:
                t = statistics.median(times[b])
                ratio = statistics.median(p / q for p, q in zip(times["plain"], times[b], strict=True))
                print(f"| {device.type} | {n} | {b} | {t:.4f} | {calls[b] / t:,.0f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
