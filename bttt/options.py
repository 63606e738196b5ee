"""Documented configuration fields: one sentence per option, read by ``--help`` and the docs.

A configuration dataclass declares each field with :func:`option`, whose ``help`` becomes the command-line help
(``bttt.cli`` builds one ``--field-name`` flag per field), so an option is documented once, next to its default::

    @dataclass(frozen=True)
    class TrainConfig:
        simulations: int = option(48, "PUCT simulations per self-play move")
"""

from __future__ import annotations

from dataclasses import MISSING, Field, field
from typing import Any


def option(default: Any, help: str, **metadata: Any) -> Any:
    """A dataclass field with a default and its one-sentence help (``metadata["help"]``)."""
    if not help or not help.strip():
        raise ValueError("every option needs a help sentence")
    return field(default=default, metadata={"help": help.strip(), **metadata})


def option_help(f: Field) -> str:
    """The help sentence of a dataclass field declared with :func:`option`, followed by its default."""
    text = f.metadata.get("help")
    if not text:
        raise ValueError(f"field {f.name!r} has no help text: declare it with bttt.options.option()")
    return f"{text} (default: {format_default(f.default)})" if f.default is not MISSING else text


def format_default(value: Any) -> str:
    if isinstance(value, str):
        return repr(value) if value == "" or " " in value else value
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple | list):
        return " ".join(format_default(v) for v in value)
    return str(value)
