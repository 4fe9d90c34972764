"""The LiteLLM + instructor backend against real HTTP servers on loopback.

A real OpenAI-compatible server (`python -m llama_cpp.server` with the bundled model, an
8,192-token context) answers the generate loop, and, behind a proxy counting what the server
counts, repairs that never ask past its context; tiny stub servers check that 5xx/429 are
retried (honouring Retry-After) while 4xx and refused connections fail at once, each as a
BackendError with the message.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from counting_proxy import counting_proxy
from fault_server import FaultServer, fault_server

from instancegen import generate
from instancegen.service.backends.litellm_backend import LiteLLMBackend
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
SPEC = "Bank Alpha has one client, Ann Lee, who owns the account DE01."


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`python -m llama_cpp.server` serving the bundled model; its /v1 base URL."""
    from conftest import local_model_available, require

    require(local_model_available(), "the bundled local model", "bash scripts/install.sh")
    from instancegen.service.backends.local import weights_path

    port = _free_port()
    cmd = [sys.executable, "-m", "llama_cpp.server", "--model", str(weights_path())]
    cmd += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", "8192", "--n_threads", "1"]
    log = tmp_path_factory.mktemp("llama_server") / "server.log"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log.open("wb"))
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            pytest.fail("llama_cpp.server did not come up within 120 s")
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(autouse=True)
def _dummy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", os.environ.get("OPENAI_API_KEY", "sk-test"))


@pytest.mark.slow
def test_generate_through_litellm_and_instructor(llama_server: str) -> None:
    mm = load_metamodel([BANK])
    backend = LiteLLMBackend("openai/smollm2", api_base=llama_server)
    # The bundled 135M model over HTTP: asked like the local one (two-phase, bounded, since
    # its answers are held to 3,072 tokens), not like a capable model.
    result = generate(
        mm,
        SPEC,
        model="openai/smollm2",
        backend=backend,
        max_repairs=1,
        strategy="two-phase",
        max_output_tokens=3072,
    )
    assert result.cim is not None and result.cim.objects
    assert {o.class_ for o in result.cim.objects} <= {"Bank", "Account", "Person"}
    assert result.usage.prompt_tokens > 0 and result.usage.completion_tokens > 0
    assert result.attempts[0].prompt_tokens > 0
    if result.status == "valid":
        assert "<?xml" in result.artifacts["xmi"]


CONTEXT = 8192  # the server's --n_ctx


@pytest.mark.slow
def test_repairs_of_a_served_small_model_stay_within_its_context(
    llama_server: str, tmp_path: Path
) -> None:
    """The bundled model over HTTP, asked like any served model (one answer, typed), on a
    bundled case with up to two repairs: every request fits the 8,192-token context as the
    server counts it, and the run ends valid or invalid, never as a backend failure. (Since
    the typed form writes contained objects in place, its first answer here is valid; the
    sizing of growing repairs is tested in test_engine.py.)"""
    case = ROOT / "metamodels" / "suite" / "statemachine-turnstile"
    report = tmp_path / "report.json"
    with counting_proxy(llama_server) as proxy:
        run = subprocess.run(
            [sys.executable, "-m", "instancegen", "generate",
             *[x for ecore in sorted(case.glob("*.ecore")) for x in ("-m", str(ecore))],
             "--spec-file", str(case / "spec.txt"), "--model", "openai/smollm2",
             "--api-base", proxy.base_url, "--context-tokens", str(CONTEXT),
             "--max-repairs", "2", "--report", str(report), "-q"],
            capture_output=True,
            text=True,
            timeout=3600,
            env={**os.environ, "PYTHONPATH": str(ROOT), "INSTANCEGEN_LLM_TIMEOUT": "3600"},
        )  # fmt: skip
    assert run.returncode in (0, 1), run.stderr
    attempts = json.loads(report.read_text())["attempts"]
    kinds = [a["kind"] for a in attempts]
    assert kinds[0] == "generate" and set(kinds[1:]) <= {"repair"}, kinds
    assert len(proxy.exchanges) >= len(attempts)
    for exchange in proxy.exchanges:
        assert exchange.status == 200, exchange.error
        assert exchange.prompt_tokens is not None and exchange.completion_tokens is not None
        # What was used fits. (What may be asked is estimated from the messages alone: the
        # tool schema the server writes into its prompt is not counted, so max_tokens can
        # exceed what the server's context leaves.)
        assert exchange.prompt_tokens + exchange.completion_tokens <= CONTEXT, exchange


NO = b'{"error": {"message": "stub says no", "type": "stub"}}'


@pytest.fixture
def stub() -> Iterator[FaultServer]:
    with fault_server() as server:
        yield server


def _backend(server: FaultServer) -> LiteLLMBackend:
    return LiteLLMBackend(
        "openai/stub", api_base=server.base_url, retries=2, backoff=5.0, timeout=10
    )


def _ask(backend: LiteLLMBackend) -> None:
    backend.complete([{"role": "user", "content": "hi"}], schema=None, max_tokens=5)


@pytest.mark.parametrize("status", [429, 503])
def test_rate_limits_and_server_errors_are_retried_after_retry_after(
    stub: FaultServer, status: int
) -> None:
    stub.reply = (status, {"Retry-After": "0"}, NO, 0.0)
    started = time.monotonic()
    with pytest.raises(BackendError, match=f"HTTP {status}"):
        _ask(_backend(stub))
    assert stub.hits == 3
    assert time.monotonic() - started < 5  # Retry-After: 0 beat the 5 s backoff


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_not_retried(stub: FaultServer, status: int) -> None:
    stub.reply = (status, {}, NO, 0.0)
    with pytest.raises(BackendError, match="stub says no"):
        _ask(_backend(stub))
    assert stub.hits == 1


def test_refused_connection_fails_at_once() -> None:
    backend = LiteLLMBackend(
        "openai/none", api_base=f"http://127.0.0.1:{_free_port()}/v1", backoff=5.0
    )
    started = time.monotonic()
    with pytest.raises(BackendError) as caught:
        _ask(backend)
    assert "onnect" in caught.value.message
    assert time.monotonic() - started < 5
