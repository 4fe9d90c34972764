"""Values and counts read from a spec (`two_phase.spec_facts`) and the phase-1 schemas built on
them: a small model chooses among the spec's values instead of spelling its own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from spec_rule_corpus import ECORE as FERRY

from instancegen import generate
from instancegen.service.backends.local import LocalBackend
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.schema import model_schema
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects, objects_model
from instancegen.service.generation.two_phase.spec_facts import SpecFacts, mentions, read_facts

# A metamodel of no bundled case: a depot with bays and staff.
ECORE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="depot" nsURI="http://t/depot"
    nsPrefix="depot">
  <eClassifiers xsi:type="ecore:EClass" name="Depot">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" lowerBound="1"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="bays" upperBound="-1"
        eType="#//Bay" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="staff" upperBound="-1"
        eType="#//Clerk" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Bay">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="code" iD="true"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="maxLoadKg"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDouble"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="zone" eType="#//Zone"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Clerk">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="badgeNumber"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="skills" upperBound="-1"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="hiredOn"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDate"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Zone">
    <eLiterals name="COLD"/>
    <eLiterals name="DRY" value="1"/>
  </eClassifiers>
</ecore:EPackage>
"""
SPEC = (
    'The depot "North Yard" has three bays and two clerks. '
    "Bay B-10 is cold and takes a max load of 1200.5 kg; bay B-11 is dry with a max load of "
    "800 kg; bay B-12 is dry with a max load of 650 kg. "
    "Clerk Ana Lopez (badge number 17) was hired on 3 March 2021 at 09:30, and the two clerks "
    "share the early shift with Omar Haddad (badge number 23, hired 2022-01-10). "
    "There are no trucks."
)


@pytest.fixture(scope="module")
def depot() -> Metamodel:
    return load_metamodel({"depot.ecore": ECORE})


@pytest.fixture(scope="module")
def facts(depot: Metamodel) -> SpecFacts:
    return read_facts(depot, SPEC)


def test_counts_of_classes_and_of_containment_references(facts: SpecFacts) -> None:
    # "the two clerks" refers back to the count already given: not four clerks.
    assert facts.counts == {"Bay": 3, "Clerk": 2}


def test_values_keep_quotes_names_codes_numbers_and_dates(facts: SpecFacts) -> None:
    assert facts.strings == ("North Yard", "B-10", "B-11", "B-12", "Ana Lopez", "Omar Haddad")
    assert 1200.5 in facts.numbers and 17.0 in facts.numbers
    assert 2021.0 not in facts.numbers  # a date's numbers are the date's
    assert facts.dates == ("2021-03-03T09:30:00", "2022-01-10T00:00:00")


def test_values_attach_to_feature_and_class_names(facts: SpecFacts) -> None:
    attached = {k: [m.value for m in v] for k, v in facts.by_feature.items()}
    assert attached["badgeNumber"] == [17.0, 23.0]
    assert attached["maxLoadKg"] == [1200.5, 800.0, 650.0]
    assert [m.value for m in facts.by_class["Bay"]] == ["B-10", "B-11", "B-12"]
    # `name` belongs to two classes: what is attached to it decides nothing on its own.
    assert "name" in facts.shared
    # A clerk's name: what is attached to "clerk" first, then any value attached to nothing
    # else ("North Yard" is the depot's, "B-10" a bay's).
    clerk = facts.choices("Clerk", "name", "string", naming=True)
    assert clerk == ("Ana Lopez", "Omar Haddad")


def test_the_metamodels_own_words_are_no_values(depot: Metamodel) -> None:
    found = read_facts(depot, 'Bay B-7 is the only bay. The Depot "Bay Ten" is cold.')
    assert "B-7" in found.strings and "Bay Ten" in found.strings  # quoted text as written
    assert not {"Bay", "Depot", "COLD"} & set(found.strings)


def _schema(depot: Metamodel, facts: SpecFacts) -> dict[str, Any]:
    return model_schema(objects_model(depot, 12, facts=facts))


