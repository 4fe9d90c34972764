"""Editing a model from a change request: `service.edit`, `instancegen edit`, `POST /v1/edit`.

The LLM is a scripted OpenAI-compatible server on loopback reached through the real LiteLLM
backend; one test runs the bundled local model. Untouched elements of an imported XMI must
come back byte-identical, xmi:ids included, and every XMI written is judged by real EMF.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fault_server import FaultServer, Reply, completion, fault_server, tool_call, tool_name
from http_support import BANK_ECORE, BANK_REFERENCE, ServerThread

from instancegen import compilers, edit
from instancegen.service.backends.litellm_backend import LiteLLMBackend
from instancegen.service.core.checks.audit import KEPT_HINT
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.edits import EditList
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.editing import apply_to, read_source
from instancegen.service.http import Settings, create_app

ROOT = Path(__file__).resolve().parent.parent
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel([BANK_ECORE])


@pytest.fixture(scope="module")
def xmi_with_ids(mm: Metamodel) -> bytes:
    """The bank reference as a tool keeping xmi:ids writes it (every object has one)."""
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    return compilers.get("xmi").compile(cim, mm, xmi_ids={o.id: f"_{o.id}" for o in cim.objects})


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch) -> Iterator[FaultServer]:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")
    with fault_server() as server:
        yield server


def answers(*edit_lists: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Reply]:
    """A script answering the n-th edit request with the n-th list (the last one repeats)."""
    calls: list[int] = []

    def reply(request: dict[str, Any]) -> Reply:
        assert tool_name(request) == "Edits"
        n = min(len(calls), len(edit_lists) - 1)
        calls.append(n)
        body = json.dumps({"edits": edit_lists[n]})
        return (200, {}, completion(tool_call(body)), 0.0)

    return reply


RENAME = [{"op": "set", "id": "_bob", "feature": "name", "value": "Robert Weber"}]


def _changed_lines(before: bytes, after: str) -> tuple[list[str], list[str]]:
    old, new = before.decode().splitlines(), after.splitlines()
    return [ln for ln in old if ln not in new], [ln for ln in new if ln not in old]


def test_rename_request_keeps_every_other_line_and_all_xmi_ids(
    mm: Metamodel, xmi_with_ids: bytes, llm: FaultServer, emf: Any, tmp_path: Path
) -> None:
    llm.script = answers(RENAME)
    source = read_source(xmi_with_ids, "bank.xmi", mm)
    assert source.xmi_ids["_bob"] == "_bob" and source.xmi_ids["DE01"] == "_acc1"
    backend = LiteLLMBackend("openai/stub", api_base=llm.base_url, retries=0)
    result = edit(
        mm, source, "Rename Bob Weber to Robert Weber", model="openai/stub", backend=backend
    )
    assert result.status == "valid", result.issues
    removed, added = _changed_lines(xmi_with_ids, result.artifacts["xmi"])
    assert len(removed) == len(added) == 1
    assert added[0] == removed[0].replace("Bob Weber", "Robert Weber")
    assert 'xmi:id="_bob"' in added[0]
    assert [c.id for c in result.diff.changed] == ["_bob"]
    assert result.diff.changed[0].attributes[0].new == "Robert Weber"
    path = tmp_path / "renamed.xmi"
    path.write_text(result.artifacts["xmi"])
    assert emf([BANK_ECORE], [path])[0].errors == []


def test_add_and_delete_leave_untouched_elements_byte_identical(
    mm: Metamodel, xmi_with_ids: bytes, emf: Any, tmp_path: Path
) -> None:
    source = read_source(xmi_with_ids, "bank.xmi", mm)
    edits = EditList.model_validate(
        {
            "edits": [
                {
                    "op": "add",
                    "object": {"id": "DE04", "class": "Account", "attributes": {"iban": "DE04"}},
                    "container": ["_db", "accounts"],
                },
                {"op": "set", "id": "DE04", "feature": "owners", "value": ["_carol"]},
                {"op": "delete", "id": "DE03"},
            ]
        }
    )
    result = apply_to(mm, source, edits)
    assert result.status == "valid", result.issues
    out = result.artifacts["xmi"]
    removed, added = _changed_lines(xmi_with_ids, out)
    # acc3 goes; carol's account list changes (acc3 out, the new one in); the new account
    assert [ln.strip()[:40] for ln in removed] == [
        '<accounts xmi:id="_acc3" iban="DE03" bal',
        '<clients xmi:id="_carol" name="Carol Bra',
    ]
    assert any('xmi:id="DE04"' in ln and 'owners="_carol"' in ln for ln in added)
    assert any('xmi:id="_carol"' in ln and 'accounts="DE04"' in ln for ln in added)
    assert len(added) == 2
    assert {o.id for o in result.diff.added} == {"DE04"}
    assert {o.id for o in result.diff.removed} == {"DE03"}
    path = tmp_path / "edited.xmi"
    path.write_text(out)
    assert emf([BANK_ECORE], [path])[0].errors == []


def test_fragment_paths_stay_when_the_document_has_no_xmi_ids(mm: Metamodel) -> None:
    plain = compilers.get("xmi").compile(parse_cim(BANK_REFERENCE.read_bytes()), mm)
    source = read_source(plain, "bank.xmi", mm)
    assert source.xmi_ids == {}
    bob = next(o.id for o in source.cim.objects if o.attributes.get("name") == "Bob Weber")
    edits = [{"op": "set", "id": bob, "feature": "email", "value": "bob@example.org"}]
    result = apply_to(mm, source, EditList.model_validate({"edits": edits}).edits)
    removed, added = _changed_lines(plain, result.artifacts["xmi"])
    assert len(removed) == len(added) == 1
    assert 'email="bob@example.org"' in added[0]
    assert 'owners="//@clients.0 //@clients.1"' in result.artifacts["xmi"]


def test_refused_edits_are_repaired_by_the_llm(
    mm: Metamodel, xmi_with_ids: bytes, llm: FaultServer
) -> None:
    wrong = [{"op": "set", "id": "_bob", "feature": "accounts", "value": ["_bob"]}]
    llm.script = answers(wrong, RENAME)
    backend = LiteLLMBackend("openai/stub", api_base=llm.base_url, retries=0)
    result = edit(
        mm,
        read_source(xmi_with_ids, "bank.xmi", mm),
        "Rename Bob",
        model="openai/stub",
        backend=backend,
        realism="off",  # the reference's placeholder IBANs would add warnings
    )
    assert result.status == "valid"
    assert [a.kind for a in result.attempts] == ["generate", "repair"]
    assert result.attempts[0].issue_count == 1
    repair_prompt = llm.requests[1]["messages"][-1]["content"]
    assert "wrong-target-type" in repair_prompt and "accounts" in repair_prompt


def test_realism_strict_repairs_what_the_edit_wrote_and_keeps_the_models_own_values(
    mm: Metamodel, llm: FaultServer
) -> None:
    """The edit's unrealistic e-mail is an error the repair fixes; the model's own
    placeholder IBANs (DE01, …) are kept, with their warnings."""
    wrong = [{"op": "set", "id": "bob", "feature": "email", "value": "bob(at)example"}]
    right = [{"op": "set", "id": "bob", "feature": "email", "value": "bob@example.org"}]
    llm.script = answers(wrong, right)
    backend = LiteLLMBackend("openai/stub", api_base=llm.base_url, retries=0)
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    result = edit(
        mm, cim, "Give Bob an e-mail address", backend=backend, realism="strict", max_repairs=1
    )
    assert result.status == "valid" and len(result.attempts) == 2, result.issues
    assert "[unrealistic] bob.email" in llm.requests[1]["messages"][-1]["content"]
    kept = [i for i in result.issues if i.code == "unrealistic"]
    assert {i.object for i in kept} == {"acc1", "acc2", "acc3"}
    assert all(i.severity == "warning" and i.hint == KEPT_HINT for i in kept)


def test_edit_that_stays_invalid_reports_its_issues(mm: Metamodel, llm: FaultServer) -> None:
    llm.script = answers([{"op": "delete", "id": "nobody"}])
    backend = LiteLLMBackend("openai/stub", api_base=llm.base_url, retries=0)
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    result = edit(
        mm, cim, "Remove nobody", model="openai/stub", backend=backend, max_repairs=1, realism="off"
    )
    assert result.status == "invalid"
    assert len(result.attempts) == 2
    assert [i.code for i in result.issues] == ["unknown-object"]
    assert result.cim == cim and result.diff.empty


# --- command line -------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "instancegen", "edit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
    )


def test_cli_edit_writes_the_model_diff_and_report(
    xmi_with_ids: bytes, llm: FaultServer, tmp_path: Path
) -> None:
    llm.script = answers(RENAME)
    model = tmp_path / "bank.xmi"
    model.write_bytes(xmi_with_ids)
    out, report = tmp_path / "out.xmi", tmp_path / "report.json"
    run = _cli(
        "-m", str(BANK_ECORE), str(model), "--request", "Rename Bob Weber to Robert Weber",
        "--model", "openai/stub", "--api-base", llm.base_url, "-o", str(out),
        "--report", str(report),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert "~ _bob (Person)" in run.stderr
    assert "name: 'Bob Weber' -> 'Robert Weber'" in run.stderr
    assert "0 added, 0 removed, 1 changed" in run.stderr
    removed, added = _changed_lines(xmi_with_ids, out.read_text())
    assert len(removed) == len(added) == 1
    data = json.loads(report.read_text())
    assert data["status"] == "valid"
    assert data["diff"]["changed"][0]["attributes"] == [
        {"feature": "name", "old": "Bob Weber", "new": "Robert Weber"}
    ]
    assert data["edits"] == [{"op": "set", **RENAME[0]} | {"op": "set"}]


def test_cli_edit_takes_a_requests_llm_options(
    xmi_with_ids: bytes, llm: FaultServer, tmp_path: Path
) -> None:
    """`edit` takes --api-key-env, --strategy, --max-output-tokens and --context-tokens as
    `generate` does: the key sent is the named variable's, no answer is asked past the
    given limit, and two-phase asks for ids as enums of the model's own."""
    llm.script = answers(RENAME)
    model = tmp_path / "bank.xmi"
    model.write_bytes(xmi_with_ids)
    args = [
        "-m", str(BANK_ECORE), str(model), "--request", "Rename Bob Weber to Robert Weber",
        "--model", "openai/stub", "--api-base", llm.base_url, "--api-key-env", "MY_EDIT_KEY",
        "--strategy", "two-phase", "--max-output-tokens", "512", "--context-tokens", "16384",
        "-o", str(tmp_path / "out.xmi"),
    ]  # fmt: skip
    run = _cli(*args, env={"MY_EDIT_KEY": "sk-edit"})
    assert run.returncode == 0, run.stderr
    assert llm.keys == ["Bearer sk-edit"]
    (request,) = llm.requests
    assert request["max_tokens"] <= 512
    assert '"_bob"' in json.dumps(request["tools"][0]["function"]["parameters"])  # an enum
    unset = _cli(*args, env={"MY_EDIT_KEY": ""})
    assert unset.returncode == 2 and "MY_EDIT_KEY" in unset.stderr
    bad = _cli(*args[:-2], "--strategy", "clever")
    assert bad.returncode == 2 and "strategy" in bad.stderr and "Traceback" not in bad.stderr


