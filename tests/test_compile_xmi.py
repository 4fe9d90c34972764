"""The XMI compiler: what it writes, and that real Eclipse EMF loads every file cleanly."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from lxml import etree

from instancegen import compilers
from instancegen.compilers._tree import ModelTree
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.validator import validate
from instancegen.service.core.values import emf_date, java_double, java_float

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
XMI = "{http://www.omg.org/XMI}"
XSI = "{http://www.w3.org/2001/XMLSchema-instance}"
CASES = sorted(p.parent for p in ROOT.glob("metamodels/**/reference.json"))


def _cim(objects: list[dict]) -> Cim:
    return parse_cim({"objects": objects})


def _bank_cim() -> Cim:
    return parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())


def _xmi(cim: Cim, ecores: list[Path], **options: object) -> etree._Element:
    data = compilers.get("xmi").compile(cim, load_metamodel(ecores), **options)
    return etree.fromstring(data)


def test_registry_lists_builtins_and_names_them_on_a_typo() -> None:
    assert {"xmi", "json", "cim", "dot", "svg", "xml"} <= set(compilers.available())
    assert {"xmi", "json", "xml"} <= set(compilers.importers())
    with pytest.raises(InputError) as exc:
        compilers.get("xsd")
    assert "'xsd'" in exc.value.message and "xmi" in exc.value.message
    compiler = compilers.get("xmi")
    assert (compiler.media_type, compiler.extension) == ("application/xmi+xml", "xmi")


@pytest.mark.parametrize(
    ("value", "java"),
    [
        (100.0, "100.0"),
        (0.001, "0.001"),
        (1e-4, "1.0E-4"),
        (1e10, "1.0E10"),
        (1e7, "1.0E7"),
        (9999999.0, "9999999.0"),
        (12345678.5, "1.23456785E7"),
        (-300.25, "-300.25"),
        (-0.0, "-0.0"),
        (float("inf"), "Infinity"),
    ],
)
def test_doubles_are_spelled_like_javas_double_to_string(value: float, java: str) -> None:
    assert java_double(value) == java


def test_floats_use_float32_shortest_digits_and_dates_emfs_pattern() -> None:
    assert java_float(0.1) == "0.1"
    assert java_float(1e10) == "1.0E10"
    assert emf_date("2024-03-01T10:00:00+01:00") == "2024-03-01T09:00:00.000+0000"
    assert emf_date("2024-03-01") == "2024-03-01T00:00:00.000+0000"
    assert emf_date("2024-03-01T10:00:00.25Z") == "2024-03-01T10:00:00.250+0000"


def test_bank_reference_matches_what_emf_writes() -> None:
    root = _xmi(_bank_cim(), [BANK])
    assert root.tag == "{http://instancegen.example/bank}Bank"
    assert root.get(f"{XMI}version") == "2.0"
    assert root.nsmap == {"xmi": XMI[1:-1], "bank": "http://instancegen.example/bank"}
    accounts = root.findall("accounts")
    # Defaults are left out: CHECKING is the first literal of AccountKind.
    assert accounts[0].get("kind") is None and accounts[1].get("kind") == "SAVINGS"
    assert accounts[1].get("owners") == "//@clients.0 //@clients.1"
    # Account has an iD attribute (iban): EMF refers to accounts by it.
    assert root.findall("clients")[0].get("accounts") == "DE01 DE02"
    assert accounts[2].get("balance") == "-300.0"


def test_xsi_type_only_where_the_class_differs_from_the_feature_type() -> None:
    mm = [ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore"]
    cim = _cim(
        [
            {
                "id": "b",
                "class": "Bank",
                "attributes": {"name": "B", "bic": "X"},
                "references": {"branches": ["br"], "customers": ["c"]},
            },
            {
                "id": "br",
                "class": "Branch",
                "attributes": {"name": "n", "code": "C1"},
                "references": {"accounts": ["a"]},
            },
            {
                "id": "a",
                "class": "SavingsAccount",
                "attributes": {"iban": "I1", "currency": "GBP"},
                "references": {"holder": ["c"]},
            },
            {
                "id": "c",
                "class": "PrivateCustomer",
                "attributes": {"name": "P", "customerNumber": "K1"},
            },
        ]
    )
    root = _xmi(cim, mm)
    branch = root.find("branches")
    assert branch is not None and branch.get(f"{XSI}type") is None
    account = branch.find("accounts")
    assert account is not None and account.get(f"{XSI}type") == "ledger:SavingsAccount"
    # The opposite end (Customer.accounts) was not given: the compiler writes it anyway.
    customer = root.find("customers")
    assert customer is not None and customer.get("accounts") == "I1"


def test_several_roots_get_an_xmi_wrapper_and_numbered_fragments() -> None:
    cim = _cim(
        [
            {"id": "p", "class": "Person", "attributes": {"name": "Lone"}},
            {
                "id": "b",
                "class": "Bank",
                "attributes": {"name": "B"},
                "references": {"accounts": ["a"]},
            },
            {
                "id": "a",
                "class": "Account",
                "attributes": {"iban": "X1"},
                "references": {"owners": ["p"]},
            },
        ]
    )
    root = _xmi(cim, [BANK])
    assert root.tag == f"{XMI}XMI"
    assert [etree.QName(c).localname for c in root] == ["Person", "Bank"]
    assert root[1][0].get("owners") == "/0"
    assert root[0].get("accounts") == "X1"


def test_ids_option_writes_xmi_ids_and_refers_by_them() -> None:
    root = _xmi(_bank_cim(), [BANK], ids="xmi")
    assert root.get(f"{XMI}id") == "db"
    assert root.findall("accounts")[1].get("owners") == "alice bob"


def test_colliding_id_attribute_values_fall_back_to_paths() -> None:
    cim = _cim(
        [
            {
                "id": "b",
                "class": "Bank",
                "attributes": {"name": "B"},
                "references": {"accounts": ["a1", "a2"], "clients": ["p"]},
            },
            {"id": "a1", "class": "Account", "attributes": {"iban": "SAME"}},
            {"id": "a2", "class": "Account", "attributes": {"iban": "SAME"}},
            {
                "id": "p",
                "class": "Person",
                "attributes": {"name": "P"},
                "references": {"accounts": ["a1", "a2"]},
            },
        ]
    )
    tree = ModelTree(cim, load_metamodel([BANK]))
    assert tree.fragment("a2") == "//@accounts.1"
    assert tree.fragment("p") == "//@clients.0"


def test_structural_breakage_is_a_clear_input_error() -> None:
    mm = load_metamodel([BANK])
    dangling = _cim([{"id": "b", "class": "Bank", "references": {"accounts": ["ghost"]}}])
    with pytest.raises(InputError, match="'ghost'"):
        compilers.get("xmi").compile(dangling, mm)
    twice = _cim(
        [
            {"id": "b1", "class": "Bank", "references": {"accounts": ["a"]}},
            {"id": "b2", "class": "Bank", "references": {"accounts": ["a"]}},
            {"id": "a", "class": "Account", "attributes": {"iban": "X"}},
        ]
    )
    with pytest.raises(InputError, match="contained twice"):
        compilers.get("xmi").compile(twice, mm)
    control = _cim([{"id": "b", "class": "Bank", "attributes": {"name": "bell\x07"}}])
    with pytest.raises(InputError, match="XML"):
        compilers.get("xmi").compile(control, mm)


def test_an_infinite_int_is_a_clear_input_error_not_an_overflow() -> None:
    """An EInt has no infinity: the value is refused, as any other unwritable value is."""
    mm = load_metamodel([ROOT / "metamodels" / "suite" / "university-courses" / "university.ecore"])
    for value in (float("inf"), float("-inf")):
        cim = _cim(
            [{"id": "s", "class": "Student", "attributes": {"name": "A", "semester": value}}]
        )
        with pytest.raises(InputError, match="not a valid EInt"):
            compilers.get("xmi").compile(cim, mm)


def test_schema_location_points_at_the_ecore(emf, tmp_path: Path) -> None:
    ecore = tmp_path / "mm" / "bank.ecore"
    ecore.parent.mkdir()
    ecore.write_bytes(BANK.read_bytes())
    out = tmp_path / "model.xmi"
    root_ns = "http://instancegen.example/bank"
    data = compilers.get("xmi").compile(
        _bank_cim(), load_metamodel([ecore]), schema_location={root_ns: "mm/bank.ecore"}
    )
    out.write_bytes(data)
    assert etree.fromstring(data).get(f"{XSI}schemaLocation") == f"{root_ns} mm/bank.ecore"
    (result,) = emf([ecore], [out])
    assert result.errors == []


def test_every_bundled_reference_model_loads_in_emf(emf, tmp_path: Path) -> None:
    """Each reference CIM, compiled with fragments and with xmi:ids: zero EMF errors, and EMF
    sees the same model either way, with every object present."""
    assert CASES, "no bundled reference models found"
    for case in CASES:
        ecores = sorted(case.glob("*.ecore"))
        mm = load_metamodel(ecores)
        cim = parse_cim((case / "reference.json").read_bytes())
        assert not [i for i in validate(mm, cim) if i.severity == "error"], case
        files = []
        for variant, options in (("frag", {}), ("ids", {"ids": "xmi"})):
            path = tmp_path / f"{case.name}-{variant}.xmi"
            path.write_bytes(compilers.get("xmi").compile(cim, mm, **options))
            files.append(path)
        frag, ids = emf(ecores, files)
        assert frag.errors == [] and ids.errors == [], (case, frag.errors, ids.errors)
        assert frag.canonical == ids.canonical, case
        assert sum(" : " in line for line in frag.canonical) == len(cim.objects), case


def test_bank_canonical_view_states_the_cims_links(emf, tmp_path: Path) -> None:
    cim = _bank_cim()
    # Give only one end of each Account.owners/Person.accounts pair.
    one_sided = copy.deepcopy(cim)
    for obj in one_sided.objects:
        if obj.class_ == "Person":
            obj.references = {}
    paths = []
    for name, model in (("both", cim), ("one", one_sided)):
        p = tmp_path / f"{name}.xmi"
        p.write_bytes(compilers.get("xmi").compile(model, load_metamodel([BANK])))
        paths.append(p)
    both, one = emf([BANK], paths)
    assert both.errors == [] and one.errors == []
    assert both.canonical == one.canonical
    assert "#0/accounts[1].owners -> [#0/clients[0], #0/clients[1]]" in both.canonical
    assert "#0/clients[0].accounts -> [#0/accounts[0], #0/accounts[1]]" in both.canonical
    assert '#0/accounts[0].balance = "1250.5"' in both.canonical


def test_text_escaping_non_ascii_and_dates_survive_emf(emf, tmp_path: Path) -> None:
    ledger = ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore"
    name = "Ä & <Ö> \"quoted\" 'single'\tTab\nNewline 😀"
    cim = _cim(
        [
            {
                "id": "b",
                "class": "Bank",
                "attributes": {"name": name, "bic": "X"},
                "references": {"branches": ["br"], "customers": ["c"]},
            },
            {
                "id": "br",
                "class": "Branch",
                "attributes": {"name": "n", "code": "C1"},
                "references": {"accounts": ["a"]},
            },
            {
                "id": "a",
                "class": "CheckingAccount",
                "attributes": {
                    "iban": "I1",
                    "currency": "EUR",
                    "openedOn": "2024-03-01T10:00:00+02:00",
                },
                "references": {"holder": ["c"]},
            },
            {
                "id": "c",
                "class": "PrivateCustomer",
                "attributes": {"name": "P", "customerNumber": "K1", "phoneNumbers": ["1 2", "<3>"]},
            },
        ]
    )
    path = tmp_path / "text.xmi"
    path.write_bytes(compilers.get("xmi").compile(cim, load_metamodel([ledger])))
    (result,) = emf([ledger], [path])
    assert result.errors == []
    expected_name = name.replace("\\", "\\\\").replace('"', '\\"')
    assert f'#0.name = "{expected_name}"' in [
        line.replace("\\t", "\t").replace("\\n", "\n") for line in result.canonical
    ]
    assert '#0/branches[0]/accounts[0].openedOn = "2024-03-01T08:00:00.000+0000"' in (
        result.canonical
    )
    assert '#0/customers[0].phoneNumbers = ["1 2", "<3>"]' in result.canonical


SELF_PAIR_ECORE = """<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="gen" nsURI="http://example.org/gen"
    nsPrefix="gen">
  <eClassifiers xsi:type="ecore:EClass" name="C0">
    <eStructuralFeatures xsi:type="ecore:EReference" name="r4" eType="#//C0" eOpposite="#//C0/r3"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="r3" eType="#//C0" eOpposite="#//C0/r4"/>
    <eStructuralFeatures xsi:type="ecore:EReference" name="kids" upperBound="-1" eType="#//C0"
        containment="true"/>
  </eClassifiers>