def test_a_stated_count_fixes_the_entries_and_pins_attached_values(
    depot: Metamodel, facts: SpecFacts
) -> None:
    model = objects_model(depot, 12, facts=facts)
    loads = (1200.5, 800.0, 650.0)
    zones = ("COLD", "DRY", "DRY")  # said of each bay, so written (required)
    bays = [
        {
            "id": c.lower().replace("-", "_"),
            "attributes": {"code": c, "maxLoadKg": w, "zone": z},
        }
        for c, w, z in zip(("B-10", "B-11", "B-12"), loads, zones, strict=True)
    ]
    clerks = [
        {"id": "ana_lopez", "attributes": {"name": "Ana Lopez", "badgeNumber": 17}},
        {"id": "omar_haddad", "attributes": {"name": "Omar Haddad", "badgeNumber": 23}},
    ]
    clerks[0]["attributes"]["hiredOn"] = "2021-03-03T09:30:00"
    clerks[1]["attributes"]["hiredOn"] = "2022-01-10T00:00:00"
    answer = {"Depot": [{"id": "north_yard", "attributes": {"name": "North Yard"}}]}
    cim = model.model_validate({**answer, "Bay": bays, "Clerk": clerks}).to_cim()
    # the id of an entry whose name is decided is that name's id
    ids = [o.id for o in cim.objects]
    assert ids == ["north_yard", "b_10", "b_11", "b_12", "ana_lopez", "omar_haddad"]
    assert [o.attributes["code"] for o in cim.objects if o.class_ == "Bay"] == [
        "B-10",
        "B-11",
        "B-12",
    ]
    for wrong in (
        {"Bay": bays[:2], "Clerk": clerks},  # two bays where the spec says three
        {"Bay": [bays[1], bays[0], bays[2]], "Clerk": clerks},  # the k-th bay is B-1k
        {"Bay": bays, "Clerk": [clerks[0], {**clerks[1], "attributes": {"name": "X"}}]},
        {"Bay": bays, "Clerk": [clerks[1], clerks[0]]},  # in the spec's order
    ):
        with pytest.raises(ValidationError):
            model.model_validate({**answer, **wrong})
    free = {**clerks[1], "attributes": {**clerks[1]["attributes"], "name": "Zed"}}
    with pytest.raises(ValidationError):  # a name the spec does not state
        model.model_validate({**answer, "Bay": bays, "Clerk": [clerks[0], free]})
    text = json.dumps(_schema(depot, facts))
    assert '"North Yard"' in text and '"2021-03-03T09:30:00"' in text


def test_without_grounding_or_unbounded_the_schema_stays_free(
    depot: Metamodel, facts: SpecFacts
) -> None:
    assert '"B-10"' not in json.dumps(model_schema(objects_model(depot, 12)))
    free = objects_model(depot, None, bounded=False, facts=facts)
    assert '"B-10"' not in json.dumps(model_schema(free))


@pytest.mark.usefixtures("local_model")
def test_the_local_model_writes_only_what_the_spec_states(depot: Metamodel) -> None:
    result = generate(depot, SPEC, backend=LocalBackend(), max_repairs=0)
    assert result.cim is not None
    by_class: dict[str, list[dict[str, Any]]] = {}
    for obj in result.cim.objects:
        by_class.setdefault(obj.class_, []).append(obj.attributes)
    assert len(by_class.get("Bay", [])) == 3
    assert len(by_class.get("Clerk", [])) == 2
    assert [a.get("code") for a in by_class["Bay"]] == ["B-10", "B-11", "B-12"]
    stated = {*read_facts(depot, SPEC).strings, *read_facts(depot, SPEC).dates, "COLD", "DRY"}
    written = {
        v for attrs in (a for objs in by_class.values() for a in objs) for v in attrs.values()
    }
    assert {v for v in written if isinstance(v, str)} <= stated


def test_links_are_offered_among_the_objects_a_sentence_names_together() -> None:
    spec = (
        "Dr. Ana Lopez sees Omar Haddad in visit V-1; Dr. Ben Cole sees Ana Smith in visit V-2. "
        "Ana Lopez and Ben Cole both work at the North Yard depot."
    )
    named = mentions(
        spec,
        {"v1": ["V-1"], "v2": ["V-2"], "lopez": ["Ana Lopez"], "cole": ["Ben Cole"]}
        | {"omar": ["Omar Haddad"], "smith": ["Ana Smith"], "depot": ["North Yard"]},
    )
    # "Dr." ends no sentence; the `;` clause does.
    assert named.together("v1", ["lopez", "cole", "omar", "smith"]) == ("lopez", "omar")
    assert named.together("v2", ["lopez", "cole", "omar", "smith"]) == ("cole", "smith")
    # "Ana" is shared by two objects, so it names neither; "Haddad" names only Omar.
    assert named.together("depot", ["lopez", "cole", "smith"]) == ("lopez", "cole")
    assert named.together("nobody", ["lopez"]) == ()


