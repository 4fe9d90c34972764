"""ExtendedMetaData's structures on a small XSD-derived metamodel written for these tests
(tests/fixtures/xsd/shop: its schema and the .ecore EMF's XSD importer makes of it): the
document root, a repeated choice (a feature-map group), wildcards, simple and mixed content.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree
from typer.testing import CliRunner

from instancegen import compilers
from instancegen.service.cli import app
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate

SHOP = Path(__file__).resolve().parent / "fixtures" / "xsd" / "shop"
ECORE, XSD = SHOP / "shop.ecore", SHOP / "shop.xsd"
BANK = Path(__file__).resolve().parent.parent / "metamodels" / "bank" / "bank.ecore"
OTHER = "http://test.example/other"


@pytest.fixture(scope="module")
def shop() -> Metamodel:
    return load_metamodel([ECORE])


def catalog() -> Cim:
    return parse_cim(
        {
            "objects": [
                {
                    "id": "cat",
                    "class": "CatalogType",
                    "attributes": {
                        "name": "Autumn",
                        "any": [f'<o:stamp xmlns:o="{OTHER}" when="now">ok</o:stamp>'],
                    },
                    "references": {"book": ["b1", "b2"], "note": ["n1"]},
                },
                {
                    "id": "b1",
                    "class": "BookType",
                    "attributes": {
                        "title": "Dune",
                        "iSBN": "isbn-1",
                        "pages": 412,
                        "published": "1965-08-01",
                        "tag": ["sci-fi", "classic  novel"],
                    },
                    "references": {"price": ["p1"], "summary": ["s1"]},
                },
                {"id": "p1", "class": "PriceType", "attributes": {"value": "9.90"}},
                {"id": "s1", "class": "SummaryType", "attributes": {"mixed": "A desert & a worm."}},
                {"id": "b2", "class": "BookType", "attributes": {"title": "Emma", "iSBN": "i2"}},
                {"id": "n1", "class": "NoteType", "attributes": {"value": "Sale!", "lang": "en"}},
            ]
        }
    )


def test_the_view_offers_group_members_wildcards_and_text(shop: Metamodel) -> None:
    assert "DocumentRoot" not in shop.classes  # the document, not an object
    assert shop.xml is not None
    assert [(e.name, e.class_key) for e in shop.xml.elements] == [("catalog", "CatalogType")]
    cat = shop.classes["CatalogType"]
    assert [f.name for f in cat.features] == ["book", "note", "any", "name"]  # no group maps
    any_ = cat.feature_map["any"]
    assert any_.type.xsd == "#wildcard" and any_.many
    assert [f.name for f in shop.classes["SummaryType"].features] == ["mixed"]
    assert shop.xml.classes["NoteType"].text_feature == "value"
    assert shop.xml.classes["BookType"].features["title"].name == "Title"


def test_a_catalog_is_schema_valid_and_emf_reads_xml_and_xmi_alike(
    emf, shop: Metamodel, tmp_path: Path
) -> None:
    cim = catalog()
    assert validate(shop, cim) == []
    xml = compilers.get("xml").compile(cim, shop)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    assert schema.validate(etree.fromstring(xml)), (schema.error_log, xml.decode())
    text = xml.decode()
    for part in (
        "<shop:catalog ",
        'name="Autumn"',
        "<shop:Title>Dune</shop:Title>",
        "<shop:price>9.90</shop:price>",  # simple content; the default currency is not written
        "<shop:summary>A desert &amp; a worm.</shop:summary>",
        "<shop:tag>classic novel</shop:tag>",  # a token, collapsed
        f'<o:stamp xmlns:o="{OTHER}" when="now">ok</o:stamp>',
        'ISBN="isbn-1"',
    ):
        assert part in text, part
    back = compilers.get_importer("xml").read(xml, "catalog.xml", shop)
    assert compilers.get("xml").compile(back, shop) == xml
    (tmp_path / "c.xml").write_bytes(xml)
    (tmp_path / "c.xmi").write_bytes(compilers.get("xmi").compile(cim, shop))
    as_xml, as_xmi = emf([ECORE], [tmp_path / "c.xml", tmp_path / "c.xmi"])
    assert as_xml.errors == [] and as_xmi.errors == [], (as_xml.errors, as_xmi.errors)
    assert as_xml.canonical == as_xmi.canonical
    lines = "\n".join(as_xml.canonical)
    assert "#0/catalog.group = [book: #0/catalog/book[0], book: #0/catalog/book[1]" in lines
    assert '#0/catalog/book[0]/summary.mixed = [text: "A desert & a worm."]' in lines


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ('<s:catalog xmlns:s="http://test.example/shop" name="x"><s:cd/></s:catalog>', "<cd>"),
        (
            f'<s:catalog xmlns:s="http://test.example/shop" xmlns:o="{OTHER}" name="x" o:a="1"/>',
            "attribute wildcard content is not kept",
        ),
        ('<s:book xmlns:s="http://test.example/shop" ISBN="i"/>', "no root element"),
        ('<s:catalog xmlns:s="http://test.example/shop" name="x">words</s:catalog>', "no text"),
        (
            '<s:catalog xmlns:s="http://test.example/shop" name="x">'
            '<s:book ISBN="i" pages="many"><s:Title>t</s:Title></s:book></s:catalog>',
            "'many' is not a valid PositiveInteger for BookType.pages",
        ),
    ],
)
def test_the_importer_names_what_it_cannot_read(shop: Metamodel, document: str, says: str) -> None:
    with pytest.raises(InputError) as exc:
        compilers.get_importer("xml").read(document.encode(), "in.xml", shop)
    assert says in exc.value.message and "in.xml" in exc.value.message


def test_the_xml_format_refuses_what_no_document_holds(shop: Metamodel) -> None:
    two_roots = parse_cim(
        {"objects": [{"id": "a", "class": "NoteType"}, {"id": "b", "class": "NoteType"}]}
    )
    with pytest.raises(InputError, match="one root element"):
        compilers.get("xml").compile(two_roots, shop)
    with pytest.raises(InputError, match="has none, so use xmi"):
        compilers.get("xml").compile(Cim(), load_metamodel([BANK]))


def test_compile_and_import_on_the_command_line(tmp_path: Path) -> None:
    model = tmp_path / "catalog.json"
    model.write_text(catalog().model_dump_json(by_alias=True), encoding="utf-8")
    runner = CliRunner()
    out = tmp_path / "catalog.xml"
    result = runner.invoke(
        app, ["compile", "-m", str(ECORE), str(model), "--format", "xml", "-o", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    back = tmp_path / "back.json"
    result = runner.invoke(app, ["import", "-m", str(ECORE), str(out), "-o", str(back)])
    assert result.exit_code == 0, result.stderr
    assert '"class": "BookType"' in back.read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text('<s:catalog xmlns:s="http://test.example/shop" name="x"><s:cd/></s:catalog>')
    result = runner.invoke(app, ["import", "-m", str(ECORE), str(bad)])
    assert result.exit_code == 2 and "<cd>" in result.stderr


def test_a_root_no_global_element_takes_is_an_issue(shop: Metamodel) -> None:
    cim = parse_cim({"objects": [{"id": "n", "class": "NoteType", "attributes": {"value": "x"}}]})
    issues = validate(shop, cim)
    assert [(i.code, i.object) for i in issues] == [("document-root", "n")]
    assert "<catalog> (CatalogType)" in issues[0].message


def test_prefixes_declared_on_an_ancestor_hold_below_it(shop: Metamodel) -> None:
    """A document of another tool: the default namespace for the schema's elements, the
    wildcard's prefix declared on the root and used deep inside."""
    document = (
        f'<catalog xmlns="http://test.example/shop" xmlns:o="{OTHER}" name="x">'
        '<book ISBN="i1"><Title>T</Title></book><o:stamp><o:day>1</o:day></o:stamp></catalog>'
    )
    cim = compilers.get_importer("xml").read(document.encode(), "other.xml", shop)
    stamp = next(o for o in cim.objects if o.class_ == "CatalogType").attributes["any"]
    assert stamp == [f'<o:stamp xmlns:o="{OTHER}"><o:day>1</o:day></o:stamp>']
    assert validate(shop, cim) == []
