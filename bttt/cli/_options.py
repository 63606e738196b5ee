"""Command-line flags generated from documented configuration dataclasses (:func:`bttt.options.option`)."""

from __future__ import annotations

import argparse
import os
from dataclasses import MISSING, fields

from bttt.options import option_help

_KINDS = {"int": int, "float": float, "str": str}


def parse_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {text!r}")


def add_config_options(
    parser: argparse.ArgumentParser | argparse._ArgumentGroup,
    cls: type,
    exclude: tuple[str, ...] = (),
    unset_default: bool = False,
) -> None:
    """One ``--field-name`` flag per field of ``cls`` with the field's help sentence and default.

    With ``unset_default`` every flag defaults to None, so the caller can tell which options were given (a resumed
    run keeps its stored settings unless told otherwise).
    """
    for f in fields(cls):
        if f.name in exclude:
            continue
        flag = "--" + f.name.replace("_", "-")
        kind = str(f.type).removesuffix(" | None")
        default = None if unset_default or f.default is MISSING else f.default
        if kind == "bool":
            parser.add_argument(
                flag, type=parse_bool, nargs="?", const=True, default=default, metavar="BOOL", help=option_help(f)
            )
        elif kind in _KINDS:
            parser.add_argument(flag, type=_KINDS[kind], default=default, help=option_help(f))
        elif kind.startswith("tuple[float"):
            n = len(f.default) if isinstance(f.default, tuple) else None
            parser.add_argument(flag, type=float, nargs=n or "+", default=default, help=option_help(f))
        elif kind.startswith("tuple[str"):
            parser.add_argument(flag, nargs="+", default=default, help=option_help(f))
        else:
            raise TypeError(f"{cls.__name__}.{f.name}: no command-line form for type {kind}")


def config_from_args(cls: type, args: argparse.Namespace, exclude: tuple[str, ...] = ()) -> dict:
    """The given (not None) values of ``cls``'s options in ``args``."""
    out = {}
    for f in fields(cls):
        if f.name in exclude:
            continue
        value = getattr(args, f.name, None)
        if value is not None:
            out[f.name] = tuple(value) if isinstance(value, list) else value
    return out


def memory_problem(megabytes: float, flag: str = "--memory") -> str | None:
    """Why a table size in MB cannot be used (below 1 MB, or more than the machine's memory), or None."""
    if not megabytes >= 1:
        return f"{flag} {megabytes:g}: give at least 1 MB"
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e6
    except (ValueError, OSError, AttributeError):  # not available on this system
        return None
    if megabytes > physical:
        return f"{flag} {megabytes:g}: this machine has {physical:.0f} MB; give less"
    return None


def seed_value(text: str) -> int:
    """An argparse type for a seed: an integer from 0 (numpy's generators take no negative seeds)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer seed, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a seed is 0 or more, got {value}")
    return value