def test_phase_two_offers_the_co_mentioned_targets_when_enough(depot: Metamodel) -> None:
    objects = [
        CimObject(id="d", class_="Depot", attributes={"name": "North Yard"}),
        CimObject(id="b1", class_="Bay", attributes={"code": "B-10"}),
        CimObject(id="b2", class_="Bay", attributes={"code": "B-11"}),
    ]
    spec = 'Bay B-10 and bay B-11 belong to the depot "North Yard".'
    plan = plan_links(depot, objects, read_facts(depot, spec))
    assert {e.obj.id: list(e.containers) for e in plan.entries} == {
        "d": [],
        "b1": ["d"],
        "b2": ["d"],
    }


def test_a_value_chosen_twice_for_a_unique_list_is_kept_once(depot: Metamodel) -> None:
    notes: list[Issue] = []
    clerk = CimObject(
        id="ana", class_="Clerk", attributes={"skills": ["forklift", "forklift", "first aid"]}
    )
    (kept,) = declared_objects(depot, Cim(objects=[clerk]), notes)
    assert kept.attributes["skills"] == ["forklift", "first aid"]
    assert [(i.code, i.object, i.feature) for i in notes] == [("normalised", "ana", "skills")]


def test_counts_read_number_words_and_ordinals_undo_a_partial_count(depot: Metamodel) -> None:
    spec = (
        "The depot has thirteen bays. One clerk opens the gate at six; a second clerk, "
        "Dr. Ana Lopez, does a 20-minute round."
    )
    found = read_facts(depot, spec)
    # "a second clerk" shows "one clerk" was no total: the clerks are left uncounted.
    assert found.counts == {"Bay": 13}
    # A title and a measure are no names or codes.
    assert [m.value for m in found.mentions if m.kind == "string"] == ["Ana Lopez"]


def test_a_class_name_behind_a_preposition_brings_in_another_object() -> None:
    suite = Path(__file__).resolve().parents[1] / "metamodels" / "suite"
    bank = load_metamodel(sorted((suite / "bank-basic").glob("*.ecore")))
    spec = (
        "Ann Lee (email ann@x.org) is the sole owner of the savings account DE09, which has a "
        "balance of 50. The bank allows at most 3 accounts per client."
    )
    found = read_facts(bank, spec)
    # The account's IBAN and balance are said of the account, not of Ann.
    assert found.described["Ann Lee"] == {"Person"}
    said = " ".join(text for text, _ in found.segment("Ann Lee", []))
    assert "email" in said and "balance" not in said
    # A bound between ("at most 3 accounts") brings in no object.
    assert not any(spec.index("at most") <= b < spec.index("accounts") for b in found.breaks)


def test_a_reference_said_before_a_name_points_at_its_target_class() -> None:
    suite = Path(__file__).resolve().parents[1] / "metamodels" / "suite"
    org = load_metamodel(sorted((suite / "orgchart-startup").glob("*.ecore")))
    found = read_facts(org, "The department Design (code DSG) is headed by Ana Ruiz.")
    # "headed by" is a department's head: Ana is the employee it points at.
    assert found.described["Ana Ruiz"] == {"Employee"}
    library = load_metamodel(sorted((suite / "library-small").glob("*.ecore")))
    found = read_facts(library, "The library holds The Waves, a book by Ada Park (born 1901).")
    # "books" names books: the name after it is no book.
    assert "Book" not in found.described.get("Ada Park", frozenset())


def test_one_free_string_named_as_one_class_is_offered_to_that_class_alone() -> None:
    """A loose spec states one name and speaks of other classes in a list after "with":
    the name is the one object's, and no other class's strings are pinned to it (else every
    object of every class would repeat it)."""
    mm = load_metamodel({"ferry.ecore": FERRY})
    spec = "A small line in Bergen with a few docks, pilots and ports."
    schema = model_schema(objects_model(mm, 3, facts=read_facts(mm, spec)))
    holding = {
        name for name, definition in schema["$defs"].items() if '"Bergen"' in json.dumps(definition)
    }
    assert holding and all(name.startswith("Line") for name in holding), holding
