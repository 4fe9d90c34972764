"""The one answer-schema system: the pieces every strategy's answer form is built from, and
the DESIGN.md CIM's own schema.

The pieces (`attribute_annotation`, `id_annotation`, `reference_annotation`, `features_model`,
`NameAllocator`, `asked_reference`, `model_schema`, `SchemaLimits`) are what each strategy's
form is made of, where that form lives: the typed and strict strategies' objects grouped by
class (`encoding.Grouped`), the generic strategy's CIM with free maps (`generic_model`, sent
by `encoding.CimForm`), two-phase's objects and links (`two_phase/objects_schema.py`,
`two_phase/links_schema.py`), the edit answer (`editing.py`). `instancegen schema` prints the
one a model is sent.

`conceptual_schema`/`cim_model` are a documented public helper, built from the same pieces and
sent by no strategy: the DESIGN.md CIM itself, one pydantic model per concrete class in a
union discriminated on `class`, typed attributes and references as lists of ids (an
instructor-ready model for a script's own calls); a metamodel too large for it gets the
generic variant of the same shape.

`strict=True` gives the subset OpenAI's strict structured outputs accept (documented at
platform.openai.com/docs/guides/structured-outputs, "Supported schemas"): every property
required, optional ones nullable, `additionalProperties: false`, `anyOf` instead of `oneOf`,
no `default`, `discriminator`, `minLength` or `maxLength` (`pattern`, `format`, `minimum`,
`maximum`, `minItems` and `maxItems` are supported and kept).
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import GenericAlias
from typing import Annotated, Any, Literal, TypeVar, Union, cast

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.metamodel import (
    INT_RANGES,
    Attribute,
    EClassView,
    Metamodel,
    Reference,
)
from instancegen.service.core.xsd_types import json_pattern
from instancegen.service.generation.emfatic import feature_xml_names, with_xml_name

Variant = Literal["typed", "generic"]
_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class SchemaLimits:
    """Above these, the typed schema is replaced by the generic one.

    The defaults are OpenAI's documented strict-mode limits (5,000 object properties,
    10 nesting levels, 1,000 enum values, 120,000 characters of property names, definition
    names, enum and const values; a string enum above 250 values at most 15,000 characters).
    They also bound the llama.cpp grammar, whose size grows linearly with the properties.
    """

    max_properties: int = 5_000
    max_depth: int = 10
    max_enum_values: int = 1_000
    max_name_chars: int = 120_000
    large_enum_values: int = 250
    max_large_enum_chars: int = 15_000

    def violations(self, size: SchemaSize) -> list[str]:
        """Each limit `size` exceeds, as a short phrase (empty when the schema fits)."""
        found = []
        if size.properties > self.max_properties:
            found.append(f"{size.properties} properties > {self.max_properties}")
        if size.depth > self.max_depth:
            found.append(f"nesting depth {size.depth} > {self.max_depth}")
        if size.enum_values > self.max_enum_values:
            found.append(f"{size.enum_values} enum values > {self.max_enum_values}")
        if size.name_chars > self.max_name_chars:
            found.append(f"{size.name_chars} name characters > {self.max_name_chars}")
        if size.large_enum_chars > self.max_large_enum_chars:
            found.append(
                f"{size.large_enum_chars} characters in large enums > {self.max_large_enum_chars}"
            )
        return found


@dataclass(frozen=True)
class SchemaSize:
    """What providers limit in a JSON schema, counted the way OpenAI documents it."""

    properties: int
    depth: int
    enum_values: int
    name_chars: int
    large_enum_chars: int


@dataclass(frozen=True)
class SchemaOptions:
    """Knobs for generation: `max_string` caps string attributes, `id_pattern` constrains ids."""

    strict: bool = False
    max_string: int | None = None
    id_pattern: str | None = None
    variant: Variant | None = None  # None: typed when it fits the limits, else generic
    limits: SchemaLimits = field(default_factory=SchemaLimits)


class CimRoot(BaseModel):
    """Base of every root model: whatever its variant, `to_cim()` gives the normative CIM."""

    model_config = _CONFIG

    def to_cim(self) -> Cim:
        return parse_cim(self.model_dump(by_alias=True, exclude_none=True))


# --- building blocks ------------------------------------------------------------------------


def _string(max_string: int | None, **constraints: Any) -> Any:
    if max_string is None and not constraints:
        return str
    return Annotated[str, StringConstraints(max_length=max_string, **constraints)]


def scalar_annotation(attr: Attribute, *, max_string: int | None = None) -> Any:
    """The Python type of one value of `attr`, with the constraints its Ecore type implies."""
    t = attr.type
    if t.kind == "enum":
        return Literal[t.literals] if t.literals else str
    if t.kind == "bool":
        return bool
    if t.kind == "int":
        lo, hi = INT_RANGES[t.int_size or "long"]
        return Annotated[int, Field(ge=lo, le=hi)]
    if t.kind == "bigint":
        return int
    if t.kind in ("float", "decimal"):
        return float
    if t.kind == "char":
        return Annotated[str, StringConstraints(min_length=1, max_length=1)]
    if t.kind == "date":
        return Annotated[_string(max_string), Field(json_schema_extra={"format": "date-time"})]
    pattern = json_pattern(t.xsd) if t.xsd is not None else None
    if pattern is not None:  # an XML Schema type's lexical form (dateTime, NCName, …)
        return _string(max_string, pattern=pattern)
    return _string(max_string)


def attribute_annotation(attr: Attribute, *, max_string: int | None = None) -> Any:
    """The type of `attr`'s CIM value: a scalar, or a bounded list when it is many-valued."""
    scalar = scalar_annotation(attr, max_string=max_string)
    if not attr.many:
        return scalar
    return Annotated[_list_of(scalar), Field(min_length=attr.lower or None, max_length=_max(attr))]


