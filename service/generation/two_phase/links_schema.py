"""Phase 2 of the two-phase strategy: the links between the objects phase 1 declared.

`plan_links` works out, per declared object, its possible containers and reference targets;
`LinksPlan.model` asks for them with every id field an enum of the already-declared ids of the
right class (subclasses included) and every list sized by the multiplicity. Under constrained
decoding a wrong target type, a dangling target or too many values cannot be written at all,
and since each object names at most one container, neither can two containers. Containment
cycles are ruled out by letting an object pick, among classes that could (transitively) be
contained by its own class, only containers declared before it. Choices that leave nothing to
decide (one possible container) are made here, not asked; of an eOpposite pair only one end is
asked (the other is implied, DESIGN.md).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from types import GenericAlias
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, create_model

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.issues import Issue, normalised
from instancegen.service.core.metamodel import Attribute, Metamodel, Reference
from instancegen.service.generation.schema import asked_reference
from instancegen.service.generation.two_phase.spec_facts import (
    Mentions,
    SpecFacts,
    link_ends,
    mentions,
)

MAX_SEQUENCES = 64  # repeat-free id lists a grammar may spell out one by one (`_ids_field`)
_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


@dataclass(frozen=True)
class Slot:
    """One reference of one object, with the ids it may point at and how many it must."""

    ref: Reference
    candidates: tuple[str, ...]
    least: int


@dataclass
class ObjectLinks:
    """What phase 2 decides for one object: its container (among options) and its references."""

    obj: CimObject
    containers: dict[str, tuple[str, str]] = field(default_factory=dict)  # label -> (owner, ref)
    slots: list[Slot] = field(default_factory=list)
    container_key: str = "container"

    @property
    def asks(self) -> bool:
        return len(self.containers) > 1 or bool(self.slots)


@dataclass
class LinksPlan:
    """Phase 2 for a given list of declared objects: what is asked and what is already fixed."""

    mm: Metamodel
    objects: list[CimObject]
    entries: list[ObjectLinks]

    def model(self) -> type[BaseModel] | None:
        """The response model: one property per object with something to decide, keyed by its
        id, in declaration order; None when there is nothing to ask."""
        fields: dict[str, Any] = {}
        for i, entry in enumerate(e for e in self.entries if e.asks):
            fields[f"o{i}"] = (_entry_model(f"Links{i}", entry), Field(alias=entry.obj.id))
        if not fields:
            return None
        return create_model("Links", __config__=_CONFIG, **fields)

    def outline(self) -> str:
        """The same questions as text: one line per object, for the prompt."""
        lines = []
        for entry in self.entries:
            if not entry.asks:
                continue
            parts = []
            if len(entry.containers) > 1:
                parts.append(f"{entry.container_key}: one of {', '.join(entry.containers)}")
            for slot in entry.slots:
                bounds = _bounds_text(slot.least, _upper(slot))
                parts.append(f"{slot.ref.name}: {bounds} of {', '.join(slot.candidates)}")
            lines.append(f"- {entry.obj.id} ({entry.obj.class_}): " + "; ".join(parts))
        return "\n".join(lines)

    def answer_of(self, cim: Cim) -> dict[str, Any]:
        """What a correct phase-2 answer for `cim` (same ids) looks like: the worked example.
        An asked end of an opposite pair also lists what the other end implies."""
        parent: dict[str, tuple[str, str]] = {}
        edges: dict[tuple[str, str], list[str]] = {}
        for o in cim.objects:
            for name, ids in o.references.items():
                ref = self.mm.classes[o.class_].feature_map.get(name)
                for target in ids:
                    if isinstance(ref, Reference) and ref.containment:
                        parent[target] = (o.id, name)
                    edges.setdefault((o.id, name), []).append(target)
                    if isinstance(ref, Reference) and ref.opposite:
                        edges.setdefault((target, ref.opposite), []).append(o.id)
        answer: dict[str, Any] = {}
        for entry in self.entries:
            if not entry.asks:
                continue
            item: dict[str, Any] = {}
            if len(entry.containers) > 1:
                owner = parent.get(entry.obj.id)
                labels = [k for k, v in entry.containers.items() if v == owner]
                item[entry.container_key] = labels[0] if labels else next(iter(entry.containers))
            for slot in entry.slots:
                ids = edges.get((entry.obj.id, slot.ref.name), [])
                item[slot.ref.name] = [i for i in dict.fromkeys(ids) if i in slot.candidates]
            answer[entry.obj.id] = item
        return answer

    def apply(self, answer: dict[str, Any], notes: list[Issue] | None = None) -> Cim:
        """The full CIM: declared objects, their containers and references from `answer`.
        A repeated target is kept once, and an unknown container label leaves the object a
        root; each such change is added to `notes`."""
        notes = [] if notes is None else notes
        refs: dict[str, dict[str, list[str]]] = {o.id: {} for o in self.objects}
        for entry in self.entries:
            oid = entry.obj.id
            decided = answer.get(oid, {})
            label = decided.get(entry.container_key)
            container = _pick_container(entry, label)
            if container is not None:
                owner, ref_name = container
                refs[owner].setdefault(ref_name, []).append(oid)
            elif label is not None and entry.containers:
                notes.append(
                    normalised(
                        f"{oid}'s container {label!r} is none of the offered ones; it was left "
                        "a root.",
                        oid,
                    )
                )
            for slot in entry.slots:
                given = list(decided.get(slot.ref.name, ()))
                ids = list(dict.fromkeys(given))
                if len(ids) < len(given):
                    notes.append(
                        normalised(
                            f"{oid}.{slot.ref.name} listed a target more than once; each is "
                            "kept once.",
                            oid,
                            slot.ref.name,
                        )
                    )
                if ids:
                    refs[oid][slot.ref.name] = ids
        return Cim(objects=[o.model_copy(update={"references": refs[o.id]}) for o in self.objects])


def plan_links(
    mm: Metamodel, objects: list[CimObject], facts: SpecFacts | None = None
) -> LinksPlan:
    """Work out, for each declared object, its possible containers and reference targets.
    With `facts` (what the spec states; a small model's plan), an object whose spec
    sentence also names some of its options is offered only those (`Mentions.together`), and
    a single-valued reference with such options is set: a small model leaves optional
    references empty. The ends of an object that links two others follow the spec's "A to B"
    (`_pinned_ends`)."""
    pinned, stated = _pinned_ends(mm, objects, facts) if facts is not None else ({}, {})
    named = _mentions(mm, objects, facts.spec, stated) if facts is not None else None
    by_class: dict[str, list[int]] = {}
    for i, o in enumerate(objects):
        by_class.setdefault(o.class_, []).append(i)
    entries = []
    for i, obj in enumerate(objects):
        cls = mm.classes[obj.class_]
        entry = ObjectLinks(obj)
        if "container" in cls.feature_map:
            entry.container_key = "@container"
        reachable = _contained_closure(mm, obj.class_)
        for owner_key, ref in mm.containers_of[obj.class_]:
            for j in by_class.get(owner_key, ()):
                if j == i or (owner_key in reachable and j > i):
                    continue
                entry.containers[f"{objects[j].id}.{ref.name}"] = (objects[j].id, ref.name)
        if named is not None:
            owners = named.together(obj.id, [owner for owner, _ in entry.containers.values()])
            if owners:
                entry.containers = {k: v for k, v in entry.containers.items() if v[0] in owners}
        entry.containers = _short_labels(entry.containers)
        for ref in cls.references:
            if not asked_reference(mm, ref):
                continue
            targets = set(mm.concrete_subtypes(ref.target))
            candidates = tuple(o.id for o in objects if o.class_ in targets)
            least = ref.lower
            if named is not None:
                together = named.together(obj.id, candidates)
                if len(together) >= max(1, ref.lower) or obj.id in stated:
                    candidates = together  # a link's "A to B" clause is all said of it
                    if ref.upper == 1 and together:  # the spec names its target: it is set
                        least = 1
            if pinned.get((obj.id, ref.name)):
                candidates, least = pinned[obj.id, ref.name], 1
            if candidates:
                entry.slots.append(Slot(ref, candidates, least))
        entries.append(entry)
    return LinksPlan(mm, objects, entries)


def _pinned_ends(
    mm: Metamodel, objects: list[CimObject], facts: SpecFacts
) -> tuple[dict[tuple[str, str], tuple[str, ...]], dict[str, int]]:
    """The k-th declared object of a class whose objects link two others gets the spec's k-th
    "A to B" of that class (`SpecFacts.pairs`): its source end the objects named A, its
    target end those named B. Such objects are alike but for their ends, so which takes which
    pair does not matter, and a small model no longer has to find each pair in the spec.
    Also where each such object is stated: its other references are among what that clause
    names ("the ramp moves from Up to Down on the signal lower")."""
    pairs = facts.pairs
    named: dict[str, set[str]] = {}
    for o in objects:
        for value in o.attributes.values():
            for v in value if isinstance(value, list) else [value]:
                if isinstance(v, str):
                    named.setdefault(v, set()).add(o.id)
    pinned: dict[tuple[str, str], tuple[str, ...]] = {}
    places: dict[str, int] = {}
    for key, stated in pairs.items():
        ends = link_ends(mm, key)
        links = [o for o in objects if o.class_ == key]
        for obj, pair in zip(links, stated, strict=False):
            places[obj.id] = pair.at
            for ref, value in zip(ends or (), (pair.source, pair.target), strict=True):
                kinds = set(mm.concrete_subtypes(ref.target))
                ids = tuple(
                    o.id for o in objects if o.id in named.get(str(value), ()) and o.class_ in kinds
                )
                if ids:
                    pinned[obj.id, ref.name] = ids
    return pinned, places


def _mentions(
    mm: Metamodel, objects: list[CimObject], spec: str, stated: dict[str, int]
) -> Mentions:
    """Where `spec` names each object, by its string attribute values, or states it
    (`stated`: a link's place)."""
    names: dict[str, list[str]] = {}
    for o in objects:
        view = mm.classes[o.class_]
        for name, value in o.attributes.items():
            attr = view.feature_map.get(name)
            if isinstance(attr, Attribute) and attr.type.kind == "string":
                values = value if isinstance(value, list) else [value]
                names.setdefault(o.id, []).extend(v for v in values if isinstance(v, str))
    return mentions(spec, names, stated)


def _short_labels(options: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    """Label a container option by the owner's id alone when that owner offers one slot."""
    owners = [owner for owner, _ in options.values()]
    return {
        (owner if owners.count(owner) == 1 else label): (owner, ref)
        for label, (owner, ref) in options.items()
    }


def _pick_container(entry: ObjectLinks, label: Any) -> tuple[str, str] | None:
    if not entry.containers:
        return None
    if len(entry.containers) == 1:
        return next(iter(entry.containers.values()))
    return entry.containers.get(label) if isinstance(label, str) else None


def _contained_closure(mm: Metamodel, key: str) -> set[str]:
    """Classes whose instances an instance of `key` may hold, directly or further down."""
    seen: set[str] = set()
    todo = [key]
    while todo:
        for ref in mm.classes[todo.pop()].references:
            if ref.containment:
                for sub in mm.concrete_subtypes(ref.target):
                    if sub not in seen:
                        seen.add(sub)
                        todo.append(sub)
    return seen


def _upper(slot: Slot) -> int:
    n = len(slot.candidates)
    return n if slot.ref.upper == -1 else min(slot.ref.upper, n)


def _bounds_text(lower: int, upper: int) -> str:
    return f"exactly {lower}" if lower == upper else f"{lower} to {upper}"


def _entry_model(name: str, entry: ObjectLinks) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    if len(entry.containers) > 1:
        fields["container_"] = (_enum(entry.containers), Field(alias=entry.container_key))
    for i, slot in enumerate(entry.slots):
        fields[f"r{i}"] = _ids_field(slot)
    return create_model(name, __config__=_CONFIG, **fields)


def _ids_field(slot: Slot) -> tuple[Any, Any]:
    """A slot's id list. Repeats are dropped (`apply`), so where a repeat could leave fewer ids
    than the lower bound (2 or more) and the repeat-free lists are few, the grammar offers
    exactly those lists, in any order: a repeat cannot be written, an order still can (a departure
    port first); where those are too many, the lists in declaration order while at most four
    times as many (two partners of twelve pilots: 66). Otherwise any candidates, as many as the
    bounds allow."""
    lower, upper = min(slot.least, len(slot.candidates)), _upper(slot)
    lengths = range(lower, upper + 1)
    n = len(slot.candidates)
    spell: Any = None
    if lower >= 2 and sum(math.perm(n, k) for k in lengths) <= MAX_SEQUENCES:
        spell = itertools.permutations
    elif lower >= 2 and sum(math.comb(n, k) for k in lengths) <= MAX_SEQUENCES * 4:
        spell = itertools.combinations  # in declaration order: fewer, and still repeat-free
    if spell is not None:
        sequences = (
            GenericAlias(tuple, tuple(Literal[i] for i in ids))
            for k in lengths
            for ids in spell(slot.candidates, k)
        )
        return (Union[tuple(sequences)], Field(alias=slot.ref.name))  # noqa: UP007
    ids = GenericAlias(list, (_enum(slot.candidates),))
    return (ids, Field(alias=slot.ref.name, min_length=lower, max_length=upper))


def _enum(values: Iterable[str]) -> Any:
    return Literal[tuple(values)]
