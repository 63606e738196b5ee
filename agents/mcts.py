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
    compact,
    find_child,
    init_root,
    new_tree,
    root_choice,
    run_iterations,
)
from agents.registry import AgentEntry, Param, non_negative, positive, register_agent
from bttt import GameState, Rules
from bttt._core import make_rng

_LEAVES = {"rollout": LEAF_ROLLOUT, "heuristic": LEAF_HEURISTIC}
_BATCH = 256  # iterations between clock checks in time-budget mode


class MCTSAgent(Agent):
    """UCT search; see the module docstring."""

    def __init__(
        self,
        iterations: int | None = None,
        time: float = 0.0,
        c: float | None = None,
        leaf: str | None = None,
        reuse: bool = False,
        preset: str = "none",
        seed: int | None = None,
    ) -> None:
        if preset not in ("none", "paper"):
            raise ValueError(f"preset must be 'none' or 'paper', got {preset!r}")
        paper = preset == "paper"
        self.iterations = int(iterations if iterations is not None else (2500 if paper else 1000))
        self.time = float(time)
        self.c = float(c if c is not None else (1.0 if paper else 1.4))
        self.leaf = leaf if leaf is not None else ("heuristic" if paper else "rollout")
        if self.leaf not in _LEAVES:
            raise ValueError(f"leaf must be one of {', '.join(_LEAVES)}, got {self.leaf!r}")
        if self.iterations < 1:
            raise ValueError("iterations must be positive")
        self.reuse, self.preset = bool(reuse), preset
        self.name = (
            f"mcts:iterations={self.iterations},time={self.time!r},c={self.c!r},leaf={self.leaf},"
            f"reuse={str(self.reuse).lower()},preset={preset}"
        )
        self._tables: dict[Rules, tuple] = {}
        self._tree: tuple[np.ndarray, ...] | None = None
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

    def _rules_tables(self, rules: Rules) -> tuple:
        t = self._tables.get(rules)
        if t is None:
            h = heuristic_tables(rules)
            rt = rules.tables
            t = (
                np.uint64(rules.full_mask),
                rt.win_masks,
                rt.cell_ptr,
                rt.cell_wins,
                h.masks,
                h.first,
                h.last,
                h.bricks,
                h.win_length,
            )
            self._tables[rules] = t
        return t

    def _start_tree(self, state: GameState, room: int) -> tuple[np.ndarray, ...]:
        """A tree rooted at ``state`` with space for ``room`` more nodes (reusing a subtree if allowed)."""
        old = self._tree
        if (
            self.reuse
            and old is not None
            and self._tree_rules == state.rules
            and state.history[: len(self._tree_history)] == self._tree_history
        ):
            ints, bits, vals, meta = old
            node = int(meta[1])
            for move in state.history[len(self._tree_history) :]:
                node = find_child(ints, node, move)
                if node < 0:
                    break
            if node >= 0:
                tree = new_tree(int(meta[0]) + room)
                compact(ints, bits, vals, meta, node, *tree)
                return tree
        tree = new_tree(room + 1)
        init_root(*tree, np.uint64(state.p1), np.uint64(state.p2), state.to_move, np.uint64(state.rules.full_mask))
        return tree

    def _run(self, tree, n_iter: int, tables) -> None:
        run_iterations(*tree, n_iter, self.c, _LEAVES[self.leaf], *tables, self.rng)

    def search(self, state: GameState) -> tuple[np.ndarray, ...]:
        """Run the search from ``state``; returns the tree tables (ints, bits, vals, meta)."""
        if state.is_terminal():
            raise ValueError("no legal move: the game is over")
        tables = self._rules_tables(state.rules)
        start = time.perf_counter()
        if self.time > 0:
            tree = self._start_tree(state, 16 * _BATCH)
            done = 0
            while time.perf_counter() - start < self.time:
                ints, _bits, _vals, meta = tree
                if meta[0] + _BATCH > ints.shape[0]:
                    bigger = new_tree(2 * ints.shape[0])
                    for src, dst in zip(tree, bigger, strict=True):
                        dst[: len(src)] = src
                    tree = bigger
                self._run(tree, _BATCH, tables)
                done += _BATCH
        else:
            tree = self._start_tree(state, self.iterations)
            self._run(tree, self.iterations, tables)
            done = self.iterations
        self._tree, self._tree_rules, self._tree_history = tree, state.rules, list(state.history)
        self.last_info = {"iterations": done, "nodes": int(tree[3][0]), "seconds": time.perf_counter() - start}
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
        ints, _, vals, meta = self.search(state)
        move = int(root_choice(ints, vals, meta))
        return move if move >= 0 else state.legal_actions()[0]


def _make(iterations: int, time: float, c: float, leaf: str, reuse: bool, preset: str) -> MCTSAgent:
    return MCTSAgent(iterations=iterations, time=time, c=c, leaf=leaf, reuse=reuse, preset=preset)


register_agent(
    AgentEntry(
        "mcts",
        _make,
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
