"""Move quality: every move of every stored game judged by the exact solver, stored beside the games.

For each move an agent made (the opening's moves are not theirs), the solver (:mod:`bttt.solver`) proves what it
can within a budget about the position before the move (its value for the mover) and about the move itself (the
value of the position it leads to, for the mover). From these two intervals of scores (wins sooner are better,
losses later; :mod:`bttt.solver.values`):

* ``optimal``: the move provably keeps the best value available (win as fast, lose as late, draw when drawn);
* ``blunder``: it provably turns a win into a draw or a loss, or a draw into a loss;
* ``inaccuracy``: provably not optimal but provably not a blunder (a slower win, a faster loss);
* ``undecided``: the budget did not prove which. Never guessed; counted and reported.

Whether a move is a blunder can be proven even where optimality is not (a win kept, at an unproven distance), so
each move also carries a ``blunder`` flag (True, False, or None when undecided).

Results live in the tournament database in their own table, ``move_analysis``, created by
:func:`ensure_analysis_table` (the games table is never changed). One transaction per game: a stopped run keeps
every finished game, a rerun skips them (idempotent), and a rerun with a larger budget retries the undecided.

Read API (for the report): :func:`read_verdicts` (one :class:`MoveVerdict` per analysed move),
:func:`move_rates` (optimal-move and blunder rates by agent / colour / cell, with intervals that resample whole
games), :func:`worst_moves` (an agent's costliest proven mistakes, with game and ply) and
:func:`viewer_analysis` (the game viewer's per-ply entries).
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bttt.cells import parse_cells
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.solver.values import SCORE_MAX, Bounds, distance, parent_bounds
from bttt.state import GameState
from tournament.rates import RateEstimate, clustered_rate
from tournament.store import Store

VERDICTS = ("optimal", "inaccuracy", "blunder", "undecided")
ANALYSIS_TABLE = """
CREATE TABLE IF NOT EXISTS move_analysis (
    game_id INTEGER NOT NULL REFERENCES games(id),
    ply INTEGER NOT NULL,
    mover INTEGER NOT NULL,
    before_lo INTEGER NOT NULL, before_hi INTEGER NOT NULL,
    after_lo INTEGER NOT NULL, after_hi INTEGER NOT NULL,
    verdict TEXT NOT NULL, blunder INTEGER,
    nodes INTEGER NOT NULL, seconds REAL NOT NULL,
    budget_seconds REAL, budget_nodes INTEGER,
    analysed_at REAL NOT NULL,
    PRIMARY KEY (game_id, ply)
)"""


def ensure_analysis_table(conn: sqlite3.Connection) -> None:
    """Add the ``move_analysis`` table to a tournament database if it is not there (the only schema change).

    Columns: ``game_id`` (``games.id``), ``ply`` (index of the move in the game's moves, the opening's
    included), ``mover`` (1 = O, 2 = X), the score intervals ``before_lo/hi`` (the position before the move, for
    the mover) and ``after_lo/hi`` (the move, for the mover), ``verdict``, ``blunder`` (1, 0 or NULL), the
    solver's ``nodes`` and ``seconds``, the budget per position, and when it was written.
    """
    conn.execute(ANALYSIS_TABLE)


def classify(before: Bounds, after: Bounds) -> tuple[str, bool | None]:
    """``(verdict, blunder)`` of a move from the mover's proven intervals before and after it."""
    if after.lo >= before.hi:
        return "optimal", False
    blunder = (before.lo > 0 and after.hi <= 0) or (before.lo >= 0 and after.hi < 0)
    kept = after.lo > 0 or before.hi < 0 or (after.lo >= 0 and before.hi <= 0)
    flag = True if blunder else (False if kept else None)
    if after.hi < before.lo:
        if flag is True:
            return "blunder", True
        if flag is False:
            return "inaccuracy", False
    return "undecided", flag


# ------------------------------------------------------------------------------------------ the workers
_SOLVER = {}


def _solver_for(rules: Rules, memory_mb: float):
    from bttt.solver.engine import Solver
    from bttt.solver.table import bits_for_memory

    if _SOLVER.get("rules") != rules:  # one table per worker: the games come grouped by layout
        _SOLVER.clear()
        _SOLVER["rules"] = rules
        _SOLVER["solver"] = Solver(rules, tt_bits=bits_for_memory(memory_mb))
    return _SOLVER["solver"]


@dataclass(frozen=True)
class GameJob:
    """One game to analyse (picklable)."""

    game_id: int
    rows: int
    cols: int
    win_length: int
    layout: str
    moves: tuple[int, ...]
    first_ply: int  # the first move made by an agent (after the opening)
    seconds: float | None
    nodes: int | None
    memory_mb: float


