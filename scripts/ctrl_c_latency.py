"""How long each long-running command takes to end after Ctrl-C (docs/reliability.md).

Each command is started in its own session, left working for a few seconds (well inside a long search, a
training iteration or a self-play chunk), then sent SIGINT to its whole process group, as a terminal's Ctrl-C
does. The time from the signal to the process's exit is recorded with its exit code (130 expected) and whether
stderr is one clear line without a traceback. Latencies, not speed claims: they are measured on whatever machine
runs this (a loaded one gives upper bounds).

    .venv/bin/python scripts/ctrl_c_latency.py --repeats 3 --out docs/reliability/ctrl_c.csv
"""

from __future__ import annotations

import argparse
import csv
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TINY = ["--net", "tiny", "--games-per-iteration", "8", "--parallel-games", "4", "--simulations", "6"]
TINY += ["--train-steps", "2", "--min-replay", "1", "--batch-size", "16", "--eval-every", "0", "--no-progress"]
SMALL = ["--workers", "1", "--db", "t.db", "--no-report", "--no-progress"]
LONG = ["--workers", "2", "--db", "long.db", "--no-report", "--no-progress"]


def bttt_cmd(*args) -> list[str]:
    return [sys.executable, "-m", "bttt", *map(str, args)]


def env() -> dict:
    e = {k: v for k, v in os.environ.items() if k != "BTTT_DEBUG"}
    e["PYTHONPATH"] = os.pathsep.join([str(REPO), e.get("PYTHONPATH", "")])
    return e


def prepare(folder: Path) -> None:
    """A tiny trained network, its replay buffer as a dataset, and a small tournament database."""
    steps = [
        ["train", "--out", "net", "--iterations", "1", *TINY, "--export-dataset", "pos.npz"],
        ["tournament", "random", "minimax:depth=2", "--bricks", "D4", "--openings", "0", "--games", "4", *SMALL],
    ]
    for args in steps:
        subprocess.run(bttt_cmd(*args), cwd=folder, env=env(), check=True, capture_output=True)


SCENARIOS: dict[str, tuple[list[str], float]] = {
    # name: (arguments, seconds of work before Ctrl-C)
    "play minimax:depth=30": (["play", "--p1", "minimax:depth=30", "--p2", "random", "--seed", "1"], 5),
    "play mcts:iterations=5e7": (["play", "--p1", "mcts:iterations=50000000", "--p2", "random", "--seed", "1"], 5),
    "solve 7x7 D4 empty board": (["solve", "--brick", "D4", "--store", "s.sqlite"], 5),
    "tournament (2 workers)": (
        ["tournament", "mcts:iterations=200000", "minimax:depth=8", "--bricks", "orbits", "--openings", "0", *LONG],
        8,
    ),
    "train (2 workers)": (["train", "--out", "run", "--iterations", "50", "--workers", "2", *TINY], 12),
    "selfplay (2 workers)": (["selfplay", "net/final.pt", "--out", "sp.npz", "--games", "4096", "--workers", "2"], 10),
    "prune": (
        ["prune", "net/final.pt", "--dataset", "pos.npz", "--out", "p.pt", "--cycles", "20", "--epochs", "20"],
        8,
    ),
    "analyse": (["analyse", "--db", "t.db", "--workers", "2", "--time-limit", "60"], 6),
}


def _is_progress(line: str) -> bool:
    """A progress bar or progress line (not part of the message that ends the command)."""
    return bool(re.search(r"\d+%\|", line)) or line.startswith(("training on", "prune:", "self-play"))


def measure(folder: Path, args: list[str], wait: float) -> tuple[float | None, int | None, bool]:
    """(seconds from Ctrl-C to exit, exit code, one clear line) for one run; None when it ended before."""
    proc = subprocess.Popen(
        bttt_cmd(*args),
        cwd=folder,
        env=env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    time.sleep(wait)
    if proc.poll() is not None:
        return None, proc.returncode, False
    start = time.perf_counter()
    os.killpg(proc.pid, signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return float("inf"), None, False
    seconds = time.perf_counter() - start
    lines = [line for line in err.splitlines() if line.strip() and not _is_progress(line)]
    clear = "Traceback" not in err and len(lines) == 1 and "interrupted" in lines[0]
    return seconds, proc.returncode, clear


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--only", help="run only the scenarios whose name contains this")
    ap.add_argument("--out", help="CSV file to write (scenario, repeat, seconds, exit code, clear)")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bttt-ctrl-c-") as tmp:
        base = Path(tmp)
        prepare(base)
        for name, (cmd, wait) in SCENARIOS.items():
            if args.only and args.only not in name:
                continue
            times = []
            for r in range(args.repeats):
                folder = base / f"{len(rows)}"
                folder.mkdir()
                (folder / "net").symlink_to(base / "net")
                for f in ("pos.npz", "t.db"):
                    (folder / f).write_bytes((base / f).read_bytes())
                seconds, code, clear = measure(folder, cmd, wait)
                rows.append({"scenario": name, "repeat": r, "seconds": seconds, "exit_code": code, "clear": clear})
                if seconds is not None:
                    times.append(seconds)
                print(f"{name}: {seconds if seconds is None else round(seconds, 3)} s, exit {code}, clear {clear}")
            if times:
                print(f"  -> median {statistics.median(times):.3f} s, max {max(times):.3f} s over {len(times)}")
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        with open(args.out, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=["scenario", "repeat", "seconds", "exit_code", "clear"])
            w.writeheader()
            for row in rows:
                w.writerow({**row, "seconds": "" if row["seconds"] is None else f"{row['seconds']:.3f}"})


if __name__ == "__main__":
    main()
