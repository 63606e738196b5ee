"""numba kernels of the batched PUCT search (see :mod:`agents.alphazero.search`).

Every tree lives in one row of the preallocated 2-D arrays of a :class:`Forest` (tree index, node index); a node
holds its position as two bitboards, its move, its parent, its prior, visit count and value sum, and the
contiguous range of its children. ``W`` (value sum) is kept from the point of view of the player who made the
move into the node, so a parent picks the child with the highest ``W/N + U`` directly. No Python object exists
per node; Python only runs the network between :func:`select_leaves` and :func:`expand_and_backup`. Stones are
placed and statuses decided by :mod:`bttt.kernels` (with one brick-free :class:`~bttt.kernels.RuleTables` for
every tree: stones never sit on bricks, and each tree's ``full`` mask leaves its bricks out).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from bttt.kernels import (
    DRAW,
    ONGOING,
    lowest_bit_index,
    play_cell,
    popcount,
    rand_unit,
    winning_cells,
    write_planes,
)

_ONE = np.uint64(1)

# Per-tree integer state columns (``meta[tree, k]``).
ROOT, NEXT_FREE, NOISE_DONE, LEAF, DEPTH = 0, 1, 2, 3, 4
N_META = 5
_EMPTY = -1  # a free slot of the transposition table


class Forest(NamedTuple):
    """The node pools of ``n_trees`` search trees: row ``i`` of each 2-D array is tree ``i``."""

    meta: np.ndarray  # int64 (n_trees, N_META): root, next free node, noise applied, pending leaf
    p1: np.ndarray  # uint64 (n_trees, max_nodes): player 1's stones
    p2: np.ndarray  # uint64: player 2's stones
    to_move: np.ndarray  # int8: side to move at the node
    status: np.ndarray  # int8: game status at the node (bttt.kernels codes)
    ready: np.ndarray  # int8: bitboards and status filled in (children are materialised on first visit)
    first_child: np.ndarray  # int32: index of the first child
    n_children: np.ndarray  # int32: number of children (0 = unexpanded)
    parent: np.ndarray  # int32: parent index (-1 at the root)
    action: np.ndarray  # int16: the move into the node
    N: np.ndarray  # int32: visits
    W: np.ndarray  # float64: value sum, for the player who moved into the node
    P: np.ndarray  # float32: prior
    bricks: np.ndarray  # uint64 (n_trees,): each tree's brick bitboard
    full: np.ndarray  # uint64 (n_trees,): each tree's playable cells
    # The transposition graph (``PuctParams.graph``; one column each otherwise): an entry is an *edge* (its
    # N, W, P are the statistics of that move from that position); an edge into a position that another edge
    # reached first links to that edge, whose children are then the position's moves for both.
    link: np.ndarray  # int32 (n_trees, max_nodes): the edge whose children this edge's position uses, -1 = itself
    table_p1: np.ndarray  # uint64 (n_trees, table size): position -> first edge reaching it (open addressing)
    table_p2: np.ndarray  # uint64
    table_node: np.ndarray  # int32: the edge, or -1 for a free slot
    path: np.ndarray  # int32 (n_trees, cells + 2): the edges of the current descent (backed up along it)


def table_size(max_nodes: int) -> int:
    """Slots of a transposition table for ``max_nodes`` entries (a power of two, at most half full)."""
    size = 1
    while size < 2 * max_nodes:
        size *= 2
    return size


def new_forest(n_trees: int, max_nodes: int, graph: bool = False, n_cells: int = 49) -> Forest:
    shape = (n_trees, max_nodes)
    slots = table_size(max_nodes) if graph else 1
    return Forest(
        np.zeros((n_trees, N_META), np.int64),
        np.zeros(shape, np.uint64),
        np.zeros(shape, np.uint64),
        np.zeros(shape, np.int8),
        np.zeros(shape, np.int8),
        np.zeros(shape, np.int8),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.int32),
        np.full(shape, -1, np.int32),
        np.zeros(shape, np.int16),
        np.zeros(shape, np.int32),
        np.zeros(shape, np.float64),
        np.zeros(shape, np.float32),
        np.zeros(n_trees, np.uint64),
        np.zeros(n_trees, np.uint64),
        np.full((n_trees, max_nodes if graph else 1), -1, np.int32),
        np.zeros((n_trees, slots), np.uint64),
        np.zeros((n_trees, slots), np.uint64),
        np.full((n_trees, slots), _EMPTY, np.int32),
        np.zeros((n_trees, n_cells + 2 if graph else 1), np.int32),
    )


class PuctParams(NamedTuple):
    """Selection and expansion settings (see :class:`agents.alphazero.search.SearchConfig`)."""

    c_puct: float
    paper_rule: bool
    fpu_relative: bool
    fpu_value: float
    fpu_reduction: float
    win_check: bool
    max_nodes: int
    graph: bool = False  # nodes keyed by position: transpositions share statistics (the original code's search)


@njit(cache=True)
def init_root(f, i, root_p1, root_p2, root_to_move, root_status):
    """Reset tree ``i`` to a single unexpanded root holding the given position."""
    f.meta[i, ROOT] = 0
    f.meta[i, NEXT_FREE] = 1
    f.meta[i, NOISE_DONE] = 0
    f.meta[i, LEAF] = -1
    f.p1[i, 0] = root_p1
    f.p2[i, 0] = root_p2
    f.to_move[i, 0] = root_to_move
    f.status[i, 0] = root_status
    f.ready[i, 0] = 1
    f.first_child[i, 0] = 0
    f.n_children[i, 0] = 0
    f.parent[i, 0] = -1
    f.action[i, 0] = -1
    f.N[i, 0] = 0
    f.W[i, 0] = 0.0
    f.P[i, 0] = 1.0
    if f.link.shape[1] > 1:  # a transposition graph: forget every position, then enter the root
        f.link[i, 0] = -1
        f.table_node[i, :] = _EMPTY
        _table_find_or_add(f, i, root_p1, root_p2, 0)


@njit(cache=True)
def _table_find_or_add(f, i, p1, p2, node):
    """The edge already holding position (p1, p2) in tree ``i``'s table, or -1 after entering ``node`` for it."""
    mask = np.uint64(f.table_node.shape[1] - 1)
    h = (p1 * np.uint64(0x9E3779B97F4A7C15)) ^ (p2 * np.uint64(0xC2B2AE3D27D4EB4F))
    h ^= h >> np.uint64(29)
    slot = h & mask
    while True:
        s = np.int64(slot)
        held = f.table_node[i, s]
        if held == _EMPTY:
            f.table_p1[i, s] = p1
            f.table_p2[i, s] = p2
            f.table_node[i, s] = node
            return -1
        if f.table_p1[i, s] == p1 and f.table_p2[i, s] == p2:
            return held
        slot = (slot + np.uint64(1)) & mask


