"""OCL invariants end to end: read from Ecore annotations and Complete OCL files, shown to the
LLM and in `inspect`, checked by `validate` (CLI and HTTP), and counted by eval.

The bundled clinic-scheduling case carries six invariants of different shapes; its reference
model satisfies them all, and one mutation per invariant breaks exactly that one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from http_support import ScriptedBackend, ServerThread, sse
from typer.testing import CliRunner

from instancegen import compilers, load_metamodel
from instancegen.service.cli import app
from instancegen.service.cli.app import out as cli_out
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.ocl.check import check_invariants
from instancegen.service.eval.evaluation import discover, run_case
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.result import GenerationResult
from instancegen.service.http.app import create_app
from instancegen.service.http.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "metamodels" / "suite" / "clinic-scheduling"
ECORE = CASE / "clinic.ecore"
FIX = Path(__file__).resolve().parent / "fixtures" / "ocl"
REFERENCE = json.loads((CASE / "reference.json").read_text())
INVARIANTS = [
    "UniquePatientNames",
    "WithinCapacity",
    "AgeInRange",
    "MinorHasGuardian",
    "SurgeonOperates",
    "InsuredForSurgery",
]

# For each invariant, the one attribute change (None: left out) that breaks it and only it.
MUTATIONS: list[tuple[str, str, str, Any]] = [
    ("AgeInRange", "jonas", "age", 150),
    ("UniquePatientNames", "omar", "name", "Jonas Weber"),
    ("WithinCapacity", "berg", "maxAppointments", 1),
    ("SurgeonOperates", "berg", "specialty", "GENERAL_PRACTICE"),
    ("InsuredForSurgery", "clara", "insured", False),
    ("MinorHasGuardian", "sara", "guardian", None),
]


def mutated(object_id: str, attribute: str, value: Any) -> dict[str, Any]:
    data = json.loads(json.dumps(REFERENCE))
    attributes = next(o for o in data["objects"] if o["id"] == object_id)["attributes"]
    if value is None:
        del attributes[attribute]
    else:
        attributes[attribute] = value
    return data


def _validate(args: list[str]) -> tuple[int, list[dict[str, Any]], str]:
    result = CliRunner().invoke(app, ["validate", *args, "--json"])
    issues = json.loads(result.stdout) if result.exit_code in (0, 1) else []
    return result.exit_code, issues, result.stderr


def test_the_case_carries_six_invariants_read_from_its_annotations() -> None:
    mm = load_metamodel([ECORE])
    assert [i.name for i in mm.invariants] == INVARIANTS
    assert {i.context for i in mm.invariants} == {"Clinic", "Doctor", "Patient", "Appointment"}
    assert mm.invariants_of("Patient")[1].expression == (
        "self.age < 18 implies self.guardian <> null and self.guardian.size() > 0"
    )


def test_reference_model_satisfies_every_invariant() -> None:
    mm = load_metamodel([ECORE])
    report = check_invariants(mm, parse_cim(REFERENCE).objects)
    assert report.issues == []
    assert set(report.status.values()) == {"held"} and len(report.status) == 6
    assert report.satisfaction_rate == 1.0
    code, issues, _ = _validate(["-m", str(ECORE), str(CASE / "reference.json")])
    assert (code, issues) == (0, [])


@pytest.mark.parametrize(("invariant", "object_id", "attribute", "value"), MUTATIONS)
def test_one_mutation_breaks_one_invariant_and_validate_names_it(
    invariant: str, object_id: str, attribute: str, value: Any, tmp_path: Path
) -> None:
    model = tmp_path / "mutated.json"
    model.write_text(json.dumps(mutated(object_id, attribute, value)))
    code, issues, _ = _validate(["-m", str(ECORE), str(model), "--realism", "off"])
    assert code == 1
    found = [i for i in issues if i["code"] == "invariant"]
    assert found and all(f"invariant {invariant} of" in i["message"] for i in found), found
    expression = next(i for i in load_metamodel([ECORE]).invariants if i.name == invariant)
    assert all(expression.one_line in i["message"] for i in found)
    assert [i for i in issues if i["code"] != "invariant"] == []
    # the table form names it too
    table = CliRunner().invoke(app, ["validate", "-m", str(ECORE), str(model)])
    assert table.exit_code == 1 and invariant in table.stdout


def test_violation_points_at_the_context_object_with_its_values(tmp_path: Path) -> None:
    model = tmp_path / "m.json"
    model.write_text(json.dumps(mutated("jonas", "age", 150)))
    _, [issue], _ = _validate(["-m", str(ECORE), str(model), "--realism", "off"])
    assert issue["object"] == "jonas" and issue["severity"] == "error"
    assert issue["message"] == (
        "jonas (Patient) violates invariant AgeInRange of Patient: "
        "self.age >= 0 and self.age <= 130 — it is false here (age = 150)."
    )


def test_invalid_result_is_a_violation_that_says_why(tmp_path: Path) -> None:
    """An appointment without a doctor: `self.doctor.specialty` navigates from null."""
    data = json.loads(json.dumps(REFERENCE))
    a002 = next(o for o in data["objects"] if o["id"] == "a002")
    a002["references"] = {"patient": ["jonas"]}
    next(o for o in data["objects"] if o["id"] == "berg")["references"] = {"appointments": ["a006"]}
    mm = load_metamodel([ECORE])
    report = check_invariants(mm, parse_cim(data).objects)
    [(_, issue)] = report.issues
    assert issue.object == "a002" and "SurgeonOperates" in issue.message
    assert "invalid here, because self.doctor is null" in issue.message


def test_emfatic_prompt_shows_invariants_inside_their_class() -> None:
    text = render_metamodel(load_metamodel([ECORE]))
    patient = next(line for line in text.splitlines() if line.startswith("class Patient "))
    assert "invariant AgeInRange: self.age >= 0 and self.age <= 130;" in patient
    assert patient.endswith("self.guardian.size() > 0;}")


def test_inspect_lists_invariants_per_class(monkeypatch: pytest.MonkeyPatch) -> None:
    # The console was made (and its width read) when the CLI was first imported: widen it so
    # rich does not wrap the expression across lines.
    monkeypatch.setattr(cli_out, "width", 300)
    result = CliRunner().invoke(app, ["inspect", "-m", str(ECORE)])
    assert result.exit_code == 0
    row = next(line for line in result.stdout.splitlines() if "AgeInRange" in line)
    assert "invariant AgeInRange: self.age >= 0 and self.age <= 130;" in row
    assert "invariants: 6 OCL" in result.stdout


def test_unsupported_and_broken_constraints_are_warnings_and_the_rest_is_checked() -> None:
    """Classic-OCL annotations: one evaluable, one outside the subset, one unparsable and two
    hostile ones; a Java-only constraint name is ignored and `$message` is not an invariant."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "INSTANCEGEN_MAX_OCL_STEPS": "200000"}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", "validate", "-m", str(FIX / "rules.ecore"),
         str(FIX / "items.json"), "--json"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert time.monotonic() - started < 60
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    issues = json.loads(proc.stdout)
    assert [(i["code"], i["severity"]) for i in issues] == [("invariant", "error")] + [
        ("not-evaluated", "warning")
    ] * 4
    warnings = {i["message"].split(" of Item")[0]: i["message"] for i in issues[1:]}
    assert "uses the operation '.matches()'" in warnings["Invariant NameLooksRight"]
    assert "cannot be parsed: the text ends" in warnings["Invariant Broken"]
    assert "more than 200,000 evaluation steps" in warnings["Invariant Deep"]
    assert "more than 200,000 evaluation steps" in warnings["Invariant Huge"]
    assert all(i["object"] is None for i in issues[1:])