def id_annotation(id_pattern: str | None = None) -> Any:
    """An object id: a non-empty string, optionally held to `id_pattern`."""
    return Annotated[str, StringConstraints(min_length=1, pattern=id_pattern)]


def reference_annotation(ref: Reference, *, id_pattern: str | None = None) -> Any:
    """A reference's CIM value: a list of ids, its length bounded by the multiplicity."""
    return Annotated[
        _list_of(id_annotation(id_pattern)),
        Field(min_length=ref.lower or None, max_length=_max(ref)),
    ]


def _list_of(item: Any) -> Any:
    """`list[item]` for an item type only known at run time."""
    return GenericAlias(list, (item,))


def _max(f: Attribute | Reference) -> int | None:
    return None if f.upper == -1 else f.upper


def _describe(f: Attribute | Reference, xml_name: str | None, listed: bool) -> str | None:
    if isinstance(f, Reference) and f.containment and not listed:
        text: str | None = f"the {f.target} objects it contains, in place or by id"
    elif isinstance(f, Reference):
        what = "ids" if listed or f.many else "id"
        text = f"{what} of {f.target} objects{' it contains' if f.containment else ''}"
    else:
        text = f"default {f.default}" if f.default is not None else None
    return with_xml_name(text, xml_name)


def features_model(
    name: str,
    features: Sequence[tuple[Attribute | Reference, Any]],
    *,
    strict: bool = False,
    xml_names: Mapping[str, str] | None = None,
    leading: Mapping[str, Any] | None = None,
    listed: bool = True,
) -> type[BaseModel]:
    """An object with the `leading` fields (an id), then one property per feature (given
    with its annotation).

    Required features are required; optional ones are absent when unset, or, in strict mode,
    required but nullable, as OpenAI's strict mode demands. A feature whose XML name differs
    (`xml_names`, XSD-derived metamodels) says that name in its description; a reference is
    described as a list of ids when `listed` (the CIM), else as one id when single-valued.
    """
    fields: dict[str, Any] = dict(leading or {})
    for i, (feature, annotation) in enumerate(features):
        alias = feature.name
        description = _describe(feature, (xml_names or {}).get(alias), listed)
        if feature.lower > 0:
            fields[f"f{i}"] = (annotation, Field(alias=alias, description=description))
        elif strict:
            fields[f"f{i}"] = (annotation | None, Field(alias=alias, description=description))
        else:
            fields[f"f{i}"] = (annotation, Field(None, alias=alias, description=description))
    return create_model(name, __config__=_CONFIG, **fields)


