"""Running tournaments: determinism across worker counts, resume after kill -9, new agents, worker death."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from tournament_agents import make_importable

from bttt.errors import BtttError
from tournament.driver import TournamentSpec, run_tournament
from tournament.store import Store, StoreError

make_importable()
T = "tests.tournament_agents"
RANDOM = "agents.random_agent:RandomAgent"
SLOW = f"{T}:slow:delay=0"


def snapshot(db) -> dict:
    """Every stored game: schedule identity -> (seed, winner, termination, moves)."""
    with Store(db, create=False) as s:
        return {g.key: (g.seed, g.winner, g.termination, g.moves) for g in s.games()}


def test_same_games_with_one_and_two_workers_and_on_rerun(tmp_path):
    spec = TournamentSpec(openings=0, agents=[RANDOM, SLOW], suite="orbits", games_per_colour=1, seed=3)
    one = run_tournament(spec, tmp_path / "one.db", workers=1, progress=False)
    two = run_tournament(spec, tmp_path / "two.db", workers=2, progress=False)
    assert one.played == two.played == 2 * 10
    assert snapshot(tmp_path / "one.db") == snapshot(tmp_path / "two.db")
    again = run_tournament(spec, tmp_path / "two.db", workers=2, progress=False)
    assert again.played == 0 and again.already_done == 20  # nothing is replayed
    other = TournamentSpec(openings=0, agents=[RANDOM, SLOW], suite="orbits", games_per_colour=1, seed=4)
    run_tournament(other, tmp_path / "seed4.db", workers=2, progress=False)
    assert snapshot(tmp_path / "seed4.db") != snapshot(tmp_path / "one.db")


def test_adding_an_agent_plays_only_new_pairings_and_config_mismatch_is_refused(tmp_path):
    db = tmp_path / "t.db"
    base = run_tournament(
        TournamentSpec(openings=0, agents=[RANDOM, SLOW], suite="D4,A1", games_per_colour=2),
        db,
        workers=2,
        progress=False,
    )
    assert base.played == 1 * 2 * 2 * 2
    before = snapshot(db)
    third = f"{T}:slow:delay=0.0"  # a distinct spec string: a third agent
    more = run_tournament(TournamentSpec(agents=[third]), db, workers=2, progress=False)
    assert more.played == 2 * 2 * 2 * 2  # two new pairings only; the stored settings were reused
    after = snapshot(db)
    assert {k: after[k] for k in before} == before
    assert {(k.p1, k.p2) for k in set(after) - set(before)} == {
        (RANDOM, third),
        (third, RANDOM),
        (SLOW, third),
        (third, SLOW),
    }
    for change in ({"games_per_colour": 3}, {"suite": "D4"}, {"seed": 9}, {"move_time_limit": 5.0}):
        with pytest.raises(StoreError, match="another configuration"):
            run_tournament(TournamentSpec(agents=[RANDOM], **change), db, workers=1, progress=False)
    assert snapshot(db) == after
    # --train only changes the report: it is accepted and stored, and no game is played.
    assert run_tournament(TournamentSpec(train="D4"), db, workers=1, progress=False).played == 0
    with Store(db, create=False) as s:
        assert s.config()["train"] == ["D4"]


def test_worker_death_is_rescheduled_or_recorded_as_a_crash(tmp_path):
    marker = tmp_path / "died"
    once = f"{T}:die_once:marker={marker},layout=D4"
    spec = TournamentSpec(openings=0, agents=[RANDOM, once, f"{T}:dier"], suite="D4", games_per_colour=1)
    summary = run_tournament(spec, tmp_path / "t.db", workers=2, progress=False, max_crashes=2)
    assert marker.exists()  # the die-once agent really killed a worker
    games = snapshot(tmp_path / "t.db")
    assert summary.played == len(games) == 6
    for key, (_seed, _winner, termination, moves) in games.items():
        if f"{T}:dier" in (key.p1, key.p2):
            assert termination == "crash", key
        else:  # rescheduled after the death and finished normally
            assert termination in ("win", "draw") and len(moves.split(",")) >= 7, key
    with Store(tmp_path / "t.db", create=False) as s:
        crash = next(g for g in s.games() if g.termination == "crash")
    assert "died 2 times" in crash.fault_detail and crash.fault_player is None


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM games").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.parametrize("openings", [0, 2], ids=["empty-board", "openings"])
def test_resume_after_kill_minus_9_finishes_exactly_the_missing_games(tmp_path, openings):
    """Killed mid-tournament (driver and workers), then resumed: every game once, the same games as a run that was
    never interrupted -- from the empty board and from a suite of openings (rebuilt the same on resume)."""
    agents = [RANDOM, f"{T}:slow:delay=0.004"]
    total = 60 * max(openings, 1)
    args = [
        "tournament",
        "--openings",
        str(openings),
        "--opening-plies",
        "2",
        *agents,
        "--suite",
        "orbits",
        "--games",
        "3",
        "--workers",
        "2",
        "--seed",
        "5",
        "--no-progress",
        "--no-report",
        "--db",
        str(tmp_path / "killed.db"),
    ]
    code = "import sys; from bttt.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.time() + 60
    while _count(tmp_path / "killed.db") < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the driver and its workers, mid-tournament
    proc.wait()
    partial = _count(tmp_path / "killed.db")
    assert 8 <= partial < total, (partial, proc.stderr.read().decode()[-2000:])
    before = snapshot(tmp_path / "killed.db")
    spec = TournamentSpec(openings=openings, opening_plies=2, agents=agents, suite="orbits", games_per_colour=3, seed=5)
    resumed = run_tournament(spec, tmp_path / "killed.db", workers=2, progress=False)
    assert resumed.already_done == partial and resumed.played == total - partial
    after = snapshot(tmp_path / "killed.db")
    assert len(after) == total and {k: after[k] for k in before} == before
    with Store(tmp_path / "killed.db", create=False) as s:
        assert s.conn.execute("SELECT COUNT(*) FROM games").fetchone()[0] == total  # no row twice
        if openings:
            assert len({g.opening for g in s.games()}) == 10 * openings  # every opening of every layout played
    run_tournament(spec, tmp_path / "clean.db", workers=2, progress=False)
    assert snapshot(tmp_path / "clean.db") == after  # none lost, none duplicated, same games


def test_bad_agent_spec_fails_before_any_game(tmp_path):
    with pytest.raises(BtttError, match="unknown agent"):
        run_tournament(TournamentSpec(openings=0, agents=[RANDOM, "nosuchagent"]), tmp_path / "t.db", progress=False)


def test_gauntlet_joins_and_plays_only_its_pairings(tmp_path):
    db = tmp_path / "g.db"
    run_tournament(
        TournamentSpec(openings=0, agents=[RANDOM, SLOW], suite="D4", games_per_colour=1), db, workers=1, progress=False
    )
    challenger = f"{T}:slow:delay=0.0"
    summary = run_tournament(TournamentSpec(gauntlet=challenger), db, workers=1, progress=False)
    assert summary.played == 2 * 2 and challenger in summary.agents
    new = [k for k in snapshot(db) if {k.p1, k.p2} != {RANDOM, SLOW}]
    assert len(new) == 4 and all(challenger in (k.p1, k.p2) for k in new)


def test_move_time_limit_is_enforced_in_worker_processes(tmp_path):
    sleeper = f"{T}:sleeper:after=1,seconds=30"
    spec = TournamentSpec(openings=0, agents=[RANDOM, sleeper], suite="D4", games_per_colour=1, move_time_limit=0.3)
    start = time.perf_counter()
    summary = run_tournament(spec, tmp_path / "t.db", workers=2, progress=False)
    assert time.perf_counter() - start < 20  # the 30 s sleeps were cut short
    assert summary.faults == 2
    with Store(tmp_path / "t.db", create=False) as s:
        for g in s.games():
            seat = 1 if g.p1 == sleeper else 2
            assert (g.termination, g.fault_player, g.winner) == ("timeout", seat, 3 - seat)


def test_default_tournament_fields_the_paper_agents_and_the_d4_network(tmp_path):
    from tournament.driver import DEFAULT_AGENTS, prepare

    with Store(tmp_path / "default.db") as store:
        config, agents, tasks = prepare(TournamentSpec(), store)
    specs = [spec for _, spec, _ in agents]
    assert sorted(specs) == sorted(DEFAULT_AGENTS)
    cells = {spec: cells for _, spec, cells in agents}
    assert cells["alphazero:checkpoint=d4"] == (24,)  # the shipped network declares its training cell
    assert cells["random"] is None  # search agents are controls...
    assert config["train"] == ["D4"]  # ...split on the paper's training cell in the report
    assert len(config["suite"]) == 49 and len(tasks) == 10 * 2 * 49 * 2  # 10 pairings, 2 colours, 2 games
