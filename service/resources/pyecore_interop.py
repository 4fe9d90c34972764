"""pyecore interop: a CIM as live pyecore EObjects and back, for scripts next to Eclipse
tooling that already hold pyecore objects.

`to_pyecore` compiles the CIM to XMI with every object's id as its xmi:id and lets pyecore
load it, so values are converted by pyecore itself and each EObject keeps its CIM id
(`_internal_id`, what pyecore writes back as xmi:id). `from_pyecore` walks the objects
(nothing is moved between resources, so the caller's model is left as it was): an object's
id is its xmi:id where it has one, else its iD attribute's value, else one made from its
class name; values become CIM values by each attribute's data type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from instancegen import compilers
from instancegen.service.core.cim import Cim, CimObject, Scalar
from instancegen.service.core.ecore_loader import load_into, pyecore_resource_set
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, DataType, EClassView, Metamodel, Reference


def to_pyecore(cim: Cim, metamodel: Metamodel, uri: str = "model.xmi") -> Any:
    """A pyecore resource holding `cim` as live EObjects (roots in `resource.contents`)."""
    ids = {o.id: "_".join(o.id.split()) or "_" for o in cim.objects}
    data = compilers.get("xmi").compile(cim, metamodel, xmi_ids=ids)
    rset = pyecore_resource_set(metamodel)
    try:
        return load_into(rset, uri, data)
    except Exception as exc:  # pyecore raises bare errors
        raise InputError(f"pyecore cannot load the model: {exc}") from None


def from_pyecore(resource_or_objects: Any, metamodel: Metamodel) -> Cim:
    """The CIM of a pyecore resource, or of root EObjects (and what they contain)."""
    roots = list(getattr(resource_or_objects, "contents", resource_or_objects))
    return _Reader(metamodel).read(roots)


class _Reader:
    def __init__(self, metamodel: Metamodel) -> None:
        self.mm = metamodel
        self.by_name = {(c.package.ns_uri, c.name): c for c in metamodel.classes.values()}
        self.ids: dict[int, str] = {}
        self.taken: set[str] = set()
        self.counters: dict[str, int] = {}

    def read(self, roots: list[Any]) -> Cim:
        objects: list[Any] = []
        stack = roots[::-1]
        while stack:  # document order: parents first, children in feature order
            obj = stack.pop()
            objects.append(obj)
            kids = [
                kid
                for ref in self._class(obj).references
                if ref.containment
                for kid in _as_list(obj.eGet(ref.name), ref)
            ]
            stack.extend(reversed(kids))
        for obj in objects:
            self.ids[id(obj)] = self._id_of(obj)
        return Cim(objects=[self._object(obj) for obj in objects])

    def _class(self, obj: Any) -> EClassView:
        ecls = obj.eClass
        view = self.by_name.get((ecls.ePackage.nsURI, ecls.name))
        if view is None:
            raise InputError(f"{ecls.name} is not a class of the metamodel.")
        return view

    def _id_of(self, obj: Any) -> str:
        wanted = getattr(obj, "_internal_id", None)
        if not wanted:
            cls = self._class(obj)
            id_attr = next((a for a in cls.attributes if a.is_id and not a.many), None)
            value = obj.eGet(id_attr.name) if id_attr is not None else None
            wanted = str(value) if value not in (None, "") else None
        if not wanted or wanted in self.taken:
            stem = obj.eClass.name[:1].lower() + obj.eClass.name[1:]
            n = self.counters.get(stem, 0) + 1
            while f"{stem}{n}" in self.taken:
                n += 1
            self.counters[stem] = n
            wanted = f"{stem}{n}"
        self.taken.add(wanted)
        return wanted

    def _object(self, obj: Any) -> CimObject:
        cls = self._class(obj)
        attributes: dict[str, Any] = {}
        references: dict[str, list[str]] = {}
        for f in cls.features:
            if not obj.eIsSet(f.name):
                continue
            value = obj.eGet(f.name)
            if isinstance(f, Attribute):
                if f.many:
                    values = [_value(v, f.type) for v in value]
                    if values:
                        attributes[f.name] = values
                elif value is not None:
                    attributes[f.name] = _value(value, f.type)
            else:
                targets = [self._target(t) for t in _as_list(value, f)]
                kept = [t for t in targets if t is not None]
                if kept:
                    references[f.name] = kept
        return CimObject(
            id=self.ids[id(obj)], class_=cls.key, attributes=attributes, references=references
        )

    def _target(self, target: Any) -> str | None:
        """The id of an object read here; an object elsewhere as its `uri#fragment`."""
        found = self.ids.get(id(target))
        if found is not None:
            return found
        resource = getattr(target, "eResource", None)
        if resource is None or getattr(resource, "uri", None) is None:
            return None  # not in any resource: nothing to point at
        return f"{resource.uri.plain}#{resource.uri_fragment(target)}"


def _as_list(value: Any, ref: Reference) -> Iterable[Any]:
    if ref.many:
        return list(value)
    return [] if value is None else [value]


def _value(value: Any, dtype: DataType) -> Scalar:
    """A pyecore attribute value as the CIM writes it (DESIGN.md: enums by literal name,
    dates in ISO 8601)."""
    kind = dtype.kind
    if kind == "enum":
        return str(getattr(value, "name", value))
    if kind == "date" and isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if kind == "decimal" and isinstance(value, Decimal):
        return str(value)
    if isinstance(value, str | bool | int | float):
        return value
    return str(value)
