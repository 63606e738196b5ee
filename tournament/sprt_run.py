"""``bttt tournament A B --sprt ...``: an A/B match played in rounds of colour-swapped pairs until a pentanomial
sequential probability ratio test (:mod:`tournament.sprt`) decides, or a maximum number of rounds.

**Rounds.** Round ``r`` plays, on every layout of the suite, ``openings`` fresh openings (:class:`
tournament.openings.LayoutOpenings`: the next balanced, distinct ones of each layout's stream, so no opening is
played in two rounds and deterministic agents never replay a game), each twice with the colours swapped: one
pair per (layout, opening). After a round the test takes A's pentanomial counts over every complete pair so far
(:meth:`tournament.pairs.PairTable.counts`) and stops at H0 or H1; otherwise the next round starts. The test is
checked after whole rounds, not after each pair, so where it stops does not depend on the order in which
games finish (workers, backend): the same command always plays the same games and reaches the same decision.
Checking less often than after every pair keeps the error rates at or below alpha and beta.

**Resume.** Every game is stored as it finishes, as in any tournament (``(p1, p2, layout, round, opening)`` is
UNIQUE). Rerunning the same command rebuilds the same openings round by round, replays the decisions from the
stored games and plays exactly the missing games; a larger ``--max-rounds`` continues an undecided test. The
hypotheses, seed, layouts, openings per round and plies are part of the database's identity; changing them is
refused. The result (counts, LLR, bounds, decision, rounds, Elo estimate) is stored in the database
(``meta['sprt']``) after every round.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from agents.registry import pinned_digest
from bttt.errors import BtttError
from bttt.layouts import layout_name
from bttt.rules import Rules
from tournament.defaults import DEFAULT_OPENING_PLIES, DEFAULT_OPENINGS, DEFAULT_SUITE
from tournament.driver import (
    _allowed_plugins,
    _play_all,
    _task,
    check_usable_for_overwrite,
    group_tasks,
    resolve_agents,
)
from tournament.opening_judges import default_judge, judge_name
from tournament.openings import LayoutOpenings
from tournament.pairs import form_pairs
from tournament.schedule import GameKey, describe_cells, parse_suite, parse_train
from tournament.sprt import H0, H1, Sprt, SprtSpec, SprtStatus
from tournament.store import FORMAT, SCHEMA_VERSION, Store, StoreError, check_usable, delete_database

#: Rounds played at most unless ``--max-rounds`` says otherwise.
DEFAULT_MAX_ROUNDS = 50
META_KEY = "sprt"


class SprtRunError(BtttError):
    """A sequential test that cannot be run as asked."""


@dataclass
class SprtRunSpec:
    """An A/B test: ``a`` against ``b`` (``None`` fields take the stored value on resume, else the default).

    Args:
        a, b: agent specs; the test is about A's strength relative to B.
        sprt: the hypotheses and error rates.
        suite: brick layouts (default: the tournament default, every cell).
        openings: fresh openings per layout and round (each played with both colours).
        opening_plies: plies of each opening.
        max_rounds: rounds at most (None: the stored value, else :data:`DEFAULT_MAX_ROUNDS`).
    """

    a: str
    b: str
    sprt: SprtSpec
    suite: str | None = None
    openings: int | None = None
    opening_plies: int | None = None
    max_rounds: int | None = None
    seed: int | None = None
    train: str | None = None
    move_time_limit: float | None = None
    allow_plugins: tuple[str, ...] = ()
    rows: int = 7
    cols: int = 7
    win_length: int = 4


@dataclass
class SprtRunResult:
    """What the test decided and what this invocation played."""

    db: Path
    status: SprtStatus
    rounds: int  # rounds completed
    pairs_per_round: int
    stopped: str  # "H0", "H1", "max rounds" or "openings exhausted"
    history: list[dict] = field(default_factory=list)  # per round: pairs, LLR, decision
    played: int = 0
    already_done: int = 0
    faults: int = 0
    wall_time: float = 0.0
    agents: list[str] = field(default_factory=list)

    def describe(self) -> str:
        how = {
            H1: "H1 accepted",
            H0: "H0 accepted",
            "max rounds": "not decided: the maximum number of rounds was reached (rerun with a larger --max-rounds "
            "to continue)",
            "openings exhausted": "not decided: the layouts ran out of distinct balanced openings",
        }[self.stopped]
        return (
            f"{self.status.describe()}\n{how} after {self.rounds} round(s) of {self.pairs_per_round} pairs "
            f"({self.agents[0]} is A, {self.agents[1]} is B)."
        )

    def to_json(self) -> dict:
        s = self.status
        return {
            "test": str(s.spec),
            "elo0": s.spec.elo0,
            "elo1": s.spec.elo1,
            "alpha": s.spec.alpha,
            "beta": s.spec.beta,
            "model": s.spec.model,
            "a": self.agents[0],
            "b": self.agents[1],
            "pentanomial": list(s.counts),
            "pairs": s.pairs,
            "llr": s.llr,
            "lower_bound": s.spec.lower,
            "upper_bound": s.spec.upper,
            "decision": s.decision,
            "stopped": self.stopped,
            "rounds": self.rounds,
            "pairs_per_round": self.pairs_per_round,
            "elo": _finite(s.elo),
            "elo_low": _finite(s.elo_low),
            "elo_high": _finite(s.elo_high),
            "history": self.history,
        }


def _finite(x: float) -> float | None:
    return None if x != x or x in (float("inf"), float("-inf")) else float(x)


def _stream_id(config: dict, n: int, plies: int, judge: str) -> str:
    content = {"board": [config["rows"], config["cols"], config["win_length"]], "suite": config["suite"]}
    content.update(seed=config["seed"], per_round=n, plies=plies, judge=judge)
    return "sprt-stream:" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _validate(spec: SprtRunSpec) -> None:
    if spec.max_rounds is not None and spec.max_rounds < 1:
        raise SprtRunError(f"--max-rounds must be at least 1, got {spec.max_rounds}")
    if spec.openings is not None and spec.openings < 1:
        raise SprtRunError(
            "--sprt draws fresh openings every round so that no game is replayed: --openings must be at least 1, "
            f"got {spec.openings}"
        )
    if spec.opening_plies is not None and spec.opening_plies < 1:
        raise SprtRunError(f"--sprt needs openings of at least 1 ply, got --opening-plies {spec.opening_plies}")


def plan_config(spec: SprtRunSpec, old: dict | None) -> dict:
    """The test's configuration (identity keys checked against ``old``, the stored one, by the store)."""
    old = old or {}
    rows, cols = spec.rows, spec.cols
    if spec.suite is not None:
        suite = [layout_name(lay, rows, cols) for lay in parse_suite(spec.suite, rows, cols)]
    else:
        suite = old.get("suite") or [layout_name(lay, rows, cols) for lay in parse_suite(DEFAULT_SUITE, rows, cols)]
    if spec.train is not None:
        cells = parse_train(spec.train, rows, cols)
        train = describe_cells(cells, rows, cols).split(",") if cells else None
    else:
        train = old.get("train")
    stored = old.get("sprt_openings") or {}
    n = spec.openings if spec.openings is not None else stored.get("per_round", DEFAULT_OPENINGS)
    plies = spec.opening_plies if spec.opening_plies is not None else stored.get("plies", DEFAULT_OPENING_PLIES)
    config = {
        "rows": rows,
        "cols": cols,
        "win_length": spec.win_length,
        "seed": spec.seed if spec.seed is not None else old.get("seed", 0),
        "suite": suite,
        "games_per_colour": 1,
        "move_time_limit": spec.move_time_limit if spec.move_time_limit is not None else old.get("move_time_limit"),
        "train": train,
        "sprt": str(spec.sprt),
        "sprt_max_rounds": spec.max_rounds
        if spec.max_rounds is not None
        else old.get("sprt_max_rounds", DEFAULT_MAX_ROUNDS),
    }
    judge = judge_name(default_judge())
    config["openings"] = _stream_id(config, n, plies, judge)
    config["sprt_openings"] = {"per_round": n, "plies": plies, "judge": judge}
    return config


