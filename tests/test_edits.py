"""`apply_edits`: every operation, opposite ends, cascading deletes, refusals as issues."""

from __future__ import annotations

from typing import Any

import pytest

from instancegen import load_metamodel, parse_cim, validate
from instancegen.service.core.cim import Cim
from instancegen.service.core.edits import apply_edits
from instancegen.service.core.metamodel import Metamodel

E = "http://www.eclipse.org/emf/2002/Ecore#//"

ORG_ECORE = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="org"
    nsURI="http://example.org/org" nsPrefix="org">
  <eClassifiers xsi:type="ecore:EClass" name="Named" abstract="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" lowerBound="1"
        eType="ecore:EDataType {E}EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Company" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EReference" name="departments" upperBound="-1"
        eType="#//Department" containment="true" eOpposite="#//Department/company"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="desks" upperBound="-1"
        eType="#//Desk" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="ceo" eType="#//Employee"
        containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Department" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EReference" name="company" eType="#//Company"
        eOpposite="#//Company/departments"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="staff" upperBound="-1"
        eType="#//Employee" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="sub" upperBound="-1"
        eType="#//Department" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Employee" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="skills" upperBound="-1"
        eType="ecore:EDataType {E}EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="manager" eType="#//Employee"
        eOpposite="#//Employee/reports"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="reports" upperBound="-1"
        eType="#//Employee" eOpposite="#//Employee/manager"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="desk" eType="#//Desk"
        eOpposite="#//Desk/user"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Desk">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="number"
        eType="ecore:EDataType {E}EInt"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="user" eType="#//Employee"
        eOpposite="#//Employee/desk"/>
  </eClassifiers>