def class_model(
    cls: EClassView,
    *,
    options: SchemaOptions | None = None,
    names: NameAllocator | None = None,
    xml_names: Mapping[str, str] | None = None,
) -> type[BaseModel]:
    """The model of one concrete class: `class` (its key, a constant), `id`, then the
    `attributes` and `references` objects (each left out when the class has none)."""
    options = options or SchemaOptions()
    names = names or NameAllocator()
    base = names.allocate(cls.key)
    fields: dict[str, Any] = {
        "class_": (Literal[cls.key], Field(alias="class")),
        "id": (id_annotation(options.id_pattern), ...),
    }
    if cls.attributes:
        attrs = [
            (a, attribute_annotation(a, max_string=options.max_string)) for a in cls.attributes
        ]
        model = features_model(
            names.allocate(f"{base}Attributes"), attrs, strict=options.strict, xml_names=xml_names
        )
        fields["attributes"] = _section(model, attrs, options.strict)
    if cls.references:
        refs = [(r, reference_annotation(r, id_pattern=options.id_pattern)) for r in cls.references]
        model = features_model(
            names.allocate(f"{base}References"), refs, strict=options.strict, xml_names=xml_names
        )
        fields["references"] = _section(model, refs, options.strict)
    return create_model(base, __config__=_CONFIG, **fields)


def _section(
    model: type[BaseModel], features: Sequence[tuple[Attribute | Reference, Any]], strict: bool
) -> tuple[Any, Any]:
    """`attributes`/`references` are required when a feature in them is (always when strict)."""
    if strict or any(f.lower > 0 for f, _ in features):
        return model, ...
    return model, Field(default_factory=model)


def root_model(object_models: Sequence[type[BaseModel]], name: str = "CIM") -> type[CimRoot]:
    """`{"objects": [...]}` over the given object models, discriminated on `class`."""
    if not object_models:
        item: Any = dict[str, Any]
    elif len(object_models) == 1:
        item = object_models[0]
    else:
        item = Annotated[Union[tuple(object_models)], Field(discriminator="class_")]  # noqa: UP007
    return create_model(name, __base__=CimRoot, objects=(list[item], ...))


