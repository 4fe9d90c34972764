"""Last-resort invariant repair: a bounded search for single edits that make broken invariants
hold.

A small model often leaves an invariant broken although the repair message names it. When the
generate → validate → repair loop ends that way, each violated (object, invariant) pair gets
candidate edits, in a fixed order, and the first that lowers the number of errors `validate`
reports, without adding any, is kept:
- the attributes the invariant reads, on the context object and on the objects it reaches in
  one step through the references the invariant navigates, get each of: the values the spec
  offers (`Offered`), every other enum literal, the other boolean, the numbers the expression
  writes and those ±1, the current number ±1, the strings the expression writes, and unset
  (optional ones only);
- a single-valued, non-containment reference the invariant navigates from the context object
  gets every other object of a class it may hold.
Features the expression reads last come first: rules state their condition first and their
demand last (`a implies b`, `a or b`), and the demand is what to meet. The context object
comes before the objects it reaches, and those go last to first: a model that repeats a value
repeats one it wrote earlier. Spec values no object holds yet come before those one does: a
spec names each thing once. Each kept edit is a `normalised` warning naming the object, the
feature, both values and the invariant.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from instancegen.service.core import values
from instancegen.service.core.cim import Cim, Value
from instancegen.service.core.edits import EditList, SetEdit, apply_edits
from instancegen.service.core.issues import Issue, normalised
from instancegen.service.core.metamodel import Attribute, Invariant, Metamodel, Reference
from instancegen.service.core.ocl import nodes as n
from instancegen.service.core.ocl.check import check_invariants
from instancegen.service.core.ocl.parser import OclSyntaxError, parse_expression
from instancegen.service.core.ocl.values import Collection, Obj
from instancegen.service.core.ocl.world import World
from instancegen.service.core.validator import validate

MAX_TRIALS = 300
"""Candidate edits validated per search, at most. Each trial validates the whole model, and
metamodels and models are untrusted input: whatever they hold, the search stays bounded."""
MAX_SECONDS = 2.0
"""Time per search, at most: validating a large model costs, so a few trials of one can
already take seconds, and the search must not hold a generation up for long."""

Offered = Callable[[str, Attribute], Sequence[Any]]
"""The values the spec offers for an attribute of a class (class key, attribute), typed."""

_NUMBERS = frozenset({"int", "bigint", "float", "decimal"})
_STRINGS = frozenset({"string", "char"})


@dataclass(frozen=True)
class Searched:
    """The model after the search, its issues (`validate` again, without realism checks: a
    caller judging values, as generation does, judges the model itself), the `normalised`
    warnings of the kept edits, and how many edits were tried."""

    cim: Cim
    issues: list[Issue]
    notes: list[Issue]
    trials: int


@dataclass(frozen=True)
class _Judged:
    """A model and what the search compares: its errors, invariant violations apart."""

    cim: Cim
    errors: int
    structural: Counter[tuple[str, str | None, str | None, str]]
    violated: frozenset[tuple[str, Invariant]]
    unevaluated: frozenset[Invariant]

    def improved_by(self, other: _Judged) -> bool:
        """`other` has fewer errors, none `self` lacks, and evaluates every invariant `self`
        does (an evaluation stopped by its budget finds fewer violations, not fewer faults)."""
        return (
            other.errors < self.errors
            and not other.structural - self.structural
            and other.violated <= self.violated
            and other.unevaluated <= self.unevaluated
        )


@dataclass(frozen=True)
class _Edit:
    oid: str
    feature: str
    value: Value  # as in the CIM: a reference's list of ids; None unsets
    old: str  # the current value, as the note shows it


def search(mm: Metamodel, cim: Cim, *, offered: Offered | None = None) -> Searched:
    """`cim` with single edits, kept greedily, that make its violated invariants hold; bounded
    by MAX_TRIALS and MAX_SECONDS. A model whose ids repeat is left as it is (an edit names
    its object by id)."""
    deadline = time.monotonic() + MAX_SECONDS
    current = _judge(mm, cim)
    notes: list[Issue] = []
    trials = 0
    ids = {o.id: k for k, o in enumerate(cim.objects)}
    pairs = sorted(current.violated, key=lambda p: (ids[p[0]], p[1].name, p[1].context))
    if len(ids) < len(cim.objects):
        pairs = []

    def spent() -> bool:
        return trials >= MAX_TRIALS or time.monotonic() >= deadline

    for oid, invariant in pairs:
        if spent():
            break
        if (oid, invariant) not in current.violated:
            continue  # an earlier edit made it hold
        for edit in _candidates(mm, current.cim, oid, invariant, offered):
            if spent():
                break
            trials += 1
            change = SetEdit(id=edit.oid, feature=edit.feature, value=edit.value)
            applied = apply_edits(current.cim, EditList(edits=[change]), mm)
            if applied.issues or len(applied.cim.objects) != len(cim.objects):
                continue
            trial = _judge(mm, applied.cim)
            if current.improved_by(trial):
                notes.append(_note(edit, current.violated - trial.violated))
                current = trial
                break
    return Searched(current.cim, validate(mm, current.cim, realism="off"), notes, trials)


def _judge(mm: Metamodel, cim: Cim) -> _Judged:
    structural = Counter(
        (i.code, i.object, i.feature, i.message)
        for i in validate(mm, cim, invariants=False, realism="off")
        if i.severity == "error"
    )
    report = check_invariants(mm, cim.objects)
    return _Judged(
        cim,
        sum(structural.values()) + len(report.violations),
        structural,
        frozenset((cim.objects[i].id, inv) for i, inv in report.violations),
        frozenset(inv for inv, status in report.status.items() if status == "not-evaluated"),
    )


def _candidates(
    mm: Metamodel, cim: Cim, oid: str, invariant: Invariant, offered: Offered | None
) -> Iterator[_Edit]:
    """The edits to try for `invariant` on object `oid`, most promising first."""
    try:
        tree = parse_expression(invariant.expression)
    except OclSyntaxError:
        return
    world = World(mm, cim.objects)
    i = world.index[oid]
    view = world.views[i]
    if view is None:
        return
    read = list(dict.fromkeys(reversed(list(_names(tree)))))  # by last use, last first
    reached = {i: None}  # the context object and those its navigated references reach
    for name in read:
        ref = view.feature_map.get(name)
        if isinstance(ref, Reference):
            target = world.reference(i, ref)
            items = target.items if isinstance(target, Collection) else (target,)
            reached |= {t.index: None for t in items if isinstance(t, Obj)}
    order = [i, *reversed([j for j in reached if j != i])]
    literals = list(_literals(tree))
    for name in read:
        held: set[tuple[str, Any]] | None = None
        for j in order:
            here = world.views[j]
            feature = here.feature_map.get(name) if here is not None else None
            if isinstance(feature, Attribute) and not feature.many and here is not None:
                o = cim.objects[j]
                raw = o.attributes.get(name)
                spec: Sequence[Any] = ()
                if offered is not None:
                    if held is None:
                        held = {_identity(p.attributes.get(name)) for p in cim.objects}
                    spec = sorted(offered(here.key, feature), key=lambda v: _identity(v) in held)
                for value in _alternatives(feature, raw, literals, spec):
                    yield _Edit(o.id, name, value, _shown(raw))
            elif j == i and isinstance(feature, Reference) and _relinkable(feature):
                yield from _relinks(world, i, feature)


def _relinkable(ref: Reference) -> bool:
    """Single-valued and not a containment: pointing it elsewhere moves no object."""
    return not (ref.many or ref.containment)


def _relinks(world: World, i: int, ref: Reference) -> Iterator[_Edit]:
    """Object i's single-valued reference `ref` pointed at each other object that fits it."""
    now = world.reference(i, ref)
    old = world.name_of(now.index) if isinstance(now, Obj) else None
    for other in world.instances(ref.target):
        if other != now:
            yield _Edit(world.name_of(i), ref.name, [world.name_of(other.index)], _shown(old))


