"""The validator, rule by rule: one model that breaks each rule and one that satisfies it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from instancegen import load_metamodel, parse_cim, validate
from instancegen.service.cli import app
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import INT_RANGES, Metamodel

E = "http://www.eclipse.org/emf/2002/Ecore#//"

LIBRARY_ECORE = f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="lib"
    nsURI="http://example.org/lib" nsPrefix="lib">
  <eClassifiers xsi:type="ecore:EClass" name="Named" abstract="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="name" lowerBound="1"
        eType="ecore:EDataType {E}EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Tagged" abstract="true" interface="true">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tags" upperBound="-1"
        eType="ecore:EDataType {E}EString"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Library" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="code" iD="true"
        eType="ecore:EDataType {E}EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="folders" upperBound="-1"
        eType="#//Folder" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="books" upperBound="-1"
        eType="#//Book" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="members" upperBound="-1"
        eType="#//Member" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="cards" upperBound="-1"
        eType="#//Card" containment="true"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Folder" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EReference" name="sub" upperBound="-1"
        eType="#//Folder" containment="true"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="items" upperBound="2"
        eType="#//Book"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Book" eSuperTypes="#//Named #//Tagged">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="isbn" lowerBound="1" iD="true"
        eType="ecore:EDataType {E}EString"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="tiny" eType="ecore:EDataType {E}EByte"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="pages"
        eType="ecore:EDataType {E}EShort"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="count" eType="ecore:EDataType {E}EInt"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="big" eType="ecore:EDataType {E}ELong"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="huge"
        eType="ecore:EDataType {E}EBigInteger"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="price"
        eType="ecore:EDataType {E}EBigDecimal"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="weight"
        eType="ecore:EDataType {E}EDouble"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="initial"
        eType="ecore:EDataType {E}EChar"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="published"
        eType="ecore:EDataType {E}EDate"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="available"
        eType="ecore:EDataType {E}EBoolean"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="genre" eType="#//Genre"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="scores" upperBound="3"
        eType="ecore:EDataType {E}EInt"/>
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="title" derived="true"
        transient="true" volatile="true" changeable="false"
        eType="ecore:EDataType {E}EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="authors" upperBound="-1"
        eType="#//Member" eOpposite="#//Member/wrote"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="borrower" eType="#//Member"
        eOpposite="#//Member/borrowed"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Ebook" eSuperTypes="#//Book"/>
  <eClassifiers xsi:type="ecore:EClass" name="Member" eSuperTypes="#//Named">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="memberId" iD="true"
        eType="ecore:EDataType {E}EString"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="wrote" upperBound="-1"
        eType="#//Book" eOpposite="#//Book/authors"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="borrowed" upperBound="2"
        eType="#//Book" eOpposite="#//Book/borrower"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="card" lowerBound="1"
        eType="#//Card"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Card">
    <eStructuralFeatures xsi:type="ecore:EAttribute" name="number" lowerBound="1"
        eType="ecore:EDataType {E}EInt"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EEnum" name="Genre">
    <eLiterals name="NOVEL"/>
    <eLiterals name="POEM" value="1" literal="poem"/>
  </eClassifiers>
</ecore:EPackage>
"""

