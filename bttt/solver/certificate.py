"""Writing certificates: the strategies that prove a solved position's value, for :mod:`bttt.solver.checker`.

For a win in ``N`` the winner's strategy is collected by walking the proof: at each position where the winner
is to move (and cannot win at once, which the checker finds by itself) the solver picks a move that still wins
within the plies left -- those left are fixed by the position, since every move adds one stone -- and at the
loser's turns every reply is followed (except those after which the winner completes a line at once). For a draw
each side's strategy is collected the same way: a move keeping at least a draw at that side's turns, every reply
at the other's, until the other side has no line left without one of our stones.

The file is JSON: ``format``, ``version``, ``position`` (serialised), ``claim`` (``{"value": "win", "within": N}``
or ``{"value": "draw"}``), ``strategies`` (``{"1": {key: move}, "2": {...}}``, keys from
:func:`bttt.solver.checker.position_key`) and how it was made.
"""

from __future__ import annotations

import json
import platform
import time
from pathlib import Path

import numpy as np

from bttt.errors import BtttError
from bttt.kernels import winning_cells, winning_cells_after
from bttt.paths import atomic_write
from bttt.solver.checker import FORMAT, FORMAT_VERSION, position_key
from bttt.solver.engine import Budget, BudgetExhausted, Solver
from bttt.solver.solve import side_bitboards
from bttt.solver.values import distance, loss_score
from bttt.state import GameState


class CertificateBudgetError(BtttError):
    """The budget ran out before the certificate was complete (nothing is written)."""


def _lines(state: GameState) -> list[int]:
    return list(state.rules.tables.win_masks.tolist())


class _Writer:
    def __init__(self, solver: Solver, root: GameState, budget: Budget) -> None:
        self.solver = solver
        self.root = root
        self.budget = budget
        self.t = root.rules.tables
        self.lines = _lines(root)
        self.strategies: dict[int, dict[str, str]] = {1: {}, 2: {}}

    def has_immediate_win(self, s: GameState) -> bool:
        me, opp = side_bitboards(s)
        return bool(winning_cells(np.uint64(me), np.uint64(opp), self.t))

    def double_threat(self, s: GameState) -> bool:
        """Whether the side to move has a move making two winning cells while the opponent has none."""
        me, opp = side_bitboards(s)
        if winning_cells(np.uint64(opp), np.uint64(me), self.t):
            return False
        for m in s.legal_actions():
            w = int(winning_cells_after(np.uint64(me), np.uint64(opp), m, self.t))
            if w & (w - 1):
                return True
        return False

    def win(self, within: int) -> None:
        winner = self.root.to_move
        base = len(self.root.history)
        seen: set[tuple[int, int]] = set()
        stack = [self.root]
        while stack:
            s = stack.pop()
            if s.is_terminal() or (s.p1, s.p2) in seen:
                continue
            seen.add((s.p1, s.p2))
            left = within - (len(s.history) - base)
            if s.to_move == winner:
                if self.has_immediate_win(s) or self.double_threat(s):
                    continue  # the checker finds these by itself
                move = self._move_within(s, left)
                self.strategies[winner][position_key(s)] = s.rules.name(move)
                stack.append(s.child(move))
            else:
                me, opp = side_bitboards(s)
                threats = winning_cells(np.uint64(opp), np.uint64(me), self.t)
                if int(threats) & (int(threats) - 1) and not int(winning_cells(np.uint64(me), np.uint64(opp), self.t)):
                    continue  # two threats against none: lost in two, which the checker verifies
                for m in s.legal_actions():
                    child = s.child(m)
                    if not child.is_terminal() and not self.has_immediate_win(child):
                        stack.append(child)

    def _move_within(self, s: GameState, left: int) -> int:
        """A move after which the opponent loses within ``left - 1`` plies."""
        me, opp = side_bitboards(s)
        _, tt_move = self.solver.peek(me, opp)
        forcing = [m for m in s.legal_actions() if winning_cells_after(np.uint64(me), np.uint64(opp), m, self.t)]
        order = [m for m in s.legal_actions() if m not in forcing]
        order = forcing + order  # moves that make a threat force the reply: small subtrees
        if tt_move in order:
            order.remove(tt_move)
            order.insert(0, tt_move)
        target = loss_score(left - 1)  # the child must score at most this
        for m in order:
            if s.child(m).is_terminal():
                return m
            child_me, child_opp = opp, me | 1 << m
            known, _ = self.solver.peek(child_me, child_opp)
            if known.hi <= target:
                return m
            if known.lo > target:
                continue
            if self.solver.test(child_me, child_opp, target + 1, self.budget).hi <= target:
                return m
        raise AssertionError(f"no move wins within {left} plies at {s.serialize()}")  # pragma: no cover

    def draw_strategy(self, side: int) -> None:
        seen: set[tuple[int, int]] = set()
        stack = [self.root]
        while stack:
            s = stack.pop()
            if s.is_terminal() or (s.p1, s.p2) in seen:
                continue
            seen.add((s.p1, s.p2))
            mine = s.p1 if side == 1 else s.p2
            if all(line & mine for line in self.lines):
                continue
            if s.to_move == side:
                if self.has_immediate_win(s):
                    continue
                move = self._move_keeping_draw(s)
                self.strategies[side][position_key(s)] = s.rules.name(move)
                stack.append(s.child(move))
            else:
                stack.extend(s.child(m) for m in s.legal_actions())

    def _move_keeping_draw(self, s: GameState) -> int:
        me, opp = side_bitboards(s)
        _, tt_move = self.solver.peek(me, opp)
        order = s.legal_actions()
        if tt_move in order:
            order.remove(tt_move)
            order.insert(0, tt_move)
        for m in order:
            child = s.child(m)
            if child.is_terminal():
                return m  # a win, or a full board: at least a draw
            known, _ = self.solver.peek(opp, me | 1 << m)
            if known.hi <= 0:
                return m
            if known.lo > 0:
                continue
            if self.solver.test(opp, me | 1 << m, 1, self.budget).hi <= 0:
                return m
        raise AssertionError(f"no move keeps a draw at {s.serialize()}")  # pragma: no cover


