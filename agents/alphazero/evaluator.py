"""Batched network evaluation for search: numpy planes and legal masks in, priors and values out.

Search code (``search.BatchedMCTS``) calls an evaluator with every leaf of a step in
one batch; this wraps a :class:`PolicyValueNet` so that call is one forward pass
on the chosen device, in inference mode, with illegal moves masked.
"""

from __future__ import annotations

import numpy as np
import torch

from agents.alphazero.network import PolicyValueNet
from bttt.errors import BtttError


class DeviceError(BtttError):
    """A device name that is unknown or not available on this machine."""


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


class Evaluator:
    """Callable ``(planes, masks) -> (priors, values)`` around a network on one device.

    Args:
        net: the network (switched to eval mode and moved to ``device``).
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ... (see :func:`resolve_device`).
        illegal_logit: ``None`` for exact masking, ``-100.0`` for the paper's masking.
    """

    def __init__(
        self, net: PolicyValueNet, device: str | torch.device = "auto", illegal_logit: float | None = None
    ) -> None:
        self.device = resolve_device(device)
        self.net = net.to(self.device).eval()
        self.illegal_logit = illegal_logit
        self.config = net.config
        self.calls = 0
        self.positions = 0

    @torch.inference_mode()
    def logits_values(self, planes: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """Raw logits (B, R*C) and values (B,) as tensors on the evaluator's device."""
        x = torch.as_tensor(np.asarray(planes), dtype=torch.float32).to(self.device, non_blocking=True)
        if x.dim() == 3:
            x = x.unsqueeze(0)
        return self.net(x)

    @torch.inference_mode()
    def __call__(self, planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """planes (B,3,R,C) for the side to move, masks bool (B,R*C) -> priors (B,R*C), values (B,)."""
        planes = np.asarray(planes)
        masks = np.asarray(masks, dtype=bool)
        if planes.ndim == 3:
            planes, masks = planes[None], masks.reshape(1, -1)
        n = planes.shape[0]
        if masks.shape != (n, self.config.n_actions):
            raise ValueError(f"masks must be bool ({n}, {self.config.n_actions}), got {masks.shape}")
        if n == 0:
            return (np.zeros((0, self.config.n_actions), np.float32), np.zeros(0, np.float32))
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
