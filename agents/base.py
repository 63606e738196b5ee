"""The one interface every player implements.

An agent chooses a legal action for a :class:`bttt.GameState`. Like OpenSpiel's
bots it is a small object with ``step(state) -> action``; ``reset()`` is called
between games and ``seed(seed)`` makes its random choices repeatable. A plain
callable ``state -> action`` works wherever an agent is expected (see
:func:`as_agent`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from bttt import GameState


@runtime_checkable
class AgentProtocol(Protocol):
    name: str

    def step(self, state: GameState) -> int: ...


class Agent:
    """Base class with no-op ``reset`` and ``seed``; subclasses implement :meth:`step`.

    Attributes:
        name: the canonical spec string that identifies this configuration exactly.
        training_cells: brick cells the agent was trained on, or ``None`` for agents
            that were not trained on any (search agents, which serve as controls).
    """

    name: str = "agent"
    training_cells: tuple[int, ...] | None = None

    def step(self, state: GameState) -> int:
        raise NotImplementedError

    def reset(self) -> None:
        """Forget per-game state (e.g. a reused search tree)."""

    def seed(self, seed: int | None) -> None:
        """Reseed every random choice the agent makes."""

    def __call__(self, state: GameState) -> int:
        return self.step(state)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class CallableAgent(Agent):
    """Adapts a plain ``state -> action`` function to the agent interface."""

    def __init__(self, fn: Callable[[GameState], int], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__qualname__", None) or repr(fn)

    def step(self, state: GameState) -> int:
        return int(self.fn(state))


def as_agent(obj) -> Agent:
    """An :class:`Agent` for ``obj``: an agent, a spec string, or a callable."""
    if isinstance(obj, Agent):
        return obj
    if isinstance(obj, str):
        from agents.registry import make_agent

        return make_agent(obj)
    if isinstance(obj, AgentProtocol):
        return obj  # duck-typed third-party agent
    if callable(obj):
        return CallableAgent(obj)
    raise TypeError(f"{obj!r} is not an agent, an agent spec or a callable state -> action")
