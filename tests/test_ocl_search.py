"""The last-resort invariant search (`service.core.ocl.search`) on the clinic-scheduling case.

Each invariant's single breaking mutation (shared with test_ocl_invariants) is undone by one
kept edit, reported as a `normalised` warning; an edit that would add another error is refused;
a break no single edit can mend stays reported; and hostile invariants on a large model stop at
the trial and time bounds with their errors still there.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_ocl_invariants import CASE, ECORE, MUTATIONS, REFERENCE, mutated

from instancegen import load_metamodel
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Attribute, Metamodel
from instancegen.service.core.ocl import search as search_mod
from instancegen.service.core.ocl.check import check_invariants
from instancegen.service.core.ocl.search import Offered, search
from instancegen.service.core.validator import validate
from instancegen.service.generation.two_phase.objects_schema import spec_choices
from instancegen.service.generation.two_phase.spec_facts import ground


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel([ECORE])


def _spec_offers(mm: Metamodel) -> Offered:
    """What the generation loop passes: the spec's values for each attribute."""
    grounding = ground(mm, (CASE / "spec.txt").read_text())

    def offered(key: str, attr: Attribute) -> tuple[Any, ...]:
        return spec_choices(mm.classes[key], attr, grounding)

    return offered


def _changes(before: Cim, after: Cim) -> dict[tuple[str, str], Any]:
    """(object, feature) -> new value, for every feature whose value differs."""
    old = {o.id: o for o in before.objects}
    changed = {}
    for o in after.objects:
        was = old[o.id]
        for name in set(o.attributes) | set(was.attributes):
            if o.attributes.get(name) != was.attributes.get(name):
                changed[(o.id, name)] = o.attributes.get(name)
        for name in set(o.references) | set(was.references):
            if o.references.get(name) != was.references.get(name):
                changed[(o.id, name)] = o.references.get(name)
    return changed


def _errors(issues: list[Issue]) -> list[Issue]:
    return [i for i in issues if i.severity == "error"]


@pytest.mark.parametrize(("invariant", "object_id", "attribute", "value"), MUTATIONS)
def test_each_single_mutation_is_undone_by_one_reported_edit(
    mm: Metamodel, invariant: str, object_id: str, attribute: str, value: Any
) -> None:
    broken = parse_cim(mutated(object_id, attribute, value))
    assert any(f"invariant {invariant} of" in i.message for i in _errors(validate(mm, broken)))
    found = search(mm, broken, offered=_spec_offers(mm))
    assert _errors(found.issues) == []  # it holds now, and nothing else broke
    report = check_invariants(mm, found.cim.objects)
    assert report.satisfaction_rate == 1.0 and not report.issues
    [note] = found.notes
    assert note.code == "normalised" and note.severity == "warning"
    assert f"invariant {invariant} of" in note.message and "now holds on" in note.message
    changes = _changes(broken, found.cim)
    assert list(changes) == [(note.object, note.feature)]
    new = changes[(note.object, note.feature)]
    assert f" to {json.dumps(new)}:" in note.message
    assert 1 <= found.trials <= search_mod.MAX_TRIALS


@pytest.mark.parametrize(
    ("mutation", "edit"),
    [
        # the spec's guardian, not an age that makes the rule's condition false
        (("sara", "guardian", None), ("sara", "guardian", "Erik Lindqvist")),
        # the later of two patients named alike takes the name the spec gives and nobody holds
        (("omar", "name", "Jonas Weber"), ("omar", "name", "Omar Haddad")),
        # the spec's capacity, not a cancelled appointment
        (("berg", "maxAppointments", 1), ("berg", "maxAppointments", 3)),
        # one edit mends both surgeries the non-surgeon was booked for
        (("berg", "specialty", "GENERAL_PRACTICE"), ("berg", "specialty", "SURGEON")),
    ],
)
def test_the_edit_meets_the_rules_demand_with_the_specs_values(
    mm: Metamodel, mutation: tuple[str, str, Any], edit: tuple[str, str, Any]
) -> None:
    found = search(mm, parse_cim(mutated(*mutation)), offered=_spec_offers(mm))
    oid, feature, value = edit
    assert _changes(parse_cim(mutated(*mutation)), found.cim) == {(oid, feature): value}
    assert found.notes[0].object == oid and found.notes[0].feature == feature


def test_surgeon_edit_names_every_object_it_mends(mm: Metamodel) -> None:
    found = search(mm, parse_cim(mutated("berg", "specialty", "GENERAL_PRACTICE")))
    [note] = found.notes
    assert note.message.startswith(
        'Changed berg.specialty from "GENERAL_PRACTICE" to "SURGEON": invariant '
        "SurgeonOperates of Appointment now holds on a002, a006."
    )


def test_an_edit_that_breaks_another_invariant_is_refused(mm: Metamodel) -> None:
    """The spec's first numbers (3, 4, 1) would make Jonas a minor without a guardian."""
    found = search(mm, parse_cim(mutated("jonas", "age", 150)), offered=_spec_offers(mm))
    jonas = next(o for o in found.cim.objects if o.id == "jonas")
    assert jonas.attributes["age"] == 54 and found.trials == 4
    assert _errors(found.issues) == []


