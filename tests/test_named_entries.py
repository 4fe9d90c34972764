"""Objects the spec names (`two_phase.spec_facts`, `two_phase.objects_schema`): codes shaped alike
belong to one feature, listed values all attach, the words around a name say whose it is, and
a class the spec does not count gets one phase-1 entry per name, its id and values following
from the name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from instancegen.service.backends import capabilities
from instancegen.service.core.cim import CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.schema import model_schema
from instancegen.service.generation.two_phase.links_schema import plan_links
from instancegen.service.generation.two_phase.objects_schema import (
    _allotment,
    _entry_tokens,
    objects_model,
    phase_classes,
)
from instancegen.service.generation.two_phase.spec_facts import SpecFacts, read_facts
from instancegen.service.generation.two_phase.strategy import TwoPhase

# A metamodel of no bundled case: a workshop with teams, members and freelancers.
ECORE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="works" nsURI="http://t/works"
    nsPrefix="works">
  <eClassifiers xsi:type="ecore:EClass" name="Workshop">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="city"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="teams" upperBound="-1"
        eType="#//Team" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="members" upperBound="-1"
        eType="#//Member" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Team">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="code"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Member">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="memberNo"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="level" eType="#//Level"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tools" upperBound="-1"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="joined"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDate"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="team" eType="#//Team"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Freelancer" eSuperTypes="#//Member">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="firm"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Level">
    <eLiterals name="JUNIOR"/>
    <eLiterals name="SENIOR" value="1"/>
  </eClassifiers>
</ecore:EPackage>
"""
SPEC = (
    "Harbour Works, based in the city of Leeds, has two teams: Joinery (code JN) and Metal "
    "(code MT). Ivy Stone (member no M-01, level senior, joined 2 May 2019) works in Joinery. "
    "Ben Cole (M-02, level junior, tools Torch and Grinder) works in Metal. "
    "Kai Long is a freelancer from the firm Steelworks."
)


@pytest.fixture(scope="module")
def works() -> Metamodel:
    return load_metamodel({"works.ecore": ECORE})


@pytest.fixture(scope="module")
def facts(works: Metamodel) -> SpecFacts:
    return read_facts(works, SPEC)


def values(found: dict[str, Any]) -> dict[str, list[Any]]:
    return {k: [m.value for m in ms] for k, ms in found.items()}


def test_a_subclass_shares_no_feature_with_its_superclass(facts: SpecFacts) -> None:
    # "name" is a workshop's, a team's and a member's: a value next to it says not whose.
    # A freelancer is a member: "tools" and "level" stay the member's own.
    assert facts.shared == frozenset({"name"})


def test_listed_values_attach_and_codes_alike_follow(facts: SpecFacts) -> None:
    by_feature = values(facts.by_feature)
    assert by_feature["tools"] == ["Torch", "Grinder"]  # "tools Torch and Grinder"
    assert by_feature["memberNo"] == ["M-01", "M-02"]  # M-02 is shaped like "member no M-01"
    assert by_feature["code"] == ["JN", "MT"]


def test_the_words_around_a_name_say_its_class(facts: SpecFacts) -> None:
    described = facts.described
    assert described["Ivy Stone"] == {"Member"} and described["Ben Cole"] == {"Member"}
    assert described["Kai Long"] == {"Freelancer"}  # "is a freelancer from the firm ..."
    assert described["Joinery"] == {"Team"} and described["Metal"] == {"Team"}
    assert facts.names("Freelancer", ["Ivy Stone", "Kai Long"]) == ("Kai Long",)


def entry_schemas(schema: dict[str, Any], key: str) -> list[dict[str, Any]]:
    defs = schema["$defs"]
    items = schema["properties"][key]["items"]
    refs = [v["$ref"] for v in items["anyOf"]] if "anyOf" in items else [items["$ref"]]
    return [defs[r.rsplit("/", 1)[1]] for r in refs]