def _alternatives(
    attr: Attribute, raw: Any, literals: list[int | float | str], spec: Sequence[Any]
) -> list[Any]:
    """Values to try for a single-valued attribute now holding `raw` (None: unset)."""
    kind = attr.type.kind
    found: list[Any] = list(spec)
    if kind == "enum":
        found += attr.type.literals
    elif kind == "bool":
        found += [True, False]
    elif kind in _NUMBERS:
        for x in [x for x in literals if not isinstance(x, str)]:
            found += [x, x - 1, x + 1]
        if values.is_number(raw):
            found += [raw - 1, raw + 1]
    elif kind in _STRINGS:
        found += [x for x in literals if isinstance(x, str)]
    fits = values.accepts(attr.type)
    kept = [v for v in found if fits(v)]
    if attr.lower == 0 and raw is not None:
        kept.append(None)
    seen = {_identity(raw)}
    unique = []
    for v in kept:
        if (k := _identity(v)) not in seen:
            seen.add(k)
            unique.append(v)
    return unique


def _identity(v: Any) -> tuple[str, Any]:
    """Equality as JSON sees it (true is not 1, 3 is 3.0), hashable for any CIM value."""
    if isinstance(v, list):  # a many-valued attribute, or a single-valued one written wrong
        return ("l", json.dumps(v))
    return ("b", v) if isinstance(v, bool) else ("n" if values.is_number(v) else "s", v)


def _names(node: object) -> Iterator[str]:
    """The feature names an expression reads, in the order it writes them: navigations and
    bare names (an implicit `self` or iterator), iterator bodies included."""
    if isinstance(node, n.Navigation):
        yield from _names(node.source)
        yield node.name
    elif isinstance(node, n.Name):
        if len(node.path) == 1:
            yield node.path[0]
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            child = getattr(node, f.name)
            for item in child if isinstance(child, tuple) else (child,):
                yield from _names(item)


def _literals(node: object) -> Iterator[int | float | str]:
    """The numbers (a leading minus included) and strings an expression writes."""
    if isinstance(node, n.Literal):
        if not isinstance(node.value, bool) and node.value is not None:
            yield node.value
    elif isinstance(node, n.Unary) and node.op == "-" and isinstance(node.operand, n.Literal):
        if values.is_number(node.operand.value):
            yield -node.operand.value  # type: ignore[operator]
    elif dataclasses.is_dataclass(node):
        for f in dataclasses.fields(node):
            child = getattr(node, f.name)
            for item in child if isinstance(child, tuple) else (child,):
                yield from _literals(item)


def _note(edit: _Edit, fixed: frozenset[tuple[str, Invariant]]) -> Issue:
    held: dict[Invariant, list[str]] = {}
    for oid, invariant in sorted(fixed, key=lambda p: (p[1].name, p[0])):
        held.setdefault(invariant, []).append(oid)
    which = "; ".join(
        f"invariant {inv.name} of {inv.context} now holds on {', '.join(oids)}"
        for inv, oids in held.items()
    )
    return normalised(
        f"Changed {edit.oid}.{edit.feature} from {edit.old} to {_shown(edit.value)}: {which}. "
        "No answer of the LLM met it; a bounded search for single edits found this one.",
        edit.oid,
        edit.feature,
    )


def _shown(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    return json.dumps(value, ensure_ascii=False)