def analyse_game(job: GameJob) -> list[tuple]:
    """The ``move_analysis`` rows of one game (runs in a worker process)."""
    from bttt.solver.engine import Budget
    from bttt.solver.solve import finished_bounds, side_bitboards

    rules = Rules(job.rows, job.cols, job.win_length, parse_layout(job.layout, job.rows, job.cols))
    solver = _solver_for(rules, job.memory_mb)
    budget = Budget(job.seconds, job.nodes)
    if budget.reproducible:  # the verdicts then depend on this game alone
        solver.forget()
    states = [GameState.from_moves(rules, job.moves[:i]) for i in range(job.first_ply, len(job.moves) + 1)]
    values: list[Bounds] = [Bounds()] * len(states)
    effort: list[tuple[int, float]] = [(0, 0.0)] * len(states)
    for i in range(len(states) - 1, -1, -1):  # from the end: late positions are quick and fill the table
        s = states[i]
        t0 = time.perf_counter()
        n0 = solver.nodes
        if s.is_terminal():
            values[i] = finished_bounds(s)
        else:
            me, opp = side_bitboards(s)
            values[i] = solver.value(me, opp, budget)
        effort[i] = (solver.nodes - n0, time.perf_counter() - t0)
    rows = []
    now = time.time()
    for i in range(len(states) - 1):
        before = values[i]
        after = Bounds(*parent_bounds(values[i + 1].lo, values[i + 1].hi))
        verdict, blunder = classify(before, after)
        nodes, seconds = effort[i][0] + effort[i + 1][0], effort[i][1] + effort[i + 1][1]
        ply = job.first_ply + i
        rows.append(
            (
                job.game_id,
                ply,
                states[i].to_move,
                before.lo,
                before.hi,
                after.lo,
                after.hi,
                verdict,
                None if blunder is None else int(blunder),
                nodes,
                round(seconds, 6),
                job.seconds,
                job.nodes,
                now,
            )
        )
    return rows


# ------------------------------------------------------------------------------------------- the driver
@dataclass
class AnalysisRun:
    """What one :func:`analyse` call did."""

    games: int  # games in the database
    analysed: int  # games analysed in this call
    skipped: int  # games already analysed with this budget or more
    moves: int  # move rows written
    seconds: float


def _number_or_none(x) -> bool:
    return x is None or (type(x) in (int, float) and x >= 0)


def _needs_work(rows: list[tuple], first_ply: int, plies: int, seconds: float | None, nodes: int | None) -> bool:
    """Whether a game's stored rows miss a ply, or hold an undecided move that a larger budget may decide."""
    if len(rows) < plies - first_ply:
        return True
    for verdict, blunder, old_seconds, old_nodes in rows:
        if verdict != "undecided" and blunder is not None:
            continue
        more_time = old_seconds is not None and (seconds is None or seconds > old_seconds)
        more_nodes = old_nodes is not None and (nodes is None or nodes > old_nodes)
        if more_time or more_nodes:
            return True
    return False