</ecore:EPackage>
"""


def _o(
    oid: str, cls: str, attrs: dict[str, Any] | None = None, **refs: list[str]
) -> dict[str, Any]:
    return {"id": oid, "class": cls, "attributes": attrs or {}, "references": refs}


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel({"org.ecore": ORG_ECORE})


@pytest.fixture
def cim() -> Cim:
    return parse_cim(
        {
            "objects": [
                _o(
                    "acme",
                    "Company",
                    {"name": "Acme"},
                    departments=["rd", "ops"],
                    desks=["d1", "d2"],
                ),
                _o("rd", "Department", {"name": "R&D"}, staff=["ann", "bob"], sub=["lab"]),
                _o("ops", "Department", {"name": "Ops"}, staff=["cat"]),
                _o("lab", "Department", {"name": "Lab"}, staff=["dan"]),
                _o("ann", "Employee", {"name": "Ann", "skills": ["go"]}, reports=["bob", "dan"]),
                _o("bob", "Employee", {"name": "Bob"}, manager=["ann"], desk=["d1"]),
                _o("cat", "Employee", {"name": "Cat"}),
                _o("dan", "Employee", {"name": "Dan"}, manager=["ann"]),
                _o("d1", "Desk", {"number": 1}, user=["bob"]),
                _o("d2", "Desk", {"number": 2}),
            ]
        }
    )


def _refs(cim: Cim, oid: str) -> dict[str, list[str]]:
    return next(o.references for o in cim.objects if o.id == oid)


def _attrs(cim: Cim, oid: str) -> dict[str, Any]:
    return next(o.attributes for o in cim.objects if o.id == oid)


def _ids(cim: Cim) -> list[str]:
    return [o.id for o in cim.objects]


def test_the_fixture_is_valid(mm: Metamodel, cim: Cim) -> None:
    assert validate(mm, cim) == []


# --- add ------------------------------------------------------------------------------------


def test_add_into_a_container_appends_it_last(mm: Metamodel, cim: Cim) -> None:
    edits = [
        {
            "op": "add",
            "object": _o("eve", "Employee", {"name": "Eve"}),
            "container": ["ops", "staff"],
        }
    ]
    out = apply_edits(cim, edits, mm)
    assert out.issues == []
    assert _refs(out.cim, "ops")["staff"] == ["cat", "eve"]
    assert _ids(out.cim)[-1] == "eve"
    assert validate(mm, out.cim) == []


def test_add_without_container_is_a_new_root(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "add", "object": _o("x", "Company", {"name": "X"})}], mm)
    assert out.issues == []
    assert _attrs(out.cim, "x") == {"name": "X"}
    assert not any("x" in t for o in out.cim.objects for t in o.references.values())


def test_add_links_opposite_ends_given_on_the_other_side(mm: Metamodel, cim: Cim) -> None:
    edits = [
        {
            "op": "add",
            "object": _o("eve", "Employee", {"name": "Eve"}, manager=["ann"]),
            "container": ["rd", "staff"],
        }
    ]
    out = apply_edits(cim, edits, mm)
    assert _refs(out.cim, "ann")["reports"] == ["bob", "dan", "eve"]
    assert validate(mm, out.cim) == []


def test_add_of_a_department_sets_nothing_on_an_implied_end(mm: Metamodel, cim: Cim) -> None:
    """Department.company is left out everywhere: implied by Company.departments."""
    edits = [
        {
            "op": "add",
            "object": _o("hr", "Department", {"name": "HR"}),
            "container": ["acme", "departments"],
        }
    ]
    out = apply_edits(cim, edits, mm)
    assert _refs(out.cim, "acme")["departments"] == ["rd", "ops", "hr"]
    assert "company" not in _refs(out.cim, "hr")
    assert validate(mm, out.cim) == []


# --- set ------------------------------------------------------------------------------------


def test_set_attribute_and_unset_with_null(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(
        cim,
        [
            {"op": "set", "id": "ann", "feature": "name", "value": "Annette"},
            {"op": "set", "id": "ann", "feature": "skills", "value": None},
            {"op": "set", "id": "d2", "feature": "number", "value": 7},
        ],
        mm,
    )
    assert out.issues == []
    assert _attrs(out.cim, "ann") == {"name": "Annette"}
    assert _attrs(out.cim, "d2") == {"number": 7}


def test_set_leaves_the_input_and_untouched_objects_alone(mm: Metamodel, cim: Cim) -> None:
    before = cim.model_dump()
    out = apply_edits(cim, [{"op": "set", "id": "ann", "feature": "name", "value": "A"}], mm)
    assert cim.model_dump() == before
    changed = [a for a, b in zip(out.cim.objects, cim.objects, strict=True) if a != b]
    assert [o.id for o in changed] == ["ann"]
    untouched = [a is b for a, b in zip(out.cim.objects, cim.objects, strict=True)]
    assert untouched.count(False) == 1  # nothing else was even copied


def test_set_scalar_on_many_valued_attribute_is_normalised(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "set", "id": "cat", "feature": "skills", "value": "rust"}], mm)
    assert _attrs(out.cim, "cat")["skills"] == ["rust"]
    assert [(i.code, i.severity) for i in out.issues] == [("normalised", "warning")]


def test_set_many_valued_reference_keeps_opposite_ends(mm: Metamodel, cim: Cim) -> None:
    """ann.reports loses dan and gains cat: dan.manager goes, cat.manager is implied."""
    out = apply_edits(
        cim, [{"op": "set", "id": "ann", "feature": "reports", "value": ["bob", "cat"]}], mm
    )
    assert _refs(out.cim, "ann")["reports"] == ["bob", "cat"]
    assert "manager" not in _refs(out.cim, "dan")
    assert _refs(out.cim, "bob")["manager"] == ["ann"]
    assert validate(mm, out.cim) == []


def test_set_single_valued_end_lets_go_of_the_old_partner(mm: Metamodel, cim: Cim) -> None:
    """cat takes desk d1: bob (its old user) loses it on both sides, d1.user becomes cat."""
    out = apply_edits(cim, [{"op": "set", "id": "cat", "feature": "desk", "value": ["d1"]}], mm)
    assert out.issues == []
    assert _refs(out.cim, "cat")["desk"] == ["d1"]
    assert "desk" not in _refs(out.cim, "bob")
    assert _refs(out.cim, "d1")["user"] == ["cat"]
    assert validate(mm, out.cim) == []


def test_set_manager_moves_between_report_lists(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "set", "id": "bob", "feature": "manager", "value": ["cat"]}], mm)
    assert _refs(out.cim, "ann")["reports"] == ["dan"]
    assert _refs(out.cim, "bob")["manager"] == ["cat"]
    assert validate(mm, out.cim) == []


def test_set_empty_reference_unlinks_both_ends(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "set", "id": "d1", "feature": "user", "value": []}], mm)
    assert "user" not in _refs(out.cim, "d1")
    assert "desk" not in _refs(out.cim, "bob")


def test_set_containment_moves_the_child_out_of_its_old_container(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(
        cim, [{"op": "set", "id": "ops", "feature": "staff", "value": ["cat", "bob"]}], mm
    )
    assert out.issues == []
    assert _refs(out.cim, "rd")["staff"] == ["ann"]
    assert _refs(out.cim, "ops")["staff"] == ["cat", "bob"]
    assert validate(mm, out.cim) == []


def test_set_lone_id_on_reference_is_normalised(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "set", "id": "d2", "feature": "user", "value": "cat"}], mm)
    assert _refs(out.cim, "d2")["user"] == ["cat"]
    assert out.issues[0].code == "normalised"


# --- delete ---------------------------------------------------------------------------------


def test_delete_cascades_to_contents_and_removes_references(mm: Metamodel, cim: Cim) -> None:
    """rd contains ann, bob and lab (which contains dan): all go, and every reference to them."""
    out = apply_edits(cim, [{"op": "delete", "id": "rd"}], mm)
    assert out.issues == []
    assert _ids(out.cim) == ["acme", "ops", "cat", "d1", "d2"]
    assert _refs(out.cim, "acme")["departments"] == ["ops"]
    assert "user" not in _refs(out.cim, "d1")
    assert validate(mm, out.cim) == []


def test_delete_a_leaf_removes_it_from_opposite_lists(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(cim, [{"op": "delete", "id": "bob"}], mm)
    assert _refs(out.cim, "ann")["reports"] == ["dan"]
    assert _refs(out.cim, "rd")["staff"] == ["ann"]
    assert "user" not in _refs(out.cim, "d1")
    assert validate(mm, out.cim) == []


def test_edits_apply_in_order(mm: Metamodel, cim: Cim) -> None:
    edits = [
        {"op": "add", "object": _o("d3", "Desk", {"number": 3}), "container": ["acme", "desks"]},
        {"op": "set", "id": "cat", "feature": "desk", "value": ["d3"]},
        {"op": "delete", "id": "d3"},
    ]
    out = apply_edits(cim, edits, mm)
    assert out.issues == []
    assert "desk" not in _refs(out.cim, "cat")
    assert _refs(out.cim, "acme")["desks"] == ["d1", "d2"]


# --- refusals -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        ({"op": "delete", "id": "nobody"}, "unknown-object"),
        ({"op": "set", "id": "nobody", "feature": "name", "value": "x"}, "unknown-object"),
        ({"op": "set", "id": "ann", "feature": "salary", "value": 3}, "unknown-feature"),
        ({"op": "set", "id": "ann", "feature": "name", "value": ["a", "b"]}, "bad-value"),
        ({"op": "set", "id": "ann", "feature": "reports", "value": [1]}, "bad-value"),
        (
            {"op": "set", "id": "ann", "feature": "reports", "value": ["ghost"]},
            "dangling-reference",
        ),
        ({"op": "set", "id": "ann", "feature": "desk", "value": ["d1", "d2"]}, "multiplicity"),
        ({"op": "set", "id": "ann", "feature": "desk", "value": ["bob"]}, "wrong-target-type"),
        ({"op": "set", "id": "ann", "feature": "reports", "value": ["bob", "bob"]}, "not-unique"),
        ({"op": "set", "id": "lab", "feature": "sub", "value": ["rd"]}, "containment-cycle"),
        ({"op": "add", "object": _o("ann", "Employee", {"name": "A"})}, "duplicate-id"),
        ({"op": "add", "object": _o("z", "Robot")}, "unknown-class"),
        ({"op": "add", "object": _o("z", "Named")}, "abstract-class"),
        ({"op": "add", "object": _o("z", "Desk", {"color": "red"})}, "unknown-feature"),
        (
            {"op": "add", "object": _o("z", "Desk"), "container": ["ghost", "desks"]},
            "unknown-object",
        ),
        (
            {"op": "add", "object": _o("z", "Desk"), "container": ["acme", "ceo"]},
            "wrong-target-type",
        ),
        ({"op": "add", "object": _o("z", "Desk"), "container": ["ann", "desk"]}, "not-containment"),
        ({"op": "add", "object": _o("z", "Desk", {}, user=["ghost"])}, "dangling-reference"),
    ],
)
def test_an_edit_that_cannot_apply_is_an_issue(
    mm: Metamodel, cim: Cim, edit: dict[str, Any], code: str
) -> None:
    out = apply_edits(cim, [edit], mm)
    assert [i.code for i in out.issues] == [code]
    assert out.issues[0].severity == "error"
    assert out.issues[0].message.startswith(f"edit 1 ({edit['op']}) not applied: ")
    assert out.cim == cim  # nothing changed


def test_single_valued_container_already_full_is_refused(mm: Metamodel, cim: Cim) -> None:
    first = {
        "op": "add",
        "object": _o("boss", "Employee", {"name": "B"}),
        "container": ["acme", "ceo"],
    }
    second = {
        "op": "add",
        "object": _o("boss2", "Employee", {"name": "C"}),
        "container": ["acme", "ceo"],
    }
    out = apply_edits(cim, [first, second], mm)
    assert [i.code for i in out.issues] == ["multiplicity"]
    assert out.issues[0].message.startswith("edit 2 (add)")
    assert _refs(out.cim, "acme")["ceo"] == ["boss"]


def test_a_refused_edit_does_not_stop_the_next_ones(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(
        cim,
        [
            {"op": "delete", "id": "ghost"},
            {"op": "set", "id": "cat", "feature": "name", "value": "Kat"},
        ],
        mm,
    )
    assert [i.code for i in out.issues] == ["unknown-object"]
    assert _attrs(out.cim, "cat")["name"] == "Kat"


def test_external_uri_targets_are_kept(mm: Metamodel, cim: Cim) -> None:
    out = apply_edits(
        cim, [{"op": "set", "id": "cat", "feature": "desk", "value": ["other.xmi#//@desks.0"]}], mm
    )
    assert out.issues == []
    assert _refs(out.cim, "cat")["desk"] == ["other.xmi#//@desks.0"]
