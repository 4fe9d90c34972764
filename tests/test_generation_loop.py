"""The generate/validate/repair loop and the `generate` command, driven by a scripted backend.

The scripted backend replays prepared answers, so each path of the loop (repair succeeds,
repairs run out, garbage or cut-off JSON, a failing provider, direct XMI) runs deterministically
and fast; the real models are exercised in test_e2e_local.py and test_litellm_server.py.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from instancegen import compilers, generate
from instancegen.service import backends
from instancegen.service.backends.base import Message, Reply
from instancegen.service.cli import app
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.evaluation import Case, run_case
from instancegen.service.generation.options import MAX_SAMPLES, SAMPLE_TEMPERATURE
from instancegen.service.generation.result import Event, GenerationFailed
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
SPEC = "A bank holds two accounts, owned by a person."  # no names: ids account_1, account_2
# The answers' IBANs are placeholders ("DE01"): where a test compares a result's findings, it
# generates with realism off (test_generation_realism.py is where realism is tested).


class ScriptedBackend:
    """Answers from a list: a string is the reply text, an exception is raised, a
    `(text, True)` pair is a reply cut off at max_tokens."""

    model = "scripted"

    def __init__(self, replies: list[Any]) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def complete(
        self,
        messages: list[Message],
        *,
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        self.calls.append(
            {
                "messages": messages,
                "schema": schema,
                "temperature": temperature,
                "seed": seed,
                "max_tokens": max_tokens,
            }
        )
        if not self.replies:
            raise AssertionError("the loop asked for more answers than scripted")
        item = self.replies.pop(0)
        if isinstance(item, Exception):
            raise item
        text, truncated = item if isinstance(item, tuple) else (item, False)
        return Reply(text=text, prompt_tokens=100, completion_tokens=20, truncated=truncated)


def objects(iban1: str, iban2: str, *, people: bool = True, balance: float = 0.0) -> str:
    """A phase-1 answer: objects grouped by class."""
    return json.dumps(
        {
            "Bank": [{"id": "alpha", "attributes": {"name": "Alpha"}}],
            "Account": [
                {"id": "account_1", "attributes": {"iban": iban1, "balance": balance}},
                {"id": "account_2", "attributes": {"iban": iban2}},
            ],
            "Person": [{"id": "ann", "attributes": {"name": "Ann"}}] if people else [],
        }
    )


LINKS = json.dumps({"account_1": {"owners": ["ann"]}, "account_2": {"owners": ["ann"]}})
DUPLICATE_IBANS = objects("DE01", "DE01")  # EMF's ID table forbids it; normalised to DE01-2
NO_OWNERS = objects("DE01", "DE02", people=False)  # accounts that nobody could own
BAD_BALANCE = objects("DE01", "DE02", balance=math.nan)  # what no schema or normalisation fixes
GOOD = objects("DE01", "DE02")


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


def test_invalid_then_valid_repairs_with_previous_model_and_issues(bank: Metamodel) -> None:
    backend = ScriptedBackend([BAD_BALANCE, LINKS, GOOD, LINKS])
    events: list[Event] = []
    result = generate(
        bank, SPEC, backend=backend, on_event=events.append, max_repairs=3, realism="off"
    )

    assert result.status == "valid" and result.issues == []
    assert [(a.number, a.kind) for a in result.attempts] == [(1, "generate"), (2, "repair")]
    assert result.attempts[0].issue_count >= 1 and result.attempts[1].issue_count == 0
    assert result.usage.prompt_tokens == 400 and result.usage.completion_tokens == 80
    assert sum(a.prompt_tokens for a in result.attempts) == 400
    cim = result.cim
    assert cim is not None
    alpha = next(o for o in cim.objects if o.id == "alpha")
    assert alpha.references == {"accounts": ["account_1", "account_2"], "clients": ["ann"]}
    assert "DE02" in result.artifacts["xmi"]
    # The repair round shows the previous objects and the validator's findings.
    repair = backend.calls[2]["messages"]
    assert repair[-2]["role"] == "assistant" and '"DE01"' in repair[-2]["content"]
    assert "[bad-value] account_1.balance" in repair[-1]["content"]
    # The links phase of that round starts from its previous links, and is not shown the
    # attribute issue it cannot fix.
    links_repair = backend.calls[3]["messages"]
    assert json.loads(links_repair[-2]["content"]) == json.loads(LINKS)
    assert "bad-value" not in links_repair[-1]["content"]
    told = [(e.type, e.data.get("phase")) for e in events]
    assert told == [
        ("attempt_started", None),
        ("phase_started", "objects"),
        ("phase_started", "links"),
        ("issues_found", None),
        ("attempt_started", None),
        ("repair_sent", None),
        ("phase_started", "objects"),
        ("phase_started", "links"),
        ("finished", None),
    ]
    assert events[3].data["error_count"] == events[5].data["error_count"] == 1
    assert events[-1].data["status"] == "valid" and events[-1].data["prompt_tokens"] == 400


def test_never_valid_reports_last_issues(bank: Metamodel) -> None:
    backend = ScriptedBackend([BAD_BALANCE, LINKS] * 2)
    result = generate(bank, SPEC, backend=backend, max_repairs=1, realism="off")
    assert result.status == "invalid"
    assert len(result.attempts) == 2 and not backend.replies
    assert {i.code for i in result.issues} == {"bad-value"}


def test_objects_no_links_could_complete_are_left_out(bank: Metamodel) -> None:
    # no count: with "two accounts", phase 1 would ask for the person they need
    spec = "A bank holds accounts, owned by a person."
    result = generate(bank, spec, backend=ScriptedBackend([NO_OWNERS]), max_repairs=0)
    assert result.status == "valid" and result.cim is not None
    assert [o.id for o in result.cim.objects] == ["alpha"]  # the root class always stays
    left_out = [i.object for i in result.issues if i.code == "normalised"]
    assert left_out and "alpha" not in left_out
    assert all(i.severity == "warning" for i in result.issues)


def test_colliding_id_values_are_told_apart_without_a_repair(bank: Metamodel) -> None:
    backend = ScriptedBackend([DUPLICATE_IBANS, LINKS])
    result = generate(bank, SPEC, backend=backend, max_repairs=0, realism="off")
    assert result.status == "valid"
    # the change is said: a `normalised` warning naming the object, the feature, both values
    assert [(i.code, i.severity, i.object, i.feature) for i in result.issues] == [
        ("normalised", "warning", "account_2", "iban")
    ]
    assert "'DE01'" in result.issues[0].message and "'DE01-2'" in result.issues[0].message
    assert result.cim is not None
    ibans = {o.id: o.attributes.get("iban") for o in result.cim.objects}
    assert ibans["account_1"] == "DE01" and ibans["account_2"] == "DE01-2"


def test_id_values_get_the_nearest_unused_value_of_their_type() -> None:
    mm = load_metamodel({"t.ecore": ID_ECORE})
    cim = parse_cim(
        {
            "objects": [
                {"id": "a", "class": "Item", "attributes": {"no": 1, "label": "x"}},
                {"id": "b", "class": "Item", "attributes": {"no": 1, "label": "x"}},
                {"id": "c", "class": "Item", "attributes": {"no": 2, "label": "x-2"}},
                {"id": "d", "class": "Tag", "attributes": {"kind": "A"}},
                {"id": "e", "class": "Tag", "attributes": {"kind": "A"}},
                {"id": "f", "class": "Tag", "attributes": {"kind": "A"}},
            ]
        }
    )
    values = [dict(o.attributes) for o in declared_objects(mm, cim)]
    assert values == [
        {"no": 1, "label": "x"},
        {"no": 3, "label": "x"},  # 2 is c's; the non-iD label may repeat
        {"no": 2, "label": "x-2"},
        {"kind": "A"},
        {"kind": "B"},
        {"kind": "A"},  # no literal left: the validator reports it
    ]
    issues = validate(mm, Cim(objects=declared_objects(mm, cim)))
    assert [(i.code, i.object) for i in issues] == [("duplicate-id-attribute", "f")]


ID_ECORE = """<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="t" nsURI="http://t" nsPrefix="t">
  <eClassifiers xsi:type="ecore:EClass" name="Item">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="no" iD="true"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="label"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Tag">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="kind" iD="true" eType="#//Kind"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Kind">
    <eLiterals name="A"/>
    <eLiterals name="B" value="1"/>
  </eClassifiers>
