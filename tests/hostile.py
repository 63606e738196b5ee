"""Helpers of the hostile test suite: the real command line in a subprocess, and what a refusal must look like."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def bttt(*args: str, cwd: Path, timeout: float = 420, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m bttt ARGS`` in ``cwd``; a hang fails the test (``timeout``), not CI."""
    full_env = {k: v for k, v in os.environ.items() if k != "BTTT_DEBUG"}
    full_env["PYTHONPATH"] = os.pathsep.join([str(REPO), full_env.get("PYTHONPATH", "")])
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bttt", *map(str, args)],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def assert_refused(result: subprocess.CompletedProcess, *fragments: str) -> None:
    """Exit code 2, one line on stderr naming the problem, no traceback."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


def tree_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its content: to show that nothing was written or deleted."""
    out = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            out[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sql(db: Path, statement: str, args: tuple = ()) -> list[tuple]:
    """Run one statement on a database and close it (so SQLite folds its write-ahead log into the file)."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        with conn:
            rows = conn.execute(statement, args).fetchall()
    finally:
        conn.close()
    return rows


def popen(*args: str, cwd: Path) -> subprocess.Popen:
    """The command in its own process group, with Ctrl-C delivered as in a terminal (not ignored)."""
    env = {k: v for k, v in os.environ.items() if k != "BTTT_DEBUG"}
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, "-m", "bttt", *map(str, args)],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def wait_for(predicate, timeout: float = 120, step: float = 0.1) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def children(pid: int) -> list[int]:
    """Process ids of the direct children of ``pid`` (from /proc)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def write_tiny_dataset(path: Path, games: int = 12, seed: int = 0) -> None:
    """A small, valid self-play dataset of random games with the brick on D4."""
    from agents.alphazero.dataset import save_dataset
    from bttt import GameState, Rules

    rng = np.random.default_rng(seed)
    planes, masks, policy, value = [], [], [], []
    for _ in range(games):
        s = GameState(Rules(bricks="D4"))
        while not s.is_terminal():
            m = s.legal_mask()
            planes.append(s.observation())
            masks.append(m)
            p = rng.random(49) * m
            policy.append(p / p.sum())
            value.append(float(rng.choice([-1.0, 0.0, 1.0])))
            acts = s.legal_actions()
            s.apply_action(acts[int(rng.integers(len(acts)))])
    arrays = {
        "planes": np.array(planes),
        "masks": np.array(masks),
        "policy": np.array(policy, np.float32),
        "value": np.array(value, np.float32),
        "layout": np.zeros(len(value), np.int16),
    }
    save_dataset(path, arrays, "D4", 7, 7)


def write_tiny_checkpoint(path: Path, seed: int = 1) -> None:
    from agents.alphazero.checkpoint import Checkpoint, save_checkpoint
    from agents.alphazero.network import TINY, build_net

    net = build_net(TINY, seed=seed)
    save_checkpoint(path, Checkpoint.from_net(net, training_bricks="D4", training_cells=(24,)))
