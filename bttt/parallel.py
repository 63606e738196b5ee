"""Connecting to Ray, the one way bttt spreads work over machines (tournament games, self-play jobs)."""

from __future__ import annotations

from bttt.errors import BtttError


def connect_ray(address: str | None, num_cpus: int | None):
    """The ``ray`` module, connected to the cluster at ``address`` or to a new local instance with ``num_cpus``
    CPUs; returns ``(ray, started_here)``, where ``started_here`` says whether the caller should shut it down."""
    try:
        import ray
    except ImportError:
        raise BtttError("the Ray backend needs ray: pip install 'bttt[ray]'") from None
    if ray.is_initialized():
        return ray, False
    kwargs: dict = {"include_dashboard": False, "log_to_driver": False}
    if address:
        kwargs["address"] = address
    elif num_cpus:
        kwargs["num_cpus"] = num_cpus
    try:
        ray.init(**kwargs)
    except (ConnectionError, ValueError, RuntimeError) as exc:
        raise BtttError(f"cannot start or reach Ray (address={address!r}): {exc}") from None
    return ray, True
