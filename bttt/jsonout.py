"""Machine-readable command output (``--json``): one JSON document on stdout, values made plain JSON.

NaN and infinities become ``null``, numpy scalars and arrays plain numbers and lists, paths and tuples text and
lists, so any JSON reader takes the document. Each document names its ``format`` and ``version``; the schemas are
``bttt/schemas/<format>.schema.json`` (JSON Schema 2020-12, checked by tests/test_json_output.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
from typing import Any


def plain(value: Any) -> Any:
    """``value`` as plain JSON data."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    tolist = getattr(value, "tolist", None)  # numpy scalars and arrays
    if tolist is not None:
        return plain(tolist())
    return str(value)


def emit(document: dict) -> None:
    """Print ``document`` to stdout as one JSON document."""
    sys.stdout.write(json.dumps(plain(document), indent=1, allow_nan=False) + "\n")
    sys.stdout.flush()


def note(text: str) -> None:
    """A progress or summary line that must not mix into a JSON document: it goes to stderr."""
    print(text, file=sys.stderr, flush=True)
