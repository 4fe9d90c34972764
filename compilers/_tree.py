"""A CIM seen as EMF will see it: a containment forest, consistent opposites, URI fragments.

Both serializing compilers (XMI, EMF-JSON) need the same facts: which objects are roots, who
contains whom, what every non-containment reference holds once both ends of an eOpposite pair
are merged, and the fragment EMF uses to point at an object (its iD attribute value, else its
containment path `//@accounts.0/@owners.1`). Structural breakage a compiler cannot write
(unknown ids or classes, two containers, cycles) is an InputError; everything else is the
validator's business.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from functools import cached_property
from typing import Any

from compilers._values import default_of, lexical
from service.cim import Cim, CimObject, Scalar
from service.errors import InputError
from service.metamodel import Attribute, EClassView, Metamodel, Package, Reference


class ModelTree:
    """Index over one CIM, built once per compile: roots, children, links, fragments."""

    def __init__(self, cim: Cim, metamodel: Metamodel) -> None:
        self.metamodel = metamodel
        objs = cim.objects
        self.objects: dict[str, CimObject] = {o.id: o for o in objs}
        found = {key: metamodel.classes.get(key) for key in dict.fromkeys(o.class_ for o in objs)}
        if len(self.objects) != len(objs) or None in found.values():
            _raise_first_object_error(objs, metamodel)
        kinds = {key: cls for key, cls in found.items() if cls is not None}
        self.classes: dict[str, EClassView] = {o.id: kinds[o.class_] for o in objs}
        self.parent: dict[str, tuple[str, Reference, int]] = {}
        # Reference lists an implied eOpposite end extends (copies; the CIM is never edited).
        self.extended: dict[tuple[str, str], list[str]] = {}
        # Objects listing themselves in a reference that has an eOpposite.
        self.self_linked: set[str] = set()
        self._index_references(kinds)
        self.roots = [oid for oid in self.objects if oid not in self.parent]
        self.order = self._preorder(kinds)
        self._check_acyclic()
        self._fragments: _Fragments | None = None

    def targets(self, oid: str, name: str) -> list[str]:
        """What a non-containment reference holds once both eOpposite ends are merged."""
        extended = self.extended.get((oid, name))
        return extended if extended is not None else self.objects[oid].references.get(name, [])

    @cached_property
    def links(self) -> dict[tuple[str, str], list[str]]:
        """`targets` of every set non-containment reference, by (object id, feature name)."""
        result: dict[tuple[str, str], list[str]] = {}
        for oid, obj in self.objects.items():
            fmap = self.classes[oid].feature_map
            for name, targets in obj.references.items():
                ref = fmap[name]
                if isinstance(ref, Reference) and not ref.containment:
                    result[(oid, name)] = targets
        result.update(self.extended)
        return result

    def _index_references(self, kinds: dict[str, EClassView]) -> None:
        """One pass: containment parents, and the eOpposite ends the CIM leaves out.

        An eOpposite end is usually given on both sides; only a target whose own list lacks
        the source needs that list extended."""
        objects, parent = self.objects, self.parent
        by_name = {key: {r.name: r for r in cls.references} for key, cls in kinds.items()}
        implied: list[tuple[str, str, str]] = []
        members: dict[tuple[str, str], set[str]] = {}  # membership sets for long lists only
        has = objects.__contains__
        for oid, obj in objects.items():
            refs = obj.references
            if not refs:
                continue
            ref_map = by_name[obj.class_]
            for name, targets in refs.items():
                ref = ref_map.get(name)
                if ref is None:
                    raise InputError(f"{oid}: class {obj.class_} has no reference {name!r}.")
                if not all(map(has, targets)):
                    tid = next(t for t in targets if t not in objects)
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
                opp = ref.opposite
                if not opp:
                    continue
                for tid in targets:
                    if tid == oid:
                        self.self_linked.add(oid)
                    given = objects[tid].references.get(opp)
                    if given is not None:
                        if len(given) < 16:
                            if oid in given:
                                continue
                        else:
                            key = (tid, opp)
                            seen = members.get(key)
                            if seen is None:
                                seen = members[key] = set(given)
                            if oid in seen:
                                continue
                    implied.append((tid, opp, oid))
        self._add_implied(implied)

    def _add_implied(self, implied: list[tuple[str, str, str]]) -> None:
        """Append each source to its target's opposite list, where that end can hold it."""
        objects, classes, extended = self.objects, self.classes, self.extended
        added: dict[tuple[str, str], set[str]] = {}  # per extended list: the sources appended
        for tid, opp, src in implied:
            key = (tid, opp)
            extra = added.get(key)
            if extra is None:
                opp_ref = classes[tid].feature_map.get(opp)
                if not isinstance(opp_ref, Reference):
                    continue  # a wrongly typed target: the validator reports it
                given = objects[tid].references.get(opp)
                if given and not opp_ref.many:
                    continue  # a single-valued end already set: the validator reports a clash
                extended[key] = list(given or ())
                extra = added[key] = set()
            elif src in extra or not classes[tid].feature_map[opp].many:
                continue  # listed twice by the source, or a single-valued end now set
            extra.add(src)
            extended[key].append(src)

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

    def _preorder(self, kinds: dict[str, EClassView]) -> list[str]:
        """Every object reachable from a root, in document order (parents before children)."""
        objects = self.objects
        held = {
            key: tuple(r.name for r in c.references if r.containment) for key, c in kinds.items()
        }
        order: list[str] = []
        stack = self.roots[::-1]
        while stack:
            oid = stack.pop()
            order.append(oid)
            obj = objects[oid]
            names = held[obj.class_]
            if names:
                refs = obj.references
                kids = [tid for name in names if name in refs for tid in refs[name]]
                kids.reverse()
                stack += kids
        return order

    def packages(self) -> list[Package]:
        """The packages of the objects' classes, in order of first appearance."""
        classes = self.classes
        seen: dict[str, Package] = {}
        for key in dict.fromkeys(classes[oid].key for oid in self.order):
            pkg = self.metamodel.classes[key].package
            seen.setdefault(pkg.ns_uri, pkg)
        return list(seen.values())

    def fragment(self, oid: str) -> str:
        """EMF's URI fragment for the object: its iD attribute value, else its containment path."""
        return self.fragments()[oid]

    def fragments(self) -> dict[str, str]:
        """Every object's fragment, each worked out when first asked for."""
        if self._fragments is None:
            self._fragments = _Fragments(self)
        return self._fragments

    def id_values(self) -> dict[str, str]:
        """What `EcoreUtil.getID` returns for each object that has one: its iD attribute's
        value (or default) as text."""
        found: dict[str, tuple[Attribute, Scalar, Callable[[Any], str]] | None] = {}
        for key, cls in {c.key: c for c in self.classes.values()}.items():
            attr = id_attribute(cls)
            found[key] = None if attr is None else (attr, default_of(attr), lexical(attr.type))
        ids: dict[str, str] = {}
        for oid, obj in self.objects.items():
            spec = found[obj.class_]
            if spec is None:
                continue
            attr, default, text = spec
            value = obj.attributes.get(attr.name)
            if value is None:
                value = default
            if value is not None and not isinstance(value, list):
                ids[oid] = text(value)
        return ids