VALID: dict[str, Any] = {
    "objects": [
        {
            "id": "lib",
            "class": "Library",
            "attributes": {"name": "City Library", "code": "L1"},
            "references": {
                "folders": ["f1"],
                "books": ["b1", "b2"],
                "members": ["ann"],
                "cards": ["c1"],
            },
        },
        {
            "id": "f1",
            "class": "Folder",
            "attributes": {"name": "Fiction"},
            "references": {"sub": ["f2"], "items": ["b1"]},
        },
        {"id": "f2", "class": "Folder", "attributes": {"name": "Poems"}, "references": {}},
        {
            "id": "b1",
            "class": "Book",
            "attributes": {
                "name": "Dune",
                "isbn": "978-0",
                "tiny": -128,
                "pages": 32767,
                "count": 3,
                "big": 2**63 - 1,
                "huge": "123456789012345678901234567890",
                "price": "12.50",
                "weight": 1,
                "initial": "D",
                "published": "1965-08-01",
                "available": True,
                "genre": "NOVEL",
                "tags": ["sf", "classic"],
                "scores": [1, 2, 3],
            },
            "references": {"authors": ["ann"]},
        },
        {
            "id": "b2",
            "class": "Ebook",
            "attributes": {"name": "Odes", "isbn": "978-1", "published": "2024-05-17T09:30:00Z"},
            "references": {"borrower": ["ann"]},
        },
        {
            "id": "ann",
            "class": "Member",
            "attributes": {"name": "Ann", "memberId": "M1"},
            "references": {"wrote": ["b1"], "card": ["c1"]},
        },
        {"id": "c1", "class": "Card", "attributes": {"number": 7}, "references": {}},
    ]
}

Edit = Callable[[dict[str, Any]], None]


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel({"lib.ecore": LIBRARY_ECORE})


def obj(cim: dict[str, Any], oid: str) -> dict[str, Any]:
    return next(o for o in cim["objects"] if o["id"] == oid)


def attr(oid: str, name: str, value: Any) -> Edit:
    return lambda cim: obj(cim, oid)["attributes"].__setitem__(name, value)


def ref(oid: str, name: str, targets: list[str]) -> Edit:
    return lambda cim: obj(cim, oid)["references"].__setitem__(name, targets)


def drop(oid: str, section: str, name: str) -> Edit:
    return lambda cim: obj(cim, oid)[section].pop(name)


def add(oid: str, cls: str, attributes: dict[str, Any], references: dict[str, list[str]]) -> Edit:
    new = {"id": oid, "class": cls, "attributes": attributes, "references": references}
    return lambda cim: cim["objects"].append(copy.deepcopy(new))


def edited(*edits: Edit) -> dict[str, Any]:
    cim = copy.deepcopy(VALID)
    for edit in edits:
        edit(cim)
    return cim


def check(mm: Metamodel, *edits: Edit) -> list[Issue]:
    return validate(mm, parse_cim(edited(*edits)))


def found(issues: list[Issue]) -> list[tuple[str, str | None, str | None]]:
    return [(i.code, i.object, i.feature) for i in issues]


def test_the_valid_model_has_no_issues(mm: Metamodel) -> None:
    assert check(mm) == []


