"""XMI as Eclipse EMF writes it (DESIGN.md, "XMI as Eclipse writes it"), written as text.

Per class, a plan of what each feature becomes is computed once; every object is then one
pass over its plan appending strings. The text is byte for byte what lxml's pretty printer
gives for the same tree (two-space indentation, libxml2's escaping, namespace declarations in
the order declared), but without building an element per object, which costs more than the
rest of the compile. lxml still writes the root's namespace declarations and checks names,
so prefixes, URIs and class or feature names that XML cannot hold are refused as before.
Roots are `prefix:Class` elements (wrapped in `xmi:XMI` when there are several), containment
children nested in CIM order, references as EMF's fragments (or `xmi:id`s), defaults left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from lxml import etree

from instancegen.compilers._tree import ModelTree
from instancegen.compilers.xml import write_document
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Package, Reference
from instancegen.service.core.values import (
    as_list,
    default_of,
    external_parts,
    is_external,
    lexical,
    resolvable_fragment,
    saved_text,
)

XMI_NS = "http://www.omg.org/XMI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'

# Characters libxml2 escapes in attribute values and in text, or XML 1.0 cannot hold at all
# (control characters, U+FFFE/U+FFFF, and lone surrogates, which UTF-8 cannot encode).
_ATTR_SPECIAL = re.compile('[&<>"\t\n\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class XmiCompiler:
    """The `xmi` format. Options: `ids="xmi"` (xmi:id references), `schema_location`
    (nsURI -> path of the `.ecore`, written as `xsi:schemaLocation`), `xmi_ids` (CIM id ->
    the xmi:id to write for that object, and to refer to it by, as EMF does for objects that
    have one: an imported document's ids kept through an edit)."""

    name = "xmi"
    media_type = "application/xmi+xml"
    extension = "xmi"
    description = "XMI 2.0 as Eclipse EMF writes it"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        if metamodel.xml is not None:  # XSD-derived: XMI as EMF writes it with extended metadata
            return write_document(cim, metamodel, xmi=True)
        ids = options.get("ids")
        if ids not in (None, "fragment", "xmi"):
            raise InputError(f"ids must be 'fragment' or 'xmi', not {ids!r}.")
        with gc_paused():
            tree = ModelTree(cim, metamodel)
            writer = _Writer(tree, use_ids=ids == "xmi", xmi_ids=options.get("xmi_ids") or {})
            return writer.write(options.get("schema_location") or {})


def escape_attribute(text: str) -> str:
    """`text` as a double-quoted attribute value, escaped the way libxml2 does."""
    if _ATTR_SPECIAL.search(text) is None:
        return text
    _check_chars(text)
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("\t", "&#9;")
        .replace("\n", "&#10;")
        .replace("\r", "&#13;")
    )


