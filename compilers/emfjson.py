"""EMF-JSON as emfjson-jackson writes and reads it.

Every object carries `"eClass": "<nsURI>#//<Class>"`; containment nests objects; references
are `{"$ref": "<fragment>"}` with EMF's fragments (iD value or `//@f.0` path), or `_id`s when
ids are requested (emfjson's OPTION_USE_ID); several roots make a top-level array. Values are
JSON scalars, enums by literal, EDate as `yyyy-MM-dd'T'HH:mm:ss` in UTC (emfjson's default
format; milliseconds appended only when there are some, which its parser ignores).
"""

from __future__ import annotations

import json
import math
from typing import Any

from instancegen.compilers._tree import ModelTree
from instancegen.compilers.import_builder import Node
from instancegen.compilers.import_core import CimBuilder
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import Cim, Scalar
from instancegen.service.core.errors import InputError
from instancegen.service.core.json_text import utf8_json
from instancegen.service.core.metamodel import Attribute, DataType, EClassView, Metamodel, Reference
from instancegen.service.core.values import (
    as_list,
    decimal_value,
    enum_literal,
    external_parts,
    from_lexical,
    is_default,
    is_external,
    parse_date,
    to_lexical,
)

Json = dict[str, Any]


def class_uri(cls: EClassView) -> str:
    return f"{cls.package.ns_uri}#//{cls.name}"


def _json_value(value: Any, dtype: DataType) -> Any:
    """The JSON form of one value; a value the type cannot hold is an InputError."""
    try:
        return _json_form(value, dtype)
    except (ValueError, ArithmeticError):
        raise InputError(f"the value {value!r} is not a valid {dtype.name}.") from None


def _json_form(value: Any, dtype: DataType) -> Any:
    kind = dtype.kind
    if kind == "bool":
        return value is True or str(value).lower() == "true"
    if kind in ("int", "bigint"):
        return int(to_lexical(value, dtype))
    if kind == "decimal":
        return decimal_value(to_lexical(value, dtype))
    if kind == "float":
        number = float(to_lexical(value, dtype))
        return to_lexical(value, dtype) if not math.isfinite(number) else number
    if kind == "date":
        stamp = parse_date(str(value))
        millis = f".{stamp.microsecond // 1000:03d}" if stamp.microsecond >= 1000 else ""
        return f"{stamp.year:04d}" + stamp.strftime("-%m-%dT%H:%M:%S") + millis
    if kind == "enum":
        return enum_literal(str(value), dtype)
    if kind == "object":
        return to_lexical(value, dtype)
    return str(value)


class EmfJsonCompiler:
    """The `json` format. Option `ids="xmi"` writes `_id`s and refers to objects by them."""

    name = "json"
    media_type = "application/json"
    extension = "json"
    description = "EMF-JSON as emfjson-jackson reads it"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        tree = ModelTree(cim, metamodel)
        use_ids = options.get("ids") == "xmi"
        local = (lambda t: t) if use_ids else tree.fragment

        def ref(target: str) -> Json:
            if not is_external(target):
                return {"$ref": local(target)}
            cls, uri = external_parts(target)
            if cls is None:
                return {"$ref": uri}
            return {"eClass": class_uri(metamodel.classes[cls]), "$ref": uri}

        made = {oid: self._shell(tree.classes[oid], oid, use_ids) for oid in tree.order}
        for oid in tree.order:
            out, obj = made[oid], tree.objects[oid]
            for f in tree.classes[oid].features:
                if isinstance(f, Attribute):
                    value = obj.attributes.get(f.name)
                    if f.many and value is not None:
                        items = [_json_value(v, f.type) for v in as_list(value) if v is not None]
                        if items:
                            out[f.name] = items
                    elif not f.many and value is not None and not is_default(f, value):
                        out[f.name] = _json_value(value, f.type)
                    continue
                targets = (
                    [made[k] for k in obj.references.get(f.name, ())]
                    if f.containment
                    else [ref(t) for t in tree.links.get((oid, f.name), ())]
                )
                if targets:
                    out[f.name] = targets if f.many else targets[0]
        roots = [made[oid] for oid in tree.roots]
        doc: Any = roots[0] if len(roots) == 1 else roots
        try:
            text = json.dumps(doc, indent=2, ensure_ascii=False)
        except RecursionError:
            raise InputError("the containment nesting is too deep to write as JSON.") from None
        return utf8_json(text + "\n")

    @staticmethod
    def _shell(cls: EClassView, oid: str, use_ids: bool) -> Json:
        out: Json = {"eClass": class_uri(cls)}
        if use_ids:
            out["_id"] = oid
        return out


