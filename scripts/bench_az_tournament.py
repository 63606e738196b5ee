"""Tournament wall time before and after batched play, side by side in one run (issue 14).

Runs the same tournaments with a baseline revision of bttt (a detached git worktree, imported through
PYTHONPATH with this checkout's virtual environment) and with this checkout, one after the other, and prints
wall times and ratios:

* ``gauntlet``: the paper networks' gauntlet (scripts/az_paper_tournament.py) on ``--suite`` cells;
* ``default``: the default ``bttt tournament`` (its agents and openings) on ``--suite`` cells.

Each configuration runs in a fresh folder under ``--out``; a finished one is recorded in ``times.json`` and
skipped when the script is run again (so an interrupted run resumes with the configurations left).

    nice -n 19 .venv/bin/python scripts/bench_az_tournament.py --baseline 110c9a1 --suite D4,A5,C3,G7 \\
        --workers 2 --out runs/bench-tournament
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT.parent / "shared" / "reference" / "bttt-paper-models"


def configs(args) -> list[tuple[str, str, str, list[str], dict]]:
    """(name, what, tree, extra arguments, extra environment) of every run, baseline first."""
    out = []
    variants = args.variants.split(",")
    for what in args.what.split(","):
        if "baseline" in variants:
            out.append((f"{what}: baseline {args.baseline}, one game at a time", what, "baseline", [], {}))
        for backend in ("torch", "onnx"):
            if backend in variants:
                out.append((f"{what}: batched, {backend} backend", what, "new", [], {"BTTT_INFERENCE": backend}))
    return out


def command(what: str, tree: Path, folder: Path, args) -> list[str]:
    py = sys.executable
    if what == "gauntlet":
        return [
            py,
            str(tree / "scripts" / "az_paper_tournament.py"),
            "--models",
            str(Path(args.models).resolve()),
            "--dir",
            str(folder),
            "--suite",
            args.suite,
            "--workers",
            str(args.workers),
        ]
    if what == "default":
        tail = ["--db", str(folder / "t.db"), "--no-report", "--no-progress"]
        return [py, "-m", "bttt", "tournament", "--suite", args.suite, "--workers", str(args.workers), *tail]
    raise SystemExit(f"unknown --what {what!r}: use gauntlet and/or default")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", required=True, help="git revision before batched play (e.g. 110c9a1)")
    parser.add_argument("--suite", default="D4,A5,C3,G7", help="brick cells of both tournaments")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--what", default="gauntlet,default", help="gauntlet, default, or both")
    parser.add_argument("--variants", default="baseline,torch,onnx", help="which of the three configurations")
    parser.add_argument("--models", default=str(MODELS), help="folder with the paper's alphazero_*.h5")
    parser.add_argument("--out", default="runs/bench-tournament", help="working folder (git-ignored)")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    baseline = out / "baseline-tree"
    if not baseline.exists():
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(baseline), args.baseline], check=True
        )
    times_file = out / "times.json"
    times = json.loads(times_file.read_text()) if times_file.exists() else {}
    for name, what, tree_kind, extra, env_extra in configs(args):
        if name in times:
            continue
        tree = baseline if tree_kind == "baseline" else ROOT
        folder = out / f"run-{len(times)}-{what}-{tree_kind}-{env_extra.get('BTTT_INFERENCE', 'default')}"
        if folder.exists():  # an interrupted run of this configuration: start it again from nothing
            subprocess.run(["rm", "-rf", str(folder)], check=True)
        folder.mkdir()
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(tree), **env_extra}
        if tree_kind == "baseline":
            env.pop("BTTT_INFERENCE", None)
        print(f"+ {name}", flush=True)
        t0 = time.perf_counter()
        subprocess.run(
            command(what, tree, folder, args) + extra, cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL
        )
        times[name] = {"seconds": time.perf_counter() - t0, "load": os.getloadavg()[0], "folder": str(folder)}
        times_file.write_text(json.dumps(times, indent=1))
    print(f"\n{'configuration':<58} {'wall s':>8} {'load':>5} {'speed-up':>9}")
    for what in args.what.split(","):
        base = next((v for k, v in times.items() if k.startswith(f"{what}: baseline")), None)
        for name, v in times.items():
            if name.startswith(f"{what}:"):
                ratio = f"{base['seconds'] / v['seconds']:.2f}x" if base else "-"
                print(f"{name:<58} {v['seconds']:>8.1f} {v['load']:>5.1f} {ratio:>9}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
