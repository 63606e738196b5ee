"""Shared fixtures: the reference data from the original BTTT code."""

from __future__ import annotations

import json
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
