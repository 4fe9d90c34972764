"""The self-consistency vote (`service.generation.consensus`) on hand-built bank CIMs.

Each sample names its objects differently on purpose: the vote must align them by content
(the scorer's assignment), not by id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.generation.consensus import vote

BANK = Path(__file__).resolve().parent.parent / "metamodels" / "bank" / "bank.ecore"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel([BANK])


def bank(
    prefix: str,
    accounts: dict[str, dict[str, Any]],
    people: dict[str, list[str]],
    bank_name: str = "Alpha",
) -> Cim:
    """A bank holding `accounts` (iban -> attributes) and `people` (name -> ibans they own);
    every id starts with `prefix`, so no two samples share ids."""
    objects: list[dict[str, Any]] = [
        {
            "id": f"{prefix}bank",
            "class": "Bank",
            "attributes": {"name": bank_name},
            "references": {
                "accounts": [f"{prefix}{iban}" for iban in accounts],
                "clients": [f"{prefix}{name}" for name in people],
            },
        }
    ]
    for iban, attrs in accounts.items():
        owners = [f"{prefix}{n}" for n, ibans in people.items() if iban in ibans]
        objects.append(
            {
                "id": f"{prefix}{iban}",
                "class": "Account",
                "attributes": {"iban": iban, **attrs},
                "references": {"owners": owners},
            }
        )
    for name in people:
        objects.append({"id": f"{prefix}{name}", "class": "Person", "attributes": {"name": name}})
    return parse_cim({"objects": objects})


def by_class(cim: Cim) -> dict[str, list[dict[str, Any]]]:
    result: dict[str, list[dict[str, Any]]] = {}
    for o in cim.objects:
        result.setdefault(o.class_, []).append(o.attributes)
    return result


def owners(cim: Cim) -> set[tuple[str, str]]:
    """(iban, owner name) pairs, read through ids."""
    names = {o.id: o.attributes.get("name") for o in cim.objects}
    return {
        (str(o.attributes["iban"]), str(names[t]))
        for o in cim.objects
        if o.class_ == "Account"
        for t in o.references.get("owners", [])
    }


def test_one_sample_is_returned_as_it_is(mm: Metamodel) -> None:
    only = bank("s", {"DE1": {"balance": 5.0}}, {"Ann": ["DE1"]})
    voted = vote(mm, [only])
    assert voted.cim is only
    assert (voted.samples, voted.objects_kept, voted.objects_proposed) == (1, 3, 3)


def test_majority_objects_are_kept_and_a_minority_one_dropped(mm: Metamodel) -> None:
    a = bank("a", {"DE1": {}, "DE2": {}}, {"Ann": ["DE1", "DE2"]})
    b = bank("b", {"DE1": {}, "DE2": {}}, {"Ann": ["DE1", "DE2"]})
    c = bank("c", {"DE1": {}, "DE2": {}, "DE9": {}}, {"Ann": ["DE1", "DE2", "DE9"]})
    voted = vote(mm, [c, a, b])
    ibans = sorted(str(x["iban"]) for x in by_class(voted.cim)["Account"])
    assert ibans == ["DE1", "DE2"]  # DE9 is one sample's of three
    assert (voted.objects_kept, voted.objects_proposed) == (4, 5)
    assert voted.pivot in (1, 2)  # one of the two agreeing samples is the pivot
    assert owners(voted.cim) == {("DE1", "Ann"), ("DE2", "Ann")}
    assert validate(mm, voted.cim, realism="off") == []


def test_an_object_missing_from_the_pivot_is_kept_when_most_samples_have_it(
    mm: Metamodel,
) -> None:
    base = {"DE1": {"balance": 1.0}, "DE2": {"balance": 2.0}}
    a = bank("a", base, {"Ann": ["DE1", "DE2"]})
    b = bank("b", {**base, "DE3": {}}, {"Ann": ["DE1", "DE2", "DE3"]})
    c = bank("c", {**base, "DE3": {}}, {"Ann": ["DE1", "DE2", "DE3"]})
    d = bank("d", base, {"Ann": ["DE1", "DE2"]})
    e = bank("e", {**base, "DE3": {}}, {"Ann": ["DE1", "DE2", "DE3"]})
    voted = vote(mm, [a, b, c, d, e])
    assert sorted(str(x["iban"]) for x in by_class(voted.cim)["Account"]) == ["DE1", "DE2", "DE3"]
    assert ("DE3", "Ann") in owners(voted.cim)
    assert validate(mm, voted.cim, realism="off") == []


def test_attribute_values_are_voted_per_value(mm: Metamodel) -> None:
    a = bank("a", {"DE1": {"balance": 10.0, "kind": "SAVINGS"}}, {"Ann": ["DE1"]})
    b = bank("b", {"DE1": {"balance": 10, "kind": "CHECKING"}}, {"Ann": ["DE1"]})
    c = bank("c", {"DE1": {"balance": 99.5}}, {"Ann": ["DE1"]}, bank_name="Beta")
    voted = vote(mm, [a, b, c])
    account = by_class(voted.cim)["Account"][0]
    assert account["balance"] == 10.0  # 10.0 and 10 are one value to the vote: 2 of 3
    assert "kind" not in account  # SAVINGS, CHECKING, unset: no majority, and it is optional
    assert by_class(voted.cim)["Bank"][0]["name"] == "Alpha"


def test_a_required_attribute_without_majority_keeps_the_earliest_samples_value(
    mm: Metamodel,
) -> None:
    a = bank("a", {"DE1": {}}, {"Ann": ["DE1"]}, bank_name="Alpha")
    b = bank("b", {"DE1": {}}, {"Ann": ["DE1"]}, bank_name="Beta")
    c = bank("c", {"DE1": {}}, {"Ann": ["DE1"]}, bank_name="Gamma")
    voted = vote(mm, [a, b, c])
    pivot_name = [a, b, c][voted.pivot].objects[0].attributes["name"]
    assert by_class(voted.cim)["Bank"][0]["name"] == pivot_name  # name is required
    assert validate(mm, voted.cim, realism="off") == []


def test_links_are_voted_and_either_end_counts(mm: Metamodel) -> None:
    people = {"Ann": ["DE1"], "Bob": ["DE2"]}
    a = bank("a", {"DE1": {}, "DE2": {}}, people)
    b = bank("b", {"DE1": {}, "DE2": {}}, {"Ann": ["DE1"], "Bob": ["DE2", "DE1"]})
    c = bank("c", {"DE1": {}, "DE2": {}}, people)
    # Sample c writes the same ownership from the Person end instead (the eOpposite).
    for o in c.objects:
        if o.class_ == "Account":
            o.references.pop("owners")
        if o.class_ == "Person":
            iban = people[str(o.attributes["name"])][0]
            o.references["accounts"] = [f"c{iban}"]
    voted = vote(mm, [a, b, c])
    assert owners(voted.cim) == {("DE1", "Ann"), ("DE2", "Bob")}  # Bob owns DE1 in b only


def test_a_two_two_tie_keeps_nothing_contested(mm: Metamodel) -> None:
    """With k = 4 a value needs 3 votes: two against two is no majority."""
    samples = [
        bank(p, {"DE1": {"kind": kind}}, {"Ann": ["DE1"]})
        for p, kind in zip("abcd", ["SAVINGS", "SAVINGS", "CREDIT", "CREDIT"], strict=True)
    ]
    voted = vote(mm, samples)
    assert "kind" not in by_class(voted.cim)["Account"][0]
    extra = [bank(p, {"DE1": {}, "DE7": {}}, {"Ann": ["DE1"]}) for p in "ef"]
    voted = vote(mm, [*samples[:2], *extra])
    ibans = sorted(str(x["iban"]) for x in by_class(voted.cim)["Account"])
    assert ibans == ["DE1"]  # DE7 in 2 of 4 samples: dropped


def test_ids_come_from_the_samples_and_stay_unique(mm: Metamodel) -> None:
    # Every sample uses the same ids, but for accounts in a different order: alignment goes by
    # content, and the ids written are unique.
    a = bank("", {"DE1": {}, "DE2": {}}, {"Ann": ["DE1", "DE2"]})
    b = bank("", {"DE2": {}, "DE1": {}}, {"Ann": ["DE1", "DE2"]})
    voted = vote(mm, [a, b, a.model_copy(deep=True)])
    ids = [o.id for o in voted.cim.objects]
    assert len(ids) == len(set(ids)) == 4
    assert validate(mm, voted.cim, realism="off") == []
