"""``bttt analyse``: the verdicts of every stored move (checked against the solver's own move values), never a
guess under a small budget, resumable, idempotent, the same in parallel, and the rates and the viewer's entries
built from them."""

from __future__ import annotations

import itertools
import sqlite3

import numpy as np
import pytest
import small_tournament

from bttt import GameState, Rules
from bttt.cells import parse_cells
from bttt.cli import main
from bttt.solver.engine import Budget, Solver
from bttt.solver.solve import solve
from bttt.solver.values import Bounds, loss_score, valid_scores, win_score
from tournament.analysis import analyse, classify, move_rates, read_verdicts, viewer_analysis, worst_moves
from tournament.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return small_tournament.build(tmp_path_factory.mktemp("analysis") / "t.db")


def _copy(db, folder):
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "copy.db"
    src = sqlite3.connect(db)
    dst = sqlite3.connect(out)
    src.backup(dst)
    src.close()
    dst.close()
    return out


def _true_verdict(before: int, after: int) -> tuple[str, bool]:
    def cls(v: int) -> int:
        return (v > 0) - (v < 0)

    if after == before:
        return "optimal", False
    if cls(after) < cls(before):
        return "blunder", True
    return "inaccuracy", False


def test_classify_is_right_on_exact_values_and_never_wrong_on_bounds() -> None:
    scores = valid_scores(20)
    rng = np.random.default_rng(0)
    for before, after in itertools.product(scores, scores):
        if after > before:
            continue  # a move is never worth more than the position
        want = _true_verdict(before, after)
        assert classify(Bounds(before, before), Bounds(after, after)) == want
        for _ in range(3):  # widen both intervals at random: the verdict is right or undecided
            b = Bounds(before - int(rng.integers(0, 30)), before + int(rng.integers(0, 30)))
            a = Bounds(after - int(rng.integers(0, 30)), after + int(rng.integers(0, 30)))
            verdict, blunder = classify(b, a)
            assert verdict in (want[0], "undecided") and blunder in (want[1], None)
    assert classify(Bounds(win_score(9), win_score(9)), Bounds(win_score(11), win_score(11))) == ("inaccuracy", False)
    assert classify(Bounds(0, win_score(5)), Bounds(loss_score(4), loss_score(4))) == ("blunder", True)
    assert classify(Bounds(win_score(9), win_score(3)), Bounds(win_score(13), win_score(11))) == ("inaccuracy", False)
    assert classify(Bounds(win_score(9), win_score(3)), Bounds(0, win_score(11))) == ("undecided", None)


def test_every_agent_move_is_judged_as_the_solver_values_it(db, tmp_path) -> None:
    path = _copy(db, tmp_path)
    run = analyse(path, workers=1, seconds=None, nodes=20_000)
    verdicts = read_verdicts(path)
    with Store(path, create=False) as store:
        games = {g.id: g for g in store.games()}
    assert run.analysed == len(games) and run.moves == len(verdicts)
    assert sum(g.plies - g.opening_plies for g in games.values()) == len(verdicts)
    assert all(v.ply >= games[v.game_id].opening_plies for v in verdicts)
    rng = np.random.default_rng(1)
    checked = 0
    for v in rng.choice(verdicts, size=16, replace=False):
        g = games[v.game_id]
        rules = Rules(bricks=g.layout)
        moves = parse_cells(g.moves)
        state = GameState.from_moves(rules, moves[: v.ply])
        assert v.mover == state.to_move and v.agent == (g.p1 if v.mover == 1 else g.p2)
        sol = solve(state, solver=Solver(rules, tt_bits=18), moves="all", pv=False, budget=Budget(nodes=200_000))
        if not sol.complete:
            continue
        played = next(m for m in sol.moves if m.move == moves[v.ply])
        checked += 1
        assert v.before.lo <= sol.bounds.lo <= v.before.hi and v.after.lo <= played.bounds.lo <= v.after.hi
        if v.before.exact and v.after.exact:
            assert (v.verdict, v.blunder) == _true_verdict(sol.bounds.lo, played.bounds.lo)
    assert checked >= 8


def test_a_tiny_budget_leaves_moves_undecided_never_guessed(db, tmp_path) -> None:
    path = _copy(db, tmp_path)
    analyse(path, workers=1, seconds=None, nodes=1)
    tiny = {(v.game_id, v.ply): v for v in read_verdicts(path)}
    full_path = _copy(db, tmp_path / "full")
    analyse(full_path, workers=1, seconds=None, nodes=20_000)
    for v in read_verdicts(full_path):
        t = tiny[(v.game_id, v.ply)]
        assert (t.before.lo <= v.before.lo and v.before.hi <= t.before.hi) or not v.before.exact
        assert t.verdict in (v.verdict, "undecided") and t.blunder in (v.blunder, None)
    assert any(t.verdict == "undecided" for t in tiny.values())


