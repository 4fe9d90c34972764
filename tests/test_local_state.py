"""The local model's evaluated prompt kept between processes (`backends.local_state`): a
second process evaluates only what its prompt does not share with the saved one and answers
the same; a file that cannot be loaded is set aside and the prompt evaluated in full."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from instancegen.service.backends import local_state

ONE_CALL = """
import json
from pydantic import BaseModel
from instancegen.service.backends.local import LocalBackend

class Town(BaseModel):
    name: str
    people: int

ask = [{"role": "system", "content": "You answer in JSON."},
       {"role": "user", "content": "Name one small town by a lake and its population."}]
reply = LocalBackend("local").complete(ask, schema=Town, max_tokens=40)
seen = {"text": reply.text, "prompt": reply.prompt_tokens, "reused": reply.reused_tokens}
print(json.dumps(seen))
"""


def _run(cache: Path) -> dict[str, object]:
    env = {**os.environ, "INSTANCEGEN_LOCAL_STATE": "on", "INSTANCEGEN_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", ONE_CALL], env=env, capture_output=True, text=True, check=True
    )
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_the_state_file_follows_the_model_and_context_and_can_be_turned_off(
    local_model: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setenv("INSTANCEGEN_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("INSTANCEGEN_LOCAL_STATE", "on")
    first = local_state.state_file(str(gguf), 4096)
    assert first is not None and first.parent == tmp_path / "cache" / "llama-state"
    assert local_state.state_file(str(gguf), 8192) != first
    gguf.write_bytes(b"GGUF, another one")
    assert local_state.state_file(str(gguf), 4096) != first
    monkeypatch.setenv("INSTANCEGEN_LOCAL_STATE", "off")
    assert local_state.state_file(str(gguf), 4096) is None


@pytest.mark.slow
def test_a_second_process_reads_only_what_is_new_and_answers_the_same(
    local_model: None, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    first = _run(cache)
    assert first["reused"] == 0
    [saved] = (cache / "llama-state").glob("*.bin")
    assert not list(saved.parent.glob("*.part"))  # the temporary file became the state
    second = _run(cache)
    assert second["text"] == first["text"]
    assert second["reused"] == second["prompt"] - 1  # the last is evaluated again for logits

    saved.write_bytes(b"not a llama.cpp state")
    third = _run(cache)
    assert third["reused"] == 0 and third["text"] == first["text"]
    assert saved.with_suffix(".unreadable").exists()
    assert saved.stat().st_size > 1000  # written again, whole