def make_certificate(state: GameState, solver: Solver | None = None, budget: Budget | None = None) -> dict:
    """The certificate of ``state``'s value (a win for the side to move, or a draw), as a JSON-ready dict.

    Raises :class:`BtttError` if the position is lost for the side to move (certify the position before the
    winning side's move instead), finished, or not solved within ``budget``.
    """
    if state.is_terminal():
        raise BtttError("the position is finished: there is nothing to prove")
    solver = solver if solver is not None else Solver(state.rules)
    t0 = time.perf_counter()
    nodes0 = solver.nodes
    run = (budget or Budget()).start(solver.nodes)
    me, opp = side_bitboards(state)
    try:
        value = solver.value(me, opp, run, started=True)
        if not value.exact:
            raise CertificateBudgetError(f"the position is not solved within the budget ({value.text()})")
        if value.lo < 0:
            raise BtttError(
                f"the side to move loses ({value.text()}): certify a position where the winner is to move, "
                "e.g. after one of the loser's moves"
            )
        writer = _Writer(solver, state, run)
        if value.lo > 0:
            writer.win(distance(value.lo))
            claim = {"value": "win", "within": distance(value.lo)}
        else:
            writer.draw_strategy(1)
            writer.draw_strategy(2)
            claim = {"value": "draw"}
    except BudgetExhausted:
        raise CertificateBudgetError("the budget ran out while the certificate was written") from None
    return {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "position": state.serialize(),
        "claim": claim,
        "strategies": {str(p): dict(sorted(v.items())) for p, v in writer.strategies.items()},
        "made_by": {
            "tool": "bttt solve --certificate",
            "nodes": solver.nodes - nodes0,
            "seconds": round(time.perf_counter() - t0, 3),
            "machine": platform.machine(),
        },
    }


def write_certificate(doc: dict, path: str | Path) -> None:
    """Write ``doc`` to ``path`` (compact JSON, one strategy entry per line for readable diffs)."""
    path = Path(path)
    body = dict(doc)
    strategies = body.pop("strategies")
    head = json.dumps(body, sort_keys=True)[:-1]
    parts = []
    for player, entries in strategies.items():
        rows = ",\n".join(f"    {json.dumps(k)}: {json.dumps(v)}" for k, v in entries.items())
        parts.append(f'  "{player}": {{\n{rows}\n  }}' if rows else f'  "{player}": {{}}')
    text = head + ', "strategies": {\n' + ",\n".join(parts) + "\n}}\n"
    json.loads(text)  # it must read back
    atomic_write(path, text)
