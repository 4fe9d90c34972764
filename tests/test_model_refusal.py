"""A model string that cannot work is refused at once, before any backend is made or any
connection attempted: a near miss of `local`, a served model without a provider prefix, and
a hosted model whose key is missing. CLI exit 2, HTTP 422 at submit, a batch at read time,
the Python API an InputError."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from http_support import BANK_ECORE
from typer.testing import CliRunner

import instancegen
from instancegen.service import backends
from instancegen.service.backends.litellm_plugin import LiteLLMPlugin
from instancegen.service.backends.local import LocalPlugin
from instancegen.service.cli.app import app, main
from instancegen.service.core.errors import InputError
from instancegen.service.http import Settings, create_app

SERVED = "http://127.0.0.1:9/v1"  # never reached: nothing may connect
KEY_VARS = ("OPENAI_API_KEY", "MY_KEY")

# (model, api_base, api_key_env) and the words the refusal must hold
CASES = {
    "typo": (("loca", None, None), ("did you mean `local`",)),
    "no prefix": (("oracle", SERVED, None), ("provider prefix", "`openai/oracle`", "--api-base")),
    "no key": (("openai/gpt-4o", None, None), ("OPENAI_API_KEY", "--api-key-env")),
    "no key in the named variable": (("openai/gpt-4o", None, "MY_KEY"), ("MY_KEY",)),
}


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every attempt to connect a socket or make a backend is recorded and refused; no key
    variable is set."""
    attempts: list[Any] = []

    def connect(self: socket.socket, address: Any) -> None:
        attempts.append(("connect", address))
        raise OSError("network blocked in this test")

    def create(self: Any, model: str, *args: Any) -> None:
        attempts.append(("backend", model))
        raise AssertionError("no backend may be made")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect)
    monkeypatch.setattr(LiteLLMPlugin, "create", create)
    monkeypatch.setattr(LocalPlugin, "create", create)
    for name in KEY_VARS:
        monkeypatch.delenv(name, raising=False)
    yield attempts


def _cli(model: str, api_base: str | None, api_key_env: str | None, *args: str) -> list[str]:
    given = [("--api-base", api_base), ("--api-key-env", api_key_env)]
    return [*args, "--model", model, *(x for pair in given if pair[1] for x in pair)]  # type: ignore[misc]


@pytest.mark.parametrize("case", CASES)
def test_generate_refuses_at_once(case: str, offline: list[Any]) -> None:
    (model, api_base, key_env), words = CASES[case]
    argv = ["generate", "-m", str(BANK_ECORE), "--spec", "A bank.", "-q"]
    result = CliRunner().invoke(app, _cli(model, api_base, key_env, *argv))
    assert result.exit_code == 2, result.output
    for word in words:
        assert word in result.output, result.output
    assert offline == []


def test_edit_and_eval_refuse_at_once(
    offline: list[Any],
    tmp_path: Path,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    model = tmp_path / "bank.json"
    model.write_text((root / "metamodels" / "bank" / "reference.json").read_text())
    argv = ["edit", "-m", str(BANK_ECORE), str(model), "--request", "Add a bank.", "-q"]
    edit = CliRunner().invoke(app, [*argv, "--model", "loca"])
    assert edit.exit_code == 2 and "did you mean `local`" in edit.output, edit.output
    suite = root / "metamodels" / "suite"
    monkeypatch.setattr(
        sys, "argv", ["instancegen", "eval", str(suite), "--model", "openai/gpt-4o"]
    )
    with pytest.raises(SystemExit) as ended:
        main()  # the console script's error boundary: InputError -> exit 2
    assert ended.value.code == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    assert offline == []


@pytest.mark.parametrize("case", CASES)
def test_http_refuses_at_submit(case: str, offline: list[Any], tmp_path: Path) -> None:
    (model, api_base, key_env), words = CASES[case]
    settings = Settings(
        db_path=tmp_path / "api.db",
        api_bases=(SERVED,),
        api_key_envs=("MY_KEY",),
    )
    body = {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": "A bank.",
        "model": model,
        **({"api_base": api_base} if api_base else {}),
        **({"api_key_env": key_env} if key_env else {}),
    }
    with TestClient(create_app(settings)) as client:
        for path in ("/v1/jobs", "/v1/generate"):
            response = client.post(path, json=body)
            assert response.status_code == 422, response.text
            assert response.headers["content-type"] == "application/problem+json"
            for word in words:
                assert word in response.json()["detail"]
    assert offline == []


def test_a_batch_is_refused_when_read(offline: list[Any], tmp_path: Path) -> None:
    (tmp_path / "bank.ecore").write_text(BANK_ECORE.read_text())
    lines = [
        {"metamodel": "bank.ecore", "spec": "A bank.", "model": "local", "output": "a"},
        {"metamodel": "bank.ecore", "spec": "A bank.", "model": "loca", "output": "b"},
    ]
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    result = CliRunner().invoke(app, ["batch", str(jobs)])
    assert result.exit_code == 2, result.output
    assert "jobs.jsonl:2" in result.output and "did you mean `local`" in result.output
    assert not (tmp_path / "a.xmi").exists()  # refused before any line ran
    assert offline == []


def test_the_python_api_raises_input_error(offline: list[Any]) -> None:
    mm = instancegen.load_metamodel([BANK_ECORE])
    with pytest.raises(InputError, match="needs an API key: set OPENAI_API_KEY"):
        instancegen.generate(mm, "A bank.", model="openai/gpt-4o")
    assert offline == []


@pytest.mark.parametrize(
    ("model", "api_base"),
    [("local", None), ("openai/served", SERVED), ("hosted_vllm/served", SERVED)],
)
def test_what_can_work_is_let_through(model: str, api_base: str | None, offline: list[Any]) -> None:
    backends.check_model(model, api_base)  # a served model needs no key: a placeholder is sent
    assert offline == []


@pytest.mark.parametrize(
    ("model", "words"),
    [
        ("gpt4o", "did you mean `gpt-4o`"),
        ("opnai/gpt-4o", "did you mean `openai/gpt-4o`"),
        ("oracle", "`openai/gpt-4o`"),
    ],
)
def test_other_unknown_models_say_what_to_write(model: str, words: str) -> None:
    with pytest.raises(InputError) as refused:
        backends.check_model(model)
    assert words in refused.value.message
