"""Colour-swapped pairs: the unit of a tournament's statistics.

Two agents play every opening of a layout twice, once with each moving first. The two games form a *pair*,
identified by ``(the two agents, layout, opening id, game number)``. The first-move advantage of this game is
large, and the two games of a pair share their opening, so the games of a pair are not independent draws but
the pair is: statistics resample and count pairs, never single games.

A pair gives each agent 0, 1/2, 1, 3/2 or 2 points; the *pentanomial* counts the pairs in each of these five
classes. As in fastchess (``Stats``/``ScoreBoard::updatePair``), the 1-point class merges a win and a loss
(WL) with two draws (DD); :class:`PairCounts` keeps the six classes apart (LL, LD, WL, DD, WD, WW) for reports.

Input games are any objects with ``p1``, ``p2``, ``layout`` and ``winner`` (1, 2, or 0 for a draw) and
optionally ``opening`` (id string, default ``""``), ``index`` (game number, default 0) and ``termination``:
games whose termination is ``"crash"`` (nobody to blame) are left out, and their partner is then unpaired.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from bttt.errors import BtttError

#: Points of one agent in a pair, by pentanomial class.
PENTANOMIAL_POINTS = (0.0, 0.5, 1.0, 1.5, 2.0)
#: Outcome codes of one game, as :func:`tournament.rating.outcome_counts` uses them.
FIRST_WINS, SECOND_WINS, DRAW = 0, 1, 2
_CRASH = "crash"


class PairError(BtttError):
    """Games that cannot be formed into colour-swapped pairs (duplicates, an agent against itself)."""


@dataclass(frozen=True)
class GameOutcome:
    """The minimum :func:`form_pairs` needs of one game."""

    p1: str
    p2: str
    layout: str
    winner: int  # 1 or 2 for a win, 0 for a draw
    opening: str = ""
    index: int = 0


@dataclass(frozen=True)
class PairCounts:
    """Pairs of one agent (against one or several opponents) in fastchess's six classes, from its side."""

    ll: int = 0
    ld: int = 0
    wl: int = 0
    dd: int = 0
    wd: int = 0
    ww: int = 0

    @property
    def pentanomial(self) -> np.ndarray:
        """Counts of pairs worth 0, 1/2, 1, 3/2 and 2 points (WL and DD are both 1 point)."""
        return np.array([self.ll, self.ld, self.wl + self.dd, self.wd, self.ww], dtype=np.int64)

    @property
    def pairs(self) -> int:
        return self.ll + self.ld + self.wl + self.dd + self.wd + self.ww

    @property
    def score(self) -> float:
        """Mean score per game (points / games); nan without pairs."""
        n = self.pairs
        return float(np.dot(self.pentanomial, PENTANOMIAL_POINTS) / (2 * n)) if n else float("nan")


