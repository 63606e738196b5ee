"""Solving a game state: its value, every legal move's value, the principal line, and the effort.

:func:`solve` is the library front of ``bttt solve``: it takes a :class:`bttt.GameState`, a budget and a
:class:`~bttt.solver.engine.Solver` (which keeps its memory, and optionally a store, between calls) and returns a
:class:`Solution`. A finished position gets its value at once. Moves that a symmetry of the position maps onto
each other share one search.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from bttt.solver.engine import DEFAULT_STRATEGY, Budget, BudgetExhausted, Solver
from bttt.solver.symmetry_tables import transform_bits
from bttt.solver.values import SCORE_MAX, Bounds, parent_score, score_text
from bttt.state import GameState

MOVE_MODES = ("all", "optimal", "none")


@dataclass(frozen=True)
class MoveValue:
    """A legal move and what is proven about it, for the player who makes it.

    Attributes:
        move: the cell index; ``name`` its name.
        bounds: the move's proven score interval (exact when ``bounds.exact``).
        optimal: whether it keeps the position's value (None when the bounds do not decide it).
    """

    move: int
    name: str
    bounds: Bounds
    optimal: bool | None

    def to_dict(self) -> dict:
        return {"move": self.name, **_bounds_dict(self.bounds), "optimal": self.optimal}


@dataclass
class Solution:
    """What :func:`solve` proved about a position (values for the side to move)."""

    position: str
    to_move: int
    bounds: Bounds
    moves: list[MoveValue] = field(default_factory=list)
    pv: list[int] = field(default_factory=list)
    nodes: int = 0
    seconds: float = 0.0
    finished: bool = False
    complete: bool = True
    strategy: str = DEFAULT_STRATEGY

    @property
    def optimal_moves(self) -> list[int]:
        return [m.move for m in self.moves if m.optimal]

    def to_dict(self, names) -> dict:
        """A JSON-ready dict (``names`` maps a cell index to its name)."""
        return {
            "position": self.position,
            "to_move": self.to_move,
            **_bounds_dict(self.bounds),
            "finished": self.finished,
            "complete": self.complete,
            "moves": [m.to_dict() for m in self.moves],
            "optimal_moves": [names(m) for m in self.optimal_moves],
            "principal_line": [names(m) for m in self.pv],
            "nodes": self.nodes,
            "seconds": round(self.seconds, 6),
            "strategy": self.strategy,
        }


def _bounds_dict(b: Bounds) -> dict:
    return {
        "value": b.outcome if b.outcome != "draw" or b.exact else "unknown",
        "exact": b.exact,
        "distance": b.distance,
        "score": b.score,
        "lower": b.lo,
        "upper": b.hi,
        "text": b.text(),
    }


def side_bitboards(state: GameState) -> tuple[int, int]:
    """``(me, opp)``: the stones of the side to move and of the other side."""
    return (state.p1, state.p2) if state.to_move == 1 else (state.p2, state.p1)


def finished_bounds(state: GameState) -> Bounds:
    """The value of a finished game for the side that would move next: lost in 0 plies, or a draw."""
    return Bounds(-SCORE_MAX, -SCORE_MAX) if state.winner else Bounds(0, 0)


def solve(
    state: GameState,
    solver: Solver | None = None,
    budget: Budget | None = None,
    moves: str = "all",
    pv: bool = True,
    strategy: str = DEFAULT_STRATEGY,
) -> Solution:
    """Solve ``state`` for the side to move.

    Args:
        state: any position of any variant.
        solver: a :class:`Solver` for ``state.rules`` (a fresh one if None); reuse one to keep what it proved.
        budget: time and node limits for everything this call does (None: no limit). When it runs out, the
            solution holds the intervals proven so far and ``complete`` is False.
        moves: ``"all"`` (every legal move's exact value), ``"optimal"`` (only whether each move keeps the
            value: cheaper) or ``"none"``.
        pv: find the principal line (optimal play to the end, fastest win against longest defence).
        strategy: the probe order (:data:`bttt.solver.engine.STRATEGIES`).
    """
    if moves not in MOVE_MODES:
        raise ValueError(f"moves must be one of {MOVE_MODES}, got {moves!r}")
    solver = solver if solver is not None else Solver(state.rules)
    if solver.rules != state.rules:
        raise ValueError(f"the solver is for {solver.rules!r}, the position for {state.rules!r}")
    t0 = time.perf_counter()
    nodes0 = solver.nodes
    out = Solution(state.serialize(), state.to_move, Bounds(), strategy=strategy)
    if state.is_terminal():
        out.bounds, out.finished = finished_bounds(state), True
        return out
    run = (budget or Budget()).start(solver.nodes)
    me, opp = side_bitboards(state)
    out.bounds = solver.value(me, opp, run, strategy, started=True)
    if moves != "none":
        out.moves = _move_values(solver, state, out.bounds, run, moves, strategy)
        best = Bounds(max(m.bounds.lo for m in out.moves), max(m.bounds.hi for m in out.moves))
        out.bounds = out.bounds.intersect(best)
        out.moves = [_mark(m, out.bounds) for m in out.moves]
    if pv and out.bounds.exact:
        out.pv = principal_line(solver, state, out.bounds.lo, run, strategy)
    out.complete = out.bounds.exact and all(m.optimal is not None for m in out.moves)
    if moves == "all":
        out.complete = out.complete and all(m.bounds.exact for m in out.moves)
    out.nodes = solver.nodes - nodes0
    out.seconds = time.perf_counter() - t0
    return out


def _mark(m: MoveValue, root: Bounds) -> MoveValue:
    """Decide ``optimal`` from the bounds: a move is optimal when its value equals the position's."""
    if root.exact and m.bounds.lo >= root.lo:
        return MoveValue(m.move, m.name, m.bounds, True)
    if m.bounds.hi < root.lo:
        return MoveValue(m.move, m.name, m.bounds, False)
    return MoveValue(m.move, m.name, m.bounds, None)


