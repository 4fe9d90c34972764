"""Read the XML documents of XSD-derived metamodels (as `compilers.xml` writes them, and as the
domain's tools do) back into a CIM.

Every document goes through the hardened parser (`service.core.xmlsafe`). The root element is
one of the schema's global elements (or, without a document root, a class by its XML name);
children are matched to features by their XML names and namespaces from ExtendedMetaData,
`xsi:type` names a subclass, element text is simple content or a mixed class's text, and an
element no feature names goes to a wildcard that takes its namespace, kept as written. IDREF
attributes and fragment paths (`//@project/@types`) resolve like the XMI importer's. What the
CIM cannot hold (attributes only an attribute wildcard takes) is refused, naming it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from instancegen.compilers.import_builder import CimBuilder, Node
from instancegen.service.core.cim import Cim, Scalar
from instancegen.service.core.errors import InputError
from instancegen.service.core.extended_metadata import XmlFeature, XmlMetadata, allows
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference
from instancegen.service.core.values import reader
from instancegen.service.core.xmlsafe import parse_xml
from instancegen.service.core.xsd_types import XMLTYPE_NS, XSD_NS

XMI_NS = "http://www.omg.org/XMI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_IGNORED = (f"{{{XMI_NS}}}", f"{{{XSI_NS}}}", "{http://www.w3.org/2000/xmlns/}")

# (namespace, local name) -> (feature, its XML form, a value reader)
_Plan = dict[tuple[str | None, str], tuple[Attribute | Reference, XmlFeature]]


class XmlImporter:
    """The `xml` input format."""

    name = "xml"

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        root = parse_xml(data, name).getroot()
        return read_document(root, metamodel, name)


def read_document(root: etree._Element, metamodel: Metamodel, name: str) -> Cim:
    """The CIM of a parsed document (an `xmi:XMI` wrapper holds several roots)."""
    xml = metamodel.xml
    if xml is None:
        raise InputError(
            f"{name}: the xml format is for metamodels EMF imported from an XML Schema (with "
            "ExtendedMetaData annotations); this one has none, so import it as xmi."
        )
    builder = CimBuilder(name)
    with gc_paused():
        reader_ = _Reader(metamodel, xml, name, builder)
        tops = list(root) if root.tag == f"{{{XMI_NS}}}XMI" else [root]
        for el in tops:
            if isinstance(el.tag, str):
                reader_.read_root(el)
        return builder.finish()


class _Reader:
    def __init__(
        self, metamodel: Metamodel, xml: XmlMetadata, name: str, builder: CimBuilder
    ) -> None:
        self.mm = metamodel
        self.xml = xml
        self.name = name
        self.builder = builder
        self._plans: dict[str, tuple[_Plan, _Plan]] = {}
        self._readers: dict[int, Callable[[str], Scalar] | None] = {}
        self.by_type = {
            (c.package.ns_uri, xml.classes[k].name if k in xml.classes else c.name): c
            for k, c in metamodel.classes.items()
        }
        self.doc_feature: str | None = None

    def read_root(self, el: etree._Element) -> None:
        q = etree.QName(el)
        element = next(
            (e for e in self.xml.elements if (e.namespace, e.name) == (q.namespace, q.localname)),
            None,
        )
        if element is not None:
            cls = self._explicit_type(el) or self.mm.classes[element.class_key]
            self.doc_feature = element.feature
        elif self.xml.elements:  # the schema's global elements are the only roots
            cls = self._unknown_root(el)
        else:  # no document root: a class by its XML name, as EMF writes one
            cls = self.by_type.get((q.namespace or "", q.localname)) or self._unknown_root(el)
        self._walk(el, cls, None, None)

    def _unknown_root(self, el: etree._Element) -> EClassView:
        q = etree.QName(el)
        names = ", ".join(sorted(e.name for e in self.xml.elements)) or "none"
        raise InputError(
            f"{self.builder.where(el.sourceline)}: <{q.localname}> (namespace "
            f"{q.namespace or '(none)'!r}) is no root element of this metamodel; its global "
            f"elements: {names}."
        )

    def _walk(
        self,
        el: etree._Element,
        cls: EClassView,
        parent: Node | None,
        ref: Reference | None,
    ) -> None:
        stack = [(el, cls, parent, ref)]
        while stack:
            el, cls, parent, ref = stack.pop()
            node = self.builder.add(cls, el.sourceline, parent, ref, None)
            attributes, elements = self._plan(cls)
            self._attributes(el, node, attributes)
            kids = self._content(el, node, elements)
            stack += reversed(kids)

    def _attributes(self, el: etree._Element, node: Node, plan: _Plan) -> None:
        for key, text in el.items():
            if key.startswith(_IGNORED):
                continue
            q = etree.QName(key)
            found = plan.get((q.namespace, q.localname))
            if found is None:
                raise InputError(
                    f"{self.builder.where(el.sourceline)}: class {node.cls.key} has no XML "
                    f"attribute {q.localname!r}"
                    + (f" in namespace {q.namespace!r}" if q.namespace else "")
                    + " (attribute wildcard content is not kept)."
                )
            feature = found[0]
            if isinstance(feature, Reference):
                node.tokens.setdefault(feature.name, []).extend(
                    self._token(t) for t in text.split()
                )
            elif feature.many:
                values = node.attributes.setdefault(feature.name, [])
                assert isinstance(values, list)
                values.extend(self._value(node, feature, t, el) for t in text.split())
            else:
                self.builder.set_value(
                    node, feature.name, self._value(node, feature, text, el), text
                )

    def _content(
        self, el: etree._Element, node: Node, plan: _Plan
    ) -> list[tuple[etree._Element, EClassView, Node, Reference]]:
        """Text and child elements: values, references and the contained objects."""
        cls = node.cls
        xcls = self.xml.classes.get(cls.key)
        text_feature = xcls.text_feature if xcls is not None else None
        mixed = next((a for a in cls.attributes if a.type.xsd == "#text"), None)
        texts = [el.text or ""]
        kids: list[tuple[etree._Element, EClassView, Node, Reference]] = []
        for child in el:
            texts.append(child.tail or "")
            if not isinstance(child.tag, str):
                continue
            q = etree.QName(child)
            found = plan.get((q.namespace, q.localname))
            if found is None:
                self._wildcard(child, node, q.namespace)
                continue
            feature = found[0]
            if isinstance(feature, Reference) and feature.containment:
                target = self._explicit_type(child) or self.mm.classes[feature.target]
                kids.append((child, target, node, feature))
            elif isinstance(feature, Reference):
                node.tokens.setdefault(feature.name, []).append(self._token(child.text or ""))
            elif feature.many:
                values = node.attributes.setdefault(feature.name, [])
                assert isinstance(values, list)
                values.append(self._value(node, feature, child.text or "", child))
            else:
                text = child.text or ""
                self.builder.set_value(
                    node, feature.name, self._value(node, feature, text, child), text
                )
        text = "".join(texts)
        if text_feature is not None:
            feature = cls.feature_map[text_feature]
            assert isinstance(feature, Attribute)
            self.builder.set_value(node, feature.name, self._value(node, feature, text, el), text)
        elif mixed is not None and text.strip():
            node.attributes[mixed.name] = text
        elif text.strip():
            raise InputError(
                f"{self.builder.where(el.sourceline)}: class {cls.key} holds no text, but the "
                f"element has {text.strip()[:40]!r}."
            )
        return kids

    def _wildcard(self, child: etree._Element, node: Node, namespace: str | None) -> None:
        """An element no feature names: content of a wildcard that takes its namespace."""
        for attr in node.cls.attributes:
            if attr.type.xsd != "#wildcard":
                continue
            facets = dict(attr.type.facets)
            if allows(tuple(facets["wildcards"].split()), facets["targetNamespace"], namespace):
                text = _element_text(child)
                if attr.many:
                    values = node.attributes.setdefault(attr.name, [])
                    assert isinstance(values, list)
                    values.append(text)
                else:
                    node.attributes[attr.name] = text
                return
        q = etree.QName(child)
        raise InputError(
            f"{self.builder.where(child.sourceline)}: class {node.cls.key} has no element "
            f"<{q.localname}>" + (f" in namespace {q.namespace!r}" if q.namespace else "") + "."
        )

    def _plan(self, cls: EClassView) -> tuple[_Plan, _Plan]:
        """Per class: its XML attributes and elements, by (namespace, local name)."""
        found = self._plans.get(cls.key)
        if found is not None:
            return found
        xcls = self.xml.classes.get(cls.key)
        attributes: _Plan = {}
        elements: _Plan = {}
        for f in cls.features:
            xf = xcls.features.get(f.name) if xcls is not None else None
            if xf is None:
                xf = XmlFeature(f.name, "unspecified", None)
            if xf.kind in ("simple", "elementWildcard", "attributeWildcard", "group"):
                continue
            if isinstance(f, Attribute) and f.type.xsd == "#text":
                continue
            as_attribute = xf.kind == "attribute" or (
                xf.kind == "unspecified"
                and (
                    (isinstance(f, Attribute) and not f.many)
                    or (isinstance(f, Reference) and not f.containment)
                )
            )
            (attributes if as_attribute else elements)[(xf.namespace, xf.name)] = (f, xf)
        self._plans[cls.key] = (attributes, elements)
        return attributes, elements

    def _value(self, node: Node, attr: Attribute, text: str, el: etree._Element) -> Scalar:
        key = id(attr)
        if key not in self._readers:
            self._readers[key] = reader(attr.type)
        convert = self._readers[key]
        if convert is None:
            return text
        try:
            return convert(text)
        except (ValueError, ArithmeticError):
            raise InputError(
                f"{self.builder.where(el.sourceline)}: {text!r} is not a valid "
                f"{attr.type.name} for {node.cls.name}.{attr.name}."
            ) from None

    def _token(self, text: str) -> str:
        """A reference target as the CIM builder resolves it: an id, or a fragment path with
        the document root's step (`//@project`) taken off."""
        text = text.strip()
        if self.doc_feature is not None:
            base = f"//@{self.doc_feature}"
            if text == base:
                return "/"
            if text.startswith(base + "/@"):
                return "//" + text[len(base) + 1 :]
        return text

    def _explicit_type(self, el: etree._Element) -> EClassView | None:
        value = el.get(_XSI_TYPE)
        if not value:
            return None
        prefix, _, local = value.rpartition(":")
        ns = el.nsmap.get(prefix or None)
        found = self.by_type.get((XMLTYPE_NS if ns == XSD_NS else ns or "", local))
        if found is None:
            raise InputError(
                f"{self.builder.where(el.sourceline)}: xsi:type {value!r} names no class of "
                "this metamodel."
            )
        return found


def _element_text(el: etree._Element) -> str:
    """An element written out alone, declaring only the namespaces it uses."""
    alone = copy.deepcopy(el)
    alone.tail = None
    etree.cleanup_namespaces(alone)
    return etree.tostring(alone, encoding="unicode")


importer = XmlImporter()
