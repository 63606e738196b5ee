"""Monte Carlo tree search (UCT) agents, the tree in numba-friendly arrays.

``mcts:preset=paper`` is the paper's player: heuristic leaf values
(``(6 + log10(|v| + 1e-6)) / 6 * sign(v)``), exploration constant 1, 2500 iterations
(the original silently ran 2500 whatever it was asked; ours honours
``iterations=``), most-visited move. ``mcts:iterations=10000,c=1.4,leaf=rollout`` uses
one uniformly random playout per new node. ``time=`` replaces the iteration count by
a budget in seconds; ``reuse=true`` keeps the subtree of the position reached
between moves. Every random choice (rollouts, UCT ties) comes from the agent's seed.
"""

from __future__ import annotations

import time

import numpy as np

from agents.base import Agent
from agents.heuristic import heuristic_tables
from agents.mcts_core import (
    LEAF_HEURISTIC,
    LEAF_ROLLOUT,
    MOVE,
    VISITS,
    Tree,
    compact,
    find_child,
    init_root,
    new_tree,
    root_choice,
    run_iterations,
)
from agents.registry import AgentEntry, Param, non_negative, positive, register_agent
from bttt import GameState, Rules
from bttt.kernels import make_rng

_LEAVES = {"rollout": LEAF_ROLLOUT, "heuristic": LEAF_HEURISTIC}
_BATCH = 256  # iterations between clock checks in time-budget mode
_SLICE = 16384  # iterations per kernel call otherwise: Ctrl-C is noticed between calls


class MCTSAgent(Agent):
    """UCT search; see the module docstring."""

    def __init__(
        self,
        iterations: int | None = None,
        time: float | None = None,
        c: float | None = None,
        leaf: str | None = None,
        reuse: bool | None = None,
        preset: str | None = None,
        seed: int | None = None,
    ) -> None:
        """Parameters left as None take the registry's defaults, or the ``preset``'s values (``preset="paper"``)."""
        v = ENTRY.resolve(
            {"iterations": iterations, "time": time, "c": c, "leaf": leaf, "reuse": reuse, "preset": preset}
        )
        self.iterations, self.time, self.c = int(v["iterations"]), float(v["time"]), float(v["c"])
        self.leaf, self.reuse, self.preset = v["leaf"], bool(v["reuse"]), v["preset"]
        self.name = ENTRY.canonical_name(v)
        self._tree: Tree | None = None
        self._tree_rules: Rules | None = None
        self._tree_history: list[int] = []
        self.last_info: dict = {}
        self.seed(seed)

    def seed(self, seed: int | None) -> None:
        if seed is None:
            seed = int(np.random.SeedSequence().entropy)
        self.rng = make_rng(int(seed))

    def reset(self) -> None:
        self._tree = None

    def _start_tree(self, state: GameState, room: int) -> Tree:
        """A tree rooted at ``state`` with space for ``room`` more nodes (reusing a subtree if allowed)."""
        old = self._tree
        if (
            self.reuse
            and old is not None
            and self._tree_rules == state.rules
            and state.history[: len(self._tree_history)] == self._tree_history
        ):
            node = int(old.meta[1])
            for move in state.history[len(self._tree_history) :]:
                node = find_child(old.ints, node, move)
                if node < 0:
                    break
            if node >= 0:
                tree = new_tree(int(old.meta[0]) + room)
                compact(old, node, tree)
                return tree
        tree = new_tree(room + 1)
        init_root(tree, np.uint64(state.p1), np.uint64(state.p2), state.to_move, state.rules.tables.full)
        return tree

    def _run(self, tree: Tree, n_iter: int, rules: Rules) -> None:
        """``n_iter`` iterations, in slices so that Ctrl-C is noticed between them (same result as one call)."""
        t, h, leaf = rules.tables, heuristic_tables(rules), _LEAVES[self.leaf]
        for start in range(0, n_iter, _SLICE):
            run_iterations(tree, min(_SLICE, n_iter - start), self.c, leaf, t, h, self.rng)

    def search(self, state: GameState) -> Tree:
        """Run the search from ``state``; returns the tree's node tables."""
        if state.is_terminal():
            raise ValueError("no legal move: the game is over")
        rules = state.rules
        start = time.perf_counter()
        if self.time > 0:
            tree = self._start_tree(state, 16 * _BATCH)
            done = 0
            while time.perf_counter() - start < self.time:
                if tree.meta[0] + _BATCH > tree.ints.shape[0]:
                    bigger = new_tree(2 * tree.ints.shape[0])
                    for src, dst in zip(tree, bigger, strict=True):
                        dst[: len(src)] = src
                    tree = bigger
                self._run(tree, _BATCH, rules)
                done += _BATCH
        else:
            tree = self._start_tree(state, self.iterations)
            self._run(tree, self.iterations, rules)
            done = self.iterations
        self._tree, self._tree_rules, self._tree_history = tree, state.rules, list(state.history)
        self.last_info = {"iterations": done, "nodes": int(tree.meta[0]), "seconds": time.perf_counter() - start}
        return tree

    def visit_counts(self, state: GameState) -> dict[int, int]:
        """Search ``state`` and return the root children's visit counts by move."""
        ints, _, vals, meta = self.search(state)
        out = {}
        ch = ints[meta[1], 1]
        while ch != -1:
            out[int(ints[ch, MOVE])] = int(vals[ch, VISITS])
            ch = ints[ch, 2]
        return dict(sorted(out.items()))

    def step(self, state: GameState) -> int:
        move = int(root_choice(self.search(state)))
        return move if move >= 0 else state.legal_actions()[0]


ENTRY = register_agent(
    AgentEntry(
        "mcts",
        MCTSAgent,
        (
            Param("iterations", int, 1000, "UCT iterations per move (ignored when time is set)", check=positive),
            Param("time", float, 0.0, "time budget per move in seconds, 0 = use iterations", check=non_negative),
            Param("c", float, 1.4, "UCT exploration constant", check=non_negative),
            Param(
                "leaf",
                str,
                "rollout",
                "leaf value: one random rollout, or the paper's log-scaled heuristic",
                choices=("rollout", "heuristic"),
            ),
            Param("reuse", bool, False, "keep the searched subtree between moves"),
            Param(
                "preset",
                str,
                "none",
                "paper = iterations=2500,c=1.0,leaf=heuristic (the paper's MCTS)",
                choices=("none", "paper"),
            ),
        ),
        "UCT Monte Carlo tree search",
        presets={"paper": {"iterations": 2500, "c": 1.0, "leaf": "heuristic"}},
    )
)
