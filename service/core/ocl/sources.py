"""Where invariants come from: a class's Ecore annotations, or a Complete OCL document.

Ecore keeps an invariant in two annotations on its class: the Ecore one names it
(`constraints="A B"`), and an OCL one (OCLinEcore's Pivot source, or the classic one) holds
its expression under the same key. A Complete OCL file (`context C inv Name: expr`) adds
invariants to a metamodel that has none of its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Mapping

from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import ECORE_NS, Invariant, Metamodel

OCL_ANNOTATIONS = (
    "http://www.eclipse.org/emf/2002/Ecore/OCL/Pivot",
    "http://www.eclipse.org/emf/2002/Ecore/OCL",
    "http://www.eclipse.org/emf/2002/Ecore/OCL/LPG",
)
MAX_DOCUMENT_CHARS = 1_000_000


def from_annotations(
    context: str, annotations: Iterable[tuple[str | None, Mapping[str, str]]], source: str
) -> list[Invariant]:
    """The invariants a class's annotations carry: every key of its OCL annotation (but the
    `Name$message` companions), those its `constraints` detail lists first. A name listed
    without an OCL expression is a constraint implemented in Java: nothing to evaluate."""
    listed: list[str] = []
    expressions: dict[str, str] = {}
    for uri, details in annotations:
        if uri == ECORE_NS:
            listed += (details.get("constraints") or "").split()
        elif uri in OCL_ANNOTATIONS:
            for name, expression in details.items():
                if "$" not in name and expression and expression.strip():
                    expressions.setdefault(name, expression)
    order = [n for n in dict.fromkeys(listed) if n in expressions]
    order += [n for n in expressions if n not in order]
    return [Invariant(n, context, expressions[n].strip(), source) for n in order]


def with_constraints(mm: Metamodel, documents: Mapping[str, str]) -> Metamodel:
    """`mm` plus the invariants of Complete OCL documents (file name -> text).

    Only `inv` clauses are read; `def`, `pre`, `post`, `body`, `init` and `derive` are
    skipped with a warning on the metamodel. A context no class matches, a syntax error
    or a name used twice is an InputError naming the file and line.
    """
    if not documents:
        return mm
    # The OCL parser (lark) is loaded only for a constraints file: loading a metamodel is not
    # slowed by it.
    from instancegen.service.core.ocl.parser import OclSyntaxError, parse_document

    added: list[Invariant] = []
    warnings: list[str] = []
    taken = {(i.context, i.name) for i in mm.invariants}
    digest = hashlib.sha256(mm.content_hash.encode())
    for display, text in documents.items():
        if len(text) > MAX_DOCUMENT_CHARS:
            raise InputError(
                f"{display}: {len(text):,} characters, above the {MAX_DOCUMENT_CHARS:,} a "
                "constraints file may have."
            )
        digest.update(hashlib.sha256(display.encode()).digest())
        digest.update(hashlib.sha256(text.encode()).digest())
        try:
            clauses = parse_document(text)
        except OclSyntaxError as exc:
            raise InputError(f"{display}: not Complete OCL this reader understands: "
                             f"{exc.message}") from None  # fmt: skip
        counts: dict[str, int] = {}
        for clause in clauses:
            where = f"{display} line {clause.line}"
            if clause.kind != "inv" or clause.operation:
                warnings.append(f"{where}: '{clause.kind}' is not an invariant; skipped.")
                continue
            context = _class_key(mm, clause.context, where)
            counts[context] = counts.get(context, 0) + 1
            name = clause.name or f"{mm.classes[context].name}_inv{counts[context]}"
            if (context, name) in taken:
                raise InputError(f"{where}: {context} already has an invariant named {name!r}.")
            taken.add((context, name))
            expression = clause.text.strip()
            if clause.variable not in (None, "self"):  # `context p : Patient inv: p.age > 0`
                expression = f"let {clause.variable} = self in ({expression})"
            added.append(Invariant(name, context, expression, display))
    return dataclasses.replace(
        mm,
        invariants=mm.invariants + tuple(added),
        warnings=mm.warnings + tuple(warnings),
        content_hash=digest.hexdigest(),
    )


def _class_key(mm: Metamodel, path: tuple[str, ...], where: str) -> str:
    """The class a `context` names: `Patient`, or `hospital::Patient` where names clash."""
    name = path[-1]
    candidates = [c for c in mm.classes.values() if c.name == name]
    if len(path) > 1:
        prefix = ".".join(path[:-1])
        candidates = [c for c in candidates if c.package.path.endswith(prefix)]
    if len(candidates) == 1:
        return candidates[0].key
    shown = "::".join(path)
    if not candidates:
        raise InputError(f"{where}: context {shown}: the metamodel has no class {name!r}.")
    raise InputError(
        f"{where}: context {shown} is ambiguous ({', '.join(c.key for c in candidates)}); "
        "qualify it with its package, e.g. pkg::Class."
    )
