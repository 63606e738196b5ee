"""Per-cycle reports: CSV rows and plots of a metric against the fraction remaining.

Plots draw one line per method (mean over seeds at each cycle) with a 95% confidence band
(Student t over seeds); matplotlib runs with the Agg backend, so no display is needed.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

# two-sided 95% Student t quantiles for 1..30 degrees of freedom
_T95 = [
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
    2.042,
]


def t95(dof: int) -> float:
    return _T95[dof - 1] if 1 <= dof <= 30 else 1.96


def write_csv(rows: Sequence[dict], path: str | Path) -> None:
    keys: list[str] = []
    for r in rows:
        keys.extend(k for k in r if k not in keys)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        w.writerows(rows)


def read_csv(path: str | Path) -> list[dict]:
    with open(path, newline="") as f:
        out = []
        for r in csv.DictReader(f):
            row = {}
            for k, v in r.items():
                try:
                    row[k] = float(v) if v not in ("", "None") else None
                except ValueError:
                    row[k] = v
            out.append(row)
        return out


def mean_ci(values: Sequence[float]) -> tuple[float, float]:
    """Mean and half-width of the 95% confidence interval."""
    n = len(values)
    m = sum(values) / n
    if n < 2:
        return m, 0.0
    sd = math.sqrt(sum((v - m) ** 2 for v in values) / (n - 1))
    return m, t95(n - 1) * sd / math.sqrt(n)


def summarise(rows: Sequence[dict], x: str, y: str, by: str = "method") -> dict[str, list[tuple]]:
    """``{method: [(cycle, x mean, y mean, y ci half-width, n seeds), ...]}``."""
    cells: dict[str, dict[int, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        cells[str(r[by])][int(r["cycle"])].append(r)
    out = {}
    for method, cyc in cells.items():
        pts = []
        for c in sorted(cyc):
            rs = cyc[c]
            xm = sum(float(r[x]) for r in rs) / len(rs)
            ym, ci = mean_ci([float(r[y]) for r in rs])
            pts.append((c, xm, ym, ci, len(rs)))
        out[method] = pts
    return out


def plot_metric(
    rows: Sequence[dict],
    path: str | Path,
    x: str = "params_frac",
    y: str = "accuracy",
    by: str = "method",
    title: str = "",
) -> None:
    """One line per method of ``y`` against ``x`` (fraction remaining), with 95% bands over seeds."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for method, pts in sorted(summarise(rows, x, y, by).items()):
        xs = [p[1] for p in pts]
        ys = [p[2] for p in pts]
        ci = [p[3] for p in pts]
        ax.plot(xs, ys, marker="o", ms=3, label=method)
        ax.fill_between(
            xs, [a - b for a, b in zip(ys, ci, strict=True)], [a + b for a, b in zip(ys, ci, strict=True)], alpha=0.2
        )
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(f"{x} (log scale, pruning goes right)")
    ax.set_ylabel(y)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_cycles(rows: Sequence[dict], path: str | Path, panels: Sequence[tuple[str, Sequence[str]]], title: str = ""):
    """One run's metrics per pruning cycle: one panel per ``(y label, [column, ...])``, a line per column present
    in the rows (cycle 0 is the network before pruning)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, len(panels), figsize=(5 * len(panels), 4.2), layout="constrained", squeeze=False)
    cycles = [int(r["cycle"]) for r in rows]
    for ax, (label, columns) in zip(axes[0], panels, strict=True):
        for col in columns:
            ys = [r.get(col) for r in rows]
            if all(isinstance(y, int | float) for y in ys):
                ax.plot(cycles, ys, marker="o", ms=4, label=col)
        ax.set_xlabel("pruning cycle (0 = before pruning)")
        ax.set_ylabel(label)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100, metadata={"Software": "bttt"})
    plt.close(fig)
