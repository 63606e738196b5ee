"""Connecting to Ray, the one way bttt spreads work over machines (tournament games, self-play jobs)."""

from __future__ import annotations

import os

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


def stop_pool(pool) -> None:
    """Stop a ``concurrent.futures.ProcessPoolExecutor`` now: terminate its processes rather than wait for the
    work they are doing (after Ctrl-C, or when a dead worker broke the pool)."""
    import contextlib

    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        with contextlib.suppress(Exception):  # already gone
            proc.terminate()
    pool.shutdown(wait=False, cancel_futures=True)


def call_interruptibly(fn, *args):
    """``fn(*args)`` -- a long numba kernel compiled with ``nogil=True`` -- run in a helper thread, so that Ctrl-C
    reaches the main thread at once instead of after the kernel returns.

    The kernel itself cannot be stopped: after Ctrl-C it runs on in its daemon thread until the process exits.
    Off the main thread (where Python delivers no signals) ``fn`` is simply called.
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return fn(*args)
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="bttt-kernel", daemon=True)
    thread.start()
    while thread.is_alive():
        thread.join(0.1)
    if "error" in box:
        raise box["error"]
    return box["value"]


def kill_worker_processes() -> None:
    """SIGKILL the worker processes of this process's pools, the forkserver and any worker it is still starting.

    Used on Ctrl-C, when their work is abandoned anyway (workers write no files; the main process stores every
    result): a worker caught half-started would otherwise print a traceback after bttt has exited, when the
    pool's semaphores it tries to open are already gone.
    """
    import contextlib
    import multiprocessing
    import multiprocessing.forkserver
    import signal

    pids = {p.pid for p in multiprocessing.active_children() if p.pid}
    server = getattr(getattr(multiprocessing.forkserver, "_forkserver", None), "_forkserver_pid", None)
    if server:
        pids |= _children(server) | {server}
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def _children(pid: int) -> set[int]:
    """Direct children of ``pid`` (from /proc; empty where there is none)."""
    out: set[int] = set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return out
    for name in entries:
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.add(int(name))
            except (OSError, ValueError, IndexError):
                continue
    return out
