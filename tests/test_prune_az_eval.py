"""scripts/prune_az_eval.py: head-to-head pairs, pentanomial counts and the sequential SPRT on hand-made games."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from script_modules import load_script_module

from tournament.sprt import Sprt, SprtSpec, pentanomial_elo

ev = load_script_module("prune_az_eval")


@dataclass
class G:
    p1: str
    p2: str
    layout: str
    winner: int
    opening: str
    index: int = 0
    termination: str = "win"
    finished_at: float = 0.0


def _pair(a, b, layout, opening, w_ab, w_ba, t):
    """Two games of one opening: a moves first (winner w_ab), then b moves first (winner w_ba)."""
    return [G(a, b, layout, w_ab, opening, finished_at=t), G(b, a, layout, w_ba, opening, finished_at=t + 0.5)]


def test_pairs_in_order_scores_each_pair_from_the_first_agents_side():
    games = [
        *_pair("P", "R", "D4", "D4:x", 1, 1, t=3.0),  # P wins as first, R wins as first: 1 point
        *_pair("P", "R", "D4", "D4:y", 1, 2, t=1.0),  # P wins both: 2 points
        *_pair("P", "R", "C3", "C3:x", 2, 1, t=2.0),  # P loses both: 0 points
        *_pair("P", "R", "C3", "C3:y", 0, 1, t=4.0),  # draw, then loss: 1/2 point
        G("P", "R", "A1", 1, "A1:x", finished_at=0.0),  # unpaired: left out
        *_pair("P", "X", "D4", "D4:x", 1, 2, t=0.0),  # another opponent: left out
    ]
    out = ev._pairs_in_order(games, "P", "R")
    assert [p for _, p, _ in out] == [2.0, 0.0, 1.0, 0.5]
    assert [lay for _, _, lay in out] == ["D4", "C3", "D4", "C3"]


def test_head_to_head_counts_elo_and_sequential_sprt_match_the_library():
    rng = np.random.default_rng(0)
    games, t = [], 0.0
    for k in range(60):
        w_ab, w_ba = rng.choice([1, 2, 0], p=[0.7, 0.25, 0.05]), rng.choice([1, 2, 0], p=[0.6, 0.35, 0.05])
        games += _pair("P", "R", f"L{k % 6}", f"o{k}", int(w_ab), int(w_ba), t)
        t += 1.0
    spec = SprtSpec(elo0=-30, elo1=0)
    h = ev.head_to_head(games, "P", "R", [spec], reps=200, seed=0)
    pts = [p for _, p, _ in ev._pairs_in_order(games, "P", "R")]
    counts = np.bincount(np.round(np.array(pts) * 2).astype(int), minlength=5)
    assert h["pentanomial"] == counts.tolist() and h["pairs"] == 60
    assert h["elo"] == pytest.approx(pentanomial_elo(counts)[0])
    assert h["cell_low"] <= h["elo"] <= h["cell_high"]
    assert h["detectable_loss"] > 0
    test = Sprt(spec)
    for p in pts:
        test.add(p)
        if test.decision != "continue":
            break
    assert h["sprt"][str(spec)].startswith("not decided" if test.decision == "continue" else test.decision)
