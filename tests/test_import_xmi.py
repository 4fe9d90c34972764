"""The XMI importer: Eclipse-style files in, readable CIMs out; hostile or foreign XML refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from instancegen import compilers
from instancegen.service.core.cim import Cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.resources.model_io import read_model

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xmi"
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
LEDGER = ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore"


def _read(fixture: str, ecore: Path) -> Cim:
    path = FIXTURES / fixture
    return compilers.get_importer("xmi").read(path.read_bytes(), path.name, load_metamodel([ecore]))


def _by_id(cim: Cim) -> dict[str, dict]:
    return {o.id: o.model_dump(by_alias=True) for o in cim.objects}


def test_fragment_paths_id_attributes_types_and_values() -> None:
    objs = _by_id(_read("ledger-paths.xmi", LEDGER))
    # Ids are readable: the iD attribute value, else class + name.
    assert "DE89370400440532013000" in objs and "C-100" in objs
    bank = next(o for o in objs.values() if o["class"] == "Bank")
    assert bank["id"] == "bank_sparkasse_köln_bonn_süd"
    assert bank["attributes"]["name"] == "Sparkasse Köln & Bonn <Süd>"
    checking = objs["DE89370400440532013000"]
    assert checking["class"] == "CheckingAccount"  # from xsi:type
    assert checking["attributes"]["openedOn"] == "2021-04-01T09:30:00Z"
    assert checking["references"]["holder"] == ["C-100"]  # an iD-attribute reference
    first, second = checking["references"]["transactions"]
    assert objs[first]["references"]["counterparty"] == ["DE75512108001245126199"]  # a path
    assert objs[first]["attributes"]["description"] == 'Miete März\n"Wohnung" — 3 Zi.'
    assert objs[second]["attributes"] == {
        "date": "2024-03-02T00:00:00Z",
        "amount": 0.0001,
        "kind": "FEE",
    }
    zoe = objs["C-100"]
    assert zoe["attributes"]["phoneNumbers"] == ["+49 221 123", "0171 555<1>"]
    assert zoe["attributes"]["birthDate"] == "1990-12-31T23:59:59.999Z"
    assert "industry" not in objs["C-200"]["attributes"]  # xsi:nil
    assert [o.id for o in _read("ledger-paths.xmi", LEDGER).objects][:3] == [
        bank["id"],
        "KOE-1",
        "DE89370400440532013000",
    ]  # document order


def test_xmi_ids_hrefs_attribute_form_lists_and_element_form_values() -> None:
    objs = _by_id(_read("ledger-ids.xmi", LEDGER))
    # The iD attribute value wins over xmi:id for readability; references resolve either way.
    assert objs["DE01"]["references"]["holder"] == ["K1"]
    t1, t2 = objs["DE01"]["references"]["transactions"]
    assert t1 == "_t1"  # no iD attribute: the xmi:id
    assert objs[t1]["references"]["counterparty"] == ["DE02"]  # href="#_acc2"
    assert objs[t2]["references"]["counterparty"] == ["DE02"]  # href="ledger-ids.xmi#DE02"
    assert objs["K1"]["attributes"]["phoneNumbers"] == ["0301", "0302"]
    assert objs["K1"]["references"]["accounts"] == ["DE01", "DE02"]
    assert objs["K2"]["attributes"]["name"] == "Bolt AG"


def test_several_roots_and_root_numbered_paths() -> None:
    cim = _read("bank-multiroot.xmi", BANK)
    objs = _by_id(cim)
    roots = [o for o in objs.values() if o["class"] == "Bank"]
    assert [r["id"] for r in roots] == ["bank_north_bank", "bank_south_bank"]
    assert objs["N1"]["references"]["owners"] == ["person_sam", "person_nora"]
    assert objs["person_sam"]["references"]["accounts"] == ["N1", "S1"]


def test_model_io_tells_xmi_cim_and_emf_json_apart() -> None:
    mm = load_metamodel([BANK])
    xmi = (FIXTURES / "bank-multiroot.xmi").read_bytes()
    cim = read_model(xmi, "m.xmi", mm)
    as_json = compilers.get("json").compile(cim, mm)
    assert read_model(as_json, "m.json", mm) == read_model(
        compilers.get("cim").compile(cim, mm), "m.cim.json", mm
    )


BAD = {
    "entity": (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank" name="&e;"/>',
        "DOCTYPE",
    ),
    "not xml": (b"<bank:Bank", "not well-formed"),
    "foreign": (b"<html><body/></html>", "not a model of this metamodel"),
    "unknown class": (
        b'<bank:Vault xmlns:bank="http://instancegen.example/bank"/>',
        "no class 'Vault'",
    ),
    "unknown feature": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank" vault="1"/>',
        "no feature 'vault'",
    ),
    "bad value": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<accounts iban="A" balance="lots"/></bank:Bank>',
        "'lots' is not a valid EDouble",
    ),
    "dangling": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<accounts iban="A" owners="//@clients.3"/></bank:Bank>',
        "not in the document",
    ),
    "other document, no object": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<accounts iban="A" owners="other.xmi#"/></bank:Bank>',
        "names a document but no object in it",
    ),
    "malformed path index": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<clients name="x"/><accounts iban="A" owners="//@clients.x"/></bank:Bank>',
        "no fragment path EMF can read",
    ),
    "malformed path segment": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<clients name="x"/><accounts iban="A" owners="//clients.0"/></bank:Bank>',
        "no fragment path EMF can read",
    ),
    "abstract": (
        b'<bank:NamedElement xmlns:bank="http://instancegen.example/bank"/>',
        "abstract",
    ),
    "empty target": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank" '
        b'xmlns:xmi="http://www.omg.org/XMI"><accounts iban="A"><owners xmi:idref=""/>'
        b"</accounts></bank:Bank>",
        "refers to '', which is not in the document",
    ),
    "element in an attribute": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank" accounts="x"/>',
        "its objects must be nested elements",
    ),
    "no target": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank">'
        b'<accounts iban="A"><owners/></accounts></bank:Bank>',
        "<owners> names no target",
    ),
    "undeclared prefix": (
        b'<bank:Bank xmlns:bank="http://instancegen.example/bank" '
        b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b'<accounts xsi:type="nope:Account" iban="A"/></bank:Bank>',
        "undeclared namespace prefix",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_xmi_is_one_clear_input_error(case: str) -> None:
    data, expected = BAD[case]
    with pytest.raises(InputError) as exc:
        compilers.get_importer("xmi").read(data, "bad.xmi", load_metamodel([BANK]))
    message = exc.value.message
    assert message.startswith("bad.xmi") and expected in message
    assert "\n" not in message and "Traceback" not in message