def escape_text(text: str) -> str:
    """`text` as element content, escaped the way libxml2 does."""
    if _TEXT_SPECIAL.search(text) is None:
        return text
    _check_chars(text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


def _check_chars(text: str) -> None:
    bad = _NOT_XML.search(text)
    if bad is not None:
        raise ValueError(f"{text!r} holds the character {bad.group()!r}, which XML 1.0 cannot hold")


# One step of a class's plan: (kind, feature name, text function or None, plain, the feature).
_ATTR, _ATTR_MANY, _REF, _CHILDREN = range(4)
_Step = tuple[int, str, Any, bool, Any]
_Item = tuple[str, str, str, str] | str  # (object id, tag, indentation, head) or finished text


class _Writer:
    def __init__(self, tree: ModelTree, use_ids: bool, xmi_ids: Mapping[str, str]) -> None:
        self.tree = tree
        self.use_ids = use_ids
        self.xmi_ids = xmi_ids
        self.packages = tree.packages()
        self.prefixes = _unique_prefixes(self.packages)
        self.uses_xsi = False
        self._plans: dict[str, tuple[_Step, ...]] = {}
        self._type_attrs: dict[str, str] = {}

    def write(self, schema_location: Mapping[str, str]) -> bytes:
        roots = self.tree.roots
        # out[1] becomes the top element's start (with its namespace declarations) once the
        # rest is written and so whether any xsi:type occurs is known.
        out = [_HEADER]
        if len(roots) == 1:
            top = self._tag(roots[0])
            stack: list[_Item] = [(roots[0], top, "", "")]
        else:
            top = "xmi:XMI"
            out += ["", ">\n" if roots else "/>\n"]
            stack = ["</xmi:XMI>\n"] if roots else []
            stack += [(oid, self._tag(oid), "  ", "") for oid in reversed(roots)]
        try:
            self._fill(stack, out)
            out[1] = self._top_start(top, schema_location)
            return "".join(out).encode("utf-8")
        except ValueError as exc:  # a character XML 1.0 cannot hold
            raise InputError(f"a value cannot be written as XML ({exc}).") from None

    def _top_start(self, top: str, schema_location: Mapping[str, str]) -> str:
        """`<prefix:Root xmlns:… xmi:version="2.0"` as lxml writes it, declaring what lxml
        would keep."""
        nsmap: dict[str | None, str] = {"xmi": XMI_NS, "xsi": XSI_NS}
        nsmap.update({self.prefixes[p.ns_uri]: p.ns_uri for p in self.packages})
        prefix, _, local = top.rpartition(":")
        el = etree.Element(f"{{{nsmap[prefix]}}}{local}", nsmap=nsmap)
        el.set(f"{{{XMI_NS}}}version", "2.0")
        if schema_location:
            el.set(f"{{{XSI_NS}}}schemaLocation", self._schema_location(schema_location))
        keep = [p for p in nsmap if p != "xsi" or self.uses_xsi]
        etree.cleanup_namespaces(el, keep_ns_prefixes=keep)
        return etree.tostring(el, encoding="unicode")[:-2]  # without the closing "/>"

    def _fill(self, stack: list[_Item], out: list[str]) -> None:
        """Write every object on `stack` (and what it contains) to `out`, depth first."""
        tree = self.tree
        objects, classes, extended = tree.objects, tree.classes, tree.extended
        use_ids = self.use_ids
        fragment: Callable[[str], str] = (lambda t: t) if use_ids else tree.fragments().__getitem__
        carried = self.xmi_ids
        if carried and not use_ids:
            fragment = {**tree.fragments(), **carried}.__getitem__
        # EMF's default loader mishandles eOpposite references from an object to itself when
        # they resolve while the object is being read: it drops a single-valued pair and puts
        # the object first in a many-valued list. Such objects get an xmi:id the references use:
        # declared before them for single-valued pairs (EMF keeps those), after them for lists
        # (forward references, which EMF places where the file says).
        early, late = self._self_referring()
        self_ids = early | late
        plans = self._plans
        append, pop, push = out.append, stack.pop, stack.append
        special = _ATTR_SPECIAL.search
        outside = tree.has_external
        while stack:
            item = pop()
            if isinstance(item, str):
                append(item)
                continue
            oid, tag, indent, head = item
            obj = objects[oid]
            plan = plans.get(obj.class_) or self._plan(classes[oid])
            append(f"{indent}<{tag}{head}")
            own_id = carried.get(oid) if carried else None
            if own_id is not None:
                append(f' xmi:id="{escape_attribute(own_id)}"')
            elif use_ids or oid in self_ids:
                own_id = _xmi_id(oid) if use_ids else "_self." + "_".join(oid.split())
                if oid not in late:
                    append(f' xmi:id="{escape_attribute(own_id)}"')
            attrs, refs = obj.attributes, obj.references
            body: list[_Item] | None = None
            for kind, name, text, plain, feature in plan:
                if kind == _ATTR:
                    value = attrs.get(name)
                    if value is None:
                        continue
                    if not (plain and type(value) is str):
                        value = text(value)
                        if value is None:
                            continue  # the default: EMF does not save it
                    if special(value) is not None:
                        value = escape_attribute(value)
                    append(f' {name}="{value}"')
                elif kind == _REF:
                    targets = extended.get((oid, name)) if extended else None
                    if targets is None:
                        targets = refs.get(name)
                    if not targets:
                        continue
                    if outside and any(map(is_external, targets)):
                        body = body or []
                        body += self._hrefs(name, targets, indent + "  ", fragment)
                        continue
                    if own_id is None:
                        joined = (
                            fragment(targets[0])
                            if len(targets) == 1
                            else " ".join(map(fragment, targets))
                        )
                    else:
                        joined = " ".join(own_id if t == oid else fragment(t) for t in targets)
                    if special(joined) is not None:
                        joined = escape_attribute(joined)
                    append(f' {name}="{joined}"')
                elif kind == _ATTR_MANY:
                    inner = indent + "  "
                    for value in as_list(attrs.get(name)):
                        if value is not None:
                            body = body or []
                            body.append(f"{inner}<{name}>{escape_text(text(value))}</{name}>\n")
                else:
                    inner = indent + "  "
                    for kid in refs.get(name, ()):
                        kid_cls = classes[kid]
                        kid_head = "" if kid_cls.key == feature.target else self._type_attr(kid_cls)
                        body = body or []
                        body.append((kid, name, inner, kid_head))
            if own_id is not None and oid in late and oid not in carried:
                append(f' xmi:id="{escape_attribute(own_id)}"')
            if body:
                append(">\n")
                push(f"{indent}</{tag}>\n")
                body.reverse()
                stack += body
            else:
                append("/>\n")

    def _hrefs(
        self, name: str, targets: list[str], indent: str, fragment: Callable[[str], str]
    ) -> list[_Item]:
        """A reference holding objects of other documents, as EMF writes it: one `href`
        element per target (`#fragment` for this document's), with `xsi:type` where the
        target's class is given."""
        items: list[_Item] = []
        for target in targets:
            head = ""
            if is_external(target):
                cls, uri = external_parts(target)
                if cls is not None:
                    head = self._type_attr(self.tree.metamodel.classes[cls])
            else:
                uri = "#" + fragment(target)
            items.append(f'{indent}<{name}{head} href="{escape_attribute(uri)}"/>\n')
        return items

    def _self_referring(self) -> tuple[set[str], set[str]]:
        """Objects referring to themselves through an eOpposite reference: (single, many)."""
        single: set[str] = set()
        many: set[str] = set()
        for oid in self.tree.self_linked:
            for ref in self.tree.classes[oid].references:
                if ref.opposite and not ref.containment and oid in self.tree.targets(oid, ref.name):
                    (many if ref.many else single).add(oid)
        return single, many - single

    def _plan(self, cls: EClassView) -> tuple[_Step, ...]:
        """Per feature: what it becomes, its name, for attributes a function giving EMF's text
        (or None for a value EMF would not save) and whether a str value is that text as it
        is (a string attribute without default), and the feature."""
        steps: list[_Step] = []
        for f in cls.features:
            _check_name(f.name)
            if isinstance(f, Attribute):
                if f.many:
                    steps.append((_ATTR_MANY, f.name, lexical(f.type), False, f))
                else:
                    plain = f.type.kind == "string" and (f.unsettable or default_of(f) is None)
                    steps.append((_ATTR, f.name, saved_text(f), plain, f))
            elif isinstance(f, Reference):
                steps.append((_CHILDREN if f.containment else _REF, f.name, None, False, f))
        plan = self._plans[cls.key] = tuple(steps)
        return plan

    def _tag(self, oid: str) -> str:
        cls = self.tree.classes[oid]
        _check_name(cls.name)
        return f"{self.prefixes[cls.package.ns_uri]}:{cls.name}"

    def _type_attr(self, cls: EClassView) -> str:
        """` xsi:type="prefix:Class"` for a contained object of a subclass of the feature's type."""
        head = self._type_attrs.get(cls.key)
        if head is None:
            _check_name(cls.name)
            head = f' xsi:type="{self.prefixes[cls.package.ns_uri]}:{cls.name}"'
            self._type_attrs[cls.key] = head
            self.uses_xsi = True
        return head

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


def _check_name(name: str) -> None:
    """Refuse a class or feature name that is no XML name (as lxml would)."""
    try:
        etree.QName(name)
    except ValueError as exc:
        raise InputError(f"{name!r} cannot be an XML element or attribute name ({exc}).") from None


def _xmi_id(oid: str) -> str:
    """An id usable as xmi:id and in IDREFS (`service.core.values.resolvable_fragment`)."""
    if not resolvable_fragment(oid):
        raise InputError(
            f"the id {oid!r} cannot be an xmi:id EMF resolves (it is empty, holds whitespace "
            "or '#', starts with '/' or ends with '?'); compile without ids='xmi'."
        )
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
