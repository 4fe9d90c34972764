"""The importers' two back halves agree: the compiled accelerator (`compilers/_builder.pyx`,
`_xmi_reader.pyx`) and the plain Python path (`compilers.import_builder`, `xmi_walk`) give the
same CIM, or the same error, for the same document."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import metamodels, valid_cims

from instancegen import compilers
from instancegen.compilers import import_builder, xmi_walk
from instancegen.service.core.cim import Cim, CimObject, shortcut_holds, trusted_object
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.xmlsafe import parse_xml
from instancegen.service.resources.model_io import read_model_file

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xmi"
FIXTURE_METAMODELS = {
    "ledger-paths.xmi": ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore",
    "ledger-ids.xmi": ROOT / "metamodels" / "suite" / "bank-ledger" / "ledger.ecore",
    "bank-multiroot.xmi": BANK,
}

Outcome = dict[str, Any] | str  # the CIM as JSON, or the error message


def _compiled() -> tuple[Any, Any]:
    try:
        builder = importlib.import_module("instancegen.compilers._builder")
        reader = importlib.import_module("instancegen.compilers._xmi_reader")
    except ImportError:
        builder = reader = None
    require(
        builder is not None,
        "the compiled importer (compilers/_builder.pyx)",
        "a C compiler, then `pip install -e .` or `python setup.py build_ext --inplace`",
    )
    return builder.CimBuilder, reader.read_xmi


def _import(
    data: bytes, mm: Metamodel, name: str, builder_class: Any, read: Callable[..., None]
) -> Outcome:
    try:
        root = parse_xml(data, name).getroot()
        builder = builder_class(name)
        read(root, mm, name, builder)
        return dict(builder.finish().to_json())
    except InputError as exc:
        return exc.message


def _both(data: bytes, mm: Metamodel, name: str = "m.xmi") -> tuple[Outcome, Outcome]:
    fast = _import(data, mm, name, *_compiled())
    plain = _import(data, mm, name, import_builder.CimBuilder, xmi_walk.read_xmi)
    return fast, plain


def _corpus() -> list[tuple[str, Path, bytes]]:
    cases = [(name, mm, (FIXTURES / name).read_bytes()) for name, mm in FIXTURE_METAMODELS.items()]
    for case in sorted((ROOT / "metamodels" / "suite").iterdir()):
        ecores = sorted(case.glob("*.ecore"))
        ref = case / "reference.json"
        if len(ecores) != 1 or not ref.is_file():
            continue
        mm = load_metamodel(ecores)
        model = read_model_file(ref, mm)
        for ids in ("paths", "xmi"):
            options = {"ids": "xmi"} if ids == "xmi" else {}
            data = compilers.get("xmi").compile(model, mm, **options)
            cases.append((f"{case.name}-{ids}", ecores[0], data))
    return cases


CORPUS = _corpus()


@pytest.mark.parametrize(("name", "ecore", "data"), CORPUS, ids=[c[0] for c in CORPUS])
def test_both_paths_read_the_corpus_alike(name: str, ecore: Path, data: bytes) -> None:
    fast, plain = _both(data, load_metamodel([ecore]), name)
    assert isinstance(fast, dict), fast
    assert fast == plain


BAD_BANK = {
    "unknown feature": '<bank:Bank {ns} name="b" colour="red"/>',
    "abstract class": '<bank:NamedElement {ns} name="x"/>',
    "bad value": '<bank:Bank {ns} name="b"><accounts iban="A" balance="lots"/></bank:Bank>',
    "bad enum": '<bank:Bank {ns} name="b"><accounts iban="A" kind="GOLD"/></bank:Bank>',
    "dangling": '<bank:Bank {ns} name="b"><accounts iban="A" owners="nobody"/></bank:Bank>',
    "other document, no object": (
        '<bank:Bank {ns} name="b"><accounts iban="A" owners="other.xmi#"/></bank:Bank>'
    ),
    "malformed path": (
        '<bank:Bank {ns} name="b"><clients name="c"/>'
        '<accounts iban="A" owners="//@clients.x"/></bank:Bank>'
    ),
    "bad path": '<bank:Bank {ns} name="b"><accounts iban="A" owners="//@clients.7"/></bank:Bank>',
    "empty href": (
        '<bank:Bank {ns} name="b"><accounts iban="A"><owners href=""/></accounts></bank:Bank>'
    ),
    "wrong namespace": '<x:Bank xmlns:x="urn:other" name="b"/>',
    "containment as attribute": '<bank:Bank {ns} name="b" accounts="A"/>',
    "undeclared type prefix": '<bank:Bank {ns} name="b"><clients xsi:type="zz:P"/></bank:Bank>',
}
NS = (
    'xmlns:bank="http://instancegen.example/bank" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"'
)


@pytest.mark.parametrize("case", sorted(BAD_BANK))
def test_both_paths_refuse_alike(case: str) -> None:
    data = BAD_BANK[case].replace("{ns}", NS).encode()
    fast, plain = _both(data, load_metamodel([BANK]))
    assert isinstance(fast, str), f"{case}: the compiled importer accepted it"
    assert fast == plain


@given(
    st.lists(
        st.text(alphabet="/@.0123456789[]=' clientsaounb#", min_size=1, max_size=24),
        min_size=1,
        max_size=3,
    )
)
@settings(max_examples=150, deadline=None)
def test_both_paths_resolve_any_token_alike(tokens: list[str]) -> None:
    """Fragment paths, ids and hrefs, well-formed or not, resolve (or fail) the same way."""
    owners = " ".join(t.replace('"', "") for t in tokens)
    data = (
        f'<bank:Bank {NS} name="b"><accounts iban="A" owners="{owners}"/>'
        '<clients name="Ann"/><clients name="Bob" accounts="A"/></bank:Bank>'
    ).encode()
    fast, plain = _both(data, load_metamodel([BANK]))
    assert fast == plain


@given(st.data())
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
def test_both_paths_agree_on_generated_models(data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    cim = data.draw(valid_cims(mm))
    for options in ({}, {"ids": "xmi"}):
        xmi = compilers.get("xmi").compile(cim, mm, **options)
        fast, plain = _both(xmi, mm)
        assert fast == plain


def test_trusted_objects_are_what_model_construct_makes() -> None:
    """The importers' shortcut past pydantic's validation holds on the installed pydantic."""
    assert shortcut_holds(trusted_object)
    made = trusted_object("a", "Bank", {"name": "b"}, {"accounts": ["x"]})
    assert made == CimObject.model_construct(
        id="a", class_="Bank", attributes={"name": "b"}, references={"accounts": ["x"]}
    )
    assert Cim(objects=[made]).objects[0].class_ == "Bank"


def test_a_shortcut_that_does_not_hold_is_detected() -> None:
    def wrong(oid: str, class_: str, attributes: Any, references: Any) -> CimObject:
        return CimObject.model_construct(id=oid, class_=class_ + "x")

    assert not shortcut_holds(wrong)
