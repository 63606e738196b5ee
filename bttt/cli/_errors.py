"""How every command ends: its exit code and the one line a user sees when it does not succeed.

* a user error (:class:`bttt.BtttError`): ``bttt CMD: error: ...`` and exit code 2, never a traceback;
* Ctrl-C: exit code 130 at once and the command's own note on what was kept (``INTERRUPTED`` in its module), a
  promise to resume only where the command really resumes;
* a closed pipe (``bttt demo | head -1``): exit quietly;
* a write the system refuses (a full disk, a quota, a read-only file system): exit code 2, the file, the cause,
  and the command's note on what was kept (every write of bttt is atomic or transactional, so it is still true);
* anything else is a bug: one line asking for a report (``BTTT_DEBUG=1`` shows the traceback), exit code 1.
"""

from __future__ import annotations

import argparse
import errno
import os
import sys

#: errors of the system, not of bttt, when writing: the user can fix them (free space, another folder)
WRITE_REFUSED = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def run_command(args: argparse.Namespace) -> int:
    from bttt.errors import BtttError

    run = args._run
    note = getattr(sys.modules.get(run.__module__), "INTERRUPTED", "nothing was saved")
    try:
        return int(run(args) or 0)
    except BtttError as exc:
        print(f"bttt {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"\nbttt {args.command}: interrupted; {note}.", file=sys.stderr)
        # Every `finally` of the command has run (its files are closed and saved); skip the interpreter's own
        # teardown of torch and numba, which can take seconds, so that Ctrl-C ends the command at once.
        import multiprocessing.util

        from bttt.parallel import kill_worker_processes

        kill_worker_processes()  # none left half-started to print a traceback once its pool is gone
        multiprocessing.util._exit_function()  # release the worker pools' semaphores and queues first
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        if exc.errno not in WRITE_REFUSED or os.environ.get("BTTT_DEBUG"):
            return _internal_error(args, exc)
        where = f" {exc.filename}" if exc.filename else ""
        print(
            f"bttt {args.command}: error: cannot write{where}: {exc.strerror} (free space, or choose another "
            f"folder); {note}.",
            file=sys.stderr,
        )
        return 2
    except Exception as exc:  # noqa: BLE001 - anything else is a bug, reported as one
        return _internal_error(args, exc)


def _internal_error(args: argparse.Namespace, exc: Exception) -> int:
    """A bug: one line asking for a report, or the traceback with ``BTTT_DEBUG`` set."""
    if os.environ.get("BTTT_DEBUG"):
        raise exc
    print(
        f"bttt {args.command}: internal error: {type(exc).__name__}: {exc}\n"
        "This is a bug; rerun with BTTT_DEBUG=1 to see the traceback and please report it.",
        file=sys.stderr,
    )
    return 1
