"""References into other model files, on the command line: resolved where the file sits beside
the model, and kept pointing at the same file wherever the model is written.

A CIM keeps such a reference as its `href` (`other.xmi#frag`, relative to the model file). EMF
resolves one through the document it names, by xmi:id, iD attribute value or containment path
(`uniqueNameForB`, `//@items.0`); so does `resolve_beside`, for a document beside the model,
and puts the target's class before the URI ("B other.xmi#frag"), which EMF needs where the
reference's type is abstract. A document that is not there leaves the reference as it is.
`rebased` keeps relative URIs pointing at the same files when the model is written into
another directory, as EMF does when it saves a resource elsewhere.

Only the files a reference names relative to a model file given on the command line are read,
each through the hardened parser; nothing is read for an upload over HTTP.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from pathlib import Path

from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.input_files import read_input
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.values import external_parts, is_external
from instancegen.service.core.xmi_identity import containment_paths, document_xmi_ids

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_SINGLE_STEP = re.compile(r"(@[^/.]+)(?=/|$)")  # `@feature` without an index: the only one

Reader = Callable[[bytes, str, Metamodel], Cim]


def resolve_beside(cim: Cim, metamodel: Metamodel, model: Path, read: Reader) -> Cim:
    """`cim` (read from `model`) with each external target that names no class given the
    class of the object it names, where its document sits beside `model` and holds it."""
    documents: dict[str, dict[str, str]] = {}

    def resolve(target: str) -> str:
        cls, uri = external_parts(target)
        doc, _, fragment = uri.partition("#")
        if cls is not None or not _relative(doc):
            return target
        if doc not in documents:
            documents[doc] = _classes_by_fragment(model.parent / doc, metamodel, read)
        found = documents[doc].get(fragment) or documents[doc].get(_indexed(fragment))
        return f"{found} {uri}" if found is not None else target

    return _mapped(cim, resolve)


def rebased(cim: Cim, source: Path, destination: Path) -> Cim:
    """`cim`, read from a file in directory `source`, with every relative document URI made
    relative to `destination`, where it is about to be written."""
    if source.resolve() == destination.resolve():
        return cim

    def rebase(target: str) -> str:
        cls, uri = external_parts(target)
        doc, _, fragment = uri.partition("#")
        if not _relative(doc):
            return target
        moved = Path(os.path.relpath(source.resolve() / doc, destination.resolve())).as_posix()
        return f"{cls} {moved}#{fragment}" if cls is not None else f"{moved}#{fragment}"

    return _mapped(cim, rebase)


def _relative(doc: str) -> bool:
    return bool(doc) and not _SCHEME.match(doc) and not posixpath.isabs(doc)


def _indexed(fragment: str) -> str:
    """A containment path with EMF's index-less steps (`@owner`, a single-valued feature)
    written with their index, as `containment_paths` writes every step."""
    return _SINGLE_STEP.sub(r"\1.0", fragment) if fragment.startswith("/") else fragment


def _classes_by_fragment(path: Path, metamodel: Metamodel, read: Reader) -> dict[str, str]:
    """Fragment -> class key of every object in the model file at `path` (none when it is not
    there or is not a model of `metamodel`): by xmi:id, iD attribute value and path."""
    if not path.is_file():
        return {}
    try:
        data = read_input(path, what="a model file")
        cim = read(data, path.name, metamodel)
    except InputError:
        return {}
    classes = {o.id: o.class_ for o in cim.objects}
    found = {p: classes[oid] for oid, p in containment_paths(cim, metamodel).items()}
    for o in cim.objects:
        view = metamodel.classes.get(o.class_)
        for attr in view.attributes if view is not None else ():
            value = o.attributes.get(attr.name)
            if attr.is_id and isinstance(value, str):
                found.setdefault(value, o.class_)
    if data.lstrip()[:1] == b"<":
        for oid, xmi_id in document_xmi_ids(data, cim, metamodel, path.name).items():
            found[xmi_id] = classes[oid]
    return found


def _mapped(cim: Cim, change: Callable[[str], str]) -> Cim:
    """`cim` with every external reference target passed through `change` (the same `cim`
    when none changes: most models have no external reference, and are large)."""
    objects = list(cim.objects)
    changed = False
    for i, o in enumerate(objects):
        if not any(is_external(t) for targets in o.references.values() for t in targets):
            continue
        refs = {
            name: [change(t) if is_external(t) else t for t in targets]
            for name, targets in o.references.items()
        }
        if refs != o.references:
            objects[i] = o.model_copy(update={"references": refs})
            changed = True
    return Cim.model_construct(objects=objects) if changed else cim
