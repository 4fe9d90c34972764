"""The `xmi:id`s of an imported XMI document, keyed by CIM id, so a compile writes them back.

The importer names objects by their iD attribute or xmi:id and keeps no record of the xmi:id
itself; an edited model compiled without it would lose every xmi:id (and references written
as them). Objects are matched by containment path, which the document and the CIM share:
`/` or `/2` for roots, `//@feature.3/@other.0` below (a single-valued feature without the
index). The XMI compiler takes the result as its `xmi_ids` option.
"""

from __future__ import annotations

from lxml import etree

from instancegen.service.core.cim import Cim
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.xmlsafe import parse_xml

XMI_NS = "http://www.omg.org/XMI"
_XMI_ID = f"{{{XMI_NS}}}id"
_WRAPPER = f"{{{XMI_NS}}}XMI"


def document_xmi_ids(
    data: bytes, cim: Cim, metamodel: Metamodel, name: str = "model"
) -> dict[str, str]:
    """CIM id -> the xmi:id its element carries in `data` (objects without one left out)."""
    root = parse_xml(data, name).getroot()
    by_path: dict[str, str] = {}
    if root.tag == _WRAPPER:
        tops = [el for el in root if isinstance(el.tag, str)]
        for i, el in enumerate(tops):
            _walk(el, f"/{i}", by_path)
    else:
        _walk(root, "/", by_path)
    if not by_path:
        return {}
    found = {}
    for oid, path in containment_paths(cim, metamodel).items():
        xmi_id = by_path.get(path)
        if xmi_id is None and not path.endswith("/"):
            xmi_id = by_path.get(path + ".0")  # a single-valued feature's only child
        if xmi_id is not None:
            found[oid] = xmi_id
    return found


def _walk(top: etree._Element, top_path: str, by_path: dict[str, str]) -> None:
    stack = [(top, top_path)]
    while stack:
        el, path = stack.pop()
        xmi_id = el.get(_XMI_ID)
        if xmi_id is not None:
            by_path[path] = xmi_id
        seen: dict[str, int] = {}
        prefix = "//@" if path == "/" else f"{path}/@"
        for kid in el:
            if not isinstance(kid.tag, str):
                continue  # comments, processing instructions
            tag = etree.QName(kid).localname
            n = seen.get(tag, 0)
            seen[tag] = n + 1
            stack.append((kid, f"{prefix}{tag}.{n}"))


def containment_paths(cim: Cim, metamodel: Metamodel) -> dict[str, str]:
    """Every contained or root object's path, every list index written out."""
    children: dict[str, list[tuple[str, str]]] = {}
    contained: set[str] = set()
    for o in cim.objects:
        cls = metamodel.classes.get(o.class_)
        if cls is None:
            continue
        for ref in cls.references:
            if ref.containment:
                for i, kid in enumerate(o.references.get(ref.name, ())):
                    children.setdefault(o.id, []).append((kid, f"@{ref.name}.{i}"))
                    contained.add(kid)
    roots = [o.id for o in cim.objects if o.id not in contained]
    paths = {roots[0]: "/"} if len(roots) == 1 else {oid: f"/{i}" for i, oid in enumerate(roots)}
    stack = list(paths)
    while stack:
        oid = stack.pop()
        base = paths[oid]
        for kid, step in children.get(oid, ()):
            if kid not in paths:
                paths[kid] = f"//{step}" if base == "/" else f"{base}/{step}"
                stack.append(kid)
    return paths


def carry_xmi_ids(xmi_ids: dict[str, str], original: Cim, edited: Cim) -> dict[str, str]:
    """The xmi:ids for an edited model: kept ones for surviving objects; when the document
    gave every object one, new objects get one too (their CIM id, made unique), as a
    resource that keeps ids would."""
    present = {o.id for o in edited.objects}
    kept = {oid: x for oid, x in xmi_ids.items() if oid in present}
    if not original.objects or len(xmi_ids) < len(original.objects):
        return kept
    taken = set(xmi_ids.values())
    for o in edited.objects:
        if o.id not in kept and o.id not in xmi_ids:
            base = "_".join(o.id.split()) or "_"
            candidate, n = base, 1
            while candidate in taken:
                n += 1
                candidate = f"{base}_{n}"
            taken.add(candidate)
            kept[o.id] = candidate
    return kept
