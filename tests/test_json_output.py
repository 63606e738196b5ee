"""``--json``: one JSON document on stdout, valid against its schema (bttt/schemas/), with what the text says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import small_tournament

from bttt.cli import main

SCHEMAS = Path(__file__).resolve().parents[1] / "bttt" / "schemas"


def validate(document: dict, name: str) -> None:
    import jsonschema
    from referencing import Registry, Resource

    docs = {p.name: json.loads(p.read_text()) for p in SCHEMAS.glob("*.schema.json")}
    registry = Registry().with_resources((n, Resource.from_contents(d)) for n, d in docs.items())
    schema = docs[f"{name}.schema.json"]
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, registry=registry).validate(document)


def _stdout_json(capsys) -> dict:
    out = capsys.readouterr().out
    return json.loads(out)  # the whole of stdout is the one document


def test_schemas_reject_what_they_should():
    import jsonschema

    with pytest.raises(jsonschema.ValidationError):
        validate({"format": "bttt-agents", "version": 1, "agents": [], "examples": []}, "bttt-agents")
    with pytest.raises(jsonschema.ValidationError):
        validate({"format": "bttt-report"}, "bttt-report")


def test_agents_json(capsys):
    from agents.registry import available_agents

    assert main(["agents", "--json"]) == 0
    doc = _stdout_json(capsys)
    validate(doc, "bttt-agents")
    assert [a["name"] for a in doc["agents"]] == [e.name for e in available_agents()]
    mcts = next(a for a in doc["agents"] if a["name"] == "mcts")
    assert "iterations" in {p["name"] for p in mcts["params"]} and "paper" in mcts["presets"]


def test_tournament_and_report_json(tmp_path, capsys):
    from tournament.report import build_report

    db, out = tmp_path / "t.db", tmp_path / "rep"
    small_tournament.build(db)
    capsys.readouterr()
    args = ["tournament", "--db", str(db), "--out", str(out), "--no-progress", "--no-figures", "--json"]
    assert main(args) == 0
    doc = _stdout_json(capsys)
    validate(doc, "bttt-tournament-run")
    assert (doc["played"], doc["already_done"]) == (0, 18)
    report = build_report(db)
    assert doc["report"]["games"] == 18 and "games.html" in doc["report"]["files"]
    standings = doc["report"]["tables"]["standings"]
    assert standings["columns"] == report.tables["standings"].columns
    assert [r[1] for r in standings["rows"]] == [r[1] for r in report.tables["standings"].rows]
    assert main(["report", "--db", str(db), "--out", str(out), "--json", "--no-figures"]) == 0
    doc = _stdout_json(capsys)
    validate(doc, "bttt-report")
    trained = next(v for k, v in doc["heatmaps"].items() if "trained" in k)
    assert trained["training_cells"] == ["D4"] and trained["all"][3][3] is not None and trained["all"][0][1] is None
    assert main(["tournament", "--db", str(db), "--no-report", "--no-progress", "--json"]) == 0
    doc = _stdout_json(capsys)
    validate(doc, "bttt-tournament-run")
    assert doc["report"] is None


@pytest.mark.slow
def test_train_json_and_curves(tmp_path, capsys):
    from test_az_train import TINY_RUN

    run = tmp_path / "run"
    assert main(["train", "--out", str(run), "--iterations", "2", *TINY_RUN, "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    validate(doc, "bttt-train-summary")
    assert "training on bricks" in captured.err  # the text lines go to stderr
    assert doc["iteration"] == 2 and doc["curves"] == str(run / "curves.png")
    assert doc["last_metrics"]["iteration"] == 2 and doc["last_metrics"]["policy_entropy"] > 0
    assert {r["group"] for r in doc["last_evaluation"]} == {"train", "novel"}
    png = (run / "curves.png").read_bytes()
    assert png.startswith(b"\x89PNG") and b"tEXtSoftware\x00bttt" in png
    # the run on a report page: alone (no tournament database), then beside a tournament's report
    rep = tmp_path / "rep"
    assert main(["report", "--train-run", str(run), "--out", str(rep), "--db", str(tmp_path / "none.db")]) == 2
    capsys.readouterr()
    import os

    cwd = os.getcwd()
    os.chdir(tmp_path)  # where the default database does not exist
    try:
        assert main(["report", "--train-run", str(run), "--out", str(rep), "--json"]) == 0
    finally:
        os.chdir(cwd)
    doc = json.loads(capsys.readouterr().out)
    assert doc["files"] == ["training.html", "training.md", "training_curves.png"]
    assert (rep / "training_curves.png").exists() and "<img src='training_curves.png'" in (
        rep / "training.html"
    ).read_text()
    assert main(["report", "--train-run", str(tmp_path), "--out", str(rep)]) == 2
    assert "no metrics.csv" in capsys.readouterr().err
