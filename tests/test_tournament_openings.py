"""Opening suites: distinct under the layout's symmetries, seeded, balanced by the judge, and read from files."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bttt import GameState, Rules
from bttt.symmetry import brick_orbits, preserving_transforms, transform_state
from tournament.opening_judges import MinimaxJudge, SolverJudge, first_verdict, judge_name
from tournament.openings import (
    Opening,
    OpeningsError,
    OpeningSuite,
    canonical,
    generate_openings,
    read_openings,
    write_openings,
)

RULES = Rules()


def stones(state: GameState) -> tuple[frozenset, frozenset]:
    return frozenset(state.history[0::2]), frozenset(state.history[1::2])


def assert_distinct_under_symmetry(openings: tuple[Opening, ...]) -> None:
    """No opening maps onto another by a symmetry that keeps the bricks (checked with transform_state)."""
    states = [o.state(RULES) for o in openings]
    for a, b in itertools.combinations(states, 2):
        for t in preserving_transforms(a.rules):
            assert stones(transform_state(t, a)) != stones(b), (a, b, t)


@pytest.fixture(scope="module")
def suite() -> OpeningSuite:
    return generate_openings(["D4", "A2", "C3+E5"], n=6, plies=4, seed=7)


def test_generated_openings_are_distinct_playable_and_balanced(suite):
    judge, solver = MinimaxJudge(depth=4), SolverJudge()
    for layout in ("D4", "A2", "C3+E5"):
        ops = suite.for_layout(layout)
        assert len(ops) == 6
        assert_distinct_under_symmetry(ops)
        for o in ops:
            state = o.state(RULES)
            assert len(state.history) == 4 and not state.is_terminal()
            assert o.value is not None and abs(o.value) < 1 and judge(state) == o.value
            assert solver(state) is None  # neither side wins within the solver's 7 plies
            assert o.id() == f"{layout}:" + ",".join(RULES.name(m) for m in o.moves)
    assert suite.source["judge"] == "solver:horizon=7,nodes=200000+minimax:depth=4" and suite.plies == 4


def test_every_distinct_one_ply_opening_of_a_symmetric_layout():
    # With the brick on D4 every symmetry keeps it, so one-ply openings are the 10 cell orbits less D4's.
    ops = generate_openings(["D4"], n=9, plies=1, seed=0, judge=None).for_layout("D4")
    assert_distinct_under_symmetry(ops)
    orbit_of = {c: i for i, orbit in enumerate(brick_orbits()) for c in orbit}
    assert sorted(orbit_of[o.moves[0]] for o in ops) == sorted(set(orbit_of.values()) - {orbit_of[24]})
    with pytest.raises(OpeningsError, match="only 9 distinct"):
        generate_openings(["D4"], n=10, plies=1, seed=0, judge=None)
    empty = generate_openings(["D4"], n=1, plies=0).for_layout("D4")
    assert empty[0].moves == () and empty[0].id() == "D4:-"


def test_seeded_and_independent_of_the_other_layouts(suite):
    again = generate_openings(["A2", "D4", "C3+E5"], n=6, plies=4, seed=7)
    alone = generate_openings(["D4"], n=6, plies=4, seed=7)
    assert again.for_layout("D4") == suite.for_layout("D4") == alone.for_layout("D4")
    assert again.digest() == suite.digest()
    other = generate_openings(["D4"], n=6, plies=4, seed=8)
    assert other.ids("D4") != suite.ids("D4")
    two_ply = generate_openings(["D4"], n=5, plies=2, seed=3)  # enumerated, then shuffled by the seed
    assert two_ply.ids("D4") == generate_openings(["D4"], n=5, plies=2, seed=3).ids("D4")
    assert_distinct_under_symmetry(two_ply.for_layout("D4"))


def test_judge_verdicts_filter_candidates():
    c3, e5 = RULES.name(16), RULES.name(32)
    assert (c3, e5) == ("C3", "E5")

    def judge(state):  # a stand-in solver: "won" whenever C3 is taken, "unknown" whenever E5 is
        if 16 in state.history:
            return 1.0
        return None if 32 in state.history else 0.0

    judge.name = "stand-in"
    # A1 is kept by the transpose only: 48 cells fall in 27 classes (6 on the diagonal), C3 and E5 among them.
    ops = generate_openings(["A1"], n=26, plies=1, seed=1, judge=judge).for_layout("A1")
    played = {o.moves[0] for o in ops}
    assert 16 not in played and 32 in played
    assert next(o for o in ops if o.moves == (32,)).value is None
    chained = first_verdict(lambda s: None, judge)
    assert chained(GameState.from_moves(Rules(bricks="A1"), [16])) == 1.0 and judge_name(chained) != "none"
    strict = generate_openings(["D4"], n=3, plies=4, seed=7, max_value=0.3)
    assert all(abs(o.value) <= 0.3 for o in strict.for_layout("D4"))


def test_minimax_judge_finds_forced_wins_for_either_side():
    judge = MinimaxJudge(depth=4)
    # O (to move) holds B2, B3, B4 with B1 and B5 free: an immediate win.
    won = GameState.from_moves(RULES, ["B2", "F7", "B3", "G6", "B4", "G1"])
    assert judge(won) == 1.0
    # X (to move) holds F2, F3, F4 with F1 and F5 free: a win for player 2.
    lost = GameState.from_moves(RULES, ["A7", "F2", "B7", "F3", "G7", "F4", "A5"])
    assert judge(lost) == -1.0
    quiet = GameState.from_moves(RULES, ["C3", "E5"])
    assert -1 < judge(quiet) < 1
    for t in preserving_transforms(RULES):  # symmetric positions get the same verdict
        assert abs(judge(transform_state(t, quiet))) < 1


@pytest.mark.slow
def test_solver_judge_proves_short_wins_the_search_misses_and_agrees_with_a_deeper_search():
    judge, reference, shallow = SolverJudge(horizon=7), MinimaxJudge(depth=7), MinimaxJudge(depth=4)
    won = GameState.from_moves(RULES, ["B2", "F7", "B3", "G6", "B4", "G1"])
    lost = GameState.from_moves(RULES, ["A7", "F2", "B7", "F3", "G7", "F4", "A5"])
    assert (judge(won), judge(lost)) == (1.0, -1.0)
    rng = np.random.default_rng(3)
    beyond_search = undecided = 0
    for _ in range(8):  # random 4-ply openings: +-1 exactly when the 7-ply alpha-beta search finds a forced win
        state = GameState(RULES)
        while len(state.history) < 4:
            state.apply_action(int(rng.choice(state.legal_actions())))
        verdict, value = judge(state), reference(state)
        assert verdict == (value if abs(value) == 1 else None), state.serialize()
        beyond_search += verdict is not None and abs(shallow(state)) < 1
        undecided += verdict is None
    assert beyond_search > 0 and undecided > 0  # wins in 5-7 plies that the depth-4 search does not see


def test_canonical_key_is_invariant_under_the_layout_symmetries():
    state = GameState.from_moves(Rules(bricks="D4"), ["C3", "E6", "B2"])
    keys = {canonical(transform_state(t, state))[0] for t in preserving_transforms(state.rules)}
    assert len(keys) == 1
    assert len(preserving_transforms(Rules(bricks="A1"))) == 2 and len(preserving_transforms(Rules(bricks="A2"))) == 1
    a, b = (GameState.from_moves(Rules(bricks="A1"), m) for m in (["C3", "E6"], ["C3", "F5"]))  # transposed
    assert canonical(a)[0] == canonical(b)[0]
    c, d = (GameState.from_moves(Rules(bricks="A2"), m) for m in (["C3", "E6"], ["C3", "F5"]))
    assert canonical(c)[0] != canonical(d)[0]


def test_file_round_trip_and_json(suite, tmp_path):
    path = write_openings(suite, tmp_path / "openings.txt")
    back = read_openings(path)
    assert back.digest() == suite.digest()
    assert {lay: back.ids(lay) for lay in back.openings} == {lay: suite.ids(lay) for lay in suite.openings}
    assert back.plies == 4 and back.source["file"] == str(path) and len(back.source["sha256"]) == 64
    assert back.for_layout("D4")[0].source == f"{path}:2"
    with pytest.raises(OpeningsError, match="exists"):
        write_openings(suite, path)
    restored = OpeningSuite.from_json(suite.to_json())
    assert restored.openings == suite.openings and restored.source == suite.source
    only = back.restrict(["D4"])
    assert list(only.openings) == ["D4"]
    with pytest.raises(OpeningsError, match="no opening for layout E5"):
        back.restrict(["D4", "E5"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("7x7k4 b:D4 m:C3,Z9", ":1: .*Z9"),
        ("seven by seven", ":1: cannot parse"),
        ("# header\n6x6k4 b:C3 m:A1", ":2: .*6x6k4 position; this tournament plays 7x7k4"),
        ("7x7k4 b:D4 m:D4", ":1: .*brick"),
        ("7x7k4 b:D4 m:A1,G1,A2,G2,A3,G3,A4", "finished game"),
        ("7x7k4 b:D4 m:C3,A1\n\n7x7k4 b:D4 m:E5,G7", ":3: the same opening as line 1 of layout D4"),
        ("# nothing\n\n", "holds no opening"),
    ],
)
def test_bad_files_are_refused_with_the_line_and_reason(tmp_path, text, message):
    path = tmp_path / "bad.txt"
    path.write_text(text)
    with pytest.raises(OpeningsError, match=message):
        read_openings(path)


def test_missing_file_and_bad_arguments(tmp_path):
    with pytest.raises(OpeningsError, match="cannot read"):
        read_openings(tmp_path / "nope.txt")
    with pytest.raises(OpeningsError, match="at least 1"):
        generate_openings(["D4"], n=0, plies=2)
    with pytest.raises(OpeningsError, match="0 or more"):
        generate_openings(["D4"], n=1, plies=-1)
    with pytest.raises(OpeningsError, match="no openings for layout"):
        generate_openings(["D4"], n=1, plies=0).for_layout("E5")


@pytest.mark.slow
def test_resume_with_explicit_opening_flags_keeps_the_suite_an_older_judge_chose(tmp_path, monkeypatch):
    import tournament.openings as op
    from tournament.driver import TournamentSpec, run_tournament
    from tournament.store import Store

    spec = TournamentSpec(
        agents=["random", "agents.random_agent:RandomAgent"], suite="D4,A1", openings=2, opening_plies=2, seed=4
    )
    with monkeypatch.context() as m:  # a database made when the default judge was the depth-4 search alone
        m.setattr(op, "default_judge", lambda: MinimaxJudge(depth=4))
        first = run_tournament(spec, tmp_path / "t.db", workers=1, progress=False)
    with Store(tmp_path / "t.db", create=False) as s:
        assert s.openings()["source"]["judge"] == "minimax:depth=4"
    again = run_tournament(spec, tmp_path / "t.db", workers=1, progress=False)  # today's default judge differs
    assert (first.played, again.played, again.already_done) == (8, 0, 8)
    new = run_tournament(spec, tmp_path / "new.db", workers=1, progress=False)
    with Store(tmp_path / "new.db", create=False) as s:
        assert s.openings()["source"]["judge"].startswith("solver:horizon=7") and new.played == 8
