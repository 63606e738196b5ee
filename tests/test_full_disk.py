"""A full disk: tournament, train and selfplay writing to a tiny tmpfs end with one clear line (exit code 2),
and the same command, rerun once there is space, finishes with the result of a run that never failed.

Needs root to mount the tmpfs (as in the project's CI container); elsewhere the tests skip and say why.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch
from hostile import bttt, sql, write_tiny_checkpoint

pytestmark = pytest.mark.slow

TRAIN = ["--net", "tiny", "--iterations", "3", "--games-per-iteration", "2", "--parallel-games", "2"]
TRAIN += ["--simulations", "2", "--train-steps", "1", "--min-replay", "1", "--batch-size", "8", "--eval-every", "0"]
TRAIN += ["--no-progress", "--workers", "1"]
TOURNAMENT = ["random", "minimax:depth=1", "--bricks", "D4", "--openings", "0", "--games", "20", "--workers", "1"]
TOURNAMENT += ["--no-report", "--no-progress"]
SELFPLAY = ["--games", "64", "--chunk-games", "32", "--simulations", "2", "--workers", "1", "--no-progress"]


@pytest.fixture
def tiny_fs(tmp_path):
    """A 1 MiB tmpfs mounted for the test."""
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs to fill needs root")
    mount = tmp_path / "fs"
    mount.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({r.stderr.strip() or r.returncode}): no full-disk test")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _fill(fs: Path, leave: int) -> Path:
    """Fill ``fs`` so that only about ``leave`` bytes stay free."""
    st = os.statvfs(fs)
    free = st.f_bavail * st.f_frsize
    filler = fs / "filler"
    filler.write_bytes(b"\0" * max(free - leave, 0))
    return filler


def _refused_for_space(r) -> None:
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert r.returncode == 2, r.stderr[-2000:]
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    assert len(lines) == 1 and ("No space left" in lines[0] or "disk is full" in lines[0]), r.stderr


def _games(db: Path) -> list[tuple]:
    return sorted(sql(db, "SELECT p1, p2, layout, game_index, seed, winner, moves FROM games"))


def test_tournament_on_a_full_disk_stops_clearly_and_resumes(tiny_fs, tmp_path):
    ref = tmp_path / "ref.db"
    assert bttt("tournament", *TOURNAMENT, "--db", ref, cwd=tmp_path).returncode == 0
    filler = _fill(tiny_fs, 128 * 1024)
    db = tiny_fs / "t.db"
    _refused_for_space(bttt("tournament", *TOURNAMENT, "--db", db, cwd=tmp_path))
    assert len(_games(db)) < len(_games(ref))
    filler.unlink()
    r = bttt("tournament", *TOURNAMENT, "--db", db, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert _games(db) == _games(ref)


@pytest.mark.parametrize("leave_kib", [32, 200])  # no first checkpoint; the first one, not the second
def test_train_on_a_full_disk_stops_clearly_and_resumes(leave_kib, tiny_fs, tmp_path):
    from agents.alphazero.checkpoint import load_checkpoint

    assert bttt("train", "--out", tmp_path / "ref", *TRAIN, cwd=tmp_path).returncode == 0
    filler = _fill(tiny_fs, leave_kib * 1024)
    run = tiny_fs / "run"
    _refused_for_space(bttt("train", "--out", run, *TRAIN, cwd=tmp_path))
    assert not (run / "final.pt").exists()
    assert not [p for p in run.iterdir() if p.name.endswith(".tmp")], "a temporary file was left behind"
    filler.unlink()
    r = bttt("train", "--out", run, *TRAIN, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    a, b = load_checkpoint(run / "final.pt").state_dict, load_checkpoint(tmp_path / "ref" / "final.pt").state_dict
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)


def test_selfplay_on_a_full_disk_stops_clearly_and_resumes(tiny_fs, tmp_path):
    net = tmp_path / "net.pt"
    write_tiny_checkpoint(net)
    assert bttt("selfplay", net, "--out", tmp_path / "ref.npz", *SELFPLAY, cwd=tmp_path).returncode == 0
    filler = _fill(tiny_fs, 16 * 1024)  # the first chunk (about 10 KiB), not the second
    out = tiny_fs / "sp.npz"
    _refused_for_space(bttt("selfplay", net, "--out", out, *SELFPLAY, cwd=tmp_path))
    assert not out.exists()
    filler.unlink()
    r = bttt("selfplay", net, "--out", out, *SELFPLAY, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    with np.load(out, allow_pickle=False) as got, np.load(tmp_path / "ref.npz", allow_pickle=False) as want:
        assert sorted(got.files) == sorted(want.files)
        for k in want.files:
            np.testing.assert_array_equal(got[k], want[k])
