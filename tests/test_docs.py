"""The README and the docs site stay true to the code: every `instancegen` command line they show
names a real command and real options, every `/v1` route they name exists in the app, and the
README stays short enough to read in five minutes. (`mkdocs build --strict` in CI checks the
site's links and pages.)"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main

from instancegen.service.cli import app
from instancegen.service.http import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
FENCE = re.compile(r"^```[a-z]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
ROUTE = re.compile(r"\b(GET|POST) (/v1/[A-Za-z0-9_/{}.-]*[A-Za-z0-9_}])")
ANYWHERE = {"--debug", "--help", "-h"}


def _command_lines(text: str) -> list[str]:
    """`instancegen …` lines of the code blocks, continuation lines joined."""
    found = []
    for block in FENCE.findall(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = line.split("#", 1)[0].strip()
            if line.startswith("instancegen "):
                found.append(line)
    return found


def _options(command: Any) -> set[str]:
    return {name for p in command.params for name in (*p.opts, *p.secondary_opts)}


def test_readme_fits_five_minutes() -> None:
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_command_lines_name_real_commands_and_options(page: Path) -> None:
    group: Any = typer.main.get_command(app)
    wrong = []
    for line in _command_lines(page.read_text(encoding="utf-8")):
        words = shlex.split(line.replace("…", "x").replace("|", " "), posix=True)
        command = group.commands.get(words[1])
        if command is None:
            wrong.append(f"{line}: no command {words[1]!r}")
            continue
        known = _options(command) | ANYWHERE
        for word in words[2:]:
            option = word.strip("[]()").split("=", 1)[0]
            if option.startswith("-") and len(option) > 1 and option not in known:
                wrong.append(f"{line}: {words[1]} has no option {option}")
    assert wrong == []


def test_routes_named_in_the_docs_exist() -> None:
    schema = create_app(Settings(db_path=Path(":memory:"))).openapi()
    routes = [
        (method.upper(), re.compile(re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path))))
        for path, operations in schema["paths"].items()
        for method in operations
    ]
    named = {
        (method, path.split("?")[0], page.name)
        for page in PAGES
        for method, path in ROUTE.findall(page.read_text(encoding="utf-8"))
    }
    assert len(named) > 10
    missing = sorted(
        (method, path, page)
        for method, path, page in named
        if not any(m == method and r.fullmatch(path) for m, r in routes)
    )
    assert missing == []
