"""Minimax agents: the paper's depth-2 player, and a fast alpha-beta for play.

``minimax:preset=paper`` is the original algorithm (mode=paper, depth=2): every root
move is scored exactly with the expert heuristic at the leaves and +1/-1/0 for
finished games, and the move is drawn uniformly among exact ties.

``minimax:depth=6`` (mode=fast) is a numba negamax with alpha-beta cut-offs, move
ordering, a transposition table and iterative deepening; ``time=`` adds a time
budget in seconds (the search deepens up to ``depth`` while time remains). Wins are
preferred sooner and losses later. Ties among root moves are broken at random by the
seeded root order.
"""

from __future__ import annotations

import time

import numpy as np

from agents.base import Agent
from agents.heuristic import heuristic_tables
from agents.minimax_core import MATE_BAND, WIN, SearchTables, negamax_root, new_search_tables
from agents.minimax_paper import paper_root_values
from agents.registry import AgentEntry, Param, non_negative, register_agent
from bttt import GameState
from bttt.parallel import call_interruptibly

_UNLIMITED = 1 << 62
_INTERRUPTIBLE_AFTER = 0.05  # seconds of search after which each deeper iteration runs where Ctrl-C can stop it


class MinimaxAgent(Agent):
    """Depth-limited Minimax; see the module docstring for the two modes."""

    def __init__(
        self,
        depth: int | None = None,
        time: float | None = None,
        mode: str | None = None,
        preset: str | None = None,
        tt_bits: int | None = None,
        seed: int | None = None,
    ) -> None:
        """Parameters left as None take the registry's defaults, or the ``preset``'s values (``preset="paper"``)."""
        v = ENTRY.resolve({"depth": depth, "time": time, "mode": mode, "preset": preset, "tt_bits": tt_bits})
        self.depth, self.time, self.mode, self.preset, self.tt_bits = (
            int(v["depth"]),
            float(v["time"]),
            v["mode"],
            v["preset"],
            int(v["tt_bits"]),
        )
        self.name = ENTRY.canonical_name(v)
        self._tt: SearchTables | None = None
        self.last_info: dict = {}
        self.seed(seed)

    # ------------------------------------------------------------ interface
    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)

    def reset(self) -> None:
        self._tt = None

    def step(self, state: GameState) -> int:
        if state.is_terminal():
            raise ValueError("no legal move: the game is over")
        if self.mode == "paper":
            return self._step_paper(state)
        return self.search(state)[0]

    # ---------------------------------------------------------------- paper
    def root_values(self, state: GameState) -> dict[int, float]:
        """The original Minimax value (player 1's view) of every legal move."""
        rules = state.rules
        moves, values = paper_root_values(
            np.uint64(state.p1), np.uint64(state.p2), state.to_move, self.depth, rules.tables, heuristic_tables(rules)
        )
        return {int(m): float(v) for m, v in zip(moves, values, strict=True)}

    def best_actions(self, state: GameState) -> list[int]:
        """The moves tied (exactly) for the best original Minimax value."""
        values = self.root_values(state)
        best = max(values.values()) if state.to_move == 1 else min(values.values())
        return [m for m, v in values.items() if v == best]

    def _step_paper(self, state: GameState) -> int:
        ties = self.best_actions(state)
        self.last_info = {"ties": ties}
        return ties[int(self.rng.integers(len(ties)))]

    # ----------------------------------------------------------------- fast
    def _table(self) -> SearchTables:
        if self._tt is None:
            self._tt = new_search_tables(self.tt_bits)
        return self._tt

    def search(self, state: GameState) -> tuple[int, float, int, int]:
        """Iterative deepening; returns (move, value for the side to move, depth reached, nodes)."""
        t, heur, tt = state.rules.tables, heuristic_tables(state.rules), self._table()
        tt.history[:] //= 4  # age the history of previous moves
        tt.killers[:] = -1
        order = np.array(state.legal_actions(), dtype=np.int64)
        self.rng.shuffle(order)
        p1, p2 = np.uint64(state.p1), np.uint64(state.p2)
        start = time.perf_counter()
        deadline = start + self.time if self.time > 0 else None
        best, value, reached, nodes, nps = int(order[0]), 0.0, 0, 0, 2e6
        for depth in range(1, self.depth + 1):
            limit = _UNLIMITED
            if deadline is not None and depth > 1:
                remaining = deadline - time.perf_counter()
                if remaining <= 0:
                    break
                limit = max(1, int(remaining * nps))
            t0 = time.perf_counter()
            args = (p1, p2, state.to_move, depth, order, limit, t, heur, tt)
            # a deeper iteration takes several times longer than the last: search it where Ctrl-C can stop us
            long = time.perf_counter() - start > _INTERRUPTIBLE_AFTER
            move, val, values, n, aborted = call_interruptibly(negamax_root, *args) if long else negamax_root(*args)
            nodes += n
            if aborted:
                break
            nps = max(1e5, n / max(time.perf_counter() - t0, 1e-6))
            best, value, reached = int(move), float(val), depth
            order = order[np.argsort(-values, kind="stable")]
            if abs(value) > WIN - MATE_BAND:
                break
        self.last_info = {"depth": reached, "value": value, "nodes": nodes, "seconds": time.perf_counter() - start}
        return best, value, reached, nodes


def _depth_ok(v: int) -> str | None:
    return None if 1 <= v <= 49 else "must be 1..49"


def _tt_ok(v: int) -> str | None:
    return None if 10 <= v <= 26 else "must be 10..26 (table of 2**tt_bits entries)"


ENTRY = register_agent(
    AgentEntry(
        "minimax",
        MinimaxAgent,
        (
            Param("depth", int, 4, "search depth in plies (the maximum when time is set)", check=_depth_ok),
            Param("time", float, 0.0, "time budget per move in seconds, 0 = none (fast mode)", check=non_negative),
            Param(
                "mode",
                str,
                "fast",
                "fast: alpha-beta with TT and iterative deepening; paper: the original "
                "algorithm (exact root values, random among ties)",
                choices=("fast", "paper"),
            ),
            Param("preset", str, "none", "paper = mode=paper,depth=2 (the paper's Minimax)", choices=("none", "paper")),
            Param("tt_bits", int, 18, "transposition table size, log2 entries (fast mode)", check=_tt_ok),
        ),
        "alpha-beta Minimax with the paper's expert heuristic",
        presets={"paper": {"depth": 2, "mode": "paper"}},
    )
)