class NameAllocator:
    """Unique, JSON-pointer-safe definition names (pydantic keys `$defs` by model name)."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def allocate(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_]", "_", wanted) or "C"
        name, n = base, 1
        while name in self._used:
            n += 1
            name = f"{base}{n}"
        self._used.add(name)
        return name


def typed_model(mm: Metamodel, options: SchemaOptions | None = None) -> type[CimRoot]:
    """The typed root model: one object model per concrete class."""
    options = options or SchemaOptions()
    names = NameAllocator()
    names.allocate("CIM")
    models = [
        class_model(c, options=options, names=names, xml_names=feature_xml_names(mm, c))
        for c in mm.concrete_classes
    ]
    return root_model(models)


def asked_reference(mm: Metamodel, ref: Reference) -> bool:
    """Whether an answer asks for `ref` (the one-shot forms, two-phase's links): containment
    comes from containers, and of an opposite pair only one end is asked (preferring a
    single-valued end, then a bounded one, whose bound a list can hold, then a required one).
    Asking a person's children instead of their two parents let a small model give one child
    ten parents."""
    if ref.containment:
        return False
    if ref.opposite is None:
        return True
    opp = mm.classes[ref.target].feature_map.get(ref.opposite)
    if not isinstance(opp, Reference):
        return True
    if opp.containment:
        return False  # the child's pointer to its container: implied by containment

    def rank(r: Reference, declaring: str) -> tuple[bool, bool, bool, str, str]:
        return (r.upper != 1, r.upper == -1, r.lower == 0, declaring, r.name)

    return rank(ref, opp.target) <= rank(opp, ref.target)


# --- the generic variant --------------------------------------------------------------------

Scalar = str | int | float | bool
Value = Scalar | list[Scalar]


def generic_model(
    mm: Metamodel, options: SchemaOptions | None = None, *, class_enum: bool = True
) -> type[CimRoot]:
    """The same CIM shape, untyped: `class` an enum of concrete keys, features free maps.

    OpenAI's strict mode forbids free maps, so there the maps become lists of
    `{"name", "value"}` / `{"name", "ids"}` entries; `to_cim()` turns them back into maps.
    """
    options = options or SchemaOptions()
    keys = tuple(c.key for c in mm.concrete_classes)
    cls: Any = Literal[keys] if keys and class_enum else str
    ident = id_annotation(options.id_pattern)
    if not options.strict:
        targets: Any = GenericAlias(dict, (str, _list_of(ident)))  # a type made at run time
        obj = create_model(
            "GenericObject",
            __config__=_CONFIG,
            class_=(cls, Field(alias="class")),
            id=(ident, ...),
            attributes=(dict[str, Value], Field(default_factory=dict)),
            references=(targets, Field(default_factory=dict)),
        )
        return root_model([obj])
    attr = create_model("AttributeEntry", __config__=_CONFIG, name=(str, ...), value=(Value, ...))
    ref = create_model(
        "ReferenceEntry", __config__=_CONFIG, name=(str, ...), ids=(_list_of(ident), ...)
    )
    entries = create_model(
        "GenericObject",
        __config__=_CONFIG,
        class_=(cls, Field(alias="class")),
        id=(ident, ...),
        attributes=(_list_of(attr), ...),
        references=(_list_of(ref), ...),
    )
    return create_model("CIM", __base__=_EntryListRoot, objects=(_list_of(entries), ...))


class _EntryListRoot(CimRoot):
    """Root of the strict generic variant: feature entry lists become the CIM's maps."""

    def to_cim(self) -> Cim:
        data = self.model_dump(by_alias=True)
        for obj in data["objects"]:
            obj["attributes"] = {e["name"]: e["value"] for e in obj["attributes"]}
            obj["references"] = {e["name"]: e["ids"] for e in obj["references"]}
        return parse_cim(data)


# --- JSON schema ----------------------------------------------------------------------------


def model_schema(model: type[BaseModel], *, strict: bool = False) -> dict[str, Any]:
    """The model's JSON schema, without titles and defaults (noise to an LLM), and in strict
    mode reduced to OpenAI's supported subset."""
    schema = model.model_json_schema(mode="validation")
    _clean(schema, strict)
    return schema


_STRICT_DROPPED = ("default", "discriminator", "minLength", "maxLength")


def _clean(node: Any, strict: bool) -> None:
    if not isinstance(node, dict):
        return
    node.pop("title", None)
    node.pop("default", None)
    if strict:
        for key in _STRICT_DROPPED:
            node.pop(key, None)
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if node.get("type") == "object":
            node["additionalProperties"] = False
            node["required"] = list(node.get("properties", {}))
    for key in ("properties", "$defs"):
        for child in node.get(key, {}).values():
            _clean(child, strict)
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for child in node.get(key, ()):
            _clean(child, strict)
    for key in ("items", "additionalProperties"):
        _clean(node.get(key), strict)


def measure_schema(schema: dict[str, Any], limits: SchemaLimits | None = None) -> SchemaSize:
    """Count what providers limit: properties, object nesting, enum values, name characters."""
    large_enum = (limits or SchemaLimits()).large_enum_values
    defs = schema.get("$defs", {})
    counts = {"properties": 0, "enum_values": 0, "name_chars": sum(map(len, defs)), "large": 0}

    def visit(node: Any) -> None:
        if not isinstance(node, dict):
            return
        props = node.get("properties", {})
        counts["properties"] += len(props)
        counts["name_chars"] += sum(map(len, props))
        enum = node.get("enum", ())
        counts["enum_values"] += len(enum)
        chars = sum(len(str(v)) for v in enum)
        counts["name_chars"] += chars + len(str(node.get("const", "")))
        if len(enum) > large_enum:
            counts["large"] += chars
        for child in _children(node):
            visit(child)

    visit(schema)
    for d in defs.values():
        visit(d)
    return SchemaSize(
        properties=counts["properties"],
        depth=_depth(schema, defs, {}, set()),
        enum_values=counts["enum_values"],
        name_chars=counts["name_chars"],
        large_enum_chars=counts["large"],
    )


def _children(node: dict[str, Any]) -> Iterable[Any]:
    yield from node.get("properties", {}).values()
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        yield from node.get(key, ())
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            yield node[key]


def _depth(node: Any, defs: dict[str, Any], memo: dict[str, int], open_: set[str]) -> int:
    """Object nesting levels, following `$ref`s: a definition reached again inside itself
    counts 0, and each is measured once (`memo`). Following every path instead took
    exponential time on answer forms that nest any class in any other."""
    if not isinstance(node, dict):
        return 0
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        if name in open_:
            return 0
        if name not in memo:
            open_.add(name)
            memo[name] = _depth(defs.get(name), defs, memo, open_)
            open_.discard(name)
        return memo[name]
    inner = max((_depth(c, defs, memo, open_) for c in _children(node)), default=0)
    return inner + (1 if node.get("type") == "object" else 0)


# --- public entry points --------------------------------------------------------------------

_T = TypeVar("_T")
_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 64
# The HTTP service builds schemas from many threads: the LRU's reorder and evict must not
# interleave. Builds run outside the lock (they take a while); the first one stored wins, so
# every caller gets the same model class.
_CACHE_LOCK = threading.Lock()


def cached_build(key: tuple[Any, ...], build: Callable[[], _T]) -> _T:
    """What `build` makes for `key`, made once: schema models take a while to build, and one
    metamodel's are asked for again and again (a plan measures the schema it then sends)."""
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return cast(_T, _CACHE[key])
    value = build()
    with _CACHE_LOCK:
        value = _CACHE.setdefault(key, value)
        _CACHE.move_to_end(key)
        while len(_CACHE) > _CACHE_SIZE:  # `while`: the bound holds even after it shrank
            _CACHE.popitem(last=False)
    return value


def _build(mm: Metamodel, options: SchemaOptions) -> tuple[type[CimRoot], str, Variant]:
    """The root model, its schema as JSON text, and which variant it is.

    Key order is kept, not sorted: providers and grammars emit properties in schema order,
    and `class` first, then `id`, then features in EMF's order, is what we want them to write.
    """
    too_many = typed_properties(mm) > options.limits.max_properties
    if options.variant == "typed" or (options.variant is None and not too_many):
        model = typed_model(mm, options)
        schema = model_schema(model, strict=options.strict)
        if options.variant == "typed" or not options.limits.violations(
            measure_schema(schema, options.limits)
        ):
            return model, json.dumps(schema), "typed"
    model = generic_model(mm, options)
    schema = model_schema(model, strict=options.strict)
    if options.limits.violations(measure_schema(schema, options.limits)):
        model = generic_model(mm, options, class_enum=False)
        schema = model_schema(model, strict=options.strict)
    return model, json.dumps(schema), "generic"


def typed_properties(mm: Metamodel) -> int:
    """The typed schema's property count, known before building it (which takes a while):
    `objects`, then per concrete class `class`, `id`, its features and their two sections."""
    total = 1
    for c in mm.concrete_classes:
        total += 2 + len(c.features) + (1 if c.attributes else 0) + (1 if c.references else 0)
    return total


def _built(mm: Metamodel, options: SchemaOptions) -> tuple[type[CimRoot], str, Variant]:
    return cached_build((mm.content_hash, options), lambda: _build(mm, options))


def cim_model(mm: Metamodel, options: SchemaOptions | None = None, **knobs: Any) -> type[CimRoot]:
    """The pydantic root model an LLM fills (usable as an instructor `response_model`).

    `knobs` are `SchemaOptions` fields (`strict`, `max_string`, `id_pattern`, `variant`).
    """
    return _built(mm, options or SchemaOptions(**knobs))[0]


def conceptual_schema(
    mm: Metamodel, *, strict: bool = False, options: SchemaOptions | None = None
) -> dict[str, Any]:
    """The JSON schema of the CIM for `mm`; same input, same output (cached by content)."""
    return json.loads(_built(mm, options or SchemaOptions(strict=strict))[1])


def schema_variant(mm: Metamodel, options: SchemaOptions | None = None) -> Variant:
    """Whether `mm` gets the typed schema or, being too large, the generic one."""
    return _built(mm, options or SchemaOptions())[2]
