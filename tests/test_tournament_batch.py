"""Batched tournament play: grouped games equal one-at-a-time games, faults stay per game, resume is exact."""

from __future__ import annotations

import importlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from tournament_agents import EchoRequest, make_importable

from agents.batching import serve_requests
from agents.registry import make_agent
from tournament.batch_play import batch_info, plan_units, play_group
from tournament.play import GameTask, clear_agents, play_game
from tournament.schedule import GameKey
from tournament.store import Store

make_importable()
T = "tests.tournament_agents"


def _tasks(pairs, layouts, seed=1) -> list[GameTask]:
    out = []
    for layout in layouts:
        for a, b in pairs:
            key = GameKey(a, b, layout, 0)
            out.append(GameTask(key, key.seed(seed), a, b))
    return out


def _outcome(r):
    return (r.key, r.seed, r.winner, r.termination, r.moves, r.fault_player, r.fault_detail)


@pytest.fixture
def onnx_backend(monkeypatch):
    """ONNX Runtime is batch-invariant (bit for bit), so grouped and single games must agree exactly."""
    pytest.importorskip("onnxruntime")
    monkeypatch.setenv("BTTT_INFERENCE", "onnx")
    clear_agents()
    yield
    clear_agents()


def test_grouped_games_equal_games_played_one_at_a_time(onnx_backend):
    az = make_agent("alphazero:checkpoint=d4,simulations=12").name
    paper = make_agent("alphazero:checkpoint=d4,simulations=12,paper=true").name
    raw = make_agent("alphazero:checkpoint=d4,simulations=0").name
    mcts = make_agent("mcts:iterations=100").name
    raiser, illegal = f"{T}:raiser:after=1", f"{T}:illegal:after=1"
    pairs = [(az, mcts), (mcts, paper), (paper, az), (raw, az), (az, raiser), (illegal, paper)]
    tasks = _tasks(pairs, ["D4", "A1", "none"])
    alone = [play_game(t) for t in tasks]
    clear_agents()
    grouped = play_group(tasks)
    assert [_outcome(r) for r in grouped] == [_outcome(r) for r in alone]
    faults = {(r.key.p1, r.key.p2): r.termination for r in grouped if r.fault_player}
    assert set(faults.values()) == {"exception", "illegal"} and len(faults) == 2  # one pairing each, per layout
    assert all(len(r.move_times) == r.plies + (r.fault_player is not None) for r in grouped)
    assert all(r.wall_time > 0 for r in grouped)
    # again in the same process: agents are reset and reseeded per game, so nothing carries over
    assert [_outcome(r) for r in play_group(tasks)] == [_outcome(r) for r in alone]


def test_a_failing_network_call_loses_only_the_game_that_caused_it():
    good, bad = f"{T}:batcher", f"{T}:batcher:after=2,bad=true"
    tasks = _tasks([(good, "random"), (bad, "random"), ("random", good)], ["D4", "E5"])
    echo = importlib.import_module(T).EchoRequest  # the plug-in's own module (not tests/ on sys.path)
    echo.calls.clear()
    results = play_group(tasks)
    assert max(echo.calls) > 1  # the games' requests really went together
    for task, r in zip(tasks, results, strict=True):
        if task.p1_spec == bad:
            assert (r.termination, r.fault_player, r.winner) == ("exception", 1, 2)
            assert "deliberate network failure" in r.fault_detail
        else:
            assert r.termination in ("win", "draw") and _outcome(r) == _outcome(play_game(task))


def test_serve_requests_returns_the_exception_in_place_of_its_request():
    reqs = [EchoRequest(1, False), EchoRequest(2, True), EchoRequest(3, False)]
    out = serve_requests(reqs)
    assert out[0] == 1 and out[2] == 3 and isinstance(out[1], RuntimeError)


