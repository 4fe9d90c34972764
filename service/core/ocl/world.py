"""The instance model as OCL navigates it: typed attribute values, references, extents.

Built once per validation from the CIM and the metamodel. Attribute values are read the way
EMF reads the model (absent means the default; a primitive without one has its intrinsic
default), and an eOpposite end the CIM leaves out is implied by the other end, as the
compilers write it. Values of the wrong type, which the validator reports on its own, read
as `invalid` rather than being guessed at.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from instancegen.service.core.cim import CimObject
from instancegen.service.core.metamodel import Attribute, DataType, EClassView, Metamodel, Reference
from instancegen.service.core.ocl.values import Collection, EnumValue, Invalid, Obj, Value, make

_WHOLE = re.compile(r"[+-]?\d{1,4000}")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
_INTRINSIC: dict[str, Value] = {"int": 0, "float": 0.0, "bool": False}


class World:
    """Read-only access to one CIM for the evaluator."""

    def __init__(self, mm: Metamodel, objects: Sequence[CimObject]) -> None:
        self.mm = mm
        self.objects = objects
        self.index: dict[str, int] = {}
        for i, o in enumerate(objects):
            self.index.setdefault(o.id, i)
        self.views: list[EClassView | None] = [mm.classes.get(o.class_) for o in objects]
        self._extents: dict[str, tuple[Obj, ...]] = {}

    def name_of(self, i: int) -> str:
        return self.objects[i].id

    @cached_property
    def feature_names(self) -> frozenset[str]:
        """Every feature name the metamodel declares: telling a typo from a subclass's own."""
        return frozenset(f.name for c in self.mm.classes.values() for f in c.features)

    def attribute(self, i: int, a: Attribute) -> Value:
        raw = self.objects[i].attributes.get(a.name)
        if a.many:
            if raw is None:
                return Collection("OrderedSet", ())
            listed = raw if isinstance(raw, list) else [raw]
            values = [self._typed(v, a, i) for v in listed]
            bad = next((v for v in values if isinstance(v, Invalid)), None)
            return bad if bad is not None else make("OrderedSet", values)
        if raw is None:
            return self._default(a)
        return self._typed(raw, a, i)

    def reference(self, i: int, r: Reference) -> Value:
        targets = self.objects[i].references.get(r.name)
        if targets is not None:
            found = [Obj(j) for t in targets if (j := self.index.get(t)) is not None]
        elif r.opposite is not None:
            found = [Obj(j) for j in self._implied(i, r)]
        else:
            found = []
        if r.many:
            return make("OrderedSet", found)
        return found[0] if found else None

    def _implied(self, i: int, r: Reference) -> list[int]:
        """Objects whose `r.opposite` lists object i: the end the CIM left out."""
        result = []
        for j in self._listed_by[(self.objects[i].id, r.opposite)]:
            view = self.views[j]
            other = view.feature_map.get(r.opposite or "") if view else None
            if isinstance(other, Reference) and other.opposite == r.name:
                result.append(j)
        return result

    @cached_property
    def _listed_by(self) -> defaultdict[tuple[str, str | None], list[int]]:
        result: defaultdict[tuple[str, str | None], list[int]] = defaultdict(list)
        for j, o in enumerate(self.objects):
            for name, targets in o.references.items():
                for t in targets:
                    result[(t, name)].append(j)
        return result

    @cached_property
    def containers(self) -> dict[int, int]:
        """Child index to container index, from the containment references."""
        result: dict[int, int] = {}
        for j, (o, view) in enumerate(zip(self.objects, self.views, strict=True)):
            if view is None:
                continue
            for name, targets in o.references.items():
                ref = view.feature_map.get(name)
                if isinstance(ref, Reference) and ref.containment:
                    for t in targets:
                        child = self.index.get(t)
                        if child is not None:
                            result.setdefault(child, j)
        return result

    def instances(self, key: str) -> tuple[Obj, ...]:
        """Every object of class `key` or one of its subclasses, in CIM order."""
        found = self._extents.get(key)
        if found is None:
            found = self._extents[key] = tuple(
                Obj(i)
                for i, view in enumerate(self.views)
                if view is not None and self.index[self.objects[i].id] == i
                and (view.key == key or key in view.all_supertypes)
            )  # fmt: skip
        return found

    def _typed(self, raw: Any, a: Attribute, i: int) -> Value:
        value = _convert(raw, a.type)
        if value is None:
            return Invalid(f"{self.objects[i].id}.{a.name} holds {raw!r}, not a {a.type.name}")
        return value

    def _default(self, a: Attribute) -> Value:
        if a.default is not None:
            literal = a.default
            if a.type.kind == "enum" and literal not in a.type.literals:
                values = a.type.literal_values
                literal = a.type.literals[values.index(literal)] if literal in values else ""
            return _convert(literal if a.type.kind in ("string", "char", "date", "other", "enum")
                            else _from_literal(literal), a.type)  # fmt: skip
        if a.type.kind == "enum" and a.type.literals:  # EMF's default: the first literal
            return EnumValue(a.type.name, a.type.literals[0])
        return _INTRINSIC.get(a.type.kind) if a.type.primitive else None


def _from_literal(text: str) -> Any:
    """A default value literal as the JSON scalar it stands for."""
    if text in ("true", "false"):
        return text == "true"
    if _WHOLE.fullmatch(text):
        return int(text)
    if _NUMBER.fullmatch(text):
        return float(text)
    return text


def _convert(raw: Any, dt: DataType) -> Value:
    """A CIM value as the OCL value of type `dt`; None when it is not one."""
    kind = dt.kind
    if kind in ("int", "bigint"):
        if type(raw) is int:
            return raw
        if kind == "bigint" and isinstance(raw, str) and _WHOLE.fullmatch(raw):
            return int(raw)
        return None
    if kind in ("float", "decimal"):
        if type(raw) in (int, float):
            return float(raw)
        if kind == "decimal" and isinstance(raw, str) and _NUMBER.fullmatch(raw):
            return float(raw)
        return None
    if kind == "bool":
        return raw if type(raw) is bool else None
    if kind == "enum":
        return EnumValue(dt.name, raw) if isinstance(raw, str) and raw in dt.literals else None
    if kind == "other":
        return raw if type(raw) in (str, int, float) else None
    return raw if isinstance(raw, str) else None
