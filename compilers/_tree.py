"""A CIM seen as EMF will see it: a containment forest, consistent opposites, URI fragments.

Both serializing compilers (XMI, EMF-JSON) need the same facts: which objects are roots, who
contains whom, what every non-containment reference holds once both ends of an eOpposite pair
are merged, and the fragment EMF uses to point at an object (its iD attribute value, else its
containment path `//@accounts.0/@owners.1`). Structural breakage a compiler cannot write
(unknown ids or classes, two containers, cycles) is an InputError; everything else is the
validator's business.
"""

from __future__ import annotations

from collections.abc import Iterator

from compilers._values import default_of, to_lexical
from service.cim import Cim, CimObject
from service.errors import InputError
from service.metamodel import Attribute, EClassView, Metamodel, Package, Reference


class ModelTree:
    """Index over one CIM, built once per compile: roots, children, links, fragments."""

    def __init__(self, cim: Cim, metamodel: Metamodel) -> None:
        self.metamodel = metamodel
        self.objects: dict[str, CimObject] = {}
        self.classes: dict[str, EClassView] = {}
        for obj in cim.objects:
            if obj.id in self.objects:
                raise InputError(f"two objects have the id {obj.id!r}; ids must be unique.")
            self.objects[obj.id] = obj
            self.classes[obj.id] = metamodel.get_class(obj.class_)
        self.parent: dict[str, tuple[str, Reference, int]] = {}
        self._index_containment()
        self.roots = [oid for oid in self.objects if oid not in self.parent]
        self.order = list(self._preorder())
        self._check_acyclic()
        self.links = self._merge_opposites()
        self._fragments: dict[str, str] | None = None

    def _target(self, owner: str, ref: Reference, tid: str) -> str:
        if tid not in self.objects:
            raise InputError(f"{owner}.{ref.name} refers to {tid!r}, which is not an object.")
        return tid

    def _index_containment(self) -> None:
        for oid, obj in self.objects.items():
            cls = self.classes[oid]
            for name, targets in obj.references.items():
                ref = cls.feature_map.get(name)
                if not isinstance(ref, Reference):
                    raise InputError(f"{oid}: class {cls.key} has no reference {name!r}.")
                if not ref.containment:
                    continue
                for index, tid in enumerate(targets):
                    self._target(oid, ref, tid)
                    if tid in self.parent:
                        raise InputError(
                            f"{tid} is contained twice ({self.parent[tid][0]} and {oid}); "
                            "an object has at most one container."
                        )
                    self.parent[tid] = (oid, ref, index)

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

    def _merge_opposites(self) -> dict[tuple[str, str], list[str]]:
        """Non-containment links per (object, reference): stated ones, then implied opposites."""
        links: dict[tuple[str, str], list[str]] = {}
        implied: list[tuple[str, str, str]] = []
        for oid, obj in self.objects.items():
            fmap = self.classes[oid].feature_map
            for name, targets in obj.references.items():
                ref = fmap[name]
                assert isinstance(ref, Reference)
                if ref.containment:
                    continue
                links[(oid, name)] = [self._target(oid, ref, t) for t in targets]
                if ref.opposite:
                    implied.extend((t, ref.opposite, oid) for t in targets)
        for tid, opp, src in implied:
            opp_ref = self.classes[tid].feature_map.get(opp)
            if not isinstance(opp_ref, Reference):
                continue  # a wrongly typed target: the validator reports it
            current = links.setdefault((tid, opp), [])
            if src not in current and (opp_ref.many or not current):
                current.append(src)
        return links

    def children(self, oid: str, ref: Reference) -> list[str]:
        return self.objects[oid].references.get(ref.name, [])

    def _preorder(self) -> Iterator[str]:
        """Every object reachable from a root, in document order (parents before children)."""
        stack = list(reversed(self.roots))
        while stack:
            oid = stack.pop()
            yield oid
            cls = self.classes[oid]
            refs = self.objects[oid].references
            kids = [
                tid
                for f in cls.references
                if f.containment and f.name in refs
                for tid in refs[f.name]
            ]
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
        if self._fragments is None:
            self._fragments = self._compute_fragments()
        return self._fragments[oid]

    def _compute_fragments(self) -> dict[str, str]:
        ids: dict[str, str] = {}
        taken: dict[str, int] = {}
        for oid in self.objects:
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
