"""Every command, tried as a hostile user would, through the real command line in subprocesses.

Each case of the classes in docs/reliability.md ends with exit code 2, one clear line on stderr, no traceback,
and nothing written or deleted (``tree_state`` before and after), unless the case says otherwise.
"""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from hostile import REPO, assert_refused, bttt, sql, tree_state, write_tiny_checkpoint, write_tiny_dataset

TINY_TRAIN = [
    "--net",
    "tiny",
    "--games-per-iteration",
    "4",
    "--parallel-games",
    "4",
    "--simulations",
    "4",
    "--train-steps",
    "1",
    "--min-replay",
    "1",
    "--batch-size",
    "8",
    "--eval-every",
    "0",
    "--no-progress",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("inputs")
    write_tiny_checkpoint(d / "net.pt")
    write_tiny_checkpoint(d / "other.pt", seed=2)
    write_tiny_dataset(d / "pos.npz")
    (d / "notes.txt").write_text("a file bttt did not write\n")
    return d


def _tournament_db(path, cwd):
    r = bttt(
        "tournament",
        "random",
        "minimax:depth=1",
        "--bricks",
        "D4",
        "--openings",
        "0",
        "--db",
        path,
        "--no-report",
        "--no-progress",
        "--workers",
        "1",
        cwd=cwd,
    )
    assert r.returncode == 0, r.stderr


# ------------------------------------------------------------------------------------------ 1. silent wrong results
def test_prune_refuses_a_work_folder_of_another_run(inputs, tmp_path):
    args = [
        "prune",
        inputs / "net.pt",
        "--dataset",
        inputs / "pos.npz",
        "--out",
        tmp_path / "p.pt",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--no-latency",
        "--cycles",
        "1",
    ]
    assert bttt(*args, cwd=tmp_path).returncode == 0
    before = tree_state(tmp_path)
    other = bttt("prune", inputs / "other.pt", *args[2:], "--force", cwd=tmp_path)  # another checkpoint
    assert_refused(other, "different run", "--restart")
    assert tree_state(tmp_path) == before
    again = bttt(*args, cwd=tmp_path)  # the same run resumes (and may rewrite its own output)
    assert again.returncode == 0 and "resumed" in again.stdout


def test_selfplay_refuses_chunks_of_another_run(inputs, tmp_path):
    parts = tmp_path / "d.npz.parts"
    parts.mkdir()
    (parts / "manifest.json").write_text(json.dumps({"format": "bttt-run", "inputs": {"seed": 99}}))
    before = tree_state(tmp_path)
    r = bttt(
        "selfplay", inputs / "net.pt", "--out", tmp_path / "d.npz", "--games", "32", "--simulations", "2", cwd=tmp_path
    )
    assert_refused(r, "different run")
    assert tree_state(tmp_path) == before


def test_train_refuses_other_settings_in_a_run_folder(tmp_path):
    assert bttt("train", "--out", tmp_path / "run", "--iterations", "1", *TINY_TRAIN, cwd=tmp_path).returncode == 0
    before = tree_state(tmp_path)
    r = bttt("train", "--out", tmp_path / "run", "--iterations", "1", *TINY_TRAIN, "--bricks", "D3", cwd=tmp_path)
    assert_refused(r, "--restart")
    assert tree_state(tmp_path) == before


# ---------------------------------------------------------------------------------------------------- 3. data loss
def test_overwrite_deletes_only_tournament_databases(inputs, tmp_path):
    text = tmp_path / "notes.db"
    text.write_text("precious\n")
    r = bttt("tournament", "random", "minimax:depth=1", "--db", text, "--overwrite", "--no-report", cwd=tmp_path)
    assert_refused(r, "not a bttt tournament database")
    assert text.read_text() == "precious\n"


def test_selfplay_never_replaces_a_dataset_silently(inputs, tmp_path):
    out = tmp_path / "d.npz"
    out.write_bytes((inputs / "pos.npz").read_bytes())
    args = ["selfplay", inputs / "net.pt", "--out", out, "--games", "32", "--simulations", "2"]
    assert_refused(bttt(*args, cwd=tmp_path), "exists", "--force")
    (tmp_path / "x.npz").write_text("not a dataset")
    assert_refused(bttt(*args[:3], tmp_path / "x.npz", *args[4:], "--force", cwd=tmp_path), "not written by bttt")
    assert (tmp_path / "x.npz").read_text() == "not a dataset"


def test_a_forged_report_marker_removes_nothing_but_report_files(tmp_path):
    db, out = tmp_path / "t.db", tmp_path / "rep"
    _tournament_db(db, tmp_path)
    out.mkdir()
    (out / "sub").mkdir()
    (out / "notes").write_text("mine\n")
    (out / "photo.png").write_bytes(b"\x89PNG not drawn by bttt")
    marker = {"format": "bttt-report", "files": ["sub", "..", "notes", "photo.png", "../t.db", 7]}
    (out / ".bttt-report").write_text(json.dumps(marker))
    r = bttt("report", "--db", db, "--out", out, "--quiet", "--no-figures", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (out / "sub").is_dir() and (out / "notes").read_text() == "mine\n" and db.is_file()
    assert (out / "photo.png").read_bytes() == b"\x89PNG not drawn by bttt"


def test_import_keras_writes_nothing_beside_its_input(tmp_path):
    src = tmp_path / "in" / "model.h5"
    src.parent.mkdir()
    src.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 64)  # an HDF5 signature, not a Keras model
    before = tree_state(src.parent)
    r = bttt("import-keras", src, cwd=tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert tree_state(src.parent) == before and not (tmp_path / "model.pt").exists()
    assert_refused(bttt("import-keras", tmp_path / "missing.h5", cwd=tmp_path), "no Keras file")


def test_solve_replaces_only_its_own_certificate_and_only_with_force(tmp_path):
    cert = tmp_path / "c.json"
    args = ["solve", "4x4k3 b:none m:-", "--moves", "none", "--certificate", cert]
    assert bttt(*args, cwd=tmp_path).returncode == 0
    before = cert.read_bytes()
    assert_refused(bttt(*args, cwd=tmp_path), "exists", "--force")
    assert cert.read_bytes() == before
    assert bttt(*args, "--force", cwd=tmp_path).returncode == 0
    cert.write_text('{"my": "notes"}')
    assert_refused(bttt(*args, "--force", cwd=tmp_path), "not written by bttt")
    assert cert.read_text() == '{"my": "notes"}'


# ---------------------------------------------------------------------------- 4. output paths checked before work
def _bad_outputs(tmp_path):
    (tmp_path / "file").write_text("x")
    (tmp_path / "folder").mkdir()
    return {"under a file": tmp_path / "file" / "out", "unwritable": "/proc/self/bttt-out", "a folder": None}


@pytest.mark.parametrize("kind", ["under a file", "unwritable", "a folder"])
@pytest.mark.parametrize(
    "command",
    [
        "tournament --out",
        "report --out",
        "train --out",
        "train --export-dataset",
        "selfplay --out",
        "prune --out",
        "prune --report",
        "import-keras --out",
        "solve --certificate",
        "solve --store",
        "solve-openings --out",
        "solve-openings --store",
    ],
)
def test_bad_output_paths_are_refused_before_any_work(command, kind, inputs, tmp_path):
    name, flag = command.split()
    paths = _bad_outputs(tmp_path)
    wants_folder = (
        flag == "--out" and name in ("tournament", "report", "train")
    ) or command == "solve-openings --store"
    bad = paths[kind] if kind != "a folder" else (tmp_path / "file" if wants_folder else tmp_path / "folder")
    db = tmp_path / "t.db"
    if name == "report":
        _tournament_db(db, tmp_path)
    base = {
        "tournament": [
            "tournament",
            "random",
            "minimax:depth=1",
            "--bricks",
            "D4",
            "--openings",
            "0",
            "--db",
            db,
            "--no-progress",
            "--workers",
            "1",
        ],
        "report": ["report", "--db", db, "--quiet"],
        "train": ["train", "--out", tmp_path / "run", "--iterations", "1", *TINY_TRAIN],
        "selfplay": ["selfplay", inputs / "net.pt", "--out", tmp_path / "d.npz", "--games", "32"],
        "prune": ["prune", inputs / "net.pt", "--dataset", inputs / "pos.npz", "--epochs", "1", "--no-latency"],
        "import-keras": ["import-keras", inputs / "notes.txt"],
        "solve": ["solve", "4x4k3 b:none m:-", "--moves", "none"],
        "solve-openings": ["solve", "--openings", "--rows", "4", "--cols", "4", "--win", "3"],
    }[name]
    args = [str(a) for a in base]
    if flag in args:
        args[args.index(flag) + 1] = str(bad)
    else:
        args += [flag, str(bad)]
    before = tree_state(tmp_path)
    r = bttt(*args, cwd=tmp_path)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr
    if name != "import-keras":  # import-keras checks its input first; either way nothing is written
        assert flag in r.stderr or "folder" in r.stderr, r.stderr
    assert tree_state(tmp_path) == before


# ---------------------------------------------------------------------------------------------- 5. code from data
def test_a_database_cannot_choose_what_code_runs(tmp_path):
    db = tmp_path / "t.db"
    _tournament_db(db, tmp_path)
    marker = tmp_path / "PWNED"
    sql(
        db,
        "INSERT INTO agents (name, spec, training_cells, digest, added) VALUES (?, ?, NULL, NULL, 1e12)",
        (f"os:system:command=touch {marker}", f"os:system:command=touch {marker}"),
    )
    r = bttt("tournament", "--db", db, "--no-report", "--no-progress", "--workers", "1", cwd=tmp_path)
    assert_refused(r, "--allow-plugin os")
    assert not marker.exists()


class _Boom:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_datasets_and_work_folders_are_never_unpickled(inputs, tmp_path):
    bad = tmp_path / "evil.npz"
    np.savez(bad, planes=np.array([_Boom()], dtype=object))
    r = bttt("prune", inputs / "net.pt", "--dataset", bad, "--out", tmp_path / "p.pt", cwd=tmp_path)
    assert_refused(r, "Python objects")
    assert "allow_pickle" not in r.stderr and "unpickled!" not in r.stdout
    work = tmp_path / "p2.pt.run"
    args = [
        "prune",
        inputs / "net.pt",
        "--dataset",
        inputs / "pos.npz",
        "--out",
        tmp_path / "p2.pt",
        "--epochs",
        "1",
        "--batch-size",
        "32",
        "--no-latency",
        "--cycles",
        "1",
    ]
    assert bttt(*args, cwd=tmp_path).returncode == 0
    (work / "state.pt").write_bytes(pickle.dumps(_Boom()))  # a malicious pickle where a cycle's state was
    r = bttt(*args, cwd=tmp_path)
    assert r.returncode == 2 and "unpickled!" not in r.stdout and "Traceback" not in r.stderr


# ------------------------------------------------------------- 6. refused commands write nothing; foreign databases
def test_a_refused_tournament_writes_nothing(tmp_path):
    db = tmp_path / "t.db"
    assert_refused(bttt("tournament", "random", "--db", db, "--no-report", cwd=tmp_path), "at least two agents")
    assert not db.exists()
    r = bttt(
        "tournament",
        "random",
        "minimax:depth=1",
        "--bricks",
        "D4",
        "--openings",
        "0",
        "--db",
        db,
        "--no-report",
        "--no-progress",
        "--workers",
        "1",
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr  # the corrected command is accepted


def test_foreign_and_newer_databases_are_refused_untouched(tmp_path):
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE games (id INTEGER, score REAL)")
        conn.execute("INSERT INTO games VALUES (1, 0.5)")
    before = foreign.read_bytes()
    for command in (["tournament", "random", "minimax:depth=1", "--no-report"], ["report", "--quiet"]):
        assert_refused(bttt(*command, "--db", foreign, cwd=tmp_path), "not a bttt tournament database")
    assert foreign.read_bytes() == before
    db = tmp_path / "t.db"
    _tournament_db(db, tmp_path)
    config = json.loads(sql(db, "SELECT value FROM meta WHERE key='config'")[0][0])
    sql(db, "UPDATE meta SET value=? WHERE key='config'", (json.dumps(dict(config, schema_version=99)),))
    assert_refused(bttt("report", "--db", db, "--quiet", cwd=tmp_path), "newer bttt")


@pytest.mark.parametrize(
    "damage",
    [
        "UPDATE games SET winner=7 WHERE id=1",
        "UPDATE games SET moves=CAST(x'ff fe' AS TEXT) WHERE id=1",
        "UPDATE games SET move_times='[not json' WHERE id=1",
        "UPDATE meta SET value='{broken' WHERE key='config'",
        "UPDATE games SET moves='Z9,A1' WHERE id=1",
        "UPDATE games SET wall_time=x'01' WHERE id=1",  # a BLOB: found by the fuzz test (int + bytes)
        "UPDATE games SET game_index='first' WHERE id=1",
        "UPDATE runs SET games_played='many' WHERE id=1",  # found by the fuzz test (int + str)
    ],
)
def test_corrupt_rows_are_clear_errors(damage, tmp_path):
    db = tmp_path / "t.db"
    _tournament_db(db, tmp_path)
    sql(db, damage.replace("x'ff fe'", "x'fffe'"))
    before = tree_state(tmp_path)
    assert_refused(bttt("report", "--db", db, "--out", tmp_path / "rep", "--quiet", cwd=tmp_path))
    assert tree_state(tmp_path) == before


# ----------------------------------------------------------------------------------------------------- 7. identity
def test_a_replaced_checkpoint_is_another_agent(inputs, tmp_path):
    net = tmp_path / "net.pt"
    net.write_bytes((inputs / "net.pt").read_bytes())
    spec = f"alphazero:checkpoint={net},simulations=2"
    db = tmp_path / "t.db"
    common = ["--bricks", "D4", "--openings", "0", "--db", db, "--no-progress", "--workers", "1"]
    r = bttt("tournament", "random", spec, *common, "--out", tmp_path / "rep", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    (name,) = [row[0] for row in sql(db, "SELECT name FROM agents") if row[0].startswith("alphazero")]
    assert f"[{name.split('@')[1][:8]}]" in (tmp_path / "rep" / "index.md").read_text()  # the report shows it
    net.write_bytes((inputs / "other.pt").read_bytes())  # `train --resume` rewrote it, or a user replaced it
    before = tree_state(tmp_path)
    # the same spec now names another network: it would join as a new agent, but the old one (whose file is
    # gone) would have to play it -- refused, with the explanation
    r = bttt("tournament", "random", spec, *common, "--no-report", cwd=tmp_path)
    assert_refused(r, "has changed", "start a new --db")
    assert tree_state(tmp_path) == before
    # a tournament whose agents have all played needs none of them rebuilt: its report still builds
    assert bttt("report", "--db", db, "--out", tmp_path / "rep", "--quiet", cwd=tmp_path).returncode == 0


# ------------------------------------------------------------------------------- 8. untrue messages, small crashes
@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["play", "--p1", "random", "--p2", "random", "--bricks", ""], "empty brick"),
        (["play", "--p1", "random", "--p2", "random", "--rows", "8"], "rows=8"),
        (["play", "--p1", "random", "--p2", "random", "--rows", "2"], "rows=2"),
        (["tournament", "random", "minimax:depth=1", "--max-crashes", "-1"], "--max-crashes"),
        (["selfplay", "d4", "--out", "x.npz", "--workers", "0"], "--workers"),
        (["selfplay", "d4", "--out", "x.npz", "--games", "0"], "--games"),
        (["train", "--iterations", "1", "--simulations", "0"], "--simulations"),
        (["prune", "d4", "--dataset", "missing.npz", "--epochs", "0"], "--epochs"),
        (["import-keras", "missing.h5"], "no Keras file"),
        (["demo", "--bricks", "D3,,D4"], "empty item"),
    ],
)
def test_small_mistakes_get_one_clear_line(args, fragment, tmp_path):
    before = tree_state(tmp_path)
    assert_refused(bttt(*args, cwd=tmp_path), fragment)
    assert tree_state(tmp_path) == before


def test_bad_datasets_and_checkpoints(inputs, tmp_path):
    import torch

    from agents.alphazero.checkpoint import load_checkpoint, save_checkpoint
    from agents.alphazero.dataset import load_dataset, save_dataset

    data = load_dataset(inputs / "pos.npz")
    arrays = {k: data[k] for k in ("planes", "masks", "policy", "value", "layout")}
    save_dataset(tmp_path / "nan.npz", {**arrays, "policy": np.full_like(arrays["policy"], np.nan)}, "D4", 7, 7)
    save_dataset(tmp_path / "empty.npz", {k: v[:0] for k, v in arrays.items()}, "D4", 7, 7)
    ck = load_checkpoint(inputs / "net.pt")
    ck.state_dict = {
        k: torch.full_like(v, float("nan")) if v.is_floating_point() else v for k, v in ck.state_dict.items()
    }
    save_checkpoint(tmp_path / "nan.pt", ck)
    for dataset, fragment in (("nan.npz", "not finite"), ("empty.npz", "no positions")):
        r = bttt("prune", inputs / "net.pt", "--dataset", tmp_path / dataset, "--out", tmp_path / "p.pt", cwd=tmp_path)
        assert_refused(r, fragment)
    r = bttt("prune", tmp_path / "nan.pt", "--dataset", inputs / "pos.npz", "--out", tmp_path / "p.pt", cwd=tmp_path)
    assert_refused(r, "not finite")
    r = bttt(
        "selfplay", inputs / "net.pt", "--out", tmp_path / "noext", "--games", "32", "--simulations", "2", cwd=tmp_path
    )
    assert r.returncode == 0 and "noext.npz" in r.stdout and (tmp_path / "noext.npz").exists()


def test_quit_is_no_error_and_a_closed_pipe_is_quiet(tmp_path):
    code = "import sys; from bttt.cli import main; sys.exit(main(sys.argv[1:]))"
    p = subprocess.run(
        [sys.executable, "-c", code, "play", "--p1", "human", "--p2", "random"],
        input="quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert p.returncode == 0 and "abandoned" in p.stdout and not p.stderr.strip()
    shell = f"{sys.executable} -m bttt demo --seed 1 | head -1"
    p = subprocess.run(shell, shell=True, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert p.stdout.startswith("Brick Tic-Tac-Toe") and "Error" not in p.stderr and "Traceback" not in p.stderr


def test_an_argument_that_is_not_utf8_is_refused(tmp_path):
    # found by the fuzz test: `train --out` with a non-UTF-8 name was an internal error when writing JSON
    r = subprocess.run(
        [sys.executable, "-m", "bttt", "train", "--out", b"run\xe9", "--iterations", "1", *TINY_TRAIN],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert_refused(r, "not valid UTF-8")
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("command", [["demo"], ["play", "--p1", "random", "--p2", "random"], ["tournament", "random"]])
def test_a_negative_seed_is_refused(command, tmp_path):
    # found by the fuzz test: `demo --seed -1` was an internal error (numpy takes no negative seed)
    r = bttt(*command, "--seed", "-1", cwd=tmp_path)
    assert r.returncode == 2 and "a seed is 0 or more" in r.stderr and "Traceback" not in r.stderr
    assert not list(tmp_path.iterdir())
