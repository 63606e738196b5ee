"""Fuzz test of every command: random argument lists, and damaged databases, checkpoints, datasets, game files,
certificates and solver stores, must never end in an internal error.

Every run must end with exit code 0 or 2 (a usage error or a refusal), never exit code 1 with "internal error",
never a traceback, never an exception escaping bttt; the files bttt did not write (``fuzz_cli.FOREIGN``) must be
unchanged, and nothing may appear in the repository. Argument lists start from a small working command line of
each command, with tokens dropped and options of the command's own parser added with hostile values (numbers out
of range, NaN, empty strings, non-UTF-8, paths to folders, to foreign files, under a file, to missing files).

CI runs a few examples per case (``BTTT_FUZZ_EXAMPLES``, default 6, derandomized so CI is repeatable) with a
per-run budget (``BTTT_FUZZ_BUDGET`` seconds, default 3). The larger run of docs/reliability.md::

    BTTT_FUZZ_EXAMPLES=200 BTTT_FUZZ_RANDOM=1 BTTT_FUZZ_REPORT=fuzz.jsonl .venv/bin/python -m pytest -q \\
        tests/test_fuzz_cli.py -n 2

``BTTT_FUZZ_REPORT`` appends one JSON line per case: examples run, exit codes, runs stopped by the budget, and
the internal errors found (all of them, not only the first: the test fails at its end if there is any).
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from fuzz_cli import FOREIGN, digests, fresh_copy, make_inputs, run_bttt
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("BTTT_FUZZ_EXAMPLES", "6"))
BUDGET = float(os.environ.get("BTTT_FUZZ_BUDGET", "3"))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,  # each run has its own budget (BUDGET); hypothesis's deadline would fail slow refusals
    derandomize=not os.environ.get("BTTT_FUZZ_RANDOM"),
    database=None,
    suppress_health_check=list(HealthCheck),
)

TINY_TRAIN = ["--net", "tiny", "--iterations", "1", "--games-per-iteration", "2", "--parallel-games", "2"]
TINY_TRAIN += ["--simulations", "2", "--train-steps", "1", "--min-replay", "1", "--batch-size", "8"]
TINY_TRAIN += ["--eval-every", "0", "--no-progress"]
TINY_PRUNE = ["--epochs", "1", "--batch-size", "16", "--no-latency", "--cycles", "1", "--no-progress"]
SMALL_TOURNAMENT = ["--bricks", "D4", "--openings", "0", "--workers", "1", "--no-figures", "--no-progress"]

#: A small command line of each command that works on the inputs of fuzz_cli.make_inputs.
BASE: dict[str, list[str]] = {
    "analyse": ["--db", "good.db", "--workers", "1", "--nodes", "300"],
    "demo": [],
    "play": ["--p1", "random", "--p2", "minimax:depth=1"],
    "agents": [],
    "tournament": ["random", "minimax:depth=1", "--db", "t.db", *SMALL_TOURNAMENT],
    "report": ["--db", "good.db", "--out", "rep", "--no-figures", "--quiet"],
    "show": ["--db", "good.db", "1"],
    "export": ["--db", "good.db", "--format", "csv", "--out", "g.csv"],
    "import": ["games.jsonl", "--db", "imp.db"],
    "train": ["--out", "run", *TINY_TRAIN],
    "selfplay": ["good.pt", "--out", "sp.npz", "--games", "2", "--workers", "1", "--simulations", "2"],
    "import-keras": ["foreign.txt", "--out", "k.pt"],
    "prune": ["good.pt", "--dataset", "good.npz", "--out", "p.pt", *TINY_PRUNE],
    "solve": ["4x4k3 b:none m:A1"],
}

PATHS = [
    *("good.db", "good.pt", "good.npz", "games.jsonl", "cert.json", "store.sqlite", *FOREIGN, "folder"),
    *("missing.db", "missing/x.pt", "foreign.txt/x", "folder/", "new", "new.npz", "new.pt", "new.db", ".", ".."),
]
NUMBERS = ["0", "1", "2", "-1", "-7", "3", "49", "1000000000", "99999999999999999999", "1.5", "-0.0", "nan", "inf"]
NUMBERS += ["-inf", "1e-9", "1e400", "0x10", "1_000", " 2"]
WORDS = ["D4", "A1", "G7", "H8", "Z0", "D4+E5", "D4,D4", "D4+D4", "none", "random", "all", "orbits", "", " "]
WORDS += ["true", "false", "maybe", "auto", "paper", "tiny", "small", "cpu", "cuda", "ray", "local", "-", "--"]
WORDS += ["7x7k4 b:D4 m:C3", "4x4k3 b:none m:-", "3x3k3 b:none m:A1,A1", "9x9k4 b:none m:-", "7x7k4 b:D4 o:D4"]
WORDS += ["\udcff", "caf\u00e9", "A1\udce9", "%s", "{}", "'", "\\", "\n"]
SPECS = ["random", "human", "heuristic", "minimax:depth=1", "minimax:depth=-1", "minimax:preset=nope"]
SPECS += ["mcts:iterations=1", "mcts:iterations=0", "mcts:c=nan", "alphazero:checkpoint=good.pt,simulations=2"]
SPECS += ["alphazero:checkpoint=foreign.txt", "alphazero:checkpoint=good.npz", "minimax:depth=1,depth=2", "x:"]
SPECS += ["nosuchpackage.mod:factory", "random:seed"]
# random text never holds ':' (a typed 'module:factory' spec runs that code, as the user asked) nor NUL (no argv can)
TEXT = st.text(st.characters(exclude_characters=":\x00", exclude_categories=("Cs",)), max_size=10)
VALUES = st.one_of(st.sampled_from(PATHS), st.sampled_from(NUMBERS), st.sampled_from(WORDS), st.sampled_from(SPECS))
VALUES = st.one_of(VALUES, TEXT)


@dataclass(frozen=True)
class Option:
    """One option of a command, read from its ``--help`` (tests use only the ``bttt.cli.main`` entry point)."""

    names: tuple[str, ...]
    takes: str  # "" (a flag), "1", "?" or "+"
    choices: tuple[str, ...] = ()


def _options(command: str) -> list[Option]:
    r = run_bttt([command, "--help"], REPO, budget=60)
    assert r.code == 0, r.stderr
    out = []
    text = r.stdout.split("options:", 1)[-1]
    for line in text.splitlines():
        m = re.match(r"^  (-\S.*?)(?:  |$)", line)
        if not m:
            continue
        names, takes, choices = [], "", ()
        for item in m.group(1).split(", "):
            name, _, meta = item.partition(" ")
            if not name.startswith("-") or name in ("-h", "--help"):
                continue
            names.append(name)
            if meta:
                takes = "?" if meta.startswith("[") else "+" if "..." in meta else "1"
                if meta.startswith("{"):
                    choices = tuple(meta.strip("{}").split(","))
        if names:
            out.append(Option(tuple(names), takes, choices))
    return out


OPTIONS: dict[str, list[Option]] = {}


@st.composite
def argument_lists(draw, command: str) -> list[str]:
    """The command's small working line with some tokens dropped, and options of its parser added."""
    base = BASE[command]
    dropped = draw(st.sets(st.integers(0, max(len(base) - 1, 0)), max_size=2)) if base else set()
    kept = [tok for i, tok in enumerate(base) if i not in dropped]
    options = OPTIONS.setdefault(command, _options(command))
    extra: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        if not options or draw(st.integers(0, 5)) == 0:
            extra.append(draw(VALUES))  # a stray positional
            continue
        option = draw(st.sampled_from(options))
        extra.append(draw(st.sampled_from(option.names)))
        count = {"": 0, "1": 1, "?": draw(st.integers(0, 1)), "+": draw(st.integers(1, 2))}[option.takes]
        for _ in range(count):
            if option.choices and draw(st.booleans()):
                extra.append(draw(st.sampled_from(option.choices)))
            else:
                extra.append(draw(VALUES))
    at = draw(st.integers(0, len(kept)))
    return [command, *kept[:at], *extra, *kept[at:]]


