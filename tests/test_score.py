"""`eval.scoring`: hand-computed precision/recall/F1 for small, fully understood cases."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from instancegen.service.cli import app
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.eval.scoring import Metric, Score, score

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"


def _attr(name: str, type_: str, upper: int = 1) -> str:
    return (
        f'<eStructuralFeatures xsi:type="ecore:EAttribute" name="{name}" upperBound="{upper}" '
        f'eType="ecore:EDataType http://www.eclipse.org/emf/2002/Ecore#//{type_}"/>'
    )


def _ref(name: str, target: str, containment: bool = False) -> str:
    return (
        f'<eStructuralFeatures xsi:type="ecore:EReference" name="{name}" upperBound="-1" '
        f'eType="#//{target}" containment="{str(containment).lower()}"/>'
    )


def _class(name: str, *features: str, sup: str = "") -> str:
    supertypes = f' eSuperTypes="#//{sup}"' if sup else ""
    body = "".join(features)
    return f'<eClassifiers xsi:type="ecore:EClass" name="{name}"{supertypes}>{body}</eClassifiers>'


# Zoo holds one attribute of each normalised kind; Bird extends Animal; Keeper.cares is plain.
ZOO = (
    '<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="zoo" nsURI="http://t/zoo" '
    'nsPrefix="zoo">'
    + _class(
        "Zoo",
        _attr("name", "EString"),
        _attr("founded", "EDate"),
        _attr("visitors", "EInt"),
        _attr("rating", "EDouble"),
        _attr("open", "EBoolean"),
        _attr("tags", "EString", upper=-1),
        _ref("animals", "Animal", containment=True),
        _ref("keepers", "Keeper", containment=True),
    )
    + _class("Animal", _attr("name", "EString"), _attr("legs", "EInt"))
    + _class("Bird", _attr("flies", "EBoolean"), sup="Animal")
    + _class("Keeper", _attr("name", "EString"), _ref("cares", "Animal"))
    + "</ecore:EPackage>"
)

# 5 objects; 7 attribute triples (db.name, a1.iban, a1.balance, a2.iban, a2.balance,
# alice.name, bob.name); 8 edges: db.accounts x2, db.clients x2, a1.owners->alice,
# a2.owners->bob and their implied eOpposites alice.accounts->a1, bob.accounts->a2.
BANK_REF: dict[str, Any] = {
    "objects": [
        {
            "id": "db",
            "class": "Bank",
            "attributes": {"name": "DB"},
            "references": {"accounts": ["a1", "a2"], "clients": ["alice", "bob"]},
        },
        {
            "id": "a1",
            "class": "Account",
            "attributes": {"iban": "DE01", "balance": 100.0},
            "references": {"owners": ["alice"]},
        },
        {
            "id": "a2",
            "class": "Account",
            "attributes": {"iban": "DE02", "balance": 50},
            "references": {"owners": ["bob"]},
        },
        {"id": "alice", "class": "Person", "attributes": {"name": "Alice"}},
        {"id": "bob", "class": "Person", "attributes": {"name": "Bob"}},
    ]
}


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


@pytest.fixture(scope="module")
def zoo() -> Metamodel:
    return load_metamodel({"zoo.ecore": ZOO})


def _score(mm: Metamodel, ref: dict[str, Any], cand: dict[str, Any]) -> Score:
    return score(mm, parse_cim(ref), parse_cim(cand))


def _close(actual: Metric, precision: float, recall: float, f1: float) -> None:
    assert actual.precision == pytest.approx(precision)
    assert actual.recall == pytest.approx(recall)
    assert actual.f1 == pytest.approx(f1)


def _edit(model: dict[str, Any], oid: str) -> dict[str, Any]:
    return next(o for o in model["objects"] if o["id"] == oid)


def test_identical_models_score_one_everywhere(bank: Metamodel) -> None:
    result = _score(bank, BANK_REF, BANK_REF)
    for m in (result.objects, result.attributes, result.references):
        _close(m, 1.0, 1.0, 1.0)
    assert result.matching == {o["id"]: o["id"] for o in BANK_REF["objects"]}


def test_one_object_missing(bank: Metamodel) -> None:
    cand = copy.deepcopy(BANK_REF)
    cand["objects"] = [o for o in cand["objects"] if o["id"] != "bob"]
    _edit(cand, "db")["references"]["clients"] = ["alice"]
    _edit(cand, "a2")["references"] = {}
    result = _score(bank, BANK_REF, cand)
    # objects: 4 right of 4 given, of 5 expected -> P 1, R 4/5, F1 = 2*.8/1.8 = 8/9
    _close(result.objects, 1.0, 4 / 5, 8 / 9)
    # attributes: 6 of 6 given, of 7 -> R 6/7, F1 = (12/7)/(13/7) = 12/13
    _close(result.attributes, 1.0, 6 / 7, 12 / 13)
    # edges: db.accounts x2, db.clients->alice, a1.owners->alice, alice.accounts->a1 = 5 of 8
    # -> R 5/8, F1 = (10/8)/(13/8) = 10/13
    _close(result.references, 1.0, 5 / 8, 10 / 13)


def test_one_object_extra(bank: Metamodel) -> None:
    cand = copy.deepcopy(BANK_REF)
    cand["objects"].append({"id": "carol", "class": "Person", "attributes": {"name": "Carol"}})
    _edit(cand, "db")["references"]["clients"].append("carol")
    result = _score(bank, BANK_REF, cand)
    # objects: 5 right of 6 given -> P 5/6, R 1, F1 = (10/6)/(11/6) = 10/11
    _close(result.objects, 5 / 6, 1.0, 10 / 11)
    # attributes: 7 right of 8 given -> P 7/8, F1 = (14/8)/(15/8) = 14/15
    _close(result.attributes, 7 / 8, 1.0, 14 / 15)
    # edges: 8 right of 9 given (db.clients->carol is extra) -> F1 = (16/9)/(17/9) = 16/17
    _close(result.references, 8 / 9, 1.0, 16 / 17)


def test_one_wrong_attribute(bank: Metamodel) -> None:
    cand = copy.deepcopy(BANK_REF)
    _edit(cand, "a1")["attributes"]["balance"] = 99.0
    result = _score(bank, BANK_REF, cand)
    _close(result.objects, 1.0, 1.0, 1.0)
    _close(result.attributes, 6 / 7, 6 / 7, 6 / 7)  # 6 of 7 on both sides
    _close(result.references, 1.0, 1.0, 1.0)


def test_one_wrong_reference(bank: Metamodel) -> None:
    cand = copy.deepcopy(BANK_REF)
    _edit(cand, "a1")["references"]["owners"] = ["bob"]
    result = _score(bank, BANK_REF, cand)
    _close(result.objects, 1.0, 1.0, 1.0)
    _close(result.attributes, 1.0, 1.0, 1.0)
    # a1.owners->bob and its opposite bob.accounts->a1 replace the two alice edges: 6 of 8
    _close(result.references, 6 / 8, 6 / 8, 6 / 8)


def test_ids_and_order_do_not_matter(bank: Metamodel) -> None:
    renames = {"db": "x1", "a1": "bob", "a2": "x3", "alice": "a2", "bob": "db"}
    text = json.dumps(BANK_REF)
    for old, new in renames.items():
        text = text.replace(f'"{old}"', f'"@{new}"')
    cand = json.loads(text.replace('"@', '"'))
    cand["objects"].reverse()
    result = _score(bank, BANK_REF, cand)
    for m in (result.objects, result.attributes, result.references):
        _close(m, 1.0, 1.0, 1.0)
    assert result.matching == renames


def test_listing_one_or_both_opposite_ends_is_the_same(bank: Metamodel) -> None:
    cand = copy.deepcopy(BANK_REF)
    _edit(cand, "alice")["references"] = {"accounts": ["a1"]}
    _edit(cand, "a2")["references"] = {}
    _edit(cand, "bob")["references"] = {"accounts": ["a2"]}
    result = _score(bank, BANK_REF, cand)
    _close(result.references, 1.0, 1.0, 1.0)


def test_subclass_matches_superclass_with_half_credit(zoo: Metamodel) -> None:
    ref = {
        "objects": [
            {"id": "z", "class": "Zoo", "references": {"animals": ["tweety", "rex"]}},
            {
                "id": "tweety",
                "class": "Bird",
                "attributes": {"name": "Tweety", "legs": 2, "flies": True},
            },
            {"id": "rex", "class": "Animal", "attributes": {"name": "Rex", "legs": 4}},
        ]
    }
    cand = copy.deepcopy(ref)
    cand["objects"][1] = {"id": "t", "class": "Animal", "attributes": {"name": "Tweety", "legs": 2}}
    cand["objects"][0]["references"]["animals"] = ["t", "rex"]
    result = _score(zoo, ref, cand)
    assert result.matching == {"z": "z", "tweety": "t", "rex": "rex"}
    # objects: 1 (Zoo) + 0.5 (Bird as Animal) + 1 (Animal) = 2.5 of 3 on both sides
    _close(result.objects, 2.5 / 3, 2.5 / 3, 2.5 / 3)
    # attributes: Bird "flies" is missing: 4 of 4 given, of 5 -> F1 = (8/5)/(9/5) = 8/9
    _close(result.attributes, 1.0, 4 / 5, 8 / 9)
    _close(result.references, 1.0, 1.0, 1.0)


def test_unrelated_classes_never_match(zoo: Metamodel) -> None:
    ref = {"objects": [{"id": "k", "class": "Keeper", "attributes": {"name": "Rex"}}]}
    cand = {"objects": [{"id": "a", "class": "Animal", "attributes": {"name": "Rex"}}]}
    result = _score(zoo, ref, cand)
    assert result.matching == {}
    _close(result.objects, 0.0, 0.0, 0.0)
    _close(result.attributes, 0.0, 0.0, 0.0)  # the same triple on unmatched objects
    _close(result.references, 1.0, 1.0, 1.0)  # no edges on either side


def test_same_class_preferred_over_related_class(zoo: Metamodel) -> None:
    ref = {"objects": [{"id": "b", "class": "Bird"}, {"id": "a", "class": "Animal"}]}
    cand = {"objects": [{"id": "x", "class": "Animal"}, {"id": "y", "class": "Bird"}]}
    result = _score(zoo, ref, cand)
    assert result.matching == {"b": "y", "a": "x"}
    _close(result.objects, 1.0, 1.0, 1.0)


def test_structure_separates_objects_with_equal_attributes(zoo: Metamodel) -> None:
    ref = {
        "objects": [
            {
                "id": "z",
                "class": "Zoo",
                "references": {"animals": ["rex", "tom"], "keepers": ["k1", "k2"]},
            },
            {"id": "rex", "class": "Animal", "attributes": {"name": "Rex"}},
            {"id": "tom", "class": "Animal", "attributes": {"name": "Tom"}},
            {
                "id": "k1",
                "class": "Keeper",
                "attributes": {"name": "Sam"},
                "references": {"cares": ["rex"]},
            },
            {
                "id": "k2",
                "class": "Keeper",
                "attributes": {"name": "Sam"},
                "references": {"cares": ["tom"]},
            },
        ]
    }
    cand = copy.deepcopy(ref)
    # k1 now cares for tom and k2 for rex: aligned by position, both cares edges would be
    # wrong; aligned by structure (k1 <-> k2), all 6 edges agree.
    cand["objects"][3]["references"]["cares"] = ["tom"]
    cand["objects"][4]["references"]["cares"] = ["rex"]
    result = _score(zoo, ref, cand)
    assert result.matching["k1"] == "k2" and result.matching["k2"] == "k1"
    _close(result.references, 1.0, 1.0, 1.0)


def test_values_are_normalised(zoo: Metamodel) -> None:
    ref = {
        "objects": [
            {
                "id": "z",
                "class": "Zoo",
                "attributes": {
                    "name": "City Zoo",
                    "founded": "2024-03-01T10:00:00Z",
                    "visitors": 1,
                    "rating": 1,
                    "open": True,
                    "tags": ["Big", "old"],
                },
            }
        ]
    }
    cand = {
        "objects": [
            {
                "id": "q",
                "class": "Zoo",
                "attributes": {
                    "name": "  city   ZOO ",
                    "founded": "2024-03-01T11:00:00.000+01:00",
                    "visitors": 1.0,
                    "rating": "1.0",
                    "open": "true",
                    "tags": ["OLD", "big"],
                },
            }
        ]
    }
    _close(_score(zoo, ref, cand).attributes, 1.0, 1.0, 1.0)
    # the same wall-clock time in another zone is another instant: 6 of 7 triples agree
    cand["objects"][0]["attributes"]["founded"] = "2024-03-01T10:00:00+01:00"
    _close(_score(zoo, ref, cand).attributes, 6 / 7, 6 / 7, 6 / 7)


def test_empty_models(bank: Metamodel) -> None:
    both = _score(bank, {"objects": []}, {"objects": []})
    for m in (both.objects, both.attributes, both.references):
        _close(m, 1.0, 1.0, 1.0)
    missing = _score(bank, BANK_REF, {"objects": []})
    for m in (missing.objects, missing.attributes, missing.references):
        _close(m, 0.0, 0.0, 0.0)
    extra = _score(bank, {"objects": []}, BANK_REF)
    _close(extra.objects, 0.0, 0.0, 0.0)


def test_cli_score_json_and_table(tmp_path: Path) -> None:
    ref = tmp_path / "ref.json"
    ref.write_text(json.dumps(BANK_REF))
    cand_model = copy.deepcopy(BANK_REF)
    _edit(cand_model, "a1")["attributes"]["balance"] = 99.0
    cand = tmp_path / "cand.json"
    cand.write_text(json.dumps(cand_model))
    runner = CliRunner()
    as_json = runner.invoke(app, ["score", "-m", str(BANK), str(ref), str(cand), "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.output)
    assert set(data) == {"objects", "attributes", "references"}
    assert data["attributes"]["f1"] == pytest.approx(6 / 7)
    assert data["objects"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    table = runner.invoke(app, ["score", "-m", str(BANK), str(ref), str(cand)])
    assert table.exit_code == 0
    assert "attributes" in table.output and "0.857" in table.output


def test_cli_score_missing_file_is_one_line_and_exit_2(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-c", "from service.cli import main; main()", "score", "-m", str(BANK),
         str(tmp_path / "nope.json"), str(tmp_path / "x.json")],
        capture_output=True, text=True, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "nope.json: no such file" in proc.stderr and "Traceback" not in proc.stderr
