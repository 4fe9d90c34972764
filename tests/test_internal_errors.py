"""A bug is not bad input: the CLI says so in one line with exit 4 (the traceback only with
--debug), the HTTP API answers a 500 problem whose correlation id is also in the log.

The fault is injected by replacing one function the command calls (the only way to reach an
error boundary that no input reaches)."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import BANK_ECORE, ServerThread

from instancegen.service.backends.base import Message, Reply
from instancegen.service.cli import main, validate_command
from instancegen.service.http import Settings, create_app


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("a bug [with brackets]\nsecond line")


def _run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, *extra: str) -> int:
    model = tmp_path / "m.json"
    model.write_text('{"objects": []}')
    monkeypatch.setattr(validate_command, "validate_model", _boom)
    monkeypatch.setattr(
        sys, "argv", ["instancegen", *extra, "validate", "-m", str(BANK_ECORE), str(model)]
    )
    with pytest.raises(SystemExit) as exit_:
        main()
    return int(exit_.value.code or 0)


def test_cli_internal_error_is_one_line_and_exit_4(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, tmp_path) == 4
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "internal error: RuntimeError: a bug [with brackets]" in err
    assert "--debug" in err


def test_cli_internal_error_shows_the_traceback_with_debug(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, tmp_path, "--debug") == 4
    err = capsys.readouterr().err
    assert "Traceback" in err and "_boom" in err


class _Buggy:
    model = "buggy"

    def complete(self, messages: list[Message], **kw: Any) -> Reply:
        raise RuntimeError("an unexpected bug")


def test_http_internal_error_is_a_500_problem_with_a_logged_correlation_id(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(Settings(db_path=tmp_path / "i.db"), backend_factory=lambda m, b: _Buggy())
    body = {"metamodel": {"ecore": BANK_ECORE.read_text()}, "spec": "A bank.", "model": "buggy"}
    with (
        caplog.at_level(logging.ERROR, logger="instancegen.http"),
        ServerThread(app) as srv,
        httpx.Client(base_url=srv.url, timeout=60) as c,
    ):
        response = c.post("/v1/generate", json=body)
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    incident = problem["correlation_id"]
    assert incident and incident in problem["detail"]
    assert response.headers["X-Correlation-ID"] == incident
    assert "an unexpected bug" not in problem["detail"]  # internals stay in the log
    logged = [r for r in caplog.records if incident in r.getMessage()]
    assert logged and logged[0].exc_info is not None