</ecore:EPackage>
"""


def test_an_object_paired_with_itself_keeps_both_ends_in_emf(emf, tmp_path: Path) -> None:
    """EMF's loader drops a single-valued eOpposite pair onto the same object written as a
    path; the compiler refers to such an object by an xmi:id so EMF keeps the pair."""
    ecore = tmp_path / "gen.ecore"
    ecore.write_text(SELF_PAIR_ECORE)
    cim = _cim(
        [
            {"id": "a", "class": "C0", "references": {"kids": ["b", "c"]}},
            {"id": "b", "class": "C0", "references": {"r4": ["b"]}},
            {"id": "c", "class": "C0", "references": {"r4": ["a"]}},
        ]
    )
    paths = []
    for name, options in (("frag", {}), ("ids", {"ids": "xmi"})):
        path = tmp_path / f"{name}.xmi"
        path.write_bytes(compilers.get("xmi").compile(cim, load_metamodel([ecore]), **options))
        paths.append(path)
    frag, ids = emf([ecore], paths)
    assert frag.errors == [] and ids.errors == []
    assert "#0/kids[0].r3 -> #0/kids[0]" in frag.canonical
    assert "#0/kids[0].r4 -> #0/kids[0]" in frag.canonical
    assert frag.canonical == ids.canonical
