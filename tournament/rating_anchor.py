"""The rating scale anchored on perfect play: with a ``solver`` agent in the tournament, its rating is 0 and every
other rating is measured from it (so a rating says how far an agent is from perfect play).

Without one, ratings keep the fit's own scale (they sum to zero). Anchoring shifts the scale only: differences,
win probabilities and LOS are unchanged; the anchor's own interval becomes [0, 0] and every other agent's
interval is that of its difference to the anchor (from the same bootstrap replicates, or the fit's covariance).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from tournament.rating import Ratings
from tournament.rating_bootstrap import RatingBootstrap

ANCHOR_AGENT = "solver"


def anchor_name(names: list[str]) -> str | None:
    """The solver agent's name among ``names`` (the first ``solver`` spec), or None."""
    return next((n for n in names if n.split(":", 1)[0] == ANCHOR_AGENT), None)


def anchored(ratings: Ratings, boot: RatingBootstrap | None = None) -> tuple[Ratings, RatingBootstrap | None]:
    """``(ratings, boot)`` shifted so the solver agent's rating is 0 (unchanged when there is none)."""
    name = anchor_name(ratings.names)
    if name is None:
        return ratings, boot
    a = ratings.names.index(name)
    n = len(ratings.names)
    shift = np.eye(n)
    shift[:, a] -= 1.0  # theta_i - theta_a
    moved = replace(ratings, theta=ratings.theta - ratings.theta[a], cov=shift @ ratings.cov @ shift.T, anchor=name)
    if boot is None:
        return moved, None
    point = boot.point
    point = replace(point, theta=point.theta - point.theta[a], cov=shift @ point.cov @ shift.T, anchor=name)
    reps = boot.elo_replicates - boot.elo_replicates[:, [a]]
    return moved, replace(boot, point=point, elo_replicates=reps)


def anchor_report_ratings(ratings: Ratings, stats):
    """The report's ratings and :class:`tournament.report_stats.TournamentStats` with the scale anchored."""
    moved, boot = anchored(ratings, stats.ratings)
    return moved, (replace(stats, ratings=boot) if stats.ratings is not None else stats)
