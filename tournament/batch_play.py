"""Playing many tournament games at once, so that network agents' searches share network calls.

A network agent spends its move waiting for the network, one position at a time. Here a worker advances a
*group* of games together: every game runs as a generator, each agent that offers ``step_requests``
(:mod:`agents.batching`) yields the leaves its search needs evaluated, and the group serves all requests
for the same network in one forward pass (the way self-play batches its games). Agents without it (Minimax,
MCTS) move synchronously inside their game's generator.

Each game has its own agents (one per game slot, built once per worker and reset and reseeded for every game,
as in :func:`tournament.play.play_game`), so a game's moves do not depend on the other games of its group:
the same seeds give the same games as playing them one at a time, up to the float rounding of network calls
at another batch size (none with the ONNX Runtime backend, which is batch-invariant; see
docs/alphazero-speed.md). A faulty agent (an exception, an illegal move) loses only its own game. Crashes of
the worker are handled by the backends, which replay a dead group's games one at a time.

Time: a move's recorded time is the game's own share of the group's work -- its agents' time between
requests plus its share of each network call, in proportion to the positions it sent. Per-move time limits
need a move's real wall time, so games with ``move_time_limit`` are never grouped (:func:`plan_units`).
"""

from __future__ import annotations

import itertools
import math
import os
import time
from collections.abc import Hashable
from dataclasses import dataclass, field

from agents.batching import can_batch, serve_requests
from bttt.errors import BtttError
from bttt.layouts import parse_layout
from bttt.rules import Rules
from bttt.state import GameState
from tournament.play import DRAW, ILLEGAL, RAISE, WIN, GameResult, GameTask, _exc_text, agent_for, agent_seed
from tournament.play import forget_agent as _forget

#: Games per group when the agents do not say (their ``batch_games``): batches of about 64 positions give most
#: of a CPU's batched throughput; a GPU agent asks for more.
DEFAULT_GROUP = 64

Unit = GameTask | list[GameTask]


def batch_info(agents: dict[str, object]) -> dict[str, tuple[Hashable, int]]:
    """spec -> (batch key, games per group) for the agents (built objects) that can be batched.

    An agent's ``batch_key`` says which agents can share network calls (same network, device and backend);
    ``batch_games`` how many games it wants grouped (more on a GPU).
    """
    out = {}
    for spec, agent in agents.items():
        if can_batch(agent):
            out[spec] = (getattr(agent, "batch_key", spec), int(getattr(agent, "batch_games", DEFAULT_GROUP)))
    return out


def plan_units(tasks: list[GameTask], info: dict[str, tuple[Hashable, int]], workers: int) -> list[Unit]:
    """Split ``tasks`` into groups (lists) of games whose batchable agents share networks, and single games.

    Games are grouped by the set of batch keys of their agents, in their schedule order, into groups of at most
    the agents' ``batch_games`` and no bigger than needed to give every worker a group. The groups of one key
    are of equal size (within one game): 196 games at most 64 a group make 4 groups of 49, not 64, 64, 64 and 4,
    whose last group would run at tiny batches while a worker waits. Games with a move time limit, or with no
    batchable agent, stay single. Groups come first (they take longest).
    """
    groups: dict[tuple, list[GameTask]] = {}
    limits: dict[tuple, int] = {}
    singles: list[Unit] = []
    for task in tasks:
        found = [info[s] for s in (task.p1_spec, task.p2_spec) if s in info]
        if task.move_time_limit is not None or not found:
            singles.append(task)
            continue
        key = tuple(sorted({str(k) for k, _ in found}))
        groups.setdefault(key, []).append(task)
        limits[key] = min(limits.get(key, 1 << 30), *(n for _, n in found))
    units: list[Unit] = []
    for key, members in groups.items():
        size = max(1, min(limits[key], math.ceil(len(members) / max(1, workers))))
        count = math.ceil(len(members) / size)
        bounds = [round(i * len(members) / count) for i in range(count + 1)]
        units.extend(members[a:b] for a, b in itertools.pairwise(bounds))
    return units + singles