def move_orbits(solver: Solver, state: GameState) -> list[list[int]]:
    """The legal moves grouped by the symmetries that leave the position unchanged (each group shares a value)."""
    me, opp = side_bitboards(state)
    sym = solver.sym
    keep = [
        i
        for i in range(sym.count)
        if int(transform_bits(np.uint64(me), i, sym)) == me and int(transform_bits(np.uint64(opp), i, sym)) == opp
    ]
    groups: dict[int, list[int]] = {}
    for m in state.legal_actions():
        rep = min(int(sym.perm[i, m]) for i in keep)
        groups.setdefault(rep, []).append(m)
    return list(groups.values())


def _move_values(solver, state, root: Bounds, run: Budget, mode: str, strategy: str) -> list[MoveValue]:
    me, opp = side_bitboards(state)
    out: list[MoveValue] = []
    for group in move_orbits(solver, state):
        m = group[0]
        child = state.child(m)
        if child.is_terminal():
            b = finished_bounds(child).for_parent()
        elif mode == "all" or not root.exact:
            b = solver.value(opp, me | 1 << m, run, strategy, started=True).for_parent()
        else:
            b = _keeps(solver, opp, me | 1 << m, root.lo, run)
        out.extend(MoveValue(g, state.rules.name(g), b, None) for g in group)
    out.sort(key=lambda v: v.move)
    return out


def _keeps(solver: Solver, me: int, opp: int, value: int, run: Budget) -> Bounds:
    """The parent's bounds for the move into ``(me, opp)``, enough to tell whether it keeps ``value``."""
    target = -value - 1 if value > 0 else (-value + 1 if value < 0 else 0)  # the child score that keeps it
    known, _ = solver.peek(me, opp)
    if known.hi <= target or known.lo > target:
        return known.for_parent()
    try:
        found = solver.test(me, opp, target + 1, run)
    except BudgetExhausted:
        return solver.peek(me, opp)[0].intersect(known).for_parent()
    return known.intersect(found).for_parent()


def principal_line(
    solver: Solver, state: GameState, value: int, budget: Budget, strategy: str, limit: int = 64
) -> list[int]:
    """Optimal moves from ``state`` (exact score ``value``) to the end: the fastest win, the longest defence.

    Stops early (a shorter line) if the budget runs out.
    """
    line: list[int] = []
    s = state.clone()
    try:
        while not s.is_terminal() and len(line) < limit:
            move = _optimal_move(solver, s, value, budget)
            if move is None:
                break
            line.append(move)
            s.apply_action(move)
            value = -value - 1 if value > 0 else (-value + 1 if value < 0 else 0)  # the child's own score
    except BudgetExhausted:
        pass
    return line


def _optimal_move(solver: Solver, s: GameState, value: int, budget: Budget) -> int | None:
    """A move that keeps ``value`` (the table's move first), or None if the budget runs out first."""
    me, opp = side_bitboards(s)
    _, tt_move = solver.peek(me, opp)
    order = s.legal_actions()
    if tt_move in order:
        order.remove(tt_move)
        order.insert(0, tt_move)
    for m in order:
        child = s.child(m)
        if child.is_terminal():
            if parent_score(finished_bounds(child).lo) == value:
                return m
            continue
        b = _keeps(solver, opp, me | 1 << m, value, budget)
        if b.lo >= value:
            return m
    return None


def describe(solution: Solution, rules) -> str:
    """The text ``bttt solve`` prints."""
    b = solution.bounds
    lines = [
        f"position: {solution.position}",
        f"to move: {'O (player 1)' if solution.to_move == 1 else 'X (player 2)'}",
    ]
    if solution.finished:
        lines.append(f"value: {score_text(b.lo)} (the game is over)")
        return "\n".join(lines)
    status = "" if b.exact else "  (unknown: the budget ran out)"
    lines.append(f"value: {b.text()}{status}")
    if solution.moves:
        lines.append("moves (value for the player making it; * = optimal, ? = not decided):")
        for m in sorted(solution.moves, key=lambda v: (-v.bounds.lo, -v.bounds.hi, v.move)):
            mark = "*" if m.optimal else ("?" if m.optimal is None else " ")
            lines.append(f"  {mark} {m.name:<4} {m.bounds.text()}")
    if solution.pv:
        lines.append("principal line: " + " ".join(rules.name(c) for c in solution.pv))
    rate = solution.nodes / solution.seconds if solution.seconds > 0 else 0.0
    lines.append(f"nodes: {solution.nodes}  time: {solution.seconds:.3f} s  ({rate / 1e6:.2f} M nodes/s)")
    return "\n".join(lines)
