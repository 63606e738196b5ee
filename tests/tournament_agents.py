"""Misbehaving and scripted agents for the tournament tests, importable by workers as plug-in specs.

Specs look like ``tests.tournament_agents:raiser``. Tests import this file as ``tournament_agents``
(pytest puts tests/ on sys.path) and make the repository root
importable for worker processes (``sys.path`` and ``PYTHONPATH``) via
:func:`make_importable` before any worker starts.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

from agents.base import Agent

REPO = Path(__file__).resolve().parents[1]


def make_importable() -> None:
    """Let worker processes (forkserver, Ray, subprocesses) import ``tests.tournament_agents``."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    parts = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if str(REPO) not in parts:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO), *parts])


class Scripted(Agent):
    """Random legal moves from its seed; ``behave(state, move)`` may misbehave on move ``after``."""

    def __init__(self, after: int = 0, delay: float = 0.0) -> None:
        self.after = after
        self.delay = delay
        self.rng = np.random.default_rng(0)
        self.moves = 0

    def reset(self) -> None:
        self.moves = 0

    def seed(self, seed) -> None:
        self.rng = np.random.default_rng(seed)

    def step(self, state) -> int:
        if self.delay:
            time.sleep(self.delay)
        self.moves += 1
        actions = state.legal_actions()
        move = actions[int(self.rng.integers(len(actions)))]
        return self.behave(state, move) if self.moves > self.after else move

    def behave(self, state, move) -> int:
        return move


class Raiser(Scripted):
    def behave(self, state, move):
        raise RuntimeError("deliberate failure")


class Illegal(Scripted):
    def behave(self, state, move):
        return state.history[-1] if state.history else -1  # an occupied cell, or off the board


class Sleeper(Scripted):
    def __init__(self, after: int = 0, seconds: float = 30.0) -> None:
        super().__init__(after)
        self.seconds = seconds

    def behave(self, state, move):
        time.sleep(self.seconds)
        return move


class Dier(Scripted):
    """Kills its worker process (like a segfault in native code)."""

    def behave(self, state, move):
        os._exit(3)


class DieOnce(Scripted):
    """Kills its worker the first time it plays on brick layout ``layout``, then plays normally."""

    def __init__(self, marker: str = "", layout: str = "D4") -> None:
        super().__init__(0)
        self.marker = Path(marker)
        self.layout = layout

    def behave(self, state, move):
        from bttt.layouts import layout_name

        if layout_name(state.rules.bricks) == self.layout and not self.marker.exists():
            self.marker.write_text("died once")
            os._exit(4)
        return move


class Trained(Scripted):
    """A random mover that declares training cells (like an AlphaZero checkpoint)."""

    def __init__(self, cells: str = "D4") -> None:
        super().__init__(0)
        from bttt.cells import parse_cells

        self.training_cells = parse_cells(cells.replace("+", ","))


def raiser(after: int = 0) -> Agent:
    return Raiser(after)


def illegal(after: int = 0) -> Agent:
    return Illegal(after)


def sleeper(after: int = 0, seconds: float = 30.0) -> Agent:
    return Sleeper(after, seconds)


def dier(after: int = 0) -> Agent:
    return Dier(after)


def die_once(marker: str = "", layout: str = "D4") -> Agent:
    return DieOnce(marker, layout)


def slow(delay: float = 0.01) -> Agent:
    return Scripted(0, delay)


def trained(cells: str = "D4") -> Agent:
    return Trained(cells)


class SlowFirst(Scripted):
    """Slow only on the first move it ever makes in a process (like loading compiled kernels)."""

    def __init__(self, seconds: float = 1.0) -> None:
        super().__init__(0)
        self.seconds = seconds
        self.warm = False

    def behave(self, state, move):
        if not self.warm:
            self.warm = True
            time.sleep(self.seconds)
        return move


def slow_first(seconds: float = 1.0) -> Agent:
    return SlowFirst(seconds)


class EchoRequest:
    """A batch request served by echoing its payload (``bad`` ones make the whole call raise)."""

    batch_key = "echo"
    size = 1
    calls: list[int] = []  # sizes of the calls served (in this process)

    def __init__(self, payload: int, bad: bool) -> None:
        self.payload = payload
        self.bad = bad

    @staticmethod
    def serve(requests):
        EchoRequest.calls.append(len(requests))
        if any(r.bad for r in requests):
            raise RuntimeError("deliberate network failure")
        return [r.payload for r in requests]


class Batcher(Scripted):
    """Picks its random move through a batched request (``agents.batching``); ``bad`` breaks move ``after``."""

    def __init__(self, after: int = 0, bad: bool = False) -> None:
        super().__init__(after)
        self.bad = bad

    def step_requests(self, state):
        self.moves += 1
        actions = state.legal_actions()
        index = int(self.rng.integers(len(actions)))
        echoed = yield EchoRequest(index, self.bad and self.moves > self.after)
        return actions[echoed]

    def step(self, state) -> int:
        from agents.batching import run_alone

        return run_alone(self.step_requests(state))


def batcher(after: int = 0, bad: bool = False) -> Agent:
    return Batcher(after, bad)
