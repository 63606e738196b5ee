#!/usr/bin/env python
"""Benchmarks of this checkout beside a baseline commit, interleaved in one run, reported as ratios.

Usage::

    python scripts/bench_compare.py BASELINE                 # search, engine and self-play, 3 rounds
    python scripts/bench_compare.py main~3 --benches search --rounds 5 --out docs/bench.md

The baseline commit is checked out (once) as a detached git worktree in the temporary folder. Each round runs
every benchmark script (``scripts/bench_search.py``, ``bench_engine.py``, ``bench_az_selfplay.py``) once in each
tree -- each tree's own script and packages, in alternating order so background load hits both alike -- and
reads the figures the script writes with ``--json``. The report gives each figure's median per tree, the
median of the per-round ratios current / baseline (every figure is a rate: above 1 is faster) with a
distribution-free ~95% interval for that median (order statistics, so a loaded machine widens it rather than
biasing it), and a verdict against ``--tolerance``: "drop" when the whole interval lies below ``1 - tolerance``,
"no drop" when it lies above, else "not decided" (run more rounds).
The baseline must have the scripts' ``--json`` option (commit 6741725 or later).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCHES = {
    "search": ["scripts/bench_search.py", "--quick", "--no-baselines", "--clock", "cpu"],
    "engine": ["scripts/bench_engine.py", "--repeats", "1", "--seconds", "1", "--playouts", "100000"],
    "selfplay": ["scripts/bench_az_selfplay.py", "--games", "32", "--workers", "1"],
}


def _git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def baseline_tree(rev: str) -> Path:
    """A detached worktree of ``rev`` in the temporary folder (reused by later runs)."""
    sha = _git("rev-parse", "--verify", f"{rev}^{{commit}}")
    tree = Path(tempfile.gettempdir()) / f"bttt-bench-{sha[:12]}"
    if not (tree / "scripts").is_dir():
        _git("worktree", "add", "--detach", str(tree), sha)
    return tree


def run_bench(tree: Path, command: list[str]) -> dict[str, float]:
    """One run of a benchmark script in ``tree`` (its own packages first on the path); its --json figures."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = dict(os.environ, PYTHONPATH=str(tree))
        subprocess.run(
            [sys.executable, *command, "--json", out.name], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL
        )
        return json.loads(Path(out.name).read_text())


def median_interval(values: list[float], level: float = 0.95) -> tuple[float, float]:
    """A distribution-free interval for the median: order statistics ``x(k)``, ``x(n-k+1)`` (binomial, p = 1/2)."""
    xs = sorted(values)
    n = len(xs)
    k, tail = 0, 0.0
    while k < n // 2 and tail + math.comb(n, k) / 2**n <= (1 - level) / 2:
        tail += math.comb(n, k) / 2**n
        k += 1
    return (xs[0], xs[-1]) if k == 0 else (xs[k - 1], xs[n - k])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("baseline", help="git revision to compare against (e.g. main, a commit id)")
    p.add_argument("--benches", default="search,engine,selfplay", help="comma-separated: search, engine, selfplay")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds per benchmark (default 3)")
    p.add_argument("--tolerance", type=float, default=0.05, help="largest acceptable slowdown (default 0.05)")
    p.add_argument("--out", help="also write the table as Markdown to this file")
    p.add_argument("--raw", help="also write every run's figures as JSON to this file")
    args = p.parse_args(argv)
    names = [b.strip() for b in args.benches.split(",") if b.strip()]
    unknown = sorted(set(names) - set(BENCHES))
    if unknown or args.rounds < 1:
        p.error(f"unknown benches {unknown}; choose from {', '.join(BENCHES)}" if unknown else "--rounds must be >= 1")
    base = baseline_tree(args.baseline)
    trees = {"baseline": base, "current": ROOT}
    runs: dict[str, dict[str, list[dict[str, float]]]] = {n: {"baseline": [], "current": []} for n in names}
    for r in range(args.rounds):
        for name in names:
            order = ("baseline", "current") if r % 2 == 0 else ("current", "baseline")
            for which in order:
                print(f"round {r + 1}/{args.rounds}: {name} in {which}", file=sys.stderr, flush=True)
                runs[name][which].append(run_bench(trees[which], BENCHES[name]))
    head = _git("rev-parse", "--short", "HEAD")
    dirty = " (with uncommitted changes)" if _git("status", "--porcelain", "--untracked-files=no") else ""
    lines = [
        f"Baseline {_git('rev-parse', '--short', args.baseline)} vs current {head}{dirty}; "
        f"{args.rounds} interleaved rounds; medians per tree; ratio = median of the per-round ratios current / "
        "baseline (rates: above 1 is faster) with its distribution-free ~95% interval; verdict against a "
        f"{args.tolerance:.0%} slowdown.",
        f"Command: `python scripts/bench_compare.py {args.baseline} --benches {','.join(names)} "
        f"--rounds {args.rounds}`",
        "",
        "| benchmark | figure | baseline | current | ratio | ~95% interval | verdict |",
        "| --- | --- | ---: | ---: | ---: | --- | --- |",
    ]
    for name in names:
        base_runs, cur_runs = runs[name]["baseline"], runs[name]["current"]
        for key in base_runs[0]:
            if key not in cur_runs[0]:
                continue
            b = statistics.median(run[key] for run in base_runs)
            c = statistics.median(run[key] for run in cur_runs)
            per_round = [cr[key] / br[key] for br, cr in zip(base_runs, cur_runs, strict=True) if br[key]]
            lo, hi = median_interval(per_round)
            floor = 1 - args.tolerance
            verdict = "drop" if hi < floor else "no drop" if lo >= floor else "not decided"
            lines.append(
                f"| {name} | {key} | {b:,.1f} | {c:,.1f} | {statistics.median(per_round):.3f} "
                f"| {lo:.3f}-{hi:.3f} | {verdict} |"
            )
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    if args.raw:
        Path(args.raw).write_text(json.dumps({"baseline": args.baseline, "current": head, "runs": runs}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
