"""A CIM seen as EMF will see it: a containment forest, consistent opposites, URI fragments.

Both serializing compilers (XMI, EMF-JSON) need the same facts: which objects are roots, who
contains whom, what every non-containment reference holds once both ends of an eOpposite pair
are merged, and the fragment EMF uses to point at an object (its iD attribute value, else its
containment path `//@accounts.0/@owners.1`). Structural breakage a compiler cannot write
(unknown ids or classes, two containers, cycles) is an InputError; everything else is the
validator's business.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from compilers._values import default_of, to_lexical
from service.cim import Cim, CimObject
from service.errors import InputError
from service.metamodel import Attribute, EClassView, Metamodel, Package, Reference


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a model is built: hundreds of thousands of
    small containers would otherwise trigger repeated full passes over every live object."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class ModelTree:
    """Index over one CIM, built once per compile: roots, children, links, fragments."""

    def __init__(self, cim: Cim, metamodel: Metamodel) -> None:
        self.metamodel = metamodel
        self.objects: dict[str, CimObject] = {}
        self.classes: dict[str, EClassView] = {}
        get_class = metamodel.get_class
        for obj in cim.objects:
            if obj.id in self.objects:
                raise InputError(f"two objects have the id {obj.id!r}; ids must be unique.")
            self.objects[obj.id] = obj
            self.classes[obj.id] = get_class(obj.class_)
        self.parent: dict[str, tuple[str, Reference, int]] = {}
        self.links: dict[tuple[str, str], list[str]] = {}
        self._index_references()
        self.roots = [oid for oid in self.objects if oid not in self.parent]
        self.order = list(self._preorder())
        self._check_acyclic()
        self._fragments: dict[str, str] | None = None

    def _index_references(self) -> None:
        """One pass: containment parents, and non-containment links with opposites merged."""
        objects, parent, links = self.objects, self.parent, self.links
        implied: list[tuple[str, str, str]] = []
        for oid, obj in objects.items():
            if not obj.references:
                continue
            fmap = self.classes[oid].feature_map
            for name, targets in obj.references.items():
                ref = fmap.get(name)
                if not isinstance(ref, Reference):
                    raise InputError(
                        f"{oid}: class {self.classes[oid].key} has no reference {name!r}."
                    )
                for tid in targets:
                    if tid not in objects:
                        raise InputError(f"{oid}.{name} refers to {tid!r}, which is not an object.")
                if ref.containment:
                    for index, tid in enumerate(targets):
                        if tid in parent:
                            raise InputError(
                                f"{tid} is contained twice ({parent[tid][0]} and {oid}); "
                                "an object has at most one container."
                            )
                        parent[tid] = (oid, ref, index)
                    continue
                links[(oid, name)] = targets
                if ref.opposite:
                    implied.extend((t, ref.opposite, oid) for t in targets)
        copied: set[tuple[str, str]] = set()
        big: dict[tuple[str, str], set[str]] = {}  # membership sets for long lists only
        for tid, opp, src in implied:
            key = (tid, opp)
            current = links.get(key)
            if current is not None:
                if len(current) < 16:
                    if src in current:
                        continue  # both ends given: the usual case, nothing to add
                else:
                    members = big.get(key)
                    if members is None:
                        members = big[key] = set(current)
                    if src in members:
                        continue
            opp_ref = self.classes[tid].feature_map.get(opp)
            if not isinstance(opp_ref, Reference):
                continue  # a wrongly typed target: the validator reports it
            if current and not opp_ref.many:
                continue  # a single-valued end already set: the validator reports a clash
            if key not in copied:  # first change to this list: copy it, never edit the CIM
                copied.add(key)
                current = links[key] = list(current or ())
            assert current is not None
            current.append(src)
            if key in big:
                big[key].add(src)

    def _check_acyclic(self) -> None:
        if len(self.order) != len(self.objects):
            cyclic = next(o for o in self.objects if not self._reaches_root(o))
            raise InputError(f"{cyclic} is part of a containment cycle; no root contains it.")

    def _reaches_root(self, oid: str) -> bool:
        seen: set[str] = set()
        while oid in self.parent:
            if oid in seen:
                return False
            seen.add(oid)
            oid = self.parent[oid][0]
        return True

    def children(self, oid: str, ref: Reference) -> list[str]:
        return self.objects[oid].references.get(ref.name, [])

    def _preorder(self) -> Iterator[str]:
        """Every object reachable from a root, in document order (parents before children)."""
        stack = list(reversed(self.roots))
        names: dict[str, tuple[str, ...]] = {}
        while stack:
            oid = stack.pop()
            yield oid
            refs = self.objects[oid].references
            if not refs:
                continue
            cls = self.classes[oid]
            held = names.get(cls.key)
            if held is None:
                held = names[cls.key] = tuple(f.name for f in cls.references if f.containment)
            kids = [tid for name in held if name in refs for tid in refs[name]]
            stack.extend(reversed(kids))

    def packages(self) -> list[Package]:
        """The packages of the objects' classes, in order of first appearance."""
        seen: dict[str, Package] = {}
        for oid in self.order:
            pkg = self.classes[oid].package
            seen.setdefault(pkg.ns_uri, pkg)
        return list(seen.values())

    def fragment(self, oid: str) -> str:
        """EMF's URI fragment for the object: its iD attribute value, else its containment path."""
        return self.fragments()[oid]

    def fragments(self) -> dict[str, str]:
        """Every object's fragment (computed once)."""
        if self._fragments is None:
            self._fragments = self._compute_fragments()
        return self._fragments

    def _compute_fragments(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        taken: dict[str, int] = {}
        id_attrs: dict[str, Attribute | None] = {}
        for oid, cls in self.classes.items():
            if cls.key not in id_attrs:
                id_attrs[cls.key] = id_attribute(cls)
            if id_attrs[cls.key] is None:
                continue
            value = self.id_value(oid)
            if value is not None:
                ids[oid] = value
                taken[value] = taken.get(value, 0) + 1
        paths: dict[str, str] = {}
        for oid in self.roots:
            paths[oid] = "/" if len(self.roots) == 1 else f"/{self.roots.index(oid)}"
        result: dict[str, str] = {}
        for oid in self.order:
            if oid not in paths:
                owner, ref, index = self.parent[oid]
                base = paths[owner]
                step = f"@{ref.name}.{index}" if ref.many else f"@{ref.name}"
                paths[oid] = f"{base}/{step}" if base != "/" else f"//{step}"
            value = ids.get(oid)
            # A colliding, blank or space-holding iD would resolve wrongly; EMF's path never does.
            usable = value is not None and taken[value] == 1 and value.split() == [value]
            result[oid] = value if usable and value is not None else paths[oid]
        return result

    def id_value(self, oid: str) -> str | None:
        """What `EcoreUtil.getID` returns: the iD attribute's value (or default) as text."""
        attr = id_attribute(self.classes[oid])
        if attr is None:
            return None
        value = self.objects[oid].attributes.get(attr.name)
        if value is None:
            value = default_of(attr)
        if value is None or isinstance(value, list):
            return None
        return to_lexical(value, attr.type)


def id_attribute(cls: EClassView) -> Attribute | None:
    """EMF's eIDAttribute: the first single-valued attribute marked iD."""
    for f in cls.features:
        if isinstance(f, Attribute) and f.is_id and not f.many:
            return f
    return None
