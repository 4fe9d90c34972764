"""Scopes: how many objects of a class a model should have (`--scope Account=12`,
`--scope Student=20..30`, open ends `Course=3..` and `Course=..5`), as Refinery's `-scope`.

A class's count includes the objects of its subclasses: `Person=5..` is met by 3 students
and 2 lecturers.

`check_scopes` refuses, before any work, scopes no model can meet under the metamodel's
multiplicities, as an `InputError` naming the class, the bound and the feature behind it. It
reasons on a model that is one containment tree, as generation writes it: each object holds
at least `lowerBound` objects through each of its references (distinct objects through a
containment, as each has one container); two objects of a class that only one class can
contain need an object of that class to hold them; and objects that only containers can
hold fit in no more places than the containers' upper bounds give (plus the one root).
`scope_issues` reports a model whose counts lie outside its scopes (`scope` errors).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import get_close_matches

from instancegen.service.core.cim import CimObject
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel, Reference

_SCOPE = re.compile(r"\s*([^\s=]+)\s*=\s*([0-9]*)\s*(\.\.)?\s*([0-9]*)\s*")
_SHAPES = "Class=N, Class=MIN..MAX, Class=MIN.. or Class=..MAX"
MAX_BOUND = 1_000_000  # no model is that large; a bound above it is a typo
_ROUNDS = 64  # fixpoint rounds: enough for any chain of required references worth modelling


@dataclass(frozen=True, slots=True)
class Scope:
    """At least `lower` and at most `upper` (None: any number) objects of `class_` or its
    subclasses."""

    class_: str
    lower: int
    upper: int | None

    def __str__(self) -> str:
        if self.upper == self.lower:
            return f"{self.class_}={self.lower}"
        return f"{self.class_}={self.lower or ''}..{'' if self.upper is None else self.upper}"

    def admits(self, count: int) -> bool:
        return self.lower <= count and (self.upper is None or count <= self.upper)

    @property
    def wanted(self) -> str:
        """The count asked for, in words: "exactly 12", "2 to 3", "at least 3", "at most 5"."""
        if self.upper == self.lower:
            return f"exactly {self.lower}"
        if self.upper is None:
            return f"at least {self.lower}"
        return f"at most {self.upper}" if self.lower == 0 else f"{self.lower} to {self.upper}"


def parse_scope(text: str) -> Scope:
    """One scope from its text; an InputError naming the text and the shapes allowed."""
    m = _SCOPE.fullmatch(text)
    if m is None:
        raise InputError(f"scope {text!r} is not of the form {_SHAPES}.")
    name, low, dots, high = m.groups()
    if not (low or high) or (not dots and not low):
        raise InputError(f"scope {text!r} gives no count; write {_SHAPES}.")
    lower = int(low) if low else 0
    upper = (int(high) if high else None) if dots else lower
    if max(lower, upper or 0) > MAX_BOUND:
        raise InputError(f"scope {text!r} asks for more than {MAX_BOUND:,} objects.")
    if upper is not None and upper < lower:
        raise InputError(f"scope {text!r} has its minimum {lower} above its maximum {upper}.")
    return Scope(name, lower, upper)


def parse_scopes(texts: Iterable[str]) -> tuple[Scope, ...]:
    """Every scope given (`--scope` is repeatable); one class scoped twice is an InputError."""
    scopes = tuple(parse_scope(t) for t in texts)
    seen: dict[str, Scope] = {}
    for s in scopes:
        if s.class_ in seen:
            raise InputError(f"class {s.class_!r} is scoped twice ({seen[s.class_]} and {s}).")
        seen[s.class_] = s
    return scopes


def check_scopes(mm: Metamodel, scopes: Sequence[Scope]) -> None:
    """An InputError for a scope naming no class of `mm`, or one its multiplicities
    contradict (see the module docstring); nothing when they can all be met."""
    for s in scopes:
        if s.class_ not in mm.classes or s.class_ == mm.any_object:
            close = get_close_matches(s.class_, list(mm.classes), n=3)
            also = f" (did you mean {', '.join(close)}?)" if close else ""
            raise InputError(f"scope {s}: the metamodel has no class {s.class_!r}{also}.")
    _Bounds(mm, scopes).check()


def list_bounds(mm: Metamodel, scopes: Sequence[Scope]) -> dict[str, tuple[int, int | None]]:
    """How long each concrete class's list of objects may be for an answer to hold `scopes` by
    construction (a schema's minItems/maxItems, a grammar's repetition): a scope on a class
    with one concrete class (itself or a subclass) bounds that list both ways; one spread over
    several concrete classes bounds each from above only (their sum is the validator's to
    check). Classes no scope names are absent."""
    bounds: dict[str, tuple[int, int | None]] = {}
    for s in scopes:
        subs = mm.concrete_subtypes(s.class_) if s.class_ in mm.classes else []
        for key in subs:
            low, high = bounds.get(key, (0, None))
            low = max(low, s.lower) if len(subs) == 1 else low
            if s.upper is not None:
                high = s.upper if high is None else min(high, s.upper)
            bounds[key] = (low if high is None else min(low, high), high)
    return bounds


def scopes_note(scopes: Sequence[Scope]) -> str | None:
    """The scopes as a sentence for a prompt ("The model has exactly 12 Account objects and 2
    to 3 Student objects, subclasses' objects included."); None without scopes."""
    if not scopes:
        return None
    said = " and ".join(f"{s.wanted} {s.class_} objects" for s in scopes)
    return f"The model has {said}, subclasses' objects included."


def count_of(mm: Metamodel, objects: Sequence[CimObject], key: str) -> int:
    """Objects of class `key` or of its subclasses (objects of unknown classes not counted)."""
    return sum(1 for o in objects if o.class_ in mm.classes and mm.is_subtype(o.class_, key))


def scope_issues(
    mm: Metamodel, objects: Sequence[CimObject], scopes: Sequence[Scope]
) -> list[Issue]:
    """A `scope` error for each scope the model's counts lie outside."""
    issues = []
    for s in scopes:
        n = count_of(mm, objects, s.class_)
        if s.admits(n):
            continue
        more = n < s.lower
        change = (s.lower - n) if more else (n - (s.upper or 0))
        how = "each in a container that can hold it" if more else "and every reference to them"
        issues.append(
            Issue(
                code="scope",
                message=(
                    f"The model has {n} {s.class_} object{'s' * (n != 1)} (subclasses' "
                    f"objects included); the scope {s} asks for {s.wanted}."
                ),
                hint=f"{'Add' if more else 'Remove'} {change} {s.class_} ({how}).",
            )
        )
    return issues


class _Bounds:
    """Least counts per class the scopes and multiplicities imply, with the reason each was
    raised (for the sentence that refuses a scope), and greatest counts from the scopes."""

    def __init__(self, mm: Metamodel, scopes: Sequence[Scope]) -> None:
        self.mm = mm
        self.scopes = {s.class_: s for s in scopes}
        self.low = {k: 0 for k in mm.classes}
        self.why: dict[str, str] = {}
        self.high: dict[str, float] = {k: math.inf for k in mm.classes}
        for s in scopes:
            self.low[s.class_] = s.lower
            for k in mm.classes:  # a scoped class bounds its subclasses too
                if s.upper is not None and mm.is_subtype(k, s.class_):
                    self.high[k] = min(self.high[k], s.upper)

    def check(self) -> None:
        for _ in range(_ROUNDS):
            if not self._round():
                break
        for key, s in self.scopes.items():
            if s.upper is not None and self.low[key] > s.upper:
                least = f"{self.low[key]:,}" if self.low[key] <= MAX_BOUND else "unboundedly many"
                raise InputError(
                    f"scope {s} contradicts the metamodel: at least {least} {key} are needed, "
                    f"as {self.why[key]}."
                )
        for key, s in self.scopes.items():
            self._check_room(key, s)

    def _raise(self, key: str, least: int, why: str) -> bool:
        if least <= self.low[key]:
            return False
        self.low[key] = min(least, MAX_BOUND + 1)
        self.why[key] = why
        return True

    def _round(self) -> bool:
        changed = False
        for view in self.mm.classes.values():
            have = self.low[view.key]
            if have < 1:
                continue
            for sup in view.all_supertypes:  # a subclass's objects are its supertypes' too
                changed |= self._raise(sup, have, self._because(view.key, have))
            for ref in view.references:
                if ref.lower >= 1:
                    changed |= self._require(view.key, have, ref)
            changed |= self._need_container(view.key)
        return changed

    def _require(self, owner: str, have: int, ref: Reference) -> bool:
        """Each `owner` object holds `ref.lower` targets: distinct ones through a containment."""
        least = have * ref.lower if ref.containment else ref.lower
        holds = "each" if ref.containment else "a"
        why = (
            f"{holds} {owner} holds at least {ref.lower} {ref.target} through {owner}.{ref.name}, "
            f"and {self._because(owner, have)}"
        )
        return self._raise(ref.target, least, why)

    def _need_container(self, key: str) -> bool:
        """Two objects of `key` cannot both be the root: one needs a container, and where one
        reference (declared once, perhaps inherited) is all that can hold it, its class is
        needed."""
        holders = self.mm.containers_of.get(key, ())
        refs = {ref for _, ref in holders}
        if self.low[key] < 2 or len(refs) != 1:
            return False
        (ref,) = refs
        owners = [o for o, _ in holders]
        declaring = [
            k
            for k, v in self.mm.classes.items()
            if ref in v.references and all(self.mm.is_subtype(o, k) for o in owners)
        ]
        if not declaring:
            return False
        owner = max(declaring, key=lambda k: len(self.mm.classes[k].all_supertypes))
        why = (
            f"only {owner} objects can hold {key} objects ({owner}.{ref.name}) and two cannot "
            f"both be the root, and {self._because(key, self.low[key])}"
        )
        return self._raise(owner, 1, why)

    def _because(self, key: str, have: int) -> str:
        """Why at least `have` objects of `key` are needed, as a clause."""
        scope = self.scopes.get(key)
        if scope is not None and have <= scope.lower:
            return f"the scope {scope} asks for at least {scope.lower} {key}"
        return self.why[key]

    def _check_room(self, key: str, scope: Scope) -> None:
        """Objects of a class only containments hold: no more than the root and the room the
        containers' scopes and upper bounds leave."""
        subs = self.mm.concrete_subtypes(key)
        holders = self.mm.containers_of.get(subs[0], ()) if len(subs) == 1 else ()
        if not holders or self.low[key] < 2:
            return
        room = 1 + sum(self.high[o] * (math.inf if r.upper == -1 else r.upper) for o, r in holders)
        if room >= self.low[key]:
            return
        places = ", ".join(
            f"{o}.{r.name} (at most {r.upper} each, and at most {int(self.high[o])} {o})"
            for o, r in holders
        )
        raise InputError(
            f"scope {scope} contradicts the metamodel: at least {self.low[key]} {key} are "
            f"needed, but {subs[0]} objects can only be held by {places}: room for "
            f"{int(room) - 1} besides the root."
        )