def test_cli_edit_applies_an_edits_file_without_llm(tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"edits": [{"op": "delete", "id": "bob"}]}))
    out = tmp_path / "out.json"
    run = _cli("-m", str(BANK_ECORE), str(BANK_REFERENCE), "--edits", str(patch), "-o", str(out))
    assert run.returncode == 0, run.stderr
    cim = parse_cim(out.read_bytes())
    assert "bob" not in {o.id for o in cim.objects}
    assert "- bob (Person)" in run.stderr


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ([], "exactly one of --request"),
        (["--request", "x", "--edits", "p.json"], "exactly one of --request"),
        (["--edits", "missing.json"], "no such file"),
    ],
)
def test_cli_edit_bad_input_exits_2(extra: list[str], words: str) -> None:
    run = _cli("-m", str(BANK_ECORE), str(BANK_REFERENCE), *extra)
    assert run.returncode == 2
    assert words in run.stderr and "Traceback" not in run.stderr


def test_cli_edit_bad_edits_file_exits_2(tmp_path: Path) -> None:
    patch = tmp_path / "patch.json"
    patch.write_text(json.dumps({"edits": [{"op": "rename", "id": "bob"}]}))
    run = _cli("-m", str(BANK_ECORE), str(BANK_REFERENCE), "--edits", str(patch))
    assert run.returncode == 2
    assert "edits[0]" in run.stderr and "Traceback" not in run.stderr


