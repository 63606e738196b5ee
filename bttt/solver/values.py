"""Game-theoretic values with distance, as small integer scores, and the words that describe them.

A position's exact value is one of: a win for the side to move in ``n`` plies (its ``n``-th ply from here is the
winning move; the fastest win it can force), a loss in ``n`` plies (the opponent's winning move is the ``n``-th
ply; the longest defence), or a draw. Scores order these for the side to move::

    loss in 2 < loss in 4 < ... < draw (0) < ... < win in 3 < win in 1
    score(win in n) = SCORE_MAX - n        score(loss in n) = n - SCORE_MAX        score(draw) = 0

A search that has not finished knows an interval ``[lo, hi]`` of scores that holds the exact value; the value is
*proven* when ``lo == hi``. ``lo = -SCORE_MAX`` and ``hi = SCORE_MAX`` mean nothing is known on that side. A win
always lies at an odd distance and a loss at an even one (the mover's stones land on odd plies).
"""

from __future__ import annotations

from dataclasses import dataclass

#: Scores of wins and losses are measured from this (more than the 49 plies of the largest board).
SCORE_MAX = 64
#: The smallest |score| of a win or loss (a win in 49 plies on a 7x7 board is 64 - 49 = 15).
DECIDED_MIN = 10


def win_score(plies: int) -> int:
    """Score of a win in ``plies`` plies for the side to move."""
    return SCORE_MAX - plies


def loss_score(plies: int) -> int:
    """Score of a loss in ``plies`` plies for the side to move."""
    return plies - SCORE_MAX


def outcome(score: int) -> str:
    """``"win"``, ``"loss"`` or ``"draw"`` for an exact score."""
    return "win" if score > 0 else "loss" if score < 0 else "draw"


def distance(score: int) -> int:
    """Plies to the end of the game under optimal play for a decided score (0 for a draw: no fixed length)."""
    return 0 if score == 0 else SCORE_MAX - abs(score)


def parent_score(child: int) -> int:
    """The mover's score for a move whose resulting position (the opponent to move) has score ``child``."""
    if child > 0:
        return -child + 1
    if child < 0:
        return -child - 1
    return 0


def parent_bounds(lo: int, hi: int) -> tuple[int, int]:
    """The mover's interval for a move whose resulting position has the score interval ``[lo, hi]``."""
    return parent_score(hi), parent_score(lo)


def valid_scores(n_cells: int) -> list[int]:
    """Every score a position on a board of ``n_cells`` playable cells can have, ascending."""
    losses = [loss_score(n) for n in range(2, n_cells + 1, 2)]
    wins = [win_score(n) for n in range(n_cells - (n_cells + 1) % 2, 0, -2)]
    return [*losses, 0, *wins]


def score_text(score: int) -> str:
    """``"win in 7"``, ``"loss in 12"``, ``"draw"`` (finished positions: ``"loss in 0"`` / ``"draw"``)."""
    if score == 0:
        return "draw"
    return f"{outcome(score)} in {distance(score)}"


def bounds_text(lo: int, hi: int) -> str:
    """What the interval ``[lo, hi]`` proves, in words (for the side to move)."""
    if lo == hi:
        return score_text(lo)
    facts = []
    if lo > 0:
        facts.append(f"wins within {distance(lo)} plies")
    elif lo == 0:
        facts.append("at least a draw")
    elif lo > -SCORE_MAX:
        facts.append(f"no loss within {distance(lo) - 2} plies")
    if hi < 0:
        facts.append(f"loses within {distance(hi)} plies")
    elif hi == 0:
        facts.append("no win (at most a draw)")
    elif hi < SCORE_MAX:
        facts.append(f"no win within {distance(hi) - 2} plies")
    return "; ".join(facts) if facts else "nothing proven"


@dataclass(frozen=True)
class Bounds:
    """A proven interval of scores for the side to move (exact when ``lo == hi``)."""

    lo: int = -SCORE_MAX
    hi: int = SCORE_MAX

    @property
    def exact(self) -> bool:
        return self.lo == self.hi

    @property
    def outcome(self) -> str:
        """``win``/``draw``/``loss`` when the bounds decide it (even without the distance), else ``unknown``."""
        if self.lo > 0:
            return "win"
        if self.hi < 0:
            return "loss"
        if self.lo == self.hi == 0:
            return "draw"
        return "unknown"

    @property
    def score(self) -> int | None:
        return self.lo if self.exact else None

    @property
    def distance(self) -> int | None:
        """Plies to the end under optimal play (None unless exact and decided)."""
        return distance(self.lo) if self.exact and self.lo != 0 else None

    def text(self) -> str:
        return bounds_text(self.lo, self.hi) if not self.exact else score_text(self.lo)

    def intersect(self, other: Bounds) -> Bounds:
        return Bounds(max(self.lo, other.lo), min(self.hi, other.hi))

    def for_parent(self) -> Bounds:
        """The bounds of the move that leads to this position, for the player who makes it."""
        return Bounds(*parent_bounds(self.lo, self.hi))
