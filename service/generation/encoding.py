"""What a one-shot answer looks like to the LLM, and how it becomes the CIM again.

`Grouped` (the typed and strict strategies) groups objects by class, flattens features into
each object and writes each contained object inside its container:
`{"Bank": [{"id": "b", "name": "B", "accounts": [{"iban": "DE01", "owners": ["ann"]}]}]}`.
The class is written once per class (or, inside a reference that takes several classes, as
the key of a one-key wrapper), there are no `attributes` and `references` wrappers, a
single-valued reference is an id rather than a one-element list, containment costs no id
list, and an object needs an id only when a reference names it: one without is named by its
place (`b.accounts.0`). So the answer takes fewer output tokens than the XMI of the same
model (benchmarks/bench_tokens.py). A containment item may also be the id of an object
written at the top level, so a repair or a continuation can write a container again keeping
what it holds, or a contained object alone. Feature names cannot clash (a class's features
have distinct names); when some class has a feature called `id`, the object's id is written
under `@id` instead.

`CimForm` (the generic strategy) is the DESIGN.md CIM itself, with free attribute and reference
maps: one schema whatever the metamodel's size, for metamodels beyond a provider's schema
limits.

Both decode deterministically; a repair answer may also carry `$delete`, ids to remove.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from types import GenericAlias
from typing import Annotated, Any, ForwardRef, Literal, Protocol, Union

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
Ids = Literal["all", "needed"]
_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


class Encoding(Protocol):
    """An answer form: its response model, and the two directions between it and the CIM."""

    name: str
    form: str  # how the answer is written, for the prompt
    nested: bool  # objects inside objects (a cut-off answer keeps those completed inside)

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        """The answer's model: a first answer (`whole`: the first part of one, which holds
        the scopes' counts), a repair's (only what changes, and ids to delete)."""
        ...

    def decode(self, data: dict[str, Any], taken: Collection[str] = ()) -> tuple[Cim, list[str]]:
        """The objects of an answer, and the ids it asks to delete; an id the answer leaves
        to be derived is none of `taken`."""
        ...

    def encode(self, cim: Cim, *, ids: Ids = "all") -> dict[str, Any]:
        """`cim` as an answer: every id written (`all`), or only those a model must write."""
        ...

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        """A salvaged prefix of an answer made whole (keys it never reached, empty)."""
        ...


class Grouped:
    """Objects grouped by class, features flattened, contained objects nested (the typed and
    strict strategies)."""

    nested = True  # objects sit inside objects: a cut-off answer keeps those completed inside

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
            "when many-valued). Write each contained object inside its container's containment "
            'reference, as an object (as {"<Class>": {...}} where the reference takes several '
            "classes); at the top level write only the root. Give an id (a short unique name of "
            "letters, digits and underscores) to each object a reference points to; an object "
            f"without one is named by its place (`<container {self.id_key}>.<reference>.<index>`)."
            " A containment reference may also hold the id of an object written at the top "
            "level: so you can write a container again keeping what it holds. Of two opposite "
            "references (`#name`) write the one the schema has: the other follows. Every object "
            "but the root is contained once. Leave out unset features and classes without "
            "objects."
        )
        held = list_bounds(mm, self.scopes)
        if held:
            # A counted class's objects sit in its own top-level list, whose length the schema
            # bounds; nested elsewhere they would escape the count.
            self.form += (
                f" Write the objects of {', '.join(sorted(held))} at the top level, in their "
                "class's list, and put their ids in their containers' containment references."
            )

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        scopes = self.scopes if whole and not repair else ()
        key = ("grouped", self.mm.content_hash, self.strict, repair, scopes)
        return cached_build(key, lambda: self._build(repair, scopes))

    def _build(self, repair: bool, scopes: tuple[Scope, ...]) -> type[BaseModel]:
        """The form; each class's list as long as `scopes` allow (`scope.list_bounds`)."""
        names = NameAllocator()
        names.allocate("Objects")
        keys = [cls.key for cls in self.mm.concrete_classes]
        # Forward references by definition name: containment may be recursive.
        items = {k: ForwardRef(names.allocate(k)) for k in keys}
        wrapped = {k: ForwardRef(names.allocate(f"{k}_in_place")) for k in keys}
        models = {
            cls.key: self._object_model(cls, items[cls.key].__forward_arg__, items, wrapped)
            for cls in self.mm.concrete_classes
        }
        wrappers = [
            create_model(
                wrapped[k].__forward_arg__, __config__=_CONFIG, body=(models[k], Field(alias=k))
            )
            for k in keys
        ]
        namespace = {m.__name__: m for m in (*models.values(), *wrappers)}
        for model in models.values():
            model.model_rebuild(_types_namespace=namespace)
        fields: dict[str, Any] = {}
        held = list_bounds(self.mm, scopes)
        for i, cls in enumerate(self.mm.concrete_classes):
            many = GenericAlias(list, (models[cls.key],))
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
        """The features an answer writes for `cls`, containment last (a cut inside a
        contained object leaves its container's other features written): all but the implied
        end of an opposite pair (the compiler writes both ends from one, DESIGN.md)."""
        features = [
            f
            for f in cls.features
            if isinstance(f, Attribute) or f.containment or asked_reference(self.mm, f)
        ]
        return sorted(features, key=lambda f: isinstance(f, Reference) and f.containment)

    def placed(self, ref: Reference) -> tuple[str, ...]:
        """The classes an object written inside `ref` may have; several: each in its wrapper."""
        return self.mm.concrete_subtypes(ref.target)

    def _object_model(
        self,
        cls: EClassView,
        name: str,
        items: dict[str, ForwardRef],
        wrapped: dict[str, ForwardRef],
    ) -> type[BaseModel]:
        features: list[tuple[Attribute | Reference, Any]] = []
        for f in self.written(cls):
            if isinstance(f, Reference) and f.containment:
                # Optional whatever its lower bound: the validator counts, and a cut-off
                # container stays readable. Each item an object in place or an id.
                classes = self.placed(f)
                inner = [(wrapped if len(classes) > 1 else items)[k] for k in classes]
                item: Any = Union[(str, *inner)] if inner else str
                bound = None if f.upper == -1 else f.upper
                annotation = (
                    Annotated[GenericAlias(list, (item,)), Field(max_length=bound)]
                    if f.many
                    else item
                )
                features.append((replace(f, lower=0), annotation))
            else:
                features.append((f, _annotation(f)))
        ident = id_annotation() | None
        return features_model(
            name,
            features,
            strict=self.strict,
            xml_names=feature_xml_names(self.mm, cls),
            leading={
                "oid": (
                    ident,
                    Field(alias=self.id_key) if self.strict else Field(None, alias=self.id_key),
                )
            },
            listed=False,
        )

    def decode(self, data: dict[str, Any], taken: Collection[str] = ()) -> tuple[Cim, list[str]]:
        """The objects of an answer (those written in place included, an object without an
        id named by its place, unique among `taken` and the answer's ids) and the ids it
        asks to delete."""
        used = set(taken) | _written_ids(data, self.id_key)
        objects: list[CimObject] = []

        def visit(entry: dict[str, Any], key: str, place: str) -> str:
            oid = entry.get(self.id_key) or _unique(place, used)
            slot = len(objects)
            objects.append(CimObject(id=oid, class_=key))
            features = self.mm.classes[key].feature_map
            attrs: dict[str, Any] = {}
            refs: dict[str, list[str]] = {}
            for name, value in entry.items():
                f = features.get(name)
                if value is None or value == [] or f is None:
                    continue  # unset is absent in the CIM
                if isinstance(f, Attribute):
                    attrs[name] = value
                elif f.containment:
                    many = value if isinstance(value, list) else [value]
                    refs[name] = [
                        self._child(item, f, f"{oid}.{name}.{i}", visit)
                        for i, item in enumerate(many)
                    ]
                else:
                    refs[name] = [value] if isinstance(value, str) else list(value)
            objects[slot] = CimObject(id=oid, class_=key, attributes=attrs, references=refs)
            return oid

        for key, entries in data.items():
            if key != DELETE:
                for i, entry in enumerate(entries):
                    visit(entry, key, f"{key}.{i}")
        return Cim(objects=objects), list(data.get(DELETE) or ())

    def _child(
        self, item: Any, f: Reference, place: str, visit: Callable[[dict[str, Any], str, str], str]
    ) -> str:
        """The id of one item of a containment reference: an id as written, or the object
        written in place (in its class's wrapper when the reference takes several)."""
        if isinstance(item, str):
            return item
        classes = self.placed(f)
        if len(classes) == 1:
            return visit(item, classes[0], place)
        ((key, body),) = item.items()
        return visit(body, key, place)

    def encode(self, cim: Cim, *, ids: Ids = "all") -> dict[str, Any]:
        """`cim` as an answer, each contained object in its container. Of an opposite pair,
        the written end holds what either end says. `ids="all"` writes every id (decoding
        gives `cim` back); `"needed"` only those a reference names, as a model would write
        it (decoding gives the same model, the others named by their place)."""
        edges = _edges_with_opposites(self.mm, cim)
        by_id = {o.id: o for o in cim.objects}
        container: dict[str, tuple[str, str]] = {}  # child -> its first (container, feature)
        named: set[str] = set()  # ids a reference, or a second container, points to
        for o in cim.objects:
            cls = self.mm.classes.get(o.class_)
            for f in self.written(cls) if cls is not None else ():
                if not isinstance(f, Reference):
                    continue
                for target in edges.get((o.id, f.name), []):
                    nestable = f.containment and by_id.get(target) is not None
                    if (
                        nestable
                        and by_id[target].class_ in self.placed(f)
                        and container.setdefault(target, (o.id, f.name)) == (o.id, f.name)
                    ):
                        continue
                    named.add(target)
        done: set[str] = set()

        def entry_of(o: CimObject, inside: bool) -> dict[str, Any]:
            done.add(o.id)
            entry: dict[str, Any] = {}
            if ids == "all" or not inside or o.id in named:
                entry[self.id_key] = o.id
            entry.update(o.attributes)
            cls = self.mm.classes.get(o.class_)
            for f in self.written(cls) if cls is not None else ():
                targets = edges.get((o.id, f.name), []) if isinstance(f, Reference) else []
                if not targets:
                    continue
                assert isinstance(f, Reference)
                if f.containment:
                    held = [in_place(t, f, o.id) for t in targets]
                    entry[f.name] = held if f.many else held[0]
                else:
                    entry[f.name] = targets[0] if not f.many and len(targets) == 1 else targets
            return entry

        def in_place(target: str, f: Reference, owner: str) -> Any:
            """A containment item: the object in place where this is its container, else its
            id (a second container, a cycle, a target of another class or none)."""
            child = by_id.get(target)
            if child is None or container.get(target) != (owner, f.name) or target in done:
                return target
            body = entry_of(child, True)
            return body if len(self.placed(f)) == 1 else {child.class_: body}

        answer: dict[str, list[dict[str, Any]]] = {}
        for o in cim.objects:
            if o.id not in container and o.id not in done:
                answer.setdefault(o.class_, []).append(entry_of(o, False))
        for o in cim.objects:  # in a containment cycle: no root above it
            if o.id not in done:
                named.add(o.id)
                answer.setdefault(o.class_, []).append(entry_of(o, False))
        return answer

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        if not self.strict:
            return data
        whole: dict[str, Any] = {c.key: [] for c in self.mm.concrete_classes}
        whole.update(data)
        for cls in self.mm.concrete_classes:
            for entry in whole[cls.key]:
                self._fill(entry, cls.key)
        return whole

    def _fill(self, entry: dict[str, Any], key: str) -> None:
        """Strict mode: every feature of `entry` and of the objects in it present (null)."""
        entry.setdefault(self.id_key, None)
        for f in self.written(self.mm.classes[key]):
            value = entry.setdefault(f.name, None)
            if not (isinstance(f, Reference) and f.containment) or value is None:
                continue
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    classes = self.placed(f)
                    if len(classes) == 1:
                        self._fill(item, classes[0])
                    else:
                        ((inner, body),) = item.items()
                        self._fill(body, inner)


