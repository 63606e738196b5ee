"""A person at the terminal: types cell names, bad input is explained and asked again."""

from __future__ import annotations

import builtins
from collections.abc import Callable

from agents.base import Agent
from agents.registry import AgentEntry, register_agent
from bttt import GameState
from bttt.cells import parse_cell
from bttt.errors import BtttError, CellNameError, IllegalMoveError

_QUIT = ("quit", "exit", "q")
_HELP = ("moves", "help", "?")


class HumanQuit(BtttError):
    """The human ended the game (typed quit, or the input ran out)."""


class HumanAgent(Agent):
    """Asks for a move with ``input_fn`` (default: the built-in ``input``) and reports problems with ``output``."""

    name = "human"

    def __init__(
        self, input_fn: Callable[[str], str] | None = None, output: Callable[[str], None] | None = None
    ) -> None:
        self.input_fn = input_fn
        self.output = output

    def _say(self, text: str) -> None:
        (self.output or print)(text)

    def step(self, state: GameState) -> int:
        rules = state.rules
        mark = "O" if state.to_move == 1 else "X"
        ask = self.input_fn or builtins.input
        while True:
            try:
                text = ask(f"{mark} to move: type a cell such as D3 ('moves' lists the free cells, 'quit' stops): ")
            except EOFError:
                raise HumanQuit("the input ended before a move was typed") from None
            text = (text or "").strip()
            low = text.lower()
            if not text:
                self._say("Please type a cell name, a row letter then a column number, e.g. D3.")
                continue
            if low in _QUIT:
                raise HumanQuit("game abandoned by the human player")
            if low in _HELP:
                self._say("Free cells: " + " ".join(rules.name(c) for c in state.legal_actions()))
                continue
            try:
                cell = parse_cell(text, rules.rows, rules.cols)
                state.clone().apply_action(cell)  # raises with the reason if illegal
            except (CellNameError, IllegalMoveError) as exc:
                self._say(f"Not a legal move: {exc}. Try again.")
                continue
            return cell


register_agent(AgentEntry("human", HumanAgent, (), "a person typing cell names at the terminal"))
