"""``bttt tournament A B --sprt ...``: decisions on agents of known strength, the stored result, resume (also
after kill -9) and a larger --max-rounds, refused parameters, --json."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from test_json_output import validate
from tournament_agents import make_importable

from bttt.cli import main
from tournament.sprt import SprtSpec
from tournament.sprt_run import SprtRunSpec, run_sprt
from tournament.store import Store

make_importable()
RANDOM2 = "agents.random_agent:RandomAgent"  # the same play as 'random', under another name
STRONG = "minimax:depth=2"


def games(db) -> dict:
    with Store(db, create=False) as s:
        return {g.key: (g.seed, g.winner, g.moves) for g in s.games()}


def sprt(db, *extra) -> list[str]:
    return ["tournament", *extra, "--db", str(db), "--workers", "2", "--no-progress", "--no-report"]


@pytest.mark.slow
def test_strong_against_random_accepts_h1_and_the_reverse_h0(tmp_path, capsys):
    db = tmp_path / "h1.db"
    args = sprt(db, STRONG, "random", "--sprt", "elo0=0,elo1=200", "--bricks", "D4,A1", "--json")
    assert main(args) == 0
    doc = json.loads(capsys.readouterr().out)
    validate(doc, "bttt-tournament-run")
    s = doc["sprt"]
    assert (s["decision"], s["stopped"], s["b"]) == ("H1", "H1", "random") and s["a"].startswith(STRONG + ",")
    assert s["llr"] >= s["upper_bound"] and s["pairs"] == s["rounds"] * 4 and s["pentanomial"][4] == s["pairs"]
    assert [h["round"] for h in s["history"]] == list(range(1, s["rounds"] + 1))
    assert all(h["decision"] == "continue" for h in s["history"][:-1])
    stored = games(db)
    assert len(stored) == 2 * s["pairs"] and doc["played"] == len(stored)
    assert len({k.opening for k in stored}) == s["pairs"]  # fresh openings every round: none played twice
    with Store(db, create=False) as st:
        assert st.get_meta("sprt")["decision"] == "H1"
    # Rerunning the finished test plays nothing and reaches the same decision.
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["played"] == 0 and again["sprt"]["pentanomial"] == s["pentanomial"]
    # The report shows the test.
    out = tmp_path / "rep"
    assert main(["report", "--db", str(db), "--out", str(out), "--json", "--no-figures"]) == 0
    rep = json.loads(capsys.readouterr().out)
    validate(rep, "bttt-report")
    assert rep["sprt"]["decision"] == "H1" and "sprt" in rep["tables"]
    assert main(sprt(tmp_path / "h0.db", "random", STRONG, "--sprt", "elo0=0,elo1=200", "--bricks", "D4,A1")) == 0
    assert "H0 accepted" in capsys.readouterr().out


def test_undecided_at_max_rounds_then_continued(tmp_path, capsys):
    db = tmp_path / "t.db"
    base = sprt(db, "random", RANDOM2, "--sprt", "elo0=0,elo1=5", "--bricks", "D4,C3", "--openings", "1")
    assert main([*base, "--max-rounds", "2"]) == 0
    out = capsys.readouterr().out
    assert "not decided: the maximum number of rounds was reached" in out
    first = games(db)
    assert len(first) == 2 * 2 * 2
    assert main([*base, "--max-rounds", "3"]) == 0  # continue the same test one more round
    assert "after 3 round(s)" in capsys.readouterr().out
    after = games(db)
    assert len(after) == 12 and {k: after[k] for k in first} == first
    run_sprt(
        SprtRunSpec("random", RANDOM2, SprtSpec.parse("elo0=0,elo1=5"), suite="D4,C3", openings=1, max_rounds=3),
        tmp_path / "clean.db",
        workers=1,
        progress=False,
        log=False,
    )
    assert games(tmp_path / "clean.db") == after  # the same games as one uninterrupted run


def _count(db) -> int:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute("SELECT COUNT(*) FROM games").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow
def test_resume_after_kill_minus_9_mid_test(tmp_path):
    slow = "tests.tournament_agents:slow:delay=0.004"
    args = sprt(tmp_path / "killed.db", "random", slow, "--sprt", "elo0=0,elo1=5", "--bricks", "orbits")
    args += ["--openings", "2", "--max-rounds", "3", "--seed", "2"]
    code = "import sys; from bttt.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, *args], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.time() + 90
    while _count(tmp_path / "killed.db") < 50 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # mid-round 2 (40 games a round)
    proc.wait()
    partial = games(tmp_path / "killed.db")
    assert 40 <= len(partial) < 120, (len(partial), proc.stderr.read().decode()[-2000:])
    assert main(args) == 0
    after = games(tmp_path / "killed.db")
    assert {k: after[k] for k in partial} == partial
    clean = [tmp_path / "clean.db" if a == str(tmp_path / "killed.db") else a for a in args]
    assert main([str(a) for a in clean]) == 0
    assert games(tmp_path / "clean.db") == after  # none lost, none duplicated, the same decisions
    with Store(tmp_path / "killed.db", create=False) as s, Store(tmp_path / "clean.db", create=False) as c:
        assert s.get_meta("sprt")["history"] == c.get_meta("sprt")["history"]


@pytest.mark.parametrize(
    "extra, message",
    [
        (["random", STRONG, "--sprt", "elo0=10,elo1=0"], "elo0 must be less than elo1"),
        (["random", STRONG, "--sprt", "elo0=0,elo1=10,alpha=2"], "alpha must lie strictly between 0 and 1"),
        (["random", STRONG, "--sprt", "elo0=0,elo2=10"], "unknown key 'elo2'"),
        (["random", STRONG, "--sprt", "elo1=10"], "elo0 missing"),
        (["random", STRONG, "minimax:depth=1", "--sprt", "elo0=0,elo1=10"], "give exactly two agent specs"),
        (["random", STRONG, "--sprt", "elo0=0,elo1=10", "--openings", "0"], "--openings must be at least 1"),
        (["random", STRONG, "--sprt", "elo0=0,elo1=10", "--max-rounds", "0"], "--max-rounds must be at least 1"),
        (["random", STRONG, "--max-rounds", "3"], "--max-rounds applies to a sequential test"),
        (["random", STRONG, "--sprt", "elo0=0,elo1=10", "--gauntlet", "random"], "leave out --gauntlet"),
        (["random", "random", "--sprt", "elo0=0,elo1=10"], "are the same configuration"),
    ],
)
def test_bad_parameters_are_refused_before_any_game(tmp_path, capsys, extra, message):
    db = tmp_path / "t.db"
    assert main(sprt(db, *extra, "--bricks", "D4")) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not db.exists()


def test_a_changed_test_or_a_round_robin_database_is_refused(tmp_path, capsys):
    db = tmp_path / "t.db"
    base = ["random", RANDOM2, "--bricks", "D4", "--openings", "1", "--max-rounds", "1"]
    assert main(sprt(db, *base, "--sprt", "elo0=0,elo1=5")) == 0
    before = games(db)
    capsys.readouterr()
    assert main(sprt(db, *base, "--sprt", "elo0=0,elo1=10")) == 2
    assert "another configuration" in capsys.readouterr().err
    assert main(sprt(db, "random", STRONG, "--bricks", "D4", "--sprt", "elo0=0,elo1=5")) == 2
    assert "holds the sequential test" in capsys.readouterr().err
    assert main(["tournament", "minimax:depth=1", "--db", str(db), "--no-progress", "--no-report"]) == 2
    assert "another configuration" in capsys.readouterr().err  # a round robin cannot extend a test
    assert games(db) == before
    rr = tmp_path / "rr.db"
    rr_args = ["tournament", "random", RANDOM2, "--bricks", "D4", "--openings", "1", "--db", str(rr)]
    assert main([*rr_args, "--no-progress", "--no-report", "--workers", "1"]) == 0
    assert main(sprt(rr, "random", RANDOM2, "--bricks", "D4", "--sprt", "elo0=0,elo1=5")) == 2
    assert "not a sequential test" in capsys.readouterr().err
