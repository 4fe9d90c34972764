"""Plausible by default: the realism checks say what only plausible values meet
(`checks.writable`), and phase 1 holds a small model's free values to it, with one object of
the single root class unless the spec counts more."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from instancegen.service.core.checks import Context, applied, writable
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.two_phase.objects_schema import objects_model
from instancegen.service.generation.two_phase.spec_facts import read_facts

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 1, 15)
TYPES = "ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//E"


def _attribute(name: str, type_: str) -> str:
    return (
        f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="{name}" eType="{TYPES}{type_}"/>'
    )


ECORE = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"
    name="club" nsURI="http://x/club" nsPrefix="club">
  <eClassifiers xsi:type="ecore:EClass" name="Club">
    {_attribute("name", "String")}
    <eStructuralFeatures xsi:type="ecore:EReference" name="members" upperBound="-1"
        eType="#//Member" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Member">
    {_attribute("email", "String")}
    {_attribute("memberCode", "String")}
    {_attribute("birthYear", "Int")}
    {_attribute("dateOfBirth", "Date")}
    {_attribute("age", "Int")}
  </eClassifiers>
</ecore:EPackage>
"""


@pytest.fixture(scope="module")
def club() -> Metamodel:
    return load_metamodel({"club.ecore": ECORE})


def _held(mm: Metamodel, feature: str) -> dict[str, object]:
    owner = mm.classes["Member"]
    return writable(owner, owner.feature_map[feature], TODAY)  # type: ignore[arg-type]


def _passes(mm: Metamodel, feature: str, value: object) -> bool:
    owner = mm.classes["Member"]
    attribute = owner.feature_map[feature]
    context = Context(owner, attribute, {feature: value}, TODAY)  # type: ignore[arg-type]
    return all(c.check(value, context) is None for c in applied(owner, attribute).checks)  # type: ignore[arg-type]


def test_birth_years_are_held_to_living_memory(club: Metamodel) -> None:
    assert _held(club, "birthYear") == {"minimum": 1926, "maximum": 2025}
    pattern = str(_held(club, "dateOfBirth")["pattern"])
    for born in ("1930-01-01", "1985-06-28", "2019-12-28"):
        assert re.fullmatch(pattern, born) and _passes(club, "dateOfBirth", born)
    for odd in ("1250-01-01", "5454-05-05", "1929-12-31", "2020-01-01", "1985-13-01"):
        assert not re.fullmatch(pattern, odd)


@pytest.mark.parametrize(
    ("feature", "good", "bad"),
    [
        (
            "email",
            ["ann@example.org", "a.lee@uni-bremen.de"],
            ["a..b@x.org", "mail[email].x", ", "],
        ),
        ("memberCode", ["CS210", "M-0042", "100231"], ["5454-05-05T01:12:00+00:00", "a code"]),
    ],
)
def test_patterns_admit_only_passing_values(
    club: Metamodel, feature: str, good: list[str], bad: list[str]
) -> None:
    pattern = str(_held(club, feature)["pattern"])
    for value in good:
        assert re.fullmatch(pattern, value) and _passes(club, feature, value), value
    for value in bad:
        assert not re.fullmatch(pattern, value), value


def test_phase_one_holds_free_values_and_one_root(club: Metamodel) -> None:
    spec = "A chess club with a few members."
    schema = objects_model(club, 4, facts=read_facts(club, spec), named_entries=False)
    data = schema.model_json_schema(by_alias=True)
    assert data["properties"]["Club"]["maxItems"] == 1  # one root: the spec counts none
    attributes = data["$defs"]["MemberAttributes"]["properties"]
    assert (attributes["birthYear"]["minimum"], attributes["birthYear"]["maximum"]) == (
        date.today().year - 100,
        date.today().year - 1,
    )
    assert attributes["age"]["maximum"] == 125
    assert "@" in attributes["email"]["pattern"]
    counted = objects_model(club, 4, facts=read_facts(club, "Two clubs, each with members."))
    assert counted.model_json_schema(by_alias=True)["properties"]["Club"]["maxItems"] == 2
