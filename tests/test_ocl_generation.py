"""Generation against OCL invariants: the validator's invariant findings go back to the LLM.

A scripted OpenAI-compatible server on loopback (reached through the real LiteLLM +
instructor backend) first answers the clinic case with a patient aged 150, breaking
AgeInRange, then with the reference model; the bundled local model runs the case once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fault_server import Reply, completion, fault_server, tool_call

from service import load_metamodel
from service.cim import parse_cim
from service.generation import generate
from service.ocl.check import check_invariants
from service.phased_schema import declared_objects, objects_answer, plan_links
from service.validator import validate

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
    assert [a.issue_count for a in result.attempts] == [1, 0]
    assert result.status == "valid" and result.cim is not None
    report = check_invariants(mm, result.cim.objects)
    assert report.satisfaction_rate == 1.0 and not report.issues


@pytest.mark.slow
def test_local_model_on_the_clinic_case_reports_its_invariant_findings(local_model: None) -> None:
    """One run of the bundled model: whatever it writes, the invariant findings the result
    reports are exactly those of its final model, alongside the other issues."""
    mm = load_metamodel([CASE / "clinic.ecore"])
    result = generate(mm, (CASE / "spec.txt").read_text(), model="local", max_repairs=0)
    assert result.cim is not None
    final = validate(mm, result.cim)
    found = [i for i in result.issues if i.code != "normalised"]  # those say what was changed
    assert [i.model_dump() for i in found] == [i.model_dump() for i in final]
    expected = [issue for _, issue in check_invariants(mm, result.cim.objects).issues]
    reported = [i for i in result.issues if i.code in ("invariant", "not-evaluated")]
    assert sorted(i.model_dump_json() for i in reported) == sorted(
        i.model_dump_json() for i in expected
    )
    assert not [i for i in reported if i.code == "not-evaluated"]  # all six are in the subset
