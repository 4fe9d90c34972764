"""Run the realism checks over a model: every value of a checked attribute that its type
accepts (a value it does not is the validator's `bad-value`), each many-valued one's values
one by one.

A `Finding` carries what a later step needs to act on it (the object, the feature, the value
and the check), so generation can tell a value the spec states, which is kept as it is, from
one to repair; `Audit` also counts the values checked, for the share that pass (`eval`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Literal

from instancegen.service.core import values
from instancegen.service.core.checks import Applied, Check, Context, applied, available
from instancegen.service.core.cim import CimObject
from instancegen.service.core.metamodel import Attribute, EClassView, Metamodel, derived

Realism = Literal["warn", "strict", "off"]
REALISM_LEVELS: tuple[Realism, ...] = ("warn", "strict", "off")
KEPT_HINT = "The spec states this value: it stays as it is."
"""The hint of a finding on a value the caller said is stated (`validate(stated=...)`): a
warning whatever the realism level, which a repair must leave alone."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One value that failed one check."""

    index: int  # the object's place in the model
    object: str
    class_: str
    feature: str
    value: Any
    check: str
    reason: str  # why it fails, one clause
    expected: str  # the check's description of a passing value

    @property
    def message(self) -> str:
        shown = json.dumps(self.value, ensure_ascii=False, default=str)
        shown = shown if len(shown) <= 80 else shown[:77] + "…"
        return (
            f"{self.class_} {self.object!r}: {self.feature} = {shown} fails the "
            f"{self.check} check: {self.reason}."
        )

    @property
    def hint(self) -> str:
        return f"Write a realistic value: {self.expected}. A value the spec states stays as it is."


@dataclass(frozen=True, slots=True)
class Unknown:
    """An annotation naming a check no installed plugin provides."""

    class_: str
    feature: str
    name: str

    @property
    def message(self) -> str:
        return (
            f"{self.class_}.{self.feature}'s instancegen annotation names the check "
            f"{self.name!r}, which is not installed (installed: {', '.join(available())}); "
            "it was not evaluated."
        )


@dataclass
class Audit:
    """The checks' verdict on one model."""

    checked: int = 0  # values at least one check judged
    failed: int = 0  # of those, values at least one check failed
    findings: list[Finding] = field(default_factory=list)
    unknown: list[Unknown] = field(default_factory=list)

    @property
    def passed_share(self) -> float | None:
        """The share of checked values that pass every check; None when none was checked."""
        return (self.checked - self.failed) / self.checked if self.checked else None


_Plan = tuple[EClassView, tuple[tuple[Attribute, Applied, Callable[[Any], bool]], ...]]


def audit(metamodel: Metamodel, objects: Sequence[CimObject], today: date | None = None) -> Audit:
    """Every checked value of `objects` (a model of `metamodel`), judged on `today` (UTC).
    An annotation naming a check that is not installed is noted once per class and feature,
    where a value was left unchecked for it."""
    today = today or datetime.now(UTC).date()
    result = Audit()
    plans: dict[str, _Plan | None] = derived(metamodel, "realism plans")
    for i, o in enumerate(objects):
        if o.class_ not in plans:
            plans[o.class_] = _plan(metamodel.classes.get(o.class_))
        plan = plans[o.class_]
        if plan is None:
            continue
        view, attributes = plan
        for attribute, chosen, accepts in attributes:
            raw = o.attributes.get(attribute.name)
            if raw is None:
                continue
            context = Context(view, attribute, o.attributes, today)
            for value in raw if isinstance(raw, list) and attribute.many else (raw,):
                if chosen.checks and value is not None and accepts(value):
                    _judge(result, i, o, chosen.checks, value, context)
            for name in chosen.unknown:
                missed = Unknown(o.class_, attribute.name, name)
                if missed not in result.unknown:
                    result.unknown.append(missed)
    return result


def _judge(
    result: Audit, i: int, o: CimObject, chosen: tuple[Check, ...], value: Any, context: Context
) -> None:
    result.checked += 1
    failed = False
    for c in chosen:
        why = c.check(value, context)
        if why is not None:
            failed = True
            name = context.attribute.name
            result.findings.append(
                Finding(i, o.id, o.class_, name, value, c.name, why, c.description)
            )
    result.failed += failed


def _plan(view: EClassView | None) -> _Plan | None:
    """A class's checked (or annotated) attributes, with their checks and type predicate;
    None when it has none."""
    if view is None:
        return None
    attributes = []
    for attribute in view.attributes:
        chosen = applied(view, attribute)
        if chosen.checks or chosen.unknown:
            attributes.append((attribute, chosen, values.accepts(attribute.type)))
    return (view, tuple(attributes)) if attributes else None
