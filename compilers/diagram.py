"""Object diagrams (`dot`, `svg`) for people who would rather look than read.

Objects are record boxes headed `id : Class` with their attribute values (a few, shortened);
containment is a composition edge (filled diamond at the container), other references are
labelled arrows, an eOpposite pair one double-headed edge. Large models are drawn as nested
clusters, one per container, instead of composition edges. SVG is Graphviz's `dot -Tsvg`.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

from instancegen.compilers._tree import ModelTree
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, Metamodel, Reference
from instancegen.service.core.values import NOT_XML

MAX_ATTRIBUTES = 6
MAX_VALUE_CHARS = 32
CLUSTER_ABOVE = 40  # objects; above this, containment is shown by nesting
DOT_TIMEOUT = 120


def _record(text: str) -> str:
    """Escape text for a Graphviz record field (inside a double-quoted label)."""
    out = []
    for ch in text:
        if ch in '\\{}|<>"':
            out.append("\\" + ch)
        elif ch in "\r\n\t":
            out.append(" ")
        else:
            out.append(ch)
    return "".join(out)


def _quote(text: str) -> str:
    """A double-quoted DOT string with the quotes and backslashes escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _short(value: Any) -> str:
    """A value as shown in a box: shortened, control characters (which Graphviz cannot read,
    e.g. in an EJavaObject's string) shown as U+FFFD."""
    text = str(value) if not isinstance(value, bool) else str(value).lower()
    text = NOT_XML.sub("\ufffd", text)
    return text if len(text) <= MAX_VALUE_CHARS else text[: MAX_VALUE_CHARS - 1] + "…"


class _Dot:
    def __init__(self, tree: ModelTree) -> None:
        self.tree = tree
        self.node_ids = {oid: f"n{i}" for i, oid in enumerate(tree.order)}
        self.clustered = len(tree.order) > CLUSTER_ABOVE
        self.lines: list[str] = []

    def render(self, title: str) -> str:
        self.lines = [
            f"digraph {_quote(title)} {{",
            '  graph [rankdir=TB, fontname="Helvetica", fontsize=10, compound=true];',
            '  node [shape=record, fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9];',
        ]
        for root in self.tree.roots:
            self._place(root, "  ")
        self._edges()
        self.lines.append("}")
        return "\n".join(self.lines) + "\n"

    def _label(self, oid: str) -> str:
        obj, cls = self.tree.objects[oid], self.tree.classes[oid]
        rows = []
        for f in cls.features:
            if isinstance(f, Attribute) and obj.attributes.get(f.name) is not None:
                value = obj.attributes[f.name]
                shown = (
                    "[" + ", ".join(_short(v) for v in value) + "]"
                    if isinstance(value, list)
                    else _short(value)
                )
                rows.append(f"{f.name} = {_short(shown)}")
        if len(rows) > MAX_ATTRIBUTES:
            rows = [*rows[:MAX_ATTRIBUTES], f"… {len(rows) - MAX_ATTRIBUTES} more"]
        head = _record(f"{_short(oid)} : {cls.name}")
        body = "".join(_record(r) + "\\l" for r in rows)
        return f"{{{head}|{body}}}" if rows else f"{{{head}}}"

    def _place(self, oid: str, indent: str) -> None:
        node = f"{indent}{self.node_ids[oid]} [label={_quote_label(self._label(oid))}];"
        kids = [k for f, ks in self._contained(oid) for k in ks]
        if not (self.clustered and kids):
            self.lines.append(node)
            for kid in kids:
                self._place(kid, indent)
            return
        self.lines.append(f"{indent}subgraph cluster_{self.node_ids[oid]} {{")
        self.lines.append(f'{indent}  style=rounded; color="#888888"; label="";')
        self.lines.append("  " + node)
        for kid in kids:
            self._place(kid, indent + "  ")
        self.lines.append(f"{indent}}}")

    def _contained(self, oid: str) -> list[tuple[Reference, list[str]]]:
        refs = self.tree.objects[oid].references
        return [
            (f, refs[f.name])
            for f in self.tree.classes[oid].references
            if f.containment and refs.get(f.name)
        ]

    def _edges(self) -> None:
        drawn: set[tuple[str, str, str]] = set()
        for oid in self.tree.order:
            src = self.node_ids[oid]
            if not self.clustered:
                for f, kids in self._contained(oid):
                    for kid in kids:
                        self.lines.append(
                            f"  {src} -> {self.node_ids[kid]} [dir=back, arrowtail=diamond, "
                            f"label={_quote(f.name)}];"
                        )
            for f in self.tree.classes[oid].references:
                if f.containment:
                    continue
                for tid in self.tree.links.get((oid, f.name), ()):
                    if (tid, f.opposite or "", oid) in drawn:
                        continue  # the other end of an eOpposite pair, drawn already
                    drawn.add((oid, f.name, tid))
                    attrs = f"label={_quote(f.name)}, arrowhead=vee"
                    if f.opposite:
                        attrs = (
                            f"dir=both, arrowhead=vee, arrowtail=vee, headlabel={_quote(f.name)}"
                            f", taillabel={_quote(f.opposite)}"
                        )
                    self.lines.append(f"  {src} -> {self.node_ids[tid]} [{attrs}];")


def _quote_label(record: str) -> str:
    """A record label is already escaped field by field; only wrap it in quotes."""
    return f'"{record}"'


def to_dot(cim: Cim, metamodel: Metamodel) -> str:
    """The DOT source of the object diagram."""
    tree = ModelTree(cim, metamodel)
    try:
        return _Dot(tree).render(metamodel.name)
    except RecursionError:
        raise InputError("the containment nesting is too deep to draw.") from None


class DotCompiler:
    """The `dot` format: Graphviz source."""

    name = "dot"
    media_type = "text/vnd.graphviz"
    extension = "dot"
    description = "object diagram as Graphviz DOT source"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        return to_dot(cim, metamodel).encode("utf-8")


class SvgCompiler:
    """The `svg` format: the object diagram laid out by Graphviz's `dot`."""

    name = "svg"
    media_type = "image/svg+xml"
    extension = "svg"
    description = "object diagram as SVG (needs Graphviz's dot)"

    def compile(self, cim: Cim, metamodel: Metamodel, **options: Any) -> bytes:
        source = to_dot(cim, metamodel).encode("utf-8")
        dot = shutil.which("dot")
        if dot is None:
            raise InputError(
                "SVG needs Graphviz's `dot` program; install graphviz or use --format dot."
            )
        try:
            proc = subprocess.run(
                [dot, "-Tsvg"],
                input=source,
                capture_output=True,
                timeout=DOT_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise InputError(
                f"Graphviz took longer than {DOT_TIMEOUT} s; the model is too large to draw."
            ) from None
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise InputError(
                f"Graphviz could not draw the model ({message[-1] if message else 'no message'})."
            )
        return proc.stdout


dot_compiler = DotCompiler()
svg_compiler = SvgCompiler()