@dataclass
class PairTable:
    """Every complete pair of a tournament, as parallel arrays (one entry per pair).

    ``a[k] < b[k]`` index ``agents``; ``ab[k]`` is the outcome of the game where ``a`` moved first and ``ba[k]``
    that of the game where ``b`` moved first, both coded from the first mover's seat: 0 the first mover won,
    1 the second mover won, 2 a draw.
    """

    agents: tuple[str, ...]
    layouts: tuple[str, ...]
    a: np.ndarray
    b: np.ndarray
    layout: np.ndarray  # index into ``layouts``
    opening: tuple[str, ...]  # opening id of each pair
    index: np.ndarray  # game number of each pair
    ab: np.ndarray
    ba: np.ndarray
    unpaired: tuple = field(default=())  # games whose colour-swapped partner is missing
    crashes: int = 0  # games left out because they crashed

    def __len__(self) -> int:
        return len(self.a)

    def agent_index(self, agent: str) -> int:
        try:
            return self.agents.index(agent)
        except ValueError:
            raise PairError(f"agent {agent!r} played no complete pair (agents: {', '.join(self.agents)})") from None

    def layout_index(self, layout: str) -> int:
        try:
            return self.layouts.index(layout)
        except ValueError:
            raise PairError(f"layout {layout!r} has no complete pair (layouts: {', '.join(self.layouts)})") from None

    @property
    def points_a(self) -> np.ndarray:
        """Points of agent ``a`` in each pair (0, 0.5, 1, 1.5 or 2)."""
        return _SCORE_FIRST[self.ab] + (1.0 - _SCORE_FIRST[self.ba])

    def select(self, agent: str, opponents: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(pair indices, opponent index, points of ``agent``) of the pairs ``agent`` played.

        Args:
            agent: an agent name.
            opponents: restrict to these opponents (None: all).
        """
        i = self.agent_index(agent)
        mask = (self.a == i) | (self.b == i)
        if opponents is not None:
            allowed = np.zeros(len(self.agents), dtype=bool)
            allowed[[self.agent_index(o) for o in opponents]] = True
            mask &= allowed[np.where(self.a == i, self.b, self.a)]
        idx = np.flatnonzero(mask)
        is_a = self.a[idx] == i
        opponent = np.where(is_a, self.b[idx], self.a[idx])
        pts = self.points_a[idx]
        return idx, opponent, np.where(is_a, pts, 2.0 - pts)

    def agent_scores(self, agent: str, opponents: Iterable[str] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(layout index, score in [0, 1]) of every pair ``agent`` played: its points / 2, the unit of statistics.

        Args:
            agent: an agent name.
            opponents: restrict to these opponents (None: all).
        """
        idx, _, pts = self.select(agent, opponents)
        return self.layout[idx].copy(), pts / 2.0

    def counts(self, agent: str, opponents: Iterable[str] | None = None) -> PairCounts:
        """The six pair classes of ``agent`` (against ``opponents``, default all), as fastchess counts them."""
        idx, _, _ = self.select(agent, opponents)
        i = self.agent_index(agent)
        is_a = self.a[idx] == i
        # The agent's score in its game as first mover and in its game as second mover.
        first = np.where(is_a, self.ab[idx], self.ba[idx])
        second = np.where(is_a, self.ba[idx], self.ab[idx])
        s1 = _SCORE_FIRST[first]
        s2 = 1.0 - _SCORE_FIRST[second]
        wins = (s1 == 1.0).astype(int) + (s2 == 1.0)
        draws = (s1 == 0.5).astype(int) + (s2 == 0.5)
        losses = 2 - wins - draws
        return PairCounts(
            ll=int(np.sum(losses == 2)),
            ld=int(np.sum((losses == 1) & (draws == 1))),
            wl=int(np.sum((wins == 1) & (losses == 1))),
            dd=int(np.sum(draws == 2)),
            wd=int(np.sum((wins == 1) & (draws == 1))),
            ww=int(np.sum(wins == 2)),
        )

    def pentanomial(self, agent: str, opponents: Iterable[str] | None = None) -> np.ndarray:
        """Counts of ``agent``'s pairs worth 0, 1/2, 1, 3/2 and 2 points."""
        return self.counts(agent, opponents).pentanomial

    def outcome_counts(self, weights: np.ndarray | None = None) -> np.ndarray:
        """``counts[i, j, k]`` over both games of every pair, as :func:`tournament.rating.outcome_counts`.

        Args:
            weights: one weight per pair (a bootstrap multiplicity); None counts each pair once.
        """
        n = len(self.agents)
        w = np.ones(len(self)) if weights is None else np.asarray(weights, dtype=float)
        out = np.zeros((n, n, 3))
        np.add.at(out, (self.a, self.b, self.ab), w)
        np.add.at(out, (self.b, self.a, self.ba), w)
        return out


_SCORE_FIRST = np.array([1.0, 0.0, 0.5])  # the first mover's score by outcome code


def _code(winner: int) -> int:
    if winner == 1:
        return FIRST_WINS
    if winner == 2:
        return SECOND_WINS
    if winner == 0:
        return DRAW
    raise PairError(f"a game's winner is 1, 2 or 0 (a draw), got {winner!r}")


def form_pairs(games: Iterable, agents: Sequence[str] | None = None, layouts: Sequence[str] | None = None) -> PairTable:
    """Join each game with its colour-swapped partner (same agents, layout, opening and game number).

    Args:
        games: objects with ``p1, p2, layout, winner`` and optionally ``opening``, ``index``, ``termination``.
        agents: the order of agent indices (default: order of first appearance); must hold every agent.
        layouts: the order of layout indices (default: order of first appearance); must hold every layout.

    Raises:
        PairError: a game listed twice, or an agent playing itself.
    """
    seen: dict[tuple, object] = {}
    crashes = 0
    for g in games:
        if getattr(g, "termination", None) == _CRASH:
            crashes += 1
            continue
        if g.p1 == g.p2:
            raise PairError(f"agent {g.p1!r} plays itself on layout {g.layout}: a pair needs two agents")
        key = (g.p1, g.p2, g.layout, getattr(g, "opening", "") or "", int(getattr(g, "index", 0)))
        if key in seen:
            raise PairError(
                f"game listed twice: {g.p1} v {g.p2} on {g.layout}, opening {key[3] or '(none)'}, game {key[4]}"
            )
        seen[key] = g
    agent_order = list(agents) if agents is not None else _first_seen(x for k in seen for x in (k[0], k[1]))
    layout_order = list(layouts) if layouts is not None else _first_seen(k[2] for k in seen)
    a_of = {name: i for i, name in enumerate(agent_order)}
    l_of = {name: i for i, name in enumerate(layout_order)}
    for p1, p2, layout, *_ in seen:
        for name in (p1, p2):
            if name not in a_of:
                raise PairError(f"agent {name!r} is not among the agents given ({', '.join(agent_order)})")
        if layout not in l_of:
            raise PairError(f"layout {layout!r} is not among the layouts given ({', '.join(layout_order)})")
    rows, unpaired = [], []
    for (p1, p2, layout, opening, index), g in seen.items():
        if a_of[p1] > a_of[p2]:
            continue  # visited from its partner
        partner = seen.get((p2, p1, layout, opening, index))
        if partner is None:
            unpaired.append(g)
            continue
        rows.append((a_of[p1], a_of[p2], l_of[layout], opening, index, _code(g.winner), _code(partner.winner)))
    for (p1, p2, layout, opening, index), g in seen.items():
        if a_of[p1] > a_of[p2] and (p2, p1, layout, opening, index) not in seen:
            unpaired.append(g)
    rows.sort(key=lambda r: (r[2], r[0], r[1], r[3], r[4]))
    cols = list(zip(*rows, strict=True)) if rows else [()] * 7

    def ints(col) -> np.ndarray:
        return np.array(col, dtype=np.int64)

    return PairTable(
        tuple(agent_order),
        tuple(layout_order),
        ints(cols[0]),
        ints(cols[1]),
        ints(cols[2]),
        tuple(cols[3]),
        ints(cols[4]),
        ints(cols[5]),
        ints(cols[6]),
        tuple(unpaired),
        crashes,
    )


def _first_seen(names: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(names))


def distinct_games(games: Iterable) -> int:
    """How many distinct games ``games`` holds: distinct (layout, move sequence); replays count once.

    Args:
        games: objects with ``layout`` and ``moves`` (any hashable move sequence, e.g. the stored string).
    """
    return len({(g.layout, tuple(g.moves) if isinstance(g.moves, list) else g.moves) for g in games})
