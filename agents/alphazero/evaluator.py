"""Batched network evaluation for search: numpy planes and legal masks in, priors and values out.

Search code (``search.BatchedMCTS``) calls an evaluator with every leaf of a step in
one batch; this wraps a :class:`PolicyValueNet` so that call is one forward pass
on the chosen device, in inference mode, with illegal moves masked.

The forward pass runs on an inference *backend* (measured in docs/alphazero-training.md):

* ``torch`` (the default): :class:`agents.alphazero.inference.FusedPolicyValueNet`, a copy
  of the network with BatchNorm folded into the convolutions, channels-last on the CPU and
  no per-layer padding copies; equal to the network within float32 rounding.
* ``plain``: the training module itself, unchanged (for checks and comparisons).
* ``onnx``: ONNX Runtime on the CPU (``pip install 'bttt[onnx]'``), the fastest here at
  small batches and for small networks.

The process-wide default is ``torch``, or the value of the environment variable
``BTTT_INFERENCE`` (so self-play workers and tournament processes inherit it).
"""

from __future__ import annotations

import os
import time
from typing import Protocol

import numpy as np
import torch

from agents.alphazero.network import PolicyValueNet
from bttt.errors import BtttError

#: Inference backends, the default first.
BACKENDS = ("torch", "plain", "onnx")
#: The environment variable that sets the default backend.
BACKEND_ENV = "BTTT_INFERENCE"


class DeviceError(BtttError):
    """A device name that is unknown or not available on this machine."""


class BackendError(BtttError):
    """An inference backend that is unknown or cannot run on the chosen device."""


class InferenceModel(Protocol):
    """What an evaluator runs: float32 planes (B, in, R, C) -> logits (B, R*C), values (B,) on its device."""

    backend: str

    def __call__(self, planes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]: ...


