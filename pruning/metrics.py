"""Model cost: parameters, MACs (PyTorch's FLOP counter / 2) and median CPU latency."""

from __future__ import annotations

import copy
import statistics
import time

import torch
from torch import nn


def count_params(model: nn.Module) -> int:
    return int(sum(p.numel() for p in model.parameters()))


@torch.no_grad()
def count_macs(model: nn.Module, example_input) -> int:
    """Multiply-accumulates of one forward pass on ``example_input`` (FlopCounterMode FLOPs / 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    was = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as fc:
            model(*inputs)
    finally:
        model.train(was)
    return int(fc.get_total_flops()) // 2


@torch.no_grad()
def cpu_latency_ms(
    model: nn.Module,
    example_input: torch.Tensor,
    batch: int,
    warmup: int = 5,
    repeats: int = 30,
    threads: int | None = 1,
) -> float:
    """Median wall time (ms) of one forward pass at ``batch`` on the CPU, after ``warmup`` runs.

    ``example_input`` is one sample (batch dimension 1, repeated to ``batch``). ``threads``
    fixes torch's intra-op threads for the measurement (1 by default, for repeatable numbers).
    """
    m = copy.deepcopy(model).cpu().eval()
    x = example_input[:1].cpu().expand(batch, *example_input.shape[1:]).contiguous()
    old = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    try:
        for _ in range(warmup):
            m(x)
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            m(x)
            times.append(time.perf_counter() - t0)
    finally:
        torch.set_num_threads(old)
    return 1000.0 * statistics.median(times)