def test_without_offered_values_the_expressions_bounds_are_tried(mm: Metamodel) -> None:
    found = search(mm, parse_cim(mutated("jonas", "age", 150)))
    assert _changes(parse_cim(mutated("jonas", "age", 150)), found.cim) == {("jonas", "age"): 130}


def test_reassigning_a_reference_keeps_both_ends_consistent() -> None:
    """No value of Dr. Tanaka's name can meet the rule, so the appointment moves to another
    doctor, and the opposite ends the CIM lists follow (the validator would report a mismatch
    otherwise)."""
    mm = load_metamodel(
        [ECORE],
        {
            "extra.ocl": "context Appointment inv NotMei: "
            "self.status = AppointmentStatus::CANCELLED or self.doctor.name <> 'Mei Tanaka'"
        },
    )
    broken = parse_cim(REFERENCE)
    assert [i.object for i in _errors(validate(mm, broken))] == ["a003"]
    found = search(mm, broken)
    assert _errors(found.issues) == []
    assert _changes(broken, found.cim) == {
        ("a003", "doctor"): ["berg"],
        ("berg", "appointments"): ["a002", "a006", "a003"],
        ("tanaka", "appointments"): ["a004"],
    }
    [note] = found.notes
    assert (note.object, note.feature) == ("a003", "doctor")
    assert note.message.startswith('Changed a003.doctor from "tanaka" to "berg": invariant NotMei')


def test_a_break_no_single_edit_mends_stays_reported(mm: Metamodel) -> None:
    """A capacity of -5 for two active appointments: no number ±1 away, no cancelled
    appointment makes it hold, so the search tries them all and keeps none."""
    broken = parse_cim(mutated("berg", "maxAppointments", -5))
    found = search(mm, broken)
    assert found.trials > 0 and found.notes == []
    assert found.cim == broken
    [issue] = _errors(found.issues)
    assert issue.code == "invariant" and "WithinCapacity" in issue.message


def test_unique_names_without_the_specs_values_have_nothing_to_try(mm: Metamodel) -> None:
    found = search(mm, parse_cim(mutated("omar", "name", "Jonas Weber")))
    assert found.trials == 0 and found.notes == []
    assert [i.code for i in _errors(found.issues)] == ["invariant"]


def test_repeated_ids_are_left_alone(mm: Metamodel) -> None:
    data = mutated("jonas", "age", 150)
    data["objects"].append(dict(data["objects"][4]))  # jonas twice
    found = search(mm, parse_cim(data))
    assert found.trials == 0 and found.notes == []


def _crowd(patients: int, constraint: str) -> tuple[Metamodel, Cim]:
    """A clinic of `patients` patients with an extra invariant on Patient."""
    mm = load_metamodel([ECORE], {"extra.ocl": f"context Patient inv {constraint}"})
    ids = [f"p{k}" for k in range(patients)]
    objects = [
        {"id": "c", "class": "Clinic", "attributes": {"name": "C"}, "references": {"patients": ids}}
    ] + [{"id": p, "class": "Patient", "attributes": {"name": f"P {p}", "age": 40}} for p in ids]
    return mm, parse_cim({"objects": objects})


def test_trial_bound_holds_on_an_invariant_no_value_meets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every patient breaks it and each has five values to try: far more trials than allowed."""
    monkeypatch.setattr(search_mod, "MAX_SECONDS", 600.0)  # only the trial bound may stop it
    mm, cim = _crowd(100, "Never: self.age < 0 and self.age > 0")
    found = search(mm, cim)
    assert found.trials == search_mod.MAX_TRIALS and found.notes == []
    assert len(_errors(found.issues)) == 100


def test_time_bound_holds_on_a_large_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search_mod, "MAX_SECONDS", 0.0)
    mm, cim = _crowd(500, "Never: self.age < 0 and self.age > 0")
    found = search(mm, cim)
    assert found.trials == 0 and len(_errors(found.issues)) == 500


def test_false_has_nothing_to_try(mm: Metamodel) -> None:
    mm, cim = _crowd(1000, "Never: false")
    found = search(mm, cim)
    assert found.trials == 0 and len(_errors(found.issues)) == 1000


def test_a_value_of_the_wrong_shape_is_no_obstacle(mm: Metamodel) -> None:
    """A list where one name belongs makes the uniqueness rule invalid: the spec's unused
    name mends both findings, and the other invariant is still mended."""
    data = mutated("jonas", "age", 150)
    next(o for o in data["objects"] if o["id"] == "omar")["attributes"]["name"] = ["O", "H"]
    broken = parse_cim(data)
    issues = validate(mm, broken, realism="off")
    assert sorted(i.code for i in issues) == ["bad-value", "invariant", "invariant"]
    found = search(mm, broken, offered=_spec_offers(mm))
    assert _changes(broken, found.cim) == {("omar", "name"): "Omar Haddad", ("jonas", "age"): 54}
    assert found.notes[0].message.startswith('Changed omar.name from ["O", "H"] to "Omar Haddad"')
    assert _errors(found.issues) == []
