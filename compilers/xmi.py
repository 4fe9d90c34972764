"""XMI as Eclipse EMF writes it (DESIGN.md, "XMI as Eclipse writes it"), built with lxml.

The tree is built directly (no pyecore objects): per class, a plan of what each feature
becomes is computed once, then every object is one pass over its plan. Roots are
`prefix:Class` elements (wrapped in `xmi:XMI` when there are several), containment children
nested in CIM order, references as EMF's fragments (or `xmi:id`s), defaults left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lxml import etree

from compilers._tree import ModelTree, gc_paused
from compilers._values import as_list, lexical, saved_text
from service.cim import Cim
from service.errors import InputError
from service.metamodel import Attribute, EClassView, Metamodel, Package, Reference

XMI_NS = "http://www.omg.org/XMI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XMI_VERSION = f"{{{XMI_NS}}}version"
_XMI_ID = f"{{{XMI_NS}}}id"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_XSI_SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"
_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# What a feature becomes in XMI.
_ATTR, _ATTR_MANY, _REF, _CHILDREN = range(4)
Plan = list[tuple[int, str, Any, Any]]


class XmiCompiler:
    """The `xmi` format. Options: `ids="xmi"` (xmi:id references), `schema_location`
    (nsURI -> path of the `.ecore`, written as `xsi:schemaLocation`)."""

    name = "xmi"
    media_type = "application/xmi+xml"
    extension = "xmi"
    description = "XMI 2.0 as Eclipse EMF writes it"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        ids = options.get("ids")
        if ids not in (None, "fragment", "xmi"):
            raise InputError(f"ids must be 'fragment' or 'xmi', not {ids!r}.")
        with gc_paused():
            tree = ModelTree(cim, metamodel)
            writer = _Writer(tree, use_ids=ids == "xmi")
            return writer.write(options.get("schema_location") or {})


class _Writer:
    def __init__(self, tree: ModelTree, use_ids: bool) -> None:
        self.tree = tree
        self.use_ids = use_ids
        self.packages = tree.packages()
        self.prefixes = _unique_prefixes(self.packages)
        self._plans: dict[str, Plan] = {}
        self._type_names: dict[str, str] = {}

    def write(self, schema_location: Mapping[str, str]) -> bytes:
        tree = self.tree
        nsmap: dict[str | None, str] = {"xmi": XMI_NS, "xsi": XSI_NS}
        nsmap.update({self.prefixes[p.ns_uri]: p.ns_uri for p in self.packages})
        roots = tree.roots
        if len(roots) == 1:
            top = etree.Element(self._tag(roots[0]), nsmap=nsmap)
            top.set(_XMI_VERSION, "2.0")
            pending = [(roots[0], top)]
        else:
            top = etree.Element(f"{{{XMI_NS}}}XMI", nsmap=nsmap)
            top.set(_XMI_VERSION, "2.0")
            pending = [(oid, etree.SubElement(top, self._tag(oid))) for oid in roots]
        if schema_location:
            top.set(_XSI_SCHEMA_LOCATION, self._schema_location(schema_location))
        try:
            self._fill(pending)
        except ValueError as exc:  # lxml refuses characters XML 1.0 cannot hold
            raise InputError(f"a value cannot be written as XML ({exc}).") from None
        etree.cleanup_namespaces(top, keep_ns_prefixes=[p for p in nsmap if p != "xsi"])
        return _HEADER + etree.tostring(top, encoding="UTF-8", pretty_print=True)

    def _fill(self, pending: list[tuple[str, etree._Element]]) -> None:
        tree = self.tree
        objects, classes, links = tree.objects, tree.classes, tree.links
        use_ids = self.use_ids
        fragment = (lambda t: t) if use_ids else tree.fragments().__getitem__
        sub = etree.SubElement
        # EMF's default loader mishandles eOpposite references from an object to itself when
        # they resolve while the object is being read: it drops a single-valued pair and puts
        # the object first in a many-valued list. Such objects get an xmi:id the references use:
        # declared before them for single-valued pairs (EMF keeps those), after them for lists
        # (forward references, which EMF places where the file says).
        early, late = self._self_referring()
        while pending:
            oid, el = pending.pop()
            obj = objects[oid]
            own_id = None
            if use_ids or oid in early or oid in late:
                own_id = _xmi_id(oid) if use_ids else "_self." + "_".join(oid.split())
                if oid not in late:
                    el.set(_XMI_ID, own_id)
            attrs = obj.attributes
            refs = obj.references
            for kind, name, feature, text in self._plan(classes[oid]):
                if kind == _ATTR:
                    value = attrs.get(name)
                    if value is not None:
                        lexical_value = text(value)
                        if lexical_value is not None:
                            el.set(name, lexical_value)
                elif kind == _ATTR_MANY:
                    for value in as_list(attrs.get(name)):
                        if value is not None:
                            sub(el, name).text = text(value)
                elif kind == _REF:
                    targets = links.get((oid, name))
                    if targets:
                        el.set(
                            name,
                            " ".join(
                                own_id if t == oid and own_id else fragment(t) for t in targets
                            ),
                        )
                else:
                    for kid in refs.get(name, ()):
                        child = sub(el, name)
                        key = classes[kid].key
                        if key != feature.target:
                            child.set(_XSI_TYPE, self._type_name(classes[kid]))
                        pending.append((kid, child))
            if oid in late and own_id:
                el.set(_XMI_ID, own_id)

    def _self_referring(self) -> tuple[set[str], set[str]]:
        """Objects referring to themselves through an eOpposite reference: (single, many)."""
        single: set[str] = set()
        many: set[str] = set()
        for (oid, name), targets in self.tree.links.items():
            if oid in targets:
                feature = self.tree.classes[oid].feature_map[name]
                if isinstance(feature, Reference) and feature.opposite:
                    (many if feature.many else single).add(oid)
        return single, many - single

    def _plan(self, cls: EClassView) -> Plan:
        """Per feature: what it becomes, its name, the feature, and for attributes a function
        giving EMF's text (or None for a value EMF would not save)."""
        plan = self._plans.get(cls.key)
        if plan is None:
            plan = []
            for f in cls.features:
                if isinstance(f, Attribute):
                    kind = _ATTR_MANY if f.many else _ATTR
                    plan.append((kind, f.name, f, lexical(f.type) if f.many else saved_text(f)))
                elif isinstance(f, Reference):
                    plan.append((_CHILDREN if f.containment else _REF, f.name, f, None))
            self._plans[cls.key] = plan
        return plan

    def _tag(self, oid: str) -> str:
        cls = self.tree.classes[oid]
        return f"{{{cls.package.ns_uri}}}{cls.name}"

    def _type_name(self, cls: EClassView) -> str:
        name = self._type_names.get(cls.key)
        if name is None:
            name = self._type_names[cls.key] = f"{self.prefixes[cls.package.ns_uri]}:{cls.name}"
        return name

    def _schema_location(self, locations: Mapping[str, str]) -> str:
        pairs = []
        for pkg in self.tree.metamodel.packages:
            where = locations.get(pkg.ns_uri)
            if where is not None:
                sub_path = pkg.path.split(".")[1:]
                pairs.append(
                    f"{pkg.ns_uri} {where}" + (f"#//{'/'.join(sub_path)}" if sub_path else "")
                )
        return " ".join(pairs)


def _xmi_id(oid: str) -> str:
    """An id usable as xmi:id and in IDREFS (no whitespace)."""
    if oid.split() != [oid]:
        raise InputError(f"the id {oid!r} holds whitespace; xmi:ids cannot.")
    return oid


def _unique_prefixes(packages: list[Package]) -> dict[str, str]:
    """nsURI -> prefix, renaming clashes (with each other, `xmi`, `xsi`) the way EMF does."""
    taken = {"xmi", "xsi"}
    result: dict[str, str] = {}
    for pkg in packages:
        base = pkg.ns_prefix or pkg.name
        prefix, n = base, 0
        while prefix in taken:
            n += 1
            prefix = f"{base}_{n}"
        taken.add(prefix)
        result[pkg.ns_uri] = prefix
    return result


compiler = XmiCompiler()
