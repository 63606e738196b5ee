"""Scripted agents of known strength and simulated tournaments for the calibration tests of the statistics.

An agent has a Bradley-Terry-Davidson strength and, per cell, a rate at which it throws a game away (it loses
on chosen cells at chosen rates). A game between ``i`` (moving first) and ``j`` on cell ``c`` from an opening
with first-mover bias ``o``: if exactly one of them throws the game away (each independently with its rate on
``c``) that one loses; otherwise the result follows the model with ``i``'s strength raised by the first-move
advantage and ``o``. Both games of a pair share the opening, so its bias favours whoever moves first in each:
the two games are correlated, as real colour-swapped pairs are. Everything is seeded; the true expected
scores and outcome probabilities are exact sums over the finitely many cases, so calibration tests can ask
whether the intervals cover them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tournament.pairs import PairTable

#: First-mover biases of an opening (nats) and how often each occurs.
OPENING_BIAS = np.array([-1.5, 0.0, 1.5])
OPENING_PROB = np.array([0.25, 0.5, 0.25])
ETA = 0.8  # first-move advantage (nats)
LOG_NU = -0.5  # Davidson draw parameter


@dataclass(frozen=True)
class ScriptedAgent:
    """An agent that plays at ``strength`` except that on cell ``c`` it loses at rate ``lose[c]``."""

    name: str
    strength: float
    lose: np.ndarray  # per cell


def game_probabilities(first: ScriptedAgent, second: ScriptedAgent, cell: int, bias: float) -> np.ndarray:
    """(first wins, second wins, draw) of one game."""
    li, lj = first.lose[cell], second.lose[cell]
    a, b = first.strength + ETA + bias, second.strength
    z = np.array([a, b, LOG_NU + (a + b) / 2])
    play = np.exp(z - z.max())
    play /= play.sum()
    normal = 1 - li - lj + 2 * li * lj
    return normal * play + np.array([lj * (1 - li), li * (1 - lj), 0.0])


def expected_probabilities(first: ScriptedAgent, second: ScriptedAgent, cell: int) -> np.ndarray:
    """Outcome probabilities averaged over opening biases."""
    return sum(w * game_probabilities(first, second, cell, o) for o, w in zip(OPENING_BIAS, OPENING_PROB, strict=True))


def true_cell_scores(agents: list[ScriptedAgent], cells: int, agent: int) -> np.ndarray:
    """The expected pair score of ``agents[agent]`` on each cell, against all the others equally."""
    me = agents[agent]
    out = np.zeros(cells)
    for c in range(cells):
        scores = []
        for k, other in enumerate(agents):
            if k == agent:
                continue
            w1, _, d1 = expected_probabilities(me, other, c)
            _, w2, d2 = expected_probabilities(other, me, c)
            scores.append(((w1 + d1 / 2) + (w2 + d2 / 2)) / 2)
        out[c] = np.mean(scores)
    return out


def expected_counts(agents: list[ScriptedAgent], cells: int, pairs_per_cell: int) -> np.ndarray:
    """(n, n, 3) expected outcome counts of a tournament with ``pairs_per_cell`` pairs per pairing and cell."""
    n = len(agents)
    out = np.zeros((n, n, 3))
    for i in range(n):
        for j in range(n):
            if i != j:
                out[i, j] = pairs_per_cell * sum(expected_probabilities(agents[i], agents[j], c) for c in range(cells))
    return out


def probability_table(agents: list[ScriptedAgent], cells: int) -> np.ndarray:
    """(n, n, cells, biases, 3) outcome probabilities of every game (vectorised :func:`game_probabilities`)."""
    strength = np.array([x.strength for x in agents])
    lose = np.stack([x.lose[:cells] for x in agents])  # (n, cells)
    a = strength[:, None, None] + ETA + OPENING_BIAS[None, None, :]  # (n, 1, biases): first mover
    b = strength[None, :, None]  # (1, n, 1)
    z = np.stack(np.broadcast_arrays(a, b, LOG_NU + (a + b) / 2), axis=-1)  # (n, n, biases, 3)
    play = np.exp(z - z.max(axis=-1, keepdims=True))
    play /= play.sum(axis=-1, keepdims=True)
    li, lj = lose[:, None, :], lose[None, :, :]  # (n, 1, cells), (1, n, cells)
    normal = 1 - li - lj + 2 * li * lj
    table = normal[..., None, None] * play[:, :, None, :, :]
    table[..., 0] += (lj * (1 - li))[..., None]
    table[..., 1] += (li * (1 - lj))[..., None]
    table[np.arange(len(agents)), np.arange(len(agents))] = 0.0
    return table


def simulate(agents: list[ScriptedAgent], cells: int, openings: int, rng: np.random.Generator, table=None):
    """One round robin: every pairing plays each of the ``openings`` of every cell as a colour-swapped pair.

    The openings (their biases) are drawn once per cell and shared by every pairing, as bttt's are.
    Returns the :class:`tournament.pairs.PairTable` (built directly; ``form_pairs`` has its own tests).
    """
    table = probability_table(agents, cells) if table is None else table
    n = len(agents)
    kind = rng.choice(len(OPENING_BIAS), size=(cells, openings), p=OPENING_PROB)
    pairings = [(i, j) for i in range(n) for j in range(i + 1, n)]
    a = np.repeat([p[0] for p in pairings], cells * openings)
    b = np.repeat([p[1] for p in pairings], cells * openings)
    cell = np.tile(np.repeat(np.arange(cells), openings), len(pairings))
    opening = np.tile(np.arange(openings), len(pairings) * cells)
    k = kind[cell, opening]

    def play(first: np.ndarray, second: np.ndarray) -> np.ndarray:
        cum = np.cumsum(table[first, second, cell, k], axis=1)
        return (rng.random(len(first))[:, None] > cum[:, :2]).sum(axis=1)  # 0 first wins, 1 second, 2 draw

    return PairTable(
        tuple(x.name for x in agents),
        tuple(f"c{c}" for c in range(cells)),
        a,
        b,
        cell,
        tuple(f"o{o}" for o in opening),
        np.zeros(len(a), dtype=np.int64),
        play(a, b),
        play(b, a),
    )


def pair_score_distribution(agents: list[ScriptedAgent], cells: int, agent: int, opponents: list[int]) -> np.ndarray:
    """(cells, 5): probability that a pair of ``agent`` against one of ``opponents`` (equally likely) scores
    0, 1/4, 1/2, 3/4 or 1, the opening's bias drawn as :func:`simulate` draws it."""
    table = probability_table(agents, cells)
    first_score = np.array([2, 0, 1])  # half-points of the first mover by outcome
    out = np.zeros((cells, 5))
    for j in opponents:
        for t, w in enumerate(OPENING_PROB):
            p1 = table[agent, j, :, t]  # agent first
            p2 = table[j, agent, :, t]  # agent second: its half-points are 2 - the first mover's
            for x in range(3):
                for y in range(3):
                    out[:, first_score[x] + 2 - first_score[y]] += w * p1[:, x] * p2[:, y] / len(opponents)
    return out
