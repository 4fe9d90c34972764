"""What a one-shot answer looks like to the LLM, and how it becomes the CIM again.

`Grouped` (the typed and strict strategies) groups objects by class and flattens features into
each object: `{"Account": [{"id": "a1", "iban": "DE01", "owners": ["ann"], "bank": "b"}]}`.
The class is written once per class instead of once per object, there are no `attributes` and
`references` wrappers, and a single-valued reference is an id rather than a one-element list:
fewer output tokens than the DESIGN.md CIM as JSON and than XMI (benchmarks/bench_tokens.py).
Feature names cannot clash (a class's features have distinct names); when some class has a
feature called `id`, the object's id is written under `@id` instead.

`CimForm` (the generic strategy) is the DESIGN.md CIM itself, with free attribute and reference
maps: one schema whatever the metamodel's size, for metamodels beyond a provider's schema
limits.

Both decode deterministically; a repair answer may also carry `$delete`, ids to remove.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import GenericAlias
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, create_model

from instancegen.service.backends.base import StrictAnswer
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference
from instancegen.service.core.scope import Scope, list_bounds
from instancegen.service.generation.emfatic import feature_xml_names
from instancegen.service.generation.schema import (
    NameAllocator,
    SchemaOptions,
    asked_reference,
    attribute_annotation,
    cached_build,
    cim_model,
    features_model,
    id_annotation,
    reference_annotation,
)

DELETE = "$delete"
_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


class Encoding(Protocol):
    """An answer form: its response model, and the two directions between it and the CIM."""

    name: str
    form: str  # how the answer is written, for the prompt

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        """The answer's model: a first answer (`whole`: the first part of one, which holds
        the scopes' counts), a repair's (only what changes, and ids to delete)."""
        ...

    def decode(self, data: dict[str, Any]) -> tuple[Cim, list[str]]:
        """The objects of an answer, and the ids it asks to delete."""
        ...

    def encode(self, cim: Cim) -> dict[str, Any]: ...

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        """A salvaged prefix of an answer made whole (keys it never reached, empty)."""
        ...


class Grouped:
    """Objects grouped by class, features flattened (the typed and strict strategies)."""

    def __init__(
        self, mm: Metamodel, *, strict: bool = False, scopes: Sequence[Scope] = ()
    ) -> None:
        self.mm = mm
        self.strict = strict
        self.scopes = tuple(scopes)
        self.name = "strict" if strict else "typed"
        clash = any("id" in c.feature_map for c in mm.concrete_classes)
        self.id_key = "@id" if clash else "id"
        self.form = (
            f'Answer with the objects grouped by class: {{"<Class>": [{{"{self.id_key}": "<id>", '
            '"<feature>": <value>, ...}], ...}. An attribute holds its value (a list when '
            "many-valued); a reference holds the id of the object it points to (a list of ids "
            "when many-valued). Of two opposite references (`#name`) write the one the schema "
            "has: the other follows. Leave out unset features and classes without objects."
        )

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        scopes = self.scopes if whole and not repair else ()
        key = ("grouped", self.mm.content_hash, self.strict, repair, scopes)
        return cached_build(key, lambda: self._build(repair, scopes))

    def _build(self, repair: bool, scopes: tuple[Scope, ...]) -> type[BaseModel]:
        """The form; each class's list as long as `scopes` allow (`scope.list_bounds`)."""
        names = NameAllocator()
        names.allocate("Objects")
        fields: dict[str, Any] = {}
        held = list_bounds(self.mm, scopes)
        for i, cls in enumerate(self.mm.concrete_classes):
            item = self._object_model(cls, names)
            many = GenericAlias(list, (item,))
            low, high = held.get(cls.key, (0, None))
            if self.strict:
                field = Field(alias=cls.key, min_length=low or None, max_length=high)
            else:
                field = Field(
                    default_factory=list, alias=cls.key, min_length=low or None, max_length=high
                )
            fields[f"c{i}"] = (many, field)
        if repair:
            fields["delete_"] = _delete_field(self.strict)
        if self.strict:
            return create_model("Objects", __base__=StrictAnswer, **fields)
        return create_model("Objects", __config__=_CONFIG, **fields)

    def written(self, cls: EClassView) -> list[Attribute | Reference]:
        """The features an answer writes for `cls`: all but the implied end of an opposite
        pair (the compiler writes both ends from one, DESIGN.md)."""
        return [
            f
            for f in cls.features
            if isinstance(f, Attribute) or f.containment or asked_reference(self.mm, f)
        ]

    def _object_model(self, cls: EClassView, names: NameAllocator) -> type[BaseModel]:
        return features_model(
            names.allocate(cls.key),
            [(f, _annotation(f)) for f in self.written(cls)],
            strict=self.strict,
            xml_names=feature_xml_names(self.mm, cls),
            leading={"oid": (id_annotation(), Field(alias=self.id_key))},
            listed=False,
        )

    def decode(self, data: dict[str, Any]) -> tuple[Cim, list[str]]:
        objects = []
        for key, entries in data.items():
            if key == DELETE:
                continue
            features = self.mm.classes[key].feature_map
            for entry in entries:
                attrs: dict[str, Any] = {}
                refs: dict[str, list[str]] = {}
                for name, value in entry.items():
                    f = features.get(name)
                    if value is None or value == [] or f is None:
                        continue  # unset is absent in the CIM
                    if isinstance(f, Reference):
                        refs[name] = [value] if isinstance(value, str) else list(value)
                    else:
                        attrs[name] = value
                objects.append(
                    CimObject(id=entry[self.id_key], class_=key, attributes=attrs, references=refs)
                )
        return Cim(objects=objects), list(data.get(DELETE) or ())

    def encode(self, cim: Cim) -> dict[str, Any]:
        """`cim` as an answer; of an opposite pair, the written end holds what either end
        says."""
        edges = _edges_with_opposites(self.mm, cim)
        answer: dict[str, list[dict[str, Any]]] = {}
        for o in cim.objects:
            entry: dict[str, Any] = {self.id_key: o.id, **o.attributes}
            cls = self.mm.classes.get(o.class_)
            for f in self.written(cls) if cls is not None else ():
                ids = edges.get((o.id, f.name), []) if isinstance(f, Reference) else []
                if ids:
                    entry[f.name] = ids[0] if not f.many and len(ids) == 1 else ids
            answer.setdefault(o.class_, []).append(entry)
        return answer

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        if not self.strict:
            return data
        whole: dict[str, Any] = {c.key: [] for c in self.mm.concrete_classes}
        whole.update(data)
        for cls in self.mm.concrete_classes:
            for entry in whole[cls.key]:
                for f in self.written(cls):
                    entry.setdefault(f.name, None)
        return whole