def counted_entries(schema: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The entries of a counted class, one per stated object, in order."""
    items = schema["properties"][key]["prefixItems"]
    return [schema["$defs"][t["$ref"].rsplit("/", 1)[1]] for t in items]


def attributes_of(schema: dict[str, Any], entry: dict[str, Any]) -> dict[str, Any]:
    ref = entry["properties"]["attributes"]["$ref"].rsplit("/", 1)[1]
    return schema["$defs"][ref]


def test_an_uncounted_class_gets_an_entry_per_name(works: Metamodel, facts: SpecFacts) -> None:
    schema = model_schema(objects_model(works, facts=facts))
    members = entry_schemas(schema, "Member")
    by_id = {m["properties"]["id"]["const"]: attributes_of(schema, m) for m in members}
    assert {"ivy_stone", "ben_cole"} <= set(by_id) and "kai_long" not in by_id
    assert "joinery" not in by_id  # a team's name, by the words around it
    ivy, ben = by_id["ivy_stone"], by_id["ben_cole"]
    # What the spec says around a name is that entry's, and is written, not skipped.
    assert ivy["properties"]["memberNo"]["const"] == "M-01"
    assert ivy["properties"]["level"]["const"] == "SENIOR"
    assert ivy["properties"]["joined"]["const"] == "2019-05-02T00:00:00"
    assert {"name", "memberNo", "level", "joined"} <= set(ivy["required"])
    # What it says nowhere near a name is not offered: it would be another object's.
    assert "tools" not in ivy["properties"] and "joined" not in ben["properties"]
    assert ben["properties"]["memberNo"]["const"] == "M-02"
    assert ben["properties"]["tools"]["items"]["enum"] == ["Torch", "Grinder"]
    assert ben["properties"]["tools"]["minItems"] == 1
    (kai,) = entry_schemas(schema, "Freelancer")
    # Kai is named as a freelancer, so there is one; more entries than names would repeat one.
    freelancers = schema["properties"]["Freelancer"]
    assert (freelancers["minItems"], freelancers["maxItems"]) == (1, 1)
    # Ivy and Ben are named as members alone: both exist, so a small model cannot stop early.
    assert schema["properties"]["Member"]["minItems"] == 2
    assert attributes_of(schema, kai)["properties"]["firm"]["const"] == "Steelworks"
    # Counted teams: a name before its parenthesis is the nearest ("Joinery (code JN)").
    names = [attributes_of(schema, t) for t in counted_entries(schema, "Team")]
    assert [n["properties"]["name"]["const"] for n in names] == ["Joinery", "Metal"]


def test_an_entry_holds_its_names_values(works: Metamodel, facts: SpecFacts) -> None:
    model = objects_model(works, facts=facts)
    good = {
        "Workshop": [
            {"id": "harbour_works", "attributes": {"name": "Harbour Works", "city": "Leeds"}}
        ],
        "Team": [
            {"id": "jn", "attributes": {"name": "Joinery", "code": "JN"}},
            {"id": "mt", "attributes": {"name": "Metal", "code": "MT"}},
        ],
        "Member": [
            {
                "id": "ivy_stone",
                "attributes": {
                    "name": "Ivy Stone",
                    "memberNo": "M-01",
                    "level": "SENIOR",
                    "joined": "2019-05-02T00:00:00",
                },
            },
            {
                "id": "ben_cole",
                "attributes": {
                    "name": "Ben Cole",
                    "memberNo": "M-02",
                    "level": "JUNIOR",
                    "tools": ["Torch"],
                },
            },
        ],
        "Freelancer": [
            {"id": "kai_long", "attributes": {"name": "Kai Long", "firm": "Steelworks"}}
        ],
    }
    cim = model.model_validate(good).to_cim()
    assert [o.id for o in cim.objects if o.class_ == "Member"] == ["ivy_stone", "ben_cole"]
    wrong = json.loads(json.dumps(good))
    wrong["Member"][1]["attributes"]["memberNo"] = "M-01"  # Ivy's number on Ben
    with pytest.raises(ValidationError):
        model.model_validate(wrong)


def test_without_names_the_entries_stay_free(works: Metamodel) -> None:
    plain = read_facts(works, "A workshop has two teams and three members.")
    schema = model_schema(objects_model(works, facts=plain))
    members = schema["properties"]["Member"]
    assert members["minItems"] == 3
    # Each counted entry has an id of its own, so three alike entries stay three objects;
    # what they hold is free.
    entries = counted_entries(schema, "Member")
    assert [e["properties"]["id"]["const"] for e in entries] == [
        "member_1",
        "member_2",
        "member_3",
    ]
    assert "const" not in attributes_of(schema, entries[0])["properties"]["name"]


def test_names_a_counted_class_needs_are_not_offered_elsewhere(facts: SpecFacts) -> None:
    # "two teams: Joinery ... and Metal": both names are the teams'.
    assert facts.claimed == {"Joinery": "Team", "Metal": "Team"}
    assert facts.names("Member", ["Joinery", "Ivy Stone", "Metal"]) == ("Ivy Stone",)
    assert facts.names("Team", ["Joinery", "Ivy Stone", "Metal"], only=2) == (
        "Joinery",
        "Metal",
    )


def test_a_named_class_none_of_whose_names_the_spec_gives_gets_no_entry(
    works: Metamodel,
) -> None:
    spec = SPEC.replace(" Kai Long is a freelancer from the firm Steelworks.", "")
    schema = model_schema(objects_model(works, facts=read_facts(works, spec)))
    assert schema["properties"]["Freelancer"]["maxItems"] == 0  # every name is a member's
    assert schema["properties"]["Member"]["maxItems"] > 0


def test_counts_skip_the_other_ones_and_one_objects_none(works: Metamodel) -> None:
    spec = (
        "The workshop has two teams and the other two teams are closed. "
        "Ivy Stone, who mentors no members, works alone. There are no freelancers."
    )
    counts = read_facts(works, spec).counts
    assert counts.get("Team") == 2  # "the other two teams" refers back
    assert counts.get("Freelancer") == 0  # a statement about the model
    assert "Member" not in counts  # "who mentors no members" is Ivy's


FLOW = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="flow" nsURI="http://t/flow"
    nsPrefix="flow">
  <eClassifiers xsi:type="ecore:EClass" name="Flow">
    <eStructuralFeatures xsi:type="ecore:EReference" name="arcs" upperBound="-1"
        eType="#//Arc" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Arc" abstract="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="weight"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EInt"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="InhibitorArc" eSuperTypes="#//Arc"/>
  <eClassifiers xsi:type="ecore:EClass" name="NormalArc" eSuperTypes="#//Arc"/>
  <eClassifiers xsi:type="ecore:EClass" name="ResetArc" eSuperTypes="#//Arc"/>
</ecore:EPackage>
"""


def test_kinds_the_spec_never_speaks_of_get_no_entry() -> None:
    flow = load_metamodel({"flow.ecore": FLOW})
    only = read_facts(flow, "The flow has an inhibitor arc of weight 3.")
    assert only.absent == {"NormalArc", "ResetArc"}  # "inhibitor arc" is no arc in general
    schema = model_schema(objects_model(flow, facts=only))
    assert schema["properties"]["NormalArc"]["maxItems"] == 0
    assert schema["properties"]["InhibitorArc"]["maxItems"] > 0
    general = read_facts(flow, "The flow has four arcs; one is an inhibitor arc of weight 3.")
    assert general.absent == frozenset()  # "four arcs": of any kind


def test_what_precedes_a_name_past_a_comma_is_not_its(works: Metamodel) -> None:
    spec = "Ivy Stone (level senior) joined on 2 May 2019, Ben Cole (level junior) later."
    schema = model_schema(objects_model(works, facts=read_facts(works, spec)))
    by_id = {
        m["properties"]["id"]["const"]: attributes_of(schema, m)
        for m in entry_schemas(schema, "Member")
    }
    assert by_id["ivy_stone"]["properties"]["joined"]["const"] == "2019-05-02T00:00:00"
    assert "joined" not in by_id["ben_cole"]["properties"]  # Ivy's date, before the comma


def test_kinds_of_a_mere_base_class_are_no_siblings() -> None:
    # Bank and Person both extend NamedElement, which no reference holds: a spec about a
    # bank says nothing about whether persons exist.
    bank = load_metamodel([Path(__file__).resolve().parent.parent / "metamodels/bank/bank.ecore"])
    assert read_facts(bank, "A bank.").absent == frozenset()


def test_what_counted_objects_require_is_asked_for() -> None:
    # "two accounts", each owned by one person or more: a person must be declared.
    bank = load_metamodel([Path(__file__).resolve().parent.parent / "metamodels/bank/bank.ecore"])
    schema = model_schema(objects_model(bank, facts=read_facts(bank, "A bank with two accounts.")))
    assert schema["properties"]["Person"]["minItems"] == 1
    plain = model_schema(objects_model(bank, facts=read_facts(bank, "A bank with accounts.")))
    assert plain["properties"]["Person"]["minItems"] == 0


SCHEMA_OF_CASE = """
import glob, json, sys
from pathlib import Path
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation.two_phase.spec_facts import read_facts
from instancegen.service.generation.two_phase.objects_schema import objects_model
from instancegen.service.generation.schema import model_schema
case = Path(sys.argv[1])
mm = load_metamodel(sorted(glob.glob(str(case / "*.ecore"))))
facts = read_facts(mm, (case / "spec.txt").read_text())
print(json.dumps(model_schema(objects_model(mm, facts=facts)), sort_keys=True))
"""


def test_the_grounded_schema_does_not_depend_on_the_hash_seed() -> None:
    # A spec whose names start where other mentions start ("IP" and "IP 10.0.0.1"): set
    # order once decided their order, and with it the schema, run to run.
    root = Path(__file__).resolve().parent.parent
    case = root / "metamodels" / "suite" / "orgchart-company"
    schemas = {
        subprocess.run(
            [sys.executable, "-c", SCHEMA_OF_CASE, str(case)],
            env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(schemas) == 1 and '"Employee"' in next(iter(schemas))


def test_a_single_valued_reference_the_sentence_names_is_set(works: Metamodel) -> None:
    objects = [
        CimObject(id="jn", class_="Team", attributes={"name": "Joinery"}),
        CimObject(id="mt", class_="Team", attributes={"name": "Metal"}),
        CimObject(id="ivy", class_="Member", attributes={"name": "Ivy Stone"}),
        CimObject(id="kai", class_="Freelancer", attributes={"name": "Kai Long"}),
    ]
    plan = plan_links(works, objects, read_facts(works, SPEC))
    slots = {e.obj.id: e.slots[0] for e in plan.entries if e.slots}
    # "Ivy Stone ... works in Joinery": her team is that one, and it must be written.
    assert (slots["ivy"].candidates, slots["ivy"].least) == (("jn",), 1)
    # No sentence names Kai with a team: any team, or none.
    assert (slots["kai"].candidates, slots["kai"].least) == (("jn", "mt"), 0)
    schema = model_schema(plan.model())
    assert schema["$defs"]["Links0"]["properties"]["team"]["minItems"] == 1


# People whose names are kept in two parts, with two dates of one kind.
PEOPLE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="club" nsURI="http://t/club"
    nsPrefix="club">
  <eClassifiers xsi:type="ecore:EClass" name="Club">
    <eStructuralFeatures xsi:type="ecore:EReference" name="people" upperBound="-1"
        eType="#//Person" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Person">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="givenName"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="surname"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="joinedOn"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDate"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="leftOn"
        eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//EDate"/>
  </eClassifiers>
</ecore:EPackage>
"""


def test_a_whole_name_splits_into_its_parts_and_dates_take_their_turn() -> None:
    club = load_metamodel({"club.ecore": PEOPLE})
    spec = (
        "The club has two people: Mary Ann Clarke, a member from 4 May 2001 to 9 June 2010, "
        "and Tom Reed, a member since 1 March 2015."
    )
    schema = model_schema(objects_model(club, facts=read_facts(club, spec)))
    mary, tom = [attributes_of(schema, t)["properties"] for t in counted_entries(schema, "Person")]
    assert (mary["givenName"]["const"], mary["surname"]["const"]) == ("Mary Ann", "Clarke")
    assert (tom["givenName"]["const"], tom["surname"]["const"]) == ("Tom", "Reed")
    # No date is named for either attribute: the first said is the first declared one's,
    # and Tom, with one date, has no second.
    assert mary["joinedOn"]["const"] == "2001-05-04T00:00:00"
    assert mary["leftOn"]["const"] == "2010-06-09T00:00:00"
    assert tom["joinedOn"]["const"] == "2015-03-01T00:00:00" and "leftOn" not in tom


def test_room_left_by_classes_with_few_objects_goes_to_those_with_many(
    works: Metamodel,
) -> None:
    spec = (
        "The workshop Harbour Works has the members Ivy Stone (member no M-01), Ben Cole "
        "(M-02), Kai Long (M-03), Ada Moss (M-04) and Eli Park (M-05)."
    )
    found = read_facts(works, spec)
    room = _allotment(works, found, 2)
    # One workshop and no freelancer leave room: more than two of the five members fit.
    assert room["Member"] > 2 and room["Team"] == 2
    # Within the tokens two objects of every class would take, each class at what it needs.
    tokens = {c.key: _entry_tokens(c) for c in phase_classes(works)}
    used = {"Workshop": 1, "Freelancer": 0, "Team": 2, "Member": room["Member"]}
    assert sum(tokens[k] * n for k, n in used.items()) <= 2 * sum(tokens.values())


# Ten members, each by name and member number.
DENSE = "The workshop Harbour Works has the members " + ", ".join(
    f"{first} {last} (member no M-{k:02})"
    for k, (first, last) in enumerate(
        zip(
            ["Ivy", "Ben", "Kai", "Ada", "Eli", "Liv", "Tom", "Ray", "Una", "Zoe"],
            ["Stone", "Cole", "Long", "Moss", "Park", "Hart", "Reed", "Voss", "Lind", "Sand"],
            strict=True,
        ),
        start=1,
    )
)


def test_a_numbering_word_stays_in_a_feature_s_cue(works: Metamodel) -> None:
    # `memberNo` is said as "member no" or "member number", not as any "member(s)": the
    # name after "the members" is a member's, not a member number.
    found = read_facts(works, DENSE.replace("member no M-02", "member number M-02"))
    assert [m.value for m in found.by_feature["memberNo"]][:2] == ["M-01", "M-02"]
    assert found.described["Ivy Stone"] == frozenset({"Member"})


def test_a_value_said_after_as_names_no_object(works: Metamodel) -> None:
    # "as ..." is what Ben is or does there, not another member's name.
    spec = (
        "The members are Ivy Stone (member no M-01) and Ben Cole (M-02); "
        'Ben works as "Lead Welder" with level senior.'
    )
    found = read_facts(works, spec)
    assert found.described["Ben Cole"] == frozenset({"Member"})
    assert "Lead Welder" not in found.described


def test_phase_one_asks_what_the_model_can_write(works: Metamodel) -> None:
    local = TwoPhase(works, capabilities("local"), read_facts(works, DENSE), DENSE)
    assert local._tokens(objects=True) == 3072  # the bundled model's bound
    # A small model served over HTTP that writes at most 256 tokens is never asked for more,
    # and its schemas hold fewer objects per class than the bundled model's.
    served = capabilities("openai/tiny", max_output_tokens=256, context_tokens=8192)
    small = TwoPhase(works, served, read_facts(works, DENSE), DENSE)
    assert served.small and small._tokens(objects=True) == 256
    assert small._cap < local._cap


def test_an_enum_literal_may_start_a_name(works: Metamodel) -> None:
    # SENIOR is a level, yet "Senior Crew" is a team's whole name; "level senior" is a value.
    found = read_facts(works, "The team Senior Crew has Ivy Stone, level senior.")
    strings = [m.value for m in found.mentions if m.kind == "string"]
    assert "Senior Crew" in strings and "Crew" not in strings


def test_a_value_said_of_another_class_s_name_pins_no_entry(works: Metamodel) -> None:
    # Two teams and two codes... but MT-9 is said of a member, not of a team.
    spec = (
        "Harbour Works has two teams: Joinery (code JN) and Metal. "
        "Ivy Stone (member no M-01, level senior, code MT-9) works in Metal."
    )
    found = read_facts(works, spec)
    assert found.owner("MT-9") == "Member" and found.owner("JN") == "Team"
    schema = model_schema(objects_model(works, facts=found))
    teams = [attributes_of(schema, t)["properties"] for t in counted_entries(schema, "Team")]
    assert teams[0]["code"]["const"] == "JN" and "MT-9" not in json.dumps(teams)


def test_a_boolean_said_by_its_name_is_set_and_a_negation_clears_it() -> None:
    suite = Path(__file__).resolve().parents[1] / "metamodels" / "suite"
    clinic = load_metamodel(sorted((suite / "clinic-scheduling").glob("*.ecore")))
    spec = "Hill Clinic's patients are Ann Lee (40, insured) and Bo Kim (33, not insured)."
    schema = model_schema(objects_model(clinic, facts=read_facts(clinic, spec)))
    insured = {
        m["properties"]["id"]["const"]: attributes_of(schema, m)["properties"]["insured"]
        for m in entry_schemas(schema, "Patient")
    }
    assert insured == {
        "ann_lee": {"const": True, "type": "boolean"},
        "bo_kim": {"const": False, "type": "boolean"},
    }
