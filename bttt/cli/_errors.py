"""How every command ends: its exit code and the one line a user sees when it does not succeed.

* a user error (:class:`bttt.BtttError`): ``bttt CMD: error: ...`` and exit code 2, never a traceback;
* Ctrl-C: exit code 130 at once and the command's own note on what was kept (``INTERRUPTED`` in its module), a
  promise to resume only where the command really resumes;
* a closed pipe (``bttt demo | head -1``): exit quietly;
* anything else is a bug: one line asking for a report (``BTTT_DEBUG=1`` shows the traceback), exit code 1.
"""

from __future__ import annotations

import argparse
import os
import sys


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

        multiprocessing.util._exit_function()  # release the worker pools' semaphores and queues first
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(130)
    except BrokenPipeError:
        # the reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except Exception as exc:
        if os.environ.get("BTTT_DEBUG"):
            raise
        print(
            f"bttt {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug; rerun with BTTT_DEBUG=1 to see the traceback and please report it.",
            file=sys.stderr,
        )
        return 1