@dataclass
class _Game:
    """One game of a group: its generator, the request it waits on, and its share of the group's time."""

    index: int
    task: GameTask
    clock: float = 0.0
    steps: object = None
    request: object = None
    result: GameResult | None = None
    agents: dict = field(default_factory=dict)


def _game(game: _Game):
    """Generator playing ``game.task``; yields batch requests, returns its :class:`GameResult`."""
    task = game.task
    key = task.key
    rules = Rules(task.rows, task.cols, task.win_length, parse_layout(key.layout, task.rows, task.cols))
    state = GameState.from_moves(rules, task.opening_moves)
    specs = {1: task.p1_spec, 2: task.p2_spec}
    result = GameResult(
        key, task.seed, 0, DRAW, worker=f"{os.uname().nodename}:{os.getpid()}", opening_plies=len(task.opening_moves)
    )
    agents = {}
    for seat in (1, 2):
        agent = agent_for(specs[seat], seat, plugins=task.plugins, slot=game.index)
        agent.reset()
        agent.seed(agent_seed(task.seed, seat))
        agents[seat] = agent
    while not state.is_terminal():
        seat = state.to_move
        fault = None
        t0 = game.clock
        try:
            agent = agents[seat]
            if can_batch(agent):
                move = yield from agent.step_requests(state.clone())
            else:
                move = agent.step(state.clone())
        except Exception as exc:  # noqa: BLE001 - any agent error loses the game
            fault, detail = RAISE, _exc_text(exc)
        if fault is None:
            try:
                state.apply_action(move)
            except (BtttError, TypeError, ValueError) as exc:
                fault, detail = ILLEGAL, f"returned {move!r}: {exc}"
        yield None  # a pause point: the driver adds the time since the last request to this game's clock
        result.move_times.append(game.clock - t0)
        if fault is not None:
            _forget(specs[seat], seat, slot=game.index)
            result.winner, result.termination = 3 - seat, fault
            result.fault_player, result.fault_detail = seat, detail
            break
    else:
        result.winner = state.winner
        result.termination = WIN if state.winner else DRAW
    result.moves = list(state.history)
    return result


def _advance(game: _Game, reply) -> None:
    """Resume ``game`` with ``reply`` (or the exception that serving its request raised) until its next request
    or its end, charging the time to its clock."""
    t0 = time.perf_counter()
    try:
        while True:
            out = game.steps.throw(reply) if isinstance(reply, BaseException) else game.steps.send(reply)
            if out is not None:
                game.request = out
                break
            game.clock += time.perf_counter() - t0  # a move ended: its time is complete before it is stored
            t0 = time.perf_counter()
            reply = None
    except StopIteration as stop:
        game.result = stop.value
        game.request = None
    game.clock += time.perf_counter() - t0


def play_group(tasks: list[GameTask]) -> list[GameResult]:
    """Play ``tasks`` together (one game slot each) and return their results in order."""
    if any(t.move_time_limit is not None for t in tasks):
        from tournament.play import play_game

        return [play_game(t) for t in tasks]  # timed moves need their own wall time
    games = [_Game(i, t) for i, t in enumerate(tasks)]
    for game in games:
        game.steps = _game(game)
        _advance(game, None)
    while True:
        waiting = [g for g in games if g.request is not None]
        if not waiting:
            break
        by_key: dict[Hashable, list[_Game]] = {}
        for g in waiting:
            by_key.setdefault(g.request.batch_key, []).append(g)
        for members in by_key.values():
            t0 = time.perf_counter()
            replies = serve_requests([g.request for g in members])
            elapsed = time.perf_counter() - t0
            total = sum(max(1, g.request.size) for g in members)
            for g in members:
                g.clock += elapsed * max(1, g.request.size) / total
            for g, reply in zip(members, replies, strict=True):
                _advance(g, reply)
    results = []
    for g in games:
        g.result.wall_time = g.clock
        results.append(g.result)
    return results