def analyse(
    db: str | Path,
    workers: int | None = None,
    seconds: float | None = 1.0,
    nodes: int | None = None,
    memory_mb: float = 128.0,
    progress: Callable[[int, int], None] | None = None,
) -> AnalysisRun:
    """Analyse every move of every game in the tournament database ``db`` (resumable, idempotent).

    Args:
        db: an existing tournament database.
        workers: processes (default: the number of cores; 1 runs in this process).
        seconds, nodes: the solver's budget per position (None: no limit).
        memory_mb: each worker's transposition table.
        progress: called with (games done, games to do) after each game.
    """
    t0 = time.perf_counter()
    read_verdicts(db)  # every stored verdict is checked before any work
    with Store(db, create=False) as store:
        config = store.config() or {}
        rows, cols, k = int(config.get("rows", 7)), int(config.get("cols", 7)), int(config.get("win_length", 4))
        games = store.games(rows, cols)
        with store.transaction():
            ensure_analysis_table(store.conn)
        stored: dict[int, list[tuple]] = {}
        for r in store.read("SELECT game_id, verdict, blunder, budget_seconds, budget_nodes FROM move_analysis"):
            if r[1] not in VERDICTS or r[2] not in (None, 0, 1) or not all(_number_or_none(x) for x in r[3:]):
                raise BtttError(f"{db}: a move_analysis row of game {r[0]!r} is malformed; it was changed outside bttt")
            stored.setdefault(r[0], []).append(r[1:])
        jobs = []
        for g in games:
            if _needs_work(stored.get(g.id, []), g.opening_plies, g.plies, seconds, nodes):
                moves = parse_cells(g.moves, rows, cols) if g.moves else ()
                jobs.append(GameJob(g.id, rows, cols, k, g.layout, moves, g.opening_plies, seconds, nodes, memory_mb))
        jobs.sort(key=lambda j: (j.layout, j.game_id))
        written = 0
        done = 0
        workers = workers or os.cpu_count() or 1
        results: Iterable[list[tuple]]
        pool = None
        if workers > 1 and len(jobs) > 1:
            pool = ProcessPoolExecutor(workers)
            results = pool.map(analyse_game, jobs, chunksize=max(1, len(jobs) // (4 * workers)))
        else:
            results = map(analyse_game, jobs)
        try:
            for rows_of_game in results:
                with store.transaction():
                    store.conn.executemany(
                        "INSERT OR REPLACE INTO move_analysis VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        _merged(store.conn, rows_of_game),
                    )
                written += len(rows_of_game)
                done += 1
                if progress is not None:
                    progress(done, len(jobs))
        finally:
            if pool is not None:
                from bttt.parallel import stop_pool

                stop_pool(pool)
    return AnalysisRun(len(games), done, len(games) - len(jobs), written, time.perf_counter() - t0)


def _merged(conn: sqlite3.Connection, rows: list[tuple]) -> list[tuple]:
    """New rows narrowed by what an earlier run proved (both intervals hold, so their intersection does): a
    rerun never loses a decided verdict, even where its budget ran out sooner."""
    if not rows:
        return rows
    old = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT ply, before_lo, before_hi, after_lo, after_hi FROM move_analysis WHERE game_id = ?", (rows[0][0],)
        )
    }
    out = []
    for r in rows:
        if r[1] in old:
            blo, bhi, alo, ahi = old[r[1]]
            before = Bounds(r[3], r[4]).intersect(Bounds(blo, bhi))
            after = Bounds(r[5], r[6]).intersect(Bounds(alo, ahi))
            verdict, blunder = classify(before, after)
            r = (
                *r[:3],
                before.lo,
                before.hi,
                after.lo,
                after.hi,
                verdict,
                None if blunder is None else int(blunder),
                *r[9:],
            )
        out.append(r)
    return out


# ------------------------------------------------------------------------------------------ the read API
@dataclass(frozen=True)
class MoveVerdict:
    """One analysed move. ``before`` is the position's value for the mover, ``after`` the move's."""

    game_id: int
    ply: int
    mover: int  # 1 = O, 2 = X
    agent: str
    layout: str
    before: Bounds
    after: Bounds
    verdict: str
    blunder: bool | None
    nodes: int
    seconds: float

    @property
    def colour(self) -> str:
        return "O" if self.mover == 1 else "X"

    @property
    def value_after(self) -> str:
        """The value of the position after the move, in words from a fixed side (``"O wins in 9"``)."""
        return value_words(self.after, self.mover)


def value_words(move: Bounds, mover: int) -> str:
    """The position after a move whose value for ``mover`` is ``move``, in words: ``"X wins in 12"`` (plies from
    that position), ``"O has won"``, ``"draw"``, ``"O wins"`` (distance not proven), or ``"undecided"``."""
    me, other = ("O", "X") if mover == 1 else ("X", "O")
    if move.exact:
        v = move.lo
        if v == 0:
            return "draw"
        left = distance(v) - 1
        who = me if v > 0 else other
        return f"{who} has won" if left == 0 else f"{who} wins in {left}"
    if move.lo > 0:
        return f"{me} wins"
    if move.hi < 0:
        return f"{other} wins"
    return "undecided"