# --- HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def api(tmp_path: Path, llm: FaultServer) -> Iterator[httpx.Client]:
    settings = Settings(db_path=tmp_path / "api.db", api_bases=(llm.base_url,))
    with (
        ServerThread(create_app(settings)) as server,
        httpx.Client(base_url=server.url, timeout=60) as client,
    ):
        yield client


def _mm_body() -> dict[str, str]:
    return {"ecore": BANK_ECORE.read_text()}


def test_http_edit_with_edits_needs_no_llm(api: httpx.Client, llm: FaultServer) -> None:
    body = {
        "metamodel": _mm_body(),
        "instance": json.loads(BANK_REFERENCE.read_text()),
        "edits": [{"op": "set", "id": "acc1", "feature": "balance", "value": 99.5}],
        "format": ["xmi", "json"],
    }
    r = api.post("/v1/edit", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["status"] == "valid" and data["model"] is None
    assert data["diff"]["changed"] == [
        {
            "id": "acc1",
            "class": "Account",
            "attributes": [{"feature": "balance", "old": 1250.5, "new": 99.5}],
            "links": [],
        }
    ]
    assert 'balance="99.5"' in data["artifacts"]["xmi"]
    assert set(data["artifacts"]) == {"xmi", "json"}
    assert llm.hits == 0


def test_http_edit_with_request_on_xmi_keeps_xmi_ids(
    api: httpx.Client, llm: FaultServer, xmi_with_ids: bytes
) -> None:
    llm.script = answers(RENAME)
    body = {
        "metamodel": _mm_body(),
        "instance": xmi_with_ids.decode(),
        "request": "Rename Bob Weber to Robert Weber",
        "model": "openai/stub",
        "api_base": llm.base_url,
    }
    r = api.post("/v1/edit", json=body)
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["status"] == "valid" and data["model"] == "openai/stub"
    removed, added = _changed_lines(xmi_with_ids, data["artifacts"]["xmi"])
    assert len(removed) == len(added) == 1 and 'xmi:id="_bob" name="Robert Weber"' in added[0]


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ({}, 422, 'exactly one of "edits" or "request"'),
        ({"edits": [], "request": "x"}, 422, 'exactly one of "edits" or "request"'),
        ({"edits": [{"op": "move", "id": "bob"}]}, 422, "edits"),
        ({"request": "x", "api_base": "http://10.0.0.1/v1"}, 422, "api_base"),
        ({"edits": [], "format": "pdf"}, 422, "pdf"),
        ({"edits": [], "instance": "<nope"}, 422, "well-formed"),
    ],
)
def test_http_edit_bad_input_is_a_problem(
    api: httpx.Client, change: dict[str, Any], status: int, words: str
) -> None:
    body = {"metamodel": _mm_body(), "instance": json.loads(BANK_REFERENCE.read_text()), **change}
    r = api.post("/v1/edit", json=body)
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert words in r.json()["detail"]


