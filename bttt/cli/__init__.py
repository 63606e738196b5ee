"""The ``bttt`` command line: a thin shell that dispatches to each package's commands.

This is the only place allowed to tie ``bttt``, ``agents``, ``tournament`` and
``pruning`` together. Each command lives in a module exposing ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args) -> int``; modules are imported only when
needed so ``bttt --help`` stays fast. User errors (:class:`bttt.BtttError`) print
their message, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS: dict[str, str] = {
    "demo": "bttt.cli.demo",
    "play": "agents.commands.play",
    "agents": "agents.commands.list_agents",
    "tournament": "tournament.commands.run_tournament",
    "report": "tournament.commands.report",
    "train": "agents.alphazero.commands.train",
    "selfplay": "agents.alphazero.commands.selfplay",
    "import-keras": "agents.alphazero.commands.import_keras",
    "prune": "bttt.cli.prune",
}


def _load(module_name: str):
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="bttt", description="Brick Tic-Tac-Toe: a generalization testbed for game-playing agents."
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS.items():
        module = _load(module_name)
        if module is None:
            continue
        p = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    from bttt.errors import BtttError

    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except BtttError as exc:
        print(f"bttt {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"\nbttt {args.command}: interrupted; finished work is saved, rerun the same command to resume.",
            file=sys.stderr,
        )
        return 130
    except Exception as exc:
        if os.environ.get("BTTT_DEBUG"):
            raise
        print(
            f"bttt {args.command}: internal error: {type(exc).__name__}: {exc}\n"
            "This is a bug; rerun with BTTT_DEBUG=1 to see the traceback and please report it.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
