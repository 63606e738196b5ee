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
    """Draw every figure into ``out``; return ``{kind: [file names]}``, and under ``"heatmap_links"`` one JSON
    document per heatmap with where each played cell lies in its image (for links to the game viewer)."""
    import json

    plt = _plt()
    files: dict[str, list[str]] = {"ratings": [ratings_figure(report, out, plt)], "heatmaps": [], "heatmap_links": []}
    rows, cols = report.config["rows"], report.config["cols"]
    used = set()
    for g in report.generalization:
        if not any(not np.isnan(m).all() for m in g.heatmaps(rows, cols).values()):
            continue
        name = _slug(report.labels[g.name])
        while name in used:
            name += "_"
        used.add(name)
        label = report.labels[g.name]
        file, areas = heatmap_figure(g, label, out / f"heatmap_{name}.png", rows, cols, plt)
        files["heatmaps"].append(file)
        files["heatmap_links"].append(json.dumps({"file": file, "agent": label, "areas": areas}))
    gap = gap_figure(report, out, plt)
    if gap:
        files["gap"] = [gap]
    return files


def ratings_figure(report, out: Path, plt) -> str:
    r = report.ratings
    order = r.order()[::-1]
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(order) + 1.2))
    y = np.arange(len(order))
    boot = report.stats.ratings if getattr(report, "stats", None) is not None else None
    if boot is not None:  # the pair bootstrap's percentile interval (asymmetric)
        lohi = boot.intervals()[order]
        xerr = np.vstack([r.elo[order] - lohi[:, 0], lohi[:, 1] - r.elo[order]]).clip(0)
    else:
        xerr = r.elo_ci[order]
    ax.errorbar(r.elo[order], y, xerr=xerr, fmt="o", capsize=4)
    ax.set_yticks(y, [report.labels[r.names[i]] for i in order])
    ax.set_xlabel(f"Elo ({f'{r.anchor} = 0' if getattr(r, 'anchor', None) else 'mean 0'}), 95% CI")
    ax.set_title("Ratings")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(out / "ratings.png", dpi=110, metadata={"Software": "bttt"})
    plt.close(fig)
    return "ratings.png"


NOT_PLAYED = "#d0d0d0"  # the colour of a cell no game was played on


def heatmap_figure(g, label: str, path: Path, rows: int, cols: int, plt) -> tuple[str, list[dict]]:
    """Three 7x7 maps of the agent's score in percent (as O, as X, both), and where each played cell lies in the
    image: ``[{"cell": "E5", "colour": "O" | "X" | None, "box": [left, top, width, height]}]`` as fractions of the
    image's size (the figure is saved without cropping, so these hold at any display size)."""
    from matplotlib.colors import Normalize
    from matplotlib.patches import Patch

    maps = g.heatmaps(rows, cols)
    fig, axes = plt.subplots(1, 3, figsize=(11, 4.4), dpi=100, layout="constrained")
    train = set(g.training_cells or ())
    cmap = plt.get_cmap("RdYlGn").with_extremes(bad=NOT_PLAYED)
    norm = Normalize(0, 100)
    panels = (("p1", "as player 1 (O)", "O"), ("p2", "as player 2 (X)", "X"), ("all", "both colours", None))
    for ax, (key, title, _) in zip(axes, panels, strict=True):
        data = np.ma.masked_invalid(100 * maps[key])
        im = ax.imshow(data, norm=norm, cmap=cmap)
        for r in range(rows):
            for c in range(cols):
                v = 100 * maps[key][r, c]
                if not math.isnan(v):
                    red, green, blue, _ = cmap(norm(v))
                    dark = 0.299 * red + 0.587 * green + 0.114 * blue < 0.5
                    ax.text(c, r, f"{v:.0f}", ha="center", va="center", fontsize=9, color="white" if dark else "black")
                if r * cols + c in train:
                    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, lw=2.5, ec="black"))
        ax.set_xticks(range(cols), [str(c + 1) for c in range(cols)])
        ax.set_yticks(range(rows), [chr(65 + r) for r in range(rows)])
        ax.set_title(title, fontsize=10)
    fig.colorbar(im, ax=axes, shrink=0.8, label="score with the brick on this cell (%)")
    handles = [Patch(facecolor=NOT_PLAYED, edgecolor="#888", label="not played")]
    if train:
        handles.append(Patch(facecolor="none", edgecolor="black", lw=2.5, label="training cell"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), fontsize=9, frameon=False)
    fig.suptitle(f"{label}: score by brick cell (win 100, draw 50, loss 0)", fontsize=11)
    fig.savefig(path, dpi=100, metadata={"Software": "bttt"})
    width, height = fig.get_size_inches() * fig.dpi
    areas = []
    for ax, (key, _, colour) in zip(axes, panels, strict=True):
        for r in range(rows):
            for c in range(cols):
                if math.isnan(maps[key][r, c]):
                    continue
                (x0, y0), (x1, y1) = ax.transData.transform([(c - 0.5, r + 0.5), (c + 0.5, r - 0.5)])
                box = [x0 / width, 1 - y1 / height, (x1 - x0) / width, (y1 - y0) / height]
                areas.append({"cell": f"{chr(65 + r)}{c + 1}", "colour": colour, "box": [round(b, 5) for b in box]})
    plt.close(fig)
    return path.name, areas


def gap_figure(report, out: Path, plt) -> str | None:
    """Score by distance from the nearest training cell, one line per agent that has training cells, with the
    cluster-bootstrap intervals of :mod:`tournament.cell_groups`; the legend sits below the axes."""
    stats = report.stats
    lines = [(report.labels[n], groups) for n, groups in (stats.by_distance if stats else {}).items() if groups]
    if not lines:
        return None
    fig, ax = plt.subplots(figsize=(7, 4.6), layout="constrained")
    for k, (label, groups) in enumerate(lines):
        d = np.array([g.key for g in groups], dtype=float)
        offset = (k - (len(lines) - 1) / 2) * 0.06
        mean = np.array([g.score.value for g in groups])
        low = np.array([g.score.low for g in groups])
        high = np.array([g.score.high for g in groups])
        ax.errorbar(
            d + offset, 100 * mean, yerr=100 * np.vstack([mean - low, high - mean]), marker="o", capsize=3, label=label
        )
    ax.set_xticks(sorted({g.key for _, groups in lines for g in groups}))
    ax.set_xlabel("Chebyshev distance of the brick from the nearest training cell (0 = a training cell)")
    ax.set_ylabel("mean score (%), 95% CI")
    ax.set_ylim(-3, 103)
    ax.set_title("Score by distance from the training cells")
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=min(3, len(lines)), fontsize=8, frameon=False)
    fig.savefig(out / "by_distance.png", dpi=110, metadata={"Software": "bttt"})
    plt.close(fig)
    return "by_distance.png"
