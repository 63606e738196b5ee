"""numba UCT over a tree held in preallocated numpy arrays.

One node per array slot: parent, first child and next sibling links, the move that
led to it, the side to move there, its game status, both bitboards, the legal
moves not yet expanded, and the visit count and total reward. The algorithm is the
original's: descend while the node is not terminal; if it still has untried moves,
expand the lowest one (one new child per iteration) and stop; otherwise follow the
child maximising ``Q + c * sqrt(ln(N_parent) / n_child)`` with random tie-breaks.
The new node is valued by a random rollout or the log-scaled heuristic (player 1's
view) and the value is backed up to the root: a node where player 1 is to move
subtracts it, one where player 2 is to move adds it, so Q is always from the point
of view of the player who moved into the node.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit

from agents.heuristic import evaluate, log_scaled
from bttt.kernels import ONGOING, P1_WIN, P2_WIN, lowest_bit_index, play_cell, rand_below, random_playout

LEAF_ROLLOUT, LEAF_HEURISTIC = 0, 1
_ONE = np.uint64(1)
_ZERO = np.uint64(0)

# Column order of the int32 node table.
PARENT, FIRST_CHILD, NEXT_SIBLING, MOVE, TO_MOVE, STATUS = range(6)
# Column order of the uint64 node table.
P1, P2, UNTRIED = range(3)
# Column order of the float64 node table.
VISITS, TOTAL = range(2)


class Tree(NamedTuple):
    """The node tables of one search tree (see the module docstring for the columns)."""

    ints: np.ndarray  # int32 (capacity, 6)
    bits: np.ndarray  # uint64 (capacity, 3)
    vals: np.ndarray  # float64 (capacity, 2)
    meta: np.ndarray  # int64 [n_nodes, root]


def new_tree(capacity: int) -> Tree:
    """Empty node tables for ``capacity`` nodes."""
    return Tree(
        np.empty((capacity, 6), dtype=np.int32),
        np.empty((capacity, 3), dtype=np.uint64),
        np.empty((capacity, 2), dtype=np.float64),
        np.zeros(2, dtype=np.int64),
    )


@njit(cache=True)
def init_root(tree, p1, p2, to_move, full):
    """Make slot 0 the root for this position (the tree is emptied)."""
    ints, bits, vals, meta = tree
    ints[0, PARENT] = -1
    ints[0, FIRST_CHILD] = -1
    ints[0, NEXT_SIBLING] = -1
    ints[0, MOVE] = -1
    ints[0, TO_MOVE] = to_move
    ints[0, STATUS] = ONGOING
    bits[0, P1] = p1
    bits[0, P2] = p2
    bits[0, UNTRIED] = full & ~(p1 | p2)
    vals[0, VISITS] = 0.0
    vals[0, TOTAL] = 0.0
    meta[0] = 1
    meta[1] = 0


@njit(cache=True)
def _terminal_value(status):
    if status == P1_WIN:
        return 1.0
    if status == P2_WIN:
        return -1.0
    return 0.0


@njit(cache=True)
def run_iterations(tree, n_iter, c, leaf, t, h, rng):
    """Run ``n_iter`` UCT iterations from ``meta[1]`` (the root); needs n_iter free slots.

    ``t`` is the variant's :class:`bttt.kernels.RuleTables`, ``h`` its heuristic tables, ``rng`` a splitmix64 state.
    """
    ints, bits, vals, meta = tree
    full = t.full
    scratch = np.empty(64, dtype=np.int64)
    root = meta[1]
    for _ in range(n_iter):
        node = root
        # selection / expansion
        while ints[node, STATUS] == ONGOING:
            untried = bits[node, UNTRIED]
            if untried != _ZERO:
                cell = lowest_bit_index(untried)
                bits[node, UNTRIED] = untried & (untried - _ONE)
                new = meta[0]
                meta[0] = new + 1
                mover = ints[node, TO_MOVE]
                p1, p2, st = play_cell(bits[node, P1], bits[node, P2], mover, cell, full, t)
                ints[new, PARENT] = node
                ints[new, FIRST_CHILD] = -1
                ints[new, NEXT_SIBLING] = ints[node, FIRST_CHILD]
                ints[node, FIRST_CHILD] = new
                ints[new, MOVE] = cell
                ints[new, TO_MOVE] = 3 - mover
                ints[new, STATUS] = st
                bits[new, P1] = p1
                bits[new, P2] = p2
                bits[new, UNTRIED] = full & ~(p1 | p2) if st == ONGOING else _ZERO
                vals[new, VISITS] = 0.0
                vals[new, TOTAL] = 0.0
                node = new
                break
            log_n = math.log(vals[node, VISITS])
            best = -np.inf
            pick = -1
            ties = 0
            ch = ints[node, FIRST_CHILD]
            while ch != -1:
                nv = vals[ch, VISITS]
                u = vals[ch, TOTAL] / nv + c * math.sqrt(log_n / nv)
                if u > best:
                    best = u
                    pick = ch
                    ties = 1
                elif u == best:
                    ties += 1
                    if rand_below(rng, ties) == 0:
                        pick = ch
                ch = ints[ch, NEXT_SIBLING]
            node = pick
        # evaluation (player 1's point of view)
        st = ints[node, STATUS]
        if st != ONGOING:
            value = _terminal_value(st)
        elif leaf == LEAF_HEURISTIC:
            value = log_scaled(evaluate(bits[node, P1], bits[node, P2], h))
        else:
            res, _ = random_playout(bits[node, P1], bits[node, P2], ints[node, TO_MOVE], t, rng, scratch)
            value = _terminal_value(res)
        # backpropagation
        while node != -1:
            if ints[node, TO_MOVE] == 1:
                vals[node, TOTAL] -= value
            else:
                vals[node, TOTAL] += value
            vals[node, VISITS] += 1.0
            node = ints[node, PARENT]


@njit(cache=True)
def root_choice(tree):
    """The most visited root child's move (lowest cell on ties); -1 if none."""
    ints, _, vals, meta = tree
    best_n = -1.0
    best_move = -1
    ch = ints[meta[1], FIRST_CHILD]
    while ch != -1:
        n = vals[ch, VISITS]
        m = ints[ch, MOVE]
        if n > best_n or (n == best_n and m < best_move):
            best_n = n
            best_move = m
        ch = ints[ch, NEXT_SIBLING]
    return best_move