# ---------------------------------------------------------------------------------------------- damaged files
def _bytes_damage(good: bytes):
    n = len(good)
    truncated = st.integers(0, max(n - 1, 0)).map(lambda k: good[:k])
    spliced = st.tuples(st.integers(0, n), st.integers(0, n), st.binary(max_size=64)).map(
        lambda t: good[: min(t[0], t[1])] + t[2] + good[max(t[0], t[1]) :]
    )
    flipped = st.lists(st.tuples(st.integers(0, max(n - 1, 0)), st.integers(0, 255)), min_size=1, max_size=8).map(
        lambda edits: _flip(good, edits)
    )
    return st.one_of(truncated, spliced, flipped, st.binary(max_size=512))


def _flip(good: bytes, edits) -> bytes:
    data = bytearray(good)
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    return bytes(data)


ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(["{}", "[]", "null", '{"a": [1, {"b": null}]}', "7", "-1", "D4", "Z9", "\udcff", "1e999"]),
)
SQL_VALUES = st.one_of(ODD.filter(lambda v: not isinstance(v, str) or "\udcff" not in v), st.binary(max_size=16))


def _sql_damage(good: bytes, folder: Path):
    """A database or store with one row changed, deleted, a table dropped or the user_version changed."""

    @st.composite
    def damaged(draw) -> bytes:
        path = folder / f"sql-{os.getpid()}.tmp"
        path.write_bytes(good)
        conn = sqlite3.connect(path)
        try:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            table = draw(st.sampled_from(tables))
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info('{table}')")]
            count = conn.execute(f"SELECT count(*) FROM '{table}'").fetchone()[0]
            kind = draw(st.sampled_from(["update", "update", "update", "delete", "drop", "version", "insert"]))
            with conn:
                if kind == "update" and count:
                    column = draw(st.sampled_from(columns))
                    offset = draw(st.integers(0, count - 1))
                    value = draw(SQL_VALUES)
                    conn.execute(
                        f"UPDATE '{table}' SET \"{column}\" = ? WHERE rowid = "
                        f"(SELECT rowid FROM '{table}' LIMIT 1 OFFSET {offset})",
                        (value,),
                    )
                elif kind == "delete" and count:
                    conn.execute(f"DELETE FROM '{table}' WHERE rowid = (SELECT rowid FROM '{table}' LIMIT 1)")
                elif kind == "drop":
                    conn.execute(f"DROP TABLE '{table}'")
                elif kind == "version":
                    conn.execute(f"PRAGMA user_version = {draw(st.integers(-5, 2**31 - 1))}")
                elif kind == "insert":
                    values = [draw(SQL_VALUES) for _ in columns]
                    conn.execute(f"INSERT INTO '{table}' VALUES ({','.join('?' * len(columns))})", values)
        except sqlite3.Error:
            pass  # a constraint refused the change: the file stays as it was
        finally:
            conn.close()
        data = path.read_bytes()
        path.unlink()
        return data

    return damaged()