@njit(cache=True)
def _materialize(f, i, node, rt):
    """Fill in a child's bitboards and game status from its parent (done lazily, on first visit)."""
    par = f.parent[i, node]
    mover = f.to_move[i, par]
    q1, q2, st = play_cell(f.p1[i, par], f.p2[i, par], mover, f.action[i, node], f.full[i], rt)
    f.p1[i, node] = q1
    f.p2[i, node] = q2
    f.to_move[i, node] = 3 - mover
    f.status[i, node] = st
    f.ready[i, node] = 1
    if f.link.shape[1] > 1:
        f.link[i, node] = _table_find_or_add(f, i, q1, q2, node)


@njit(cache=True)
def _backup_path(f, i, depth, value):
    """Graph search: add one visit to the edges of the current descent (``path[i, :depth + 1]``); ``value`` is
    for the player who made the last of them."""
    v = value
    for d in range(depth, -1, -1):
        e = f.path[i, d]
        f.N[i, e] += 1
        f.W[i, e] += v
        v = -v


@njit(cache=True)
def _best_child(f, i, node, prm):
    """Index of the child maximising Q + U (strict '>', so ties go to the lowest action)."""
    start = f.first_child[i, node]
    end = start + f.n_children[i, node]
    total = 0
    for c in range(start, end):
        total += f.N[i, c]
    if prm.paper_rule:
        sqrt_n = math.sqrt(total)
        fpu = 0.0
    else:
        sqrt_n = math.sqrt(total + 1)
        if prm.fpu_relative:
            # Unvisited children start at the node's own value (side to move at ``node``) minus a reduction.
            fpu = -f.W[i, node] / f.N[i, node] - prm.fpu_reduction if f.N[i, node] > 0 else -prm.fpu_reduction
        else:
            fpu = prm.fpu_value
    best = start
    best_score = -1e300
    for c in range(start, end):
        n = f.N[i, c]
        q = f.W[i, c] / n if n > 0 else fpu
        score = q + prm.c_puct * f.P[i, c] * sqrt_n / (1.0 + n)
        if score > best_score:
            best_score = score
            best = c
    return best