def test_plan_units_groups_network_games_and_keeps_timed_and_plain_games_single():
    az = make_agent("alphazero:checkpoint=d4,simulations=4").name
    other = make_agent("alphazero:checkpoint=d4,simulations=0").name
    info = batch_info({s: make_agent(s) for s in (az, other, "random")})
    assert set(info) == {az, other} and info[az][0] == info[other][0]  # one network: one key
    tasks = _tasks([(az, "random"), ("random", other), ("random", "random")], [f"{c}" for c in ("A1", "B2", "C3")])
    timed = GameTask(tasks[0].key, 5, az, "random", move_time_limit=1.0)
    units = plan_units([*tasks, timed], info, workers=2)
    groups = [u for u in units if isinstance(u, list)]
    singles = [u for u in units if not isinstance(u, list)]
    assert sorted(len(g) for g in groups) == [3, 3]  # 6 network games over 2 workers
    assert timed in singles and len(singles) == 4
    grouped = [t for g in groups for t in g]
    assert all(az in (t.p1_spec, t.p2_spec) or other in (t.p1_spec, t.p2_spec) for t in grouped)
    assert {t.seed for t in grouped} | {t.seed for t in singles} == {t.seed for t in [*tasks, timed]}


def test_plan_units_splits_a_key_into_equal_groups():
    az = make_agent("alphazero:checkpoint=d4,simulations=4").name
    info = {az: ("net", 64)}
    tasks = _tasks([(az, "random")] * 98, [f"{c}" for c in ("A1", "B2")])
    assert len(tasks) == 196
    units = plan_units(tasks, info, workers=2)
    assert [len(u) for u in units] == [49, 49, 49, 49]  # not 64, 64, 64, 4
    assert [t for u in units for t in u] == tasks  # in schedule order, each game once
    assert [len(u) for u in plan_units(tasks[:10], info, workers=3)] == [3, 4, 3]


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM games").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _snapshot(db, scratch=None) -> dict:
    """Every stored game; read from a copy in ``scratch`` when another process will write ``db`` again (a
    connection this process keeps open to it would then read a stale WAL index)."""
    if scratch is not None:
        scratch.mkdir()
        for path in db.parent.glob(db.name + "*"):
            shutil.copy(path, scratch / path.name)
        db = scratch / db.name
    with Store(db, create=False) as s:
        return {g.key: (g.seed, g.winner, g.termination, g.moves) for g in s.games()}


@pytest.mark.slow
def test_batched_tournament_resumes_after_kill_and_equals_one_game_at_a_time(tmp_path):
    pytest.importorskip("onnxruntime")
    agents = ["alphazero:checkpoint=d4,simulations=4", "random", f"{T}:slow:delay=0.002"]
    base = ["tournament", *agents, "--openings", "0", "--suite", "D4,A1,B3,C4", "--games", "1", "--workers", "2"]
    base += ["--seed", "2", "--no-progress", "--no-report"]
    code = "import sys; from bttt.cli import main; sys.exit(main(sys.argv[1:]))"
    env = {**os.environ, "BTTT_INFERENCE": "onnx"}  # batch-invariant: the runs must agree exactly

    def cli(db, *extra, background=False):
        cmd = [sys.executable, "-c", code, *base, "--db", str(db), *extra]
        if background:
            return subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
        subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    killed = tmp_path / "killed.db"
    proc = cli(killed, "--batch-games", "4", background=True)
    deadline = time.time() + 120
    while _count(killed) < 8 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = _count(killed)
    assert 8 <= partial < 24, partial
    before = _snapshot(killed, tmp_path / "copy")
    cli(killed, "--batch-games", "4")
    after = _snapshot(killed, tmp_path / "copy2")
    assert len(after) == 24 and {k: after[k] for k in before} == before
    cli(tmp_path / "single.db", "--batch-games", "1")
    assert _snapshot(tmp_path / "single.db") == after


def test_a_group_whose_worker_dies_is_replayed_game_by_game(tmp_path):
    from tournament.driver import TournamentSpec, run_tournament

    batcher, dier = f"{T}:batcher", f"{T}:dier"
    spec = TournamentSpec(openings=0, agents=["random", batcher, dier], suite="D4,A1", games_per_colour=1)
    summary = run_tournament(spec, tmp_path / "t.db", workers=2, progress=False, max_crashes=1)
    stored = _snapshot(tmp_path / "t.db")
    assert summary.played == len(stored) == 3 * 2 * 2
    for key, (_, _, termination, _) in stored.items():
        assert (termination == "crash") == (dier in (key.p1, key.p2))
