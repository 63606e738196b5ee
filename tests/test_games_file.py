"""Game files: export and import round trips in every format, strict reading, and ``bttt show``."""

from __future__ import annotations

import json

import pytest
import small_tournament

from bttt.cli import main
from tournament.game_import import import_games
from tournament.game_query import GameFilter, export_games, load_tournament, select
from tournament.gamefile import FORMATS, GameFileError, check_record, dumps, read_games, records
from tournament.pgn import parse_pgn
from tournament.store import Store


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    return small_tournament.build(tmp_path_factory.mktemp("games") / "t.db")


def _everything(path):
    with Store(path, create=False) as s:
        return s.config(), s.agents(), s.digests(), s.openings(), s.games()


def test_the_tournament_has_openings_and_faults(db):
    t = load_tournament(db)
    assert len(t.games) == 18
    assert all(g.opening and g.opening_plies == 2 for g in t.games)
    assert {g.termination for g in t.games} >= {"exception"}
    assert any(cells for _, _, cells, _ in t.agents)


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_keeps_every_field(db, tmp_path, fmt):
    out = tmp_path / f"g.{fmt}"
    assert export_games(db, out, fmt) == 18
    summary = import_games(out, tmp_path / "copy.db")
    assert (summary.created, summary.added, summary.skipped) == (True, 18, 0)
    config, agents, digests, openings, games = _everything(db)
    config2, agents2, digests2, openings2, games2 = _everything(tmp_path / "copy.db")
    assert games2 == games  # every field, row ids included
    assert sorted(agents2) == sorted(agents) and digests2 == digests  # agents join in order of first appearance
    for key in ("rows", "cols", "win_length", "seed", "games_per_colour", "move_time_limit", "train", "openings"):
        assert config2[key] == config[key], key
    assert sorted(config2["suite"]) == sorted(config["suite"])
    assert openings2["openings"].keys() == openings["openings"].keys()
    # the file written back from the copy is the same file
    export_games(tmp_path / "copy.db", tmp_path / f"back.{fmt}", fmt)
    assert (tmp_path / f"back.{fmt}").read_text() == out.read_text()
    # importing again adds nothing; a resumed tournament on the copy plays nothing
    assert import_games(out, tmp_path / "copy.db").added == 0
    assert main(["tournament", "--db", str(tmp_path / "copy.db"), "--no-report", "--no-progress"]) == 0


def test_filters(db):
    t = load_tournament(db)
    trained = [g for g in t.games if "trained" in g.p1 + g.p2]
    assert select(t, GameFilter(agent="trained")) == trained
    as_o = select(t, GameFilter(agent="trained", colour="O"))
    assert as_o and all("trained" in g.p1 for g in as_o)
    assert all(g.layout == "E5" for g in select(t, GameFilter(cell="E5")))
    losses = select(t, GameFilter(agent="raiser", result="loss"))
    assert losses and all(g.winner != (1 if "raiser" in g.p1 else 2) for g in losses)
    with pytest.raises(Exception, match=r"matches several agents|not an agent"):
        select(t, GameFilter(agent="r"))
    with pytest.raises(Exception, match="give --agent too"):
        select(t, GameFilter(colour="X"))


def _good_record(db):
    t = load_tournament(db)
    return records([g for g in t.games if g.termination == "win"][:1], t.agents, t.config)[0]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"moves": None}, "moves is missing"),
        ({"extra": 1}, "unknown fields"),
        ({"seed": 1}, "seed does not follow"),
        ({"winner": 0, "result": "1/2-1/2"}, "do not end in the recorded"),
        ({"result": "*"}, "does not match winner"),
        ({"plies": 3}, "plies 3 for"),
        ({"rules": "9x9k4"}, "rules"),
        ({"layout": "Z9"}, "off the board|malformed"),
        ({"opening": "D4:A1,A2"}, "opening"),
        ({"move_times": [-1.0]}, "non-negative"),
        ({"index": 5}, "outside the 1 games"),
    ],
)
def test_bad_records_are_refused(db, change, message):
    rec = dict(_good_record(db), **change)
    if change.get("moves", "") is None:
        rec["moves"] = None
    with pytest.raises(ValueError, match=message):
        check_record(rec)


def test_a_replay_that_continues_after_the_win_is_refused(db):
    rec = _good_record(db)
    taken = set(rec["moves"]) | {rec["layout"]}
    free = next(f"{r}{c}" for r in "ABCDEFG" for c in range(1, 8) if f"{r}{c}" not in taken)
    bad = dict(rec, moves=[*rec["moves"], free], plies=rec["plies"] + 1, move_times=[*rec["move_times"], 0.1])
    with pytest.raises(ValueError, match="already over"):
        check_record(bad)


