"""The XMI importer's walk over a parsed document, in plain Python: each object element becomes
a node of a `CimBuilder`, with its attribute values and reference tokens.

The path that always works; `compilers/_xmi_reader.pyx` is the same walk compiled against
lxml's C API, used when it is built (`compilers.import_core` chooses).
"""

from __future__ import annotations

from collections.abc import Callable

from lxml import etree

from instancegen.compilers.import_builder import CimBuilder, Node
from instancegen.compilers.xmi import XMI_NS, XSI_NS
from instancegen.service.core.cim import Scalar
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference
from instancegen.service.core.values import reader

_XMI_XMI = f"{{{XMI_NS}}}XMI"
_XMI_ID = f"{{{XMI_NS}}}id"
_TYPE_ATTRS = (f"{{{XSI_NS}}}type", f"{{{XMI_NS}}}type")
_NIL = f"{{{XSI_NS}}}nil"
_IDREF = f"{{{XMI_NS}}}idref"
_XMI_PREFIX = f"{{{XMI_NS}}}"


def read_xmi(root: etree._Element, metamodel: Metamodel, name: str, builder: CimBuilder) -> None:
    """Read the document under `root` (one object or an `xmi:XMI` wrapper) into `builder`."""
    _Reader(metamodel, name, builder).read(root)


# What a name (XML attribute or child element) of an object's element stands for.
_SINGLE, _MANY, _REF, _CONTAINED = range(4)
# (what, feature name, feature, for attributes a function reading a value, is the iD attribute)
_Meaning = tuple[int, str, Attribute | Reference, Callable[[str], Scalar] | None, bool]