def test_http_edit_refusals_come_back_as_issues(api: httpx.Client) -> None:
    body = {
        "metamodel": _mm_body(),
        "instance": json.loads(BANK_REFERENCE.read_text()),
        "edits": [{"op": "delete", "id": "nobody"}],
    }
    r = api.post("/v1/edit", json=body)
    assert r.status_code == 200
    assert r.json()["status"] == "invalid"
    assert [i["code"] for i in r.json()["issues"]] == ["unknown-object"]


def test_openapi_documents_the_edit_shapes(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    request = spec["components"]["schemas"]["EditRequest"]
    assert {"edits", "request", "instance", "metamodel"} <= set(request["properties"])
    assert {"AddEdit", "SetEdit", "DeleteEdit"} <= set(spec["components"]["schemas"])


# --- the bundled local model --------------------------------------------------------------


def test_local_model_rename_request_ends_valid(mm: Metamodel, local_model: None) -> None:
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    result = edit(mm, cim, "Rename the person Bob Weber to Robert Weber.", max_repairs=2)
    assert all(e.op == "set" for e in result.edits)  # held to its own features and ids
    assert result.status == "valid", result.issues
    # whatever it changed, no object it left alone moved or changed
    touched = {c.id for c in result.diff.changed} | {o.id for o in result.diff.removed}
    kept = [
        o for o in result.cim.objects if o.id not in touched and o.id in {c.id for c in cim.objects}
    ]
    assert kept == [o for o in cim.objects if o.id not in touched]
    assert result.edits, "the model answered with no edit at all"


# --- xmi:ids of other documents -----------------------------------------------------------

LEDGER = ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore"
LEDGER_IDS = Path(__file__).resolve().parent / "fixtures" / "xmi" / "ledger-ids.xmi"
_XMI_ID = re.compile(r'xmi:id="([^"]+)"')


def test_an_eclipse_documents_xmi_ids_survive_an_edit(emf: Any, tmp_path: Path) -> None:
    """Nested containment, subclasses, iD attributes that differ from the xmi:ids."""
    mm = load_metamodel([LEDGER])
    data = LEDGER_IDS.read_bytes()
    source = read_source(data, "ledger-ids.xmi", mm)
    assert sorted(source.xmi_ids.values()) == sorted(_XMI_ID.findall(data.decode()))
    ada = next(o.id for o in source.cim.objects if o.attributes.get("name") == "Ada")
    edits = [{"op": "set", "id": ada, "feature": "name", "value": "Ada L."}]
    result = apply_to(mm, source, EditList.model_validate({"edits": edits}).edits)
    assert not any("not applied" in i.message for i in result.issues)  # (the fixture leaves
    out = result.artifacts["xmi"]  # required currencies at their default: issues of its own)
    assert sorted(_XMI_ID.findall(out)) == sorted(_XMI_ID.findall(data.decode()))
    assert 'xmi:id="_cust1"' in next(ln for ln in out.splitlines() if "Ada L." in ln)
    path = tmp_path / "ledger.xmi"
    path.write_text(out)
    assert emf([LEDGER], [path])[0].errors == []


def test_xmi_ids_under_a_multi_root_wrapper(mm: Metamodel) -> None:
    two = parse_cim(
        {
            "objects": [
                {"id": "b1", "class": "Bank", "attributes": {"name": "One"},
                 "references": {"clients": ["p1"]}},
                {"id": "b2", "class": "Bank", "attributes": {"name": "Two"},
                 "references": {"clients": ["p2"]}},
                {"id": "p1", "class": "Person", "attributes": {"name": "A"}},
                {"id": "p2", "class": "Person", "attributes": {"name": "B"}},
            ]
        }
    )  # fmt: skip
    ids = {"b1": "_B1", "b2": "_B2", "p1": "_P1", "p2": "_P2"}
    data = compilers.get("xmi").compile(two, mm, xmi_ids=ids)
    assert data.count(b"<xmi:XMI") == 1
    source = read_source(data, "two.xmi", mm)
    assert sorted(source.xmi_ids.values()) == sorted(ids.values())
    result = apply_to(mm, source, [])
    assert result.artifacts["xmi"].encode() == data
