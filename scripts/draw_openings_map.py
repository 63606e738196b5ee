#!/usr/bin/env python
"""The shipped openings table (bttt/solver/openings_7x7k4.json) as a 7x7 map: docs/solver/openings_map.png.

Usage::

    python scripts/draw_openings_map.py [--table FILE] [--out FILE]

Each cell is the brick's cell: its colour is the value of the empty board for player 1 (a win, a draw, a loss,
or grey when unsolved), its label the distance ("W11": player 1 wins in 11 plies) and the number of optimal first
moves; an unsolved cell says what is proven.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from bttt.cells import parse_cell
from bttt.solver.openings import shipped_table

COLOURS = {"win": "#4c9f70", "draw": "#d9c36a", "loss": "#c85a54", "unknown": "#bbbbbb"}


def draw(table: dict, out: Path) -> None:
    rows, cols = table["variant"]["rows"], table["variant"]["cols"]
    fig, ax = plt.subplots(figsize=(6.4, 6.9))
    for name, cell in table["cells"].items():
        i = parse_cell(name, rows, cols)
        r, c = divmod(i, cols)
        value = cell["value"] if cell["solved"] else "unknown"
        y = rows - 1 - r  # row A at the top, as bttt prints the board
        ax.add_patch(plt.Rectangle((c, y), 1, 1, facecolor=COLOURS[value], edgecolor="white", linewidth=2))
        if cell["solved"]:
            head = {"win": "W", "loss": "L"}.get(value, "D") + (str(cell["distance"]) if value != "draw" else "")
            sub = f"{len(cell['optimal_first_moves'])} best"
        else:
            head, sub = "?", cell["text"].replace("; ", "\n")
        ax.text(c + 0.5, y + 0.6, head, ha="center", va="center", fontsize=13, weight="bold")
        ax.text(c + 0.5, y + 0.27, sub, ha="center", va="center", fontsize=7)
    ax.set_xlim(0, cols)
    ax.set_ylim(0, rows)
    ax.set_xticks([c + 0.5 for c in range(cols)], [str(c + 1) for c in range(cols)])  # columns 1..7
    ax.set_yticks([rows - 1 - r + 0.5 for r in range(rows)], [chr(ord("A") + r) for r in range(rows)])  # rows A..G
    ax.set_aspect("equal")
    ax.tick_params(length=0)
    for s in ax.spines.values():
        s.set_visible(False)
    v = table["variant"]
    ax.set_title(
        f"{v['rows']}x{v['cols']}, {v['win_length']} in a row: the empty board with the brick on each cell\n"
        "value for player 1 (W11: wins in 11 plies); 'N best': optimal first moves",
        fontsize=9,
    )
    ax.legend(
        handles=[Patch(color=COLOURS[k], label=k) for k in COLOURS],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.04),
        ncol=4,
        frameon=False,
        fontsize=8,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--table", help="an openings table (default: the one bttt ships)")
    p.add_argument("--out", default="docs/solver/openings_map.png")
    args = p.parse_args()
    table = json.loads(Path(args.table).read_text()) if args.table else shipped_table()
    draw(table, Path(args.out))
    print(args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
