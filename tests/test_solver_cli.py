"""``bttt solve`` end to end: text and JSON output, bad input (exit code 2, one line), certificates and their
checker, Ctrl-C within two seconds with the store kept, and a resume after ``kill -9``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bttt.cli import main
from bttt.solver.checker import CertificateError, read_certificate, verify

ROOT = Path(__file__).resolve().parents[1]
CERTIFICATES = ROOT / "docs" / "solver" / "certificates"


def test_text_output_names_the_value_every_move_and_the_line(capsys) -> None:
    assert main(["solve", "4x4k3 b:none m:-"]) == 0
    out = capsys.readouterr().out
    assert "value: win in 5" in out
    assert "* B2   win in 5" in out and "  A1   win in 11" in out
    assert "principal line: " in out and "nodes: " in out


def test_json_output_is_one_document_with_what_the_text_shows(capsys) -> None:
    assert main(["solve", "4x4k3 b:none m:B2", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["value"] == "loss" and doc["distance"] == 4 and doc["exact"] and doc["complete"]
    assert len(doc["moves"]) == 15 and all(m["exact"] for m in doc["moves"])
    assert set(doc["optimal_moves"]) == {m["move"] for m in doc["moves"] if m["optimal"]}
    assert len(doc["principal_line"]) == 4 and doc["nodes"] >= 0


def test_a_budget_that_runs_out_says_unknown_with_bounds(capsys) -> None:
    assert main(["solve", "7x7k4 b:A1 m:G4,D4", "--nodes", "20000", "--moves", "none", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["value"] == "unknown" and not doc["exact"] and not doc["complete"]
    assert doc["lower"] < doc["upper"] and "no win within" in doc["text"]


def test_an_empty_board_from_brick(capsys) -> None:
    assert main(["solve", "--brick", "B4", "--moves", "none", "--no-pv"]) == 0
    assert "value: win in 9" in capsys.readouterr().out


def test_a_finished_position_gets_its_value_at_once(capsys) -> None:
    assert main(["solve", "4x4k3 b:none m:A1,B1,A2,B2,A3"]) == 0
    assert "value: loss in 0 (the game is over)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["7x7k4 b:D4 m:C3,D9"], "off the board"),
        (["garbage"], "cannot parse position"),
        (["7x7k4 b:D4 m:D4"], "brick"),
        (["7x7k4 b:D4 o:C3,C4,C5 x:D5"], "stone counts cannot arise"),
        (["7x7k4 b:D4 o:C3 x:C3"], "both sides"),
        (["7x7k4 b:D4 o:D4 x:-"], "stands on the brick"),
        (["4x4k3 b:none m:A1,B1,A2,B2,A3,B3"], "already over"),
        (["4x4k3 b:none o:A1,A2,A3,D4 x:B1,B2,B3"], "completed line"),
        (["4x4k3 b:none o:A1,A2,A3,C4 x:B1,B2,D3,D4"], "did not move last"),
        (["--brick", "D4", "7x7k4 b:D4 m:-"], "not both"),
        ([], "give a POSITION"),
        (["--brick", "D4", "--time-limit", "0"], "positive"),
        (["--brick", "D4", "--nodes", "-3"], "positive"),
        (["--brick", "D4", "--out", "x.json"], "go with --openings"),
        (["--openings", "--nodes", "10"], "not --nodes"),
        (["4x4k3 b:none m:A1", "--memory", "1000000000"], "this machine has"),  # was a MemoryError (fuzz)
        (["--verify", "nothing.json"], "no certificate file"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(argv, message, capsys) -> None:
    assert main(["solve", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and message in err and "Traceback" not in err


def test_certificates_are_written_and_verified(tmp_path, capsys) -> None:
    for position in ("4x4k3 b:none m:-", "3x3k3 b:none m:-", "7x7k4 b:D4 m:A1,D3,A7"):
        path = tmp_path / "cert.json"
        assert main(["solve", position, "--moves", "none", "--certificate", str(path), "--force"]) == 0
        assert main(["solve", "--verify", str(path)]) == 0
        assert "verified:" in capsys.readouterr().out
    doc = read_certificate(path)
    key, move = next(iter(doc["strategies"]["2"].items()))
    doc["strategies"]["2"][key] = "A1" if move != "A1" else "A2"  # a wrong move must be caught
    with pytest.raises(CertificateError):
        verify(doc)


def test_a_certificate_is_never_written_over_a_file_bttt_did_not_make(tmp_path) -> None:
    mine = tmp_path / "notes.json"
    mine.write_text('{"my": "notes"}')
    assert main(["solve", "4x4k3 b:none m:-", "--certificate", str(mine)]) == 2
    assert mine.read_text() == '{"my": "notes"}'


def test_a_tampered_certificate_fails(tmp_path) -> None:
    doc = read_certificate(CERTIFICATES / "certificate-7x7k4-B4.json")
    verify(doc)
    doc["claim"]["within"] = 7
    with pytest.raises(CertificateError, match="more than the 7 claimed"):
        verify(doc)
    doc["claim"]["within"] = 9
    doc["strategies"]["1"] = {}
    with pytest.raises(CertificateError, match="no move for the position"):
        verify(doc)


def test_the_shipped_opening_certificates_verify() -> None:
    for path in (CERTIFICATES / "certificate-7x7k4-C4.json", CERTIFICATES / "certificate-7x7k4-D4.json"):
        result = verify(read_certificate(path))
        assert "player 1 (to move) wins within" in result.claim


def _spawn(argv: list[str]) -> subprocess.Popen:
    # SIGINT as a terminal delivers it: pytest-xdist's workers ignore SIGINT, and a child inherits an ignored
    # signal (Python then installs no KeyboardInterrupt handler), so reset it to the default in the child.
    return subprocess.Popen(
        [sys.executable, "-m", "bttt", "solve", *argv],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def _wait_for_rows(store: Path, proc: subprocess.Popen, bricks: str, limit: float = 90.0) -> None:
    from bttt import Rules
    from bttt.solver.store import SolutionStore

    start = time.time()
    while time.time() - start < limit:
        assert proc.poll() is None, proc.communicate()
        if store.exists():
            try:
                with SolutionStore(store, Rules(bricks=bricks), create=False) as s:
                    if s.count() > 0:
                        return
            except Exception:  # noqa: BLE001 - the file may be half created; try again
                pass
        time.sleep(0.3)
    pytest.fail("the solve saved nothing to its store")


@pytest.mark.slow
def test_ctrl_c_stops_within_two_seconds_and_keeps_the_store(tmp_path) -> None:
    store = tmp_path / "a1.sqlite"
    proc = _spawn(["7x7k4 b:A1 m:G4,D4", "--store", str(store), "--save-every", "0.5", "--memory", "64"])
    _wait_for_rows(store, proc, "A1")
    sent = time.time()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    took = time.time() - sent
    assert proc.returncode == 130 and "interrupted" in err
    assert took < 2.0, f"Ctrl-C took {took:.2f} s"


@pytest.mark.slow
def test_a_killed_solve_resumes_from_its_store(tmp_path, capsys) -> None:
    position = "7x7k4 b:D4 m:D7,B3"
    store = tmp_path / "resume.sqlite"
    assert main(["solve", position, "--moves", "none", "--json", "--no-pv", "--memory", "64"]) == 0
    fresh = json.loads(capsys.readouterr().out)
    assert fresh["exact"] and fresh["nodes"] > 1_000_000
    proc = _spawn(
        [position, "--moves", "none", "--no-pv", "--store", str(store), "--save-every", "0.3", "--memory", "64"]
    )
    _wait_for_rows(store, proc, "D4")
    time.sleep(1.5)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert (
        main(["solve", position, "--moves", "none", "--json", "--no-pv", "--store", str(store), "--memory", "64"]) == 0
    )
    resumed = json.loads(capsys.readouterr().out)
    assert resumed["store"]["loaded"] > 0
    assert resumed["score"] == fresh["score"]
    assert resumed["nodes"] < fresh["nodes"]
