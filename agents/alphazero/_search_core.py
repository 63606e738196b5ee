"""numba kernels of the batched PUCT search (see :mod:`agents.alphazero.search`).

Every tree lives in rows of preallocated 2-D arrays (tree index, node index); a node
holds its position as two bitboards, its move, its parent, its prior, visit count
and value sum, and the contiguous range of its children. ``W`` (value sum) is kept
from the point of view of the player who made the move into the node, so a parent
picks the child with the highest ``W/N + U`` directly. No Python object exists per
node; Python only runs the network between :func:`select_leaves` and
:func:`expand_and_backup`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from bttt._core import DRAW, ONGOING, P1_WIN, is_win_at, lowest_bit_index, popcount, rand_unit

_ONE = np.uint64(1)

# Per-tree integer state columns (``meta[t, k]``).
ROOT, NEXT_FREE, NOISE_DONE, LEAF = 0, 1, 2, 3
N_META = 4


@njit(cache=True)
def init_root(
    t,
    meta,
    p1,
    p2,
    to_move,
    status,
    ready,
    first_child,
    n_children,
    parent,
    action,
    N,
    W,
    P,
    root_p1,
    root_p2,
    root_to_move,
    root_status,
):
    """Reset tree ``t`` to a single unexpanded root holding the given position."""
    meta[t, ROOT] = 0
    meta[t, NEXT_FREE] = 1
    meta[t, NOISE_DONE] = 0
    meta[t, LEAF] = -1
    p1[t, 0] = root_p1
    p2[t, 0] = root_p2
    to_move[t, 0] = root_to_move
    status[t, 0] = root_status
    ready[t, 0] = 1
    first_child[t, 0] = 0
    n_children[t, 0] = 0
    parent[t, 0] = -1
    action[t, 0] = -1
    N[t, 0] = 0
    W[t, 0] = 0.0
    P[t, 0] = 1.0


@njit(cache=True)
def _materialize(t, node, p1, p2, to_move, status, ready, parent, action, full, win_masks, cell_ptr, cell_wins):
    """Fill in a child's bitboards and game status from its parent (done lazily, on first visit)."""
    par = parent[t, node]
    a = action[t, node]
    b = _ONE << np.uint64(a)
    mover = to_move[t, par]
    q1 = p1[t, par]
    q2 = p2[t, par]
    if mover == 1:
        q1 |= b
        stones = q1
    else:
        q2 |= b
        stones = q2
    p1[t, node] = q1
    p2[t, node] = q2
    to_move[t, node] = 3 - mover
    if is_win_at(stones, a, win_masks, cell_ptr, cell_wins):
        status[t, node] = P1_WIN if mover == 1 else P1_WIN + 1
    elif (q1 | q2) & full == full:
        status[t, node] = DRAW
    else:
        status[t, node] = ONGOING
    ready[t, node] = 1


@njit(cache=True)
def _best_child(t, node, first_child, n_children, N, W, P, c_puct, paper_rule, fpu_reduction, fpu_relative, fpu_value):
    """Index of the child maximising Q + U (strict '>', so ties go to the lowest action)."""
    start = first_child[t, node]
    end = start + n_children[t, node]
    total = 0
    for c in range(start, end):
        total += N[t, c]
    if paper_rule:
        sqrt_n = math.sqrt(total)
        fpu = 0.0
    else:
        sqrt_n = math.sqrt(total + 1)
        if fpu_relative:
            # Unvisited children start at the node's own value (side to move at ``node``) minus a reduction.
            fpu = -W[t, node] / N[t, node] - fpu_reduction if N[t, node] > 0 else -fpu_reduction
        else:
            fpu = fpu_value
    best = start
    best_score = -1e300
    for c in range(start, end):
        n = N[t, c]
        q = W[t, c] / n if n > 0 else fpu
        score = q + c_puct * P[t, c] * sqrt_n / (1.0 + n)
        if score > best_score:
            best_score = score
            best = c
    return best


