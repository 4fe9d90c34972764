"""What an installed package needs is declared: every third-party import of the shipped code
names a dependency or extra of pyproject.toml, runtime dependencies are ranges (exact versions
live in constraints.txt), and shipped code never reaches into tests/."""

from __future__ import annotations

import ast
import re
import subprocess
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


def _extras_only_modules() -> set[str]:
    """Third-party modules the shipped code imports that only an optional extra brings."""
    base = {_name(r) for r in PROJECT["dependencies"]}
    dists = packages_distributions()
    only: set[str] = set()
    for module in _imports():
        if module in sys.stdlib_module_names or module in OURS:
            continue
        names = {d.lower().replace("_", "-") for d in dists.get(module, [module])}
        if not names & base:
            only.add(module)
    return only


def test_the_entry_points_start_without_any_optional_extra() -> None:
    """A plain `pip install instancegen` has none of the extras: the CLI, the HTTP app and the
    Python API must still import (an extra is imported where its feature is used)."""
    hidden = _extras_only_modules()
    assert {"llama_cpp", "numpy"} <= hidden, hidden  # the check below would prove nothing
    script = f"""
import sys
from importlib.abc import MetaPathFinder

class Hide(MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in {sorted(hidden)!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}} (hidden by the test)")
        return None

sys.meta_path.insert(0, Hide())
import instancegen
from instancegen.service.http import create_app
create_app()
from instancegen.service.cli import main
sys.argv = ["instancegen", "--help"]
main()
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "generate" in done.stdout
