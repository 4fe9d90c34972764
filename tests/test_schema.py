"""The conceptual schema: typed per-class models, strict (OpenAI) variant, generic fallback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from pydantic import ValidationError

from benchmarks.synthetic import synthetic_metamodel
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.schema import (
    SchemaLimits,
    SchemaOptions,
    cim_model,
    conceptual_schema,
    measure_schema,
    schema_variant,
    typed_properties,
)

try:
    import jsonschema
except ImportError:  # pragma: no cover - a dev dependency
    jsonschema = None

FIX = Path(__file__).parent / "fixtures" / "ecore"
ROOT = Path(__file__).parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"

BANK_CIM = {
    "objects": [
        {
            "id": "db",
            "class": "Bank",
            "attributes": {"name": "Deutsche Bank"},
            "references": {"accounts": ["acc1"], "clients": ["alice"]},
        },
        {
            "id": "acc1",
            "class": "Account",
            "attributes": {"iban": "DE01", "balance": 100.0, "kind": "SAVINGS"},
            "references": {"owners": ["alice"]},
        },
        {"id": "alice", "class": "Person", "attributes": {"name": "Alice"}, "references": {}},
    ]
}


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


@pytest.fixture(scope="module")
def types() -> Metamodel:
    return load_metamodel([FIX / "datatypes.ecore"])


def defs(schema: dict[str, Any]) -> dict[str, Any]:
    return schema["$defs"]  # type: ignore[no-any-return]


def validator(schema: dict[str, Any]) -> Any:
    require(jsonschema is not None, "jsonschema", "pip install jsonschema")
    return jsonschema.Draft202012Validator(schema)


# --- typed schema -----------------------------------------------------------------------------


def test_one_model_per_concrete_class_discriminated_on_class(bank: Metamodel) -> None:
    schema = conceptual_schema(bank)
    items = schema["properties"]["objects"]["items"]
    refs = [r["$ref"].rsplit("/", 1)[1] for r in items["oneOf"]]
    assert refs == ["Bank", "Account", "Person"]  # NamedElement is abstract
    assert items["discriminator"]["propertyName"] == "class"
    for name in refs:
        props = defs(schema)[name]["properties"]
        assert list(props)[:2] == ["class", "id"]  # class first: decoders pick it first
        assert props["class"]["const"] == name
        assert defs(schema)[name]["additionalProperties"] is False
    assert schema["required"] == ["objects"]


def test_attributes_and_references_are_typed(bank: Metamodel) -> None:
    d = defs(conceptual_schema(bank))
    account = d["AccountAttributes"]
    assert list(account["properties"]) == ["iban", "balance", "kind"]
    assert account["required"] == ["iban"]
    assert account["properties"]["balance"]["type"] == "number"
    assert account["properties"]["kind"]["enum"] == ["CHECKING", "SAVINGS", "CREDIT"]
    owners = d["AccountReferences"]["properties"]["owners"]  # Person[1..*]
    assert owners["type"] == "array" and owners["minItems"] == 1 and "maxItems" not in owners
    assert owners["items"]["type"] == "string"
    assert "Person" in owners["description"]
    assert d["AccountReferences"]["required"] == ["owners"]
    accounts = d["BankReferences"]["properties"]["accounts"]
    assert "contains" in accounts["description"]
    # inherited `name` comes first, as in EMF's eAllStructuralFeatures
    assert list(d["BankAttributes"]["properties"]) == ["name", "bic"]


INT_BOUNDS = {
    "vEByte": (-128, 127),
    "vEShortObject": (-32768, 32767),
    "vEInt": (-(2**31), 2**31 - 1),
    "vELong": (-(2**63), 2**63 - 1),
}


def test_data_types_map_to_json_schema(types: Metamodel) -> None:
    props = defs(conceptual_schema(types))["AllTypesAttributes"]["properties"]
    for name, (lo, hi) in INT_BOUNDS.items():
        assert (props[name]["type"], props[name]["minimum"], props[name]["maximum"]) == (
            "integer",
            lo,
            hi,
        )
    assert props["vEBigInteger"] == {"type": "integer"}
    assert props["vEBigDecimal"]["type"] == props["vEDouble"]["type"] == "number"
    assert props["vEBoolean"]["type"] == "boolean"
    assert props["vEChar"] == {"type": "string", "minLength": 1, "maxLength": 1}
    assert props["vEDate"] == {"type": "string", "format": "date-time"}
    assert props["vEJavaObject"]["type"] == "string"
    assert props["money"]["type"] == "number"
    assert props["color"]["enum"] == ["RED", "GREEN", "BLUE"]  # literal names, not values
    assert "default 3" in props["retries"]["description"]
    tags = props["tags"]  # String[1..5]
    assert (tags["type"], tags["minItems"], tags["maxItems"]) == ("array", 1, 5)
    assert props["pair"]["minItems"] == props["pair"]["maxItems"] == 2
    assert props["scores"]["items"]["type"] == "integer" and "maxItems" not in props["scores"]


def test_model_round_trips_a_cim(bank: Metamodel) -> None:
    model = cim_model(bank)
    cim = model.model_validate(BANK_CIM).to_cim()
    assert cim.to_json() == BANK_CIM


@pytest.mark.parametrize(
    ("mutate", "why"),
    [
        (lambda o: o[0].update({"class": "NamedElement"}), "abstract class"),
        (lambda o: o[0].update({"class": "Nope"}), "unknown class"),
        (lambda o: o[1]["attributes"].update({"colour": "red"}), "unknown feature"),
        (lambda o: o[1]["attributes"].update({"balance": "lots"}), "wrong type"),
        (lambda o: o[1]["attributes"].update({"kind": "GOLD"}), "unknown literal"),
        (lambda o: o[1]["attributes"].pop("iban"), "required attribute"),
        (lambda o: o[1]["references"].update({"owners": []}), "too few references"),
        (lambda o: o[2]["references"].update({"accounts": "acc1"}), "not a list"),
    ],
)
def test_schema_and_model_reject_what_the_metamodel_forbids(
    bank: Metamodel, mutate: Any, why: str
) -> None:
    data = json.loads(json.dumps(BANK_CIM))
    mutate(data["objects"])
    assert not validator(conceptual_schema(bank)).is_valid(data), why
    with pytest.raises(ValidationError):
        cim_model(bank).model_validate(data)


def test_valid_cim_passes_the_json_schema(bank: Metamodel) -> None:
    validator(conceptual_schema(bank)).validate(BANK_CIM)


def test_knobs_cap_strings_and_constrain_ids(bank: Metamodel) -> None:
    options = SchemaOptions(max_string=40, id_pattern="^[a-z][a-z0-9_]*$")
    d = defs(conceptual_schema(bank, options=options))
    assert d["BankAttributes"]["properties"]["name"]["maxLength"] == 40
    assert d["Bank"]["properties"]["id"]["pattern"] == "^[a-z][a-z0-9_]*$"
    assert d["AccountReferences"]["properties"]["owners"]["items"]["pattern"] == (
        "^[a-z][a-z0-9_]*$"
    )
    with pytest.raises(ValidationError):
        cim_model(bank, options=options).model_validate(
            {"objects": [{"id": "Bad Id", "class": "Person", "attributes": {"name": "x"}}]}
        )


def object_defs(schema: dict[str, Any]) -> dict[str, Any]:
    """The per-class object definitions, by the class key their `class` constant names."""
    return {
        d["properties"]["class"]["const"]: d
        for d in defs(schema).values()
        if "const" in d["properties"].get("class", {})
    }


def section(schema: dict[str, Any], cls: str, name: str) -> dict[str, Any]:
    ref = object_defs(schema)[cls]["properties"][name]["$ref"]
    return defs(schema)[ref.rsplit("/", 1)[1]]  # type: ignore[no-any-return]


def test_qualified_keys_and_clashing_names_stay_distinct() -> None:
    nested = conceptual_schema(load_metamodel([FIX / "nested.ecore"]))
    assert sorted(object_defs(nested)) == ["Car", "Door", "car.body.Part", "car.signals.Part"]
    odd = load_metamodel([FIX / "odd_names.ecore"])
    schema = conceptual_schema(odd)
    assert len(defs(schema)) == 7  # CIM, Bank, BankAttributes and their sections, all kept
    assert set(object_defs(schema)) == {"CIM", "Bank", "BankAttributes"}
    attrs = section(schema, "CIM", "attributes")
    assert list(attrs["properties"]) == ["class", "id", "model_config", "_private"]
    assert section(schema, "Bank", "attributes")["properties"]["title"] == {"type": "string"}
    assert "default" in section(schema, "BankAttributes", "attributes")["properties"]
    data = {
        "objects": [
            {
                "id": "x",
                "class": "CIM",
                "attributes": {"class": "c", "id": 3, "model_config": "m"},
                "references": {"references": ["b"]},
            },
            {"id": "b", "class": "Bank", "attributes": {"title": "t"}},
        ]
    }
    validator(schema).validate(data)
    first = cim_model(odd).model_validate(data).to_cim().to_json()["objects"][0]
    assert first == data["objects"][0]


# --- strict (OpenAI structured outputs) -------------------------------------------------------

# Not in OpenAI's documented subset for strict mode (or not permitted there).
UNSUPPORTED = {
    "oneOf", "allOf", "not", "if", "then", "else", "dependentRequired", "dependentSchemas",
    "discriminator", "default", "minLength", "maxLength", "patternProperties",
    "unevaluatedProperties", "propertyNames", "minProperties", "maxProperties",
    "unevaluatedItems", "contains", "minContains", "maxContains", "uniqueItems",
}  # fmt: skip


def walk(node: Any) -> Any:
    if isinstance(node, dict):
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                for child in value.values():
                    yield from walk(child)
            else:
                yield from walk(value)
    elif isinstance(node, list):
        for child in node:
            yield from walk(child)


@pytest.mark.parametrize("name", ["bank", "types", "odd_names", "nested", "generic"])
def test_strict_schema_keeps_to_openais_subset(
    name: str, bank: Metamodel, types: Metamodel
) -> None:
    mm = {"bank": bank, "types": types, "generic": bank}.get(name) or load_metamodel(
        [FIX / f"{name}.ecore"]
    )
    variant = "generic" if name == "generic" else None
    schema = conceptual_schema(mm, options=SchemaOptions(strict=True, variant=variant))
    assert schema["type"] == "object" and "anyOf" not in schema
    for node in walk(schema):
        assert not UNSUPPORTED & node.keys(), UNSUPPORTED & node.keys()
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert node["required"] == list(node["properties"])
    assert not measure_schema_violations(schema)


def measure_schema_violations(schema: dict[str, Any]) -> list[str]:
    return SchemaLimits().violations(measure_schema(schema))


def test_strict_optional_features_are_nullable_and_dropped_from_the_cim(bank: Metamodel) -> None:
    d = defs(conceptual_schema(bank, strict=True))
    balance = d["AccountAttributes"]["properties"]["balance"]
    assert {"type": "null"} in balance["anyOf"]
    assert {"type": "null"} not in d["AccountAttributes"]["properties"]["iban"].get("anyOf", [])
    model = cim_model(bank, strict=True)
    data = {
        "objects": [
            {
                "class": "Person",
                "id": "p",
                "attributes": {"name": "P", "email": None},
                "references": {"accounts": None},
            }
        ]
    }
    validator(conceptual_schema(bank, strict=True)).validate(data)
    cim = model.model_validate(data).to_cim().to_json()
    assert cim["objects"][0] == {
        "id": "p",
        "class": "Person",
        "attributes": {"name": "P"},
        "references": {},
    }


def test_strict_generic_uses_entry_lists_and_gives_back_maps(bank: Metamodel) -> None:
    model = cim_model(bank, strict=True, variant="generic")
    data = {
        "objects": [
            {
                "class": "Account",
                "id": "a",
                "attributes": [{"name": "iban", "value": "DE01"}, {"name": "balance", "value": 3}],
                "references": [{"name": "owners", "ids": ["p"]}],
            }
        ]
    }
    validator(
        conceptual_schema(bank, options=SchemaOptions(strict=True, variant="generic"))
    ).validate(data)
    obj = model.model_validate(data).to_cim().objects[0]
    assert obj.attributes == {"iban": "DE01", "balance": 3}
    assert obj.references == {"owners": ["p"]}


# --- generic fallback, limits, determinism, caching -------------------------------------------


def test_too_large_falls_back_to_the_generic_variant(bank: Metamodel) -> None:
    tight = SchemaOptions(limits=SchemaLimits(max_properties=10))
    assert schema_variant(bank, tight) == "generic"
    schema = conceptual_schema(bank, options=tight)
    obj = defs(schema)["GenericObject"]["properties"]
    assert obj["class"]["enum"] == ["Bank", "Account", "Person"]
    assert obj["attributes"]["type"] == "object" and "additionalProperties" in obj["attributes"]
    model = cim_model(bank, options=tight)
    assert model.model_validate(BANK_CIM).to_cim().to_json() == BANK_CIM
    assert schema_variant(bank) == "typed"


def test_large_synthetic_metamodel_gets_generic_schema_within_limits() -> None:
    mm = load_metamodel(synthetic_metamodel(classes=300, files=3))
    assert typed_properties(mm) > SchemaLimits().max_properties
    assert schema_variant(mm) == "generic"
    for strict in (False, True):
        schema = conceptual_schema(mm, strict=strict)
        assert not measure_schema_violations(schema)


def test_class_enum_too_large_becomes_a_plain_string(bank: Metamodel) -> None:
    tiny = SchemaOptions(variant="generic", limits=SchemaLimits(max_enum_values=2))
    cls = defs(conceptual_schema(bank, options=tiny))["GenericObject"]["properties"]["class"]
    assert cls == {"type": "string"}


def test_typed_properties_predicts_the_measured_count(bank: Metamodel, types: Metamodel) -> None:
    for mm in (bank, types, load_metamodel(synthetic_metamodel(classes=30, files=2))):
        measured = measure_schema(conceptual_schema(mm, options=SchemaOptions(variant="typed")))
        assert measured.properties == typed_properties(mm)
    size = measure_schema(conceptual_schema(bank))
    assert (size.depth, size.enum_values) == (3, 3)


def test_same_input_gives_byte_identical_output_across_processes() -> None:
    code = (
        "import json, sys; from service.core.ecore_loader import load_metamodel; "
        "from service.generation.schema import conceptual_schema; "
        "mm = load_metamodel(sys.argv[1:]); "
        "print(json.dumps([conceptual_schema(mm), conceptual_schema(mm, strict=True)], "
        "sort_keys=True))"
    )
    files = [str(FIX / "multi" / "shop.ecore"), str(FIX / "multi" / "base.ecore")]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code, *files],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1 and len(next(iter(outputs))) > 1000


def test_cached_by_content_and_safe_to_mutate(bank: Metamodel) -> None:
    first = conceptual_schema(bank)
    first["$defs"].clear()
    again = load_metamodel({"bank.ecore": BANK.read_bytes()})  # same content, new object
    assert again.content_hash == bank.content_hash
    assert conceptual_schema(again)["$defs"]
    assert cim_model(again) is cim_model(bank)
