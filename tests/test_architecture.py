"""The dependency rule: bttt <- agents <- tournament; pruning stands alone; only bttt/cli ties them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = {
    "bttt": {"bttt"},
    "agents": {"bttt", "agents"},
    "tournament": {"bttt", "agents", "tournament"},
    "pruning": {"pruning"},
}
PROJECT = set(ALLOWED)


def _imported_top_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & PROJECT


def _modules():
    for package in ALLOWED:
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.is_relative_to(ROOT / "bttt" / "cli") or path == ROOT / "bttt" / "__main__.py":
                continue  # the CLI shell is the one place allowed to tie packages together
            yield package, path


@pytest.mark.parametrize(("package", "path"), list(_modules()), ids=lambda v: str(v).rsplit("/main/", 1)[-1])
def test_imports_flow_one_way(package: str, path: Path) -> None:
    illegal = _imported_top_packages(path) - ALLOWED[package]
    assert not illegal, f"{path.relative_to(ROOT)} ({package}) must not import {sorted(illegal)}"


def test_cli_help_lists_commands(capsys) -> None:
    from bttt.cli import build_parser

    text = build_parser().format_help()
    assert "demo" in text


def test_cli_reports_user_errors_without_traceback(capsys) -> None:
    from bttt.cli import main

    assert main(["demo", "--brick", "H9"]) == 2
    err = capsys.readouterr().err
    assert "H9" in err and "Traceback" not in err
