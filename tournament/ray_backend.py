"""The Ray backend: the same games on many machines, results written by the driver.

Each game is a Ray task running :func:`tournament.play.play_game` in a Ray
worker process, whose agent cache persists between the tasks it runs. Ray
retries a task whose worker died (``max_retries``); one that still fails is
recorded as a ``crash`` fault. Scheduling, seeds and the store are the same as
with the local backend, so a tournament may even be resumed on the other one.
"""

from __future__ import annotations

from collections.abc import Iterator

from bttt.parallel import connect_ray
from tournament.play import GameResult, GameTask, crash_result


def _play(unit: GameTask | list[GameTask]) -> list[dict]:
    from tournament.runner import play_unit

    return [r.to_dict() for r in play_unit(unit)]


def iter_ray(
    tasks: list[GameTask | list[GameTask]],
    address: str | None = None,
    workers: int | None = None,
    max_crashes: int = 2,
) -> Iterator[GameResult]:
    """Yield every task's result from a Ray cluster (``address``) or a local Ray instance.

    A task may be a list: a group of games played together in one Ray task (:mod:`tournament.batch_play`).
    A group whose worker keeps dying is split: its games are retried one per task, so only the culprit is
    recorded as a crash.
    """
    ray, started_here = connect_ray(address, workers)
    from ray.exceptions import RayError, RayTaskError

    try:
        remote = ray.remote(num_cpus=1, max_retries=max(0, max_crashes - 1), retry_exceptions=False)(_play)
        cpus = int(ray.cluster_resources().get("CPU", workers or 1))
        limit = 2 * max(1, cpus)
        pending = list(reversed(tasks))
        inflight: dict = {}
        while pending or inflight:
            while pending and len(inflight) < limit:
                task = pending.pop()
                inflight[remote.remote(task)] = task
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                task = inflight.pop(ref)
                try:
                    data = ray.get(ref)
                except RayTaskError as exc:  # play_game itself failed: a bug, not an agent fault
                    raise exc.as_instanceof_cause() from None
                except RayError as exc:  # the worker (or its node) died, also after Ray's retries
                    if isinstance(task, list):  # find the culprit: its games one per task
                        pending.extend(reversed(task))
                        continue
                    yield crash_result(task, f"Ray task failed after {max_crashes} tries: {type(exc).__name__}")
                    continue
                for item in data:
                    yield GameResult.from_dict(item)
    finally:
        if started_here:
            ray.shutdown()
