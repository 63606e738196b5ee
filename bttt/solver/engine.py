"""The solver's driver: budgets, slices and the order of null-window probes that pins a value down.

A :class:`Solver` owns one variant's search memory (transposition table, stack, symmetry tables). It proves
facts of the form "the score is at least ``x``" with null-window searches (:mod:`bttt.solver.search`), each run in
slices of about a quarter of a second, so a deadline, a node budget and Ctrl-C are honoured between slices and a
search that runs out of budget reports the interval proven so far -- never a guess.

*Strategies* choose the next threshold ``x`` from the interval ``[lo, hi]`` known so far:

* ``horizon`` (the default; see docs/solver.md for the measurements behind the choice): iterative deepening on
  the proof horizon: "win within 1?", "no loss within 2?", "win within 3?", ... The first win threshold that holds
  is the exact (fastest) win, the first loss threshold that fails the exact (longest) loss; each probe is bounded
  in depth by the static bounds, and the table carries what it proved into the next.
* ``wdl``: first win/draw/loss (is the score above 0? at least 0?), then the distance by the same ascending scan.
* ``bisect``: a binary search over the scores still possible, the middle pulled towards the draw (as Pons's
  Connect-4 solver does).
* ``mtdf``: MTD(f) from the draw: each probe at the last value returned.
* ``full``: one search with the whole window (alpha-beta without null windows).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from bttt.rules import Rules
from bttt.solver import search
from bttt.solver.strategy import NAMES, next_threshold
from bttt.solver.symmetry_tables import symmetry_tables
from bttt.solver.table import new_table

if TYPE_CHECKING:
    from bttt.solver.store import SolutionStore
from bttt.solver.values import SCORE_MAX, Bounds, loss_score, win_score

STRATEGIES = (*NAMES, "full")
DEFAULT_STRATEGY = "horizon"
DEFAULT_TT_BITS = 22
_SLICE_SECONDS = 0.25
_FIRST_SLICE = 20_000


class BudgetExhausted(Exception):
    """Internal: the time or node budget ran out inside a probe."""


@dataclass
class Budget:
    """A time and node allowance shared by every probe of one solve.

    Args:
        seconds: wall-clock seconds from :meth:`start` (None: no limit).
        nodes: nodes to search in all (None: no limit).
    """

    seconds: float | None = None
    nodes: int | None = None
    deadline: float | None = None
    node_cap: int | None = None

    @property
    def reproducible(self) -> bool:
        """A node count alone: what it proves depends on the positions asked (and the table), never on the
        machine's speed or load, so callers that want reproducible answers start from :meth:`Solver.forget`."""
        return self.seconds is None and self.nodes is not None

    def start(self, solver_nodes: int) -> Budget:
        """This budget counted from now and from the solver's current node count."""
        deadline = None if self.seconds is None else time.perf_counter() + self.seconds
        cap = None if self.nodes is None else solver_nodes + self.nodes
        return Budget(self.seconds, self.nodes, deadline, cap)

    def nodes_left(self, solver_nodes: int) -> int | None:
        return None if self.node_cap is None else self.node_cap - solver_nodes

    def time_left(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.perf_counter()


UNLIMITED = Budget()


class Solver:
    """Exact search for one variant, with its memory kept between calls.

    Args:
        rules: the variant (any board, win length and bricks).
        tt_bits: the transposition table holds ``2**tt_bits`` entries of ``ENTRY_BYTES`` (21) bytes.
        features: :data:`bttt.solver.search.ALL_FEATURES` or a subset (the benchmark's baselines).
        on_slice: called after every slice (e.g. to show progress).
        store: a :class:`~bttt.solver.store.SolutionStore` for ``rules``: its positions are loaded now, and what
            the solver proves is written to it every ``flush_seconds`` and by :meth:`flush`.
    """

    def __init__(
        self,
        rules: Rules,
        tt_bits: int = DEFAULT_TT_BITS,
        features: int = search.ALL_FEATURES,
        on_slice: Callable[[Solver], None] | None = None,
        store: SolutionStore | None = None,
        flush_seconds: float = 30.0,
    ) -> None:
        self.rules = rules
        self.t = rules.tables
        self.features = features
        self.sym = symmetry_tables(rules, bool(features & search.SYMMETRY))
        self.tt = new_table(tt_bits)
        self.tt_bits = tt_bits
        self.stack = search.new_stack()
        self.nodes = 0
        self.probes = 0
        self.on_slice = on_slice
        self._rate = 2e6  # nodes per second, updated from every slice
        self.n_cells = rules.n_cells - len(rules.bricks)
        self.store = store
        self.flush_seconds = flush_seconds
        self.loaded = 0
        self._last_flush = time.perf_counter()
        if store is not None:
            if store.rules != rules:
                raise ValueError(f"the store is for {store.rules!r}, the solver for {rules!r}")
            if not features & search.SYMMETRY:
                raise ValueError("a store holds canonical positions: the solver needs the SYMMETRY feature")
            self.loaded = store.load_into(self.tt, self.sym)
            history = store.load_history(self.stack.history.shape)
            if history is not None:
                self.stack.history[:] = history

    def forget(self) -> None:
        """Start from an empty table and stack, so that what a node budget proves next depends only on the
        positions asked from here on (the store, if any, is not reloaded)."""
        self.tt, self.stack = new_table(self.tt_bits), search.new_stack()

    def flush(self) -> int:
        """Write what the table proved to the store (if any); the number of positions written."""
        self._last_flush = time.perf_counter()
        if self.store is None:
            return 0
        self.store.save_history(self.stack.history)
        return self.store.save_from(self.tt)

    # ------------------------------------------------------------------------------------------- low level
    @property
    def memory_bytes(self) -> int:
        return sum(a.nbytes for a in self.tt) + sum(a.nbytes for a in self.stack)

    def peek(self, me: int, opp: int) -> tuple[Bounds, int]:
        """The interval known without searching (static bounds and the table) and the table's move (-1: none)."""
        lo, hi, move = search.peek(np.uint64(me), np.uint64(opp), self.t, self.sym, self.tt, self.features)
        return Bounds(int(lo), int(hi)), int(move)

    def probe(self, me: int, opp: int, alpha: int, beta: int, budget: Budget = UNLIMITED) -> int:
        """The fail-soft value of ``(me, opp)`` in the window ``(alpha, beta)``; raises :class:`BudgetExhausted`."""
        st = self.stack
        search.start(st, np.uint64(me), np.uint64(opp), alpha, beta)
        self.probes += 1
        slice_nodes = _FIRST_SLICE
        while True:
            left = budget.nodes_left(self.nodes)
            if left is not None and left <= 0:
                raise BudgetExhausted
            chunk = slice_nodes if left is None else min(slice_nodes, left)
            t0 = time.perf_counter()
            before = int(st.regs[4])
            done = search.run(st, self.tt, self.t, self.sym, self.features, chunk)
            spent = int(st.regs[4]) - before
            self.nodes += spent
            took = time.perf_counter() - t0
            if spent >= 1000 and took > 0:
                self._rate = spent / took
            if self.store is not None and time.perf_counter() - self._last_flush >= self.flush_seconds:
                self.flush()
            if self.on_slice is not None:
                self.on_slice(self)
            if done:
                return int(st.regs[2])
            remaining = budget.time_left()
            if remaining is not None and remaining <= 0:
                raise BudgetExhausted
            target = _SLICE_SECONDS if remaining is None else max(0.005, min(_SLICE_SECONDS, remaining))
            slice_nodes = max(1000, int(self._rate * target))

    def test(self, me: int, opp: int, x: int, budget: Budget = UNLIMITED) -> Bounds:
        """Prove "score >= x" or its negation; the bounds this probe proves (fail-soft: often more)."""
        r = self.probe(me, opp, x - 1, x, budget)
        return Bounds(r, SCORE_MAX) if r >= x else Bounds(-SCORE_MAX, r)

    # ------------------------------------------------------------------------------------------ strategies
    def value(
        self, me: int, opp: int, budget: Budget = UNLIMITED, strategy: str = DEFAULT_STRATEGY, started: bool = False
    ) -> Bounds:
        """The proven interval of the position ``(me, opp)`` (side to move first): exact unless the budget ran
        out. ``budget`` is started here unless ``started``."""
        if strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
        budget = budget if started else budget.start(self.nodes)
        known, _ = self.peek(me, opp)
        if known.exact:
            return known
        known = known.intersect(Bounds(loss_score(2), win_score(1)))
        if strategy == "full":
            return self._full(me, opp, known, budget)
        code = NAMES.index(strategy)
        empties = (int(self.t.full) & ~(me | opp)).bit_count()
        last = 0
        try:
            while not known.exact:
                x = int(next_threshold(code, known.lo, known.hi, empties, last))
                found = self.test(me, opp, x, budget)
                last = found.lo if found.lo >= x else found.hi
                known = known.intersect(found).intersect(self.peek(me, opp)[0])
        except BudgetExhausted:
            known = known.intersect(self.peek(me, opp)[0])
        return known

    def _full(self, me: int, opp: int, known: Bounds, budget: Budget) -> Bounds:
        try:
            r = self.probe(me, opp, known.lo - 1, known.hi + 1, budget)
        except BudgetExhausted:
            return known.intersect(self.peek(me, opp)[0])
        return Bounds(r, r)

    def values(self, me, opp, node_budget: int = 0, strategy: str = DEFAULT_STRATEGY) -> tuple[np.ndarray, ...]:
        """Solve many positions in one numba call (no time limit, ``node_budget`` nodes each, 0 = none).

        Args:
            me, opp: arrays of bitboards (the side to move's stones, the opponent's).
        Returns:
            ``(lo, hi, nodes)`` arrays: each position's proven interval and the nodes it took.
        """
        me = np.ascontiguousarray(me, dtype=np.uint64)
        opp = np.ascontiguousarray(opp, dtype=np.uint64)
        lo = np.empty(me.shape[0], dtype=np.int64)
        hi = np.empty(me.shape[0], dtype=np.int64)
        nodes = np.empty(me.shape[0], dtype=np.int64)
        code = NAMES.index(strategy) if strategy != "full" else NAMES.index(DEFAULT_STRATEGY)
        search.solve_many(
            me, opp, self.stack, self.tt, self.t, self.sym, self.features, code, node_budget, lo, hi, nodes
        )
        self.nodes += int(nodes.sum())
        return lo, hi, nodes
