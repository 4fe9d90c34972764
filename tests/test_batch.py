"""`instancegen batch`: lines run concurrently against a scripted OpenAI-compatible LLM on
loopback (the real LiteLLM client), a batch killed half-way resumes with only the rest, and
a provider answering 429 is waited out."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from broker_support import bank_llm
from conftest import ROOT
from fault_server import FaultServer, fault_server
from http_support import BANK_ECORE

from instancegen.service.app.batch import state_path


@pytest.fixture
def llm() -> Iterator[FaultServer]:
    with fault_server() as server:
        yield server


def _batch_file(tmp: Path, llm: FaultServer, lines: int) -> Path:
    (tmp / "bank.ecore").write_text(BANK_ECORE.read_text())
    path = tmp / "jobs.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "metamodel": "bank.ecore",
                    "spec": f"A bank, number {n}.",
                    "model": "openai/scripted",
                    "api_base": llm.base_url,
                    "output": f"out/bank{n}",
                }
            )
            + "\n"
            for n in range(1, lines + 1)
        )
    )
    return path


def _command(path: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "instancegen", "batch", str(path), *extra]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-stub"}


def test_an_interrupted_batch_resumes_with_only_the_rest(tmp_path: Path, llm: FaultServer) -> None:
    bank_llm(llm, delay=0.5)
    path = _batch_file(tmp_path, llm, 4)
    state = state_path(path)
    first = subprocess.Popen(_command(path, "--jobs", "1"), env=_env())
    deadline = time.monotonic() + 180
    while not state.exists() or len(state.read_text().splitlines()) < 2:
        assert first.poll() is None, "the batch ended before it could be interrupted"
        assert time.monotonic() < deadline, "two lines never finished"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    recorded = [json.loads(r)["line"] for r in state.read_text().splitlines()]
    assert recorded == [1, 2]

    llm.hits = 0
    second = subprocess.run(
        _command(path, "--jobs", "2"), env=_env(), capture_output=True, text=True, timeout=180
    )
    assert second.returncode == 0, second.stderr
    assert llm.hits == 2  # two lines left, one LLM call each (a one-shot answer)
    assert "2 skipped" in second.stderr and "2 valid" in second.stderr
    assert sorted(json.loads(r)["line"] for r in state.read_text().splitlines()) == [1, 2, 3, 4]
    for n in range(1, 5):
        assert (tmp_path / "out" / f"bank{n}.xmi").read_text().startswith("<?xml")

    again = subprocess.run(_command(path), env=_env(), capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and "4 skipped" in again.stderr


def test_a_rate_limited_provider_is_waited_out(tmp_path: Path, llm: FaultServer) -> None:
    bank_llm(llm)
    answer = llm.script
    assert answer is not None
    refusals = 5  # more than the backend's own retries: the batch must back off and retry

    def limited(body: dict[str, object]) -> tuple[int, dict[str, str], bytes, float]:
        if llm.hits <= refusals:
            return 429, {"Retry-After": "0"}, b'{"error": {"message": "slow down"}}', 0.0
        return answer(body)

    llm.script = limited
    path = _batch_file(tmp_path, llm, 1)
    run = subprocess.run(_command(path), env=_env(), capture_output=True, text=True, timeout=180)
    assert run.returncode == 0, run.stderr
    assert llm.hits == refusals + 1  # then one one-shot answer
    assert (tmp_path / "out" / "bank1.xmi").exists()


def test_a_bad_line_is_refused_with_its_number(tmp_path: Path) -> None:
    (tmp_path / "bank.ecore").write_text(BANK_ECORE.read_text())
    path = tmp_path / "jobs.jsonl"
    path.write_text('{"metamodel": "bank.ecore", "spec": "s", "output": "o"}\n{"spec": 3}\n')
    run = subprocess.run(_command(path), env=_env(), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2
    assert "jobs.jsonl:2" in run.stderr
    assert "Traceback" not in run.stderr
