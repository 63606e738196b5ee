"""Compare a replay of the paper networks' gauntlet with the committed results, cell by cell.

Reads ``cells.csv`` of two reports (``bttt report``; by default the committed one in
docs/alphazero-paper-networks/) and prints, for every agent, the brick cells where its score as player 1 or as
player 2 differs, and the count of agreeing cells. Deterministic agents replay the same games, so any
difference is a difference in play (search, inference rounding), not noise.

    .venv/bin/python scripts/compare_paper_cells.py runs/paper/report-all/cells.csv
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

REFERENCE = Path(__file__).resolve().parents[1] / "docs" / "alphazero-paper-networks" / "cells.csv"


def short(agent: str) -> str:
    if agent.startswith("alphazero:"):
        params = dict(p.split("=", 1) for p in agent.split(":", 1)[1].split(","))
        return f"{Path(params['checkpoint'].split('@')[0]).stem} sims={params['simulations']}"
    return agent


def read(path: Path) -> dict[tuple[str, str], tuple[float, float]]:
    with open(path, newline="") as fh:
        return {
            (short(r["agent"]), r["layout"]): (float(r["score as P1"]), float(r["score as P2"]))
            for r in csv.DictReader(fh)
        }


def compare(new: Path, ref: Path = REFERENCE) -> tuple[int, int, list[str]]:
    """(agreeing cells, compared cells, one line per differing cell) over every (agent, cell, colour)."""
    a, b = read(ref), read(new)
    lines, agree, total = [], 0, 0
    for key in sorted(set(a) & set(b)):
        for seat, (x, y) in zip(("P1", "P2"), zip(a[key], b[key], strict=True), strict=True):
            total += 1
            if x == y:
                agree += 1
            else:
                lines.append(f"{key[0]:<22} {key[1]:<5} as {seat}: committed {100 * x:.0f}%, replay {100 * y:.0f}%")
    missing = sorted(set(a) ^ set(b))
    if missing:
        lines.append(f"(cells in only one of the two reports: {len(missing)})")
    return agree, total, lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cells", type=Path, help="cells.csv of the replay's report")
    parser.add_argument("--reference", type=Path, default=REFERENCE, help="cells.csv to compare with")
    args = parser.parse_args()
    agree, total, lines = compare(args.cells, args.reference)
    print("\n".join(lines))
    print(f"{agree} of {total} (agent, cell, colour) scores agree with {args.reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
