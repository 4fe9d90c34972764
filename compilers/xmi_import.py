"""Read XMI (as Eclipse EMF and other EMF-based tools write it) back into a CIM.

Every document goes through the hardened parser (`service.xmlsafe`), so DTDs, entities and
oversized input are refused before anything here runs. Understood: single roots and
`xmi:XMI` wrappers, `xsi:type`/`xmi:type`, attributes in attribute or element form
(many-valued ones space-separated or repeated), `xsi:nil`, references as fragment paths,
`xmi:id`s, iD attribute values and same-document `href`s.
"""

from __future__ import annotations

from lxml import etree

from compilers._builder import CimBuilder, Node
from compilers._tree import gc_paused
from compilers._values import from_lexical
from compilers.xmi import XMI_NS, XSI_NS
from service.cim import Cim, Scalar
from service.errors import InputError
from service.metamodel import Attribute, EClassView, Metamodel, Reference
from service.xmlsafe import parse_xml

_XMI_XMI = f"{{{XMI_NS}}}XMI"
_XMI_ID = f"{{{XMI_NS}}}id"
_TYPE_ATTRS = (f"{{{XSI_NS}}}type", f"{{{XMI_NS}}}type")
_NIL = f"{{{XSI_NS}}}nil"
_IDREF = f"{{{XMI_NS}}}idref"


class XmiImporter:
    """The `xmi` input format."""

    name = "xmi"

    def read(self, data: bytes, name: str, metamodel: Metamodel) -> Cim:
        root = parse_xml(data, name).getroot()
        with gc_paused():
            return _Reader(metamodel, name).read(root)


class _Reader:
    def __init__(self, metamodel: Metamodel, name: str) -> None:
        self.name = name
        self.metamodel = metamodel
        self.builder = CimBuilder(name)
        self.classes: dict[tuple[str, str], EClassView] = {
            (c.package.ns_uri, c.name): c for c in metamodel.classes.values()
        }
        self.namespaces = {p.ns_uri for p in metamodel.packages}

    def read(self, root: etree._Element) -> Cim:
        if root.tag == _XMI_XMI:
            tops = [el for el in root if isinstance(el.tag, str) and not _in_ns(el, XMI_NS)]
        else:
            tops = [root]
        pending: list[tuple[etree._Element, Node]] = []
        for el in tops:
            qname = etree.QName(el)
            if qname.namespace not in self.namespaces:
                raise InputError(
                    f"{self.name}: not a model of this metamodel: <{qname.localname}> is in "
                    f"namespace {qname.namespace or '(none)'!r}, which no given .ecore declares."
                )
            cls = self._explicit_type(el) or self._class(qname.namespace, qname.localname, el)
            pending.append((el, self.builder.add(cls, el.sourceline, None, None, el.get(_XMI_ID))))
        pending.reverse()
        while pending:
            el, node = pending.pop()
            kids = self._element(el, node)
            pending.extend(reversed(kids))
        return self.builder.finish()

    def _element(self, el: etree._Element, node: Node) -> list[tuple[etree._Element, Node]]:
        """Read one object's attributes and child elements; return its contained children."""
        fmap = node.cls.feature_map
        for key, text in el.attrib.items():
            if key[0] == "{":
                continue  # xmi:*, xsi:* and foreign namespaces carry no feature values
            self._set(node, self._feature(fmap, key, node, el), text, el, attribute_form=True)
        kids: list[tuple[etree._Element, Node]] = []
        for child in el:
            if not isinstance(child.tag, str) or _in_ns(child, XMI_NS):
                continue  # comments, processing instructions, xmi:Extension
            feature = self._feature(fmap, etree.QName(child).localname, node, child)
            if isinstance(feature, Reference) and feature.containment:
                if child.get(_NIL) == "true":
                    continue
                cls = self._explicit_type(child) or self._target_class(feature)
                kid = self.builder.add(cls, child.sourceline, node, feature, child.get(_XMI_ID))
                kids.append((child, kid))
            elif isinstance(feature, Reference):
                token = child.get("href") or child.get(_IDREF)
                if token is None:
                    raise InputError(
                        f"{self.builder.where(child.sourceline)}: <{feature.name}> names no "
                        "target (href or xmi:idref)."
                    )
                node.tokens.setdefault(feature.name, []).append(token)
            else:
                self._set(node, feature, child.text or "", child, attribute_form=False)
        return kids

    def _set(
        self,
        node: Node,
        feature: Attribute | Reference,
        text: str,
        el: etree._Element,
        attribute_form: bool,
    ) -> None:
        if isinstance(feature, Reference):
            if feature.containment:
                raise InputError(
                    f"{self.builder.where(el.sourceline)}: {node.cls.name}.{feature.name} is a "
                    "containment; its objects must be nested elements."
                )
            node.tokens.setdefault(feature.name, []).extend(_reference_tokens(text, el))
            return
        nil = not attribute_form and el.get(_NIL) == "true"
        if feature.many:
            values = node.attributes.setdefault(feature.name, [])
            assert isinstance(values, list)
            items = text.split() if attribute_form else [text]
            values.extend(None if nil else self._value(node, feature, t, el) for t in items)
        elif not nil:
            value = self._value(node, feature, text, el)
            self.builder.set_value(node, feature.name, value, text)

    def _value(self, node: Node, attr: Attribute, text: str, el: etree._Element) -> Scalar:
        try:
            return from_lexical(text, attr.type)
        except (ValueError, ArithmeticError):
            raise InputError(
                f"{self.builder.where(el.sourceline)}: {text!r} is not a valid {attr.type.name} "
                f"for {node.cls.name}.{attr.name}."
            ) from None

    def _feature(
        self, fmap: dict[str, Attribute | Reference], key: str, node: Node, el: etree._Element
    ) -> Attribute | Reference:
        feature = fmap.get(key)
        if feature is None:
            raise InputError(
                f"{self.builder.where(el.sourceline)}: class {node.cls.key} has no feature {key!r}."
            )
        return feature

    def _explicit_type(self, el: etree._Element) -> EClassView | None:
        for attr in _TYPE_ATTRS:
            value = el.get(attr)
            if value:
                prefix, _, local = value.rpartition(":")
                ns = el.nsmap.get(prefix or None)
                if ns is None:
                    raise InputError(
                        f"{self.builder.where(el.sourceline)}: type {value!r} uses an "
                        "undeclared namespace prefix."
                    )
                return self._class(ns, local, el)
        return None

    def _target_class(self, ref: Reference) -> EClassView:
        return self.metamodel.classes[ref.target]

    def _class(self, ns: str, local: str, el: etree._Element) -> EClassView:
        cls = self.classes.get((ns, local))
        if cls is None:
            raise InputError(
                f"{self.builder.where(el.sourceline)}: the metamodel has no class {local!r} "
                f"in package {ns!r}."
            )
        return cls


def _in_ns(el: etree._Element, ns: str) -> bool:
    return isinstance(el.tag, str) and el.tag.startswith(f"{{{ns}}}")


def _reference_tokens(text: str, el: etree._Element) -> list[str]:
    """Targets in an IDREFS value, dropping the `prefix:Class` type hints before hrefs."""
    tokens = text.split()
    result = []
    for i, token in enumerate(tokens):
        prefix, colon, _ = token.partition(":")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if colon and "#" not in token and "#" in nxt and prefix in el.nsmap:
            continue
        result.append(token)
    return result


importer = XmiImporter()
