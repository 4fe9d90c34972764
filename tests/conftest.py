"""Shared fixtures. Tests needing Java/EMF or the local model skip loudly locally, fail in CI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

IN_CI = os.environ.get("CI") == "true"


def require(available: bool, what: str, install: str) -> None:
    """Skip loudly when a real dependency is missing; in CI a missing one is a failure."""
    if available:
        return
    message = f"{what} unavailable — install {install}"
    if IN_CI:
        pytest.fail(f"{message} (CI must not skip)")
    pytest.skip(message)


@pytest.fixture
def root() -> Path:
    """The repository root (bundled metamodels, prompts)."""
    return ROOT
