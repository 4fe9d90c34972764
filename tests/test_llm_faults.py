"""LLM providers that fail: every fault ends in a bounded number of tries, then exit 3 on the
command line or a 502/504 problem over HTTP, with the provider's words; nothing is written, and
the service keeps answering.

The provider is a real OpenAI-compatible HTTP server on 127.0.0.1 that misbehaves on purpose,
reached through the real LiteLLM + instructor backend.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fault_server import FaultServer, Reply, completion, fault_server, tool_call
from http_support import BANK_ECORE, ServerThread

from instancegen.service.app.settings import Settings
from instancegen.service.backends.litellm_backend import LiteLLMBackend
from instancegen.service.core.errors import BackendError
from instancegen.service.http.app import create_app

SPEC = "A bank called Acme with one account."


FAULTS: dict[str, Reply] = {
    "unauthorized": (401, {}, b'{"error": {"message": "invalid api key sk-stub"}}', 0),
    "rate-limited": (429, {}, b'{"error": {"message": "slow down"}}', 0),
    "rate-limited-retry-after": (429, {"Retry-After": "0"}, b'{"error": {"message": "later"}}', 0),
    "server-error": (500, {}, b'{"error": {"message": "the model crashed"}}', 0),
    "not-json": (200, {"Content-Type": "text/html"}, b"<html>502 Bad Gateway</html>", 0),
    "empty": (200, {}, completion({"role": "assistant", "content": ""}), 0),
    "truncated": (200, {}, completion(tool_call('{"Bank": [{"id": "b'), "length"), 0),
    "refusal": (
        200,
        {},
        completion({"role": "assistant", "content": None, "refusal": "I can't help with that."}),
        0,
    ),
    "slow": (200, {}, completion({"role": "assistant", "content": "{}"}), 5),
}


@pytest.fixture
def provider() -> Iterator[FaultServer]:
    with fault_server() as server:
        yield server


@pytest.fixture(autouse=True)
def _dummy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")


@pytest.mark.parametrize(
    ("fault", "max_hits", "words"),
    [
        ("unauthorized", 1, "invalid api key"),
        ("rate-limited", 3, "slow down"),
        ("rate-limited-retry-after", 3, "later"),
        ("server-error", 3, "the model crashed"),
        ("not-json", 3, ""),
        ("empty", 3, ""),
        ("refusal", 3, ""),
        ("slow", 1, ""),
    ],
)
def test_backend_fault_is_a_bounded_backend_error(
    provider: FaultServer, fault: str, max_hits: int, words: str
) -> None:
    provider.reply = FAULTS[fault]
    backend = LiteLLMBackend(
        "openai/stub", api_base=provider.base_url, retries=2, backoff=0.05, timeout=1.5
    )
    with pytest.raises(BackendError) as caught:
        backend.complete(
            [{"role": "user", "content": "hi"}],
            schema=_schema(),
            max_tokens=20,
        )
    assert 1 <= provider.hits <= max_hits
    assert words.lower() in caught.value.message.lower()
    assert caught.value.timeout == (fault == "slow")


def test_a_cut_off_tool_call_comes_back_marked_truncated(provider: FaultServer) -> None:
    """Cut at max_tokens is not a failure of the backend: the loop keeps what was completed
    and continues in parts (tests/test_generation_capable.py), so the cut text comes back."""
    provider.reply = FAULTS["truncated"]
    backend = LiteLLMBackend("openai/stub", api_base=provider.base_url, retries=2, timeout=1.5)
    reply = backend.complete([{"role": "user", "content": "hi"}], schema=_schema(), max_tokens=20)
    assert reply.truncated and reply.text == '{"Bank": [{"id": "b'
    assert provider.hits == 1


def _schema() -> type:
    from pydantic import BaseModel

    class Answer(BaseModel):
        name: str

    return Answer


@pytest.mark.parametrize("fault", ["unauthorized", "not-json", "truncated", "slow"])
def test_cli_exits_3_with_one_line_and_writes_nothing(
    provider: FaultServer, fault: str, tmp_path: Path
) -> None:
    provider.reply = FAULTS[fault]
    out = tmp_path / "bank.xmi"
    env = {**os.environ, "INSTANCEGEN_LLM_TIMEOUT": "1.5", "OPENAI_API_KEY": "sk-stub"}
    proc = subprocess.run(
        [
            sys.executable, "-m", "instancegen", "generate", "-m", str(BANK_ECORE),
            "--spec", SPEC, "--model", "openai/stub", "--api-base", provider.base_url,
            "-o", str(out), "--quiet",
        ],
        capture_output=True, text=True, timeout=300, env=env,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "openai/stub" in lines[0], proc.stderr
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_http_problem_then_service_stays_healthy(
    provider: FaultServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("INSTANCEGEN_LLM_TIMEOUT", "1.5")
    settings = Settings(db_path=tmp_path / "store.db", api_bases=(provider.base_url,))
    body = {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": SPEC,
        "model": "openai/stub",
        "api_base": provider.base_url,
    }
    with (
        ServerThread(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=120) as client,
    ):
        for fault, status in (("server-error", 502), ("not-json", 502), ("slow", 504)):
            provider.reply = FAULTS[fault]
            answer = client.post("/v1/generate", json=body)
            assert answer.status_code == status, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert "openai/stub" in answer.json()["detail"]
        assert client.get("/v1/healthz").status_code == 200
        check = client.post(
            "/v1/validate",
            json={"metamodel": body["metamodel"], "instance": {"objects": []}},
        )
        assert check.status_code == 200
        elsewhere = client.post("/v1/generate", json={**body, "api_base": "http://10.0.0.1/v1"})
        assert elsewhere.status_code == 422
        assert "INSTANCEGEN_API_BASES" in elsewhere.json()["detail"]
