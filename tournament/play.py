"""Playing one tournament game: faults, per-move time limits and timing.

Runs inside worker processes (or Ray workers). Agents are built once per
process per spec and seat (:func:`agent_for`), then reset and reseeded for every
game. An agent that raises, returns an illegal move or runs past the per-move
time limit loses that game; the game is recorded with the reason.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field

from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.seeding import derive_seed
from bttt.state import GameState
from tournament.schedule import GameKey

WIN, DRAW, RAISE, ILLEGAL, TIMEOUT, CRASH = "win", "draw", "exception", "illegal", "timeout", "crash"
FAULTS = (RAISE, ILLEGAL, TIMEOUT, CRASH)
TERMINATIONS = (WIN, DRAW, *FAULTS)


@dataclass
class GameTask:
    """Everything a worker needs to play one game (picklable, no agent objects)."""

    key: GameKey
    seed: int
    p1_spec: str  # the spec to construct: the canonical name, which pins a checkpoint's content
    p2_spec: str
    rows: int = 7
    cols: int = 7
    win_length: int = 4
    move_time_limit: float | None = None
    opening_moves: tuple[int, ...] = ()  # the start position's moves (from the empty board)
    plugins: tuple[str, ...] | None = None  # packages whose module:factory specs may run (None: any)


@dataclass
class GameResult:
    """The outcome of one game as stored."""

    key: GameKey
    seed: int
    winner: int  # 1, 2, or 0 (draw, or a crash nobody is blamed for)
    termination: str  # win | draw | exception | illegal | timeout | crash
    moves: list[int] = field(default_factory=list)
    move_times: list[float] = field(default_factory=list)
    fault_player: int | None = None
    fault_detail: str | None = None
    wall_time: float = 0.0
    worker: str = ""
    opening_plies: int = 0  # the first moves came from the opening, not from the agents

    @property
    def plies(self) -> int:
        return len(self.moves)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["key"] = asdict(self.key)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> GameResult:
        d = dict(d)
        d["key"] = GameKey(**d["key"])
        return cls(**d)


class MoveTimeout(Exception):
    """Raised inside an agent's ``step`` when its move time runs out."""


_AGENTS: dict[tuple[str, int, int], object] = {}


def agent_for(
    spec: str, seat: int, warm_up: GameState | None = None, plugins: tuple[str, ...] | None = None, slot: int = 0
):
    """This process's agent for ``spec`` in ``seat`` (built once, reused across games); games played together
    (:mod:`tournament.batch_play`) each have their own ``slot``.

    With ``warm_up`` (a state; used when moves are timed) a new agent first plays one untimed move from it,
    so that one-off costs such as loading compiled numba kernels are not charged to its first timed move.
    """
    key = (spec, seat, slot)
    agent = _AGENTS.get(key)
    if agent is None:
        from agents.registry import make_agent

        agent = _AGENTS[key] = make_agent(spec, plugins=plugins)
        if warm_up is not None:
            _warm_up(agent, warm_up)
    return agent


def _warm_up(agent, state: GameState, budget: float = 30.0) -> None:
    use_alarm = _alarm_available()
    old = signal.signal(signal.SIGALRM, _on_alarm) if use_alarm else None
    try:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, budget)
        try:
            agent.step(state.clone())
        finally:
            if use_alarm:
                signal.setitimer(signal.ITIMER_REAL, 0)
    except Exception:  # noqa: BLE001 - a faulty agent will fault again in the timed game, and lose it there
        pass
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, old)


def forget_agent(spec: str, seat: int, slot: int = 0) -> None:
    """Drop a cached agent (after a fault its internal state cannot be trusted)."""
    _AGENTS.pop((spec, seat, slot), None)


def clear_agents() -> None:
    _AGENTS.clear()


def agent_seed(game_seed: int, seat: int) -> int:
    return derive_seed(game_seed, "seat", seat)


def _alarm_available() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def _on_alarm(signum, frame):  # pragma: no cover - exercised through timeouts
    raise MoveTimeout()


def play_game(task: GameTask) -> GameResult:
    """Play ``task`` to the end and return its result (never raises for agent faults)."""
    start = time.perf_counter()
    key = task.key
    rules = Rules(task.rows, task.cols, task.win_length, parse_layout(key.layout, task.rows, task.cols))
    state = GameState.from_moves(rules, task.opening_moves)
    specs = {1: task.p1_spec, 2: task.p2_spec}
    agents = {}
    for seat in (1, 2):
        agent = agent_for(specs[seat], seat, warm_up=state if task.move_time_limit else None, plugins=task.plugins)
        agent.reset()
        agent.seed(agent_seed(task.seed, seat))
        agents[seat] = agent
    limit = task.move_time_limit
    use_alarm = limit is not None and _alarm_available()
    old_handler = signal.signal(signal.SIGALRM, _on_alarm) if use_alarm else None
    result = GameResult(
        key, task.seed, 0, DRAW, worker=f"{os.uname().nodename}:{os.getpid()}", opening_plies=len(task.opening_moves)
    )
    try:
        while not state.is_terminal():
            seat = state.to_move
            fault = None
            t0 = time.perf_counter()
            try:
                if use_alarm:
                    signal.setitimer(signal.ITIMER_REAL, limit)
                try:
                    move = agents[seat].step(state.clone())
                finally:
                    if use_alarm:
                        signal.setitimer(signal.ITIMER_REAL, 0)
            except MoveTimeout:
                fault, detail = TIMEOUT, f"no move within the {limit:g} s limit"
            except Exception as exc:  # noqa: BLE001 - any agent error loses the game
                fault, detail = RAISE, _exc_text(exc)
            elapsed = time.perf_counter() - t0
            if fault is None and limit is not None and elapsed > limit:
                fault, detail = TIMEOUT, f"took {elapsed:.3f} s, limit {limit:g} s"
            if fault is None:
                try:
                    state.apply_action(move)
                except (BtttError, TypeError, ValueError) as exc:
                    fault, detail = ILLEGAL, f"returned {move!r}: {exc}"
            result.move_times.append(elapsed)
            if fault is not None:
                forget_agent(specs[seat], seat)
                result.winner, result.termination = 3 - seat, fault
                result.fault_player, result.fault_detail = seat, detail
                break
        else:
            result.winner = state.winner
            result.termination = WIN if state.winner else DRAW
    finally:
        if use_alarm:
            signal.signal(signal.SIGALRM, old_handler)
    result.moves = list(state.history)
    result.wall_time = time.perf_counter() - start
    return result


def crash_result(task: GameTask, detail: str) -> GameResult:
    """The record of a game whose worker kept dying: nobody wins, it counts as a fault."""
    return GameResult(task.key, task.seed, 0, CRASH, fault_detail=detail)


def _exc_text(exc: BaseException) -> str:
    tb = traceback.extract_tb(exc.__traceback__)
    where = f" at {tb[-1].filename.rsplit('/', 1)[-1]}:{tb[-1].lineno}" if tb else ""
    return f"{type(exc).__name__}: {exc}{where}"[:500]