@njit(cache=True)
def _backup(f, i, node, value):
    """Add one visit along the path to ``node``; ``value`` is for the player who moved into ``node``."""
    v = value
    while node >= 0:
        f.N[i, node] += 1
        f.W[i, node] += v
        v = -v
        node = f.parent[i, node]


@njit(cache=True)
def _sides(f, i, node):
    """(stones of the side to move at ``node``, the other side's stones)."""
    if f.to_move[i, node] == 1:
        return f.p1[i, node], f.p2[i, node]
    return f.p2[i, node], f.p1[i, node]


@njit(cache=True)
def _add_children(f, i, node, free, max_nodes):
    """Give ``node`` one fresh child per cell of ``free`` (ascending); priors are the caller's.

    Returns the first child's index, or -1 (nothing changed) when the node pool has no room.
    """
    n_legal = popcount(free)
    start = f.meta[i, NEXT_FREE]
    if start + n_legal > max_nodes:
        return -1
    rest = free
    c = start
    while rest:
        f.parent[i, c] = node
        f.action[i, c] = lowest_bit_index(rest)
        f.ready[i, c] = 0
        f.n_children[i, c] = 0
        f.first_child[i, c] = 0
        f.N[i, c] = 0
        f.W[i, c] = 0.0
        rest &= rest - _ONE
        c += 1
    f.first_child[i, node] = start
    f.n_children[i, node] = n_legal
    f.meta[i, NEXT_FREE] = start + n_legal
    return start


@njit(cache=True)
def _expand_if_proven(f, i, node, rt, max_nodes):
    """Exact one-move-deep shortcuts: expand ``node`` without the network when its value is proven.

    * The side to move can complete a line: a proven win; the winning moves share the prior.
    * Otherwise, if the opponent threatens to complete lines on two or more cells, only one
      can be blocked: a proven loss; the blocking moves share the prior.
    Returns the proven value for the player who moved into ``node`` (+1 or -1; the caller backs it up), or 0
    when nothing is proven (or the pool is full) and the node is left unexpanded.
    """
    own, opp = _sides(f, i, node)
    free = f.full[i] & ~(own | opp)
    hits = winning_cells(own, opp | f.bricks[i], rt)
    value = -1.0  # the player who moved into ``node`` loses ...
    if not hits:
        hits = winning_cells(opp, own | f.bricks[i], rt)
        if popcount(hits) < 2:
            return 0.0
        value = 1.0  # ... or wins
    start = _add_children(f, i, node, free, max_nodes)
    if start < 0:
        return 0.0
    share = 1.0 / popcount(hits)
    for c in range(start, start + f.n_children[i, node]):
        f.P[i, c] = share if (hits >> np.uint64(f.action[i, c])) & _ONE else 0.0
    return value


@njit(cache=True)
def _back(f, i, node, depth, value, prm):
    """Back ``value`` (for the player who moved into ``node``) up: the parent chain, or the graph's path."""
    if prm.graph:
        _backup_path(f, i, depth, value)
    else:
        _backup(f, i, node, value)


@njit(cache=True)
def _visits_below(f, i, root, prm):
    """Simulations below the root so far. A tree root's own visit is its expansion; in a graph a reused root's
    edge is not visited along every path to its position, so its children's visits are counted."""
    if not prm.graph:
        return f.N[i, root] - 1
    total = 0
    start = f.first_child[i, root]
    for c in range(start, start + f.n_children[i, root]):
        total += f.N[i, c]
    return total


