"""The metamodel cut to what a specification needs, for metamodels too large for the prompt.

Kept: the classes the spec names (a class name, or its plural, as a word; concrete subclasses
of a named abstract class; the top classes when it names none), their supertypes, a chain of
containers up to a root for each, and the closure of required features (a required
reference's target, with one concrete subclass when the target is abstract). References to
classes left out are dropped from the kept classes (only optional ones can be: required
targets are kept). The validator still judges against the whole metamodel; `widen` adds
classes a repair turns out to need.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from functools import cached_property

from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, Reference
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.tokens import count_tokens

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Slice:
    """A metamodel cut to `keys`, with the token counts of both renderings."""

    full: Metamodel
    keys: frozenset[str]

    @cached_property
    def metamodel(self) -> Metamodel:
        return _cut(self.full, self.keys)

    @cached_property
    def full_tokens(self) -> int:
        return count_tokens(render_metamodel(self.full))

    @cached_property
    def sliced_tokens(self) -> int:
        return count_tokens(render_metamodel(self.metamodel))

    def describe(self) -> str:
        return (
            f"metamodel sliced to {len(self.keys)} of {len(self.full.classes)} classes "
            f"({self.sliced_tokens:,} of {self.full_tokens:,} prompt tokens)"
        )


def slice_for(mm: Metamodel, spec: str) -> Slice:
    """The slice of `mm` that `spec` needs: at least one concrete class, so that there is a
    model to fill even when the spec names only abstract ones."""
    keys = _close(mm, named_classes(mm, spec))
    if not any(mm.classes[k].concrete for k in keys):
        keys |= _close(mm, top_classes(mm))
    return Slice(mm, frozenset(keys))


def widen(current: Slice, keys: set[str]) -> Slice:
    """`current` with `keys` (and what they need) added."""
    known = {k for k in keys if k in current.full.classes}
    if known <= current.keys:
        return current
    return Slice(current.full, frozenset(_close(current.full, set(current.keys) | known)))


def named_classes(mm: Metamodel, spec: str) -> set[str]:
    """Classes whose name (or plural) appears in `spec` as a word, case-insensitively."""
    words = {w.lower() for w in _WORD.findall(spec)}
    found = set()
    for key, cls in mm.classes.items():
        name = cls.name.lower()
        forms = {name, name + "s", name + "es", name[:-1] + "ies" if name.endswith("y") else name}
        if forms & words:
            found.add(key)
    return found or top_classes(mm)  # nothing named: the top, so there is a model to fill


def top_classes(mm: Metamodel) -> set[str]:
    """The concrete classes nothing else contains: the roots, or where every class has a
    container (a `Segment` holding segments, a `Package` holding packages), those held by the
    fewest classes other than themselves."""
    others = {
        c.key: {owner for owner, _ in mm.containers_of[c.key]} - {c.key}
        for c in mm.concrete_classes
    }
    fewest = min((len(held_by) for held_by in others.values()), default=0)
    return {key for key, held_by in others.items() if len(held_by) == fewest}


def _close(mm: Metamodel, start: set[str]) -> set[str]:
    keys: set[str] = set()
    todo = list(start)
    while todo:
        key = todo.pop()
        if key in keys:
            continue
        keys.add(key)
        cls = mm.classes[key]
        todo.extend(cls.all_supertypes)
        if not cls.concrete and key in start:
            todo.extend(mm.concrete_subtypes(key))  # "a vehicle": any concrete kind of it
        todo.extend(_container_chain(mm, key, keys))
        for f in cls.features:
            if isinstance(f, Reference) and f.lower > 0:
                todo.append(f.target)
                subs = mm.concrete_subtypes(f.target)
                if subs and not any(s in keys for s in subs):
                    todo.append(subs[0])
    return keys


def _container_chain(mm: Metamodel, key: str, kept: set[str]) -> list[str]:
    """Containers from `key` up to a root (none when a kept class can hold it already)."""
    if not mm.classes[key].concrete:
        return []
    chain: list[str] = []
    seen = {key}
    current = key
    while mm.containers_of[current]:
        owners = [o for o, _ in mm.containers_of[current]]
        held = next((o for o in owners if o in kept or o in chain), None)
        if held is not None:
            return chain
        owner = next((o for o in owners if o not in seen), None)
        if owner is None:
            return chain
        chain.append(owner)
        seen.add(owner)
        current = owner
    return chain


def _cut(mm: Metamodel, keys: frozenset[str]) -> Metamodel:
    classes: dict[str, EClassView] = {}
    for key, cls in mm.classes.items():
        if key not in keys:
            continue
        features = tuple(f for f in cls.features if _kept(mm, f, keys))
        classes[key] = replace(cls, features=features) if features != cls.features else cls
    used = {
        f.type.package + "#//" + f.type.name
        for c in classes.values()
        for f in c.features
        if isinstance(f, Attribute) and f.type.package
    }
    datatypes = {k: v for k, v in mm.datatypes.items() if k in used}
    digest = hashlib.sha256((mm.content_hash + ",".join(sorted(keys))).encode()).hexdigest()
    return Metamodel(
        packages=mm.packages,
        classes=classes,
        datatypes=datatypes,
        sources=mm.sources,
        content_hash=digest,
        warnings=mm.warnings,
        xml=mm.xml,
    )


def _kept(mm: Metamodel, f: Attribute | Reference, keys: frozenset[str]) -> bool:
    if isinstance(f, Attribute):
        return True
    return any(s in keys for s in mm.concrete_subtypes(f.target))