def test_reruns_are_idempotent_resume_and_keep_what_was_proven(db, tmp_path) -> None:
    path = _copy(db, tmp_path)
    calls = []

    def stop_after_three(done: int, total: int) -> None:
        calls.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyse(path, workers=1, seconds=None, nodes=5_000, progress=stop_after_three)
    assert len({v.game_id for v in read_verdicts(path)}) == 3
    second = analyse(path, workers=1, seconds=None, nodes=5_000)
    assert second.skipped == 3 and second.analysed == second.games - 3
    before = read_verdicts(path)
    third = analyse(path, workers=1, seconds=None, nodes=5_000)
    assert third.analysed == 0 and read_verdicts(path) == before
    smaller = analyse(path, workers=1, seconds=None, nodes=10)  # less budget: nothing to redo, nothing lost
    assert smaller.analysed == 0 and read_verdicts(path) == before


def test_a_node_budget_gives_the_same_verdicts_whatever_the_workers_and_order(db, tmp_path) -> None:
    """Each game starts from an empty table, so what a node budget proves for a move depends on its game alone:
    not on the workers, nor on which games a worker analysed before (an interrupted run resumed included)."""
    one, two, resumed = (_copy(db, tmp_path / name) for name in ("one", "two", "resumed"))
    analyse(one, workers=1, seconds=None, nodes=3_000)
    analyse(two, workers=2, seconds=None, nodes=3_000)

    def stop_after_five(done: int, total: int) -> None:
        if done == 5:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyse(resumed, workers=1, seconds=None, nodes=3_000, progress=stop_after_five)
    analyse(resumed, workers=1, seconds=None, nodes=3_000)

    def rows(path) -> dict:
        return {(v.game_id, v.ply): (v.before, v.after, v.verdict, v.blunder) for v in read_verdicts(path)}

    a = rows(one)
    assert any(v[2] == "undecided" for v in a.values()) and any(v[2] != "undecided" for v in a.values())
    assert rows(two) == a and rows(resumed) == a


def test_the_command_with_nodes_alone_is_a_node_budget_that_reproduces(db, tmp_path) -> None:
    """``bttt analyse --nodes N`` sets no time limit (a time limit would make the verdicts depend on the
    machine's speed and load), so one worker and two give the same verdicts."""
    one, two = _copy(db, tmp_path / "one"), _copy(db, tmp_path / "two")
    for path, workers in ((one, "1"), (two, "2")):
        assert main(["analyse", "--db", str(path), "--workers", workers, "--nodes", "3000", "--json"]) == 0
    with sqlite3.connect(one) as con:
        assert con.execute("SELECT DISTINCT budget_seconds, budget_nodes FROM move_analysis").fetchall() == [
            (None, 3000)
        ]

    def rows(path) -> dict:
        return {(v.game_id, v.ply): (v.before, v.after, v.verdict) for v in read_verdicts(path)}

    assert rows(one) == rows(two) and any(v[2] == "undecided" for v in rows(one).values())


def test_rates_worst_moves_and_viewer_entries(db, tmp_path) -> None:
    path = _copy(db, tmp_path)
    analyse(path, workers=1, seconds=None, nodes=20_000)
    verdicts = read_verdicts(path)
    rows = move_rates(verdicts, ("agent", "colour"), reps=200)
    assert sum(r.moves for r in rows) == len(verdicts)
    for r in rows:
        if r.optimal is not None:
            assert 0 <= r.optimal.low <= r.optimal.rate <= r.optimal.high <= 1
            assert r.optimal.denominator == r.moves - r.undecided_verdict
    cells = move_rates(verdicts, ("cell",), reps=100)
    assert {r.group[0] for r in cells} == {"D4", "E5", "A1"}
    agent = verdicts[0].agent
    worst = worst_moves(verdicts, agent, 5)
    assert all(w.agent == agent and w.verdict in ("blunder", "inaccuracy") for w in worst)
    entries = viewer_analysis(path)
    with Store(path, create=False) as store:
        games = store.games()
    for g in games:
        assert len(entries[g.id]) == g.plies
        assert all(e is None for e in entries[g.id][: g.opening_plies])
        assert all(e is not None for e in entries[g.id][g.opening_plies :])
    texts = {e["value"] for g in games for e in entries[g.id] if e}
    assert any(t.startswith(("O wins in", "X wins in", "O has won", "X has won")) for t in texts)


def test_the_command_line(db, tmp_path, capsys) -> None:
    path = _copy(db, tmp_path)
    assert main(["analyse", "--db", str(path), "--workers", "1", "--nodes", "20000", "--by", "agent;cell"]) == 0
    out = capsys.readouterr().out
    assert "optimal rate [95%]" in out and "blunder rate [95%]" in out and "games analysed" in out
    assert main(["analyse", "--db", str(path), "--summary-only", "--json"]) == 0
    import json

    doc = json.loads(capsys.readouterr().out)
    assert doc["run"] is None and doc["moves"] > 0 and "agent" in doc["rates"]
    assert main(["analyse", "--db", str(tmp_path / "missing.db")]) == 2
    assert main(["analyse", "--db", str(path), "--by", "agent,weather"]) == 2
    notes = tmp_path / "notes.txt"
    notes.write_text("mine")
    assert main(["analyse", "--db", str(notes)]) == 2 and notes.read_text() == "mine"