class EmfJsonImporter:
    """The `json` input format (emfjson-jackson documents)."""

    name = "json"

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        limits_mod.current().check("max_xml_bytes", len(data), f"{name}: the document size")
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: not valid JSON ({exc}).") from None
        return _JsonReader(metamodel, name).read(doc)


class _JsonReader:
    def __init__(self, metamodel: Metamodel, name: str) -> None:
        self.name = name
        self.metamodel = metamodel
        self.builder = CimBuilder(name)
        self.by_uri = {class_uri(c): c for c in metamodel.classes.values()}

    def read(self, doc: Any) -> Cim:
        tops = doc if isinstance(doc, list) else [doc]
        pending: list[tuple[Json, Node]] = []
        for i, top in enumerate(tops):
            where = f"[{i}]" if isinstance(doc, list) else "the root"
            cls = self._class(top, None, where)
            pending.append((top, self.builder.add(cls, None, None, None, _id(top))))
        pending.reverse()
        while pending:
            data, node = pending.pop()
            kids = self._object(data, node)
            pending.extend(reversed(kids))
        return self.builder.finish()

    def _fail(self, where: str, what: str) -> InputError:
        return InputError(f"{self.name}: {where}: {what}")

    def _class(self, data: Any, ref: Reference | None, where: str) -> EClassView:
        if not isinstance(data, dict):
            raise self._fail(where, "an object must be a JSON object.")
        if "$ref" in data:
            raise self._fail(where, "contained objects in other documents cannot be imported.")
        uri = data.get("eClass")
        if uri is None:
            if ref is None:
                raise self._fail(where, 'a root object needs an "eClass".')
            return self.metamodel.classes[ref.target]
        cls = self.by_uri.get(str(uri))
        if cls is None:
            raise self._fail(where, f"the metamodel has no class {uri!r}.")
        return cls

    def _object(self, data: Json, node: Node) -> list[tuple[Json, Node]]:
        kids: list[tuple[Json, Node]] = []
        fmap = node.cls.feature_map
        for key, value in data.items():
            if key in ("eClass", "_id") or value is None:
                continue
            where = f"{node.cls.name}.{key}"
            feature = fmap.get(key)
            if feature is None:
                raise self._fail(node.cls.name, f"class {node.cls.key} has no feature {key!r}.")
            items = value if isinstance(value, list) else [value]
            if isinstance(feature, Attribute):
                values = [self._value(v, feature, where) for v in items]
                if feature.many:
                    node.attributes[feature.name] = values
                else:
                    text = value if isinstance(value, str) else None
                    self.builder.set_value(node, feature.name, values[0], text)
            elif feature.containment:
                for i, item in enumerate(items):
                    cls = self._class(item, feature, f"{where}[{i}]")
                    kid = self.builder.add(cls, None, node, feature, _id(item))
                    kids.append((item, kid))
            else:
                node.tokens[feature.name] = [self._ref(v, where) for v in items]
        return kids

    def _ref(self, item: Any, where: str) -> str:
        if isinstance(item, dict) and isinstance(item.get("$ref"), str):
            uri = str(item["$ref"])
            cls = self.by_uri.get(str(item.get("eClass")))
            return f"{cls.key} {uri}" if cls is not None and "#" in uri else uri
        if isinstance(item, str):  # emfjson's OPTION_SERIALIZE_REF_AS_VALUE
            return item
        raise self._fail(where, 'a reference must be {"$ref": "..."}.')

    def _value(self, item: Any, attr: Attribute, where: str) -> Scalar:
        kind = attr.type.kind
        try:
            if kind == "char" and isinstance(item, str) and len(item) == 1:
                return item  # JSON holds the character itself, XMI its code point
            if isinstance(item, str):
                return from_lexical(item, attr.type)
            if isinstance(item, bool):
                if kind == "bool":
                    return item
            elif isinstance(item, int | float):
                if kind in ("int", "bigint") and (type(item) is int or float(item).is_integer()):
                    return int(item)
                if kind in ("float", "decimal"):
                    return item
        except (ValueError, ArithmeticError):
            pass
        raise self._fail(where, f"{item!r} is not a valid {attr.type.name}.")


def _id(data: Any) -> str | None:
    value = data.get("_id") if isinstance(data, dict) else None
    return str(value) if value is not None else None


compiler = EmfJsonCompiler()
importer = EmfJsonImporter()