@njit(cache=True)
def _backup(t, node, value, parent, N, W):
    """Add one visit along the path to ``node``; ``value`` is for the player who moved into ``node``."""
    v = value
    while node >= 0:
        N[t, node] += 1
        W[t, node] += v
        v = -v
        node = parent[t, node]


@njit(cache=True)
def _write_planes(t, out_row, p1, p2, to_move, node, bricks, rows, cols, planes, masks, full):
    own = p1[t, node] if to_move[t, node] == 1 else p2[t, node]
    opp = p2[t, node] if to_move[t, node] == 1 else p1[t, node]
    brick = bricks[t]
    free = full[t] & ~(p1[t, node] | p2[t, node])
    for r in range(rows):
        for c in range(cols):
            b = _ONE << np.uint64(r * cols + c)
            planes[out_row, 0, r, c] = 1.0 if own & b else 0.0
            planes[out_row, 1, r, c] = 1.0 if opp & b else 0.0
            planes[out_row, 2, r, c] = 1.0 if brick & b else 0.0
            masks[out_row, r * cols + c] = (free & b) != 0


@njit(cache=True)
def _winning_cells(stones, free, win_masks, cell_ptr, cell_wins):
    """Bitboard of the cells in ``free`` where one more stone completes a line for ``stones``."""
    hits = np.uint64(0)
    f = free
    while f:
        a = lowest_bit_index(f)
        f &= f - _ONE
        if is_win_at(stones | (_ONE << np.uint64(a)), a, win_masks, cell_ptr, cell_wins):
            hits |= _ONE << np.uint64(a)
    return hits


@njit(cache=True)
def _expand_if_proven(
    t,
    node,
    meta,
    p1,
    p2,
    to_move,
    first_child,
    n_children,
    parent,
    action,
    ready,
    N,
    W,
    P,
    full,
    win_masks,
    cell_ptr,
    cell_wins,
    max_nodes,
):
    """Exact one-move-deep shortcuts: expand ``node`` without the network when its value is proven.

    * The side to move can complete a line: a proven win; the winning moves share the prior.
    * Otherwise, if the opponent threatens to complete lines on two or more cells, only one
      can be blocked: a proven loss; the blocking moves share the prior.
    Returns whether the node was expanded and backed up.
    """
    me = to_move[t, node]
    own = p1[t, node] if me == 1 else p2[t, node]
    opp = p2[t, node] if me == 1 else p1[t, node]
    free = full[t] & ~(p1[t, node] | p2[t, node])
    hits = _winning_cells(own, free, win_masks, cell_ptr, cell_wins)
    value = -1.0  # the player who moved into ``node`` loses ...
    if not hits:
        hits = _winning_cells(opp, free, win_masks, cell_ptr, cell_wins)
        if popcount(hits) < 2:
            return False
        value = 1.0  # ... or wins
    start = _add_children(t, node, free, meta, first_child, n_children, parent, action, ready, N, W, max_nodes)
    if start < 0:
        return False
    share = 1.0 / popcount(hits)
    for c in range(start, start + n_children[t, node]):
        P[t, c] = share if (hits >> np.uint64(action[t, c])) & _ONE else 0.0
    _backup(t, node, value, parent, N, W)
    return True


@njit(cache=True)
def _add_children(t, node, free, meta, first_child, n_children, parent, action, ready, N, W, max_nodes):
    """Give ``node`` one fresh child per cell of ``free`` (ascending); priors are the caller's.

    Returns the first child's index, or -1 (nothing changed) when the node pool has no room.
    """
    n_legal = popcount(free)
    start = meta[t, NEXT_FREE]
    if start + n_legal > max_nodes:
        return -1
    f = free
    c = start
    while f:
        parent[t, c] = node
        action[t, c] = lowest_bit_index(f)
        ready[t, c] = 0
        n_children[t, c] = 0
        first_child[t, c] = 0
        N[t, c] = 0
        W[t, c] = 0.0
        f &= f - _ONE
        c += 1
    first_child[t, node] = start
    n_children[t, node] = n_legal
    meta[t, NEXT_FREE] = start + n_legal
    return start


