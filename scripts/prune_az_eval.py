"""Pruned AlphaZero networks against their unpruned parent, from colour-swapped pairs of one tournament db.

For each pruned network against the reference (the unpruned one), over their head-to-head pairs only:

* the six pair classes (LL, LD, WL, DD, WD, WW) and the pentanomial Elo with fastchess's 95% interval
  (pairs are the independent unit; the two games of a pair share their opening);
* a *cell-cluster* bootstrap interval of the same Elo (cells resampled with all their pairs, G - 1 of G), which
  stays valid however the openings of one cell are correlated;
* the smallest loss the data detect: a one-sided test at 5% with 80% power, (z0.95 + z0.8) * SE(pair score),
  in Elo;
* each SPRT (``--sprt``; default H0 elo = -X against H1 elo = 0 for X in 20, 30, 50) run *sequentially* over
  the pairs in the order they finished, as a live test would have: the first crossing of Wald's bounds, or
  the final LLR when none was crossed.

Then every AlphaZero agent of the db in one Bradley-Terry-Davidson fit (both games of every complete pair)
with pair-bootstrap intervals (``tournament.rating_bootstrap``, (cell, pairing) strata), relative to the
reference, beside its parameters and MACs per position (``--csv``, ``--png``: the curve of Elo against MACs).

    python scripts/prune_az_eval.py runs/az15/fresh100.db --reference checkpoint=d4@ \
        --csv docs/pruning/alphazero_d4ship_elo_macs.csv --png docs/pruning/alphazero_d4ship_elo_macs.png
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from pathlib import Path

import numpy as np
import torch

from agents.alphazero.agent import resolve_checkpoint
from agents.alphazero.checkpoint import load_checkpoint
from agents.registry import parse_spec
from pruning import count_macs, count_params
from tournament.bootstrap import as_generator, percentile_interval, z_value
from tournament.pairs import form_pairs
from tournament.rating_bootstrap import bootstrap_ratings
from tournament.sprt import H0, H1, PAIR_SCORES, Sprt, SprtSpec, pentanomial_elo
from tournament.store import Store

DEFAULT_SPRTS = ("elo0=-20,elo1=0", "elo0=-30,elo1=0", "elo0=-50,elo1=0")


def _elo(score: float) -> float:
    if score <= 0:
        return -math.inf
    if score >= 1:
        return math.inf
    return -400.0 * math.log10(1.0 / score - 1.0)


def _find(names: list[str], needle: str) -> str:
    hits = [n for n in names if needle in n]
    if len(hits) != 1:
        raise SystemExit(f"{needle!r} matches {len(hits)} stored agents: {names}")
    return hits[0]


def _pairs_in_order(rows, a: str, b: str) -> list[tuple[float, float, str]]:
    """(finish time of the later game, points of ``a``, layout) of every complete a-b pair, by finish time."""
    games: dict[tuple, dict[str, object]] = {}
    for g in rows:
        if {g.p1, g.p2} != {a, b} or g.termination == "crash":
            continue
        key = (g.layout, g.opening or "", g.index)
        games.setdefault(key, {})[g.p1] = g
    out = []
    for (layout, _, _), by_first in games.items():
        if len(by_first) != 2:
            continue
        first, second = by_first[a], by_first[b]  # a moved first in ``first``, b in ``second``
        pts = {1: 1.0, 0: 0.5, 2: 0.0}[first.winner] + {2: 1.0, 0: 0.5, 1: 0.0}[second.winner]
        out.append((max(first.finished_at or 0.0, second.finished_at or 0.0), pts, layout))
    out.sort(key=lambda t: t[0])
    return out


def _cell_cluster_elo(points: np.ndarray, layouts: list[str], reps: int, rng) -> tuple[float, float]:
    """95% interval of the pentanomial Elo, resampling cells (G - 1 of G, each with all its pairs)."""
    cells = sorted(set(layouts))
    label = np.array([cells.index(x) for x in layouts])
    sums = np.bincount(label, weights=points / 2.0, minlength=len(cells))
    counts = np.bincount(label, minlength=len(cells)).astype(float)
    g = len(cells)
    draw = as_generator(rng).integers(0, g, size=(reps, max(g - 1, 1)))
    scores = sums[draw].sum(axis=1) / counts[draw].sum(axis=1)
    lo, hi = percentile_interval(scores)
    return _elo(float(lo)), _elo(float(hi))


def _sequential_sprt(points: list[float], spec: SprtSpec) -> str:
    test = Sprt(spec)
    for k, p in enumerate(points, start=1):
        if test.add(p) in (H0, H1):
            return f"{test.decision} accepted after {k} pairs (LLR {test.llr:+.2f})"
    return f"not decided after {len(points)} pairs (LLR {test.llr:+.2f} in ({spec.lower:.2f}, {spec.upper:.2f}))"


def _network(spec: str) -> tuple[str, int, int]:
    """(checkpoint text, parameters, MACs per position) of an ``alphazero:`` spec."""
    _, params = parse_spec(spec)
    ckpt = load_checkpoint(resolve_checkpoint(params["checkpoint"]))
    net, c = ckpt.build_net(), ckpt.net_config
    return params["checkpoint"], count_params(net), count_macs(net, torch.zeros(1, 3, c.rows, c.cols))


def head_to_head(rows, pruned: str, reference: str, sprts: list[SprtSpec], reps: int, seed: int) -> dict:
    """The head-to-head statistics of ``pruned`` against ``reference`` (see the module docstring)."""
    ordered = _pairs_in_order(rows, pruned, reference)
    pts = np.array([p for _, p, _ in ordered])
    counts = np.bincount(np.round(pts * 2).astype(int), minlength=5)
    elo, lo, hi = pentanomial_elo(counts)
    p = counts / counts.sum()
    se = math.sqrt(float(p @ (PAIR_SCORES - p @ PAIR_SCORES) ** 2) / counts.sum())
    detectable = -_elo(0.5 - (z_value(0.95) + z_value(0.8)) * se)
    clo, chi = _cell_cluster_elo(pts, [lay for _, _, lay in ordered], reps, seed)
    return {
        "pairs": int(counts.sum()),
        "pentanomial": counts.tolist(),
        "score": float(p @ PAIR_SCORES),
        "elo": elo,
        "elo_low": lo,
        "elo_high": hi,
        "cell_low": clo,
        "cell_high": chi,
        "detectable_loss": detectable,
        "sprt": {str(s): _sequential_sprt(list(pts), s) for s in sprts},
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("db", help="tournament database")
    p.add_argument("--reference", required=True, help="substring of the unpruned agent's stored name")
    p.add_argument("--sprt", action="append", help=f"SPRT spec, repeatable (default {', '.join(DEFAULT_SPRTS)})")
    p.add_argument("--reps", type=int, default=2000, help="bootstrap replicates (default 2000)")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed (default 0)")
    p.add_argument("--csv", type=Path, help="write one row per AlphaZero agent: MACs, parameters, Elo")
    p.add_argument("--png", type=Path, help="plot Elo (vs the reference) against MACs per position")
    p.add_argument("--title", help="the plot's title (default: the db's file name)")
    args = p.parse_args(argv)
    sprts = [SprtSpec.parse(s) for s in (args.sprt or DEFAULT_SPRTS)]
    with Store(args.db, create=False) as store:
        stored = store.agents()
        rows = store.games()
    names = [n for n, _, _ in stored]
    specs = {n: s for n, s, _ in stored}
    ref = _find(names, args.reference)
    nets = [n for n in names if n.startswith("alphazero")]
    info = {n: _network(specs[n]) for n in nets}
    print(f"{len(rows)} games in {args.db}; reference {specs[ref]}")
    results = {}
    for n in nets:
        if n == ref:
            continue
        h = head_to_head(rows, n, ref, sprts, args.reps, args.seed)
        results[n] = h
        print(f"\n{specs[n]} against the reference ({info[n][2]:,} MACs, {info[n][1]:,} parameters)")
        print(f"  pairs {h['pairs']}, pentanomial (0..2 points) {h['pentanomial']}, score {h['score']:.3f}")
        print(f"  pentanomial Elo {h['elo']:+.1f} [{h['elo_low']:+.1f}, {h['elo_high']:+.1f}] (pairs iid)")
        print(f"  cell-cluster bootstrap interval [{h['cell_low']:+.1f}, {h['cell_high']:+.1f}]")
        print(f"  smallest loss detected (one-sided 5%, 80% power): {h['detectable_loss']:.1f} Elo")
        for s, text in h["sprt"].items():
            print(f"  SPRT {s}: {text}")
    pairs = form_pairs(rows)
    rb = bootstrap_ratings(pairs, reps=args.reps, rng=args.seed)
    i_ref = rb.names.index(ref)
    print(f"\nBradley-Terry-Davidson fit, {len(pairs)} complete pairs, pair bootstrap over {rb.strata} (cell, pairing)")
    print("strata; Elo relative to the reference, 95% percentile interval")
    table = []
    for n in rb.names:
        i = rb.names.index(n)
        d, lo, hi = rb.diff_interval(i, i_ref) if n != ref else (0.0, 0.0, 0.0)
        ck, n_params, macs = info.get(n, (specs[n], 0, 0))
        print(f"  {d:+7.1f} [{lo:+7.1f}, {hi:+7.1f}]  {specs[n]}")
        if n in info:
            h = results.get(n)
            table.append(
                {
                    "checkpoint": ck,
                    "params": n_params,
                    "macs": macs,
                    "macs_frac": macs / info[ref][2],
                    "elo_vs_reference": round(d, 1),
                    "elo_low": round(lo, 1),
                    "elo_high": round(hi, 1),
                    "h2h_pairs": h["pairs"] if h else 0,
                    "h2h_elo": round(h["elo"], 1) if h else 0.0,
                    "h2h_low": round(h["elo_low"], 1) if h else 0.0,
                    "h2h_high": round(h["elo_high"], 1) if h else 0.0,
                    "h2h_pentanomial": " ".join(map(str, h["pentanomial"])) if h else "",
                }
            )
    table.sort(key=lambda r: -r["macs"])
    if args.csv:
        with args.csv.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(table[0]))
            w.writeheader()
            w.writerows(table)
        print(f"wrote {args.csv}")
    if args.png:
        _plot(table, args.png, args.title or f"Pruned d4 networks: strength against compute ({Path(args.db).name})")
        print(f"wrote {args.png}")
    return 0


def _plot(table: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = np.array([r["macs"] for r in table]) / 1e6
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for key, lo, hi, label, shift in (
        ("elo_vs_reference", "elo_low", "elo_high", "joint fit, pair bootstrap 95%", 0.0),
        ("h2h_elo", "h2h_low", "h2h_high", "head to head vs dense, pentanomial 95%", 0.03),
    ):
        y = np.array([r[key] for r in table])
        err = np.array([[r[key] - r[lo] for r in table], [r[hi] - r[key] for r in table]])
        ax.errorbar(x + shift, y, yerr=err, marker="o", capsize=4, label=label)
    for r, xi in zip(table, x, strict=True):
        ax.annotate(Path(r["checkpoint"]).stem, (xi, r["elo_vs_reference"]), textcoords="offset points", xytext=(6, 6))
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_xlabel("MACs per position (millions)")
    ax.set_ylabel("Elo relative to the unpruned d4")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    sys.exit(main())