def _checkpoint_damage(good: Path, folder: Path):
    """A checkpoint re-saved with one field changed or removed, or one tensor replaced."""
    import torch

    @st.composite
    def damaged(draw) -> bytes:
        payload = torch.load(good, weights_only=True)
        keys = sorted(payload)
        key = draw(st.sampled_from(keys))
        kind = draw(st.sampled_from(["delete", "value", "tensor", "net_config"]))
        if kind == "delete":
            del payload[key]
        elif kind == "value":
            payload[key] = draw(ODD.filter(lambda v: not isinstance(v, str) or "\udcff" not in v))
        elif kind == "tensor":
            names = sorted(payload["state_dict"])
            name = draw(st.sampled_from(names))
            shape = draw(st.lists(st.integers(0, 4), max_size=3))
            dtype = draw(st.sampled_from([torch.float32, torch.float64, torch.int64, torch.bool, torch.float16]))
            choice = draw(st.sampled_from(["shape", "nan", "drop", "extra"]))
            if choice == "shape":
                payload["state_dict"][name] = torch.zeros(shape, dtype=dtype)
            elif choice == "nan":
                # float even for an integer tensor (BatchNorm's counter), which cannot hold nan
                payload["state_dict"][name] = torch.full(payload["state_dict"][name].shape, float("nan"))
            elif choice == "drop":
                del payload["state_dict"][name]
            else:
                payload["state_dict"]["extra.weight"] = torch.zeros(shape, dtype=dtype)
        else:
            cfg = dict(payload.get("net_config") or {})
            if cfg:
                field = draw(st.sampled_from(sorted(cfg)))
                cfg[field] = draw(ODD.filter(lambda v: not isinstance(v, str) or "\udcff" not in v))
            payload["net_config"] = cfg
        buf = io.BytesIO()
        torch.save(payload, buf)
        return buf.getvalue()

    return damaged()


