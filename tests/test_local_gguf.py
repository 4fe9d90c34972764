"""Any GGUF model in process: `--model local:PATH.gguf`, its header read for its limits and
chat template, `instancegen models`, and bad files refused in one sentence (CLI exit 2,
HTTP 422) before llama.cpp sees them. Headers are written here byte by byte (no model needed);
the runs use the bundled model's file and Gemma 3 270M from the `gemma` extra."""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from conftest import ROOT, require
from http_support import BANK_ECORE, ServerThread
from typer.testing import CliRunner

from instancegen.service import backends
from instancegen.service.backends import local_models
from instancegen.service.backends.local import MAX_CONTEXT, LocalPlugin
from instancegen.service.backends.local_gguf import read_gguf
from instancegen.service.backends.local_templates import template_name
from instancegen.service.cli import app
from instancegen.service.core.errors import InputError
from instancegen.service.http import Settings, create_app

CASE = ROOT / "metamodels" / "suite" / "bank-basic"  # an old (tunable) case


def _kv_string(key: str, value: str) -> bytes:
    k, v = key.encode(), value.encode()
    return struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(v)) + v


def _kv_u32(key: str, value: int) -> bytes:
    k = key.encode()
    return struct.pack("<Q", len(k)) + k + struct.pack("<II", 4, value)


def write_gguf(path: Path, *, context: int = 2048, template: str | None = None) -> Path:
    """A GGUF file with one 16x64 F32 tensor, its data in full."""
    kvs = [_kv_string("general.architecture", "llama"), _kv_string("general.name", "tiny")]
    kvs.append(_kv_u32("llama.context_length", context))
    if template is not None:
        kvs.append(_kv_string("tokenizer.chat_template", template))
    name = b"w"
    tensor = struct.pack("<Q", len(name)) + name + struct.pack("<IQQIQ", 2, 16, 64, 0, 0)
    head = b"GGUF" + struct.pack("<IQQ", 3, 1, len(kvs)) + b"".join(kvs) + tensor
    head += b"\0" * (-len(head) % 32)
    path.write_bytes(head + b"\0" * (16 * 64 * 4))
    return path


def test_the_header_gives_context_parameters_and_template(tmp_path: Path) -> None:
    info = read_gguf(write_gguf(tmp_path / "m.gguf", context=4096, template="<|im_start|>"))
    assert (info.architecture, info.name, info.context_length) == ("llama", "tiny", 4096)
    assert info.parameters == 16 * 64 and info.describe_parameters() == "1.02K"
    assert template_name(info.chat_template, info.architecture) == "chatml"
    bare = read_gguf(write_gguf(tmp_path / "g.gguf"))
    assert bare.chat_template is None
    assert template_name(None, "gemma3").startswith("gemma (built in")


def test_capabilities_come_from_the_file_not_its_name(tmp_path: Path) -> None:
    small = write_gguf(tmp_path / "gpt-5-large.gguf", context=2048)
    caps = backends.capabilities(f"local:{small}")
    assert caps.grammar and caps.small  # 1K parameters, whatever the name says
    assert (caps.context_tokens, caps.output_tokens) == (2048, 1024)
    long = write_gguf(tmp_path / "long.gguf", context=131072)
    assert backends.capabilities(f"local:{long}").context_tokens == MAX_CONTEXT


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (None, "no such GGUF file"),
        (b"PK\x03\x04 a zip, not a model", "not a GGUF file"),
        ("header", "cut short (its header is incomplete)"),
        ("data", "cut short (4,"),
    ],
)
def test_a_bad_file_is_one_sentence(tmp_path: Path, content: object, words: str) -> None:
    path = tmp_path / "bad.gguf"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        whole = write_gguf(tmp_path / "whole.gguf").read_bytes()
        path.write_bytes(whole[:60] if content == "header" else whole[: len(whole) - 100])
    with pytest.raises(InputError) as caught:
        read_gguf(path)
    assert words in caught.value.message and caught.value.message.endswith(".")
    assert words in (local_models.local_problem(f"local:{path}") or "")


