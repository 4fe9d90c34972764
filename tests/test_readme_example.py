"""The README's Python example, run as a user runs it: a script in their own folder, whose own
packages are called `service`, `compilers`, `metamodels` and `prompts` (each raises when
imported). instancegen adds only the import name `instancegen` and finds its bundled data
through importlib.resources, so none of them is touched and the example works."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- --8<-- [start:python-example] -->", "<!-- --8<-- [end:python-example] -->"


def readme_example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split(START, 1)[1].split(END, 1)[0].strip()
    assert block.startswith("```python\n") and block.endswith("\n```"), block[:40]
    return block.removeprefix("```python\n").removesuffix("```")


def test_the_readme_names_only_instancegen() -> None:
    code = readme_example()
    assert "import instancegen" in code
    for name in ("service", "compilers", "metamodels", "prompts"):
        assert f"import {name}" not in code and f"from {name}" not in code


@pytest.mark.slow
def test_the_readme_example_runs_in_a_folder_shadowing_the_repository_names(
    tmp_path: Path, local_model: None
) -> None:
    for name in ("service", "compilers", "metamodels", "prompts"):
        (tmp_path / name / "suite" / "family-small").mkdir(parents=True)
        (tmp_path / name / "__init__.py").write_text(
            f"raise ImportError('the user folder\\'s own {name} package was imported')\n"
        )
    script = tmp_path / "example.py"
    script.write_text(readme_example(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = done.stdout.splitlines()[:2]
    assert first.startswith("valid two-phase "), first
    assert second.split()[1] == "objects;" and int(second.split()[0]) > 0, second
    # and the trap was armed: in that folder, the bare names are the user's
    armed = subprocess.run(
        [sys.executable, "-c", "import metamodels"], cwd=tmp_path, capture_output=True, text=True
    )
    assert "the user folder's own metamodels package was imported" in armed.stderr
