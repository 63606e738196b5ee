"""Tournament throughput: games per second with 1 and 2 workers, and the per-game overhead of the
scheduler, process pool and store against playing the same games in a bare loop.

    .venv/bin/python scripts/bench_tournament.py [--games N] [--suite orbits] [--agents A B ...]

Baseline: the same games (same agents, layouts, colours and seeds) played one after another in this
process by a bare loop (``agent.step`` / ``state.apply_action``, nothing stored). Every row plays the
same games; numba kernels are compiled (or loaded from cache) before any timing.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from agents.registry import make_agent
from bttt import GameState, Rules
from bttt.layouts import parse_layout
from tournament.driver import TournamentSpec, prepare, run_tournament
from tournament.play import agent_seed, play_game
from tournament.runner import iter_local
from tournament.store import Store


def bare_loop(tasks) -> float:
    """Play every task with agents built once, no fault handling, timing or storage."""
    agents = {}
    start = time.perf_counter()
    for t in tasks:
        players = {}
        for seat, spec in ((1, t.p1_spec), (2, t.p2_spec)):
            a = agents.get((spec, seat))
            if a is None:
                a = agents[(spec, seat)] = make_agent(spec)
            a.reset()
            a.seed(agent_seed(t.seed, seat))
            players[seat] = a
        state = GameState(Rules(bricks=parse_layout(t.key.layout)))
        while not state.is_terminal():
            state.apply_action(players[state.to_move].step(state.clone()))
    return time.perf_counter() - start


def pooled(spec, db: Path, workers: int) -> tuple[float, float]:
    """What ``run_tournament`` does (schedule, pool, one transaction per game), timed:
    (seconds to the first stored result, seconds in all)."""
    start = time.perf_counter()
    first = None
    with Store(db) as store:
        _config, _, tasks = prepare(spec, store)
        for result in iter_local(tasks, workers):
            store.add_game(result)
            if first is None:
                first = time.perf_counter() - start
    return first, time.perf_counter() - start


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--agents", nargs="+", default=["minimax:preset=paper", "mcts:preset=paper"])
    p.add_argument("--suite", default="orbits")
    p.add_argument("--games", type=int, default=4, help="games per pairing, colour and layout")
    args = p.parse_args()
    spec = TournamentSpec(agents=args.agents, suite=args.suite, games_per_colour=args.games, seed=1)
    tmp = Path(tempfile.mkdtemp(prefix="bttt-bench-"))
    with Store(tmp / "plan.db") as store:
        _, _, tasks = prepare(spec, store)
    n = len(tasks)
    for t in tasks[:4]:  # compile / load every numba kernel in this process first
        play_game(t)

    rows = []
    bare = bare_loop(tasks)
    rows.append(("bare loop, in process (baseline)", bare))
    t0 = time.perf_counter()
    results = [play_game(t) for t in tasks]
    rows.append(("play_game (faults + timing), in process", time.perf_counter() - t0))
    t0 = time.perf_counter()
    with Store(tmp / "store.db") as store:
        store.ensure_config(
            {
                "rows": 7,
                "cols": 7,
                "win_length": 4,
                "seed": 1,
                "suite": [],
                "games_per_colour": 1,
                "move_time_limit": None,
                "train": None,
            }
        )
        for a in args.agents:
            store.add_agent(make_agent(a).name, a, None)
        for r in results:
            store.add_game(r)
    store_time = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Store(tmp / "plan2.db") as store:
        prepare(spec, store)
    schedule_time = time.perf_counter() - t0
    startup = {}
    for workers in (1, 2):
        first, total = pooled(spec, tmp / f"w{workers}.db", workers)
        startup[workers] = first
        label = f"{workers} worker{'s' * (workers > 1)}"
        rows.append((f"pool + store, {label}, total", total))
        rows.append((f"pool + store, {label}, after first result", total - first))
    check = run_tournament(spec, tmp / "check.db", workers=2, progress=False)
    assert check.played == n

    print(
        f"{n} games ({', '.join(args.agents)}; suite {args.suite}; {args.games} per colour and layout); "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end"
    )
    print(f"{'configuration':<48} {'wall s':>8} {'games/s':>9} {'ms/game':>8} {'vs baseline':>12}")
    for label, secs in rows:
        print(f"{label:<48} {secs:8.2f} {n / secs:9.1f} {1000 * secs / n:8.2f} {bare / secs:11.2f}x")
    one = dict(rows)["pool + store, 1 worker, total"]
    two = dict(rows)["pool + store, 2 workers, total"]
    one_steady = dict(rows)["pool + store, 1 worker, after first result"]
    print(
        f"\nworker start-up (time to the first result): 1 worker {startup[1]:.2f} s, 2 workers {startup[2]:.2f} s "
        "(forkserver start, imports, numba cache loads; once per run)"
    )
    print(
        f"scaling 1 -> 2 workers: {one / two:.2f}x in total, "
        f"{one_steady / dict(rows)['pool + store, 2 workers, after first result']:.2f}x after the first result"
    )
    print(
        "overhead per game, 1 worker after start-up vs bare loop: "
        f"{1000 * (one_steady - bare * (n - 1) / n) / (n - 1):+.2f} ms "
        f"(store writes alone {1000 * store_time / n:.2f} ms, scheduling alone {1000 * schedule_time / n:.3f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
