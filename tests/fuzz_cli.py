"""Helpers of the command-line fuzz test (tests/test_fuzz_cli.py): the real ``bttt`` entry point run in this
process, a folder of inputs (good and foreign files), and the checks every run must pass.

The command line runs in-process (``bttt.cli.main``) so that hundreds of examples fit in seconds; the process
boundary is imitated where it matters: ``stdout`` encodes strictly as UTF-8 and ``stderr`` with backslash
escapes (as Python's own streams do), ``stdin`` is empty, and a run past its time budget is stopped by an alarm
that raises :class:`OutOfTime` (a ``BaseException``, so no ``except Exception`` of bttt can take it for an
error). A run that does real work for longer than the budget is counted, not failed: the fuzz is about how
commands refuse, and the budget keeps it fast.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
import signal
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path

#: Files every example gets a fresh copy of; the foreign ones must never change (bttt did not write them).
FOREIGN = ("foreign.txt", "foreign.db", "folder/kept.txt")


class OutOfTime(BaseException):
    """Raised by the alarm in a run that is still working when its budget is spent."""


@dataclass
class Outcome:
    code: int | None  # None: stopped by the budget
    stdout: str
    stderr: str
    error: BaseException | None = None  # an exception that escaped bttt's own handling

    def internal_error(self) -> str | None:
        """Why this run counts as an internal error, or None."""
        if self.error is not None:
            return f"{type(self.error).__name__} escaped: {self.error}"
        if "internal error" in self.stderr or "Traceback" in self.stderr:
            return self.stderr.strip().splitlines()[0] if self.stderr.strip() else "traceback"
        if self.code is not None and self.code not in (0, 2):
            return f"exit code {self.code}: {self.stderr.strip()[-300:]}"
        return None


def _on_alarm(signum, frame):
    # never inside an import: a module left half-imported would break every later run in this process
    f = frame
    while f is not None:
        if "importlib._bootstrap" in f.f_code.co_filename:
            signal.setitimer(signal.ITIMER_REAL, 0.05)
            return
        f = f.f_back
    raise OutOfTime


def run_bttt(argv: list[str], cwd: Path, budget: float) -> Outcome:
    """``bttt ARGV`` in ``cwd``, in this process, stopped after ``budget`` seconds."""
    from bttt.cli import main

    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="strict", write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="backslashreplace", write_through=True)
    old_cwd, old_stdin = os.getcwd(), sys.stdin
    old_handler = signal.signal(signal.SIGALRM, _on_alarm)
    os.environ.pop("BTTT_DEBUG", None)
    code: int | None = None
    escaped = None
    try:
        os.chdir(cwd)
        sys.stdin = io.StringIO("")
        signal.setitimer(signal.ITIMER_REAL, budget)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse: --help (0) or a usage error (2)
                code = exc.code if isinstance(exc.code, int) else 2
            except OutOfTime:
                code = None
            except BaseException as exc:  # noqa: BLE001 - anything else escaped bttt's handling
                escaped = exc
    except OutOfTime:  # the alarm fired between the command's end and the disarm
        pass
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        sys.stdin = old_stdin
        os.chdir(old_cwd)
    return Outcome(code, out_bytes.getvalue().decode("utf-8", "replace"), err_bytes.getvalue().decode(), escaped)


def make_inputs(folder: Path) -> None:
    """Good inputs of every kind (a tournament database, checkpoint, dataset, game file, certificate, solver
    store) and foreign files bttt did not write, in ``folder``."""
    from hostile import write_tiny_checkpoint, write_tiny_dataset

    folder.mkdir(parents=True, exist_ok=True)
    write_tiny_checkpoint(folder / "good.pt")
    write_tiny_dataset(folder / "good.npz", games=6)
    r = run_bttt(
        [
            *("tournament", "random", "minimax:depth=1", "--bricks", "D4", "--openings", "0", "--db", "good.db"),
            *("--no-report", "--no-progress", "--workers", "1"),
        ],
        folder,
        budget=120,
    )
    assert r.code == 0, r.stderr
    for argv in (
        ["analyse", "--db", "good.db", "--workers", "1", "--nodes", "300"],
        ["export", "--db", "good.db", "--format", "jsonl", "--out", "games.jsonl"],
        ["solve", "4x4k3 b:none m:-", "--certificate", "cert.json", "--store", "store.sqlite"],
    ):
        r = run_bttt(argv, folder, budget=120)
        assert r.code == 0, (argv, r.stderr)
    (folder / "foreign.txt").write_text("notes bttt did not write\n")
    conn = sqlite3.connect(folder / "foreign.db")
    with conn:
        conn.execute("CREATE TABLE games (id INTEGER PRIMARY KEY, winner TEXT)")
        conn.execute("INSERT INTO games (winner) VALUES ('me')")
    conn.close()
    (folder / "folder").mkdir()
    (folder / "folder" / "kept.txt").write_text("a file in a folder bttt did not make\n")


def fresh_copy(inputs: Path, base: Path) -> Path:
    """A new example folder under ``base`` holding a copy of ``inputs``."""
    base.mkdir(parents=True, exist_ok=True)
    n = len(list(base.iterdir()))
    folder = base / f"ex{n:05d}"
    shutil.copytree(inputs, folder)
    return folder


def digests(folder: Path, names) -> dict[str, str | None]:
    out = {}
    for name in names:
        path = folder / name
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    return out