def _edges_with_opposites(mm: Metamodel, cim: Cim) -> dict[tuple[str, str], list[str]]:
    """(object, reference) -> targets, each opposite end completed from the other."""
    edges: dict[tuple[str, str], list[str]] = {}
    for o in cim.objects:
        features = mm.classes[o.class_].feature_map if o.class_ in mm.classes else {}
        for name, ids in o.references.items():
            edges.setdefault((o.id, name), []).extend(ids)
            ref = features.get(name)
            if isinstance(ref, Reference) and ref.opposite:
                for target in ids:
                    edges.setdefault((target, ref.opposite), []).append(o.id)
    return {key: list(dict.fromkeys(ids)) for key, ids in edges.items()}


def _delete_field(strict: bool) -> tuple[Any, Any]:
    """`$delete` of a repair answer: ids of objects to remove (required but empty in strict)."""
    described = "ids of objects to remove"
    if strict:
        return list[str], Field(alias=DELETE, description=described)
    return list[str], Field(default_factory=list, alias=DELETE, description=described)


def _annotation(f: Attribute | Reference) -> Any:
    if isinstance(f, Attribute):
        return attribute_annotation(f)
    return reference_annotation(f) if f.many else id_annotation()


class CimForm:
    """The DESIGN.md CIM with free feature maps (the generic strategy)."""

    name = "generic"

    def __init__(self, mm: Metamodel, *, strict: bool = False) -> None:
        self.mm = mm
        self.strict = strict
        self._model = cim_model(mm, SchemaOptions(strict=strict, variant="generic"))
        self._repair: type[BaseModel] | None = None
        features = (
            '"attributes": [{"name": "<attribute>", "value": <value>}], "references": '
            '[{"name": "<reference>", "ids": ["<id>", ...]}]'
            if strict
            else '"attributes": {"<attribute>": <value>}, "references": {"<reference>": '
            '["<id>", ...]}'
        )
        self.form = (
            f'Answer with {{"objects": [{{"class": "<Class>", "id": "<id>", {features}}}, ...]}}: '
            "one entry per object, an attribute's value a list when many-valued, a reference a "
            "list of ids."
        )

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        if not repair:
            return self._model
        if self._repair is None:
            self._repair = create_model(
                "CIMRepair", __base__=self._model, delete_=_delete_field(self.strict)
            )
        return self._repair

    def decode(self, data: dict[str, Any]) -> tuple[Cim, list[str]]:
        deleted = list(data.get(DELETE) or ())
        cim = self._model.model_validate({"objects": data.get("objects", [])}).to_cim()
        return cim, deleted

    def encode(self, cim: Cim) -> dict[str, Any]:
        data = cim.to_json()
        if self.strict:
            for o in data["objects"]:
                o["attributes"] = [{"name": k, "value": v} for k, v in o["attributes"].items()]
                o["references"] = [{"name": k, "ids": v} for k, v in o["references"].items()]
        return data

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"objects": [], **data}
