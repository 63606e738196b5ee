"""Batched PUCT Monte Carlo tree search for AlphaZero.

Many trees (one per game) search at once: each step, numba walks every tree down
to one leaf, Python stacks the leaves' input planes into one array and calls the
network once, and numba expands the leaves and backs their values up
(:mod:`agents.alphazero._search_core`). Terminal leaves need no network call.

Selection rules:

* default: ``U = c_puct * P * sqrt(1 + sum N_child) / (1 + N)``; an unvisited child's
  Q is ``fpu_value`` (0, AlphaGo Zero's convention; ``fpu_mode="absolute"``), or the
  parent's mean value minus ``fpu_reduction`` (Leela Zero's, ``"relative"``). With 0 a
  side that believes it is losing tries its untried moves before its visited ones,
  which finds defences an overconfident young network hides: with the relative rule
  (reduction 0.25) a D4/random-brick network at 200 simulations lost 15 of 15 games as
  player 1 to ``mcts:preset=paper``; the same network with the absolute rule won 8 of 9.
* one-move-deep proofs (``win_check``, on by default except under ``paper_rule``): a
  leaf whose side to move can complete a line is expanded without a network call, its
  winning moves sharing the prior, and backed up as a proven win; a leaf where the
  opponent threatens two completing cells (and the side to move has no win) is a
  proven loss, expanded the same way; a leaf facing exactly one such threat gives the
  block the whole prior. These are exact game facts, not heuristics. An untrained
  network gives winning moves tiny priors, so without them a small search (and the
  self-play games that teach the network) misses wins, blocks and open threes.
* ``paper_rule``: the original code's ``U = c_puct * P * sqrt(sum N_child) / (1 + N)``
  with Q of unvisited children = 0: on a fresh node every score is 0 and the first
  child in ascending action order wins (strict ``>``).

``simulations`` is a target number of visits below the root: with tree reuse the
visits the new root already had count, and only the difference is searched, so
the returned visit counts always sum to ``simulations``. The root's own evaluation
(expansion) is not a simulation. ``simulations == 0`` (the paper's raw-policy
"NS" player) is handled by callers.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from agents.alphazero import _search_core as core
from bttt import GameState, Rules
from bttt.errors import BtttError
from bttt.kernels import make_rng

Evaluate = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class SearchConfig:
    """PUCT search settings (see the module docstring for the two selection rules)."""

    simulations: int = 100
    c_puct: float = 1.5
    dirichlet_alpha: float = 0.3
    noise_fraction: float = 0.25  # applied once per root, only when search(add_noise=True)
    paper_rule: bool = False
    reuse_tree: bool = True
    fpu_mode: str = "absolute"  # default rule: Q of unvisited children = fpu_value ("absolute") or the
    fpu_value: float = 0.0  # parent's mean value minus fpu_reduction ("relative")
    fpu_reduction: float = 0.25
    win_check: bool | None = None  # one-move-deep proofs at leaves; None = on, except under paper_rule
    graph: bool = False  # nodes keyed by position, so transpositions share statistics (the original code's)
    leaf_batch: int = 1  # leaves per tree per network call, with virtual loss (1 = sequential, exact PUCT)

    def __post_init__(self) -> None:
        if self.simulations < 0:
            raise BtttError(f"simulations={self.simulations}: must be zero or more")
        if self.c_puct < 0:
            raise BtttError(f"c_puct={self.c_puct}: must be zero or more")
        if not 0 <= self.noise_fraction <= 1:
            raise BtttError(f"noise_fraction={self.noise_fraction}: must be between 0 and 1")
        if self.fpu_mode not in ("absolute", "relative"):
            raise BtttError(f"fpu_mode={self.fpu_mode!r}: choose absolute or relative")
        if self.dirichlet_alpha <= 0:
            raise BtttError(f"dirichlet_alpha={self.dirichlet_alpha}: must be positive")
        if self.leaf_batch < 1:
            raise BtttError(f"leaf_batch={self.leaf_batch}: must be at least 1")
        if self.leaf_batch > 1 and (self.paper_rule or self.graph):
            raise BtttError(
                "leaf_batch > 1 (virtual loss) changes the search: it is for bttt's tree search, not paper_rule "
                "or graph, which stay sequential and exact"
            )

    @property
    def uses_win_check(self) -> bool:
        return (not self.paper_rule) if self.win_check is None else bool(self.win_check)

    def to_dict(self) -> dict:
        return asdict(self)


class BatchedMCTS:
    """``n_trees`` PUCT trees in preallocated numpy arrays, searched in lock step.

    Args:
        config: search settings.
        n_trees: number of independent trees (games searched together).
        rules_like: a :class:`bttt.Rules` (or anything with rows/cols/win_length)
            fixing the board shape and win length; brick cells come from each
            searched state, so trees may have different layouts.
        max_nodes: node pool per tree (default: room for 4 full searches, so reused
            subtrees survive; the pool is compacted, or the tree reset, when full).
        seed: an int (tree ``t`` gets stream ``seed + t``) or one seed per tree; it
            drives only the Dirichlet noise, since selection is deterministic.
    """

    def __init__(
        self,
        config: SearchConfig,
        n_trees: int,
        rules_like: Rules | None = None,
        max_nodes: int | None = None,
        seed: int | Sequence[int] = 0,
    ) -> None:
        rules = rules_like if rules_like is not None else Rules()
        if n_trees < 1:
            raise BtttError(f"n_trees={n_trees}: need at least one tree")
        self.config = config
        self.n_trees = n_trees
        self.rows, self.cols, self.win_length = rules.rows, rules.cols, rules.win_length
        self.n_cells = self.rows * self.cols
        # Stones never sit on bricks, so the brick-free window table serves every layout.
        self._rules = Rules(self.rows, self.cols, self.win_length, None).tables
        per_search = (max(config.simulations, 1) + 1) * self.n_cells
        self.max_nodes = int(max_nodes) if max_nodes is not None else 4 * per_search
        if self.max_nodes < self.n_cells + 1:
            raise BtttError(f"max_nodes={self.max_nodes}: need at least {self.n_cells + 1}")
        self.forest = core.new_forest(n_trees, self.max_nodes, bool(config.graph), self.n_cells)
        self._params = core.PuctParams(
            float(config.c_puct),
            bool(config.paper_rule),
            config.fpu_mode == "relative",
            float(config.fpu_value),
            float(config.fpu_reduction),
            bool(config.uses_win_check),
            self.max_nodes,
            bool(config.graph),
        )
        self._valid = np.zeros(n_trees, bool)  # whether tree t holds a searched position
        rows_per_step = n_trees * config.leaf_batch
        self._planes = np.zeros((rows_per_step, 3, self.rows, self.cols), np.float32)
        self._masks = np.zeros((rows_per_step, self.n_cells), bool)
        self._need = np.zeros(rows_per_step, np.int64)
        self._need_node = np.zeros(rows_per_step, np.int64)
        self.seed(seed)
        #: Root values (side to move) after the last search, per searched state.
        self.last_root_values = np.zeros(0, np.float32)
        #: Network calls and evaluated leaves in this object's life (for benchmarks).
        self.network_calls = 0
        self.evaluated_leaves = 0

    # ------------------------------------------------------------------ control
    def seed(self, seed: int | Sequence[int]) -> None:
        """Reseed every tree's noise stream."""
        seeds = [seed + t for t in range(self.n_trees)] if isinstance(seed, int | np.integer) else list(seed)
        if len(seeds) != self.n_trees:
            raise BtttError(f"got {len(seeds)} seeds for {self.n_trees} trees")
        self.rngs = np.stack([make_rng(int(s)) for s in seeds])

    def reset(self, tree_index: int | None = None) -> None:
        """Forget tree ``tree_index`` (every tree if None); the next search starts fresh."""
        if tree_index is None:
            self._valid[:] = False
        else:
            self._valid[tree_index] = False

    def advance(self, tree_index: int, action: int) -> None:
        """Make the child reached by ``action`` the root of tree ``tree_index`` (tree reuse)."""
        t, f = tree_index, self.forest
        if not (self.config.reuse_tree and self._valid[t]):
            self._valid[t] = False
            return
        child = core.find_child(f, t, f.meta[t, core.ROOT], int(action))
        if self.config.graph and child >= 0 and f.ready[t, child] and f.link[t, child] >= 0:
            child = int(f.link[t, child])  # the position's first edge holds its moves
        if child < 0 or not f.ready[t, child] or f.n_children[t, child] == 0:
            self._valid[t] = False
            return
        f.parent[t, child] = -1
        f.meta[t, core.ROOT] = child
        f.meta[t, core.NOISE_DONE] = 0

    # ------------------------------------------------------------------- search
    def _set_root(self, t: int, state: GameState) -> None:
        rules, f = state.rules, self.forest
        if (rules.rows, rules.cols, rules.win_length) != (self.rows, self.cols, self.win_length):
            raise BtttError(
                f"state is a {rules.rows}x{rules.cols} k={rules.win_length} game but the search was built for "
                f"{self.rows}x{self.cols} k={self.win_length}"
            )
        if state.is_terminal():
            raise BtttError(f"cannot search a finished game ({state.serialize()})")
        bricks = np.uint64(rules.brick_mask)
        root = f.meta[t, core.ROOT]
        same = (
            self._valid[t]
            and f.bricks[t] == bricks
            and f.p1[t, root] == np.uint64(state.p1)
            and f.p2[t, root] == np.uint64(state.p2)
            and f.to_move[t, root] == state.to_move
        )
        if same:
            if f.meta[t, core.NEXT_FREE] + self._room_needed() > self.max_nodes and not self.config.graph:
                core.compact(f, t)  # (a graph's shared nodes cannot be moved: it starts afresh instead)
            if f.meta[t, core.NEXT_FREE] + self._room_needed() <= self.max_nodes:
                return
        f.bricks[t] = bricks
        f.full[t] = np.uint64(rules.full_mask)
        core.init_root(f, t, np.uint64(state.p1), np.uint64(state.p2), state.to_move, 0)
        self._valid[t] = True

    def _room_needed(self) -> int:
        return (self.config.simulations + 1) * self.n_cells

    def search(
        self,
        states: Sequence[GameState],
        evaluate: Evaluate,
        add_noise: bool = False,
        trees: Sequence[int] | None = None,
    ) -> np.ndarray:
        """Search ``states`` (state ``i`` in tree ``trees[i]``, default tree ``i``) together.

        ``evaluate(planes, masks) -> (priors, values)`` as
        :class:`agents.alphazero.evaluator.Evaluator`. Returns root visit counts,
        float32 ``(len(states), n_cells)``, each row summing to ``simulations``.
        """
        return drive(self.search_steps(states, add_noise, trees), evaluate)

    def search_steps(
        self,
        states: Sequence[GameState],
        add_noise: bool = False,
        trees: Sequence[int] | None = None,
        stop_when_decided: bool = False,
    ) -> Generator[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], np.ndarray]:
        """:meth:`search` as a generator: it yields each step's leaves ``(planes, masks)``, is sent their
        ``(priors, values)``, and returns the root visit counts. A caller can so pool the leaves of many
        searches (other games, other agents) into one network call (``tournament.batch_play``).

        ``stop_when_decided`` ends a tree's search as soon as its most visited root child cannot be overtaken by
        the simulations left (:func:`~agents.alphazero._search_core.retire_decided`): the argmax of the
        returned visits is the full search's, with fewer network calls; the counts themselves are smaller.
        Sequential search only (with ``leaf_batch`` > 1 it is ignored)."""
        cfg, f = self.config, self.forest
        trees = list(range(len(states))) if trees is None else [int(t) for t in trees]
        if len(trees) != len(states):
            raise BtttError(f"{len(states)} states but {len(trees)} tree indices")
        if len(set(trees)) != len(trees) or any(not 0 <= t < self.n_trees for t in trees):
            raise BtttError(f"tree indices must be distinct and in 0..{self.n_trees - 1}, got {trees}")
        for t, state in zip(trees, states, strict=True):
            self._set_root(t, state)
        active = np.zeros(self.n_trees, bool)
        active[trees] = True
        targets = np.zeros(self.n_trees, np.int64)
        targets[trees] = cfg.simulations
        noisy = add_noise and cfg.noise_fraction > 0
        if noisy:  # reused roots are expanded already
            self._noise(trees)
        prm, rt = self._params, self._rules
        batched = cfg.leaf_batch > 1
        retire = stop_when_decided and not batched
        while True:
            if retire:
                core.retire_decided(active, targets, f, prm)
            if batched:
                n = core.select_leaves_vl(
                    active, targets, cfg.leaf_batch, f, prm, rt, self._planes, self._masks, self._need, self._need_node
                )
            else:
                n = core.select_leaves(active, targets, f, prm, rt, self._planes, self._masks, self._need)
            if n > 0:
                priors, values = yield self._planes[:n], self._masks[:n]
                self._expand(n, priors, values)
            if noisy:  # fresh roots are expanded by the first step; noise goes in once per root
                self._noise(trees)
                noisy = False
            if n == 0 and not active.any():
                break
        out = np.zeros((len(trees), self.n_cells), np.float32)
        values = np.zeros(len(trees), np.float32)
        for i, t in enumerate(trees):
            core.root_visits(f, t, out[i])
            root = f.meta[t, core.ROOT]
            values[i] = -f.W[t, root] / max(f.N[t, root], 1)
        self.last_root_values = values
        return out

    def _noise(self, trees: Sequence[int]) -> None:
        cfg = self.config
        for t in trees:
            core.add_root_noise(self.forest, t, self.rngs, cfg.dirichlet_alpha, cfg.noise_fraction)

    def _expand(self, n: int, priors: np.ndarray, values: np.ndarray) -> None:
        priors = np.ascontiguousarray(priors, dtype=np.float32)
        values = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        if priors.shape != (n, self.n_cells) or values.shape != (n,):
            raise BtttError(
                f"evaluate returned priors {priors.shape} and values {values.shape}; "
                f"expected ({n}, {self.n_cells}) and ({n},)"
            )
        self.network_calls += 1
        self.evaluated_leaves += n
        if self.config.leaf_batch > 1:
            core.expand_and_backup_vl(
                n, self._need, self._need_node, priors, values, self.forest, self._params, self._rules
            )
        else:
            core.expand_and_backup(n, self._need, priors, values, self.forest, self._params, self._rules)


def drive(steps: Generator, evaluate: Evaluate):
    """Run a generator of :meth:`BatchedMCTS.search_steps` to its end, evaluating what it yields with
    ``evaluate``; returns its result."""
    try:
        request = next(steps)
        while True:
            request = steps.send(evaluate(*request))
    except StopIteration as stop:
        return stop.value


def uniform_evaluate(planes: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Uniform priors over legal moves and value 0: pure PUCT with no knowledge (tests, baselines)."""
    m = masks.astype(np.float32)
    return m / np.maximum(m.sum(axis=1, keepdims=True), 1.0), np.zeros(len(masks), np.float32)
