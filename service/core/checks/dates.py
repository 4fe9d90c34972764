"""The bundled check that a period's end is not before its start (`startDate` ≤ `endDate`).

It applies to an attribute whose name has an end word (end, finish, to, until, arrival,
death, …) where its class has a single-valued partner named the same with the matching start
word in its place (`endDate` and `startDate`, `validUntil` and `validFrom`, `to` and `from`).
Dates compare as instants (`service.core.values.parse_date`), numbers (years) as numbers."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from instancegen.service.core.checks import Context
from instancegen.service.core.checks.base import NUMBERS, ValueCheck, number_of, words
from instancegen.service.core.metamodel import Attribute, EClassView, TypeKind
from instancegen.service.core.values import parse_date

# An end word, and the start words that pair with it.
START_OF: dict[str, tuple[str, ...]] = {
    "end": ("start", "begin"),
    "finish": ("start", "begin"),
    "stop": ("start",),
    "to": ("from",),
    "until": ("from", "since"),
    "till": ("from", "since"),
    "through": ("from",),
    "close": ("open",),
    "closes": ("opens",),
    "closing": ("opening",),
    "arrival": ("departure",),
    "arrive": ("depart",),
    "expiry": ("issue",),
    "expiration": ("issue",),
    "expires": ("issued",),
    "death": ("birth",),
    "died": ("born",),
    "modified": ("created",),
    "updated": ("created",),
    "checkout": ("checkin",),
}
_KINDS: frozenset[TypeKind] = NUMBERS | {"date", "string"}


@lru_cache(maxsize=4096)
def start_of(owner: EClassView, attribute: Attribute) -> Attribute | None:
    """The single-valued attribute of `owner` that starts the period `attribute` ends."""
    if attribute.many:
        return None
    by_words = {words(a.name): a for a in owner.attributes if not a.many and a is not attribute}
    end = words(attribute.name)
    for i, word in enumerate(end):
        for start in START_OF.get(word, ()):
            partner = by_words.get((*end[:i], start, *end[i + 1 :]))
            if partner is not None and _comparable(partner.type.kind, attribute.type.kind):
                return partner
    return None


def _comparable(a: TypeKind, b: TypeKind) -> bool:
    return a == b or (a in NUMBERS and b in NUMBERS) or {a, b} == {"date", "string"}


def _key(value: Any, kind: TypeKind) -> Any:
    """What orders a value: an instant for a date (or a string holding one), a finite number
    for a number; None when it says neither."""
    if kind in ("date", "string"):
        try:
            return parse_date(value) if isinstance(value, str) else None
        except ValueError:
            return None
    return number_of(value)


def _in_order(value: Any, context: Context) -> str | None:
    start = start_of(context.owner, context.attribute)
    if start is None:
        return None
    begun = _key(context.values.get(start.name), start.type.kind)
    ended = _key(value, context.attribute.type.kind)
    if begun is None or ended is None or type(begun) is not type(ended) or begun <= ended:
        return None
    return f"it is before {start.name} ({context.values[start.name]})"


class _DateOrder(ValueCheck):
    """By name: an end word, and a start partner in the same class."""

    def applies(self, owner: EClassView, attribute: Attribute) -> bool:
        return super().applies(owner, attribute) and start_of(owner, attribute) is not None


date_order = _DateOrder(
    "date-order",
    "an end not before its start (startDate ≤ endDate, validFrom ≤ validUntil, …)",
    _KINDS,
    lambda w, _: any(word in START_OF for word in w),
    _in_order,
)
