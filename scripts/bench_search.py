#!/usr/bin/env python
"""Search-agent speed: bttt's numba Minimax and MCTS beside their baselines, with ratios.

Usage::

    python scripts/bench_search.py            # about a minute (pure-Python baselines included)
    python scripts/bench_search.py --quick    # fewer repeats, no pure-Python MCTS baseline

One thread, one process. Rows:

* MCTS with random rollouts, iterations/s from the opening of 7x7 4-in-a-row without a
  brick, beside OpenSpiel's C++ ``MCTSBot`` on ``mnk(m=7,n=7,k=4)`` (the same game) with
  a ``RandomRolloutEvaluator(1)``, measured in the same run; and with the brick on D4.
* The paper presets (brick on D4, opening): ``minimax:preset=paper`` (depth 2) and
  ``mcts:preset=paper`` (2500 iterations), ms/move, beside the original code's published
  figures (0.5 s and 0.7 s) and the original algorithms re-implemented here in plain
  Python (board of lists, board copied per move, one object per tree node), timed now.
* Alpha-beta (``minimax`` fast mode) nodes/s with the heuristic at depth 4 and 6.

Timings are medians of repeats; speed claims in docs/search.md come from this script.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import random
import statistics
import time

from agents.mcts import MCTSAgent
from agents.minimax import MinimaxAgent
from bttt import GameState, Rules

ORIGINAL_MINIMAX_S = 0.5  # the original pure-Python depth-2 Minimax, per move (issue text)
ORIGINAL_MCTS_S = 0.7  # the original pure-Python 2500-iteration MCTS, per move

# ============================================================================
# The original algorithms in plain Python: the measured baseline (not for play).
# ============================================================================
N, K, BRICK = 7, 4, 9
DIRS = ((0, 1), (1, 0), (1, 1), (1, -1))


def new_board(brick: int) -> list[list[int]]:
    board = [[0] * N for _ in range(N)]
    board[brick // N][brick % N] = BRICK
    return board


def compute_reward(window: list[int]) -> float:
    if BRICK in window:
        return 0
    o, x = window.count(1), window.count(-1)
    if o and x:
        return 0
    blank = window.count(0)
    bonus = 2 if window[0] == 0 and window[-1] == 0 else 1
    if o:
        return bonus * 1 * 1.5 / (100**blank)
    if x:
        return -bonus * 1 / (100**blank)
    return 0


def evaluate(board: list[list[int]]) -> float:
    value = 0
    for i in range(N):
        for j in range(N):
            for di, dj in DIRS:
                window = []
                for s in range(K):
                    r, c = i + di * s, j + dj * s
                    window.append(board[r][c] if 0 <= r < N and 0 <= c < N else BRICK)
                value += compute_reward(window)
    return value


def winner_after(board: list[list[int]], r: int, c: int) -> bool:
    p = board[r][c]
    for dr, dc in DIRS:
        run = 1
        for sgn in (1, -1):
            rr, cc = r + sgn * dr, c + sgn * dc
            while 0 <= rr < N and 0 <= cc < N and board[rr][cc] == p:
                run += 1
                rr, cc = rr + sgn * dr, cc + sgn * dc
        if run >= K:
            return True
    return False


class Env:
    """A position: board, player to move (+1 = O, -1 = X), done flag and reward."""

    def __init__(self, board, player=1, done=False, reward=0):
        self.board, self.player, self.done, self.reward = board, player, done, reward

    def actions(self) -> list[int]:
        return [r * N + c for r in range(N) for c in range(N) if self.board[r][c] == 0]

    def step(self, a: int) -> Env:
        board = [row[:] for row in self.board]
        r, c = divmod(a, N)
        board[r][c] = self.player
        if winner_after(board, r, c):
            return Env(board, -self.player, True, self.player)
        full = all(v != 0 for row in board for v in row)
        return Env(board, -self.player, full, 0)


def minimax(env: Env, alpha: float, beta: float, depth: int) -> float:
    if env.done:
        return env.reward
    if depth == 0:
        return evaluate(env.board)
    if env.player == 1:
        best = -math.inf
        for a in env.actions():
            best = max(best, minimax(env.step(a), alpha, beta, depth - 1))
            alpha = max(alpha, best)
            if beta <= alpha:
                break
        return best
    best = math.inf
    for a in env.actions():
        best = min(best, minimax(env.step(a), alpha, beta, depth - 1))
        beta = min(beta, best)
        if beta <= alpha:
            break
    return best


def minimax_move(env: Env, depth: int, rng: random.Random) -> int:
    values = {a: minimax(env.step(a), -10000, 10000, depth - 1) for a in env.actions()}
    best = max(values.values()) if env.player == 1 else min(values.values())
    return rng.choice([a for a, v in values.items() if v == best])


class Node:
    def __init__(self, env: Env, parent: Node | None):
        self.env, self.parent = env, parent
        self.children: dict[int, Node] = {}
        self.untried = env.actions()
        self.visits, self.total = 0, 0.0


def heuristic_leaf(env: Env) -> float:
    if env.done:
        return env.reward
    v = evaluate(env.board)
    return (6 + math.log10(abs(v) + 1e-6)) / 6 * (v > 0) - (6 + math.log10(abs(v) + 1e-6)) / 6 * (v < 0)


def mcts_move(env: Env, iterations: int, c: float, rng: random.Random) -> int:
    root = Node(env, None)
    for _ in range(iterations):
        node = root
        while not node.env.done:
            if node.untried:
                a = node.untried.pop(0)
                child = Node(node.env.step(a), node)
                node.children[a] = child
                node = child
                break
            log_n = math.log(node.visits)
            scores = {a: ch.total / ch.visits + c * math.sqrt(log_n / ch.visits) for a, ch in node.children.items()}
            top = max(scores.values())
            node = node.children[rng.choice([a for a, s in scores.items() if s == top])]
        value = heuristic_leaf(node.env)
        while node is not None:
            node.total += -value if node.env.player == 1 else value
            node.visits += 1
            node = node.parent
    return max(root.children, key=lambda a: root.children[a].visits)


# ============================================================================
# Measurements
# ============================================================================
CLOCK = time.process_time  # set by --clock


def median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = CLOCK()
        fn()
        times.append(CLOCK() - start)
    return statistics.median(times)


def bench_mcts_rollouts(bricks, iterations: int, repeats: int) -> float:
    state = GameState(Rules(bricks=bricks))
    agent = MCTSAgent(iterations=iterations, c=1.4, leaf="rollout", seed=1)
    MCTSAgent(iterations=10, seed=0).step(state)  # compile / load the numba cache
    return iterations / median_time(lambda: agent.step(state), repeats)


def bench_openspiel(iterations: int, repeats: int) -> float | str:
    try:
        import pyspiel
    except ImportError as exc:
        return f"not installed ({exc}); pip install -c constraints.txt open_spiel"
    game = pyspiel.load_game("mnk(m=7,n=7,k=4)")
    evaluator = pyspiel.RandomRolloutEvaluator(1, 1)
    bot = pyspiel.MCTSBot(game, evaluator, 1.4, iterations, 4000, False, 1, False)
    state = game.new_initial_state()
    bot.step(state)  # warm up
    return iterations / median_time(lambda: bot.step(state), repeats)


def bench_paper_minimax(repeats: int) -> float:
    state = GameState(Rules(bricks="D4"))
    agent = MinimaxAgent(preset="paper", seed=0)
    agent.step(state)
    return median_time(lambda: agent.step(state), repeats)


def bench_paper_mcts(repeats: int) -> float:
    state = GameState(Rules(bricks="D4"))
    agent = MCTSAgent(preset="paper", seed=0)
    agent.step(state)
    return median_time(lambda: agent.step(state), repeats)


def bench_python_minimax(repeats: int) -> float:
    env = Env(new_board(24))
    rng = random.Random(0)
    check_python_minimax(env)
    return median_time(lambda: minimax_move(env, 2, rng), repeats)


def check_python_minimax(env: Env) -> None:
    """The baseline computes the same root values as the paper preset (it is a faithful port)."""
    ours = MinimaxAgent(preset="paper").root_values(GameState(Rules(bricks="D4")))
    theirs = {a: minimax(env.step(a), -10000, 10000, 1) for a in env.actions()}
    assert ours == theirs, "pure-Python baseline disagrees with minimax:preset=paper"


def bench_python_mcts(repeats: int) -> float:
    env = Env(new_board(24))
    rng = random.Random(0)
    return median_time(lambda: mcts_move(env, 2500, 1.0, rng), repeats)


def bench_alphabeta(depth: int, repeats: int) -> tuple[float, int, float]:
    state = GameState(Rules(bricks="D4"))
    agent = MinimaxAgent(depth=depth, seed=0)
    agent.search(GameState(Rules(bricks="E5")))  # compile / load the numba cache
    rates, nodes, secs = [], 0, 0.0
    for _ in range(repeats):
        agent.reset()
        start = CLOCK()
        _, _, _, nodes = agent.search(state)
        secs = CLOCK() - start
        rates.append(nodes / secs)
    return statistics.median(rates), nodes, secs


def machine() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            return next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def fmt_rate(x: float) -> str:
    return f"{x:,.0f}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats, skip the pure-Python MCTS baseline")
    ap.add_argument("--iterations", type=int, default=100_000, help="MCTS rollout iterations per timed search")
    ap.add_argument(
        "--clock",
        choices=("cpu", "wall"),
        default="cpu",
        help="cpu: this process's CPU time (steady on a shared machine; default), wall: elapsed time",
    )
    ap.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE (for scripts/bench_compare.py)")
    ap.add_argument("--no-baselines", action="store_true", help="skip OpenSpiel and the pure-Python baselines")
    args = ap.parse_args()
    figures: dict[str, float] = {}
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    reps = 3 if args.quick else 7
    print(
        f"bench_search on {machine()}, Python {platform.python_version()}, one thread, "
        f"{args.clock} time, median of {reps}+ repeats\n"
    )
    rows = []

    ours = bench_mcts_rollouts(None, args.iterations, reps)
    figures["mcts rollout iterations/s, no brick"] = ours
    spiel_its = max(2000, args.iterations // 10)
    spiel = "skipped" if args.no_baselines else bench_openspiel(spiel_its, reps)
    if isinstance(spiel, float):
        rows.append(
            (
                "MCTS rollout it/s, 7x7 k4 no brick",
                fmt_rate(ours),
                fmt_rate(spiel),
                "OpenSpiel C++ MCTSBot mnk(7,7,4)",
                f"{ours / spiel:.1f}x",
                ">= 10x",
                ours / spiel >= 10,
            )
        )
    else:
        rows.append(
            ("MCTS rollout it/s, 7x7 k4 no brick", fmt_rate(ours), "-", f"OpenSpiel {spiel}", "-", ">= 10x", False)
        )
    rows.append(
        (
            "MCTS rollout it/s (absolute)",
            fmt_rate(ours),
            "100,000",
            "target",
            f"{ours / 1e5:.1f}x",
            ">= 100,000",
            ours >= 1e5,
        )
    )
    ours_d4 = bench_mcts_rollouts("D4", args.iterations, reps)
    figures["mcts rollout iterations/s, D4"] = ours_d4
    rows.append(
        (
            "MCTS rollout it/s, brick D4",
            fmt_rate(ours_d4),
            "100,000",
            "target",
            f"{ours_d4 / 1e5:.1f}x",
            ">= 100,000",
            ours_d4 >= 1e5,
        )
    )

    mm = bench_paper_minimax(max(reps, 20))
    figures["minimax:preset=paper moves/s"] = 1 / mm
    rows.append(
        (
            "minimax:preset=paper ms/move, D4",
            f"{mm * 1e3:.2f}",
            f"{ORIGINAL_MINIMAX_S * 1e3:.0f}",
            "original code (published)",
            f"{ORIGINAL_MINIMAX_S / mm:.0f}x",
            "<= 5 ms, >= 100x",
            mm <= 0.005,
        )
    )
    py_mm = math.inf if args.no_baselines else bench_python_minimax(3 if args.quick else 5)
    rows.append(
        (
            "minimax:preset=paper ms/move, D4",
            f"{mm * 1e3:.2f}",
            f"{py_mm * 1e3:.0f}",
            "original algorithm, plain Python (measured)",
            f"{py_mm / mm:.0f}x",
            ">= 100x",
            py_mm / mm >= 100,
        )
    )

    mc = bench_paper_mcts(max(reps, 20))
    figures["mcts:preset=paper moves/s"] = 1 / mc
    rows.append(
        (
            "mcts:preset=paper ms/move, D4",
            f"{mc * 1e3:.2f}",
            f"{ORIGINAL_MCTS_S * 1e3:.0f}",
            "original code (published)",
            f"{ORIGINAL_MCTS_S / mc:.0f}x",
            "<= 40 ms, >= 15x",
            mc <= 0.040,
        )
    )
    if not args.quick and not args.no_baselines:
        py_mc = bench_python_mcts(1)
        rows.append(
            (
                "mcts:preset=paper ms/move, D4",
                f"{mc * 1e3:.2f}",
                f"{py_mc * 1e3:.0f}",
                "original algorithm, plain Python (measured)",
                f"{py_mc / mc:.0f}x",
                ">= 15x",
                py_mc / mc >= 15,
            )
        )

    for depth in (4, 6):
        rate, nodes, secs = bench_alphabeta(depth, reps)
        figures[f"alpha-beta nodes/s, depth {depth}"] = rate
        rows.append(
            (
                f"alpha-beta nodes/s, depth {depth}, D4",
                fmt_rate(rate),
                "-",
                f"{nodes:,} nodes in {secs * 1e3:.0f} ms (fresh TT)",
                "-",
                "report",
                True,
            )
        )

    header = ("measure", "bttt", "baseline", "baseline is", "ratio", "target", "met")
    table = [header] + [(*r[:6], "yes" if r[6] else "NO") for r in rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    for i, row in enumerate(table):
        print(" | ".join(str(v).ljust(w) for v, w in zip(row, widths, strict=True)))
        if i == 0:
            print("-+-".join("-" * w for w in widths))
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=1)


if __name__ == "__main__":
    main()
