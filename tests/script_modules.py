"""Load an experiment helper from ``scripts/`` by file path (scripts are not a package).

The scripts import their sibling helpers by name, as Python allows when a script runs; loading one
here puts ``scripts/`` on ``sys.path`` for the duration of the import only.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def load_script_module(name: str) -> ModuleType:
    """``scripts/<name>.py`` as a module (cached in ``sys.modules`` under ``name``)."""
    if name in sys.modules:
        return sys.modules[name]
    added = str(SCRIPTS) not in sys.path
    if added:
        sys.path.insert(0, str(SCRIPTS))
    try:
        spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    finally:
        if added:
            sys.path.remove(str(SCRIPTS))
    return module