@njit(cache=True)
def retire_decided(active, targets, f, prm):
    """Clear ``active`` for every tree whose most visited root child can no longer be overtaken.

    A tree with ``targets[i]`` simulations to make in all has ``r = targets[i] - done`` left; each gives one
    visit to one root child. When the leader has more than ``r`` visits over the runner-up, it stays the one
    most visited child whatever the remaining simulations do, so stopping now gives the same argmax move
    (and a unique one: no tie to break). Only the visit counts, not the move, differ from the full search.
    """
    for i in range(active.shape[0]):
        if not active[i]:
            continue
        root = f.meta[i, ROOT]
        if f.n_children[i, root] == 0:
            continue
        left = targets[i] - _visits_below(f, i, root, prm)
        best = 0
        second = 0
        start = f.first_child[i, root]
        for c in range(start, start + f.n_children[i, root]):
            n = f.N[i, c]
            if n > best:
                second = best
                best = n
            elif n > second:
                second = n
        if best - second > left:
            active[i] = False


@njit(cache=True)
def select_leaves(active, targets, f, prm, rt, planes, masks, need):
    """One simulation step for every active tree.

    Descends from each root by PUCT to a leaf. Terminal leaves are backed up at once; other leaves are recorded
    in ``meta[:, LEAF]`` and their planes/masks written to row ``k`` of ``planes``/``masks`` with
    ``need[k] = tree``. A tree whose root children already hold ``targets[i]`` visits is skipped (its ``active``
    flag is cleared). An unexpanded root is itself the leaf (its evaluation is no simulation). With
    ``prm.win_check``, a leaf whose value is proven one move deep (a win in one, or the opponent's double threat)
    is expanded and backed up without the network. Returns the number of leaves to evaluate.
    """
    k = 0
    for i in range(active.shape[0]):
        f.meta[i, LEAF] = -1
        if not active[i]:
            continue
        root = f.meta[i, ROOT]
        if f.n_children[i, root] > 0 and _visits_below(f, i, root, prm) >= targets[i]:
            active[i] = False
            continue
        node = root
        depth = 0
        if prm.graph:
            f.path[i, 0] = root
        while f.n_children[i, node] > 0:
            node = _best_child(f, i, node, prm)
            if not f.ready[i, node]:
                _materialize(f, i, node, rt)
            if prm.graph:
                depth += 1
                f.path[i, depth] = node
                if f.link[i, node] >= 0:  # a transposition: continue from the position's first edge
                    node = f.link[i, node]
        f.meta[i, DEPTH] = depth
        s = f.status[i, node]
        if s != ONGOING:
            _back(f, i, node, depth, 0.0 if s == DRAW else 1.0, prm)
            continue
        if prm.win_check:
            proven = _expand_if_proven(f, i, node, rt, prm.max_nodes)
            if proven != 0.0:
                _back(f, i, node, depth, proven, prm)
                continue
        f.meta[i, LEAF] = node
        own, opp = _sides(f, i, node)
        write_planes(own, opp, f.bricks[i], f.full[i] & ~(own | opp), rt.rows, rt.cols, planes, masks, k)
        need[k] = i
        k += 1
    return k


@njit(cache=True)
def expand_and_backup(n_need, need, priors, values, f, prm, rt):
    """Expand each evaluated leaf with one child per legal move, then back its value up.

    ``priors[k]``/``values[k]`` belong to tree ``need[k]``; values are for the side to move at the leaf. A tree
    whose node pool is full backs the value up without expanding (the caller compacts or resets trees before a
    search to avoid this). With ``prm.win_check``, when the opponent threatens to win on exactly one cell, that
    block gets the whole prior (every other move loses at once).
    """
    for k in range(n_need):
        i = need[k]
        node = f.meta[i, LEAF]
        own, opp = _sides(f, i, node)
        free = f.full[i] & ~(own | opp)
        forced = -1
        if prm.win_check:
            threats = winning_cells(opp, own | f.bricks[i], rt)
            if popcount(threats) == 1:
                forced = lowest_bit_index(threats)
        if f.n_children[i, node] == 0:
            start = _add_children(f, i, node, free, prm.max_nodes)
            if start >= 0:
                for c in range(start, start + f.n_children[i, node]):
                    a = f.action[i, c]
                    if forced >= 0:
                        f.P[i, c] = 1.0 if a == forced else 0.0
                    else:
                        f.P[i, c] = priors[k, a]
        _back(f, i, node, f.meta[i, DEPTH], -float(values[k]), prm)
        f.meta[i, LEAF] = -1


