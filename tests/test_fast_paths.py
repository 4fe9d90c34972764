"""The shortcuts taken for speed give exactly what the slow, obvious way gives.

- The XMI compiler writes text itself: it must be byte for byte what lxml's serializer
  writes for the same tree (escaping, indentation), and refuse what XML cannot hold.
- Importers build CimObjects without pydantic's validation (`compilers/_builder.pyx`): they
  must equal validated ones and behave like them.
- `gc_paused` restores the collector as it found it.
"""

from __future__ import annotations

import gc
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from instancegen import compilers
from instancegen.service.core.cim import CimObject, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.gc_pause import gc_paused

BANK = Path(__file__).resolve().parent.parent / "metamodels" / "bank" / "bank.ecore"
MM = load_metamodel([BANK])
HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def _bank(name: str, iban: str, email: str) -> dict[str, object]:
    return {
        "objects": [
            {
                "id": "b",
                "class": "Bank",
                "attributes": {"name": name},
                "references": {"accounts": ["a"], "clients": ["p"]},
            },
            {
                "id": "a",
                "class": "Account",
                "attributes": {"iban": iban, "balance": 2.5},
                "references": {"owners": ["p"]},
            },
            {"id": "p", "class": "Person", "attributes": {"name": name, "email": email}},
        ]
    }


# Characters XML escapes or refuses, often, and anything else now and then.
TEXT = st.text(
    st.sampled_from("&<>\"'\t\n\r ]a\x07\x7f\x85\ufffeü😀") | st.characters(), max_size=12
)


@settings(max_examples=200, deadline=None)
@given(TEXT, TEXT, TEXT)
def test_xmi_text_is_what_lxml_writes(name: str, iban: str, email: str) -> None:
    cim = parse_cim(_bank(name, iban, email))
    try:
        data = compilers.get("xmi").compile(cim, MM)
    except InputError as exc:
        bad = {c for c in name + iban + email if not _xml_char(c)}
        assert bad, exc.message  # refused only for a character XML 1.0 cannot hold
        assert "XML" in exc.message
        return
    assert all(_xml_char(c) for c in name + iban + email)
    root = etree.fromstring(data)
    assert HEADER + etree.tostring(root, encoding="UTF-8", pretty_print=True) == data
    assert root.get("name") == name
    account = root.find("accounts")
    assert account is not None and account.get("iban") == iban


def _xml_char(c: str) -> bool:
    code = ord(c)
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or 0x10000 <= code <= 0x10FFFF
    )


@pytest.mark.parametrize("fmt", ["xmi", "json"])
def test_imported_objects_equal_validated_ones(fmt: str) -> None:
    """The compiled builder makes CimObjects without pydantic; they must be what validation
    makes of the same data, behave like it, and be independent of each other."""
    cim = parse_cim(_bank("Big Bank", "DE01", "pat@example.org"))
    made = compilers.get_importer(fmt).read(compilers.get(fmt).compile(cim, MM), "m", MM).objects
    checked = [CimObject.model_validate(o.model_dump(by_alias=True)) for o in made]
    assert made == checked and len(made) == 3
    assert [o.model_dump(by_alias=True) for o in made] == [
        o.model_dump(by_alias=True) for o in checked
    ]
    assert made[0].model_fields_set == checked[0].model_fields_set
    assert made[0].model_dump_json() == checked[0].model_dump_json()
    made[1].attributes = {"name": "Pat"}  # assignment works and touches only that object
    assert made[1].attributes == {"name": "Pat"} and made[0].attributes == {"name": "Big Bank"}
    assert made[0].model_fields_set == checked[0].model_fields_set
    made[0].references["accounts"].append("x")  # containers are not shared between objects
    assert all(o.references.get("accounts") != made[0].references["accounts"] for o in made[1:])


def _slug_oracle(text: str) -> str:
    """The readable-id slug, the obvious way: words as `_`-joined, else non-word runs as `_`."""
    words = text.split()
    if all(w.isalnum() for w in words):
        return "_".join(words)[:40]
    return re.sub(r"\W+", "_", text).strip("_")[:40]


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from("aZ09 _-.\t\n\x1cÄß") | st.characters(), max_size=50))
def test_imported_ids_from_names_are_the_slugs(name: str) -> None:
    """The compiled importer makes an id from a name in one pass for ASCII text; any name
    gives what the obvious way gives."""
    if any(not _xml_char(c) for c in name) or "\r" in name:
        return  # not text XML can carry as it is
    cim = parse_cim(_bank("B", "DE01", "e"))
    cim.objects[2].attributes["name"] = name
    xmi = compilers.get("xmi").compile(cim, MM)
    person = compilers.get_importer("xmi").read(xmi, "m", MM).objects[2]
    slug = _slug_oracle(name.lower())
    assert person.id == (f"person_{slug}" if slug else "person1")


def test_gc_paused_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