def read_verdicts(db: str | Path) -> list[MoveVerdict]:
    """Every analysed move of the tournament database ``db`` (empty if ``bttt analyse`` has not run)."""
    with Store(db, create=False) as store:
        tables = {r[0] for r in store.read("SELECT name FROM sqlite_master WHERE type='table'")}
        if "move_analysis" not in tables:
            return []
        rows = store.read(
            "SELECT a.game_id, a.ply, a.mover, g.p1, g.p2, g.layout, a.before_lo, a.before_hi, a.after_lo,"
            " a.after_hi, a.verdict, a.blunder, a.nodes, a.seconds"
            " FROM move_analysis a JOIN games g ON g.id = a.game_id ORDER BY a.game_id, a.ply"
        )
    out = []
    for gid, ply, mover, p1, p2, layout, blo, bhi, alo, ahi, verdict, blunder, n, sec in rows:
        numbers = (gid, ply, blo, bhi, alo, ahi)
        if (
            not all(type(x) is int for x in numbers)
            or verdict not in VERDICTS
            or mover not in (1, 2)
            or not (-SCORE_MAX <= blo <= bhi <= SCORE_MAX and -SCORE_MAX <= alo <= ahi <= SCORE_MAX)
            or blunder not in (None, 0, 1)
            or not all(x is None or type(x) in (int, float) for x in (n, sec))
        ):
            raise BtttError(f"{db}: move_analysis row ({gid}, {ply}) is malformed; rerun bttt analyse")
        out.append(
            MoveVerdict(
                gid,
                ply,
                mover,
                p1 if mover == 1 else p2,
                layout,
                Bounds(blo, bhi),
                Bounds(alo, ahi),
                verdict,
                None if blunder is None else bool(blunder),
                n,
                sec,
            )
        )
    return out


@dataclass(frozen=True)
class RateRow:
    """The rates of one group of moves (e.g. one agent as O)."""

    group: tuple[str, ...]
    moves: int
    optimal: RateEstimate | None  # among moves whose verdict is decided
    blunder: RateEstimate | None  # among moves whose blunder flag is decided
    undecided_verdict: int
    undecided_blunder: int


GROUPINGS = {"agent": lambda v: v.agent, "colour": lambda v: v.colour, "cell": lambda v: v.layout}


def move_rates(verdicts: list[MoveVerdict], by: tuple[str, ...] = ("agent",), reps: int = 2000) -> list[RateRow]:
    """Optimal-move and blunder rates per group, with 95% intervals from a bootstrap that resamples whole games
    (:func:`tournament.rates.clustered_rate`: a game's moves are one cluster; strata are the brick layouts).

    Args:
        verdicts: from :func:`read_verdicts`.
        by: group keys among ``agent``, ``colour``, ``cell``.
    """
    for key in by:
        if key not in GROUPINGS:
            raise ValueError(f"cannot group by {key!r}; choose from {', '.join(GROUPINGS)}")
    groups: dict[tuple[str, ...], list[MoveVerdict]] = {}
    for v in verdicts:
        groups.setdefault(tuple(GROUPINGS[key](v) for key in by), []).append(v)
    out = []
    for group, items in sorted(groups.items()):
        decided = [v for v in items if v.verdict != "undecided"]
        flagged = [v for v in items if v.blunder is not None]
        out.append(
            RateRow(
                group,
                len(items),
                _rate(decided, lambda v: v.verdict == "optimal", reps),
                _rate(flagged, lambda v: bool(v.blunder), reps),
                len(items) - len(decided),
                len(items) - len(flagged),
            )
        )
    return out


def _rate(items: list[MoveVerdict], hit: Callable[[MoveVerdict], bool], reps: int) -> RateEstimate | None:
    if not items:
        return None
    return clustered_rate(
        [v.game_id for v in items],
        [1.0 if hit(v) else 0.0 for v in items],
        [1.0] * len(items),
        strata=[v.layout for v in items],
        reps=reps,
        rng=0,
    )


def worst_moves(verdicts: list[MoveVerdict], agent: str, n: int = 10) -> list[MoveVerdict]:
    """``agent``'s proven mistakes, costliest first: blunders before inaccuracies, then by the proven drop in
    score (``before.lo - after.hi``)."""
    mistakes = [v for v in verdicts if v.agent == agent and v.verdict in ("blunder", "inaccuracy")]
    mistakes.sort(key=lambda v: (v.verdict != "blunder", -(v.before.lo - v.after.hi), v.game_id, v.ply))
    return mistakes[:n]


def viewer_analysis(db: str | Path) -> dict[int, list]:
    """The game viewer's analysis (:mod:`tournament.viewer`): per game id one entry per ply, ``None`` for a ply
    not analysed (the opening's), else ``{"verdict", "value"}`` with the value after the ply in words."""
    verdicts = read_verdicts(db)
    if not verdicts:
        return {}
    with Store(db, create=False) as store:
        plies = {gid: n for gid, n in store.read("SELECT id, plies FROM games") if type(n) is int and n >= 0}
    out: dict[int, list] = {}
    for v in verdicts:
        entries = out.setdefault(v.game_id, [None] * plies.get(v.game_id, 0))
        if v.ply < len(entries):
            entries[v.ply] = {"verdict": v.verdict, "value": v.value_after}
    return out
