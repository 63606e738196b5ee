"""Tournament of the paper's imported AlphaZero networks against the paper's Minimax and MCTS.

Imports Baseline, R2 and R3 (``bttt import-keras``) into ``--dir`` if needed, plays
each at 0 and 100 simulations with the paper's search (``paper=true``) against
``minimax:preset=paper`` and ``mcts:preset=paper`` (two gauntlets in one database,
so the AlphaZero agents never meet each other) on ``--suite`` with one game per
colour and cell, writes the standard report (``bttt report``), then prints
Markdown summaries: each agent's score as player 1 and as player 2 on its
training cells and on novel cells, and its player-1 heatmap. Player 1 wins most
games in this game, so the colours are reported apart.

    .venv/bin/python scripts/az_paper_tournament.py --models ../shared/reference/bttt-paper-models \
        --dir runs/paper --suite all --workers 1
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

NETS = ("baseline", "r2", "r3")
SIMS = (0, 100)
OPPONENTS = ("minimax:preset=paper", "mcts:preset=paper")


def bttt(*args: str, cwd: Path, inference: str | None = None, wait: bool = True) -> subprocess.Popen | None:
    """Run ``bttt *args`` in ``cwd``; with ``wait=False`` return the running process instead."""
    cmd = [sys.executable, "-m", "bttt", *args]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}  # one torch thread per tournament worker
    if inference:
        env["BTTT_INFERENCE"] = inference  # the inference backend (agents.alphazero.evaluator)
    print("+ bttt " + " ".join(args), flush=True)
    if not wait:
        return subprocess.Popen(cmd, cwd=cwd, env=env)
    subprocess.run(cmd, cwd=cwd, env=env, check=True)
    return None


def wilson(score: float, n: int) -> float:
    """Half-width of the 95% Wilson interval around a score (for display)."""
    if n == 0:
        return float("nan")
    z = 1.96
    centre_den = 1 + z * z / n
    return z * math.sqrt(score * (1 - score) / n + z * z / (4 * n * n)) / centre_den


def short(agent: str) -> str:
    if agent.startswith("alphazero:"):
        params = dict(p.split("=", 1) for p in agent.split(":", 1)[1].split(","))
        return f"{Path(params['checkpoint']).stem} sims={params['simulations']}"
    return agent


def summarise(report: Path, training: dict[str, set[str]]) -> str:
    with open(report / "cells.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    out = [
        "| agent | P1 training cells | P1 novel cells | P2 training cells | P2 novel cells |",
        "|---|---|---|---|---|",
    ]
    grids: dict[str, dict[str, float]] = defaultdict(dict)
    per_agent: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        per_agent[row["agent"]].append(row)
        grids[row["agent"]][row["layout"]] = float(row["score as P1"])
    for agent, cells in per_agent.items():
        train = training.get(short(agent).split()[0], set())
        parts = []
        for seat in ("P1", "P2"):
            for novel in (False, True):
                sel = [c for c in cells if (c["layout"] in train) != novel]
                n = sum(int(c[f"n as {seat}"]) for c in sel)
                s = sum(float(c[f"score as {seat}"]) * int(c[f"n as {seat}"]) for c in sel) / n if n else float("nan")
                parts.append("-" if n == 0 else f"{100 * s:.0f}% ± {100 * wilson(s, n):.0f} (n={n})")
        out.append(f"| {short(agent)} | " + " | ".join(parts) + " |")
    text = ["\n".join(out), ""]
    for agent, grid in grids.items():
        if not agent.startswith("alphazero:"):
            continue
        train = training.get(short(agent).split()[0], set())
        lines = [
            f"{short(agent)}: score as player 1 per brick cell (%, * = training cell)",
            "```",
            "      " + "".join(f"{c:>5}" for c in range(1, 8)),
        ]
        for r in "ABCDEFG":
            cells = []
            for c in range(1, 8):
                name = f"{r}{c}"
                v = grid.get(name)
                cells.append(f"{'.' if v is None else f'{100 * v:.0f}'}{'*' if name in train else ' '}".rjust(5))
            lines.append(f"  {r}   " + "".join(cells))
        lines.append("```")
        text.append("\n".join(lines))
    return "\n".join(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--models", default="../shared/reference/bttt-paper-models", help="folder with alphazero_{baseline,r2,r3}.h5"
    )
    parser.add_argument("--dir", default="runs/paper", help="working folder (git-ignored)")
    parser.add_argument("--suite", default="all")
    parser.add_argument("--workers", default="1")
    parser.add_argument("--summary-only", action="store_true", help="only print the summary of --dir")
    parser.add_argument(
        "--batch-games",
        default=None,
        help="games played together per worker, their network calls pooled (bttt tournament --batch-games; "
        "default: bttt's; 1 = one game at a time, as before batched play)",
    )
    parser.add_argument(
        "--inference", choices=("torch", "plain", "onnx"), help="inference backend (default: $BTTT_INFERENCE or torch)"
    )
    parser.add_argument("--device", help="device for the networks (adds device=... to the agent specs; default auto)")

    args = parser.parse_args()
    work = Path(args.dir).resolve()
    work.mkdir(parents=True, exist_ok=True)
    db, report = f"{args.suite}.db", f"report-{args.suite}"
    if not args.summary_only:
        missing = [net for net in NETS if not (work / f"{net}.pt").exists()]
        imports = [  # the networks are imported side by side: each import is a process of its own
            bttt(
                "import-keras",
                str(Path(args.models).resolve() / f"alphazero_{net}.h5"),
                "--out",
                f"{net}.pt",
                cwd=work,
                wait=False,
            )
            for net in missing
        ]
        for proc in imports:
            if proc.wait() != 0:
                raise subprocess.CalledProcessError(proc.returncode, proc.args)
        extra = f",device={args.device}" if args.device else ""
        agents = [f"alphazero:checkpoint={n}.pt,simulations={s},paper=true{extra}" for n in NETS for s in SIMS]
        batching = ["--batch-games", str(args.batch_games)] if args.batch_games else []
        for gauntlet in OPPONENTS:
            bttt(
                "tournament",
                *agents,
                *OPPONENTS,
                "--gauntlet",
                gauntlet,
                "--suite",
                args.suite,
                "--games",
                "1",
                "--seed",
                "0",
                "--openings",  # from the empty board, as the committed results (the default now uses openings)
                "0",
                "--workers",
                args.workers,
                "--db",
                db,
                "--out",
                report,
                "--no-progress",
                "--no-report",
                *batching,
                cwd=work,
                inference=args.inference,
            )
        bttt("report", "--db", db, "--out", report, "--quiet", cwd=work)
    from agents.alphazero.checkpoint import load_checkpoint
    from bttt import cell_name

    training = {net: {cell_name(c) for c in load_checkpoint(work / f"{net}.pt").training_cells} for net in NETS}
    print(summarise(work / report, training))


if __name__ == "__main__":
    main()
