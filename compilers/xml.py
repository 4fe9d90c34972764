"""XML as EMF's `XMLResource` writes it with `OPTION_EXTENDED_META_DATA`, for metamodels EMF
imported from an XML Schema: the document a schema validator and the domain's tools take.

Element and attribute names, namespaces and kinds come from the ExtendedMetaData annotations
(`service.core.extended_metadata`); the root object is written as the schema's global element
its class belongs to (the document root's feature), other objects as the elements of the
features holding them, with `xsi:type` where a class differs from the feature's type; no `xmi:`
attributes. Simple content and a mixed class's text are the element's text; wildcard content
(one element per value) is copied in as it is. Namespaces are declared once, on the root, with
the packages' prefixes, as EMF does for a new document.

For the same metamodels the `xmi` format is this document with `xmi:version` (what EMF's
XMIResource writes with extended metadata), since plain XMI cannot hold wildcard content EMF
reads back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

from instancegen.compilers._tree import ModelTree
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.extended_metadata import XmlClass, XmlFeature, XmlMetadata
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference
from instancegen.service.core.values import as_list, is_external, lexical, saved_text
from instancegen.service.core.xsd_types import XMLTYPE_NS, XSD_NS, parse_element

XMI_NS = "http://www.omg.org/XMI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'


class XmlCompiler:
    """The `xml` format."""

    name = "xml"
    media_type = "application/xml"
    extension = "xml"
    description = "the XML document of an XSD-derived metamodel, as EMF's XMLResource writes it"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        return write_document(cim, metamodel, xmi=False)


def write_document(cim: Cim, metamodel: Metamodel, *, xmi: bool) -> bytes:
    """The document (with `xmi:version` on the root when `xmi`); an InputError for a metamodel
    without ExtendedMetaData or a model no XML document can hold."""
    xml = metamodel.xml
    if xml is None:
        raise InputError(
            "the xml format is for metamodels EMF imported from an XML Schema (with "
            "ExtendedMetaData annotations); this one has none, so use xmi."
        )
    with gc_paused():
        tree = ModelTree(cim, metamodel)
        return _Writer(tree, xml, xmi).write()


class _Writer:
    def __init__(self, tree: ModelTree, xml: XmlMetadata, xmi: bool) -> None:
        self.tree = tree
        self.xml = xml
        self.xmi = xmi
        self.mm = tree.metamodel
        self.nsmap: dict[str | None, str] = {p: uri for uri, p in xml.prefixes.items() if p}
        self.nsmap.setdefault("xsd", XSD_NS)  # xsi:type of XMLType's classes (AnyType)
        self._texts: dict[tuple[str, str], Callable[[Any], str | None]] = {}
        self.typed_prefixes: set[str] = set()  # prefixes xsi:type values use
        self.fragments = self._fragments()

    def write(self) -> bytes:
        roots = self.tree.roots
        if not roots:
            raise InputError("an XML document needs a root element; the model has no objects.")
        if len(roots) > 1 and not self.xmi:
            raise InputError(
                f"an XML document has one root element, but {len(roots)} objects are roots "
                f"({', '.join(roots[:5])}); let one of them contain the others."
            )
        nsmap = dict(self.nsmap)
        nsmap["xsi"] = XSI_NS
        if self.xmi:
            nsmap["xmi"] = XMI_NS
        if len(roots) > 1:
            top = etree.Element(f"{{{XMI_NS}}}XMI", nsmap=nsmap)
            top.set(f"{{{XMI_NS}}}version", "2.0")
            for oid in roots:
                self._root(oid, top)
        else:
            top = self._root(roots[0], None, nsmap)
            if self.xmi:
                top.set(f"{{{XMI_NS}}}version", "2.0")
                top.attrib[f"{{{XMI_NS}}}version"] = top.attrib.pop(f"{{{XMI_NS}}}version")
        etree.cleanup_namespaces(top, keep_ns_prefixes=sorted(self.typed_prefixes))
        try:
            return _HEADER + etree.tostring(top, pretty_print=True, encoding="UTF-8")
        except ValueError as exc:
            raise InputError(f"a value cannot be written as XML ({exc}).") from None

    def _root(
        self,
        oid: str,
        parent: etree._Element | None,
        nsmap: dict[str | None, str] | None = None,
    ) -> etree._Element:
        """The root object, as the global element its class belongs to."""
        cls = self.tree.classes[oid]
        element = self.xml.root_element(cls.key, self.mm.is_subtype)
        if element is not None:
            tag = _tag(element.namespace, element.name)
            typed = element.class_key != cls.key
        else:
            tag = _tag(cls.package.ns_uri, self._class(cls).name)
            typed = False
        el = etree.Element(tag, nsmap=nsmap) if parent is None else etree.SubElement(parent, tag)
        if typed:
            el.set(_XSI_TYPE, self._type_name(cls))
        self._fill(oid, el)
        return el

    def _fill(self, oid: str, el: etree._Element) -> None:
        """The object's features, in EMF's order, into its element; children depth first."""
        stack = [(oid, el)]
        while stack:
            oid, el = stack.pop()
            cls = self.tree.classes[oid]
            obj = self.tree.objects[oid]
            xcls = self._class(cls)
            children: list[tuple[str, etree._Element]] = []
            for f in cls.features:
                xf = xcls.features.get(f.name) or _default_xml(f, cls)
                if isinstance(f, Attribute):
                    self._attribute(el, cls, f, xf, obj.attributes.get(f.name))
                elif f.containment:
                    for kid in obj.references.get(f.name, ()):
                        kid_el = etree.SubElement(el, _tag(xf.namespace, xf.name))
                        kid_cls = self.tree.classes[kid]
                        if kid_cls.key != f.target:
                            kid_el.set(_XSI_TYPE, self._type_name(kid_cls))
                        children.append((kid, kid_el))
                else:
                    self._reference(el, oid, f, xf)
            stack += reversed(children)

    def _attribute(
        self, el: etree._Element, cls: EClassView, f: Attribute, xf: XmlFeature, value: Any
    ) -> None:
        if value is None:
            return
        if f.type.xsd == "#text":
            _append_text(el, str(value))
            return
        if f.type.xsd == "#wildcard":
            for v in as_list(value):
                copied = parse_element(str(v))
                if copied is None:
                    raise InputError(
                        f"{cls.name}.{f.name}: {str(v)[:60]!r} is not one XML element."
                    )
                el.append(copied)
            return
        if f.many:
            texts = [lexical(f.type)(v) for v in as_list(value) if v is not None]
            if not texts:
                return
            if xf.kind == "attribute":
                el.set(_tag(xf.namespace, xf.name), " ".join(texts))
            else:
                for item in texts:
                    etree.SubElement(el, _tag(xf.namespace, xf.name)).text = item
            return
        saved = self._saved(f)(value)
        if saved is None:
            return  # the default: EMF does not save it
        if xf.kind == "simple":
            _append_text(el, saved)
        elif xf.kind == "element":
            etree.SubElement(el, _tag(xf.namespace, xf.name)).text = saved
        else:
            el.set(_tag(xf.namespace, xf.name), saved)

    def _reference(self, el: etree._Element, oid: str, f: Reference, xf: XmlFeature) -> None:
        """A cross reference, as EMF writes one: the targets' ids (or paths) in an attribute,
        or one element per target for an element feature."""
        targets = self.tree.targets(oid, f.name)
        if not targets:
            return
        if any(map(is_external, targets)):
            raise InputError(
                f"{oid}.{f.name} refers to an object in another document, which the xml "
                "format cannot write; use xmi."
            )
        texts = [self.fragments[t] for t in targets]
        if xf.kind == "element":  # an unannotated reference is an IDREF attribute, as in EMF
            for text in texts:
                etree.SubElement(el, _tag(xf.namespace, xf.name)).text = text
        else:
            el.set(_tag(xf.namespace, xf.name), " ".join(texts))

    def _saved(self, f: Attribute) -> Callable[[Any], str | None]:
        key = (f.name, f.type.name)
        found = self._texts.get(key)
        if found is None:
            found = self._texts[key] = saved_text(f)
        return found

    def _class(self, cls: EClassView) -> XmlClass:
        found = self.xml.classes.get(cls.key)
        return found if found is not None else XmlClass(cls.name, "unspecified", {})

    def _type_name(self, cls: EClassView) -> str:
        """`prefix:Type` for xsi:type: the class's XML type name in its package's namespace."""
        if cls.package.ns_uri == XMLTYPE_NS:
            prefix, name = "xsd", cls.name
        else:
            prefix = self.xml.prefixes.get(cls.package.ns_uri) or cls.package.ns_prefix
            name = self._class(cls).name
        self.typed_prefixes.add(prefix)
        return f"{prefix}:{name}"

    def _fragments(self) -> dict[str, str]:
        """EMF's URI fragments, below the document root's element where there is one
        (`//@project/@types`); an object with an iD keeps its iD."""
        fragments = dict(self.tree.fragments())
        roots = self.tree.roots
        if len(roots) != 1:
            return fragments
        root_cls = self.tree.classes[roots[0]]
        element = self.xml.root_element(root_cls.key, self.mm.is_subtype)
        if element is None:
            return fragments
        base = f"//@{element.feature}"
        for oid, frag in fragments.items():
            if frag == "/":
                fragments[oid] = base
            elif frag.startswith("//@"):
                fragments[oid] = f"{base}/@{frag[3:]}"
        return fragments


def _append_text(el: etree._Element, text: str) -> None:
    el.text = (el.text or "") + text


def _tag(namespace: str | None, name: str) -> str:
    try:
        return etree.QName(namespace, name).text if namespace else etree.QName(name).text
    except ValueError as exc:
        raise InputError(f"{name!r} cannot be an XML element or attribute name ({exc}).") from None


def _default_xml(f: Attribute | Reference, cls: EClassView) -> XmlFeature:
    """The XML form of a feature without annotations, as EMF writes one: single-valued
    attributes as attributes, contained objects and many values as unqualified elements,
    cross references as an IDREF attribute."""
    if isinstance(f, Attribute) and not f.many:
        return XmlFeature(f.name, "attribute", None, target_namespace=cls.package.ns_uri)
    return XmlFeature(f.name, "unspecified", None, target_namespace=cls.package.ns_uri)


compiler = XmlCompiler()