def resolve_device(name: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; ``"cpu"``, ``"cuda"``, ``"cuda:N"``, ``"mps"``.

    Asking for a device this machine lacks raises :class:`DeviceError` saying so.
    """
    if isinstance(name, torch.device):
        name = str(name)
    text = str(name).strip().lower()
    if text == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(text)
    except (RuntimeError, ValueError):
        raise DeviceError(f"unknown device {name!r}; use auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(
                f"device {name!r} asked for but CUDA is not available here (no GPU or a CPU-only "
                "PyTorch); use device=auto or device=cpu"
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r}: only {torch.cuda.device_count()} CUDA device(s) present")
    elif device.type == "mps":
        if not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
            raise DeviceError(f"device {name!r} asked for but MPS is not available; use auto or cpu")
    elif device.type != "cpu":
        raise DeviceError(f"unsupported device {name!r}; use auto, cpu, cuda or cuda:N")
    return device


def masked_priors(logits: torch.Tensor, masks: torch.Tensor, illegal_logit: float | None) -> torch.Tensor:
    """Softmax over legal moves; exactly 0 on illegal ones (and on rows with no legal move).

    ``illegal_logit=None`` masks exactly (illegal logits -> -inf). A number such as
    -100.0 reproduces the paper: illegal logits are *set* to it before a softmax over
    all cells (their e^-100 share is then dropped, which changes nothing measurable).
    """
    # (not -inf: a row with no legal move would give NaN)
    fill = torch.finfo(logits.dtype).min if illegal_logit is None else float(illegal_logit)
    masked = logits.masked_fill(~masks, fill)
    priors = torch.softmax(masked, dim=-1)
    return priors.masked_fill(~masks, 0.0)


def masked_priors_numpy(logits: np.ndarray, masks: np.ndarray, illegal_logit: float | None) -> np.ndarray:
    """:func:`masked_priors` in numpy, for a backend whose outputs are numpy arrays (ONNX Runtime): the same
    softmax without a round trip through torch, which costs more than the softmax at batch size 1. Each row is
    computed on its own, so the result does not depend on the batch size."""
    logits = np.asarray(logits, dtype=np.float32)
    fill = np.finfo(np.float32).min if illegal_logit is None else np.float32(illegal_logit)
    masked = np.where(masks, logits, fill)
    e = np.exp(masked - masked.max(axis=-1, keepdims=True))
    priors = e / e.sum(axis=-1, keepdims=True)
    priors[~masks] = 0.0
    return priors


def resolve_backend(name: str | None = None) -> str:
    """``None``/``"auto"`` -> the process default (``$BTTT_INFERENCE`` or ``torch``); else a checked name."""
    text = (os.environ.get(BACKEND_ENV, "") or BACKENDS[0]) if name in (None, "auto") else name
    text = str(text).strip().lower()
    if text not in BACKENDS:
        where = f" (from ${BACKEND_ENV})" if name in (None, "auto") else ""
        raise BackendError(f"unknown inference backend {text!r}{where}; choose one of {', '.join(BACKENDS)} or auto")
    return text


class _TorchModel:
    """A torch module run on numpy planes, in inference mode, on one device."""

    def __init__(self, module: torch.nn.Module, device: torch.device, backend: str) -> None:
        self.module = module
        self.device = device
        self.backend = backend

    @torch.inference_mode()
    def __call__(self, planes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.as_tensor(planes, dtype=torch.float32).to(self.device, non_blocking=True)
        return self.module(x)


class _OnnxModel:
    """An ONNX Runtime session run on numpy planes; outputs as CPU tensors."""

    backend = "onnx"

    def __init__(self, net: PolicyValueNet) -> None:
        from agents.alphazero.inference import fuse
        from agents.alphazero.onnx_backend import OnnxRuntimeNet

        self.runtime = OnnxRuntimeNet(fuse(net, channels_last=False), threads=torch.get_num_threads())

    def __call__(self, planes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        logits, values = self.runtime(planes)
        return torch.from_numpy(logits), torch.from_numpy(values)

    def numpy(self, planes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The outputs as ONNX Runtime returns them (the evaluator's numpy path)."""
        return self.runtime(planes)


def inference_model(net: PolicyValueNet, device: torch.device, backend: str | None = None) -> InferenceModel:
    """The forward pass of ``net`` (already on ``device``, eval mode) on ``backend`` (see the module doc).

    The model is a snapshot of the current weights (except ``plain``): build a new one after training.
    """
    backend = resolve_backend(backend)
    if backend == "plain":
        return _TorchModel(net, device, "plain")
    if backend == "onnx":
        if device.type != "cpu":
            raise BackendError(f"the onnx inference backend runs on the CPU only, not {device}; use backend=torch")
        return _OnnxModel(net)
    from agents.alphazero.inference import fuse

    return _TorchModel(fuse(net), device, "torch")


class Evaluator:
    """Callable ``(planes, masks) -> (priors, values)`` around a network on one device.

    Args:
        net: the network (switched to eval mode and moved to ``device``).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... (see :func:`resolve_device`).
        illegal_logit: ``None`` for exact masking, ``-100.0`` for the paper's masking.
        backend: ``"torch"`` (BN-folded copy), ``"plain"`` (the module as is), ``"onnx"`` (ONNX
            Runtime, CPU), or ``None``/``"auto"`` for the process default (``$BTTT_INFERENCE``).
            The copy is taken now: an evaluator does not see later changes to ``net``'s weights.
        model: an already built :func:`inference_model` of ``net`` to share (then ``backend`` is ignored).
    """

    def __init__(
        self,
        net: PolicyValueNet,
        device: str | torch.device = "auto",
        illegal_logit: float | None = None,
        backend: str | None = None,
        model: InferenceModel | None = None,
    ) -> None:
        self.device = resolve_device(device)
        self.net = net.to(self.device).eval()
        self.illegal_logit = illegal_logit
        self.config = net.config
        self.model = model if model is not None else inference_model(self.net, self.device, backend)
        self.backend = self.model.backend
        self.calls = 0
        self.positions = 0
        #: Wall time spent in calls of this object, in seconds (for benchmarks).
        self.seconds = 0.0

    @torch.inference_mode()
    def logits_values(self, planes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits (B, R*C) and values (B,) as tensors on the evaluator's device."""
        planes = np.asarray(planes, dtype=np.float32)
        if planes.ndim == 3:
            planes = planes[None]
        logits, values = self.model(planes)
        return logits.to(self.device), values.to(self.device)

    def __call__(self, planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """planes (B,3,R,C) for the side to move, masks bool (B,R*C) -> priors (B,R*C), values (B,)."""
        start = time.perf_counter()
        try:
            return self._evaluate(planes, masks)
        finally:
            self.seconds += time.perf_counter() - start

    def _evaluate(self, planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        planes = np.asarray(planes)
        masks = np.asarray(masks, dtype=bool)
        if planes.ndim == 3:
            planes, masks = planes[None], masks.reshape(1, -1)
        n = planes.shape[0]
        if masks.shape != (n, self.config.n_actions):
            raise ValueError(f"masks must be bool ({n}, {self.config.n_actions}), got {masks.shape}")
        if n == 0:
            return (np.zeros((0, self.config.n_actions), np.float32), np.zeros(0, np.float32))
        if hasattr(self.model, "numpy"):  # ONNX Runtime: numpy in, numpy out
            logits, values = self.model.numpy(np.asarray(planes, dtype=np.float32))
            self.calls += 1
            self.positions += n
            return masked_priors_numpy(logits, masks, self.illegal_logit), values.astype(np.float32, copy=False)
        return self._torch_call(planes, masks)

    @torch.inference_mode()
    def _torch_call(self, planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        n = planes.shape[0]
        logits, values = self.logits_values(planes)
        m = torch.from_numpy(masks).to(self.device, non_blocking=True)
        priors = masked_priors(logits.float(), m, self.illegal_logit)
        self.calls += 1
        self.positions += n
        return (
            priors.cpu().numpy().astype(np.float32, copy=False),
            values.float().cpu().numpy().astype(np.float32, copy=False),
        )

    def evaluate_states(self, states) -> tuple[np.ndarray, np.ndarray]:
        """Convenience: evaluate :class:`bttt.GameState` objects."""
        planes = np.stack([s.observation() for s in states])
        masks = np.stack([s.legal_mask() for s in states])
        return self(planes, masks)


@torch.inference_mode()
def evaluate_together(batches: list[tuple[Evaluator, np.ndarray, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """Evaluate several ``(evaluator, planes, masks)`` batches whose evaluators share one inference model in a
    single forward pass; each gets ``(priors, values)`` as its evaluator's ``__call__`` would return them
    (its own masking), up to the float rounding of a different batch size."""
    first = batches[0][0]
    if any(ev.model is not first.model for ev, _, _ in batches):
        raise ValueError("evaluate_together: the evaluators do not share one inference model")
    sizes = [len(p) for _, p, _ in batches]
    planes = np.concatenate([np.asarray(p, dtype=np.float32) for _, p, _ in batches])
    numpy_path = hasattr(first.model, "numpy")  # as in Evaluator.__call__
    if numpy_path:
        logits, values = first.model.numpy(planes)
    else:
        logits, values = first.logits_values(planes)
        logits = logits.float()
        values = values.float().cpu().numpy()
    values = values.astype(np.float32, copy=False)
    out = []
    start = 0
    for (ev, _, masks), n in zip(batches, sizes, strict=True):
        masks = np.asarray(masks, dtype=bool)
        if masks.shape != (n, ev.config.n_actions):
            raise ValueError(f"masks must be bool ({n}, {ev.config.n_actions}), got {masks.shape}")
        if numpy_path:
            priors = masked_priors_numpy(logits[start : start + n], masks, ev.illegal_logit)
        else:
            m = torch.from_numpy(masks).to(ev.device, non_blocking=True)
            priors = masked_priors(logits[start : start + n], m, ev.illegal_logit).cpu().numpy()
        out.append((priors.astype(np.float32, copy=False), values[start : start + n].copy()))
        ev.calls += 1
        ev.positions += n
        start += n
    return out
