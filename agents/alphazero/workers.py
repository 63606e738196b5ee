"""Where self-play jobs run: local worker processes or a Ray cluster.

Both backends take the same jobs (network config, CPU weights, training config, number of games, seed, torch
threads) and return one :class:`~agents.alphazero.selfplay.SelfPlayResult` per job in job order, so the learner
merges identical games whichever backend played them. Ray is used the same way as by tournaments
(``--backend ray --address ...``; no address starts a local Ray instance).
"""

from __future__ import annotations

from collections.abc import Callable

from agents.alphazero.selfplay import SelfPlayResult, play_games_worker
from bttt.errors import BtttError
from bttt.parallel import connect_ray, stop_pool

BACKENDS = ("local", "ray")


#: How many times a batch of jobs is retried in a fresh pool after a worker process died.
RETRIES = 2


class WorkerDiedError(BtttError):
    """Self-play worker processes kept dying (killed, out of memory, a crash)."""


def _init_worker() -> None:
    """Workers ignore Ctrl-C: the main process handles it, stops the pool, and nothing prints a traceback."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessWorkers:
    """A pool of spawned processes (each imports torch once and keeps it).

    A worker that dies (kill -9, the OOM killer, a segfault) breaks the pool instead of hanging it: the jobs that
    had not returned are played again in a fresh pool (they are seeded, so the games are the same), and after
    :data:`RETRIES` such failures the run stops with :class:`WorkerDiedError`.
    """

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"), initializer=_init_worker)

    def map(self, jobs: list[tuple], done: Callable[[tuple], None] | None = None) -> list[SelfPlayResult]:
        """Every job's result, in job order; ``done(job)`` is called as each one finishes (for progress bars)."""
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        results: dict[int, SelfPlayResult] = {}
        for attempt in range(RETRIES + 1):
            futures = {i: self.pool.submit(play_games_worker, job) for i, job in enumerate(jobs) if i not in results}
            index = {f: i for i, f in futures.items()}
            try:
                for future in as_completed(futures.values()):
                    i = index[future]
                    results[i] = future.result()
                    if done is not None:
                        done(jobs[i])
                return [results[i] for i in range(len(jobs))]
            except BrokenProcessPool:
                stop_pool(self.pool)
                self.pool = self._new_pool()
                if attempt == RETRIES:
                    raise WorkerDiedError(
                        f"a self-play worker process died {RETRIES + 1} times (killed, out of memory or crashed); "
                        "finished work is saved: rerun the same command to resume"
                    ) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        stop_pool(self.pool)


class RayWorkers:
    """One Ray task per job on a Ray cluster (``address``) or on a local Ray instance."""

    def __init__(self, address: str, workers: int) -> None:
        ray, self.started_here = connect_ray(address, workers)
        self.ray = ray
        self.remote = ray.remote(num_cpus=1)(play_games_worker)

    def map(self, jobs: list[tuple], done: Callable[[tuple], None] | None = None) -> list[SelfPlayResult]:
        refs = [self.remote.remote(job) for job in jobs]
        out = []
        for job, ref in zip(jobs, refs, strict=True):
            out.append(self.ray.get(ref))
            if done is not None:
                done(job)
        return out

    def close(self) -> None:
        if self.started_here:
            self.ray.shutdown()


def start_workers(backend: str, workers: int, address: str = "") -> ProcessWorkers | RayWorkers | None:
    """The self-play backend for a run, or None to play in the learner's own process."""
    if backend == "ray":
        return RayWorkers(address, workers)
    if backend != "local":
        raise BtttError(f"unknown self-play backend {backend!r}: choose one of {', '.join(BACKENDS)}")
    return ProcessWorkers(workers) if workers > 1 else None
