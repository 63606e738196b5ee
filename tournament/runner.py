"""The local backend: games in a pool of worker processes that survives dying workers.

Games stream through a :class:`~concurrent.futures.ProcessPoolExecutor` with a
bounded number in flight. When a worker dies (``os._exit``, a segfault in an
agent, the OOM killer), the pool breaks and every game in flight fails with
``BrokenProcessPool``; those games become *suspects*. A fresh pool then plays
the suspects one at a time, so an innocent game that merely shared the pool
finishes normally while the culprit is identified; a game that kills its worker
``max_crashes`` times on its own is recorded as a ``crash`` fault and the
tournament goes on.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from bttt.parallel import stop_pool
from tournament.defaults import DEFAULT_MAX_CRASHES
from tournament.play import GameResult, GameTask, crash_result, play_game


def play_unit(unit: GameTask | list[GameTask]) -> list[GameResult]:
    """A single game, or a group of games played together (:func:`tournament.batch_play.play_group`)."""
    if isinstance(unit, list):
        from tournament.batch_play import play_group

        return play_group(unit)
    return [play_game(unit)]


def _init_worker() -> None:
    """Worker start-up: ignore Ctrl-C (the driver handles it and stops the pool), and one math thread per
    worker (games already run in parallel; like Ray, unless the user set these variables)."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(var, "1")


def _context():
    """Forkserver (spawn where absent): safe with threads in the driver (torch, Ray), and with the
    game engine preloaded in the server, new workers (also after a crash) start in milliseconds."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["tournament.play", "agents.registry", "agents.random_agent"])
    return ctx


def iter_local(
    tasks: list[GameTask | list[GameTask]], workers: int, max_crashes: int = DEFAULT_MAX_CRASHES
) -> Iterator[GameResult]:
    """Yield every task's result, in completion order, from ``workers`` processes.

    A task may be a list of tasks: a group played together in one worker
    (:mod:`tournament.batch_play`). If a group's worker dies, its games become suspects and are replayed
    one at a time like any others.
    """
    pending: deque[GameTask | list[GameTask]] = deque(tasks)
    suspects: deque[GameTask] = deque()
    crashes: Counter = Counter()
    ctx = _context()
    while pending or suspects:
        pool = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=ctx, initializer=_init_worker)
        broken = False
        clean = False
        try:
            if suspects:
                # Isolation: one suspect at a time, nothing else in the pool.
                while suspects:
                    task = suspects.popleft()
                    try:
                        result = pool.submit(play_game, task).result()
                    except BrokenProcessPool:
                        broken = True
                        crashes[task.key] += 1
                        if crashes[task.key] >= max_crashes:
                            yield crash_result(
                                task, f"the worker process died {crashes[task.key]} times playing this game alone"
                            )
                        else:
                            suspects.appendleft(task)
                        break
                    yield result
                clean = True
                continue
            inflight: dict[Future, GameTask | list[GameTask]] = {}
            limit = 2 * max(1, workers)
            while pending or inflight:
                while pending and len(inflight) < limit:
                    unit = pending.popleft()
                    inflight[pool.submit(play_unit, unit)] = unit
                done, _ = wait(inflight, return_when=FIRST_COMPLETED)
                for fut in done:
                    unit = inflight.pop(fut)
                    try:
                        results = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        suspects.extend(unit if isinstance(unit, list) else [unit])
                        continue
                    yield from results
                if broken:
                    for unit in inflight.values():
                        suspects.extend(unit if isinstance(unit, list) else [unit])
                    inflight.clear()
                    break
            clean = True
        finally:
            if clean:
                pool.shutdown(wait=not broken, cancel_futures=True)
            else:  # interrupted or abandoned: stop the workers now, not after their games
                stop_pool(pool)
