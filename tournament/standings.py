"""The report's rating table: Bradley-Terry-Davidson ratings with the pair-bootstrap intervals of
:mod:`tournament.rating_bootstrap` (or, with no complete colour-swapped pair, the fit's observed information)."""

from __future__ import annotations

import math

import numpy as np

from tournament.generalization import CRASH
from tournament.play import FAULTS
from tournament.rating import Ratings
from tournament.report_stats import RATING_RESAMPLING, TournamentStats
from tournament.tables import Table, num, pct


def _score(winner: int, seat: int) -> float:
    return 0.5 if winner == 0 else float(winner == seat)


def standings_table(r: Ratings, games, labels, stats: TournamentStats | None = None) -> Table:
    """Ratings with their 95% intervals: from the pair bootstrap of ``stats`` when it has one, else (no complete
    pair) from the observed information of the fit."""
    boot = stats.ratings if stats is not None else None
    tally = {n: {"all": [], "p1": [], "p2": [], "faults": 0} for n in r.names}
    for g in games:
        if g.termination == CRASH:
            continue
        for seat, name in ((1, g.p1), (2, g.p2)):
            s = _score(g.winner, seat)
            tally[name]["all"].append(s)
            tally[name]["p1" if seat == 1 else "p2"].append(s)
            if g.termination in FAULTS and g.fault_player == seat:
                tally[name]["faults"] += 1
    order = r.order()
    t = Table(
        "Ratings (Bradley-Terry-Davidson with first-move advantage; Elo scale, "
        + (f"{r.anchor} = 0" if r.anchor else "mean 0")
        + ", 95% CI)",
        ["rank", "agent", "Elo", "95% CI", "games", "score", "score as P1", "score as P2", "faults", "LOS over next"],
        raw_headers=[
            "rank",
            "agent",
            "Elo",
            "low",
            "high",
            "games",
            "score",
            "score as P1",
            "score as P2",
            "faults",
            "LOS over next",
        ],
    )
    t.raw = []
    intervals = boot.intervals() if boot is not None else np.stack([r.elo - r.elo_ci, r.elo + r.elo_ci], axis=1)
    for rank, i in enumerate(order, 1):
        name = r.names[i]
        st = tally[name]
        nxt = order[rank] if rank < len(order) else None
        los = float("nan") if nxt is None else (boot.los(i, nxt) if boot is not None else r.los(i, nxt))
        mean = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
        low, high = (float(x) for x in intervals[i])
        t.rows.append(
            [
                str(rank),
                labels[name],
                num(r.elo[i], 0, sign=True),
                f"[{_elo_text(low)}, {_elo_text(high)}]",
                str(len(st["all"])),
                pct(mean(st["all"])),
                pct(mean(st["p1"])),
                pct(mean(st["p2"])),
                str(st["faults"]),
                pct(los),
            ]
        )
        t.raw.append(
            [
                rank,
                labels[name],
                r.elo[i],
                low,
                high,
                len(st["all"]),
                mean(st["all"]),
                mean(st["p1"]),
                mean(st["p2"]),
                st["faults"],
                los,
            ]
        )
    nu = math.exp(r.log_nu)
    if boot is not None:
        fm, fm_lo, fm_hi = boot.first_move_interval()
        t.note = (
            f"First-move advantage {_elo_text(fm)} [{_elo_text(fm_lo)}, {_elo_text(fm_hi)}] Elo; Davidson draw "
            f"parameter nu = {nu:.3g}. Fitted to the {len(stats.pairs)} complete colour-swapped pairs. "
            + RATING_RESAMPLING.format(reps=stats.reps)
            + f" {boot.strata} strata, {boot.single_pair_strata} of one pair (they add no variance)."
            + _perfect_note(stats, labels)
        )
    else:
        t.note = (
            f"First-move advantage {r.first_move_elo:+.0f} ± {r.first_move_elo_ci:.0f} Elo; Davidson draw "
            f"parameter nu = {nu:.3g}. No complete colour-swapped pair: intervals from the observed information, "
            "games taken as independent. LOS: probability that an agent is stronger than the next one down."
        )
    return t


def _elo_text(x: float) -> str:
    """``+12``, ``-3``, ``+0`` (never ``-0``)."""
    return f"{round(x) + 0:+d}" if np.isfinite(x) else "-"


def _perfect_note(stats: TournamentStats, labels: dict[str, str]) -> str:
    """A warning for agents that won or lost every pair: resampling their pairs changes nothing, so their
    interval is (nearly) zero wide and rests on the fit's prior, not on the data."""
    perfect = []
    for name in stats.names:
        idx, _, pts = stats.pairs.select(name)
        if len(idx) and (np.all(pts == 2.0) or np.all(pts == 0.0)):
            perfect.append(f"{labels[name]} ({'won' if pts[0] == 2.0 else 'lost'} all)")
    if not perfect:
        return ""
    return (
        f" Every pair has the same result for {', '.join(perfect)}: the bootstrap cannot show the uncertainty of a "
        "perfect score, so such an interval is too narrow (the rating itself rests on the fit's weak prior)."
    )
