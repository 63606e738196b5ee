"""Judges of opening positions: is a start position balanced, or already decided?

A *judge* is any callable ``judge(state) -> float | None`` giving the value of a position for player 1
(who moves first), in ``[-1, 1]``:

* ``+1`` / ``-1``: the judge proved a win for player 1 / player 2 within its horizon (e.g. a search of that
  many plies, or a solver's win whose distance is within the horizon);
* strictly between: an estimate, 0 even (a search's heuristic value, or 0 for a proven draw);
* ``None``: the judge cannot tell (a solver out of budget); :func:`first_verdict` passes the position on.

:class:`MinimaxJudge` is the default: the fast alpha-beta ``minimax`` agent's search to a small depth. Its
search value is exact within the horizon (wins are scored ``WIN - ply``), so a forced win for either side
within ``depth`` plies gives ±1; otherwise the paper's heuristic at the leaves, squashed onto (-1, 1) with the
paper's MCTS scale ``(6 + log10(|v| + 1e-6)) / 6``. :class:`SolverJudge` is the exact solver
(:mod:`bttt.solver`) asked one question within a node budget: can either side force a win within ``horizon``
plies (7 by default)? It proves a longer horizon than the search in the same time, and says None when it has shown that
neither can (or ran out of budget), so ``first_verdict(SolverJudge(), MinimaxJudge())`` -- the
:data:`DEFAULT_JUDGE` of tournaments -- rejects every opening the solver proves decided within the horizon and
records the search's estimate for the rest.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from bttt import GameState

Judge = Callable[[GameState], float | None]
#: Largest value a judge may give a position it has not proven decided.
UNDECIDED_LIMIT = 0.999


class MinimaxJudge:
    """The value for player 1 of a ``minimax`` (fast alpha-beta) search of ``depth`` plies.

    Args:
        depth: the horizon in plies; forced wins within it are found.
        tt_bits: transposition table size (log2 entries); the table is cleared before every position.
        seed: seeds the root move order before every position, so a value never depends on call order.
    """

    def __init__(self, depth: int = 4, tt_bits: int = 16, seed: int = 0) -> None:
        from agents.registry import make_agent

        if not 1 <= depth <= 49:
            raise ValueError(f"judge depth must be 1..49 plies, got {depth}")
        self.depth, self.seed = int(depth), int(seed)
        self.agent = make_agent(f"minimax:depth={self.depth},tt_bits={int(tt_bits)}")
        self.name = f"minimax:depth={self.depth}"

    def __call__(self, state: GameState) -> float | None:
        from agents.minimax_core import MATE_BAND, WIN

        if state.is_terminal():
            return float(0 if state.winner == 0 else (1 if state.winner == 1 else -1))
        self.agent.reset()
        self.agent.seed(self.seed)
        _, value, _, _ = self.agent.search(state)
        mover = 1.0 if state.current_player == 1 else -1.0
        if abs(value) > WIN - MATE_BAND:
            return mover * math.copysign(1.0, value)
        squashed = (6.0 + math.log10(abs(value) + 1e-6)) / 6.0
        return mover * math.copysign(min(max(squashed, 0.0), UNDECIDED_LIMIT), value)

    def __repr__(self) -> str:
        return f"MinimaxJudge(depth={self.depth})"


class SolverJudge:
    """±1 when the exact solver proves a win for player 1 / player 2 within ``horizon`` plies, else None.

    Two null-window probes per position (:meth:`bttt.solver.engine.Solver.test`): "does the side to move win
    within ``horizon`` plies?" and "does it lose within ``horizon`` plies?". A probe that runs out of its
    ``nodes`` budget proves nothing (None). The solver's table and move-ordering history are cleared before
    every position, so a verdict never depends on the positions judged before it (a budget would otherwise run
    out at different points).

    Args:
        horizon: plies; a forced win within it, for either side, rejects the opening.
        nodes: node budget of each probe (None: unlimited).
        tt_bits: the solver's table size (log2 entries).
    """

    def __init__(self, horizon: int = 7, nodes: int | None = 200_000, tt_bits: int = 16) -> None:
        if not 1 <= horizon <= 49:
            raise ValueError(f"solver judge horizon must be 1..49 plies, got {horizon}")
        self.horizon, self.nodes, self.tt_bits = int(horizon), nodes, int(tt_bits)
        self._solvers: dict = {}  # rules -> Solver (building one costs ~0.1 s; clearing it ~1 ms)
        self.name = f"solver:horizon={self.horizon}" + (f",nodes={nodes}" if nodes is not None else "")

    def __call__(self, state: GameState) -> float | None:
        from bttt.solver.engine import Budget, BudgetExhausted, Solver
        from bttt.solver.values import loss_score, win_score

        if state.is_terminal():
            return float(0 if state.winner == 0 else (1 if state.winner == 1 else -1))
        solver = self._solvers.get(state.rules)
        if solver is None:
            solver = self._solvers[state.rules] = Solver(state.rules, tt_bits=self.tt_bits)
        solver.forget()
        me, opp = (state.p1, state.p2) if state.to_move == 1 else (state.p2, state.p1)
        mover = 1.0 if state.to_move == 1 else -1.0
        # The fastest win lies at an odd distance and the longest loss at an even one (values.py).
        win_within = win_score(self.horizon if self.horizon % 2 else self.horizon - 1)
        loss_within = loss_score(self.horizon if self.horizon % 2 == 0 else self.horizon - 1)
        try:
            if solver.test(me, opp, win_within, Budget(nodes=self.nodes).start(solver.nodes)).lo >= win_within:
                return mover
            if (
                loss_within < 0
                and solver.test(me, opp, loss_within + 1, Budget(nodes=self.nodes).start(solver.nodes)).hi
                <= loss_within
            ):
                return -mover
        except BudgetExhausted:
            return None
        return None

    def __repr__(self) -> str:
        return f"SolverJudge(horizon={self.horizon}, nodes={self.nodes})"


def first_verdict(*judges: Judge) -> Judge:
    """A judge that asks ``judges`` in turn and returns the first value that is not None.

    E.g. ``first_verdict(solver_judge, MinimaxJudge(4))``: the solver where it can decide, the search elsewhere.
    """

    def judge(state: GameState) -> float | None:
        for j in judges:
            value = j(state)
            if value is not None:
                return value
        return None

    judge.name = "+".join(getattr(j, "name", repr(j)) for j in judges)  # type: ignore[attr-defined]
    return judge


def judge_name(judge: Judge | None) -> str:
    """A judge's stable name for the record (its ``name`` attribute, else its repr)."""
    if judge is None:
        return "none"
    return str(getattr(judge, "name", None) or repr(judge))


def default_judge() -> Judge:
    """The judge of generated openings: the solver's "won within 7 plies?" first, the depth-4 search's value
    for the rest (see the module docstring)."""
    return first_verdict(SolverJudge(), MinimaxJudge(depth=4))