class _Fragments(dict[str, str]):
    """Object id -> EMF's fragment, filled in as asked: only referenced objects need one."""

    def __init__(self, tree: ModelTree) -> None:
        super().__init__()
        self.tree = tree
        self.ids = tree.id_values()
        self.taken = Counter(self.ids.values())
        roots = tree.roots
        self.paths = {oid: f"/{i}" for i, oid in enumerate(roots)} if len(roots) > 1 else {}
        if len(roots) == 1:
            self.paths[roots[0]] = "/"

    def __missing__(self, oid: str) -> str:
        value = self.ids.get(oid)
        # A colliding, blank or space-holding iD would resolve wrongly; EMF's path never does.
        if value is not None and self.taken[value] == 1 and value.split() == [value]:
            fragment = value
        else:
            fragment = self._path(oid)
        self[oid] = fragment
        return fragment

    def _path(self, oid: str) -> str:
        """The containment path `//@a.0/@b`, built from the nearest ancestor already known."""
        paths, parent = self.paths, self.tree.parent
        chain = []
        while oid not in paths:
            chain.append(oid)
            oid = parent[oid][0]
        path = paths[oid]
        for kid in reversed(chain):
            _, ref, index = parent[kid]
            step = f"@{ref.name}.{index}" if ref.many else f"@{ref.name}"
            path = paths[kid] = f"{path}/{step}" if path != "/" else f"//{step}"
        return path


def id_attribute(cls: EClassView) -> Attribute | None:
    """EMF's eIDAttribute: the first single-valued attribute marked iD."""
    for f in cls.features:
        if isinstance(f, Attribute) and f.is_id and not f.many:
            return f
    return None


def _raise_first_object_error(objects: list[CimObject], metamodel: Metamodel) -> None:
    """The first object, in CIM order, whose id is taken or whose class is unknown."""
    seen: set[str] = set()
    for obj in objects:
        if obj.id in seen:
            raise InputError(f"two objects have the id {obj.id!r}; ids must be unique.")
        seen.add(obj.id)
        metamodel.get_class(obj.class_)
