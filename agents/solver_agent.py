"""The perfect player: the exact solver's optimal move, or a fallback agent's when the budget runs out first.

``solver:time=1.0`` solves each position it is given (:func:`bttt.solver.solve.solve`, ``moves="optimal"``)
within ``time`` seconds (and ``nodes``, if set) and plays an optimal move: the fastest win, the longest defence
in a lost position, a drawing move in a drawn one; among equally good moves the choice is drawn from the agent's
seed. When the budget runs out before the position's value and at least one optimal move are proven, it plays the
move of its ``fallback`` agent (``minimax:depth=4`` by default; write ``;`` for the commas of the fallback's own
spec, e.g. ``fallback=mcts:iterations=2000;c=1.0``) and counts it: :attr:`SolverAgent.fallback_moves` of
:attr:`SolverAgent.moves_played`, also in ``last_info``.

The solver's table is kept from move to move while the layout stays the same, and from game to game too,
except under a node budget alone (``time=0,nodes=N``, no store): there every game starts from an empty table,
so what the budget proves, and hence the game, depends on that game alone and not on the games a worker played
before (the tournament's workers, order and resume). ``store=DIR`` keeps proven positions in a folder of
solution stores (one file per layout), shared by every game and run.
It declares no training cells: it learns nothing.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from agents.base import Agent
from agents.registry import AgentEntry, Param, make_agent, non_negative, positive, register_agent
from bttt import GameState, Rules
from bttt.solver.engine import Budget, Solver
from bttt.solver.solve import solve
from bttt.solver.table import bits_for_memory


class SolverAgent(Agent):
    """Optimal play by the exact solver; see the module docstring."""

    training_cells = None

    def __init__(
        self,
        time: float | None = None,
        nodes: int | None = None,
        fallback: str | None = None,
        memory: float | None = None,
        store: str | None = None,
        seed: int | None = None,
    ) -> None:
        """Parameters left as None take the registry's defaults."""
        v = ENTRY.resolve({"time": time, "nodes": nodes, "fallback": fallback, "memory": memory, "store": store})
        self.time, self.nodes, self.memory = float(v["time"]), int(v["nodes"]), float(v["memory"])
        self.fallback_spec, self.store_folder = v["fallback"], v["store"]
        self.name = ENTRY.canonical_name(v)
        self.fallback = make_agent(self.fallback_spec.replace(";", ","))
        self.budget = Budget(self.time if self.time > 0 else None, self.nodes if self.nodes > 0 else None)
        self._solver: Solver | None = None
        self._store = None
        self.moves_played = 0
        self.fallback_moves = 0
        self.last_info: dict = {}
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        self.rng = np.random.default_rng(seed)
        self.fallback.seed(None if seed is None else int(np.random.SeedSequence(seed).generate_state(1)[0]))

    def reset(self) -> None:
        """A new game: the fallback is reset; the solver's table is kept (what it proved stays true) unless the
        budget is a node count alone, which then must not depend on earlier games."""
        self.fallback.reset()
        if self._solver is not None and self.budget.reproducible and self._store is None:
            self._solver.forget()

    def stats(self) -> dict:
        """Moves played, moves left to the fallback, and their share."""
        share = self.fallback_moves / self.moves_played if self.moves_played else 0.0
        return {"moves": self.moves_played, "fallback_moves": self.fallback_moves, "fallback_share": share}

    def _solver_for(self, rules: Rules) -> Solver:
        if self._solver is None or self._solver.rules != rules:
            if self._store is not None:
                self._solver.flush()
                self._store.close()
                self._store = None
            if self.store_folder != "none":
                from bttt.solver.openings import store_path
                from bttt.solver.store import SolutionStore

                folder = Path(self.store_folder)
                folder.mkdir(parents=True, exist_ok=True)
                self._store = SolutionStore(store_path(folder, rules), rules)
            self._solver = Solver(rules, tt_bits=bits_for_memory(self.memory), store=self._store)
        return self._solver

    def step(self, state: GameState) -> int:
        if state.is_terminal():
            raise ValueError("no legal move: the game is over")
        t0 = time.perf_counter()
        solver = self._solver_for(state.rules)
        sol = solve(state, solver=solver, budget=self.budget, moves="optimal", pv=False)
        proven = sorted(m.move for m in sol.moves if m.optimal)
        self.moves_played += 1
        if sol.bounds.exact and proven:
            move = int(proven[int(self.rng.integers(len(proven)))])
            source = "solver"
        else:
            move = int(self.fallback.step(state.clone()))
            self.fallback_moves += 1
            source = "fallback"
        if self._store is not None:
            solver.flush()
        self.last_info = {
            "source": source,
            "value": sol.bounds.text(),
            "optimal_moves": proven,
            "nodes": sol.nodes,
            "seconds": time.perf_counter() - t0,
            **self.stats(),
        }
        return move


def _fallback_ok(spec: str) -> str | None:
    if "," in spec:
        return "write ';' between the fallback's own parameters (e.g. mcts:iterations=2000;c=1.0)"
    if spec.split(":")[0] == "solver":
        return "the fallback cannot be the solver itself"
    return None


ENTRY = register_agent(
    AgentEntry(
        "solver",
        SolverAgent,
        (
            Param("time", float, 1.0, "seconds per move for the exact solver, 0 = no limit", check=non_negative),
            Param("nodes", int, 0, "nodes per move for the exact solver, 0 = no limit", check=non_negative),
            Param(
                "fallback",
                str,
                "minimax:depth=4",
                "agent whose move is played when the budget runs out ('; ' for its own commas)",
                check=_fallback_ok,
            ),
            Param("memory", float, 64.0, "transposition table size in MB", check=positive),
            Param("store", str, "none", "folder of solution stores (one per layout) to keep proofs in, or none"),
        ),
        "the exact solver: fastest win, longest defence, seeded among equal moves; a fallback when out of budget",
    )
)