def test_complete_ocl_file_adds_invariants(tmp_path: Path) -> None:
    rules = tmp_path / "adults.ocl"
    rules.write_text(
        "import 'clinic.ecore'\n"
        "package clinic\n"
        "-- every patient must be of age here\n"
        "context Patient\n"
        "  inv Adult: self.age >= 18\n"
        "  inv: self.name.size() > 2\n"
        "context Doctor::busy() : Boolean\n"
        "  body: self.appointments->notEmpty()\n"
        "context d : Doctor inv Named: d.name.size() > 0\n"
        "endpackage\n"
    )
    mm = load_metamodel([ECORE], [rules])
    assert [i.name for i in mm.invariants[-3:]] == ["Adult", "Patient_inv2", "Named"]
    assert mm.invariants[-1].expression == "let d = self in (d.name.size() > 0)"
    assert mm.invariants[-2].source == str(rules)
    assert any("'body' is not an invariant" in w for w in mm.warnings)
    args = ["-m", str(ECORE), str(CASE / "reference.json"), "--constraints", str(rules)]
    code, issues, _ = _validate(args)
    assert code == 1
    assert [(i["code"], i["object"]) for i in issues] == [("invariant", "sara")]
    assert "invariant Adult of Patient: self.age >= 18" in issues[0]["message"]
    shown = CliRunner().invoke(
        app, ["inspect", "-m", str(ECORE), "--constraints", str(rules)], env={"COLUMNS": "300"}
    )
    assert "invariant Adult: self.age >= 18;" in shown.stdout
    prompt = CliRunner().invoke(
        app, ["prompt", "-m", str(ECORE), "--spec", "x", "--constraints", str(rules), "--json"]
    )
    assert "invariant Adult: self.age >= 18;" in prompt.stdout


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("context Patient inv A: self.age >", "ends in the middle of an expression"),
        ("context Nurse inv A: true", "line 1: context Nurse: the metamodel has no class"),
        ("context Patient inv AgeInRange: true", "already has an invariant named 'AgeInRange'"),
        ("context Patient inv A: " + "not " * 4000 + "true", "nested more than"),
        ("context Patient inv A: true $", "unexpected character '$'"),
    ],
)
def test_bad_constraints_file_is_exit_2_with_one_line(
    text: str, words: str, tmp_path: Path
) -> None:
    rules = tmp_path / "bad.ocl"
    rules.write_text(text)
    proc = subprocess.run(
        [sys.executable, "-m", "instancegen", "validate", "-m", str(ECORE),
         str(CASE / "reference.json"), "--constraints", str(rules)],
        capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert words in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_missing_constraints_file_is_a_clear_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as raised:
        load_metamodel([ECORE], [tmp_path / "none.ocl"])
    assert "none.ocl: no such file" in raised.value.message


def test_http_validate_reports_invariants_and_takes_constraints(tmp_path: Path) -> None:
    app_ = create_app(Settings(db_path=tmp_path / "ocl.db"))
    ecore = ECORE.read_text()
    broken = mutated("jonas", "age", 150)
    with ServerThread(app_) as server, httpx.Client(base_url=server.url, timeout=60) as http:
        answer = http.post(
            "/v1/validate",
            json={"metamodel": {"ecore": ecore}, "instance": broken, "realism": "off"},
        ).json()
        assert answer["valid"] is False
        assert [(i["code"], i["object"]) for i in answer["issues"]] == [("invariant", "jonas")]
        extra = {
            "metamodel": {"ecore": ecore},
            "instance": REFERENCE,
            "constraints": "context Doctor inv Small: self.appointments->size() < 3",
        }
        answer = http.post("/v1/validate", json=extra).json()
        assert [(i["object"], "Small" in i["message"]) for i in answer["issues"]] == [
            ("okafor", True)
        ]
        bad = http.post("/v1/validate", json={**extra, "constraints": "context X inv: true"})
        assert bad.status_code == 422
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert "no class 'X'" in bad.json()["detail"]
        unchanged = http.post(
            "/v1/validate", json={"metamodel": {"ecore": ecore}, "instance": REFERENCE}
        ).json()
        assert unchanged == {"valid": True, "issues": []}  # constraints never leak between calls


def test_eval_records_the_invariant_satisfaction_rate() -> None:
    [case] = discover(ROOT / "metamodels" / "suite", ["clinic-scheduling"])
    broken = parse_cim(mutated("jonas", "age", 150))

    def generate(metamodel: Any, spec: str, **options: Any) -> GenerationResult:
        return GenerationResult(status="invalid", model="m", cim=broken)

    record = run_case(case, "m", "two-step", 1, generate)
    assert record.invariant_rate == pytest.approx(5 / 6)
    assert "invariant" in record.issue_codes or record.issue_codes == []


def test_emf_loads_the_clinic_reference_model(emf: Any, tmp_path: Path) -> None:
    """The OCL annotations are ordinary Ecore to EMF: the case's model loads and validates."""
    mm = load_metamodel([ECORE])
    xmi = tmp_path / "clinic.xmi"
    xmi.write_bytes(compilers.get("xmi").compile(parse_cim(REFERENCE), mm))
    [checked] = emf([ECORE], [xmi])
    assert checked.ok, checked.errors


def test_http_generate_and_jobs_report_invariant_issues(tmp_path: Path) -> None:
    """A scripted LLM that always writes the reference model; the request's constraints make
    one doctor break `Small`, which generate and the job's result both report (no single
    edit can mend it, so the loop's last-resort search leaves it)."""
    mm = load_metamodel([ECORE])
    backend = ScriptedBackend(cim=parse_cim(REFERENCE), metamodel=mm)
    app_ = create_app(
        Settings(db_path=tmp_path / "gen.db"), backend_factory=lambda model, api_base: backend
    )
    body = {
        "metamodel": {"ecore": ECORE.read_text()},
        "spec": (CASE / "spec.txt").read_text(),
        "model": "scripted",
        "max_repairs": 0,
        "constraints": "context Doctor inv Small: self.appointments->size() < 3",
    }
    with ServerThread(app_) as server, httpx.Client(base_url=server.url, timeout=120) as http:
        result = http.post("/v1/generate", json=body).json()
        assert result["status"] == "invalid"
        assert [(i["code"], i["object"]) for i in result["issues"]] == [("invariant", "okafor")]
        job = http.post("/v1/jobs", json=body).json()
        sse(http, f"/v1/jobs/{job['id']}/events")  # returns when the job is over
        view = http.get(f"/v1/jobs/{job['id']}").json()
        assert view["status"] == "finished"
        assert [i["message"] for i in view["result"]["issues"]] == [
            i["message"] for i in result["issues"]
        ]
        assert (
            "invariant Small of Doctor: self.appointments->size() < 3"
            in result["issues"][0]["message"]
        )


def test_no_time_left_means_every_invariant_is_not_evaluated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INSTANCEGEN_MAX_OCL_MILLIS", "0")
    mm = load_metamodel([ECORE])
    report = check_invariants(mm, parse_cim(mutated("jonas", "age", 150)).objects)
    assert set(report.status.values()) == {"not-evaluated"}
    assert report.satisfaction_rate is None
    assert len(report.issues) == 6
    assert all("INSTANCEGEN_MAX_OCL_MILLIS" in issue.message for _, issue in report.issues)
