"""Training curves of an AlphaZero run (``curves.png``): losses, the policy's entropy and the evaluation scores on
training and novel cells over iterations, with intervals.

The evaluation score of an (iteration, opponent, cell group) pools both colours; its 95% interval is Wilson's for
a proportion of ``games`` trials, with a draw counted as half a win -- approximate with draws, and only an
interval over *independent* games: against an opponent that plays deterministically, a deterministic network
replays the same game, and the interval then overstates what the games show. Iterations without a training step
(before the replay buffer fills) have no loss and are left out of those panels.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from pathlib import Path

Z95 = 1.959964


def wilson(score: float, n: int) -> tuple[float, float]:
    """95% Wilson interval (low, high) for a mean score of ``n`` games."""
    if n <= 0:
        return float("nan"), float("nan")
    z2 = Z95 * Z95
    centre = (score + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(max(score * (1 - score), 0.0) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def _number(text) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return float("nan")


def eval_series(rows: list[dict]) -> dict[tuple[str, str], list[tuple[int, float, float, float, int]]]:
    """``{(opponent, group): [(iteration, score, low, high, games), ...]}``, both colours pooled."""
    acc: dict[tuple[str, str, int], list[float]] = defaultdict(lambda: [0.0, 0])
    for r in rows:
        games = int(_number(r["games"]))
        key = (r["opponent"], r["group"], int(_number(r["iteration"])))
        acc[key][0] += _number(r["score"]) * games
        acc[key][1] += games
    out: dict[tuple[str, str], list] = defaultdict(list)
    for (opp, group, it), (total, n) in sorted(acc.items(), key=lambda kv: kv[0][2]):
        score = total / n if n else float("nan")
        out[(opp, group)].append((it, score, *wilson(score, n), n))
    return dict(out)


def plot_curves(metrics: Path, evaluation: Path, path: Path) -> Path:
    """Draw the run's curves from ``metrics.csv`` and ``eval.csv`` into ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    m = _read(Path(metrics))
    its = [_number(r["iteration"]) for r in m]
    fig, axes = plt.subplots(1, 3, figsize=(12, 4.6), layout="constrained")
    ax = axes[0]
    for key, label in (("loss", "total"), ("policy_loss", "policy cross-entropy"), ("value_loss", "value MSE")):
        pts = [(i, _number(r.get(key))) for i, r in zip(its, m, strict=True) if not math.isnan(_number(r.get(key)))]
        if pts:
            ax.plot(*zip(*pts, strict=True), marker="o", ms=3, label=label)
    ax.set_title("Training losses (mean of the iteration's steps)", fontsize=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.grid(alpha=0.3)
    if ax.get_lines():
        ax.legend(fontsize=9)
    else:
        ax.text(0.5, 0.5, "no training step yet", ha="center", va="center", transform=ax.transAxes)
    ax = axes[1]
    pts = [(i, _number(r.get("policy_entropy"))) for i, r in zip(its, m, strict=True)]
    pts = [p for p in pts if not math.isnan(p[1])]
    if pts:
        ax.plot(*zip(*pts, strict=True), marker="o", ms=3, color="tab:purple")
    else:
        ax.text(0.5, 0.5, "not logged by this run", ha="center", va="center", transform=ax.transAxes)
    ax.set_title("Policy entropy over the legal moves", fontsize=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("nats")
    ax.grid(alpha=0.3)
    ax = axes[2]
    series = eval_series(_read(Path(evaluation)))
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    opponents = sorted({opp for opp, _ in series})
    for (opp, group), pts in sorted(series.items()):
        x = [p[0] for p in pts]
        y = [100 * p[1] for p in pts]
        colour = colours[opponents.index(opp) % len(colours)]
        style = "-" if group == "train" else "--"
        ax.plot(x, y, style, marker="o", ms=3, color=colour, label=f"{opp}, {group} cells")
        ax.fill_between(x, [100 * p[2] for p in pts], [100 * p[3] for p in pts], color=colour, alpha=0.15)
    if not series:
        ax.text(0.5, 0.5, "no evaluation yet", ha="center", va="center", transform=ax.transAxes)
    ax.set_ylim(-3, 103)
    ax.set_title("Evaluation score (both colours, 95% Wilson interval)", fontsize=10)
    ax.set_xlabel("iteration")
    ax.set_ylabel("score (%)")
    ax.grid(alpha=0.3)
    if series:
        ax.legend(fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncols=2, frameon=False)
    from matplotlib.ticker import MaxNLocator

    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.savefig(path, dpi=100, metadata={"Software": "bttt"})
    plt.close(fig)
    return Path(path)
