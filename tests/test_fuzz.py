"""Fuzzing: arbitrary CIM-shaped JSON and mutated XMI only ever meet clean refusals.

Whatever the input, the validator returns issues, the compilers return bytes or raise
InputError, and the importers return a CIM or raise InputError: never another exception.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from instancegen import compilers
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.resources.model_io import read_model

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank"
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK / "bank.ecore"])


def _names(mm: Metamodel) -> list[str]:
    names = {"", "id", "class", "name", "owners", "x" * 300}
    for cls in mm.classes.values():
        names.add(cls.key)
        names.update(f.name for f in cls.features)
    return sorted(names)


BANK_NAMES = _names(load_metamodel([BANK / "bank.ecore"]))
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([*BANK_NAMES, "2024-01-01T00:00:00", "ü\x00\ud7ff", "a" * 1000]),
    st.text(max_size=8),
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
IDS = st.sampled_from(["a", "b", "c", "bank", "", "a"])


@st.composite
def cim_shaped(draw: st.DrawFn) -> Any:
    """Mostly CIM-shaped documents with wrong classes, features, values and ids mixed in."""
    obj = st.fixed_dictionaries(
        {
            "id": IDS | SCALARS,
            "class": st.sampled_from(BANK_NAMES) | SCALARS,
            "attributes": st.dictionaries(st.sampled_from(BANK_NAMES), JSONISH, max_size=4)
            | JSONISH,
            "references": st.dictionaries(
                st.sampled_from(BANK_NAMES), st.lists(IDS, max_size=4) | JSONISH, max_size=3
            )
            | JSONISH,
        },
        optional={"extra": JSONISH},
    )
    doc: Any = {"objects": draw(st.lists(obj, max_size=6))}
    return draw(st.sampled_from([doc, doc, doc, doc["objects"], {"objects": "x"}, None]))


@FUZZ
@given(doc=cim_shaped())
def test_cim_json_gets_issues_or_clean_refusal(bank: Metamodel, doc: Any) -> None:
    raw = json.dumps(doc, allow_nan=True).encode()
    try:
        cim = parse_cim(raw, "fuzz.json")
    except InputError as exc:
        assert exc.message.startswith("fuzz.json") and "\n" not in exc.message
        return
    issues = validate(bank, cim)
    assert all(i.severity in ("error", "warning") and i.message for i in issues)
    for name in ("xmi", "json", "cim", "dot"):
        try:
            out = compilers.get(name).compile(cim, bank)
        except InputError as exc:
            assert exc.message
        else:
            assert isinstance(out, bytes)


def _reference_xmi(mm: Metamodel) -> bytes:
    cim = parse_cim((BANK / "reference.json").read_bytes(), "reference.json")
    return compilers.get("xmi").compile(cim, mm)


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """Byte-level and token-level mutations of a valid XMI document."""
    text = data.decode()
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "swap-token", "truncate"]))
        if kind == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 20)) :]
        elif kind == "insert":
            piece = draw(
                st.sampled_from(
                    [
                        "<x/>",
                        ' xsi:type="bank:Nope"',
                        ' href="other.xmi#//@a.0"',
                        ' xsi:nil="true"',
                        "//@accounts.99",
                        "&amp;",
                        "<!DOCTYPE x>",
                        '"',
                        "<accounts/>",
                        ' owners="//@clients.0 //@clients.0"',
                        "/1/@x.0",
                        ' balance="abc"',
                    ]
                )
            )
            text = text[:pos] + piece + text[pos:]
        elif kind == "swap-token":
            old = draw(st.sampled_from(["Account", "Person", "owners", "accounts", "@", ".0"]))
            new = draw(st.sampled_from(["Bank", "Nope", "clients", "name", "#", ".7"]))
            text = text.replace(old, new, 1)
        else:
            text = text[:pos]
    return text.encode()


@FUZZ
@given(data=st.data())
def test_mutated_xmi_imports_or_is_refused(bank: Metamodel, data: st.DataObject) -> None:
    raw = data.draw(mutated(_reference_xmi(bank)))
    try:
        cim = read_model(raw, "fuzz.xmi", bank)
    except InputError as exc:
        assert "\n" not in exc.message
        return
    validate(bank, cim)


@FUZZ
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(str.encode))
def test_arbitrary_bytes_are_refused_cleanly(bank: Metamodel, raw: bytes) -> None:
    with contextlib.suppress(InputError):
        read_model(raw, "noise", bank)


SUITE_CASES = sorted(p.parent for p in (ROOT / "metamodels" / "suite").glob("*/reference.json"))


@pytest.mark.parametrize("case", SUITE_CASES, ids=lambda p: p.name)
@settings(max_examples=25, deadline=None)
@given(junk=st.lists(SCALARS | st.lists(SCALARS, max_size=2), min_size=1, max_size=5))
def test_junk_values_in_bundled_models_meet_clean_refusals(case: Path, junk: list[Any]) -> None:
    """Every attribute of every bundled reference model replaced by junk, one format at a time."""
    mm = _suite_metamodel(case)
    doc = json.loads((case / "reference.json").read_text())
    slots = [(o, k) for o in doc["objects"] for k in o["attributes"]]
    for n, (obj, key) in enumerate(slots):
        obj["attributes"][key] = junk[n % len(junk)]
    cim = parse_cim(doc, "junk")
    validate(mm, cim)
    for name in ("xmi", "json", "dot", "cim"):
        try:
            out = compilers.get(name).compile(cim, mm)
        except InputError as exc:
            assert "\n" not in exc.message
        else:
            assert isinstance(out, bytes)


_SUITE_MMS: dict[Path, Metamodel] = {}


def _suite_metamodel(case: Path) -> Metamodel:
    if case not in _SUITE_MMS:
        _SUITE_MMS[case] = load_metamodel(sorted(case.glob("*.ecore")))
    return _SUITE_MMS[case]