@njit(cache=True)
def find_child(ints, node, move):
    ch = ints[node, FIRST_CHILD]
    while ch != -1:
        if ints[ch, MOVE] == move:
            return ch
        ch = ints[ch, NEXT_SIBLING]
    return -1


@njit(cache=True)
def compact(tree, new_root, out):
    """Copy the subtree under ``new_root`` into the tree ``out``, rooted at slot 0."""
    ints, bits, vals, meta = tree
    out_ints, out_bits, out_vals, out_meta = out
    stack = np.empty(meta[0], dtype=np.int64)
    remap = np.empty(meta[0], dtype=np.int64)
    n = 0
    top = 0
    stack[top] = new_root
    top += 1
    while top > 0:
        top -= 1
        old = stack[top]
        remap[old] = n
        for j in range(6):
            out_ints[n, j] = ints[old, j]
        for j in range(3):
            out_bits[n, j] = bits[old, j]
        for j in range(2):
            out_vals[n, j] = vals[old, j]
        n += 1
        ch = ints[old, FIRST_CHILD]
        while ch != -1:
            stack[top] = ch
            top += 1
            ch = ints[ch, NEXT_SIBLING]
    for i in range(n):
        p = out_ints[i, PARENT]
        out_ints[i, PARENT] = -1 if i == 0 else remap[p]
        f = out_ints[i, FIRST_CHILD]
        out_ints[i, FIRST_CHILD] = -1 if f == -1 else remap[f]
        s = out_ints[i, NEXT_SIBLING]
        out_ints[i, NEXT_SIBLING] = -1 if (s == -1 or i == 0) else remap[s]
    out_meta[0] = n
    out_meta[1] = 0
