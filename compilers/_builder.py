"""Shared back half of the importers: objects read from a document become a CIM.

A reader (XMI, EMF-JSON) adds objects in document order with their container, attribute
values and raw reference tokens. `finish` then gives every object a readable, unique id and
resolves the tokens the way EMF's `Resource.getEObject` does: fragment paths
(`//@a.0/@b.1`, `/1/@x.0` in multi-root documents, `@f[key='v']`), `xmi:id`s, iD attribute
values, and `#…` / `thisfile#…` hrefs into the same document.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from compilers._tree import id_attribute
from service.cim import Cim, CimObject, Value
from service.errors import InputError
from service.metamodel import EClassView, Reference

_NAME_ISH = ("name", "title", "label", "id", "key", "code")
_KEY_SEGMENT = re.compile(r"^@([^.\[]+)\[(.*)\]$")


@dataclass(eq=False)
class Node:
    """One object being imported."""

    cls: EClassView
    line: int | None
    xmi_id: str | None = None
    id_text: str | None = None  # the iD attribute's value as written
    attributes: dict[str, Value] = field(default_factory=dict)
    children: dict[str, list[Node]] = field(default_factory=dict)
    tokens: dict[str, list[str]] = field(default_factory=dict)
    id: str = ""


class CimBuilder:
    """Collects nodes from one document; `finish()` returns the CIM."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.base = name.replace("\\", "/").rsplit("/", 1)[-1]
        self.nodes: list[Node] = []
        self.roots: list[Node] = []
        self._id_names: dict[str, str | None] = {}
        self._refs: dict[str, tuple[Reference, ...]] = {}

    def where(self, line: int | None) -> str:
        return f"{self.name}: line {line}" if line else self.name

    def add(
        self,
        cls: EClassView,
        line: int | None,
        parent: Node | None,
        ref: Reference | None,
        xmi_id: str | None = None,
    ) -> Node:
        """A new object, contained in `parent.ref` (a root when parent is None)."""
        if not cls.concrete:
            kind = "an interface" if cls.interface else "abstract"
            raise InputError(f"{self.where(line)}: class {cls.key} is {kind}; it has no instances.")
        node = Node(cls, line, xmi_id)
        self.nodes.append(node)
        if parent is None or ref is None:
            self.roots.append(node)
        else:
            parent.children.setdefault(ref.name, []).append(node)
        return node

    def set_value(self, node: Node, name: str, value: Value, text: str | None = None) -> None:
        node.attributes[name] = value
        key = node.cls.key
        if key not in self._id_names:
            attr = id_attribute(node.cls)
            self._id_names[key] = attr.name if attr is not None else None
        if text is not None and self._id_names[key] == name:
            node.id_text = text

    def finish(self) -> Cim:
        self.nodes = self._document_order()
        self._assign_ids()
        by_id = self._id_index()
        objects = []
        for node in self.nodes:
            refs: dict[str, list[str]] = {}
            for f in self._references(node.cls):
                if f.name in node.children:
                    refs[f.name] = [k.id for k in node.children[f.name]]
                elif f.name in node.tokens:
                    refs[f.name] = [
                        self._resolve(node, f.name, t, by_id).id for t in node.tokens[f.name]
                    ]
            # Built from checked parts: skip pydantic's per-object validation (the bulk of
            # the cost on large models).
            objects.append(
                CimObject.model_construct(
                    id=node.id, class_=node.cls.key, attributes=node.attributes, references=refs
                )
            )
        return Cim.model_construct(objects=objects)

    def _references(self, cls: EClassView) -> tuple[Reference, ...]:
        refs = self._refs.get(cls.key)
        if refs is None:
            refs = self._refs[cls.key] = cls.references
        return refs

    def _document_order(self) -> list[Node]:
        """Parents before children, siblings in feature order: how the document reads."""
        order: list[Node] = []
        stack = list(reversed(self.roots))
        while stack:
            node = stack.pop()
            order.append(node)
            if not node.children:
                continue
            kids = [
                k
                for f in self._references(node.cls)
                if f.name in node.children
                for k in node.children[f.name]
            ]
            stack.extend(reversed(kids))
        return order

    def _assign_ids(self) -> None:
        used: set[str] = set()
        counters: dict[str, int] = {}
        for node in self.nodes:
            wanted = node.id_text or node.xmi_id or _generated(node)
            candidate, n = wanted, 1
            if not wanted:
                n = counters.get(node.cls.name, 0) + 1
                counters[node.cls.name] = n
                candidate = f"{node.cls.name[:1].lower()}{node.cls.name[1:]}{n}"
            while candidate in used:
                n += 1
                candidate = f"{wanted or node.cls.name}_{n}"
            used.add(candidate)
            node.id = candidate

    def _id_index(self) -> dict[str, Node]:
        index: dict[str, Node] = {}
        for node in self.nodes:
            if node.xmi_id is not None:
                index.setdefault(node.xmi_id, node)
        for node in self.nodes:  # EMF looks at xmi:ids first, then iD attribute values
            if node.id_text is not None:
                index.setdefault(node.id_text, node)
        return index

    def _resolve(self, node: Node, feature: str, token: str, by_id: dict[str, Node]) -> Node:
        where = f"{self.where(node.line)}: {node.cls.name}.{feature}"
        doc, hash_, frag = token.rpartition("#")
        if hash_ and doc and doc.replace("\\", "/").rsplit("/", 1)[-1] != self.base:
            raise InputError(
                f"{where} refers to another document ({token!r}); "
                "only references within the same file can be imported."
            )
        target = self._by_path(frag) if frag.startswith("/") else by_id.get(frag)
        if target is None:
            raise InputError(f"{where} refers to {token!r}, which is not in the document.")
        return target

    def _by_path(self, frag: str) -> Node | None:
        segments = frag.split("/")
        root_seg = segments[1] if len(segments) > 1 else ""
        if root_seg == "":
            current = self.roots[0] if self.roots else None
        elif root_seg.isdigit() and int(root_seg) < len(self.roots):
            current = self.roots[int(root_seg)]
        else:
            return None
        for seg in segments[2:]:
            if current is None or not seg.startswith("@"):
                return None
            current = _step(current, seg)
        return current


def _step(node: Node, seg: str) -> Node | None:
    keyed = _KEY_SEGMENT.match(seg)
    if keyed:
        name, cond = keyed.groups()
        pairs = re.findall(r"(\w+)='((?:[^']|'')*)'", cond)
        for kid in node.children.get(name, []):
            if all(str(kid.attributes.get(k)) == v.replace("''", "'") for k, v in pairs):
                return kid
        return None
    name, _, index = seg[1:].partition(".")
    kids = node.children.get(name, [])
    i = int(index) if index.isdigit() else 0
    return kids[i] if i < len(kids) else None


def _generated(node: Node) -> str:
    """`person_alice` from class Person, name "Alice"; empty when no name-ish value exists."""
    for key in _NAME_ISH:
        value = node.attributes.get(key)
        if isinstance(value, str) and value.strip():
            slug = re.sub(r"\W+", "_", value.strip().lower()).strip("_")[:40]
            if slug:
                return f"{node.cls.name[:1].lower()}{node.cls.name[1:]}_{slug}"
    return ""
