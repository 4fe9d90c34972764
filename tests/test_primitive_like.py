"""Zoo-style metamodels: no nsURI, and primitive-like data types (`String`, `Integer`, `bool`,
`Real`) declared without an instance class, as KM3-derived metamodels declare them.

They are read as the matching Ecore type by the schema, the spec reading, the validator and the
scorer, with a `normalised` load warning each; the prompt keeps the package's enums and data
types; `inspect` says what EMF does with such values, and EMF itself is asked."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

from typer.testing import CliRunner

from instancegen import compilers
from instancegen.service.cli import app
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.emf_judge import EmfModelResult
from instancegen.service.eval.scoring import score
from instancegen.service.generation.two_phase.objects_schema import spec_choices
from instancegen.service.generation.two_phase.spec_facts import read_facts

ZOO = Path(__file__).parent / "fixtures" / "ecore" / "zoo_style.ecore"
runner = CliRunner()


def _cim(pages: object, **more: object) -> dict[str, object]:
    item = {"title": "Dune", "pages": pages, "form": "hardcover", **more}
    shelf = {"id": "s", "class": "Shelf", "attributes": {"label": "A"}}
    return {
        "objects": [
            {**shelf, "references": {"items": ["d"]}},
            {"id": "d", "class": "Item", "attributes": item, "references": {}},
        ]
    }


def _run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), env={"COLUMNS": "250"})
    return result.exit_code, result.stdout, result.stderr


def test_loader_reads_each_as_its_ecore_type_with_a_normalised_warning() -> None:
    mm = load_metamodel([ZOO])
    item = mm.classes["Item"].feature_map
    kinds = {name: item[name].type.kind for name in ("title", "pages", "lent", "weight")}
    assert kinds == {"title": "string", "pages": "int", "lent": "bool", "weight": "float"}
    assert item["shelfMark"].type.kind == "other"  # not named like a primitive: left alone
    read_as = [w for w in mm.warnings if w.startswith("normalised:")]
    assert len(read_as) == 4
    assert any("'Integer'" in w and "EIntegerObject" in w for w in read_as)
    assert not any("'Mark'" in w for w in mm.warnings)


def test_an_instance_class_keeps_a_type_as_it_is(tmp_path: Path) -> None:
    given = ZOO.read_text().replace(
        '<eClassifiers xsi:type="ecore:EDataType" name="Integer"/>',
        '<eClassifiers xsi:type="ecore:EDataType" name="Integer" instanceClassName="long"/>',
    )
    (tmp_path / "typed.ecore").write_text(given, encoding="iso-8859-1")
    mm = load_metamodel([tmp_path / "typed.ecore"])
    assert mm.classes["Item"].feature_map["pages"].type.int_size == "long"
    assert not any("'Integer'" in w for w in mm.warnings)


def test_prompt_keeps_the_enums_and_data_types_of_a_package_without_nsuri() -> None:
    code, out, _ = _run("prompt", "-m", str(ZOO), "--spec", "A shelf.")
    assert code == 0
    tail = out[out.rindex("package Shelf;") :]  # the metamodel asked about, not the example
    assert "enum Form {paperback; hardcover;}" in tail
    for line in ("datatype Integer : int;", "datatype bool : boolean;", "datatype Mark : String;"):
        assert line in tail, line


def test_schema_types_integer_features_as_integers() -> None:
    for model in ("local", "openai/gpt-4o"):
        code, out, _ = _run("schema", "-m", str(ZOO), "--model", model)
        assert code == 0, model
        schema = json.loads(out)
        defs = json.dumps(schema)
        assert '"pages"' in defs
        pages = _property(schema, "pages")
        assert "integer" in json.dumps(pages), (model, pages)


def _property(schema: object, name: str) -> object:
    """The first property called `name` anywhere in `schema`."""
    if isinstance(schema, dict):
        props = schema.get("properties")
        if isinstance(props, dict) and name in props:
            return props[name]
        for value in schema.values():
            found = _property(value, name)
            if found is not None:
                return found
    if isinstance(schema, list):
        for value in schema:
            found = _property(value, name)
            if found is not None:
                return found
    return None


def test_validator_and_scorer_judge_them_as_ecore_values() -> None:
    mm = load_metamodel([ZOO])
    assert not [i for i in validate(mm, parse_cim(_cim(412, lent=True))) if i.severity == "error"]
    wrong = validate(mm, parse_cim(_cim("412 pages")))
    assert [(i.code, i.feature) for i in wrong] == [("bad-value", "pages")]
    same = score(mm, parse_cim(_cim(412, weight=1)), parse_cim(_cim(412, weight=1.0)))
    assert same.attributes.f1 == 1.0


def test_spec_facts_read_spec_values_of_their_type() -> None:
    mm = load_metamodel([ZOO])
    facts = read_facts(mm, "The shelf A holds Dune, a hardcover of 412 pages weighing 0.8 kg.")
    item = mm.classes["Item"]
    assert spec_choices(item, item.feature_map["pages"], facts) == (412,)
    weights = spec_choices(item, item.feature_map["weight"], facts)
    assert weights and all(type(w) is float for w in weights)


def test_inspect_says_what_emf_does_with_their_values() -> None:
    code, out, _ = _run("inspect", "-m", str(ZOO))
    assert code == 0
    assert "zoo_style.ecore: data type 'Integer' has no instance class; read as" in out
    note = next(line for line in out.splitlines() if line.startswith("note:"))
    assert "EMF drops every value of String, Integer, bool, Real in XMI" in note
    assert "java.lang.Integer" in note


def test_emf_drops_the_values_as_inspect_says(
    tmp_path: Path,
    emf: Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]],
) -> None:
    mm = load_metamodel([ZOO])
    cim = parse_cim(_cim(412, lent=True, weight=0.5))
    xmi = tmp_path / "shelf.xmi"
    located = {pkg.ns_uri: ZOO.as_uri() for pkg in mm.packages}  # EMF finds them by file
    xmi.write_bytes(compilers.get("xmi").compile(cim, mm, schema_location=located))
    (result,) = emf([ZOO], [xmi])
    loaded = "\n".join(result.canonical)
    assert '.form = "hardcover"' in loaded  # the enum has its literal: EMF keeps it
    for name in ("label", "title", "pages", "lent", "weight"):
        assert f".{name} =" not in loaded, name
    assert any("'pages'" in e and "must be set" in e for e in result.errors)