@njit(cache=True)
def _gamma(rng, alpha):
    """Gamma(alpha, 1) sample (Marsaglia-Tsang; boosted for alpha < 1)."""
    boost = 1.0
    if alpha < 1.0:
        u = rand_unit(rng)
        boost = (u if u > 1e-300 else 1e-300) ** (1.0 / alpha)
        alpha += 1.0
    d = alpha - 1.0 / 3.0
    c = 1.0 / math.sqrt(9.0 * d)
    while True:
        # standard normal by Box-Muller
        u1 = rand_unit(rng)
        u2 = rand_unit(rng)
        x = math.sqrt(-2.0 * math.log(u1 if u1 > 1e-300 else 1e-300)) * math.cos(2.0 * math.pi * u2)
        v = 1.0 + c * x
        if v <= 0.0:
            continue
        v = v * v * v
        u = rand_unit(rng)
        if u < 1.0 - 0.0331 * x * x * x * x or math.log(u if u > 1e-300 else 1e-300) < 0.5 * x * x + d * (
            1.0 - v + math.log(v)
        ):
            return d * v * boost


@njit(cache=True)
def add_root_noise(f, i, rngs, alpha, fraction):
    """Mix Dirichlet(alpha) noise into the root's child priors, once per root."""
    if f.meta[i, NOISE_DONE]:
        return
    root = f.meta[i, ROOT]
    start = f.first_child[i, root]
    n = f.n_children[i, root]
    if n == 0:
        return
    rng = rngs[i]
    noise = np.empty(n, dtype=np.float64)
    total = 0.0
    for j in range(n):
        noise[j] = _gamma(rng, alpha)
        total += noise[j]
    for j in range(n):
        eta = noise[j] / total if total > 0 else 1.0 / n
        f.P[i, start + j] = (1.0 - fraction) * f.P[i, start + j] + fraction * eta
    f.meta[i, NOISE_DONE] = 1


@njit(cache=True)
def root_visits(f, i, out):
    """Write the root's child visit counts into ``out`` (length n_cells, zero elsewhere)."""
    out[:] = 0.0
    root = f.meta[i, ROOT]
    start = f.first_child[i, root]
    for c in range(start, start + f.n_children[i, root]):
        out[f.action[i, c]] = f.N[i, c]


@njit(cache=True)
def find_child(f, i, node, a):
    start = f.first_child[i, node]
    for c in range(start, start + f.n_children[i, node]):
        if f.action[i, c] == a:
            return c
    return -1


@njit(cache=True)
def compact(f, i):
    """Move the subtree under the root to the front of tree ``i``'s pool (breadth first).

    Children of a node stay contiguous and in action order, so search results do not change; returns the new
    number of used nodes.
    """
    root = f.meta[i, ROOT]
    total = f.meta[i, NEXT_FREE]
    order = np.empty(total, dtype=np.int32)  # new index -> old index
    new_of = np.full(total, -1, dtype=np.int32)  # old index -> new index
    order[0] = root
    new_of[root] = 0
    used = 1
    head = 0
    while head < used:
        old = order[head]
        head += 1
        start = f.first_child[i, old]
        for c in range(start, start + f.n_children[i, old]):
            order[used] = c
            new_of[c] = used
            used += 1
    # Gather the kept nodes in their new order, then write them back to the front of the pool.
    sel = order[:used]
    p1 = f.p1[i, sel]
    p2 = f.p2[i, sel]
    to_move = f.to_move[i, sel]
    status = f.status[i, sel]
    ready = f.ready[i, sel]
    n_children = f.n_children[i, sel]
    first_child = f.first_child[i, sel]
    parent = f.parent[i, sel]
    action = f.action[i, sel]
    visits = f.N[i, sel]
    value_sum = f.W[i, sel]
    prior = f.P[i, sel]
    for j in range(used):
        f.p1[i, j] = p1[j]
        f.p2[i, j] = p2[j]
        f.to_move[i, j] = to_move[j]
        f.status[i, j] = status[j]
        f.ready[i, j] = ready[j]
        f.n_children[i, j] = n_children[j]
        f.first_child[i, j] = new_of[first_child[j]] if n_children[j] > 0 else 0
        f.parent[i, j] = new_of[parent[j]] if j > 0 else -1
        f.action[i, j] = action[j]
        f.N[i, j] = visits[j]
        f.W[i, j] = value_sum[j]
        f.P[i, j] = prior[j]
    f.meta[i, ROOT] = 0
    f.meta[i, NEXT_FREE] = used
    return used