def test_local_strings_are_judged_before_any_work(tmp_path: Path) -> None:
    plugin = LocalPlugin()
    assert plugin.accepts("local") and plugin.accepts("local:/x.gguf")
    assert not plugin.accepts("localai/x") and not plugin.accepts("openai/local")
    ecore = tmp_path / "m.ecore"
    ecore.write_text("<xml/>")
    assert "must be a .gguf file" in (local_models.local_problem(f"local:{ecore}") or "")
    assert "names no file" in (local_models.local_problem("local:") or "")
    good = write_gguf(tmp_path / "ok.gguf")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    refused = local_models.local_problem(f"local:{good}", [elsewhere])
    assert refused is not None and "INSTANCEGEN_GGUF_DIRS" in refused
    sneaky = f"local:{elsewhere}/../ok.gguf"  # `..` does not lead out of an allowed directory
    assert "INSTANCEGEN_GGUF_DIRS" in (local_models.local_problem(sneaky, [elsewhere]) or "")


def test_the_cli_refuses_a_bad_model_file_with_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "notes.gguf"
    bad.write_text("just text")
    args = ["generate", "-m", str(CASE / "bank.ecore"), "--spec", "A bank.", "-o", "x"]
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", *args, "--model", f"local:{bad}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "not a GGUF file" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.xmi").exists()


def test_a_bad_model_file_is_refused_before_eval_runs_any_case(tmp_path: Path) -> None:
    """Checked at the start for every model: not after the models before it ran. The path's
    brackets are printed as they are (not read as terminal markup)."""
    bad = tmp_path / "[q4].gguf"
    bad.write_text("just text")
    suite = ROOT / "metamodels" / "suite"
    args = ["eval", str(suite), "--cases", "bank-basic", "--model", "local"]
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", *args, "--model", f"local:{bad}"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 2, proc.stderr
    assert "[q4].gguf" in proc.stderr and "not a GGUF file" in proc.stderr
    assert "bank-basic" not in proc.stdout + proc.stderr  # no case ran


