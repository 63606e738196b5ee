#!/usr/bin/env python
"""Engine throughput: numba random playouts, and the PettingZoo env beside PettingZoo's own games.

Usage::

    python scripts/bench_engine.py                 # about 30 s
    python scripts/bench_engine.py --seconds 1 --repeats 3 --playouts 100000

Prints two tables, each with the baseline and the ratio:

1. random playouts through ``bttt.kernels.random_playouts`` on one thread (moves/s)
   against the 10 M moves/s target, with a pure-Python ``GameState`` loop for scale;
2. ``bttt.env()`` (wrapped like PettingZoo's classic games) playing uniformly random
   legal moves against ``tictactoe_v3.env()`` and ``connect_four_v3.env()`` with the
   same loop and wrappers (turns/s; the median of interleaved repeats), plus the
   Gymnasium env's steps/s;
3. GameState's per-call costs against its first implementation (kept in this
   script as the baseline), and the unwrapped envs' own observe/step/reset costs.
   PettingZoo's games need ``pygame`` (``pip install pygame``).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import time
import warnings
from collections.abc import Callable

import numpy as np

from bttt import GameState, Rules, kernels
from bttt.cells import parse_cell
from bttt.errors import IllegalMoveError

TARGET_MOVES_PER_S = 10_000_000


def machine() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown CPU"
    import os

    return f"{model}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}"


# ------------------------------------------------------------------ playouts
def bench_numba_playouts(n_games: int, repeats: int) -> float:
    rules = Rules()
    t = rules.tables
    args = (np.uint64(0), np.uint64(0), 1, t)
    kernels.random_playouts(*args, kernels.make_rng(0), 10)  # compile / load the cache
    best = 0.0
    for r in range(repeats):
        start = time.perf_counter()
        counts = kernels.random_playouts(*args, kernels.make_rng(r + 1), n_games)
        best = max(best, counts[4] / (time.perf_counter() - start))
    return best


def bench_python_playouts(seconds: float) -> float:
    rules = Rules()
    rng = np.random.default_rng(0)
    moves = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        state = GameState(rules)
        while not state.is_terminal():
            legal = state.legal_actions()
            state.apply_action(legal[int(rng.integers(len(legal)))])
            moves += 1
    return moves / (time.perf_counter() - start)


# --------------------------------------------- GameState vs its first version
# The first implementations (commit f711c2d), kept here as the baseline: the win test is one numba call per move
# (then ``_core.status_after``, now the same test through ``kernels.play_cell``).
def old_apply_action(state: GameState, action) -> None:
    rules = state.rules
    if isinstance(action, str):
        action = parse_cell(action, rules.rows, rules.cols)
    if not isinstance(action, int | np.integer) or isinstance(action, bool):
        raise IllegalMoveError(f"a move is a cell index or name, got {action!r}")
    action = int(action)
    if not 0 <= action < rules.n_cells:
        raise IllegalMoveError(f"move {action} is off the board (cells are 0..{rules.n_cells - 1})")
    name = rules.name(action)
    if state._status != kernels.ONGOING:
        raise IllegalMoveError(f"move {name}: the game is already over")
    bit = 1 << action
    if rules.brick_mask & bit:
        raise IllegalMoveError(f"move {name}: a brick stands on that cell")
    if (state.p1 | state.p2) & bit:
        owner = "O" if state.p1 & bit else "X"
        raise IllegalMoveError(f"move {name}: the cell is already taken by {owner}")
    tables = rules.tables
    p1, p2, state._status = kernels.play_cell(
        np.uint64(state.p1), np.uint64(state.p2), state.to_move, action, tables.full, tables
    )
    state.p1, state.p2 = int(p1), int(p2)
    state.history.append(action)
    state.to_move = 3 - state.to_move


def old_legal_actions(state: GameState) -> list[int]:
    free = state.empty_mask
    out = []
    while free:
        low = free & -free
        out.append(low.bit_length() - 1)
        free ^= low
    return out


def old_legal_mask(state: GameState) -> np.ndarray:
    mask = np.zeros(state.rules.n_cells, dtype=bool)
    mask[old_legal_actions(state)] = True
    return mask


def old_board(state: GameState) -> np.ndarray:
    n = state.rules.n_cells
    bits = np.arange(n, dtype=np.uint64)
    cells = np.zeros(n, dtype=np.int8)
    cells[(np.uint64(state.p1) >> bits) & np.uint64(1) == 1] = 1
    cells[(np.uint64(state.p2) >> bits) & np.uint64(1) == 1] = 2
    cells[list(state.rules.bricks)] = 3
    return cells.reshape(state.rules.rows, state.rules.cols)


def old_observation(state: GameState) -> np.ndarray:
    b = old_board(state)
    own, opp = (1, 2) if state.to_move == 1 else (2, 1)
    return np.stack([b == own, b == opp, b == 3]).astype(np.float32)


def bench_state_calls(n_games: int) -> list[tuple]:
    """Mean microseconds per call over every position of ``n_games`` seeded random games."""
    rules = Rules()
    rng = np.random.default_rng(0)
    games, positions = [], []
    for _ in range(n_games):
        state = GameState(rules)
        while not state.is_terminal():
            positions.append(state.clone())
            legal = state.legal_actions()
            state.apply_action(legal[int(rng.integers(len(legal)))])
        games.append(state.history)
    for pos in positions[:50]:  # same answers before timing anything
        assert np.array_equal(old_observation(pos), pos.observation())
        assert np.array_equal(old_board(pos), pos.board()) and old_legal_actions(pos) == pos.legal_actions()

    def per_position(fn) -> float:
        start = time.perf_counter()
        for pos in positions:
            fn(pos)
        return (time.perf_counter() - start) / len(positions) * 1e6

    def per_move(apply) -> float:
        start = time.perf_counter()
        for moves in games:
            state = GameState(rules)
            for m in moves:
                apply(state, m)
        return (time.perf_counter() - start) / len(positions) * 1e6

    rows = []
    for name, old, new in (
        ("apply_action (per move)", lambda: per_move(old_apply_action), lambda: per_move(GameState.apply_action)),
        ("observation()", lambda: per_position(old_observation), lambda: per_position(GameState.observation)),
        ("board()", lambda: per_position(old_board), lambda: per_position(GameState.board)),
        ("legal_actions()", lambda: per_position(old_legal_actions), lambda: per_position(GameState.legal_actions)),
        ("legal_mask()", lambda: per_position(old_legal_mask), lambda: per_position(GameState.legal_mask)),
    ):
        old_us = min(old() for _ in range(3))
        new_us = min(new() for _ in range(3))
        rows.append((name, f"{old_us:.2f}", f"{new_us:.2f}", f"{old_us / new_us:.2f}x"))
    return rows


# ------------------------------------------------------------------ AEC envs
def aec_turns_per_s(env, seconds: float, seed: int) -> tuple[float, float]:
    """Random legal moves through the wrapped AEC API; (turns/s, games/s)."""
    rng = np.random.default_rng(seed)
    moves = games = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.reset(seed=seed if games == 0 else None)  # seed once, as a training loop would
        games += 1
        for _agent in env.agent_iter():
            obs, _reward, terminated, truncated, _info = env.last()
            if terminated or truncated:
                action = None
            else:
                legal = np.flatnonzero(obs["action_mask"])
                action = int(legal[rng.integers(len(legal))])
                moves += 1
            env.step(action)
    elapsed = time.perf_counter() - start
    return moves / elapsed, games / elapsed


def raw_costs(env, n_games: int) -> tuple[float, float, float]:
    """Unwrapped env: microseconds per observe() and per step(), and per reset(), random legal moves."""
    rng = np.random.default_rng(0)
    t_obs = t_step = t_reset = 0.0
    moves = 0
    env.reset(seed=0)
    for _ in range(n_games):
        start = time.perf_counter()
        env.reset()
        t_reset += time.perf_counter() - start
        while not env.terminations[env.agent_selection]:
            start = time.perf_counter()
            obs = env.observe(env.agent_selection)
            t_obs += time.perf_counter() - start
            legal = np.flatnonzero(obs["action_mask"])
            action = int(legal[rng.integers(len(legal))])
            start = time.perf_counter()
            env.step(action)
            t_step += time.perf_counter() - start
            moves += 1
    return t_obs / moves * 1e6, t_step / moves * 1e6, t_reset / n_games * 1e6


def gym_steps_per_s(seconds: float, seed: int) -> tuple[float, float]:
    from bttt.gymnasium_env import BrickTicTacToeEnv

    env = BrickTicTacToeEnv()
    rng = np.random.default_rng(seed)
    steps = games = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        env.reset(seed=seed if games == 0 else None)
        games += 1
        done = False
        while not done:
            legal = np.flatnonzero(env.action_masks())
            _obs, _r, done, _t, _info = env.step(int(legal[rng.integers(len(legal))]))
            steps += 1
    elapsed = time.perf_counter() - start
    return steps / elapsed, games / elapsed


def aec_constructors() -> dict[str, Callable]:
    import bttt

    out: dict[str, Callable] = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            from pettingzoo.classic import connect_four_v3, tictactoe_v3
        out["tictactoe_v3 (3x3)"] = tictactoe_v3.env
        out["connect_four_v3 (6x7)"] = connect_four_v3.env
    except ImportError as err:  # pygame missing
        print(f"note: PettingZoo's classic games are unavailable ({err}); pip install pygame to compare")
    out["bttt env() (7x7, D4)"] = bttt.env
    out["bttt env(bricks='random')"] = lambda: bttt.env(bricks="random")
    return out


def table(title: str, header: tuple[str, ...], rows: list[tuple]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    print(f"\n{title}")
    print("  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(
            "  ".join(
                str(x).rjust(w) if i else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths, strict=True))
            )
        )


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--playouts", type=int, default=200_000, help="games per numba playout run (default 200000)")
    p.add_argument("--seconds", type=float, default=2.0, help="seconds per env measurement (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved repeats, the median is reported (default 3)")
    p.add_argument("--json", metavar="FILE", help="also write the raw figures to FILE (for scripts/bench_compare.py)")
    args = p.parse_args()
    figures: dict[str, float] = {}
    print(f"machine: {machine()}")

    numba_rate = bench_numba_playouts(args.playouts, args.repeats)
    python_rate = bench_python_playouts(min(args.seconds, 2.0))
    figures["numba random playout moves/s"] = numba_rate
    figures["GameState random play moves/s"] = python_rate
    table(
        "Random playouts on one thread, 7x7 with a brick on D4 (moves per second)",
        ("engine", "moves/s", "vs 10M target", "vs GameState loop"),
        [
            (
                "numba kernels.random_playouts",
                f"{numba_rate:,.0f}",
                f"{numba_rate / TARGET_MOVES_PER_S:.2f}x",
                f"{numba_rate / python_rate:.0f}x",
            ),
            ("python GameState loop", f"{python_rate:,.0f}", f"{python_rate / TARGET_MOVES_PER_S:.3f}x", "1x"),
        ],
    )

    table(
        "GameState calls, mean over every position of 200 seeded random games (microseconds per call)",
        ("call", "first version", "now", "speed-up"),
        bench_state_calls(200),
    )

    envs = aec_constructors()
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in envs}
    for _ in range(max(args.repeats, 1)):
        for name, make in envs.items():  # interleaved so background load hits every env alike
            results[name].append(aec_turns_per_s(make(), args.seconds, seed=0))
    med = {
        name: (statistics.median(r[0] for r in rs), statistics.median(r[1] for r in rs)) for name, rs in results.items()
    }
    base_name = "tictactoe_v3 (3x3)" if "tictactoe_v3 (3x3)" in med else "bttt env() (7x7, D4)"
    base = med[base_name][0]
    rows = [(name, f"{t:,.0f}", f"{g:,.0f}", f"{t / base:.2f}x") for name, (t, g) in med.items()]
    gym_rate, gym_games = gym_steps_per_s(args.seconds, seed=0)
    for name, (turns, _) in med.items():
        figures[f"{name} turns/s"] = turns
    figures["bttt Gymnasium env steps/s"] = gym_rate
    rows.append(("bttt Gymnasium env (learner steps)", f"{gym_rate:,.0f}", f"{gym_games:,.0f}", "-"))
    raw_rows = []
    for name, make in envs.items():
        if "random" in name:
            continue
        best = min((raw_costs(make().unwrapped, 300) for _ in range(max(args.repeats, 1))), key=sum)
        raw_rows.append((name, *(f"{x:.2f}" for x in best), f"{best[0] + best[1]:.2f}"))
    table(
        "Unwrapped raw_env costs, random legal moves (microseconds; best of the repeats)",
        ("environment", "observe()", "step()", "reset()", "observe+step"),
        raw_rows,
    )
    table(
        f"PettingZoo AEC envs with TerminateIllegal+AssertOutOfBounds+OrderEnforcing wrappers, "
        f"random legal moves (median of {args.repeats} x {args.seconds:g} s)",
        ("environment", "turns/s", "games/s", f"vs {base_name.split()[0]}"),
        rows,
    )
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(figures, fh, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