@njit(cache=True)
def select_leaves(
    active,
    targets,
    meta,
    p1,
    p2,
    to_move,
    status,
    ready,
    first_child,
    n_children,
    parent,
    action,
    N,
    W,
    P,
    bricks,
    full,
    c_puct,
    paper_rule,
    fpu_reduction,
    fpu_relative,
    fpu_value,
    win_masks,
    cell_ptr,
    cell_wins,
    rows,
    cols,
    planes,
    masks,
    need,
    win_check,
    max_nodes,
):
    """One simulation step for every active tree.

    Descends from each root by PUCT to a leaf. Terminal leaves are backed up at once;
    other leaves are recorded in ``meta[:, LEAF]`` and their planes/masks written to
    row ``k`` of ``planes``/``masks`` with ``need[k] = tree``. A tree whose root
    children already hold ``targets[t]`` visits is skipped (its ``active`` flag is
    cleared). An unexpanded root is itself the leaf (its evaluation is no
    simulation). With ``win_check``, a leaf whose value is proven one move deep (a win
    in one, or the opponent's double threat) is expanded and backed up without the
    network. Returns the number of leaves to evaluate.
    """
    k = 0
    for t in range(active.shape[0]):
        meta[t, LEAF] = -1
        if not active[t]:
            continue
        root = meta[t, ROOT]
        if n_children[t, root] > 0 and N[t, root] - 1 >= targets[t]:
            active[t] = False
            continue
        node = root
        while n_children[t, node] > 0:
            node = _best_child(
                t, node, first_child, n_children, N, W, P, c_puct, paper_rule, fpu_reduction, fpu_relative, fpu_value
            )
            if not ready[t, node]:
                _materialize(
                    t, node, p1, p2, to_move, status, ready, parent, action, full[t], win_masks, cell_ptr, cell_wins
                )
        s = status[t, node]
        if s != ONGOING:
            _backup(t, node, 0.0 if s == DRAW else 1.0, parent, N, W)
            continue
        if win_check and _expand_if_proven(
            t,
            node,
            meta,
            p1,
            p2,
            to_move,
            first_child,
            n_children,
            parent,
            action,
            ready,
            N,
            W,
            P,
            full,
            win_masks,
            cell_ptr,
            cell_wins,
            max_nodes,
        ):
            continue
        meta[t, LEAF] = node
        _write_planes(t, k, p1, p2, to_move, node, bricks, rows, cols, planes, masks, full)
        need[k] = t
        k += 1
    return k


@njit(cache=True)
def expand_and_backup(
    n_need,
    need,
    priors,
    values,
    meta,
    p1,
    p2,
    to_move,
    first_child,
    n_children,
    parent,
    action,
    ready,
    N,
    W,
    P,
    full,
    max_nodes,
    win_check,
    win_masks,
    cell_ptr,
    cell_wins,
):
    """Expand each evaluated leaf with one child per legal move, then back its value up.

    ``priors[k]``/``values[k]`` belong to tree ``need[k]``; values are for the side to
    move at the leaf. A tree whose node pool is full backs the value up without
    expanding (the caller compacts or resets trees before a search to avoid this).
    With ``win_check``, when the opponent threatens to win on exactly one cell, that
    block gets the whole prior (every other move loses at once).
    """
    for k in range(n_need):
        t = need[k]
        node = meta[t, LEAF]
        free = full[t] & ~(p1[t, node] | p2[t, node])
        forced = -1
        if win_check:
            opp = p2[t, node] if to_move[t, node] == 1 else p1[t, node]
            threats = _winning_cells(opp, free, win_masks, cell_ptr, cell_wins)
            if popcount(threats) == 1:
                forced = lowest_bit_index(threats)
        if n_children[t, node] == 0:
            start = _add_children(t, node, free, meta, first_child, n_children, parent, action, ready, N, W, max_nodes)
            if start >= 0:
                for c in range(start, start + n_children[t, node]):
                    a = action[t, c]
                    if forced >= 0:
                        P[t, c] = 1.0 if a == forced else 0.0
                    else:
                        P[t, c] = priors[k, a]
        _backup(t, node, -float(values[k]), parent, N, W)
        meta[t, LEAF] = -1


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
def add_root_noise(t, meta, first_child, n_children, P, rngs, alpha, fraction):
    """Mix Dirichlet(alpha) noise into the root's child priors, once per root."""
    if meta[t, NOISE_DONE]:
        return
    root = meta[t, ROOT]
    start = first_child[t, root]
    n = n_children[t, root]
    if n == 0:
        return
    rng = rngs[t]
    noise = np.empty(n, dtype=np.float64)
    total = 0.0
    for i in range(n):
        noise[i] = _gamma(rng, alpha)
        total += noise[i]
    for i in range(n):
        eta = noise[i] / total if total > 0 else 1.0 / n
        P[t, start + i] = (1.0 - fraction) * P[t, start + i] + fraction * eta
    meta[t, NOISE_DONE] = 1