def run_sprt(
    spec: SprtRunSpec,
    db: str | Path,
    workers: int,
    backend: str = "local",
    address: str | None = None,
    progress: bool = True,
    max_crashes: int = 2,
    overwrite: bool = False,
    command: str = "",
    log=None,
) -> SprtRunResult:
    """Play the test into ``db`` round by round until it decides (see the module docstring).

    Args:
        spec: the test.
        db: the SQLite database (new, or one this test made: then it resumes).
        workers, backend, address, progress, max_crashes: as :func:`tournament.driver.run_tournament`.
        overwrite: delete ``db`` (a bttt database) first.
        command: the command line, for the run's record.
        log: a writable stream for one line per round (default stderr; None-like ``False`` for silence).
    """
    _validate(spec)
    log = sys.stderr if log is None else log
    db = Path(db)
    if backend not in ("local", "ray"):
        raise BtttError(f"unknown backend {backend!r}: choose local or ray")
    plugins = _allowed_plugins([spec.a, spec.b], spec.allow_plugins)
    given = resolve_agents([spec.a, spec.b], plugins)
    names = [g[0] for g in given]
    old, stored_agents = None, []
    if overwrite:
        check_usable_for_overwrite(db)
    elif check_usable(db) != "missing":
        with Store(db, create=False) as existing:
            old = existing.config()
            stored_agents = existing.agents(spec.rows, spec.cols)
    config = plan_config(spec, old)
    if old is not None:
        if not old.get("sprt"):
            raise StoreError(
                f"{db} holds a round-robin tournament, not a sequential test: choose another --db for --sprt"
            )
        stored_names = [a[0] for a in stored_agents]
        if stored_names and stored_names != names:
            raise StoreError(
                f"{db} holds the sequential test {' vs '.join(stored_names)}, not {' vs '.join(names)}: "
                "choose another --db, or --overwrite to start afresh"
            )
        with Store(db, create=False) as existing:
            config = existing.check_config(config)
    else:
        config = dict(config, format=FORMAT, schema_version=SCHEMA_VERSION, created=time.time())
    if overwrite:
        delete_database(db)
    rules = Rules(config["rows"], config["cols"], config["win_length"])
    per_round, plies = config["sprt_openings"]["per_round"], config["sprt_openings"]["plies"]
    max_rounds = int(config["sprt_max_rounds"])
    judge = default_judge()
    a, b = names
    streams = {
        lay: LayoutOpenings(rules, lay, plies, config["seed"], judge, None, 200 * per_round * max_rounds + 2000)
        for lay in config["suite"]
    }
    test = SprtSpec.parse(config["sprt"])
    start = time.perf_counter()
    played = faults = 0
    history: list[dict] = []
    with Store(db, config=config) as store:
        store.write_config(config)
        for name, agent_spec, cells in given:
            store.add_agent(name, agent_spec, cells, spec.rows, spec.cols, pinned_digest(name))
        already = store.count_games()
        done = store.done_keys()
        run_id = store.start_run(backend, workers, command)
        stopped, status, rounds = "max rounds", Sprt(test).status(), 0
        try:
            for r in range(max_rounds):
                try:
                    openings = {lay: streams[lay].take(per_round) for lay in config["suite"]}
                except BtttError:
                    stopped = "openings exhausted"
                    break
                keys = []
                for lay, ops in openings.items():
                    for o in ops:
                        oid = o.id(config["rows"], config["cols"])
                        keys += [(GameKey(a, b, lay, r, oid), o.moves), (GameKey(b, a, lay, r, oid), o.moves)]
                tasks = [_task(k, config, moves, plugins) for k, moves in keys if k not in done]
                tasks.sort(key=lambda t: t.seed)
                if tasks:
                    units = group_tasks(tasks, workers, None, plugins)  # network agents' games grouped, as elsewhere
                    p, f = _play_all(
                        store, tasks, config, workers, backend, address, progress, max_crashes, units=units
                    )
                    played, faults = played + p, faults + f
                rounds = r + 1
                games = [g for g in store.games() if g.index < rounds]
                counts = form_pairs(games, agents=names).counts(a, [b]).pentanomial
                status = Sprt(test, counts).status()
                history.append({"round": rounds, "pairs": status.pairs, "llr": status.llr, "decision": status.decision})
                store.set_meta(META_KEY, _record(status, rounds, len(keys) // 2, "running", history, names))
                if log:
                    print(
                        f"round {rounds}: {status.pairs} pairs, LLR {status.llr:.2f} in ({test.lower:.2f}, "
                        f"{test.upper:.2f}): {status.decision}",
                        file=log,
                    )
                if status.decision in (H0, H1):
                    stopped = status.decision
                    break
        finally:
            store.finish_run(run_id, played, time.perf_counter() - start)
        pairs_per_round = len(config["suite"]) * per_round
        result = SprtRunResult(
            db, status, rounds, pairs_per_round, stopped, history, played, already, faults,
            time.perf_counter() - start, names,
        )  # fmt: skip
        store.set_meta(META_KEY, result.to_json())
    return result


def _record(status: SprtStatus, rounds: int, per_round: int, stopped: str, history: list, names: list[str]) -> dict:
    partial = SprtRunResult(Path(), status, rounds, per_round, "max rounds", history, agents=names).to_json()
    return dict(partial, stopped=stopped)
