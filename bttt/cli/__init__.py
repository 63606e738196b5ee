"""The ``bttt`` command line: one module per command in this folder, each a thin front for a library function.

This is the only place allowed to tie ``bttt``, ``agents``, ``tournament`` and ``pruning`` together, and nothing
imports it. A command module exposes ``add_arguments(parser)`` and ``run(args) -> int``; its one-line help lives
in :data:`COMMANDS`, so ``bttt --help`` imports no command (and so neither torch nor numba), and ``bttt CMD``
imports only CMD. User errors (:class:`bttt.BtttError`) print one line, never a traceback, and exit 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

#: command -> (module, one-line help), in the order ``bttt --help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("bttt.cli.demo", "play and print a seeded demo game between two uniform random movers"),
    "play": ("bttt.cli.play", "play a game between two agents (e.g. --p1 human --p2 mcts:iterations=5000)"),
    "agents": ("bttt.cli.agents", "list the available agents with their parameters, defaults and help"),
    "tournament": (
        "bttt.cli.tournament",
        "play a round robin over brick layouts, store every game, report ratings and generalization",
    ),
    "report": ("bttt.cli.report", "rebuild a tournament's tables, CSV files, figures and pages from its database"),
    "show": ("bttt.cli.show", "show one stored game move by move, or list the games of an agent, cell or result"),
    "export": ("bttt.cli.export", "export every stored game with all its fields (JSON Lines, CSV or BTTT-PGN)"),
    "import": ("bttt.cli.import_games", "read games written by bttt export into a tournament database (checked)"),
    "train": ("bttt.cli.train", "train an AlphaZero network by batched self-play (resumable)"),
    "selfplay": ("bttt.cli.selfplay", "play a trained network against itself and write a dataset for bttt prune"),
    "import-keras": ("bttt.cli.import_keras", "convert one of the paper's Keras AlphaZero networks to a checkpoint"),
    "prune": ("bttt.cli.prune", "prune an AlphaZero checkpoint with DropNet under SILO (physical removal, resumable)"),
    "analyse": (
        "bttt.cli.analyse",
        "judge every stored move with the exact solver: optimal, inaccuracy, blunder; rates per agent and cell",
    ),
    "solve": ("bttt.cli.solve", "solve a position exactly: win/draw/loss with distance, every move's value, proofs"),
}


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("bttt")
    except PackageNotFoundError:  # run from a source tree that is not installed
        from bttt import __version__

        return __version__


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; only ``command``'s module is imported and its options added (all of them when None is given
    and ``BTTT_CLI_ALL`` is set, for tests that check every command's help)."""
    parser = argparse.ArgumentParser(
        prog="bttt",
        description="Brick Tic-Tac-Toe: a generalization testbed for game-playing agents.",
        epilog="Run 'bttt COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"bttt {version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module_name, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        if name == command or (command is None and os.environ.get("BTTT_CLI_ALL")):
            module = importlib.import_module(module_name)
            module.add_arguments(p)
            p.set_defaults(_run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for i, arg in enumerate(argv, 1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:  # bytes the file system gave that are not UTF-8 (Python's surrogate escapes)
            print(
                f"bttt: error: argument {i} ({arg!r}) is not valid UTF-8; bttt takes UTF-8 names and paths only",
                file=sys.stderr,
            )
            return 2
    command = argv[0] if argv and argv[0] in COMMANDS else None
    parser = build_parser(command)
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    from bttt.cli._errors import run_command

    return run_command(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