@njit(cache=True)
def _virtual_loss(f, i, node, sign):
    """Add (``sign`` = 1) or take back (-1) a virtual loss on the path to ``node``: one visit that every mover
    on it lost, so that the next descent of the same step prefers other leaves."""
    while node >= 0:
        f.N[i, node] += sign
        f.W[i, node] -= sign
        node = f.parent[i, node]


@njit(cache=True)
def select_leaves_vl(active, targets, leaf_batch, f, prm, rt, planes, masks, need, need_node):
    """:func:`select_leaves` collecting up to ``leaf_batch`` leaves per tree, with virtual loss (tree search only).

    Each descent adds a virtual loss along its path, so the next descent of the step tends to another leaf; a
    tree stops collecting when a descent reaches a leaf already pending, or when its pending and finished
    simulations reach its target. Row ``k`` of ``planes``/``masks`` is leaf ``need_node[k]`` of tree
    ``need[k]``; :func:`expand_and_backup_vl` takes the losses back.
    """
    k = 0
    for i in range(active.shape[0]):
        if not active[i]:
            continue
        root = f.meta[i, ROOT]
        if f.n_children[i, root] > 0 and f.N[i, root] - 1 >= targets[i]:
            active[i] = False
            continue
        first = k
        for _ in range(leaf_batch):
            if f.n_children[i, root] > 0 and f.N[i, root] - 1 >= targets[i]:
                break
            node = root
            while f.n_children[i, node] > 0:
                node = _best_child(f, i, node, prm)
                if not f.ready[i, node]:
                    _materialize(f, i, node, rt)
            s = f.status[i, node]
            if s != ONGOING:
                _backup(f, i, node, 0.0 if s == DRAW else 1.0)
                continue
            if prm.win_check:
                proven = _expand_if_proven(f, i, node, rt, prm.max_nodes)
                if proven != 0.0:
                    _backup(f, i, node, proven)
                    continue
            pending = False
            for j in range(first, k):
                if need_node[j] == node:
                    pending = True
            if pending:
                break
            own, opp = _sides(f, i, node)
            write_planes(own, opp, f.bricks[i], f.full[i] & ~(own | opp), rt.rows, rt.cols, planes, masks, k)
            need[k] = i
            need_node[k] = node
            k += 1
            _virtual_loss(f, i, node, 1)
            if f.n_children[i, root] == 0:
                break  # an unexpanded root is evaluated alone
    return k


@njit(cache=True)
def expand_and_backup_vl(n_need, need, need_node, priors, values, f, prm, rt):
    """:func:`expand_and_backup` for :func:`select_leaves_vl`: take each leaf's virtual loss back, expand it and
    back its value up."""
    for k in range(n_need):
        i = need[k]
        node = need_node[k]
        _virtual_loss(f, i, node, -1)
        own, opp = _sides(f, i, node)
        free = f.full[i] & ~(own | opp)
        forced = -1
        if prm.win_check:
            threats = winning_cells(opp, own | f.bricks[i], rt)
            if popcount(threats) == 1:
                forced = lowest_bit_index(threats)
        if f.n_children[i, node] == 0:
            start = _add_children(f, i, node, free, prm.max_nodes)
            if start >= 0:
                for c in range(start, start + f.n_children[i, node]):
                    a = f.action[i, c]
                    if forced >= 0:
                        f.P[i, c] = 1.0 if a == forced else 0.0
                    else:
                        f.P[i, c] = priors[k, a]
        _backup(f, i, node, -float(values[k]))
