"""Shared fixtures: the reference data from the original BTTT code, and the device of the AlphaZero tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[2] / "shared" / "reference"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``../shared/reference`` beside the repository; skip only where it is absent (a user's clone)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE_DIR} (only present in the project workspace)")
    return REFERENCE_DIR


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def original_games(reference_dir: Path) -> list[dict]:
    return _jsonl(reference_dir / "original_games.jsonl")


@pytest.fixture(scope="session")
def original_minimax(reference_dir: Path) -> list[dict]:
    return _jsonl(reference_dir / "original_minimax_depth2.jsonl")


#: The device the AlphaZero tests build their networks, evaluators, agents, self-play and training on.
TEST_DEVICE_ENV = "BTTT_TEST_DEVICE"


@pytest.fixture(scope="session")
def az_device() -> str:
    """``$BTTT_TEST_DEVICE`` (default ``cpu``): ``cpu``, ``cuda``, ``cuda:N``, ``mps`` or ``auto``.

    Asking for a device this machine lacks fails the tests that use it (a GPU check must not pass by
    skipping). On CUDA, TF32 convolutions and matrix products are turned off for the session, so outputs
    can be compared with the float32 CPU results at the tests' tolerances, and cuDNN is made
    deterministic, so a resumed training run can equal an uninterrupted one bit for bit.
    """
    import torch

    from agents.alphazero.evaluator import DeviceError, resolve_device

    name = os.environ.get(TEST_DEVICE_ENV, "").strip() or "cpu"
    try:
        device = resolve_device(name)
    except DeviceError as exc:
        pytest.fail(f"{TEST_DEVICE_ENV}={name}: {exc}", pytrace=False)
    if device.type == "cuda":
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    return str(device)
