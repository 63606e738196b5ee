"""PNG figures of a tournament report (matplotlib, Agg backend, imported only when drawing)."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _slug(label: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", label).strip("_")[:60] or "agent"


def write_figures(report, out: Path) -> dict[str, list[str]]:
    """Draw every figure into ``out``; return ``{kind: [file names]}``."""
    plt = _plt()
    files: dict[str, list[str]] = {"ratings": [ratings_figure(report, out, plt)], "heatmaps": []}
    rows, cols = report.config["rows"], report.config["cols"]
    used = set()
    for g in report.generalization:
        if not any(not np.isnan(m).all() for m in g.heatmaps(rows, cols).values()):
            continue
        name = _slug(report.labels[g.name])
        while name in used:
            name += "_"
        used.add(name)
        files["heatmaps"].append(heatmap_figure(g, report.labels[g.name], out / f"heatmap_{name}.png", rows, cols, plt))
    gap = gap_figure(report, out, plt)
    if gap:
        files["gap"] = [gap]
    return files


def ratings_figure(report, out: Path, plt) -> str:
    r = report.ratings
    order = r.order()[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(order) + 1.2))
    y = np.arange(len(order))
    ax.errorbar(r.elo[order], y, xerr=r.elo_ci[order], fmt="o", capsize=4)
    ax.set_yticks(y, [report.labels[r.names[i]] for i in order])
    ax.set_xlabel("Elo (mean 0), 95% CI")
    ax.set_title("Ratings")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "ratings.png", dpi=110)
    plt.close(fig)
    return "ratings.png"


def heatmap_figure(g, label: str, path: Path, rows: int, cols: int, plt) -> str:
    maps = g.heatmaps(rows, cols)
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.9))
    train = set(g.training_cells or ())
    for ax, (key, title) in zip(
        axes, (("p1", "as player 1 (O)"), ("p2", "as player 2 (X)"), ("all", "both colours")), strict=True
    ):
        data = np.ma.masked_invalid(maps[key])
        im = ax.imshow(data, vmin=0, vmax=1, cmap="RdYlGn")
        for r in range(rows):
            for c in range(cols):
                v = maps[key][r, c]
                if not math.isnan(v):
                    ax.text(c, r, f"{100 * v:.0f}", ha="center", va="center", fontsize=7)
                if r * cols + c in train:
                    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5, ec="black"))
        ax.set_xticks(range(cols), [str(c + 1) for c in range(cols)])
        ax.set_yticks(range(rows), [chr(65 + r) for r in range(rows)])
        ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=axes, shrink=0.8, label="score with the brick on this cell")
    fig.suptitle(f"{label}: score by brick cell" + (" (outlined: training cells)" if train else ""), fontsize=11)
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    return path.name


def gap_figure(report, out: Path, plt) -> str | None:
    """Score by distance from the nearest training cell, one line per agent that has training cells."""
    lines = [(report.labels[g.name], g.by_distance) for g in report.generalization if g.by_distance]
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for k, (label, dist) in enumerate(lines):
        d = np.array(sorted(dist))
        offset = (k - (len(lines) - 1) / 2) * 0.06
        ax.errorbar(
            d + offset, [dist[x].mean for x in d], yerr=[dist[x].ci() for x in d], marker="o", capsize=3, label=label
        )
    ax.set_xticks(sorted({d for _, dist in lines for d in dist}))
    ax.set_xlabel("Chebyshev distance from the nearest training cell (0 = training cell)")
    ax.set_ylabel("mean score (95% CI)")
    ax.set_ylim(-0.05, 1.05)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "by_distance.png", dpi=110)
    plt.close(fig)
    return "by_distance.png"
