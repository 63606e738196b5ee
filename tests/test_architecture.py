"""The dependency rules, checked on every import statement of the repository.

* ``bttt`` <- ``agents`` <- ``tournament``; ``pruning`` stands alone (``agents.alphazero`` may use it to compress
  networks); only ``bttt/cli`` ties the packages together.
* Nothing imports the command line (``bttt/cli``) but the command line itself; tests call its entry point
  ``bttt.cli.main`` only.
* A ``_private`` module, or a ``_private`` name, is used only inside its own package folder.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bttt", "agents", "tournament", "pruning")
ALLOWED = {
    "bttt": {"bttt"},
    "agents": {"bttt", "agents"},
    "tournament": {"bttt", "agents", "tournament"},
    "pruning": {"pruning"},
}


def _files(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py") if ".venv" not in p.parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names imported from it) for every absolute import in ``path``."""
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            out.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            out.append((node.module, [alias.name for alias in node.names]))
    return out


def _package_dir(module: str) -> str:
    """The folder (as a dotted path) holding ``module``: a module file's package, or a package itself."""
    path = ROOT.joinpath(*module.split("."))
    return module if path.is_dir() else module.rpartition(".")[0]


def _where(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


LIBRARY = [p for p in _files(*PACKAGES) if not p.is_relative_to(ROOT / "bttt" / "cli")]


@pytest.mark.parametrize("path", LIBRARY, ids=_rel)
def test_imports_flow_one_way(path: Path) -> None:
    package = path.relative_to(ROOT).parts[0]
    allowed = ALLOWED[package] | ({"pruning"} if path.is_relative_to(ROOT / "agents" / "alphazero") else set())
    used = {module.split(".")[0] for module, _ in _imports(path)} & set(PACKAGES)
    assert not used - allowed, f"{_rel(path)} ({package}) must not import {sorted(used - allowed)}"


@pytest.mark.parametrize("path", [*LIBRARY, *_files("scripts"), *_files("tests")], ids=_rel)
def test_nothing_imports_the_command_line(path: Path) -> None:
    for module, names in _imports(path):
        if not module.startswith("bttt.cli"):
            continue
        entry = path == ROOT / "bttt" / "__main__.py" or path.is_relative_to(ROOT / "tests")  # `python -m bttt`
        entry_only = entry and module == "bttt.cli" and (set(names) <= {"main"} or path == Path(__file__))
        assert entry_only, f"{_rel(path)} imports {module} {names}: call the library function it fronts instead"


@pytest.mark.parametrize("path", [*_files(*PACKAGES), *_files("scripts")], ids=_rel)
def test_private_modules_and_names_stay_in_their_package(path: Path) -> None:
    here = _where(path)
    for module, names in _imports(path):
        parts = module.split(".")
        if parts[0] not in PACKAGES:
            continue
        private = [p for p in parts if p.startswith("_") and not p.startswith("__")]
        if private:
            owner = ".".join(parts[: parts.index(private[0])])
            assert here == owner, f"{_rel(path)} imports the private module {module} of {owner}"
        for name in names:
            if name.startswith("_") and not name.startswith("__"):
                assert here == _package_dir(module), f"{_rel(path)} imports the private name {name} from {module}"


def test_help_lists_every_command_without_loading_any(capsys) -> None:
    import subprocess
    import sys

    code = (
        "import sys\nfrom bttt.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted(m for m in ('torch', 'numba', 'agents', 'tournament', 'pruning') if m in sys.modules)\n"
        "print('LOADED', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert "LOADED []" in out
    from bttt.cli import COMMANDS

    for name in COMMANDS:
        assert name in out


def test_every_command_builds_its_options() -> None:
    from bttt.cli import COMMANDS, build_parser

    for name in COMMANDS:
        text = build_parser(name)._subparsers._group_actions[0].choices[name].format_help()
        assert "usage:" in text


def test_cli_reports_user_errors_without_traceback(capsys) -> None:
    from bttt.cli import main

    assert main(["demo", "--brick", "H9"]) == 2
    err = capsys.readouterr().err
    assert "H9" in err and "Traceback" not in err


def test_version(capsys) -> None:
    from bttt.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.startswith("bttt ")
