"""Colour-swapped pairs and their pentanomial counts on hand-built games."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from tournament.pairs import GameOutcome, PairCounts, PairError, distinct_games, form_pairs
from tournament.rating import outcome_counts


def pair(x_first: int, y_first: int, layout="D4", opening="o", index=0, x="X", y="Y"):
    """The two games of a pair: ``x_first`` is the winner seat (1, 2, 0) with x first, ``y_first`` with y first."""
    return [GameOutcome(x, y, layout, x_first, opening, index), GameOutcome(y, x, layout, y_first, opening, index)]


def test_every_pentanomial_class_from_both_sides():
    games = []
    games += pair(1, 2, opening="ww")  # X wins both
    games += pair(1, 0, opening="wd")  # X wins as first, draws as second
    games += pair(1, 1, opening="wl")  # each first mover wins
    games += pair(0, 0, opening="dd")
    games += pair(0, 1, opening="ld")  # draw as first, loses as second
    games += pair(2, 1, opening="ll")  # X loses both
    games += pair(2, 2, opening="ll2")  # X loses as first, wins as second: WL again
    t = form_pairs(games)
    assert len(t) == 7 and not t.unpaired
    assert t.counts("X") == PairCounts(ll=1, ld=1, wl=2, dd=1, wd=1, ww=1)
    assert t.counts("Y") == PairCounts(ll=1, ld=1, wl=2, dd=1, wd=1, ww=1)  # the mirror of this set
    assert t.pentanomial("X").tolist() == [1, 1, 3, 1, 1]
    assert t.counts("X").score == pytest.approx(0.5)
    only = form_pairs(pair(1, 2) + pair(1, 0, opening="p"))
    assert only.pentanomial("X").tolist() == [0, 0, 0, 1, 1]
    assert only.pentanomial("Y").tolist() == [1, 1, 0, 0, 0]
    assert only.counts("X").score == pytest.approx(0.875)


def test_pairs_join_on_layout_opening_and_index_only():
    games = pair(1, 2, layout="D4", opening="a") + pair(2, 1, layout="C3", opening="a")
    games += pair(1, 1, layout="D4", opening="a", index=1)
    games += [GameOutcome("X", "Y", "D4", 1, "b", 0)]  # its partner was never played
    games += [GameOutcome("Y", "X", "E5", 2, "c", 0)]  # nor this one's
    t = form_pairs(games)
    assert len(t) == 3
    assert sorted((g.layout, g.opening) for g in t.unpaired) == [("D4", "b"), ("E5", "c")]
    assert t.layouts == ("D4", "C3", "E5")
    cells, scores = t.agent_scores("X")
    keys = [(t.layouts[c], o, i) for c, o, i in zip(cells, t.opening, t.index, strict=True)]
    by = dict(zip(keys, scores, strict=True))
    assert by == {("D4", "a", 0): 1.0, ("D4", "a", 1): 0.5, ("C3", "a", 0): 0.0}


def test_crashes_are_left_out_and_unpair_their_partner():
    @dataclass
    class Row:
        p1: str
        p2: str
        layout: str
        winner: int
        termination: str
        index: int = 0

    t = form_pairs([Row("X", "Y", "D4", 0, "crash"), Row("Y", "X", "D4", 1, "win"), *pair(1, 1, index=1)])
    assert t.crashes == 1 and len(t.unpaired) == 1 and len(t) == 1


def test_outcome_counts_match_the_rating_input_and_three_agents():
    games = pair(1, 2) + pair(0, 1, opening="p") + pair(1, 1, x="X", y="Z") + pair(2, 0, x="Y", y="Z")
    t = form_pairs(games, agents=["X", "Y", "Z"])
    expected = outcome_counts([(g.p1, g.p2, g.winner) for g in games], ["X", "Y", "Z"])
    assert np.array_equal(t.outcome_counts(), expected)
    assert np.array_equal(t.outcome_counts(np.full(len(t), 2.0)), 2 * expected)
    assert t.pentanomial("X", opponents=["Y"]).tolist() == [0, 1, 0, 0, 1]  # WW, then LD
    assert t.pentanomial("X", opponents=["Z"]).tolist() == [0, 0, 1, 0, 0]
    assert t.pentanomial("Z").tolist() == [0, 0, 1, 1, 0]  # Z: WL against X, WD against Y


def test_bad_input_is_refused_with_a_reason():
    with pytest.raises(PairError, match="twice"):
        form_pairs(pair(1, 2) + pair(1, 2))
    with pytest.raises(PairError, match="itself"):
        form_pairs([GameOutcome("X", "X", "D4", 1)])
    with pytest.raises(PairError, match="winner"):
        form_pairs(pair(3, 1))
    with pytest.raises(PairError, match="not among"):
        form_pairs(pair(1, 2), agents=["X"])
    with pytest.raises(PairError, match="no complete pair"):
        form_pairs(pair(1, 2)).counts("W")


def test_distinct_games_counts_replays_once():
    @dataclass
    class G:
        layout: str
        moves: str

    assert distinct_games([G("D4", "C3,D5"), G("D4", "C3,D5"), G("C3", "C3,D5"), G("D4", "D5,C3")]) == 3