@njit(cache=True)
def root_visits(t, meta, first_child, n_children, action, N, out):
    """Write the root's child visit counts into ``out`` (length n_cells, zero elsewhere)."""
    out[:] = 0.0
    root = meta[t, ROOT]
    start = first_child[t, root]
    for c in range(start, start + n_children[t, root]):
        out[action[t, c]] = N[t, c]


@njit(cache=True)
def find_child(t, node, a, first_child, n_children, action):
    start = first_child[t, node]
    for c in range(start, start + n_children[t, node]):
        if action[t, c] == a:
            return c
    return -1


@njit(cache=True)
def compact(t, meta, p1, p2, to_move, status, ready, first_child, n_children, parent, action, N, W, P):
    """Move the subtree under the root to the front of tree ``t``'s pool (breadth first).

    Children of a node stay contiguous and in action order, so search results do not
    change; returns the new number of used nodes.
    """
    root = meta[t, ROOT]
    total = meta[t, NEXT_FREE]
    order = np.empty(total, dtype=np.int32)  # new index -> old index
    new_of = np.full(total, -1, dtype=np.int32)  # old index -> new index
    order[0] = root
    new_of[root] = 0
    used = 1
    head = 0
    while head < used:
        old = order[head]
        head += 1
        start = first_child[t, old]
        for c in range(start, start + n_children[t, old]):
            order[used] = c
            new_of[c] = used
            used += 1
    # Copy node fields into temporaries, then back in the new order.
    tp1 = np.empty(used, dtype=np.uint64)
    tp2 = np.empty(used, dtype=np.uint64)
    tmv = np.empty(used, dtype=np.int8)
    tst = np.empty(used, dtype=np.int8)
    trd = np.empty(used, dtype=np.int8)
    tfc = np.empty(used, dtype=np.int32)
    tnc = np.empty(used, dtype=np.int32)
    tpa = np.empty(used, dtype=np.int32)
    tac = np.empty(used, dtype=np.int16)
    tN = np.empty(used, dtype=np.int32)
    tW = np.empty(used, dtype=np.float64)
    tP = np.empty(used, dtype=np.float32)
    for i in range(used):
        old = order[i]
        tp1[i] = p1[t, old]
        tp2[i] = p2[t, old]
        tmv[i] = to_move[t, old]
        tst[i] = status[t, old]
        trd[i] = ready[t, old]
        tnc[i] = n_children[t, old]
        tfc[i] = new_of[first_child[t, old]] if n_children[t, old] > 0 else 0
        tpa[i] = new_of[parent[t, old]] if i > 0 else -1
        tac[i] = action[t, old]
        tN[i] = N[t, old]
        tW[i] = W[t, old]
        tP[i] = P[t, old]
    for i in range(used):
        p1[t, i] = tp1[i]
        p2[t, i] = tp2[i]
        to_move[t, i] = tmv[i]
        status[t, i] = tst[i]
        ready[t, i] = trd[i]
        first_child[t, i] = tfc[i]
        n_children[t, i] = tnc[i]
        parent[t, i] = tpa[i]
        action[t, i] = tac[i]
        N[t, i] = tN[i]
        W[t, i] = tW[i]
        P[t, i] = tP[i]
    meta[t, ROOT] = 0
    meta[t, NEXT_FREE] = used
    return used
