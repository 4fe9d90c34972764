"""Every file in tests/hostile/ is refused with one clear line: nothing read or fetched."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError

HOSTILE = Path(__file__).parent / "hostile"
ECORE_FILES = sorted(HOSTILE.glob("*.ecore"))
SECRETS = ("root:x:0:0", "/bin/bash", "lollollol")


def test_corpus_is_there() -> None:
    """The corpus is counted so that losing files is noticed."""
    assert len(ECORE_FILES) >= 15


@pytest.mark.parametrize("path", ECORE_FILES, ids=lambda p: p.name)
def test_loader_refuses(path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        load_metamodel([path])
    assert time.perf_counter() - started < 5
    message = info.value.message
    assert path.name in message
    assert "\n" not in message
    assert not any(s in message for s in SECRETS)


@pytest.mark.parametrize("path", ECORE_FILES, ids=lambda p: p.name)
def test_upload_refuses(path: Path) -> None:
    """The in-memory (HTTP) path refuses the same files and never touches the disk."""
    with pytest.raises(InputError) as info:
        load_metamodel({path.name: path.read_bytes()})
    assert not any(s in info.value.message for s in SECRETS)


@pytest.mark.parametrize(
    "path", [HOSTILE / "xxe-file.ecore", HOSTILE / "billion-laughs.ecore"], ids=lambda p: p.name
)
def test_cli_exit_2_one_line(path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", "inspect", "-m", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert path.name in lines[0]
    assert not any(s in proc.stdout + proc.stderr for s in SECRETS)
