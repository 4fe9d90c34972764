"""What the bundled checks share: a feature name read as words, and one `Check` shape chosen
by those words and the attribute's type kind."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from instancegen.service.core.checks import Context
from instancegen.service.core.metamodel import Attribute, EClassView, TypeKind
from instancegen.service.core.values import parse_date

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SEPARATORS = re.compile(r"[^A-Za-z0-9]+")

Words = tuple[str, ...]


def words(name: str) -> Words:
    """A feature or class name as lowercase words: `dateOfBirth` -> (date, of, birth),
    `IBAN` -> (iban,), `valid_until` -> (valid, until), `accountIBAN` -> (account, iban)."""
    return tuple(w.lower() for w in _SEPARATORS.split(_CAMEL.sub(" ", name)) if w)


@dataclass(frozen=True)
class ValueCheck:
    """A check of one value at a time that applies to attributes of the given type kinds
    whose name words `named` accepts (it also sees the owning class)."""

    name: str
    description: str
    kinds: frozenset[TypeKind]
    named: Callable[[Words, EClassView], bool]
    judge: Callable[[Any, Context], str | None]
    fallback: bool = False  # by name, only where no other check applies
    needs: tuple[str, ...] = ()  # modules `judge` imports on first use
    # JSON Schema keywords only passing values meet, for a generator to hold values to
    shape: Callable[[EClassView, Attribute, date], dict[str, Any] | None] | None = None

    def applies(self, owner: EClassView, attribute: Attribute) -> bool:
        return attribute.type.kind in self.kinds and self.named(words(attribute.name), owner)

    def check(self, value: Any, context: Context) -> str | None:
        return self.judge(value, context)

    def constraints(
        self, owner: EClassView, attribute: Attribute, today: date
    ) -> dict[str, Any] | None:
        return self.shape(owner, attribute, today) if self.shape is not None else None


TEXT: frozenset[TypeKind] = frozenset({"string"})
NUMBERS: frozenset[TypeKind] = frozenset({"int", "float", "bigint", "decimal"})


def is_date_text(text: str) -> bool:
    """Whether a text is an ISO 8601 date or date-time (a timestamp where a code belongs)."""
    if len(text) < 10 or text[4] != "-" or not text[:4].isdigit():
        return False  # the usual case, decided without the parser
    try:
        parse_date(text)
    except ValueError:
        return False
    return True


def number_of(value: Any) -> Decimal | None:
    """A finite number a value says (a number, or the numeric string of a big integer or a
    decimal); None for anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def text_of(value: Any) -> str | None:
    """The stripped text of a string value; None for anything else (not this check's to judge)."""
    return value.strip() if isinstance(value, str) else None
