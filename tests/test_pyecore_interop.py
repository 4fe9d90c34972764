"""pyecore interop, both directions: CIM -> live EObjects -> CIM, and pyecore-built objects ->
CIM -> EObjects. Equality is judged on the compiled XMI (absent and default values are the
same model), and on the objects' own values in pyecore."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from http_support import BANK_ECORE, BANK_REFERENCE

from instancegen import compilers, from_pyecore, to_pyecore
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel, pyecore_resource_set
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.core.validator import validate

XMI = compilers.get("xmi")
ROOT = Path(__file__).resolve().parent.parent
SUITE = sorted(
    p for p in (ROOT / "metamodels" / "suite").iterdir() if (p / "reference.json").is_file()
)


def test_cim_to_live_objects_and_back() -> None:
    mm = load_metamodel([BANK_ECORE])
    cim = parse_cim(BANK_REFERENCE.read_bytes())
    resource = to_pyecore(cim, mm)
    (bank,) = resource.contents
    assert bank.eClass.name == "Bank" and bank.name == "Deutsche Bank"
    assert [a.iban for a in bank.accounts] == ["DE01", "DE02", "DE03"]
    acc2 = bank.accounts[1]
    assert [p.name for p in acc2.owners] == ["Alice Schmidt", "Bob Weber"]
    assert acc2 in bank.clients[1].accounts  # opposite ends are live
    assert acc2.kind.name == "SAVINGS" and acc2.balance == 8000.0
    back = from_pyecore(resource, mm)
    assert [o.id for o in back.objects] == [o.id for o in cim.objects]
    assert XMI.compile(back, mm) == XMI.compile(cim, mm)


def test_live_changes_come_back_in_the_cim() -> None:
    mm = load_metamodel([BANK_ECORE])
    resource = to_pyecore(parse_cim(BANK_REFERENCE.read_bytes()), mm)
    (bank,) = resource.contents
    bob = bank.clients[1]
    bob.name = "Robert Weber"
    bank.accounts[0].owners.append(bob)
    back = from_pyecore(resource, mm)
    objects = {o.id: o for o in back.objects}
    assert objects["bob"].attributes["name"] == "Robert Weber"
    assert objects["acc1"].references["owners"] == ["alice", "bob"]
    assert objects["bob"].references["accounts"] == ["acc2", "acc1"]  # pyecore appended
    assert validate(mm, back, realism="off") == []


def test_objects_built_in_pyecore_become_a_cim_and_load_back() -> None:
    """A script's own pyecore objects (no resource, no ids) -> CIM -> fresh EObjects."""
    mm = load_metamodel([BANK_ECORE])
    pkg = pyecore_resource_set(mm).metamodel_registry["http://instancegen.example/bank"]
    bank_cls, account_cls, person_cls = (
        pkg.getEClassifier(n) for n in ("Bank", "Account", "Person")
    )
    kind = pkg.getEClassifier("AccountKind")
    bank = bank_cls(name="Acme")
    ann = person_cls(name="Ann")
    acc = account_cls(iban="X1", balance=5.5, kind=kind.getEEnumLiteral("CREDIT"))
    acc.owners.append(ann)
    bank.clients.append(ann)
    bank.accounts.append(acc)
    cim = from_pyecore([bank], mm)
    assert [(o.id, o.class_) for o in cim.objects] == [
        ("bank1", "Bank"),
        ("X1", "Account"),
        ("person1", "Person"),
    ]
    assert cim.objects[1].attributes == {"iban": "X1", "balance": 5.5, "kind": "CREDIT"}
    assert cim.objects[1].references == {"owners": ["person1"]}
    assert validate(mm, cim, realism="off") == []
    assert bank.eResource is None  # the caller's objects were not moved anywhere
    (again,) = to_pyecore(cim, mm).contents
    assert again.accounts[0].kind.name == "CREDIT"
    assert again.accounts[0].owners[0] is again.clients[0]
    assert again.clients[0].name == "Ann"


def test_dates_and_many_valued_attributes(tmp_path: Any) -> None:
    e = "http://www.eclipse.org/emf/2002/Ecore#//"
    ecore = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore"
    name="ev" nsURI="http://ex/ev" nsPrefix="ev">
  <eClassifiers xsi:type="ecore:EClass" name="Event">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="at" eType="ecore:EDataType {e}EDate"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tags" upperBound="-1"
        eType="ecore:EDataType {e}EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="count" eType="ecore:EDataType {e}EInt"/>
  </eClassifiers>
</ecore:EPackage>"""
    mm = load_metamodel({"ev.ecore": ecore})
    cim = parse_cim(
        {
            "objects": [
                {
                    "id": "e1",
                    "class": "Event",
                    "attributes": {
                        "at": "2024-05-17T09:30:00+00:00",
                        "tags": ["a", "b"],
                        "count": 3,
                    },
                }
            ]
        }
    )
    (event,) = to_pyecore(cim, mm).contents
    assert isinstance(event.at, dt.datetime) and event.at.year == 2024
    assert list(event.tags) == ["a", "b"] and event.count == 3
    assert XMI.compile(from_pyecore([event], mm), mm) == XMI.compile(cim, mm)


@pytest.mark.parametrize("case", SUITE, ids=[c.name for c in SUITE])
def test_every_bundled_reference_model_survives_the_round_trip(case: Path) -> None:
    mm = load_metamodel(sorted(case.glob("*.ecore")))
    cim = parse_cim((case / "reference.json").read_bytes())
    back = from_pyecore(to_pyecore(cim, mm), mm)
    expected = _ordered_like(back, cim)
    assert XMI.compile(_pairs_sorted(back, mm), mm) == XMI.compile(_pairs_sorted(expected, mm), mm)
    again = from_pyecore(to_pyecore(back, mm), mm)
    assert again == back  # a second round changes nothing at all


def _pairs_sorted(cim: Cim, mm: Metamodel) -> Cim:
    """`cim` with the lists of many-to-many eOpposite pairs sorted: pyecore's loader keeps the
    order of the end it reads first and appends to the other (EMF keeps both; README, "From
    pyecore"), so only their contents are compared; every other list keeps its order."""

    def pair(cls: str, name: str) -> bool:
        f = mm.classes[cls].feature_map[name]
        if not isinstance(f, Reference) or not f.many or f.opposite is None:
            return False
        other = mm.classes[f.target].feature_map.get(f.opposite)
        return isinstance(other, Reference) and other.many

    return Cim(
        objects=[
            o.model_copy(
                update={
                    "references": {
                        k: sorted(v) if pair(o.class_, k) else v for k, v in o.references.items()
                    }
                }
            )
            for o in cim.objects
        ]
    )


def _ordered_like(back: Cim, cim: Cim) -> Cim:
    """`cim` with its objects in `back`'s (document) order: only roots' order shows in XMI,
    and both keep that; this keeps the comparison about values and links."""
    rank = {o.id: i for i, o in enumerate(back.objects)}
    return Cim(objects=sorted(cim.objects, key=lambda o: rank.get(o.id, len(rank))))