def test_models_lists_the_files_in_the_given_directories(tmp_path: Path) -> None:
    write_gguf(tmp_path / "tiny.gguf", context=3072)
    (tmp_path / "broken.gguf").write_bytes(b"GGUF")
    result = CliRunner().invoke(app, ["models", "--dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    listed = {item["model"]: item for item in json.loads(result.stdout)}
    tiny = listed[f"local:{tmp_path / 'tiny.gguf'}"]
    assert tiny["context_length"] == 3072 and tiny["parameters"] == 1024
    assert "cut short" in listed[f"local:{tmp_path / 'broken.gguf'}"]["problem"]
    assert sum(item["default"] for item in listed.values()) == 1  # `local` is one of them


def test_http_runs_files_only_from_the_allowed_directories(tmp_path: Path) -> None:
    allowed, other = tmp_path / "models", tmp_path / "other"
    allowed.mkdir(), other.mkdir()
    write_gguf(other / "m.gguf")
    (allowed / "cut.gguf").write_bytes(b"GGUF\x03\x00")
    settings = Settings(db_path=tmp_path / "api.db", gguf_dirs=(allowed,))
    body = {"metamodel": {"ecore": BANK_ECORE.read_text()}, "spec": "A bank."}
    with ServerThread(create_app(settings)) as srv, httpx.Client(base_url=srv.url) as c:
        for model, words in (
            (f"local:{other / 'm.gguf'}", "INSTANCEGEN_GGUF_DIRS"),
            (f"local:{allowed / 'cut.gguf'}", "cut short"),
            (f"local:{allowed}/../other/m.gguf", "INSTANCEGEN_GGUF_DIRS"),
        ):
            for path in ("/v1/generate", "/v1/jobs"):
                r = c.post(path, json={**body, "model": model})
                assert r.status_code == 422, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert words in r.json()["detail"]
        mm_id = c.post("/v1/metamodels", json=body["metamodel"]).json()["id"]
        r = c.get(f"/v1/metamodels/{mm_id}/schema", params={"model": f"local:{other}/m.gguf"})
        assert r.status_code == 422 and "INSTANCEGEN_GGUF_DIRS" in r.json()["detail"]
        edit = {"metamodel": body["metamodel"], "instance": {"objects": []}, "request": "x"}
        r = c.post("/v1/edit", json={**edit, "model": model})
        assert r.status_code == 422 and "INSTANCEGEN_GGUF_DIRS" in r.json()["detail"]


def _gemma() -> Path:
    listed = {m.model: m for m in local_models.available()}["local:gemma3-270m"]
    require(
        listed.info is not None,
        "Gemma 3 270M (GGUF)",
        "the `gemma` extra and its assembly (bash scripts/install.sh)",
    )
    assert listed.info is not None
    return listed.info.path


def test_models_lists_gemma_with_its_context_length() -> None:
    gemma = _gemma()
    table = CliRunner().invoke(app, ["models"])
    assert table.exit_code == 0, table.output
    assert "local:gemma3-270m" in table.stdout and "32,768" in table.stdout
    listed = json.loads(CliRunner().invoke(app, ["models", "--json"]).stdout)
    row = next(item for item in listed if item["model"] == "local:gemma3-270m")
    assert (row["context_length"], row["context_used"], row["path"]) == (32768, 16384, str(gemma))
    assert row["architecture"] == "gemma3" and row["chat_template"].startswith("gemma")
    assert 260e6 < row["parameters"] < 280e6


@pytest.mark.slow
@pytest.mark.usefixtures("local_model")
def test_gemma_by_path_generates_a_valid_model_under_the_grammar(tmp_path: Path) -> None:
    gemma = _gemma()
    report = tmp_path / "report.json"
    args = ["generate", "-m", str(CASE / "bank.ecore"), "--spec-file", str(CASE / "spec.txt")]
    args += ["--model", f"local:{gemma}", "-o", str(tmp_path / "bank.xmi"), "--report", str(report)]
    result = CliRunner().invoke(app, [*args, "--max-repairs", "1"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "bank.xmi").read_text().startswith("<?xml")
    data = json.loads(report.read_text())
    assert data["status"] == "valid" and data["model"] == f"local:{gemma}"
    assert "grammar" in result.stderr and "Gemma 3 270m, from its GGUF header" in result.stderr
    # The in-process backend measures its calls: prompt evaluation and decoding, per phase.
    rows = {row["phase"]: row for row in data["profile"]}
    for phase in ("objects", "links"):
        row = rows[phase]
        assert row["calls"] >= 1 and row["prompt_seconds"] > 0 and row["decode_seconds"] > 0
        assert row["call_seconds"] >= row["prompt_seconds"] + row["decode_seconds"] - 0.01
    assert "time: " in result.stderr and "prompt tokens reused" in result.stderr


@pytest.mark.slow
@pytest.mark.usefixtures("local_model")
def test_each_line_of_calls_keeps_its_prefix_evaluated() -> None:
    """Two lines of calls with a shared system text (two-phase's objects and links): the
    second starts from the first's system text, and a repair of the first evaluates only
    what follows its first prompt and answer, not the whole prompt again."""
    from instancegen.service.backends.local import LocalBackend

    backend = LocalBackend()
    system = {"role": "system", "content": "Answer in JSON. " + "Keep to the schema. " * 40}
    first = [system, {"role": "user", "content": "Name three fruits in a list. " * 60}]
    other = [system, {"role": "user", "content": "Give one person with an age. " * 60}]
    a = backend.complete(first, schema=None, max_tokens=16)
    b = backend.complete(other, schema=None, max_tokens=16)
    assert 0 < b.reused_tokens < b.prompt_tokens / 2  # the system text, copied over
    repair = [*first, {"role": "assistant", "content": a.text}, {"role": "user", "content": "Fix."}]
    c = backend.complete(repair, schema=None, max_tokens=16)
    assert c.reused_tokens >= a.prompt_tokens  # its first prompt and more: not evaluated again
    again = backend.complete(first, schema=None, max_tokens=16)
    assert again.text == a.text  # greedy answers do not depend on what was reused
