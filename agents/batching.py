"""Agents whose moves wait on work that a driver can pool across games (network evaluations).

An agent that searches with a neural network spends most of its move waiting for the network. If it offers
``step_requests(state)``, a generator that *yields* each piece of such work as a :class:`BatchRequest`, is
sent the reply and finally *returns* its move, then a driver playing many games at once
(:mod:`tournament.batch_play`) can collect the requests of all its games, serve every group of requests with
the same ``batch_key`` in one call (one network forward pass for all their leaves), and send each game its
part. ``step`` of such an agent is :func:`run_alone` on its own generator, so a game played one at a time
runs the same code with batches of one game.

The protocol is duck-typed so that plug-in agents can take part: a request needs ``batch_key`` (hashable;
requests with equal keys can be served together), ``size`` (work items, for sharing out time) and a
``serve`` static method ``serve(requests) -> replies`` (same order).
"""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class BatchRequest(Protocol):
    batch_key: Hashable
    size: int

    @staticmethod
    def serve(requests: list) -> list: ...


StepRequests = Generator[BatchRequest, Any, int]


def can_batch(agent) -> bool:
    """Whether ``agent`` offers ``step_requests`` (its moves can be advanced together with other games')."""
    return callable(getattr(agent, "step_requests", None))


def serve_requests(requests: list) -> list:
    """Serve ``requests`` (any mix of keys), each group of equal ``batch_key`` in one call.

    Returns one reply per request, in order; where a group's call raises, its requests are served one by one
    so that the exception is returned (not raised) in the place of exactly the requests that cause it.
    """
    groups: dict[Hashable, list[int]] = {}
    for i, request in enumerate(requests):
        groups.setdefault(request.batch_key, []).append(i)
    replies: list = [None] * len(requests)
    for idx in groups.values():
        serve = type(requests[idx[0]]).serve
        try:
            out = serve([requests[i] for i in idx])
        except Exception:  # noqa: BLE001 - find the culprit(s) below
            out = None
        if out is not None and len(out) == len(idx):
            for i, reply in zip(idx, out, strict=True):
                replies[i] = reply
            continue
        for i in idx:
            try:
                replies[i] = serve([requests[i]])[0]
            except Exception as exc:  # noqa: BLE001 - handed to the requesting agent
                replies[i] = exc
    return replies


def run_alone(steps: StepRequests) -> int:
    """Drive one ``step_requests`` generator to its move, serving each request on its own."""
    try:
        request = next(steps)
        while True:
            request = steps.send(type(request).serve([request])[0])
    except StopIteration as stop:
        return stop.value