class _Reader:
    def __init__(self, metamodel: Metamodel, name: str, builder: CimBuilder) -> None:
        self.name = name
        self.metamodel = metamodel
        self.builder = builder
        self.classes: dict[tuple[str, str], EClassView] = {
            (c.package.ns_uri, c.name): c for c in metamodel.classes.values()
        }
        self.namespaces = {p.ns_uri for p in metamodel.packages}
        self._plans: dict[str, dict[str, _Meaning]] = {}

    def read(self, root: etree._Element) -> None:
        if root.tag == _XMI_XMI:
            tops = [el for el in root if isinstance(el.tag, str) and not _in_ns(el, XMI_NS)]
        else:
            tops = [root]
        for el in tops:
            qname = etree.QName(el)
            if qname.namespace not in self.namespaces:
                raise InputError(
                    f"{self.name}: not a model of this metamodel: <{qname.localname}> is in "
                    f"namespace {qname.namespace or '(none)'!r}, which no given .ecore declares."
                )
        self._walk([(el, None, None) for el in reversed(tops)])

    def _walk(self, stack: list[tuple[etree._Element, Node | None, Reference | None]]) -> None:
        """Every object element, depth first: its node, attribute values and references."""
        add = self.builder.add
        plans = self._plans
        target_class = self.metamodel.classes
        while stack:
            el, parent, ref = stack.pop()
            special = None
            attrs = el.items()
            for key, _ in attrs:
                if key[0] == "{":  # xmi:*, xsi:* and foreign namespaces carry no feature values
                    special = el
                    break
            if special is None and ref is not None:
                cls = target_class[ref.target]
                node = add(cls, el.sourceline, parent, ref, None)
            else:
                if ref is not None and el.get(_NIL) == "true":
                    continue
                cls = self._explicit_type(el) or (
                    target_class[ref.target] if ref is not None else self._root_class(el)
                )
                node = add(cls, el.sourceline, parent, ref, el.get(_XMI_ID))
            plan = plans.get(cls.key) or self._plan(cls)
            for key, text in attrs:
                meaning = plan.get(key)
                if meaning is None:
                    if key[0] == "{":
                        continue
                    raise self._no_feature(node, key, el)
                kind, name, feature, convert, is_id = meaning
                if kind == _SINGLE:
                    if convert is None:
                        node.attributes[name] = text
                    else:
                        try:
                            node.attributes[name] = convert(text)
                        except (ValueError, ArithmeticError):
                            raise self._bad_value(node, feature, text, el) from None
                    if is_id:
                        node.id_text = text
                elif kind == _REF:
                    tokens = text.split()
                    if len(tokens) > 1 and "#" in text:
                        tokens = without_type_hints(tokens, el)
                    node.tokens.setdefault(name, []).extend(tokens)
                elif kind == _MANY:
                    values = node.attributes.setdefault(name, [])
                    assert isinstance(values, list)
                    values.extend(self._value(node, meaning, t, el) for t in text.split())
                else:
                    raise InputError(
                        f"{self.builder.where(el.sourceline)}: {node.cls.name}.{name} is a "
                        "containment; its objects must be nested elements."
                    )
            if len(el):
                kids = self._children(el, node, plan)
                kids.reverse()
                stack += kids

    def _children(
        self, el: etree._Element, node: Node, plan: dict[str, _Meaning]
    ) -> list[tuple[etree._Element, Node | None, Reference | None]]:
        """Read the element-form values and references; return the contained objects."""
        kids: list[tuple[etree._Element, Node | None, Reference | None]] = []
        for child in el:
            tag = child.tag
            if not isinstance(tag, str):
                continue  # comments, processing instructions
            if tag[0] == "{":
                if tag.startswith(_XMI_PREFIX):
                    continue  # xmi:Extension and the like
                tag = tag.partition("}")[2]
            meaning = plan.get(tag)
            if meaning is None:
                raise self._no_feature(node, tag, child)
            kind, name, feature, _, is_id = meaning
            if kind == _CONTAINED:
                assert isinstance(feature, Reference)
                kids.append((child, node, feature))
            elif kind == _REF:
                if child.get(_NIL) == "true":
                    continue  # no target: EMF reads it as no value
                token = child.get("href")
                if token is not None:
                    typed = self._explicit_type(child)  # kept for objects of other documents
                    if typed is not None:
                        token = f"{typed.key} {token}"
                else:
                    token = child.get(_IDREF)
                if token is None:
                    raise InputError(
                        f"{self.builder.where(child.sourceline)}: <{name}> names no "
                        "target (href or xmi:idref)."
                    )
                node.tokens.setdefault(name, []).append(token)
            else:
                nil = child.get(_NIL) == "true"
                text = child.text or ""
                if kind == _MANY:
                    values = node.attributes.setdefault(name, [])
                    assert isinstance(values, list)
                    values.append(None if nil else self._value(node, meaning, text, child))
                elif not nil:
                    node.attributes[name] = self._value(node, meaning, text, child)
                    if is_id:
                        node.id_text = text
        return kids

    def _plan(self, cls: EClassView) -> dict[str, _Meaning]:
        """What each of the class's feature names stands for, and how to read its values."""
        id_name = self.builder.id_name(cls)
        plan: dict[str, _Meaning] = {}
        for f in cls.features:
            if isinstance(f, Attribute):
                kind = _MANY if f.many else _SINGLE
                plan[f.name] = (kind, f.name, f, reader(f.type), f.name == id_name)
            else:
                plan[f.name] = (_CONTAINED if f.containment else _REF, f.name, f, None, False)
        self._plans[cls.key] = plan
        return plan

    def _value(self, node: Node, meaning: _Meaning, text: str, el: etree._Element) -> Scalar:
        convert = meaning[3]
        if convert is None:
            return text
        try:
            return convert(text)
        except (ValueError, ArithmeticError):
            raise self._bad_value(node, meaning[2], text, el) from None

    def _bad_value(
        self, node: Node, attr: Attribute | Reference, text: str, el: etree._Element
    ) -> InputError:
        assert isinstance(attr, Attribute)
        return InputError(
            f"{self.builder.where(el.sourceline)}: {text!r} is not a valid {attr.type.name} "
            f"for {node.cls.name}.{attr.name}."
        )

    def _no_feature(self, node: Node, key: str, el: etree._Element) -> InputError:
        return InputError(
            f"{self.builder.where(el.sourceline)}: class {node.cls.key} has no feature {key!r}."
        )

    def _root_class(self, el: etree._Element) -> EClassView:
        qname = etree.QName(el)
        return self._class(qname.namespace or "", qname.localname, el)

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


def without_type_hints(tokens: list[str], el: etree._Element) -> list[str]:
    """The targets in an IDREFS value holding hrefs, without the `prefix:Class` type hints
    written before them."""
    result = []
    for i, token in enumerate(tokens):
        prefix, colon, _ = token.partition(":")
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ""
        if colon and "#" not in token and "#" in nxt and prefix in el.nsmap:
            continue
        result.append(token)
    return result
