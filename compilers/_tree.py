"""A CIM seen as EMF will see it: a containment forest, consistent opposites, URI fragments.

Both serializing compilers (XMI, EMF-JSON) need the same facts: which objects are roots, who
contains whom, what every non-containment reference holds once both ends of an eOpposite pair
are merged, and the fragment EMF uses to point at an object (its iD attribute value, else its
containment path `//@accounts.0/@owners.1`). Structural breakage a compiler cannot write
(unknown ids or classes, two containers, cycles) is an InputError; everything else is the
validator's business. A target holding `#` is an object in another document
(`service.core.values.is_external`): it has no fragment here, and writers spell it as an href.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from functools import cached_property
from itertools import filterfalse
from operator import attrgetter
from typing import Any

from instancegen.service.core.cim import Cim, CimObject, Scalar
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Package, Reference
from instancegen.service.core.values import (
    all_resolvable,
    default_of,
    external_parts,
    is_external,
    lexical,
    resolvable_fragment,
)

_ID, _CLASS = attrgetter("id"), attrgetter("class_")


class ModelTree:
    """Index over one CIM, built once per compile: roots, children, links, fragments."""

    def __init__(self, cim: Cim, metamodel: Metamodel) -> None:
        self.metamodel = metamodel
        objs = cim.objects
        ids = list(map(_ID, objs))  # C-level passes: a model may have 100,000s of objects
        class_keys = list(map(_CLASS, objs))
        self.objects: dict[str, CimObject] = dict(zip(ids, objs, strict=True))
        found = {key: metamodel.classes.get(key) for key in dict.fromkeys(class_keys)}
        if len(self.objects) != len(objs) or None in found.values():
            _raise_first_object_error(objs, metamodel)
        kinds = {key: cls for key, cls in found.items() if cls is not None}
        self.classes: dict[str, EClassView] = dict(
            zip(ids, map(kinds.__getitem__, class_keys), strict=True)
        )
        self.contained: set[str] = set()  # objects some containment reference lists
        # Reference lists an implied eOpposite end extends (copies; the CIM is never edited).
        self.extended: dict[tuple[str, str], list[str]] = {}
        # Objects listing themselves in a reference that has an eOpposite.
        self.self_linked: set[str] = set()
        # Classes named by targets in other documents (`Class other.xmi#frag`).
        self.external_classes: set[str] = set()
        self.has_external = False  # some reference names an object in another document
        self._index_references(kinds)
        self.roots = list(filterfalse(self.contained.__contains__, self.objects))
        # Per class: its containment features, each with whether its objects may contain more.
        self._held = {
            key: tuple(
                (
                    r,
                    any(
                        _contains(metamodel.classes[sub])
                        for sub in metamodel.concrete_subtypes(r.target)
                    ),
                )
                for r in cls.references
                if r.containment
            )
            for key, cls in kinds.items()
        }
        self._check_acyclic()
        self._fragments: dict[str, str] | None = None

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
        objects, contained = self.objects, self.contained
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
                if not (has(targets[0]) if len(targets) == 1 else all(map(has, targets))):
                    targets = self._local(oid, name, ref, targets)
                if ref.containment:
                    before = len(contained)
                    contained.update(targets)
                    if len(contained) != before + len(targets):
                        self._containers()  # raises: an object is listed a second time
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

    def _local(self, oid: str, name: str, ref: Reference, targets: list[str]) -> list[str]:
        """The targets in this document; an InputError for one that is neither an object nor
        (outside a containment) a target in another document."""
        local = []
        for tid in targets:
            if tid in self.objects:
                local.append(tid)
            elif ref.containment or not is_external(tid):
                raise InputError(f"{oid}.{name} refers to {tid!r}, which is not an object.")
            else:
                self.has_external = True
                cls, _ = external_parts(tid)
                if cls is not None:
                    self.metamodel.get_class(cls)
                    self.external_classes.add(cls)
        return local

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
        """Every object hangs under a root: no containment cycle."""
        reached = len(self.roots) + sum(len(kids) for _, _, kids in self._containment())
        if reached != len(self.objects):
            cyclic = next(o for o in self.objects if not self._reaches_root(o))
            raise InputError(f"{cyclic} is part of a containment cycle; no root contains it.")

    def _reaches_root(self, oid: str) -> bool:
        parent = self._containers()
        seen: set[str] = set()
        while oid in parent:
            if oid in seen:
                return False
            seen.add(oid)
            oid = parent[oid]
        return True

    def _containers(self) -> dict[str, str]:
        """Object id -> the id of its container; an InputError for the first object, in CIM
        order, that a second containment list holds."""
        parent: dict[str, str] = {}
        for oid, obj in self.objects.items():
            fmap = self.classes[oid].feature_map
            for name, targets in obj.references.items():
                ref = fmap.get(name)
                if isinstance(ref, Reference) and ref.containment:
                    for tid in targets:
                        if tid in parent:
                            raise InputError(
                                f"{tid} is contained twice ({parent[tid]} and {oid}); "
                                "an object has at most one container."
                            )
                        parent[tid] = oid
        return parent

    def _containment(self) -> Iterator[tuple[str, Reference, list[str]]]:
        """Every non-empty containment list under the roots, (owner, feature, objects), parents
        before children; objects of classes that contain nothing are never visited."""
        objects, held = self.objects, self._held
        stack = [oid for oid in reversed(self.roots) if held[objects[oid].class_]]
        while stack:
            oid = stack.pop()
            obj = objects[oid]
            refs = obj.references
            for ref, nests in held[obj.class_]:
                kids = refs.get(ref.name)
                if kids:
                    yield oid, ref, kids
                    if nests:
                        stack += [k for k in kids if held[objects[k].class_]]

    @cached_property
    def order(self) -> list[str]:
        """Every object, in document order (parents before children)."""
        objects, held = self.objects, self._held
        order: list[str] = []
        stack = self.roots[::-1]
        while stack:
            oid = stack.pop()
            order.append(oid)
            obj = objects[oid]
            contained = held[obj.class_]
            if contained:
                refs = obj.references
                kids = [k for ref, _ in contained if ref.name in refs for k in refs[ref.name]]
                kids.reverse()
                stack += kids
        return order

    def packages(self) -> list[Package]:
        """The packages of the objects' classes, in order of first appearance."""
        named = self._held.keys() | self.external_classes
        by_uri = {
            cls.package.ns_uri: cls.package
            for cls in self.metamodel.classes.values()
            if cls.key in named
        }
        if len(by_uri) == 1:
            return list(by_uri.values())
        classes = self.classes
        seen: dict[str, Package] = {}
        for key in dict.fromkeys(classes[oid].key for oid in self.order):
            pkg = self.metamodel.classes[key].package
            seen.setdefault(pkg.ns_uri, pkg)
        for key in sorted(self.external_classes):
            pkg = self.metamodel.classes[key].package
            seen.setdefault(pkg.ns_uri, pkg)
        return list(seen.values())

    def fragment(self, oid: str) -> str:
        """EMF's URI fragment for the object: its iD attribute value, else its containment path."""
        return self.fragments()[oid]

    def fragments(self) -> dict[str, str]:
        """Every object's fragment (computed once)."""
        if self._fragments is None:
            paths = self._paths()
            paths.update(self._usable_ids())
            self._fragments = paths
        return self._fragments

    def _paths(self) -> dict[str, str]:
        """Every object's containment path (`/`, `//@a.0/@b`, `/1/@x.0` with several roots),
        a list of siblings at a time."""
        roots = self.roots
        if len(roots) == 1:
            paths = {roots[0]: "/"}
        else:
            paths = {oid: f"/{i}" for i, oid in enumerate(roots)}
        for owner, ref, kids in self._containment():
            base = paths[owner]
            prefix = f"//@{ref.name}" if base == "/" else f"{base}/@{ref.name}"
            if ref.many:
                paths.update(zip(kids, [f"{prefix}.{i}" for i in range(len(kids))], strict=True))
            else:
                paths.update(dict.fromkeys(kids, prefix))
        return paths

    def _usable_ids(self) -> dict[str, str]:
        """The iD values EMF's fragments use: a colliding one, or one EMF cannot resolve as a
        fragment (`service.core.values.resolvable_fragment`), would resolve wrongly, so those
        objects keep their path."""
        ids = self.id_values()
        values = list(ids.values())
        if len(set(values)) == len(values) and all_resolvable(values):
            return ids
        taken = Counter(values)
        return {oid: v for oid, v in ids.items() if taken[v] == 1 and resolvable_fragment(v)}

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


def id_attribute(cls: EClassView) -> Attribute | None:
    """EMF's eIDAttribute: the first single-valued attribute marked iD."""
    for f in cls.features:
        if isinstance(f, Attribute) and f.is_id and not f.many:
            return f
    return None


def _contains(cls: EClassView) -> bool:
    return any(r.containment for r in cls.references)


def _raise_first_object_error(objects: list[CimObject], metamodel: Metamodel) -> None:
    """The first object, in CIM order, whose id is taken or whose class is unknown."""
    seen: set[str] = set()
    for obj in objects:
        if obj.id in seen:
            raise InputError(f"two objects have the id {obj.id!r}; ids must be unique.")
        seen.add(obj.id)
        metamodel.get_class(obj.class_)
