"""Shared back half of the importers, in plain Python: objects read from a document become a CIM.

A reader (XMI, EMF-JSON) adds objects in document order with their container, attribute
values and raw reference tokens. `finish` then gives every object a readable, unique id and
resolves the tokens the way EMF's `Resource.getEObject` does: fragment paths
(`//@a.0/@b.1`, `/1/@x.0` in multi-root documents, `@f[key='v']`), `xmi:id`s, iD attribute
values, and `#…` / `thisfile#…` hrefs into the same document. A target in another document
stays as written (`other.xmi#frag`, after its class key when the document gives the class),
the CIM's form of an external reference. A malformed fragment path is a clear error.

This is the path that always works. `compilers/_builder.pyx` is the same logic compiled, an
accelerator used when it is built (`compilers.import_core` chooses); the equivalence tests
hold the two to the same results and the same errors.
"""

from __future__ import annotations

import re

from instancegen.compilers._tree import id_attribute
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.cim import Cim, CimObject, Value, trusted_object
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import EClassView, Reference

_NAME_ISH = ("name", "title", "label", "id", "key", "code")
_KEY_SEGMENT = re.compile(r"^@([^.\[]+)\[(.*)\]$")
# A fragment path as EMF reads it: a root (its index with several), then `@feature`,
# `@feature.index` or `@feature[key='value']` segments.
_PATH = re.compile(r"^/[0-9]*(/@[^/.\[]+(\.[0-9]+|\[[^\]]*\])?)*$")
_NON_WORD = re.compile(r"\W+")
_NAME_END = re.compile(r"[.\[]")  # where a path segment's feature name ends


class Node:
    """One object being imported, made by `CimBuilder.add`."""

    __slots__ = ("attributes", "children", "cls", "id", "id_text", "line", "tokens", "xmi_id")

    def __init__(self, cls: EClassView, line: int | None, xmi_id: str | None) -> None:
        self.cls = cls
        self.line = line
        self.xmi_id = xmi_id
        self.id_text: str | None = None  # the iD attribute's value as written
        self.attributes: dict[str, Value] = {}
        self.children: dict[str, list[Node]] = {}
        self.tokens: dict[str, list[str]] = {}  # reference name -> targets as written
        self.id = ""