def _written_ids(data: Any, id_key: str) -> set[str]:
    """Every id written anywhere in an answer (objects in place included)."""
    found: set[str] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get(id_key), str):
                found.add(node[id_key])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _unique(place: str, used: set[str]) -> str:
    """`place` as an id, suffixed where an id written or taken already has it."""
    candidate, n = place, 1
    while candidate in used:
        n += 1
        candidate = f"{place}_{n}"
    used.add(candidate)
    return candidate


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
    nested = False

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
            "list of ids. A containment reference lists the objects its owner contains; every "
            "object but the root is contained once. Give each object a short unique id made of "
            "letters, digits and underscores."
        )

    def response_model(self, *, repair: bool = False, whole: bool = True) -> type[BaseModel]:
        if not repair:
            return self._model
        if self._repair is None:
            self._repair = create_model(
                "CIMRepair", __base__=self._model, delete_=_delete_field(self.strict)
            )
        return self._repair

    def decode(self, data: dict[str, Any], taken: Collection[str] = ()) -> tuple[Cim, list[str]]:
        deleted = list(data.get(DELETE) or ())
        cim = self._model.model_validate({"objects": data.get("objects", [])}).to_cim()
        return cim, deleted

    def encode(self, cim: Cim, *, ids: Ids = "all") -> dict[str, Any]:
        data = cim.to_json()
        if self.strict:
            for o in data["objects"]:
                o["attributes"] = [{"name": k, "value": v} for k, v in o["attributes"].items()]
                o["references"] = [{"name": k, "ids": v} for k, v in o["references"].items()]
        return data

    def complete(self, data: dict[str, Any]) -> dict[str, Any]:
        return {"objects": [], **data}