# Each case: edits that break exactly one rule, and the single finding expected.
BROKEN: dict[str, tuple[list[Edit], tuple[str, str | None, str | None]]] = {
    "unknown class": ([add("x", "Magazine", {}, {})], ("unknown-class", "x", None)),
    "abstract class": ([add("x", "Named", {"name": "n"}, {})], ("abstract-class", "x", None)),
    "interface": ([add("x", "Tagged", {}, {})], ("abstract-class", "x", None)),
    "unknown attribute": ([attr("b1", "colour", "red")], ("unknown-feature", "b1", "colour")),
    "derived attribute": ([attr("b1", "title", "Dune")], ("unknown-feature", "b1", "title")),
    "reference under attributes": (
        [
            attr("f1", "sub", ["f2"]),
            drop("f1", "references", "sub"),
            ref("lib", "folders", ["f1", "f2"]),
        ],
        ("unknown-feature", "f1", "sub"),
    ),
    "attribute under references": ([ref("f2", "name", ["x"])], ("unknown-feature", "f2", "name")),
    "unknown reference": ([ref("f2", "parent", ["f1"])], ("unknown-feature", "f2", "parent")),
    "string given a number": ([attr("f2", "name", 5)], ("bad-value", "f2", "name")),
    "bool given a string": ([attr("b1", "available", "yes")], ("bad-value", "b1", "available")),
    "bool given 1": ([attr("b1", "available", 1)], ("bad-value", "b1", "available")),
    "EByte too small": ([attr("b1", "tiny", -129)], ("bad-value", "b1", "tiny")),
    "EShort too big": ([attr("b1", "pages", 32768)], ("bad-value", "b1", "pages")),
    "EInt too big": ([attr("b1", "count", 2**31)], ("bad-value", "b1", "count")),
    "ELong too big": ([attr("b1", "big", 2**63)], ("bad-value", "b1", "big")),
    "EInt given a fraction": ([attr("b1", "count", 2.5)], ("bad-value", "b1", "count")),
    "EInt given true": ([attr("b1", "count", True)], ("bad-value", "b1", "count")),
    "EInt given a string": ([attr("b1", "count", "3")], ("bad-value", "b1", "count")),
    "EDouble given a string": ([attr("b1", "weight", "1.5")], ("bad-value", "b1", "weight")),
    "EBigInteger given a fraction": ([attr("b1", "huge", "1.5")], ("bad-value", "b1", "huge")),
    "EBigDecimal given words": ([attr("b1", "price", "ten")], ("bad-value", "b1", "price")),
    "EChar given two characters": ([attr("b1", "initial", "DU")], ("bad-value", "b1", "initial")),
    "EChar given empty": ([attr("b1", "initial", "")], ("bad-value", "b1", "initial")),
    "EDate not ISO": ([attr("b1", "published", "1 Aug 1965")], ("bad-value", "b1", "published")),
    "enum literal unknown": ([attr("b1", "genre", "ESSAY")], ("bad-value", "b1", "genre")),
    "enum by literal value": ([attr("b1", "genre", "poem")], ("bad-value", "b1", "genre")),
    "null value": ([attr("b1", "genre", None)], ("bad-value", "b1", "genre")),
    "list for single-valued": ([attr("b1", "genre", ["NOVEL"])], ("bad-value", "b1", "genre")),
    "scalar for many-valued": ([attr("b1", "tags", "sf")], ("bad-value", "b1", "tags")),
    "bad item in many-valued": ([attr("b1", "scores", [1, "2"])], ("bad-value", "b1", "scores")),
    "reference lists a target twice": (
        [ref("b1", "authors", ["ann", "ann"])],
        ("not-unique", "b1", "authors"),
    ),
    "unique attribute holds a value twice": (
        [attr("b1", "tags", ["sf", "classic", "sf"])],
        ("not-unique", "b1", "tags"),
    ),
    "unique attribute holds one number twice": (
        [attr("b1", "scores", [1, 2, 2])],
        ("not-unique", "b1", "scores"),
    ),
    "date in a form EMF does not read": (
        [attr("b1", "published", "19650801")],
        ("bad-value", "b1", "published"),
    ),
    "date with a space for T": (
        [attr("b1", "published", "1965-08-01 10:00:00")],
        ("bad-value", "b1", "published"),
    ),
    "week date": ([attr("b1", "published", "1965-W31-1")], ("bad-value", "b1", "published")),
    "date beyond year 9999 in UTC": (
        [attr("b1", "published", "9999-12-31T23:00:00-05:00")],
        ("bad-value", "b1", "published"),
    ),
    "iD value EMF reads as a path": ([attr("b1", "isbn", "/978")], ("bad-value", "b1", "isbn")),
    "iD value EMF cuts as a query": ([attr("b1", "isbn", "978?x?")], ("bad-value", "b1", "isbn")),
    "text XML cannot hold": ([attr("b1", "name", "Du\x00ne")], ("bad-value", "b1", "name")),
    "external target in a containment": (
        [ref("lib", "members", ["ann", "other.xmi#//@members.0"])],
        ("bad-value", "lib", "members"),
    ),
    "external target without a fragment": (
        [ref("b1", "authors", ["ann", "other.xmi#"])],
        ("bad-value", "b1", "authors"),
    ),
    "too many attribute values": (
        [attr("b1", "scores", [1, 2, 3, 4])],
        ("multiplicity", "b1", "scores"),
    ),
    "too many references": (
        [
            ref("f1", "items", ["b1", "b2", "b1x"]),
            add("b1x", "Book", {"name": "n", "isbn": "i"}, {}),
            ref("lib", "books", ["b1", "b2", "b1x"]),
        ],
        ("multiplicity", "f1", "items"),
    ),
    "missing required attribute": (
        [drop("b1", "attributes", "isbn")],
        ("multiplicity", "b1", "isbn"),
    ),
    "missing inherited required attribute": (
        [drop("f2", "attributes", "name")],
        ("multiplicity", "f2", "name"),
    ),
    "missing required reference": (
        [drop("ann", "references", "card")],
        ("multiplicity", "ann", "card"),
    ),
    "empty required reference": ([ref("ann", "card", [])], ("multiplicity", "ann", "card")),
    "implied end over its bound": (
        [
            add("b3", "Book", {"name": "n", "isbn": "i3"}, {"borrower": ["ann"]}),
            add("b4", "Book", {"name": "n", "isbn": "i4"}, {"borrower": ["ann"]}),
            ref("lib", "books", ["b1", "b2", "b3", "b4"]),
        ],
        ("multiplicity", "ann", "borrowed"),
    ),
    "duplicate id": (
        [add("c1", "Card", {"number": 8}, {}), ref("lib", "cards", ["c1"])],
        ("duplicate-id", "c1", None),
    ),
    "dangling reference": ([ref("f1", "items", ["nope"])], ("dangling-reference", "f1", "items")),
    "wrong target type": ([ref("f1", "items", ["ann"])], ("wrong-target-type", "f1", "items")),
    "contained twice": (
        [ref("lib", "folders", ["f1", "f2"])],
        ("multiple-containers", "f1", "sub"),  # the later listing, in object order
    ),
    "listed twice in one containment": (
        [ref("lib", "cards", ["c1", "c1"])],
        ("multiple-containers", "lib", "cards"),
    ),
    "containment cycle": (
        [ref("lib", "folders", []), ref("f2", "sub", ["f1"])],
        ("containment-cycle", "f1", None),
    ),
    "self containment": (
        [add("f3", "Folder", {"name": "Loop"}, {"sub": ["f3"]})],
        ("containment-cycle", "f3", None),
    ),
    "opposite end contradicts": (
        [ref("ann", "wrote", ["b2"]), ref("b2", "authors", ["ann"])],
        ("opposite-mismatch", "b1", "authors"),
    ),
    "single-valued opposite names another": (
        [
            add("bob", "Member", {"name": "Bob"}, {"card": ["c1"], "borrowed": ["b2"]}),
            ref("lib", "members", ["ann", "bob"]),
        ],
        ("opposite-mismatch", "bob", "borrowed"),
    ),
    "duplicate iD attribute value": (
        [attr("b2", "isbn", "978-0")],
        ("duplicate-id-attribute", "b2", "isbn"),
    ),
    "iD values collide across classes": (
        [attr("ann", "memberId", "L1")],
        ("duplicate-id-attribute", "ann", "memberId"),
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_rule_is_caught_with_its_code_object_and_feature(mm: Metamodel, case: str) -> None:
    edits, expected = BROKEN[case]
    issues = check(mm, *edits)
    assert found(issues) == [expected]
    issue = issues[0]
    assert issue.severity == "error"
    assert issue.hint
    assert issue.object is None or issue.object in issue.message


SATISFIED: dict[str, list[Edit]] = {
    "integer range edges": [
        attr("b1", "tiny", 127),
        attr("b1", "pages", -(2**15)),
        attr("b1", "count", INT_RANGES["int"][0]),
        attr("b1", "big", INT_RANGES["long"][0]),
    ],
    "floats accept ints and fractions": [attr("b1", "weight", 2.75)],
    "big numbers as numbers": [attr("b1", "huge", 10**40), attr("b1", "price", 3)],
    "big numbers as strings": [attr("b1", "huge", "-42"), attr("b1", "price", "-1.5e3")],
    "ISO 8601 date-time with offset": [attr("b1", "published", "2024-05-17T09:30:00.123+02:00")],
    "enum literal by name": [attr("b1", "genre", "POEM")],
    "empty optional list": [attr("b1", "tags", [])],
    "subclass where the superclass is expected": [ref("f1", "items", ["b2"])],
    "opposite given at both ends": [ref("b2", "borrower", ["ann"]), ref("ann", "borrowed", ["b2"])],
    "opposite given at the other end only": [
        drop("b1", "references", "authors"),
        ref("b2", "authors", []),
    ],
    "equal values in non-iD attributes": [attr("b2", "name", "Dune")],
    "a non-containment reference to a contained object": [ref("f2", "items", ["b1", "b2"])],
}


@pytest.mark.parametrize("case", list(SATISFIED), ids=list(SATISFIED))
def test_each_rule_accepts_what_it_allows(mm: Metamodel, case: str) -> None:
    assert check(mm, *SATISFIED[case]) == []


def test_an_omitted_required_end_is_implied_by_its_opposite(mm: Metamodel) -> None:
    text = LIBRARY_ECORE.replace(
        'name="wrote" upperBound="-1"', 'name="wrote" lowerBound="1" upperBound="-1"'
    )
    strict = load_metamodel({"lib.ecore": text})
    assert check(strict) == []  # ann.wrote given
    assert check(strict, drop("ann", "references", "wrote")) == []  # implied by b1.authors
    issues = check(strict, drop("ann", "references", "wrote"), drop("b1", "references", "authors"))
    assert found(issues) == [("multiplicity", "ann", "wrote")]


def test_messages_name_the_value_and_hints_list_the_choices(mm: Metamodel) -> None:
    (issue,) = check(mm, attr("b1", "genre", "ESSAY"))
    assert '"ESSAY"' in issue.message and "Genre" in issue.message
    assert issue.hint is not None and "NOVEL" in issue.hint and "POEM" in issue.hint
    (issue,) = check(mm, attr("b1", "tiny", 300))
    assert "300" in issue.message and "-128" in issue.message and "127" in issue.message
    (issue,) = check(mm, add("x", "Boook", {}, {}))
    assert issue.hint is not None and "'Book'" in issue.hint
    (issue,) = check(mm, attr("b1", "isbm", "x"))
    assert issue.hint is not None and "'isbn'" in issue.hint
    (issue,) = check(mm, ref("f1", "items", ["b11"]))
    assert issue.hint is not None and "'b1'" in issue.hint
    (issue,) = check(mm, add("x", "Named", {"name": "n"}, {}))
    assert issue.hint is not None and "Library" in issue.hint and "Book" in issue.hint


def test_issues_come_in_object_then_feature_order(mm: Metamodel) -> None:
    issues = check(
        mm,
        attr("c1", "number", "seven"),
        attr("b1", "genre", "X"),
        attr("b1", "zzz", 1),
        attr("b1", "tiny", 1000),
        drop("f2", "attributes", "name"),
    )
    assert found(issues) == [
        ("multiplicity", "f2", "name"),
        ("bad-value", "b1", "tiny"),
        ("bad-value", "b1", "genre"),
        ("unknown-feature", "b1", "zzz"),
        ("bad-value", "c1", "number"),
    ]


def test_several_roots_warn_when_one_of_them_could_hold_the_rest(mm: Metamodel) -> None:
    issues = check(mm, ref("lib", "cards", []))
    assert found(issues) == [("several-roots", None, None)]
    assert issues[0].severity == "warning"
    assert issues[0].hint is not None and "lib.cards" in issues[0].hint and "'c1'" in issues[0].hint


def test_several_roots_warn_when_a_new_object_could_hold_them_all(mm: Metamodel) -> None:
    cim = {
        "objects": [
            {"id": "c1", "class": "Card", "attributes": {"number": 1}},
            {"id": "c2", "class": "Card", "attributes": {"number": 2}},
        ]
    }
    issues = validate(mm, parse_cim(cim))
    assert found(issues) == [("several-roots", None, None)]
    assert "Library" in issues[0].message


def test_several_roots_are_fine_when_nothing_could_hold_them(mm: Metamodel) -> None:
    second = add("lib2", "Library", {"name": "Second"}, {})
    assert check(mm, second) == []


def test_unknown_class_objects_still_count_as_ids(mm: Metamodel) -> None:
    issues = check(mm, add("x", "Magazine", {}, {}), ref("f1", "items", ["x"]))
    assert found(issues) == [("unknown-class", "x", None)]


# --- the command line ------------------------------------------------------------------------

runner = CliRunner()


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "lib.ecore").write_text(LIBRARY_ECORE)
    (tmp_path / "good.json").write_text(json.dumps(VALID))
    (tmp_path / "warn.json").write_text(json.dumps(edited(ref("lib", "cards", []))))
    (tmp_path / "bad.json").write_text(json.dumps(edited(attr("b1", "genre", "[ESSAY]"))))
    (tmp_path / "broken.json").write_text('{"objects": [')
    return tmp_path


def run(files: Path, *args: str) -> Any:
    return runner.invoke(app, ["validate", "-m", str(files / "lib.ecore"), *args])


def test_cli_exit_0_for_a_valid_model(files: Path) -> None:
    result = run(files, str(files / "good.json"))
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "0 errors" in result.output


def test_cli_exit_0_with_warnings_only(files: Path) -> None:
    result = run(files, str(files / "warn.json"))
    assert result.exit_code == 0, result.output
    assert "several-roots" in result.output and "1 warning" in result.output


def test_cli_exit_1_and_a_table_for_an_invalid_model(files: Path) -> None:
    result = run(files, str(files / "bad.json"))
    assert result.exit_code == 1
    assert "bad-value" in result.output and "[ESSAY]" in result.output
    assert "invalid" in result.output


def test_cli_json_is_a_list_of_issue_records(files: Path) -> None:
    result = run(files, str(files / "bad.json"), "--json")
    assert result.exit_code == 1
    records = json.loads(result.stdout)
    assert [r["code"] for r in records] == ["bad-value"]
    assert set(records[0]) == {"code", "severity", "object", "feature", "message", "hint"}
    assert (records[0]["object"], records[0]["feature"]) == ("b1", "genre")
    good = run(files, str(files / "good.json"), "--json")
    assert (good.exit_code, json.loads(good.stdout)) == (0, [])


@pytest.mark.parametrize("name", ["broken.json", "missing.json"])
def test_cli_exit_2_for_a_model_that_cannot_be_read(files: Path, name: str) -> None:
    result = run(files, str(files / name))
    assert result.exit_code == 2
    assert name in result.stderr and "Traceback" not in result.output


def test_cli_exit_2_for_a_bad_metamodel(files: Path) -> None:
    (files / "bad.ecore").write_text("<nope/>")
    result = runner.invoke(
        app, ["validate", "-m", str(files / "bad.ecore"), str(files / "good.json")]
    )
    assert result.exit_code == 2
    assert "bad.ecore" in result.stderr


def test_cli_help_teaches_with_an_example() -> None:
    result = runner.invoke(app, ["validate", "--help"])
    assert result.exit_code == 0
    assert "instancegen validate -m" in result.output and "--json" in result.output


def test_external_targets_and_defaults_are_accepted(mm: Metamodel) -> None:
    """A target in another document is kept as it is (its class first where the type is
    abstract), and a required attribute with a default may be left out (EMF reads it)."""
    issues = check(
        mm,
        ref("b1", "authors", ["ann", "people.xmi#//@members.0", "Member people.xmi#m7"]),
        attr("b1", "published", "1965-08-01T10:00"),
        attr("b2", "published", "2024-05-17T09:30:00.123456789+0200"),
    )
    assert issues == []


def test_an_id_holding_a_hash_is_refused(mm: Metamodel) -> None:
    """`f#2` would read as a reference into another document wherever it is listed."""
    cim = edited()
    obj(cim, "f2")["id"] = "f#2"
    obj(cim, "f1")["references"]["sub"] = ["f#2"]
    issues = found(validate(mm, parse_cim(cim)))
    assert ("bad-value", "f#2", None) in issues
