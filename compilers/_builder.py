"""Shared back half of the importers: objects read from a document become a CIM.

A reader (XMI, EMF-JSON) adds objects in document order with their container, attribute
values and raw reference tokens. `finish` then gives every object a readable, unique id and
resolves the tokens the way EMF's `Resource.getEObject` does: fragment paths
(`//@a.0/@b.1`, `/1/@x.0` in multi-root documents, `@f[key='v']`), `xmi:id`s, iD attribute
values, and `#…` / `thisfile#…` hrefs into the same document.
"""

from __future__ import annotations

import re

from compilers._tree import id_attribute
from service import limits as limits_mod
from service.cim import Cim, Value, trusted_objects
from service.errors import InputError
from service.metamodel import EClassView, Reference

_NAME_ISH = ("name", "title", "label", "id", "key", "code")
_KEY_SEGMENT = re.compile(r"^@([^.\[]+)\[(.*)\]$")
_NON_WORD = re.compile(r"\W+")


class Node:
    """One object being imported."""

    __slots__ = ("attributes", "children", "cls", "id", "id_text", "line", "tokens", "xmi_id")

    def __init__(self, cls: EClassView, line: int | None, xmi_id: str | None = None) -> None:
        self.cls = cls
        self.line = line
        self.xmi_id = xmi_id
        self.id_text: str | None = None  # the iD attribute's value as written
        self.attributes: dict[str, Value] = {}
        self.children: dict[str, list[Node]] = {}
        self.tokens: dict[str, list[str]] = {}
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
        self._by_canonical_path: dict[str, Node] | None = None

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
            kids = parent.children.get(ref.name)
            if kids is None:
                parent.children[ref.name] = [node]
            else:
                kids.append(node)
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
        rows = []
        resolve = self._resolve
        for node in self.nodes:
            refs: dict[str, list[str]] = {}
            children, tokens = node.children, node.tokens
            if not children and len(tokens) == 1:  # one reference: no feature order to keep
                for name, given in tokens.items():
                    refs[name] = [resolve(node, name, t, by_id).id for t in given]
            elif children or tokens:
                for f in self._references(node.cls):
                    name = f.name
                    if name in children:
                        refs[name] = [k.id for k in children[name]]
                    elif name in tokens:
                        refs[name] = [resolve(node, name, t, by_id).id for t in tokens[name]]
            rows.append((node.id, node.cls.key, node.attributes, refs))
        return Cim.model_construct(objects=trusted_objects(rows))

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
            if len(children) == 1:
                kids = next(iter(children.values()))[::-1]
            else:
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

    def _resolve(self, node: Node, feature: str, token: str, by_id: dict[str, Node]) -> Node:
        target = by_id.get(token)  # the usual case: an xmi:id or iD value, no `#`, no path
        if target is not None and "#" not in token and token[0] != "/":
            return target
        doc, hash_, frag = token.rpartition("#")
        if hash_ and doc and doc.replace("\\", "/").rsplit("/", 1)[-1] != self.base:
            raise InputError(
                f"{self.where(node.line)}: {node.cls.name}.{feature} refers to another "
                f"document ({token!r}); only references within the same file can be imported."
            )
        if frag.startswith("/"):
            target = self._canonical_paths().get(frag) or self._by_path(frag)
        else:
            target = by_id.get(frag)
        if target is None:
            raise InputError(
                f"{self.where(node.line)}: {node.cls.name}.{feature} refers to {token!r}, "
                "which is not in the document."
            )
        return target

    def _canonical_paths(self) -> dict[str, Node]:
        """Every node by the path EMF writes for it (`//@a.0/@b`): a lookup instead of a walk
        for the usual fragments; any other spelling is walked by `_by_path`."""
        if self._by_canonical_path is None:
            roots = self.roots
            if len(roots) == 1:
                table = {"/": roots[0]}
            else:
                table = {f"/{i}": root for i, root in enumerate(roots)}
            paths = {node: path for path, node in table.items()}
            stack = list(roots)
            while stack:
                node = stack.pop()
                if not node.children:
                    continue
                base = paths[node]
                prefix = "//@" if base == "/" else f"{base}/@"
                fmap = node.cls.feature_map
                for name, kids in node.children.items():
                    many = fmap[name].many
                    for i, kid in enumerate(kids):
                        path = f"{prefix}{name}.{i}" if many or i else f"{prefix}{name}"
                        table[path] = kid
                        paths[kid] = path
                    stack += kids
            self._by_canonical_path = table
        return self._by_canonical_path

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
    if "[" in seg:
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


def _naming(cls: EClassView) -> tuple[str, tuple[str, ...]]:
    """A class's id stem (`person` for Person) and its name-ish attributes, in preference order."""
    names = {f.name for f in cls.attributes}
    return f"{cls.name[:1].lower()}{cls.name[1:]}", tuple(k for k in _NAME_ISH if k in names)


def _generated(stem: str, keys: tuple[str, ...], attributes: dict[str, Value]) -> str:
    """`person_alice` for a Person named "Alice"; empty when no name-ish value exists."""
    for key in keys:
        value = attributes.get(key)
        if isinstance(value, str) and value.strip():
            slug = _slug(value.strip().lower())
            if slug:
                return f"{stem}_{slug}"
    return ""


def _slug(text: str) -> str:
    """Runs of non-word characters as one `_`, none at the ends, at most 40 characters."""
    words = text.split()
    if all(map(str.isalnum, words)):  # the usual case, without the regular expression
        return "_".join(words)[:40]
    return _NON_WORD.sub("_", text).strip("_")[:40]
