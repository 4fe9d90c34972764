"""XMLType values: what the validator accepts, every compiler writes, the XSD takes, and EMF
loads as the same value, for random values of each XMLType data type (issue 30's property).

The metamodel is generated (tests/xsd_fixtures.py): one attribute per XMLType type, and the
XML Schema it would come from. Each example is one document with several items, written as
XML and as XMI; one EMF run checks both, lxml checks the XML against the schema.
"""

from __future__ import annotations

import base64
import json
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from lxml import etree
from xsd_fixtures import TYPES, attribute_name, values_metamodel

from instancegen import compilers
from instancegen.service.core import values
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.core.xsd_types import XsdType, base_name


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Metamodel, Any]:
    directory = tmp_path_factory.mktemp("xsdvalues")
    ecore, xsd = values_metamodel(directory)
    return ecore, load_metamodel([ecore]), etree.XMLSchema(etree.parse(str(xsd)))


_NAME = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,8}", fullmatch=True)
_ZONE = st.sampled_from(["", "Z", "+01:00", "-05:30", "+14:00"])
_DAYS = st.dates(min_value=__import__("datetime").date(1, 1, 1))
_TIMES = st.times()


def _time(t: Any) -> str:
    text = t.strftime("%H:%M:%S")
    return text + (f".{t.microsecond:06d}".rstrip("0") if t.microsecond else "")


def _tokens(item: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.lists(item, min_size=1, max_size=4).flatmap(
        lambda xs: st.sampled_from([" ", "  ", "\t", " \n "]).map(lambda sep: sep.join(xs))
    )


def _of(t: XsdType) -> st.SearchStrategy[Any]:
    """Values of one type, mostly valid, some outside its range or lexical space."""
    name = base_name(t.xsd)
    junk = st.sampled_from(["", " ", "x y", "1.5", "-1", "\x0b", "--", "P"])
    if t.kind == "bool":
        return st.booleans()
    if t.kind in ("int", "bigint"):
        return st.integers(min_value=-(2**66), max_value=2**66) | st.integers(-300, 70_000)
    if t.kind == "float":
        return st.floats(allow_nan=False, allow_infinity=False, width=32 if name == "float" else 64)
    if t.kind == "decimal":
        return st.decimals(allow_nan=False, allow_infinity=False, places=4).map(str) | st.floats(
            allow_nan=False, allow_infinity=False
        )
    dated: dict[str, st.SearchStrategy[str]] = {
        "date": st.tuples(_DAYS, _ZONE).map(lambda p: p[0].isoformat() + p[1]),
        "dateTime": st.tuples(_DAYS, _TIMES, _ZONE).map(
            lambda p: f"{p[0].isoformat()}T{_time(p[1])}{p[2]}"
        ),
        "time": st.tuples(_TIMES, _ZONE).map(lambda p: _time(p[0]) + p[1]),
        "gYear": st.tuples(_DAYS, _ZONE).map(lambda p: f"{p[0].year:04d}{p[1]}"),
        "gYearMonth": st.tuples(_DAYS, _ZONE).map(
            lambda p: f"{p[0].year:04d}-{p[0].month:02d}{p[1]}"
        ),
        "gMonth": st.tuples(_DAYS, _ZONE).map(lambda p: f"--{p[0].month:02d}{p[1]}"),
        "gMonthDay": st.tuples(_DAYS, _ZONE).map(
            lambda p: f"--{p[0].month:02d}-{p[0].day:02d}{p[1]}"
        ),
        "gDay": st.tuples(_DAYS, _ZONE).map(lambda p: f"---{p[0].day:02d}{p[1]}"),
        "duration": st.from_regex(
            r"-?P([0-9]{1,3}Y)?([0-9]{1,2}M)?([0-9]{1,2}D)?(T([0-9]{1,2}H)?([0-9]{1,2}M)?"
            r"([0-9]{1,2}(\.[0-9]{1,3})?S)?)?",
            fullmatch=True,
        ),
        "hexBinary": st.binary(max_size=8)
        .map(lambda b: b.hex())
        .flatmap(lambda h: st.sampled_from([h, h.upper()])),
        "base64Binary": st.binary(max_size=9).map(lambda b: base64.b64encode(b).decode()),
        "anyURI": st.from_regex(
            r"[a-z]{1,5}://[a-z0-9.]{1,8}(/[a-z0-9%]{0,5}){0,2}", fullmatch=True
        ),
        "language": st.from_regex(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8}){0,2}", fullmatch=True),
        "Name": st.from_regex(r"[A-Za-z_:][A-Za-z0-9_.:\-]{0,8}", fullmatch=True),
        "NMTOKEN": st.from_regex(r"[A-Za-z0-9_.:\-]{1,8}", fullmatch=True),
        "NMTOKENS": _tokens(st.from_regex(r"[A-Za-z0-9_.:\-]{1,6}", fullmatch=True)),
        "IDREFS": _tokens(_NAME),
        "ENTITIES": _tokens(_NAME),
        "token": st.text(alphabet=string.ascii_letters + " \t\n", max_size=12),
        "normalizedString": st.text(alphabet=string.ascii_letters + " \t\r\n", max_size=12),
    }
    if name in dated:
        return dated[name] | junk
    if name in ("NCName", "ID", "IDREF", "ENTITY", "QName", "NOTATION"):
        return _NAME | junk | st.just("a:b")
    return st.text(max_size=16)


