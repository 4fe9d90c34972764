"""Generation against OCL invariants: the validator's invariant findings go back to the LLM.

A scripted OpenAI-compatible server on loopback (reached through the real LiteLLM +
instructor backend) first answers the clinic case with a patient aged 150, breaking
AgeInRange, then with the reference model. A scripted backend that never mends a broken
invariant shows the last resort: the repair names it, then the search (`service.core.ocl.search`)
mends it. The bundled local model runs the case once, with one repair.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fault_server import Reply, completion, fault_server, tool_call
from http_support import ScriptedBackend

from instancegen import generate, load_metamodel
from instancegen.service.backends import Backend, create_backend
from instancegen.service.backends.base import Message
from instancegen.service.backends.base import Reply as BackendReply
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ocl.check import check_invariants
from instancegen.service.core.validator import validate
from instancegen.service.generation.result import Event
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_answer

_BROKE = re.compile(r"violates invariant (\w+) of")
CASE = Path(__file__).resolve().parent.parent / "metamodels" / "suite" / "clinic-scheduling"


@pytest.fixture(autouse=True)
def _dummy_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-stub")


def test_repair_names_the_broken_invariant_and_the_final_model_satisfies_it() -> None:
    mm = load_metamodel([CASE / "clinic.ecore"])
    good = parse_cim((CASE / "reference.json").read_text())
    data = good.model_dump(by_alias=True)
    next(o for o in data["objects"] if o["id"] == "jonas")["attributes"]["age"] = 150
    bad = parse_cim(data)
    objects_requests: list[dict[str, Any]] = []

    def respond(request: dict[str, Any]) -> Reply:
        tool = request["tools"][0]["function"]["name"]
        if tool == "Links":
            answer = plan_links(mm, declared_objects(mm, good)).answer_of(good)
        else:
            answer = objects_answer(mm, good if objects_requests else bad)
            objects_requests.append(request)
        return 200, {}, completion(tool_call(json.dumps(answer))), 0.0

    with fault_server() as server:
        server.script = respond
        result = generate(
            mm,
            (CASE / "spec.txt").read_text(),
            model="openai/stub",
            api_base=server.base_url,
            strategy="two-phase",  # the scripted server answers the two phases
        )
    assert len(objects_requests) == 2, [r["tools"][0]["function"]["name"] for r in server.requests]
    first_prompt = json.dumps(objects_requests[0]["messages"])
    assert "invariant AgeInRange: self.age >= 0 and self.age <= 130;" in first_prompt
    repair = objects_requests[1]["messages"][-1]["content"]
    assert "jonas (Patient) violates invariant AgeInRange of Patient" in repair
    assert "age = 150" in repair
    assert "age = 150 fails the age check" in repair  # realism warns on the same value
    assert [a.issue_count for a in result.attempts] == [2, 0]
    assert result.status == "valid" and result.cim is not None
    report = check_invariants(mm, result.cim.objects)
    assert report.satisfaction_rate == 1.0 and not report.issues


@pytest.mark.slow
def test_local_model_on_the_clinic_case_ends_with_every_invariant_held(local_model: None) -> None:
    """One run of the bundled model with one repair: the findings the result reports are
    exactly those of its final model, every invariant holds in it (the repair, or else the
    search, saw to that), and an invariant the first answer broke was named in the repair."""
    mm = load_metamodel([CASE / "clinic.ecore"])
    backend = _Recorder(create_backend("local"))
    first: list[dict[str, Any]] = []

    def on_event(event: Event) -> None:
        backend.on_event(event)
        if event.type == "issues_found" and event.attempt == 1:
            first.extend(event.data["issues"])

    result = generate(
        mm,
        (CASE / "spec.txt").read_text(),
        model="local",
        backend=backend,
        max_repairs=1,
        on_event=on_event,
    )
    assert result.cim is not None
    final = validate(mm, result.cim)
    found = [i for i in result.issues if i.code != "normalised"]  # those say what was changed
    assert [i.model_dump() for i in found] == [i.model_dump() for i in final]
    report = check_invariants(mm, result.cim.objects)
    assert report.satisfaction_rate == 1.0 and not report.issues, report.issues
    broken = {m.group(1) for i in first if (m := _BROKE.search(i["message"]))}
    if broken:
        repair = backend.repair()
        assert all(f"violates invariant {name} of" in repair for name in broken), broken


class _Recorder:
    """A backend that keeps every request's messages: which of them the repair sent."""

    def __init__(self, inner: Backend) -> None:
        self.inner = inner
        self.model = inner.model
        self.requests: list[list[Message]] = []
        self.repair_from: int | None = None  # the first request of the first repair

    def complete(self, messages: list[Message], **kwargs: Any) -> BackendReply:
        self.requests.append(list(messages))
        return self.inner.complete(messages, **kwargs)

    def on_event(self, event: Event) -> None:
        if event.type == "attempt_started" and event.attempt == 2:
            self.repair_from = len(self.requests)

    def repair(self) -> str:
        assert self.repair_from is not None
        return json.dumps(self.requests[self.repair_from :])


def test_repairs_that_never_mend_an_invariant_end_in_the_search() -> None:
    """Every answer leaves Sara, a minor, without a guardian; the repair names the invariant,
    and when repairs run out the search sets the guardian the spec states, and says so."""
    mm = load_metamodel([CASE / "clinic.ecore"])
    data = parse_cim((CASE / "reference.json").read_text()).model_dump(by_alias=True)
    del next(o for o in data["objects"] if o["id"] == "sara")["attributes"]["guardian"]
    backend = _Recorder(ScriptedBackend(cim=parse_cim(data), metamodel=mm))
    result = generate(
        mm,
        (CASE / "spec.txt").read_text(),
        model="scripted",
        backend=backend,
        max_repairs=1,
        on_event=backend.on_event,
    )
    assert [a.issue_count for a in result.attempts] == [1, 1]  # the repair did not mend it
    assert "sara (Patient) violates invariant MinorHasGuardian of Patient" in backend.repair()
    assert result.status == "valid" and result.cim is not None
    report = check_invariants(mm, result.cim.objects)
    assert report.satisfaction_rate == 1.0 and not report.issues
    sara = next(o for o in result.cim.objects if o.id == "sara")
    assert sara.attributes["guardian"] == "Erik Lindqvist"
    [note] = [i for i in result.issues if i.code == "normalised"]
    assert (note.object, note.feature) == ("sara", "guardian")
    assert note.message.startswith(
        'Changed sara.guardian from unset to "Erik Lindqvist": invariant MinorHasGuardian of '
        "Patient now holds on sara."
    )
    assert result.artifacts["xmi"] and 'guardian="Erik Lindqvist"' in result.artifacts["xmi"]
