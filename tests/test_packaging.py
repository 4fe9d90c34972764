"""What an installed package needs is declared: every third-party import of the shipped code
names a dependency or extra of pyproject.toml, runtime dependencies are ranges (exact versions
live in constraints.txt), and shipped code never reaches into tests/."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("instancegen", "service", "compilers")
OURS = {*SHIPPED, "metamodels", "prompts", "tests"}
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;@]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _imports() -> dict[str, set[str]]:
    """Top-level module -> the shipped files importing it (Python and Cython sources)."""
    found: dict[str, set[str]] = {}
    for package in SHIPPED:
        for path in (ROOT / package).rglob("*.py*"):
            if path.suffix not in (".py", ".pyx"):
                continue
            text = path.read_text()
            if path.suffix == ".py":
                tree = ast.parse(text)
                names = [
                    alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                    for alias in node.names
                ] + [
                    node.module for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom) and node.module and not node.level
                ]  # fmt: skip
            else:  # Cython: plain `import`/`from` lines (cimports name C headers)
                pairs = re.findall(r"^from ([\w.]+) import\b|^import ([\w.]+)", text, re.MULTILINE)
                names = [a or b for a, b in pairs]
            for name in names:
                found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_third_party_import_is_declared() -> None:
    declared = {_name(r) for r in PROJECT["dependencies"]}
    for extra in PROJECT["optional-dependencies"].values():
        declared |= {_name(r) for r in extra}
    dists = packages_distributions()
    undeclared = {}
    for module, files in _imports().items():
        if module in sys.stdlib_module_names or module in OURS:
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & declared:
            undeclared[module] = sorted(files)
    assert undeclared == {}


def test_runtime_dependencies_are_ranges_not_pins() -> None:
    pinned = [r for r in PROJECT["dependencies"] if "==" in r]
    assert pinned == []
    locked = (ROOT / "constraints.txt").read_text()
    for requirement in PROJECT["dependencies"]:
        assert re.search(rf"^{re.escape(_name(requirement))}==", locked, re.I | re.M), requirement


def test_shipped_code_never_imports_tests() -> None:
    assert "tests" not in _imports()
