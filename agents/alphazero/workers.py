"""Where self-play jobs run: local worker processes or a Ray cluster.

Both backends take the same jobs (network config, CPU weights, training config, number of games, seed, torch
threads) and return one :class:`~agents.alphazero.selfplay.SelfPlayResult` per job in job order, so the learner
merges identical games whichever backend played them. Ray is used the same way as by tournaments
(``--backend ray --address ...``; no address starts a local Ray instance).
"""

from __future__ import annotations

from agents.alphazero.selfplay import SelfPlayResult, play_games_worker
from bttt.errors import BtttError
from bttt.parallel import connect_ray

BACKENDS = ("local", "ray")


class ProcessWorkers:
    """A pool of spawned processes (each imports torch once and keeps it)."""

    def __init__(self, workers: int) -> None:
        import multiprocessing as mp

        self.pool = mp.get_context("spawn").Pool(workers)

    def map(self, jobs: list[tuple]) -> list[SelfPlayResult]:
        return self.pool.map(play_games_worker, jobs)

    def close(self) -> None:
        self.pool.terminate()


class RayWorkers:
    """One Ray task per job on a Ray cluster (``address``) or on a local Ray instance."""

    def __init__(self, address: str, workers: int) -> None:
        ray, self.started_here = connect_ray(address, workers)
        self.ray = ray
        self.remote = ray.remote(num_cpus=1)(play_games_worker)

    def map(self, jobs: list[tuple]) -> list[SelfPlayResult]:
        return self.ray.get([self.remote.remote(job) for job in jobs])

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
