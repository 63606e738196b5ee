"""Score an AlphaZero checkpoint against a registry opponent, per brick layout and colour.

Example (the shipped-checkpoint acceptance check: 10 games per training cell as player 1)::

    python scripts/eval_az_checkpoint.py agents/alphazero/checkpoints/d4.pt --opponent mcts:preset=paper \
        --simulations 100 --games 10 --colours 1

The network plays with batched PUCT search (no noise, most-visited move, the same
search as ``alphazero:checkpoint=...,simulations=N``); the games of one layout
search together. Layouts default to the checkpoint's training layouts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

from agents.alphazero.checkpoint import load_checkpoint
from agents.alphazero.evaluation import EvalLayout, play_match, summarise
from agents.alphazero.evaluator import Evaluator
from agents.alphazero.search import SearchConfig
from bttt.layouts import BrickDistribution


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("checkpoint")
    p.add_argument("--opponent", default="mcts:preset=paper")
    p.add_argument("--bricks", help="layouts to play on (default: the checkpoint's training distribution)")
    p.add_argument("--simulations", type=int, default=100)
    p.add_argument("--c-puct", type=float, default=1.5)
    p.add_argument("--fpu-mode", default="absolute", choices=("absolute", "relative"))
    p.add_argument("--fpu-reduction", type=float, default=0.25)
    p.add_argument("--paper-rule", action="store_true", help="the paper's selection rule (Q=0 for unvisited)")
    p.add_argument("--games", type=int, default=10, help="games per layout and colour")
    p.add_argument("--colours", default="1,2", help="colours the network plays: 1, 2 or 1,2")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the summary rows to this JSON file")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    ckpt = load_checkpoint(args.checkpoint)
    cfg = ckpt.net_config
    dist = BrickDistribution.parse(args.bricks or ckpt.training_bricks, cfg.rows, cfg.cols)
    layouts = [EvalLayout(lay, "train" if args.bricks is None else "given") for lay in dist.layouts]
    search = SearchConfig(
        simulations=args.simulations,
        c_puct=args.c_puct,
        fpu_reduction=args.fpu_reduction,
        fpu_mode=args.fpu_mode,
        paper_rule=args.paper_rule,
        win_check=True,
    )
    evaluate = Evaluator(ckpt.build_net(), device="cpu")
    colours = tuple(int(c) for c in args.colours.split(","))
    t0 = time.perf_counter()
    games = []
    for i, layout in enumerate(layouts):  # one layout at a time keeps the trees' memory small
        games += play_match(
            evaluate,
            search,
            args.opponent,
            [layout],
            args.games,
            cfg.rows,
            cfg.cols,
            4,
            args.seed + 1009 * i,
            colours=colours,
        )
    elapsed = time.perf_counter() - t0
    print(f"{args.checkpoint} ({args.simulations} simulations) vs {args.opponent}, {elapsed:.0f} s")
    print(f"{'layout':>8} {'colour':>6} {'games':>5} {'W':>3} {'D':>3} {'L':>3} {'score':>6}")
    by_layout = summarise([{**g, "group": g["layout"]} for g in games])
    for r in by_layout:
        print(
            f"{r['group']:>8} {r['colour']:>6} {r['games']:>5} {r['wins']:>3} {r['draws']:>3} {r['losses']:>3} "
            f"{r['score']:>6.3f}"
        )
    overall = summarise([{**g, "group": "all"} for g in games])
    for r in overall:
        print(
            f"{'all':>8} {r['colour']:>6} {r['games']:>5} {r['wins']:>3} {r['draws']:>3} {r['losses']:>3} "
            f"{r['score']:>6.3f}"
        )
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {
                    "per_layout": by_layout,
                    "overall": overall,
                    "simulations": args.simulations,
                    "opponent": args.opponent,
                    "games_per_layout_colour": args.games,
                    "seconds": round(elapsed),
                },
                indent=1,
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