def _dataset_damage(good: Path):
    """A dataset re-saved with one array changed (dtype, shape, values), removed, or holding Python objects."""

    @st.composite
    def damaged(draw) -> bytes:
        with np.load(good, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
        key = draw(st.sampled_from(sorted(arrays)))
        kind = draw(st.sampled_from(["delete", "dtype", "shape", "values", "objects", "scalar"]))
        a = arrays[key]
        if kind == "delete":
            del arrays[key]
        elif kind == "dtype":
            dtype = draw(st.sampled_from(["int8", "int64", "uint8", "float16", "float64", "bool", "U3", "S2"]))
            arrays[key] = a.astype(dtype) if a.dtype.kind != "U" or dtype[0] in "US" else np.zeros(a.shape, dtype)
        elif kind == "shape":
            shape = tuple(draw(st.lists(st.integers(0, 5), max_size=4)))
            arrays[key] = np.zeros(shape, a.dtype if a.dtype.kind in "biuf" else "float32")
        elif kind == "values" and a.size and a.dtype.kind in "biuf":
            flat = a.astype("float64").ravel()
            flat[draw(st.integers(0, flat.size - 1))] = draw(st.sampled_from([np.nan, np.inf, -1.0, 1e30, 7.0, -1e9]))
            arrays[key] = flat.reshape(a.shape).astype(a.dtype) if a.dtype.kind == "f" else flat.reshape(a.shape)
        elif kind == "objects":
            arrays[key] = np.array([{"x": 1}, None], dtype=object)
        else:
            arrays[key] = np.array(draw(st.sampled_from([0, -1, 3.5, "D4", "", True])))
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    return damaged()


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(),
    st.text(max_size=8),
    st.lists(st.integers(-3, 60), max_size=5),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def _json_paths(value, prefix=()):
    """Every place inside a JSON value: (path, ...) of dict keys and list indices."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _json_paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            out += _json_paths(item, (*prefix, i))
    return out


def _mutate_json(draw, doc):
    """``doc`` with the value at one place replaced or removed."""
    paths = [p for p in _json_paths(doc) if p]
    if not paths:
        return draw(JSON_VALUES)
    path = draw(st.sampled_from(paths))
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    if draw(st.booleans()):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON_VALUES)
    return doc


def _json_damage(good: bytes):
    """A JSON document, or a JSON Lines file (one record damaged), with one value changed or removed."""
    text = good.decode()
    try:
        whole = json.loads(text)
    except ValueError:
        whole = None

    @st.composite
    def damaged(draw) -> bytes:
        if whole is not None:
            return json.dumps(_mutate_json(draw, json.loads(text))).encode()
        lines = text.splitlines()
        i = draw(st.integers(0, len(lines) - 1))
        lines[i] = json.dumps(_mutate_json(draw, json.loads(lines[i])))
        return ("\n".join(lines) + "\n").encode()

    return damaged()


#: kind -> (file name, command lines that read it)
READERS: dict[str, tuple[str, list[list[str]]]] = {
    "db": (
        "f.db",
        [
            ["report", "--db", "f.db", "--out", "rep", "--no-figures", "--quiet"],
            ["report", "--db", "f.db", "--out", "rep", "--json"],
            ["analyse", "--db", "f.db", "--workers", "1", "--nodes", "300"],
            ["analyse", "--db", "f.db", "--summary-only", "--json"],
            ["show", "--db", "f.db"],
            ["show", "--db", "f.db", "1"],
            ["export", "--db", "f.db", "--format", "pgn", "--out", "e.pgn"],
            ["import", "games.jsonl", "--db", "f.db"],
            ["tournament", "random", "minimax:depth=1", "--db", "f.db", *SMALL_TOURNAMENT, "--games", "1"],
            ["tournament", "--db", "f.db", *SMALL_TOURNAMENT],
        ],
    ),
    "checkpoint": (
        "f.pt",
        [
            ["play", "--p1", "alphazero:checkpoint=f.pt,simulations=2", "--p2", "random"],
            ["selfplay", "f.pt", "--out", "sp.npz", "--games", "2", "--workers", "1", "--simulations", "2"],
            ["prune", "f.pt", "--dataset", "good.npz", "--out", "p.pt", *TINY_PRUNE],
            ["train", "--init-from", "f.pt", "--out", "run", *TINY_TRAIN],
            ["train", "--resume", "f.pt", "--no-progress"],
            ["tournament", "alphazero:checkpoint=f.pt,simulations=2", "random", "--db", "t.db", *SMALL_TOURNAMENT],
        ],
    ),
    "dataset": (
        "f.npz",
        [
            ["prune", "good.pt", "--dataset", "f.npz", "--out", "p.pt", *TINY_PRUNE],
            ["prune", "good.pt", "--dataset", "good.npz", "f.npz", "--out", "p.pt", *TINY_PRUNE],
        ],
    ),
    "games": ("f.jsonl", [["import", "f.jsonl", "--db", "imp.db"], ["import", "f.jsonl", "--db", "good.db"]]),
    "certificate": ("f.json", [["solve", "--verify", "f.json"]]),
    "store": ("f.sqlite", [["solve", "4x4k3 b:none m:-", "--store", "f.sqlite"]]),
}
SOURCES = {"db": "good.db", "checkpoint": "good.pt", "dataset": "good.npz", "games": "games.jsonl"}
SOURCES |= {"certificate": "cert.json", "store": "store.sqlite"}


def _damage(kind: str, inputs: Path, scratch: Path):
    good_path = inputs / SOURCES[kind]
    good = good_path.read_bytes()
    structured = {
        "db": lambda: _sql_damage(good, scratch),
        "store": lambda: _sql_damage(good, scratch),
        "checkpoint": lambda: _checkpoint_damage(good_path, scratch),
        "dataset": lambda: _dataset_damage(good_path),
        "games": lambda: _json_damage(good),
        "certificate": lambda: _json_damage(good),
    }[kind]()
    return st.one_of(structured, structured, _bytes_damage(good))


# ------------------------------------------------------------------------------------------------------- tests
@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("fuzz-inputs") / "inputs"
    make_inputs(folder)
    return folder


def _repo_state() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=REPO, capture_output=True, text=True
    ).stdout


class Tally:
    """What the runs of one case did; internal errors are collected (all of them) and reported at the end."""

    def __init__(self, case: str):
        self.case, self.codes, self.errors = case, Counter(), {}

    def check(self, argv: list[str], folder: Path, before: dict, outcome) -> None:
        self.codes["budget" if outcome.code is None else str(outcome.code)] += 1
        why = outcome.internal_error()
        changed = [name for name, digest in digests(folder, FOREIGN).items() if digest != before[name]]
        if changed:
            why = f"changed or deleted files bttt did not write: {changed}"
        if why is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        self.errors.setdefault(why[:160], (argv, str(folder)))

    def finish(self) -> None:
        report = os.environ.get("BTTT_FUZZ_REPORT")
        if report:
            record = {"case": self.case, "examples": sum(self.codes.values()), "codes": dict(self.codes)}
            record["internal_errors"] = len(self.errors)
            record["found"] = [{"error": why, "argv": argv} for why, (argv, _) in self.errors.items()]
            with open(report, "a") as fh:
                fh.write(json.dumps(record) + "\n")
        assert not self.errors, "\n".join(
            f"{why}\n    bttt {' '.join(map(repr, a))}" for why, (a, _) in self.errors.items()
        )


@pytest.mark.parametrize("command", sorted(BASE))
def test_random_arguments_never_cause_an_internal_error(command, inputs, tmp_path):
    tally, repo_before = Tally(f"arguments:{command}"), _repo_state()

    @SETTINGS
    @given(argv=argument_lists(command))
    def one(argv):
        folder = fresh_copy(inputs, tmp_path / "runs")
        before = digests(folder, FOREIGN)
        tally.check(argv, folder, before, run_bttt(argv, folder, BUDGET))

    one()
    assert _repo_state() == repo_before, "a fuzzed command wrote into the repository"
    tally.finish()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_damaged_files_never_cause_an_internal_error(kind, inputs, tmp_path):
    name, commands = READERS[kind]
    tally, repo_before = Tally(f"files:{kind}"), _repo_state()
    scratch = tmp_path / "scratch"
    scratch.mkdir()

    @SETTINGS
    @given(data=_damage(kind, inputs, scratch), which=st.integers(0, len(commands) - 1))
    def one(data, which):
        folder = fresh_copy(inputs, tmp_path / "runs")
        (folder / name).write_bytes(data)
        before = digests(folder, FOREIGN)
        tally.check(commands[which], folder, before, run_bttt(commands[which], folder, BUDGET))

    one()
    assert _repo_state() == repo_before, "a fuzzed command wrote into the repository"
    tally.finish()