</ecore:EPackage>
"""


def test_one_sample_is_the_greedy_path_with_the_backends_own_seed(bank: Metamodel) -> None:
    backend = ScriptedBackend([GOOD, LINKS])
    events: list[Event] = []
    result = generate(bank, SPEC, backend=backend, samples=1, on_event=events.append)
    assert [(c["temperature"], c["seed"]) for c in backend.calls] == [(0.0, None), (0.0, None)]
    assert (result.samples, result.consensus) == (1, None)
    assert "consensus" not in [e.type for e in events]


def test_samples_are_drawn_warm_with_their_own_seeds_and_voted(bank: Metamodel) -> None:
    # The third sample gets a2's iban wrong and invents a client (with a name the schema
    # accepts for a person: letters only): both are outvoted.
    odd = json.loads(objects("DE01", "Ann"))
    odd["Person"].append({"id": "zed", "attributes": {"name": "Zed"}})
    backend = ScriptedBackend([GOOD, LINKS, GOOD, LINKS, json.dumps(odd), LINKS, LINKS])
    events: list[Event] = []
    result = generate(bank, SPEC, backend=backend, samples=3, on_event=events.append, realism="off")
    assert result.status == "valid" and result.cim is not None
    assert sorted(str(o.attributes.get("iban") or o.attributes.get("name"))
                  for o in result.cim.objects) == ["Alpha", "Ann", "DE01", "DE02"]  # fmt: skip
    assert [c["temperature"] for c in backend.calls] == [SAMPLE_TEMPERATURE] * 6
    assert [c["seed"] for c in backend.calls] == [1, 2, 3, 4, 5, 6]
    assert result.samples == 3 and result.consensus == "consensus of 3 samples: kept 4 of 5 objects"
    phases = ["phase_started"] * 6  # objects and links for each sample
    assert [e.type for e in events] == ["attempt_started", *phases, "consensus", "finished"]
    assert events[7].data["objects_kept"] == 4 and events[7].data["objects_proposed"] == 5
    assert result.usage.prompt_tokens == 600  # every sample's calls count
    assert len(result.attempts) == 1 and result.attempts[0].prompt_tokens == 600
    # Zed's links were never asked for (the schema had no such object): one reply is left.
    assert backend.replies == [LINKS]


def test_a_sample_without_a_usable_answer_is_left_out_of_the_vote(bank: Metamodel) -> None:
    garbage = ["Sure! Here is your model:"] * 3  # every retry of the second sample
    backend = ScriptedBackend([GOOD, LINKS, *garbage, GOOD, LINKS])
    result = generate(bank, SPEC, backend=backend, samples=3, max_repairs=0)
    assert result.status == "valid" and result.cim is not None and len(result.cim.objects) == 4
    assert result.consensus is not None
    assert result.consensus.startswith("consensus of 2 samples: kept 4 of 4 objects (1 of 3 ")
    assert "did not match the schema" in result.consensus
    assert result.usage.prompt_tokens == 700  # the failed sample's calls are paid for too
    with pytest.raises(BackendError, match=r"\(3 tries\)"):
        generate(bank, SPEC, backend=ScriptedBackend(garbage * 2), samples=2)
    provider = ScriptedBackend([BackendError("capable (HTTP 500): down", status=500)])
    with pytest.raises(BackendError, match="HTTP 500"):
        generate(bank, SPEC, backend=provider, samples=3)
    assert not provider.replies


def test_repairs_after_a_vote_are_asked_cold(bank: Metamodel) -> None:
    backend = ScriptedBackend([BAD_BALANCE, LINKS] * 2 + [GOOD, LINKS])
    result = generate(bank, SPEC, backend=backend, samples=2, max_repairs=1)
    assert result.status == "valid"
    assert [(c["temperature"], c["seed"]) for c in backend.calls[4:]] == [(0.0, None)] * 2


def test_samples_out_of_range_or_in_direct_mode_are_refused(bank: Metamodel) -> None:
    backend = ScriptedBackend([])
    for bad in (0, MAX_SAMPLES + 1):
        with pytest.raises(InputError, match="samples: Input should be"):
            generate(bank, SPEC, backend=backend, samples=bad)
    with pytest.raises(InputError, match='needs "mode" two-step'):
        generate(bank, SPEC, backend=backend, samples=3, mode="direct")
    assert backend.calls == []


@pytest.mark.parametrize("bad", ["0", "10", "three"])
def test_cli_samples_out_of_range_is_bad_input(bad: str) -> None:
    result = CliRunner().invoke(
        app, ["generate", "-m", str(BANK), "--spec", SPEC, "--samples", bad]
    )
    assert result.exit_code == 2 and "--samples" in result.stderr


def test_garbage_json_is_asked_again_warmer(bank: Metamodel) -> None:
    backend = ScriptedBackend(["Sure! Here is your model:", GOOD, LINKS])
    result = generate(bank, SPEC, backend=backend)
    assert result.status == "valid"
    assert [c["temperature"] for c in backend.calls] == [0.0, 0.5, 0.0]
    assert result.attempts[0].prompt_tokens == 300  # the retry counts towards the attempt


def test_cut_off_objects_are_asked_again_with_fewer_per_class(bank: Metamodel) -> None:
    cut = ('{"Bank": [{"id": "alpha", "attributes": {"na', True)
    one_each = json.loads(GOOD)
    del one_each["Account"][1:]
    backend = ScriptedBackend(
        [cut, json.dumps(one_each), json.dumps({"account_1": {"owners": ["ann"]}})]
    )
    assert generate(bank, SPEC, backend=backend).status == "valid"
    first, second = (c["schema"].model_json_schema(by_alias=True) for c in backend.calls[:2])
    assert _most_accounts(second) < _most_accounts(first)
    assert [c["temperature"] for c in backend.calls[:2]] == [0.0, 0.0]


def _most_accounts(schema: dict[str, Any]) -> int:
    return int(schema["properties"]["Account"]["maxItems"])


def test_truncated_json_every_time_is_a_backend_failure(bank: Metamodel) -> None:
    cut = ('{"Bank": [{"id": "alpha", "attributes": {"na', True)
    backend = ScriptedBackend([cut] * 4)  # the smallest schema, then warmer
    with pytest.raises(BackendError, match=r"cut off at \d+ tokens \(4 tries\)"):
        generate(bank, SPEC, backend=backend)
    assert [c["temperature"] for c in backend.calls] == [0.0, 0.0, 0.5, 0.9]


def test_garbage_every_time_names_the_schema_problem(bank: Metamodel) -> None:
    backend = ScriptedBackend(['{"Bank": 5}'] * 3)
    with pytest.raises(BackendError, match=r"did not match the schema: Bank"):
        generate(bank, SPEC, backend=backend)


def test_bad_arguments_fail_before_any_llm_call(bank: Metamodel) -> None:
    backend = ScriptedBackend([])
    with pytest.raises(InputError, match="unknown format 'docx'"):
        generate(bank, SPEC, backend=backend, formats=["docx"])
    with pytest.raises(InputError, match="empty"):
        generate(bank, "  ", backend=backend)
    with pytest.raises(InputError, match="max_repairs"):
        generate(bank, SPEC, backend=backend, max_repairs=-1)
    assert backend.calls == []


def _bank_xmi(bank: Metamodel) -> str:
    reference = parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())
    return compilers.get("xmi").compile(reference, bank).decode("utf-8")


def test_direct_mode_unparseable_xmi_is_an_issue_then_repaired(bank: Metamodel) -> None:
    xmi = _bank_xmi(bank)
    backend = ScriptedBackend(["<bank:Bank name='x'", f"Here you go:\n```xml\n{xmi}```\n"])
    result = generate(bank, SPEC, backend=backend, mode="direct", max_repairs=1)
    assert result.status == "valid" and result.mode == "direct"
    assert result.cim is not None and len(result.cim.objects) == 7
    assert result.answer_xmi == xmi.strip()  # as the LLM wrote it, without fence and chatter
    assert "answer_xmi" not in result.model_dump() and "xmi" in result.artifacts
    assert result.attempts[0].issue_count == 1
    repair = backend.calls[1]["messages"]
    assert "unparseable-xmi" in repair[-1]["content"]
    assert backend.calls[0]["schema"] is None


def test_direct_mode_never_parseable_is_invalid_not_a_crash(bank: Metamodel) -> None:
    backend = ScriptedBackend(["I cannot do that."])
    result = generate(bank, SPEC, backend=backend, mode="direct", max_repairs=0)
    assert result.status == "invalid" and result.cim is None
    assert [i.code for i in result.issues] == ["unparseable-xmi"]


def test_direct_mode_asks_what_the_context_leaves(bank: Metamodel) -> None:
    # A 4,096-token context whose prompt takes part of it: the answer may not take all 4,096.
    backend = ScriptedBackend([f"```xml\n{_bank_xmi(bank)}```"])
    generate(
        bank,
        SPEC,
        backend=backend,
        mode="direct",
        max_repairs=0,
        max_output_tokens=4096,
        context_tokens=4096,
    )
    assert 256 <= backend.calls[0]["max_tokens"] < 4096 - 256


# --- the command line --------------------------------------------------------------------------


def _run(monkeypatch: pytest.MonkeyPatch, backend: ScriptedBackend, *args: str) -> Any:
    monkeypatch.setattr(backends, "create_backend", lambda *args, **kwargs: backend)
    return CliRunner().invoke(app, ["generate", "-m", str(BANK), "--spec", SPEC, *args])


def test_cli_valid_writes_outputs_and_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out, report = tmp_path / "bank.xmi", tmp_path / "r.json"
    backend = ScriptedBackend([BAD_BALANCE, LINKS, GOOD, LINKS])
    result = _run(
        monkeypatch, backend, "-f", "xmi", "-f", "cim", "-o", str(out), "--report", str(report)
    )
    assert result.exit_code == 0, result.output
    assert "<?xml" in out.read_text() and "DE02" in out.read_text()
    cim_file = tmp_path / f"bank.{compilers.get('cim').extension}"
    assert parse_cim(cim_file.read_bytes()).objects[0].class_ == "Bank"
    data = json.loads(report.read_text())
    assert data["status"] == "valid" and len(data["attempts"]) == 2
    assert data["cim"]["objects"][0]["class"] == "Bank"


def test_cli_never_valid_exits_1_without_output(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out, report = tmp_path / "bank.xmi", tmp_path / "r.json"
    backend = ScriptedBackend([BAD_BALANCE, LINKS] * 2)
    result = _run(
        monkeypatch, backend, "--max-repairs", "1", "-o", str(out), "--report", str(report)
    )
    assert result.exit_code == 1
    assert "bad-value" in result.stderr
    assert not out.exists()
    assert json.loads(report.read_text())["status"] == "invalid"


def test_cli_allow_invalid_writes_anyway(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    out = tmp_path / "bank.xmi"
    backend = ScriptedBackend([BAD_BALANCE, LINKS])
    result = _run(monkeypatch, backend, "--max-repairs", "0", "--allow-invalid", "-o", str(out))
    assert result.exit_code == 1
    assert "DE01" in out.read_text() and "DE02" in out.read_text()


def test_a_failure_part_way_keeps_what_the_calls_before_it_spent(bank: Metamodel) -> None:
    """The objects call of attempt 2 is answered, its links call fails: the error carries the
    tokens of the three answered calls, and an evaluation charges them to the failed run."""
    replies: list[Any] = [BAD_BALANCE, LINKS, GOOD, BackendError("openai/x: 503 overloaded")]
    with pytest.raises(GenerationFailed, match="503 overloaded") as failed:
        generate(bank, SPEC, backend=ScriptedBackend(replies), max_repairs=3)
    assert failed.value.usage.prompt_tokens == 300
    assert failed.value.usage.completion_tokens == 60
    reference = parse_cim(json.loads((ROOT / "metamodels" / "bank" / "reference.json").read_text()))
    case = Case("bank", (BANK,), SPEC, bank, reference)
    record = run_case(
        case,
        "scripted",
        "two-step",
        1,
        generate,
        backend=ScriptedBackend(replies),
        max_repairs=3,
        strategy="two-phase",
    )
    assert (record.status, record.error) == ("failed", "openai/x: 503 overloaded")
    assert (record.prompt_tokens, record.completion_tokens) == (300, 60)


def test_cli_backend_failure_exits_3_with_the_provider_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    out = tmp_path / "bank.xmi"
    backend = ScriptedBackend([BackendError("openai/x: Connection refused")])
    result = _run(monkeypatch, backend, "-o", str(out))
    assert result.exit_code == 3
    assert "Connection refused" in result.stderr and "Traceback" not in result.output
    assert not out.exists()


def test_cli_garbage_json_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(monkeypatch, ScriptedBackend(["nope"] * 3), "--quiet")
    assert result.exit_code == 3
    assert "did not match the schema" in result.stderr


def test_cli_several_formats_need_an_output_name(monkeypatch: pytest.MonkeyPatch) -> None:
    result = _run(monkeypatch, ScriptedBackend([]), "-f", "xmi", "-f", "cim")
    assert result.exit_code == 2 and "need -o" in result.stderr


def test_cli_spec_is_required_once() -> None:
    result = CliRunner().invoke(app, ["generate", "-m", str(BANK)])
    assert result.exit_code == 2 and "exactly one of --spec or --spec-file" in result.stderr


def test_prompt_prints_the_first_call_messages_without_an_llm(bank: Metamodel) -> None:
    result = CliRunner().invoke(app, ["prompt", "-m", str(BANK), "--spec", SPEC, "--json"])
    assert result.exit_code == 0, result.output
    messages = json.loads(result.stdout)
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user"]
    last = messages[-1]["content"]
    assert SPEC in last and "class Account" in last
    # The worked example comes from a different bundled metamodel.
    assert "class Account" not in messages[1]["content"]
    direct = CliRunner().invoke(
        app, ["prompt", "-m", str(BANK), "--spec", SPEC, "--mode", "direct", "--json"]
    )
    assert "XMI" in json.loads(direct.stdout)[-1]["content"]


def test_repeated_targets_and_unknown_containers_are_said(bank: Metamodel) -> None:
    """Phase 2's answers are cleaned up too, and each change is a `normalised` warning."""
    cim = parse_cim(
        {
            "objects": [
                {"id": "b", "class": "Bank", "attributes": {"name": "B"}},
                {"id": "c", "class": "Bank", "attributes": {"name": "C"}},
                {"id": "p", "class": "Person", "attributes": {"name": "P"}},
                {"id": "a", "class": "Account", "attributes": {"iban": "X"}},
            ]
        }
    )
    notes: list[Issue] = []
    plan = plan_links(bank, declared_objects(bank, cim, notes))
    assert notes == []
    answer = {"a": {"container": "nowhere", "owners": ["p", "p"]}}
    plan.apply(answer, notes)
    said = {(i.code, i.object, i.feature) for i in notes}
    assert ("normalised", "a", "owners") in said
    assert ("normalised", "a", None) in said