def test_bad_files_are_one_line_errors(db, tmp_path, capsys):
    good = dumps([_good_record(db)], "jsonl")
    cases = {
        "a.jsonl": "not json\n",
        "b.jsonl": good + good,  # the same game twice
        "c.jsonl": '{"__class__": "os.system", "args": ["echo pwned"]}\n',
        "d.jsonl": good.replace('"seed": ', '"seed": NaN, "x": '),
        "e.csv": "id,p1\n1,2\n",
        "f.pgn": '[Event "bttt tournament"]\n[Rules "7x7k4"]\n\n1. D4\n',
        "g.pgn": "1. D4 D5 1-0\n",
        "h.csv": "",
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(GameFileError):
            read_games(tmp_path / name)
        assert main(["import", str(tmp_path / name), "--db", str(tmp_path / "x.db")]) == 2
        err = capsys.readouterr().err
        assert err.startswith("bttt import: error: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "x.db").exists()  # nothing was written for a refused file
    (tmp_path / "bin.pgn").write_bytes(b"\xff\xfe\x00")
    assert main(["import", str(tmp_path / "bin.pgn"), "--db", str(tmp_path / "x.db")]) == 2


def test_pgn_text(db):
    t = load_tournament(db)
    faulted = next(g for g in t.games if g.termination == "exception")
    text = dumps(records([faulted], t.agents, t.config), "pgn")
    assert '[Termination "exception"]' in text and "fault}" in text and '[FaultDetail "RuntimeError' in text
    assert text.count("[%emt") == len(faulted.move_times)
    [(line, rec)] = list(parse_pgn(text))
    assert line == 1 and rec["moves"] == faulted.moves.split(",") and rec["move_times"] == faulted.move_times
    quoted = text.replace('[FaultDetail "', '[FaultDetail "say \\"hi\\"\\n\\\\ ')
    [(_, rec)] = list(parse_pgn(quoted))
    assert rec["fault_detail"].startswith('say "hi"\n\\ ')


def test_import_into_another_tournament_is_refused(db, tmp_path):
    export_games(db, tmp_path / "g.jsonl", "jsonl")
    other = tmp_path / "other.jsonl"
    lines = [json.loads(x) for x in (tmp_path / "g.jsonl").read_text().splitlines()]
    lines[0]["games_per_colour"] = 3
    other.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with pytest.raises(GameFileError, match="different tournaments"):
        import_games(other, tmp_path / "n.db")
    (tmp_path / "foreign.db").write_text("not a database")
    assert main(["import", str(tmp_path / "g.jsonl"), "--db", str(tmp_path / "foreign.db")]) == 2


def test_export_refuses_to_overwrite(db, tmp_path, capsys):
    out = tmp_path / "mine.csv"
    out.write_text("precious")
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(out)]) == 2
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(out), "--force"]) == 2
    assert out.read_text() == "precious"
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["export", "--db", str(db), "--format", "csv", "--out", str(tmp_path / "a.csv"), "--force"]) == 0
    assert main(["export", "--db", str(db), "--format", "pgn", "--out", str(tmp_path / "b.pgn"), "--cell", "E5"]) == 0
    assert "wrote 6 games" in capsys.readouterr().out


def test_show(db, capsys):
    t = load_tournament(db)
    won = next(g for g in t.games if g.termination == "win")
    assert main(["show", "--db", str(db), str(won.id)]) == 0
    out = capsys.readouterr().out
    assert f"Game {won.id} of" in out and "(opening)" in out and "lower case on the board" in out
    boards = [b for b in out.split("Ply ")]
    lower = [sum(line.count(c) for line in b.splitlines() if "|" in line for c in "ox") for b in boards]
    assert lower[-1] == 4 and not any(lower[:-1])  # the winning line, in lower case, on the last board only
    assert out.count("Ply ") == won.plies
    assert main(["show", "--db", str(db), str(won.id), "--ply", "0"]) == 0
    assert "Start position" in capsys.readouterr().out
    assert main(["show", "--db", str(db), "--agent", "raiser", "--result", "loss"]) == 0
    listing = capsys.readouterr().out
    assert "loss as" in listing and "exception" in listing
    for bad in (["999"], [str(won.id), "--ply", "99"], ["--agent", "nobody"], ["--colour", "X"], ["1", "--cell", "D4"]):
        assert main(["show", "--db", str(db), *bad]) == 2
        assert capsys.readouterr().err.count("\n") == 1