@st.composite
def _items(draw: st.DrawFn, mm: Metamodel) -> list[dict[str, Any]]:
    attrs = {a.name: a for a in mm.classes["Item"].attributes}
    items = []
    for _ in range(draw(st.integers(1, 4))):
        chosen = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=12, unique=True))
        values_ = {attribute_name(t.name): draw(_of(t)) for t in chosen}
        items.append({k: v for k, v in values_.items() if values.accepts(attrs[k].type)(v)})
    return items


def _cim(items: list[dict[str, Any]], notes: list[str]) -> Cim:
    objects: list[dict[str, Any]] = [
        {
            "id": "holder",
            "class": "Holder",
            "attributes": {"note": notes} if notes else {},
            "references": {"item": [f"i{n}" for n in range(len(items))]},
        }
    ]
    objects += [{"id": f"i{n}", "class": "Item", "attributes": a} for n, a in enumerate(items)]
    return parse_cim({"objects": objects})


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # shrinking would rerun the JVM
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.data())
def test_valid_values_are_written_as_emf_and_the_schema_read_them(
    emf, generated, tmp_path_factory, data: st.DataObject
) -> None:
    ecore, mm, schema = generated
    out = tmp_path_factory.mktemp("docs")
    docs = []
    for n in range(3):  # three documents per JVM run
        items = data.draw(_items(mm))
        notes = data.draw(st.lists(st.text(alphabet="ab \t", max_size=5), max_size=2))
        cim = _cim(items, notes)
        assert validate(mm, cim) == [], cim.to_json()
        xml = compilers.get("xml").compile(cim, mm)
        assert schema.validate(etree.fromstring(xml)), (schema.error_log, xml.decode())
        back = compilers.get_importer("xml").read(xml, "doc.xml", mm)
        _assert_same_values(mm, cim, back)
        for fmt in ("xml", "xmi"):
            path = out / f"doc{n}.{fmt}"
            path.write_bytes(compilers.get(fmt).compile(cim, mm))
            docs.append(path)
    results = emf([ecore], docs)
    for i in range(0, len(results), 2):
        as_xml, as_xmi = results[i], results[i + 1]
        assert as_xml.errors == [] and as_xmi.errors == [], (as_xml.errors, as_xmi.errors)
        assert as_xml.canonical == as_xmi.canonical
        cim = compilers.get_importer("xml").read(Path(as_xml.file).read_bytes(), "d.xml", mm)
        _assert_emf_values(mm, cim, as_xml.canonical)


def _assert_same_values(mm: Metamodel, cim: Cim, back: Cim) -> None:
    """The imported CIM holds each value EMF sees as the same (XML Schema's value spaces)."""
    attrs = {a.name: a for a in mm.classes["Item"].attributes}
    items = [o for o in cim.objects if o.class_ == "Item"]
    read = [o for o in back.objects if o.class_ == "Item"]
    assert len(items) == len(read)
    for a, b in zip(items, read, strict=True):
        assert a.attributes.keys() == b.attributes.keys()
        for name, value in a.attributes.items():
            key = values.same_key(attrs[name].type)
            assert key(value) == key(b.attributes[name]), (name, value, b.attributes[name])