class CimBuilder:
    """Collects nodes from one document; `finish()` returns the CIM."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.base = name.replace("\\", "/").rsplit("/", 1)[-1]
        self.nodes: list[Node] = []
        self.roots: list[Node] = []
        self._id_names: dict[str, str | None] = {}
        self._refs: dict[str, tuple[Reference, ...]] = {}
        self._concrete: set[str] = set()  # class keys already found instantiable

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
        if cls.key not in self._concrete:
            if not cls.concrete:
                kind = "an interface" if cls.interface else "abstract"
                raise InputError(
                    f"{self.where(line)}: class {cls.key} is {kind}; it has no instances."
                )
            self._concrete.add(cls.key)
        node = Node(cls, line, xmi_id)
        self.nodes.append(node)
        if parent is None or ref is None:
            self.roots.append(node)
        else:
            parent.children.setdefault(ref.name, []).append(node)
        return node

    def id_name(self, cls: EClassView) -> str | None:
        """The name of the class's iD attribute (EMF's eIDAttribute), if it has one."""
        key = cls.key
        if key not in self._id_names:
            attr = id_attribute(cls)
            self._id_names[key] = attr.name if attr is not None else None
        return self._id_names[key]

    def set_value(self, node: Node, name: str, value: Value, text: str | None = None) -> None:
        node.attributes[name] = value
        if text is not None and self.id_name(node.cls) == name:
            node.id_text = text

    def finish(self) -> Cim:
        limits_mod.current().check(
            "max_objects", len(self.nodes), f"{self.name}: the number of objects"
        )
        self.nodes = self._document_order()
        self._assign_ids()
        by_id = self._id_index()
        made: list[CimObject] = []
        for node in self.nodes:
            refs: dict[str, list[str]] = {}
            children, tokens = node.children, node.tokens
            for f in self._references(node.cls):
                name = f.name
                if name in children:
                    refs[name] = [k.id for k in children[name]]
                elif name in tokens:
                    refs[name] = [self._target(node, name, t, by_id) for t in tokens[name]]
            made.append(trusted_object(node.id, node.cls.key, node.attributes, refs))
        return Cim.model_construct(objects=made)

    def _references(self, cls: EClassView) -> tuple[Reference, ...]:
        refs = self._refs.get(cls.key)
        if refs is None:
            refs = self._refs[cls.key] = cls.references
        return refs

    def _document_order(self) -> list[Node]:
        """Parents before children, siblings in feature order: how the document reads."""
        order: list[Node] = []
        stack = self.roots[::-1]
        while stack:
            node = stack.pop()
            order.append(node)
            children = node.children
            if not children:
                continue
            names = [f.name for f in self._references(node.cls)]
            kids = [k for name in names if name in children for k in children[name]]
            kids.reverse()
            stack += kids
        return order

    def _assign_ids(self) -> None:
        used: set[str] = set()
        counters: dict[str, int] = {}
        naming: dict[str, tuple[str, tuple[str, ...]]] = {}  # per class: id stem, name-ish keys
        for node in self.nodes:
            wanted = node.id_text or node.xmi_id
            if wanted and "#" in wanted:  # a CIM target holding `#` names another document
                wanted = wanted.replace("#", "_")
            if not wanted:
                cls = node.cls
                stem, keys = naming.get(cls.key) or naming.setdefault(cls.key, _naming(cls))
                wanted = _generated(stem, keys, node.attributes)
                if not wanted:
                    n = counters.get(cls.name, 0) + 1
                    counters[cls.name] = n
                    candidate = f"{stem}{n}"
                    while candidate in used:
                        n += 1
                        candidate = f"{cls.name}_{n}"
                    used.add(candidate)
                    node.id = candidate
                    continue
            candidate, n = wanted, 1
            while candidate in used:
                n += 1
                candidate = f"{wanted}_{n}"
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

    def _target(self, node: Node, feature: str, token: str, by_id: dict[str, Node]) -> str:
        """The CIM target a token names: an object's id, or the token itself (without a
        type hint's prefix) for an object in another document."""
        if token.startswith("/") and "#" not in token:  # a fragment path, as EMF writes them
            found = self._by_path(token)
            if found is not None:
                return found.id
        target = by_id.get(token)  # an xmi:id or iD value, no `#`, no path
        if target is not None and "#" not in token and not token.startswith("/"):
            return target.id
        uri = token.rpartition(" ")[2]
        doc, hash_, frag = uri.rpartition("#")
        if hash_ and doc and doc.replace("\\", "/").rsplit("/", 1)[-1] != self.base:
            if not frag:
                raise InputError(
                    f"{self.where(node.line)}: {node.cls.name}.{feature} refers to {token!r}, "
                    "which names a document but no object in it."
                )
            return token
        target = self._by_path(frag) if frag.startswith("/") else by_id.get(frag)
        if target is None:
            if frag.startswith("/") and not _PATH.match(frag):
                raise InputError(
                    f"{self.where(node.line)}: {node.cls.name}.{feature} refers to {token!r}, "
                    "which is no fragment path EMF can read (`//@feature.index/@feature…`, "
                    "`/1/@feature.index` with several roots)."
                )
            raise InputError(
                f"{self.where(node.line)}: {node.cls.name}.{feature} refers to {token!r}, "
                "which is not in the document."
            )
        return target.id

    def _by_path(self, frag: str) -> Node | None:
        """The object at a fragment path (`//@a.0/@b`, `/1/@x.0`), one segment at a time."""
        root_seg, *segments = frag[1:].split("/")
        if root_seg == "":
            if not self.roots:
                return None
            current = self.roots[0]
        elif root_seg.isascii() and root_seg.isdigit() and int(root_seg) < len(self.roots):
            current = self.roots[int(root_seg)]
        else:
            return None
        for seg in segments:
            found = _step(current, seg)
            if found is None:
                return None
            current = found
        return current


def _step(node: Node, seg: str) -> Node | None:
    """The child that a segment names: `@f`, `@f.2` or `@f[key='v']`."""
    if len(seg) < 2 or seg[0] != "@" or not node.children:
        return None
    body = seg[1:]
    name = body.partition(".")[0] if "[" not in body else _NAME_END.split(body, maxsplit=1)[0]
    rest = seg[1 + len(name) :]
    if rest.startswith("["):
        return _keyed(node, seg)
    kids = node.children.get(name)
    if kids is None:
        return None
    if not rest:
        index = 0
    elif rest[0] == "." and rest[1:].isascii() and rest[1:].isdigit():
        index = int(rest[1:])
    else:
        return None  # a malformed index: the path is malformed
    return kids[index] if index < len(kids) else None


def _keyed(node: Node, seg: str) -> Node | None:
    """The child a segment such as `@f[name='x',kind='y']` names."""
    keyed = _KEY_SEGMENT.match(seg)
    if not keyed:
        return None
    name, cond = keyed.groups()
    pairs = re.findall(r"(\w+)='((?:[^']|'')*)'", cond)
    for kid in node.children.get(name, []):
        if all(str(kid.attributes.get(k)) == v.replace("''", "'") for k, v in pairs):
            return kid
    return None


def _naming(cls: EClassView) -> tuple[str, tuple[str, ...]]:
    """A class's id stem (`person` for Person) and its name-ish attributes, in preference order."""
    names = {f.name for f in cls.attributes}
    return f"{cls.name[:1].lower()}{cls.name[1:]}", tuple(k for k in _NAME_ISH if k in names)


def _generated(stem: str, keys: tuple[str, ...], attributes: dict[str, Value]) -> str:
    """`person_alice` for a Person named "Alice"; empty when no name-ish value exists."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str):
            slug = slug_of(value.lower())
            if slug:
                return f"{stem}_{slug}"
    return ""


def slug_of(text: str) -> str:
    """Runs of non-word characters as one `_`, none at the ends, at most 40 characters."""
    words = text.split()
    if all(map(str.isalnum, words)):  # the usual case, without the regular expression
        return "_".join(words)[:40]
    return _NON_WORD.sub("_", text).strip("_")[:40]
