"""Check a CIM against its metamodel; every finding is one `Issue`, in a stable order.

The findings go to people and, through the repair prompt, back to the LLM, so each message
names the object, the feature, the offending value and what was expected, and `hint` says how
to fix it. Issues come ordered by object (CIM order), then by feature (the class's feature
order, unknown features last); model-wide findings come at the end.

Decisions the codes rest on:
- `bad-value`: a value of the wrong JSON type or outside its type (`service.core.values.accepts`
  decides: enum literal, integer range, one-character EChar, ISO 8601 EDate, text XML can
  hold, …); also the wrong *shape*: a list for a single-valued attribute, a scalar for a
  many-valued one, `null` (leave a feature out to unset it); an object id holding `#`; an
  external target (`other.xmi#frag`) that is malformed, in a containment, or of an abstract
  type without its class given; an id or external target holding a character XML cannot hold
  (control characters, U+FFFE/U+FFFF, lone surrogates).
- iD values EMF cannot look up (`service.core.values.id_value_problem`: a leading `/`, a `…?…?`
  tail) are `bad-value`s; other odd ones (spaces, `#`, empty) are kept, and the compilers
  point at their objects by containment path.
- `not-unique`: a unique many-valued attribute holding one value twice (by EMF's equality: the
  text EMF writes), or a non-containment reference listing one object twice.
- `multiplicity`: the number of values is outside [lowerBound, upperBound], a required
  feature left out included (unless it is a single-valued attribute with a default: EMF
  reads the default).
- eOpposite pairs: either end may be given (DESIGN.md). When an end is left out, it is
  implied by the other end and its bounds are checked on what the other objects imply. When
  both ends are given they must agree: if `a.x` lists `b` and `b` gives `x`'s opposite `y`,
  then `b.y` must list `a`, else `opposite-mismatch` at `a.x`.
- `duplicate-id-attribute`: EMF keeps one ID table per resource, so any two objects whose
  iD attribute values are equal collide, whichever classes they belong to.
- `several-roots` (a warning): several roots although one of them, or one new object of a
  single concrete class, could contain all the others.
- `document-root`: in a metamodel made from an XML Schema, a root object no global element
  takes (an XML document has one root element, the schema's).
- `scope`: a class's objects (its subclasses' included) are more or fewer than a requested
  scope allows (`service.core.scope`); model-wide, after every other finding.
- `unrealistic` (a warning; an error under `realism="strict"`, none under `"off"`): a value a
  realism check fails (`service.core.checks`); `not-evaluated` where an annotation names a
  check that is not installed.

The work is linear in the model: per-class feature maps and value checks are computed once,
and cross-object checks use id maps and sets, never nested scans.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from instancegen.service.core import values
from instancegen.service.core.checks.audit import KEPT_HINT, Realism, audit
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.gc_pause import gc_paused
from instancegen.service.core.issues import Issue, Severity
from instancegen.service.core.metamodel import (
    INT_RANGES,
    Attribute,
    DataType,
    EClassView,
    Feature,
    Metamodel,
    Reference,
    derived,
)
from instancegen.service.core.scope import Scope, scope_issues

_UNKNOWN_RANK = 1 << 30  # features the class does not offer sort after its own
_INVARIANT_RANK = _UNKNOWN_RANK + 1  # invariant findings after an object's feature findings
_LISTED = 6  # how many names a hint spells out before "…"


def validate(
    metamodel: Metamodel,
    cim: Cim,
    *,
    invariants: bool = True,
    realism: Realism = "warn",
    scopes: Sequence[Scope] = (),
    stated: Callable[[Any], bool] | None = None,
) -> list[Issue]:
    """Every way `cim` breaks `metamodel`; no error means EMF will accept it. Without
    `invariants`, the OCL invariants are left to the caller (`service.core.ocl.check`);
    `realism` says what a failed realism check is (a warning, an error, or not looked for),
    except on a value `stated` says its user gave (generation: the spec's): that stays a
    warning, hinted `KEPT_HINT`; a class count outside one of `scopes` is a `scope` error."""
    with gc_paused():  # its indexes are many small containers, none of them cyclic garbage
        issues = _Validator(metamodel, cim.objects, invariants, realism, stated).run()
    return issues + scope_issues(metamodel, cim.objects, scopes)


@dataclass(frozen=True, slots=True)
class _ValueType:
    """How to judge one attribute value: a predicate plus what to tell when it fails."""

    accepts: Callable[[Any], bool]
    expected: str
    hint: str


@dataclass(frozen=True, slots=True)
class _AttributeRule:
    """One attribute of one class, with what the hot loop asks of it precomputed."""

    feature: Attribute
    vtype: _ValueType
    many: bool
    is_id: bool  # the class's iD attribute (EMF's eIDAttribute: the first single-valued one)
    accepts: Callable[[Any], bool]  # vtype.accepts, one lookup nearer
    same: Callable[[Any], Any] | None  # for unique many-valued ones: what makes values equal

    def fits(self, n: int) -> bool:
        return self.feature.lower <= n and (self.feature.upper == -1 or n <= self.feature.upper)


@dataclass(frozen=True, slots=True)
class _ClassRules:
    """One class's features prepared once for the hot loop."""

    view: EClassView
    features: dict[str, Feature]
    rank: dict[str, int]
    attributes: dict[str, _AttributeRule]
    required: tuple[Feature, ...]


def _value_type(dt: DataType) -> _ValueType:
    """The check for one data type (`service.core.values.accepts`); `expected` completes
    "expected …"."""
    accepts = values.accepts(dt)
    kind = dt.kind
    if kind == "string":
        return _ValueType(
            accepts,
            "a string XML can hold",
            "Write it as a JSON string without control characters.",
        )
    if kind == "bool":
        return _ValueType(accepts, "true or false", "Write true or false, unquoted.")
    if kind == "int":
        lo, hi = INT_RANGES[dt.int_size or "long"]
        return _ValueType(
            accepts,
            f"a whole number from {lo} to {hi} ({dt.name})",
            f"Write a JSON integer (no quotes, no fraction) between {lo} and {hi}.",
        )
    if kind == "float":
        single = dt.name in ("EFloat", "EFloatObject")
        return _ValueType(
            accepts,
            "a number within a 32-bit float's range" if single else "a finite number",
            "Write a JSON number such as 12.5, unquoted.",
        )
    if kind == "bigint":
        return _ValueType(
            accepts,
            "a whole number (or a string of digits)",
            'Write a JSON integer, or a string of digits such as "123456789012345678901234".',
        )
    if kind == "decimal":
        return _ValueType(
            accepts,
            "a decimal number (or a numeric string)",
            'Write a JSON number, or a numeric string such as "1234.5678".',
        )
    if kind == "char":
        return _ValueType(
            accepts,
            "exactly one character",
            'Write a one-character string such as "A".',
        )
    if kind == "date":
        return _ValueType(
            accepts,
            "an ISO 8601 date-time or date",
            f'Write a date-time such as "{values.DATE_EXAMPLE}" (zone optional, UTC assumed) '
            'or a date such as "2024-05-17" (midnight UTC).',
        )
    if kind == "enum":
        return _ValueType(
            accepts,
            f"a literal of {dt.name}",
            f"Use one of the {dt.name} literals: {_names(dt.literals, limit=40)}.",
        )
    return _ValueType(
        accepts, f"a {dt.name} value", f"Write the {dt.name} value in its string form."
    )


@cache
def _has_default(attr: Attribute) -> bool:
    """EMF reads an unset attribute as its default, and a required one with a default is
    satisfied by it (EObjectValidator checks for null, not for eIsSet)."""
    return not (attr.many or attr.unsettable) and values.default_of(attr) is not None


def _names(items: Iterable[str], limit: int = _LISTED) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (", …" if len(items) > limit else "") if items else "none"


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "…"


def _upper_text(upper: int) -> str:
    return "any number" if upper == -1 else str(upper)


def _id_text(value: Any) -> str:
    """An iD value as EMF's string conversion writes it (booleans lowercase)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


class _Validator:
    """One validation run: the id index, the findings, and cross-object bookkeeping."""

    def __init__(
        self,
        metamodel: Metamodel,
        objects: Sequence[CimObject],
        invariants: bool = True,
        realism: Realism = "off",
        stated: Callable[[Any], bool] | None = None,
    ) -> None:
        self.mm = metamodel
        self.objects = objects
        self.invariants = invariants
        self.realism = realism
        self.stated = stated
        self.rules_by_key: dict[str, _ClassRules | None] = derived(metamodel, "validator rules")
        self.index: dict[str, int] = {}
        self.classes: list[_ClassRules | None] = []
        self.found: list[tuple[int, int, Issue]] = []
        self.container: dict[int, tuple[int, str]] = {}  # child -> (container, feature)
        self.implied: dict[tuple[int, str], list[int]] = defaultdict(list)
        self.given_sets: dict[tuple[int, str], frozenset[str]] = {}
        self.value_types: dict[DataType, _ValueType] = {}
        self.id_values: dict[str, int] = {}
        self._ids_by_class: dict[str, list[str]] | None = None

    # --- driver ---------------------------------------------------------------------------

    def run(self) -> list[Issue]:
        self._index_ids()
        self.classes = self._classes()
        for i, (o, rules) in enumerate(zip(self.objects, self.classes, strict=True)):
            if rules is not None:
                self._check_attributes(i, o, rules)
                self._check_references(i, o, rules)
        self._check_required()
        self._check_implied_bounds()
        self._check_cycles()
        self._check_roots()
        self._check_document_roots()
        self._check_invariants()
        self._check_realism()
        self.found.sort(key=lambda t: (t[0], t[1]))
        return [issue for _, _, issue in self.found]

    def _check_invariants(self) -> None:
        """OCL invariants (service.core.ocl): after an object's own findings, model-wide last."""
        if self.invariants and self.mm.invariants:
            # Imported here: the OCL evaluator and its parser load only for a metamodel
            # with invariants.
            from instancegen.service.core.ocl.check import check_invariants

            for i, issue in check_invariants(self.mm, self.objects).issues:
                self.found.append((i, _INVARIANT_RANK, issue))

    def _check_realism(self) -> None:
        """Realism checks (service.core.checks): each finding at its object and feature."""
        if self.realism == "off":
            return
        verdict = audit(self.mm, self.objects)
        severity: Severity = "error" if self.realism == "strict" else "warning"
        for f in verdict.findings:
            if self.stated is not None and self.stated(f.value):
                self._add(f.index, f.feature, "unrealistic", f.message, KEPT_HINT, "warning")
            else:
                self._add(f.index, f.feature, "unrealistic", f.message, f.hint, severity)
        for u in verdict.unknown:
            self._add(len(self.objects), None, "not-evaluated", u.message, None, "warning")

    def _add(
        self,
        i: int,
        feature: str | None,
        code: str,
        message: str,
        hint: str | None,
        severity: Severity = "error",
    ) -> None:
        """Record a finding on object `i` (len(objects) for model-wide ones)."""
        obj = self.objects[i].id if i < len(self.objects) else None
        rank = -1  # object-level findings first
        if feature is not None:
            rules = self.classes[i] if i < len(self.classes) else None
            rank = rules.rank.get(feature, _UNKNOWN_RANK) if rules else _UNKNOWN_RANK
        issue = Issue(
            code=code, severity=severity, object=obj, feature=feature, message=message, hint=hint
        )
        self.found.append((i, rank, issue))

    def _rules(self, key: str) -> _ClassRules | None:
        if key in self.rules_by_key:
            return self.rules_by_key[key]
        view = self.mm.classes.get(key)
        rules = None
        if view is not None:
            features = view.feature_map
            attrs = [f for f in view.features if isinstance(f, Attribute)]
            id_attr = next((a.name for a in attrs if a.is_id and not a.many), None)
            attributes = {}
            for a in attrs:
                vtype = self._value_type(a.type)
                same = values.same_key(a.type) if a.many and a.unique else None
                attributes[a.name] = _AttributeRule(
                    a, vtype, a.many, a.name == id_attr, vtype.accepts, same
                )
            rules = _ClassRules(
                view=view,
                features=features,
                rank={name: n for n, name in enumerate(features)},
                attributes=attributes,
                required=tuple(f for f in view.features if f.lower >= 1),
            )
        self.rules_by_key[key] = rules
        return rules

    # --- objects and classes --------------------------------------------------------------

    def _index_ids(self) -> None:
        for i, o in enumerate(self.objects):
            if values.is_external(o.id):
                self._add(
                    i,
                    None,
                    "bad-value",
                    f"Object #{i + 1} ({o.class_}) has id {o.id!r}; an id holding '#' reads "
                    "as a reference into another document, so nothing could refer to it.",
                    f"Give it an id without '#', e.g. {o.id.replace('#', '_')!r}.",
                )
            elif not values.is_xml_text(o.id):
                self._add(
                    i,
                    None,
                    "bad-value",
                    f"Object #{i + 1} ({o.class_}) has id {o.id!r}, which holds a character no "
                    "model file can (a control character, U+FFFE/U+FFFF or a lone surrogate).",
                    f"Give it an id without them, e.g. {values.NOT_XML.sub('_', o.id)!r}.",
                )
            first = self.index.setdefault(o.id, i)
            if first != i:
                self._add(
                    i,
                    None,
                    "duplicate-id",
                    f"Object #{i + 1} ({o.class_}) has id {o.id!r}, which object #{first + 1} "
                    f"({self.objects[first].class_}) already uses; ids must be unique.",
                    f"Give this object its own id, e.g. {o.id + '_' + str(i + 1)!r}, and point "
                    "the references meant for it at the new id.",
                )

    def _classes(self) -> list[_ClassRules | None]:
        """Each object's class rules (None for an unknown class); concrete classes, once
        found, are not looked at again."""
        concrete: dict[str, _ClassRules] = {}
        result: list[_ClassRules | None] = []
        for i, o in enumerate(self.objects):
            rules = concrete.get(o.class_)
            if rules is None:
                rules = self._class_of(i, o)
                if rules is not None and rules.view.concrete:
                    concrete[o.class_] = rules
            result.append(rules)
        return result

    def _class_of(self, i: int, o: CimObject) -> _ClassRules | None:
        rules = self._rules(o.class_)
        if rules is None:
            concrete = [c.key for c in self.mm.concrete_classes]
            close = difflib.get_close_matches(o.class_, concrete, n=3)
            hint = (
                f"Did you mean {' or '.join(repr(c) for c in close)}?"
                if close
                else f"Use one of the concrete classes: {_names(concrete, limit=20)}."
            )
            self._add(
                i,
                None,
                "unknown-class",
                f"Object {o.id!r} has class {o.class_!r}, which the metamodel does not define.",
                hint,
            )
        elif not rules.view.concrete:
            what = "an interface" if rules.view.interface else "abstract"
            subs = self.mm.concrete_subtypes(rules.view.key)
            hint = (
                f"Use a concrete subclass instead: {_names(subs)}."
                if subs
                else f"No concrete class inherits from {rules.view.key}; remove this object."
            )
            self._add(
                i,
                None,
                "abstract-class",
                f"Object {o.id!r} has class {o.class_!r}, which is {what} and cannot be "
                "instantiated.",
                hint,
            )
        return rules

    # --- attributes -------------------------------------------------------------------------

    def _value_type(self, dt: DataType) -> _ValueType:
        vtype = self.value_types.get(dt)
        if vtype is None:
            vtype = self.value_types[dt] = _value_type(dt)
        return vtype

    def _check_attributes(self, i: int, o: CimObject, rules: _ClassRules) -> None:
        """The common case (a fitting value) in a few lookups; findings on the slow path."""
        by_name = rules.attributes
        for name, value in o.attributes.items():
            rule = by_name.get(name)
            if rule is None:
                self._unknown_feature(i, o, rules, name, rules.features.get(name), "attributes")
                continue
            accepts = rule.accepts  # False for None and lists, whatever the type
            if rule.many:
                if not (type(value) is list and rule.fits(len(value)) and all(map(accepts, value))):
                    self._check_many_values(i, o, rule.feature, rule.vtype, value)
                elif rule.same is not None and len(value) > 1:
                    self._check_unique(i, o, name, rule.same, value)
            elif accepts(value):
                if rule.is_id:
                    self._check_id_value(i, o, name, value)
            else:
                self._check_single_value(i, o, name, rule.vtype, value)

    def _check_single_value(
        self, i: int, o: CimObject, name: str, vtype: _ValueType, value: Any
    ) -> None:
        if isinstance(value, list):
            self._add(
                i,
                name,
                "bad-value",
                f"{o.id}.{name} is single-valued, but the model gives a list {_show(value)}.",
                f"Give one value, not a list. {vtype.hint}",
            )
        else:
            self._check_value(i, o, name, vtype, value)

    def _check_many_values(
        self, i: int, o: CimObject, feature: Attribute, vtype: _ValueType, value: Any
    ) -> None:
        name = feature.name
        if not isinstance(value, list):
            self._add(
                i,
                name,
                "bad-value",
                f"{o.id}.{name} is many-valued, but the model gives the single value "
                f"{_show(value)}.",
                f"Write a JSON list, e.g. [{_show(value)}].",
            )
            return
        self._check_count(i, o, feature, len(value), "values")
        for item in value:
            self._check_value(i, o, name, vtype, item)

    def _check_unique(
        self, i: int, o: CimObject, name: str, same: Callable[[Any], Any], value: list[Any]
    ) -> None:
        seen: dict[Any, Any] = {}
        for item in value:
            key = same(item)
            if key not in seen:
                seen[key] = item
            else:
                first = seen[key]
                both = (
                    f"{_show(item)} twice"
                    if first == item and type(first) is type(item)
                    else f"{_show(first)} and {_show(item)}, the same value to EMF,"
                )
                self._add(
                    i,
                    name,
                    "not-unique",
                    f"{o.id}.{name} holds {both} but its values are unique: EMF would keep one.",
                    f"Remove the repeated {_show(item)} from {o.id}.{name}.",
                )
                return

    def _check_value(self, i: int, o: CimObject, name: str, vtype: _ValueType, v: Any) -> None:
        if v is None:
            self._add(
                i,
                name,
                "bad-value",
                f"{o.id}.{name} is null; a CIM has no null values.",
                "Leave the attribute out to leave it unset, or give a value.",
            )
        elif not vtype.accepts(v):
            self._add(
                i,
                name,
                "bad-value",
                f"{o.id}.{name} = {_show(v)} is not valid: expected {vtype.expected}.",
                vtype.hint,
            )

    def _check_id_value(self, i: int, o: CimObject, name: str, value: Any) -> None:
        text = value if type(value) is str else _id_text(value)
        problem = values.id_value_problem(text)
        if problem is not None:
            self._add(
                i,
                name,
                "bad-value",
                f"{o.id}.{name} = {_show(value)} is {o.id}'s iD, but {problem}.",
                "Give an iD value that does not start with '/' nor end in '?', e.g. "
                f"{_show(text.strip('/?') or o.id)}.",
            )
        first = self.id_values.setdefault(text, i)
        if first != i:
            other = self.objects[first]
            self._add(
                i,
                name,
                "duplicate-id-attribute",
                f"{o.id}.{name} = {_show(value)} collides with object {other.id!r} "
                f"({other.class_}), whose iD attribute has the same value; EMF needs iD "
                "values unique in the whole model.",
                f"Give {o.id}.{name} a value no other object's iD attribute uses.",
            )

    def _unknown_feature(
        self,
        i: int,
        o: CimObject,
        rules: _ClassRules,
        name: str,
        feature: Feature | None,
        section: str,
    ) -> None:
        """A name under `section` the class does not offer there (absent, or the other kind)."""
        key = rules.view.key
        if isinstance(feature, Reference):
            message = f"{o.id}.{name} is a reference of {key}, but it is given under attributes."
            hint = f'Move it to "references" as a list of object ids, e.g. "{name}": ["some_id"].'
        elif isinstance(feature, Attribute):
            message = f"{o.id}.{name} is an attribute of {key}, but it is given under references."
            hint = f'Move it to "attributes" with a value, e.g. "{name}": <value>.'
        else:
            kind = Attribute if section == "attributes" else Reference
            offered = [f.name for f in rules.view.features if isinstance(f, kind)]
            close = difflib.get_close_matches(name, offered, n=1)
            message = (
                f"{o.id} ({key}) has no settable {section[:-1]} {name!r} "
                f"(given value {_show(getattr(o, section)[name])})."
            )
            hint = f"Did you mean {close[0]!r}? " if close else ""
            hint += f"{key}'s settable {section}: {_names(offered, limit=20)}."
        self._add(i, name, "unknown-feature", message, hint)

    # --- references ---------------------------------------------------------------------------

    def _check_references(self, i: int, o: CimObject, rules: _ClassRules) -> None:
        """The common case (known targets of the right class, each listed once, counts in
        bounds) in a few lookups per target; findings on the slow path."""
        index, classes, setdefault = self.index, self.classes, self.container.setdefault
        for name, targets in o.references.items():
            feature = rules.features.get(name)
            if not isinstance(feature, Reference):
                self._unknown_feature(i, o, rules, name, feature, "references")
                continue
            n = len(targets)
            if n < feature.lower or (feature.upper != -1 and n > feature.upper):
                self._check_count(i, o, feature, n, "targets")
            once = n == 1 or len(set(targets)) == n
            seen: set[str] = set()
            expected = feature.target
            holder = (i, name) if feature.containment else None  # the container, once per list
            for target in targets:
                if not once:
                    if target in seen:
                        self._listed_twice(i, o, feature, target)
                        continue
                    seen.add(target)
                j = index.get(target)
                if j is None:
                    if values.is_external(target):
                        self._check_external(i, o, feature, target)
                    else:
                        self._dangling(i, o, feature, target)
                    continue
                target_rules = classes[j]
                if target_rules is None:
                    continue  # its unknown class is reported on the object itself
                view = target_rules.view
                if view.key != expected and expected not in view.all_supertypes:
                    self._wrong_target(i, o, feature, target, target_rules)
                    continue
                if holder is not None:
                    first = setdefault(j, holder)
                    if first is not holder:
                        self._contained_twice(i, o, feature, j, first)
                if feature.opposite is not None:
                    self._pair(i, o, feature, j, target_rules)

    def _check_count(self, i: int, o: CimObject, feature: Feature, n: int, noun: str) -> None:
        upper = feature.upper
        if upper != -1 and n > upper:
            self._add(
                i,
                feature.name,
                "multiplicity",
                f"{o.id}.{feature.name} has {n} {noun}, but holds at most {upper}.",
                f"Keep at most {upper} and drop the rest.",
            )
        elif n < feature.lower:
            self._add(
                i,
                feature.name,
                "multiplicity",
                f"{o.id}.{feature.name} has {n} {noun}, but needs at least {feature.lower}.",
                f"Add {feature.lower - n} more.",
            )

    def _listed_twice(self, i: int, o: CimObject, feature: Reference, target: str) -> None:
        if feature.containment:
            self._add(
                i,
                feature.name,
                "multiple-containers",
                f"{o.id}.{feature.name} lists {target!r} twice; an object is contained once.",
                f"Remove the repeated {target!r} from {o.id}.{feature.name}.",
            )
        else:
            self._add(
                i,
                feature.name,
                "not-unique",
                f"{o.id}.{feature.name} lists {target!r} twice; a reference holds each object "
                "once.",
                f"Remove the repeated {target!r} from {o.id}.{feature.name}.",
            )

    def _ids_of_type(self, key: str) -> list[str]:
        """Ids of objects that may stand where `key` is expected (for hints only)."""
        if self._ids_by_class is None:
            by_class: dict[str, list[str]] = defaultdict(list)
            for o, rules in zip(self.objects, self.classes, strict=True):
                if rules is not None and len(by_class[rules.view.key]) < _LISTED:
                    by_class[rules.view.key].append(o.id)
            self._ids_by_class = by_class
        ids: list[str] = []
        for sub in self.mm.concrete_subtypes(key):
            ids.extend(self._ids_by_class.get(sub, ()))
        return ids

    def _dangling(self, i: int, o: CimObject, feature: Reference, target: str) -> None:
        candidates = self._ids_of_type(feature.target)
        close = difflib.get_close_matches(target, candidates, n=1)
        hint = f"Did you mean {close[0]!r}? " if close else ""
        hint += (
            f"Add an object with id {target!r} of class {feature.target}, or refer to an "
            f"existing one: {_names(candidates)}."
        )
        self._add(
            i,
            feature.name,
            "dangling-reference",
            f"{o.id}.{feature.name} refers to {target!r}, but no object has that id.",
            hint,
        )

    def _check_external(self, i: int, o: CimObject, feature: Reference, target: str) -> None:
        """A target in another document: `other.xmi#fragment`, optionally after the class of
        the object it names (needed where the reference's type is abstract)."""
        cls, uri = values.external_parts(target)
        doc, _, fragment = uri.partition("#")
        view = self.mm.classes.get(cls) if cls is not None else None
        where = f"{o.id}.{feature.name} refers to {target!r}, an object in another document"
        form = f'Write it as "other.xmi#fragment" or "{feature.target} other.xmi#fragment".'
        if feature.containment:
            problem = "but a containment holds objects of this document only"
            hint = "Add the object here and list its id, or use a non-containment reference."
        elif not doc or not fragment or len(target.split()) > 2:
            problem = "but it does not name a document and a fragment"
            hint = form
        elif not values.is_xml_text(target):
            problem = "but it holds a character no model file can (a control character, …)"
            hint = f"Write the URI without them: {values.NOT_XML.sub('_', target)!r}."
        elif cls is not None and (view is None or not view.concrete):
            problem = f"but {cls!r} is no concrete class of the metamodel"
            hint = f"Name a concrete class: {_names(self.mm.concrete_subtypes(feature.target))}."
        elif view is not None and not self.mm.is_subtype(view.key, feature.target):
            problem = f"but a {view.key} is not a {feature.target}"
            hint = f"Name a class of {_names(self.mm.concrete_subtypes(feature.target))}."
        elif view is None and not self.mm.classes[feature.target].concrete:
            if feature.target == self.mm.any_object:
                return  # EMF makes a plain EObject stand in until it resolves
            problem = f"but {feature.target} is abstract, so EMF needs the object's class"
            subs = self.mm.concrete_subtypes(feature.target)
            hint = f'Put its class first: "{subs[0] if subs else "Class"} {uri}".'
        else:
            return
        self._add(i, feature.name, "bad-value", f"{where}, {problem}.", hint)

    def _wrong_target(
        self, i: int, o: CimObject, feature: Reference, target: str, target_rules: _ClassRules
    ) -> None:
        subs = self.mm.concrete_subtypes(feature.target)
        self._add(
            i,
            feature.name,
            "wrong-target-type",
            f"{o.id}.{feature.name} refers to {target!r}, a {target_rules.view.key}, but it "
            f"expects a {feature.target}.",
            f"Refer to an object of class {_names(subs)} instead "
            f"(existing: {_names(self._ids_of_type(feature.target))}).",
        )

    def _contained_twice(
        self, i: int, o: CimObject, feature: Reference, j: int, first: tuple[int, str]
    ) -> None:
        """`o.feature` lists object `j`, which `first` (container, feature) already holds."""
        if first != (i, feature.name):
            owner, fname = first
            child = self.objects[j].id
            self._add(
                i,
                feature.name,
                "multiple-containers",
                f"{o.id}.{feature.name} contains {child!r}, which "
                f"{self.objects[owner].id}.{fname} already contains; an object has one "
                "container.",
                f"Remove {child!r} from one of the two lists; to point at it from the other, "
                "use a non-containment reference.",
            )

    def _pair(
        self, i: int, o: CimObject, feature: Reference, j: int, target_rules: _ClassRules
    ) -> None:
        """Record or check the opposite end `b.y` of `a.x` listing `b` (see module docstring)."""
        assert feature.opposite is not None
        opposite = target_rules.features.get(feature.opposite)
        if not isinstance(opposite, Reference):
            return
        given = self.objects[j].references.get(opposite.name)
        if given is None:
            self.implied[(j, opposite.name)].append(i)
            return
        if len(given) < 16:  # a short list: a scan costs less than a set
            listed: Collection[str] = given
        else:
            key = (j, opposite.name)
            found = self.given_sets.get(key)
            if found is None:
                found = self.given_sets[key] = frozenset(given)
            listed = found
        if o.id not in listed:
            b = self.objects[j].id
            self._add(
                i,
                feature.name,
                "opposite-mismatch",
                f"{o.id}.{feature.name} lists {b!r}, but {b}.{opposite.name} (its opposite) "
                f"is given without {o.id!r}; both ends must agree.",
                f"Add {o.id!r} to {b}.{opposite.name}, remove {b!r} from "
                f"{o.id}.{feature.name}, or leave {b}.{opposite.name} out so it is implied.",
            )

    # --- required features and implied opposite ends ---------------------------------------

    def _check_required(self) -> None:
        for i, (o, rules) in enumerate(zip(self.objects, self.classes, strict=True)):
            if rules is None:
                continue
            for feature in rules.required:
                if isinstance(feature, Attribute):
                    if feature.name not in o.attributes and not _has_default(feature):
                        self._missing(i, o, feature, 0)
                elif feature.name not in o.references:
                    n = len(self.implied.get((i, feature.name), ()))
                    if n < feature.lower:
                        self._missing(i, o, feature, n)

    def _missing(self, i: int, o: CimObject, feature: Feature, implied: int) -> None:
        if isinstance(feature, Attribute):
            what = f"a {feature.type.name} value"
            hint = f'Add "{feature.name}" under attributes.'
        else:
            what = f"{feature.lower} {feature.target} id(s)"
            hint = f'Add "{feature.name}": [<{feature.target} ids>] under references.'
            if implied:
                what += f"; the opposite ends imply only {implied}"
        self._add(
            i,
            feature.name,
            "multiplicity",
            f"{o.id}.{feature.name} is required but missing: it needs at least {what}.",
            hint,
        )

    def _check_implied_bounds(self) -> None:
        for (j, name), sources in self.implied.items():
            rules = self.classes[j]
            assert rules is not None
            upper = rules.features[name].upper
            if upper != -1 and len(sources) > upper:
                b = self.objects[j].id
                ids = [self.objects[s].id for s in sources]
                self._add(
                    j,
                    name,
                    "multiplicity",
                    f"{b}.{name} is left out, so its opposite ends imply it: {_names(ids)} "
                    f"list {b!r}, {len(ids)} in all, but {b}.{name} holds at most "
                    f"{_upper_text(upper)}.",
                    f"Keep {b!r} in at most {upper} of those objects' references.",
                )

    # --- containment structure ----------------------------------------------------------------

    def _check_cycles(self) -> None:
        state = [0] * len(self.objects)  # 0 unseen, 1 on the current path, 2 finished
        for start in range(len(self.objects)):
            path: list[int] = []
            v: int | None = start
            while v is not None and state[v] == 0:
                state[v] = 1
                path.append(v)
                up = self.container.get(v)
                v = up[0] if up is not None else None
            if v is not None and state[v] == 1:
                self._cycle(path[path.index(v) :])
            for p in path:
                state[p] = 2

    def _cycle(self, members: list[int]) -> None:
        first = min(members)
        links: list[str] = []
        v = first
        for _ in members:
            owner, fname = self.container[v]
            links.append(f"{self.objects[owner].id}.{fname} contains {self.objects[v].id!r}")
            v = owner
        owner, fname = self.container[first]
        o = self.objects[first]
        self._add(
            first,
            None,
            "containment-cycle",
            f"{o.id!r} is part of a containment cycle ({'; '.join(links)}); objects in a "
            "cycle hang under no root, so EMF cannot save them.",
            f"Break the cycle, e.g. remove {o.id!r} from {self.objects[owner].id}.{fname} "
            "and let it be a root or the child of an object outside the cycle.",
        )

    def _check_roots(self) -> None:
        roots = [
            i
            for i, (o, rules) in enumerate(zip(self.objects, self.classes, strict=True))
            if rules is not None and i not in self.container and self.index[o.id] == i
        ]
        if len(roots) < 2:
            return
        by_class: dict[str, list[int]] = {}
        for i in roots:
            by_class.setdefault(self._key(i), []).append(i)
        owners = {k: self._owners(k) for k in by_class}
        holder = next(
            (
                members[0]
                for k, members in by_class.items()
                if all(
                    k in owners[other]
                    for other, others in by_class.items()
                    if other != k or len(others) > 1
                )
            ),
            None,
        )
        ids = [self.objects[i].id for i in roots]
        intro = f"{len(roots)} objects are roots ({_names(ids)}), although "
        note = "; most EMF editors expect one root (several need an xmi:XMI wrapper)."
        if holder is not None:
            h = self.objects[holder].id
            moves = [
                f"{self.objects[i].id!r} in {h}.{owners[self._key(i)][self._key(holder)]}"
                for i in roots
                if i != holder
            ]
            message = f"{intro}{h!r} could contain all the others{note}"
            hint = f"List {_names(moves)}."
        else:
            common = set.intersection(*(set(v) for v in owners.values()))
            cls = next((k for k in self.mm.classes if k in common), None)
            if cls is None:
                return
            moves = [f"{self.objects[i].id!r} in its {owners[self._key(i)][cls]}" for i in roots]
            message = f"{intro}one {cls} object could contain them all{note}"
            hint = f"Add a {cls} object as the single root and list {_names(moves)}."
        self._add(len(self.objects), None, "several-roots", message, hint, severity="warning")

    def _check_document_roots(self) -> None:
        """In a metamodel made from an XML Schema with global elements, a root is written as
        the global element its class belongs to; an object of another class cannot be one."""
        xml = self.mm.xml
        if xml is None or not xml.elements:
            return
        for i, (o, rules) in enumerate(zip(self.objects, self.classes, strict=True)):
            if rules is None or i in self.container or self.index[o.id] != i:
                continue
            if xml.root_element(rules.view.key, self.mm.is_subtype) is None:
                names = _names(f"<{e.name}> ({e.class_key})" for e in xml.elements)
                self._add(
                    i,
                    None,
                    "document-root",
                    f"{o.id} is contained by no object, but a {rules.view.key} cannot be the "
                    f"root of an XML document; the schema's root elements are {names}.",
                    f"List {o.id!r} in the containment reference of an object that can hold it.",
                )

    def _key(self, i: int) -> str:
        rules = self.classes[i]
        assert rules is not None
        return rules.view.key

    def _owners(self, key: str) -> dict[str, str]:
        """Concrete classes that can contain a `key` object, each with its first such reference."""
        result: dict[str, str] = {}
        for owner, ref in self.mm.containers_of[key]:
            result.setdefault(owner, ref.name)
        return result