def _assert_emf_values(mm: Metamodel, cim: Cim, canonical: list[str]) -> None:
    """Every value EMF loaded is the value the CIM holds: the same text as `to_lexical`
    writes, or (floats: Java 17's Float.toString is not always the shortest) text that
    reads back as the same value."""
    attrs: dict[str, Attribute] = {a.name: a for a in mm.classes["Item"].attributes}
    items = [o for o in cim.objects if o.class_ == "Item"]
    loaded = {}
    for line in canonical:
        path, eq, text = line.partition(" = ")
        if eq and path.startswith("#0/holder/item["):
            loaded[path] = json.loads(text)
    for n, obj in enumerate(items):
        for name, value in obj.attributes.items():
            dtype = attrs[name].type
            emf_text = loaded.get(f"#0/holder/item[{n}].{name}")
            assert emf_text is not None, (n, name, value)
            if emf_text != values.to_lexical(value, dtype):
                key = values.same_key(dtype)
                assert key(values.from_lexical(emf_text, dtype)) == key(value), (name, value)


@pytest.mark.parametrize(
    ("type_name", "good", "bad"),
    [
        ("UnsignedInt", [0, 4294967295], [-1, 4294967296, "7", 1.5]),
        ("PositiveInteger", [1, "123456789012345678901234567890"], [0, -5, "1e3"]),
        ("Decimal", [1.5, "-0.50", "+.5", 3], ["1e3", "1,5", "NaN"]),
        (
            "DateTime",
            ["2024-05-17T09:30:00", "2024-02-29T00:00:00.5+01:00"],
            ["2024-02-30T00:00:00", "2024-05-17", "2024-05-17T24:00:00"],
        ),
        ("Date", ["2024-05-17", "0001-01-01Z"], ["2024-5-17", "0000-01-01"]),
        ("Duration", ["P1Y2M3DT4H5M6.7S", "-P1D", "PT0S"], ["P", "PT", "P1S"]),
        ("NCName", ["a", "_x.y-z"], ["a:b", "1a", "a b", ""]),
        ("Language", ["en", "en-US"], ["abcdefghi", "e_n"]),
        ("HexBinary", ["0fA1", ""], ["abc", "0g"]),
        ("Base64Binary", ["aGVsbG8=", ""], ["aGVsbG8", "a=bc"]),
        ("NMTOKENS", ["a b", "x"], ["", "a,b c;"]),
        ("Boolean", [True, False], [1, "true"]),
        ("Float", [1.5, 3.4e38], [3.5e38]),
    ],
)
def test_lexical_spaces(generated, type_name: str, good: list[Any], bad: list[Any]) -> None:
    _, mm, _ = generated
    attr = mm.classes["Item"].feature_map[attribute_name(type_name)]
    assert isinstance(attr, Attribute)
    check: Callable[[Any], bool] = values.accepts(attr.type)
    assert [v for v in good if not check(v)] == []
    assert [v for v in bad if check(v)] == []


def test_values_are_written_as_emf_writes_them(generated) -> None:
    _, mm, _ = generated
    item = mm.classes["Item"]

    def text(type_name: str, value: Any) -> str:
        attr = item.feature_map[attribute_name(type_name)]
        assert isinstance(attr, Attribute)
        return values.to_lexical(value, attr.type)

    assert text("Decimal", 1e-7) == "0.0000001"  # no exponent: XML Schema has none
    assert text("Decimal", "-0.0") == "0.0"
    assert text("Token", "  a \t b ") == "a b"
    assert text("NormalizedString", "a\tb\nc") == "a b c"
    assert text("HexBinary", "0fa1") == "0FA1"
    assert text("NMTOKENS", " a\t b ") == "a b"
    assert text("Double", 1e10) == "1.0E10"
    assert text("Float", 1.1) == "1.1"
    assert text("Integer", "+007") == "7"


def test_a_wrong_value_is_refused_by_the_compilers(generated) -> None:
    _, mm, _ = generated
    cim = _cim([{attribute_name("UnsignedByte"): 300}], [])
    issues = validate(mm, cim)
    assert [i.code for i in issues] == ["bad-value"] and "aUnsignedByte" in issues[0].message
    with pytest.raises(InputError):
        compilers.get("xml").compile(_cim([{attribute_name("Date"): ["x"]}], []), mm)
