"""Faults injected into real runs: kill -9 of a worker or of the main process, and Ctrl-C.

Each run ends with a result identical to an uninterrupted run (after rerunning the same command), or with a clear
refusal -- never a hang: every wait has a timeout, so a hang fails the test instead of CI. (Tournaments: see
tests/test_tournament_runner.py for kill -9 of the driver and of a worker mid-tournament.)
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from hostile import bttt, children, popen, wait_for, write_tiny_checkpoint, write_tiny_dataset

pytestmark = pytest.mark.slow

TRAIN = [
    "--net",
    "tiny",
    "--games-per-iteration",
    "8",
    "--parallel-games",
    "4",
    "--simulations",
    "6",
    "--train-steps",
    "2",
    "--min-replay",
    "1",
    "--batch-size",
    "16",
    "--eval-every",
    "0",
    "--no-progress",
]


def _lines(path: Path) -> int:
    try:
        return len(path.read_text().splitlines())
    except OSError:
        return 0


def _weights(path: Path) -> dict:
    from agents.alphazero.checkpoint import load_checkpoint

    return load_checkpoint(path).state_dict


def _same_weights(a: Path, b: Path) -> None:
    wa, wb = _weights(a), _weights(b)
    assert wa.keys() == wb.keys()
    for k in wa:
        torch.testing.assert_close(wa[k], wb[k], rtol=0, atol=0)


def _workers(pid: int) -> list[int]:
    """The pool's worker processes among ``pid``'s children (not multiprocessing's resource tracker)."""
    out = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"resource_tracker" not in cmdline and b"multiprocessing" in cmdline:
            out.append(child)
    return out


def _finish(proc, timeout: float = 240) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except Exception:  # pragma: no cover - a hang: fail, never block CI
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    return proc.returncode, err


def test_train_resumes_exactly_after_kill_minus_9_of_the_main_process(tmp_path):
    args = ["train", "--out", tmp_path / "run", "--iterations", "4", *TRAIN]
    assert bttt(*args[:2], tmp_path / "clean", *args[3:], cwd=tmp_path).returncode == 0
    proc = popen(*args, cwd=tmp_path)
    assert wait_for(lambda: _lines(tmp_path / "run" / "metrics.csv") >= 2 or proc.poll() is not None)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-run: at least one iteration saved
    proc.wait(timeout=30)
    r = bttt(*args, cwd=tmp_path)  # the same command resumes
    assert r.returncode == 0 and "resuming at iteration" in r.stdout, r.stderr
    _same_weights(tmp_path / "run" / "final.pt", tmp_path / "clean" / "final.pt")


def test_train_survives_a_killed_worker_with_the_same_games(tmp_path):
    args = ["train", "--iterations", "3", "--workers", "2", *TRAIN]
    assert bttt(*args, "--out", tmp_path / "clean", cwd=tmp_path).returncode == 0
    proc = popen(*args, "--out", tmp_path / "run", cwd=tmp_path)
    assert wait_for(lambda: len(_workers(proc.pid)) >= 2 or proc.poll() is not None, timeout=120)
    time.sleep(1.0)  # the workers are playing
    victims = _workers(proc.pid)
    if victims:
        os.kill(victims[0], signal.SIGKILL)
    rc, err = _finish(proc)
    assert rc == 0, err  # the lost jobs were played again in a fresh pool
    _same_weights(tmp_path / "run" / "final.pt", tmp_path / "clean" / "final.pt")


def test_train_stops_on_ctrl_c_within_seconds_and_the_message_is_true(tmp_path):
    args = ["train", "--out", tmp_path / "run", "--iterations", "50", "--workers", "2", *TRAIN]
    proc = popen(*args, cwd=tmp_path)
    assert wait_for(lambda: _lines(tmp_path / "run" / "metrics.csv") >= 2 or proc.poll() is not None)
    start = time.time()
    proc.send_signal(signal.SIGINT)
    rc, err = _finish(proc, timeout=60)
    assert rc == 130 and time.time() - start < 5, (rc, time.time() - start, err)
    assert "rerun the same command to resume" in err and "Traceback" not in err
    r = bttt(*args[:4], "1", *args[5:], cwd=tmp_path)  # true: the same run continues (here, to 1 iteration: done)
    # it keeps what was trained, never restarts it: one finished iteration completes the run, more are refused
    assert (r.returncode == 0 and "resuming at iteration 1" in r.stdout) or (
        r.returncode == 2 and "already finished" in r.stderr
    ), (r.returncode, r.stdout[-500:], r.stderr[-500:])


def test_selfplay_resumes_after_kill_minus_9_and_survives_a_killed_worker(tmp_path):
    write_tiny_checkpoint(tmp_path / "net.pt")
    args = [
        "selfplay",
        tmp_path / "net.pt",
        "--games",
        "128",
        "--chunk-games",
        "32",
        "--simulations",
        "4",
        "--parallel-games",
        "16",
        "--workers",
        "2",
    ]
    assert bttt(*args, "--out", tmp_path / "clean.npz", cwd=tmp_path).returncode == 0
    proc = popen(*args, "--out", tmp_path / "cut.npz", cwd=tmp_path)
    parts = tmp_path / "cut.npz.parts"
    assert wait_for(lambda: len(list(parts.glob("chunk-*.npz"))) >= 1 or proc.poll() is not None)
    victims = _workers(proc.pid)
    if victims:
        os.kill(victims[0], signal.SIGKILL)  # a worker first: detected, its jobs played again
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)  # then the whole command
    proc.wait(timeout=30)
    r = bttt(*args, "--out", tmp_path / "cut.npz", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    from agents.alphazero.dataset import ARRAYS, load_dataset

    a, b = load_dataset(tmp_path / "cut.npz"), load_dataset(tmp_path / "clean.npz")
    for k in ARRAYS:
        np.testing.assert_array_equal(a[k], b[k])


def test_prune_resumes_exactly_after_kill_minus_9(tmp_path):
    write_tiny_checkpoint(tmp_path / "net.pt")
    write_tiny_dataset(tmp_path / "pos.npz", games=30)
    args = [
        "prune",
        tmp_path / "net.pt",
        "--dataset",
        tmp_path / "pos.npz",
        "--epochs",
        "2",
        "--batch-size",
        "16",
        "--no-latency",
        "--fraction",
        "0.25",
        "--target-trunk",
        "0.3",
    ]
    assert bttt(*args, "--out", tmp_path / "clean.pt", cwd=tmp_path).returncode == 0
    proc = popen(*args, "--out", tmp_path / "cut.pt", cwd=tmp_path)
    state = tmp_path / "cut.pt.run" / "state.pt"
    assert wait_for(lambda: state.exists() or proc.poll() is not None)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    r = bttt(*args, "--out", tmp_path / "cut.pt", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    _same_weights(tmp_path / "cut.pt", tmp_path / "clean.pt")


@pytest.mark.parametrize(
    "args",
    [
        ["play", "--p1", "minimax:depth=30", "--p2", "random", "--seed", "1"],
        ["play", "--p1", "mcts:iterations=50000000", "--p2", "random", "--seed", "1"],
        [
            "tournament",
            "mcts:iterations=200000",
            "minimax:depth=8",
            "--bricks",
            "orbits",
            "--openings",
            "0",
            "--workers",
            "2",
            "--db",
            "t.db",
            "--no-report",
            "--no-progress",
        ],
    ],
    ids=["minimax search", "mcts search", "tournament"],
)
def test_ctrl_c_ends_long_searches_within_two_seconds(args, tmp_path):
    proc = popen(*args, cwd=tmp_path)
    time.sleep(6)  # well inside the first long search
    assert proc.poll() is None
    start = time.time()
    proc.send_signal(signal.SIGINT)
    rc, err = _finish(proc, timeout=60)
    assert rc == 130 and "interrupted" in err and "Traceback" not in err, err
    assert time.time() - start < 3.0  # two seconds, and some slack for a loaded test machine
