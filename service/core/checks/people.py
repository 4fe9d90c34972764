"""Bundled checks of people: birth dates within living memory, and a person's name that is
not an organisation's ("Bac University", "David School of Business") and holds none of the
characters no person's name has (digits, `@`, `_`: a number, an e-mail address or a handle).

A class is person-like when its name, or a supertype's, ends in a word for a person
(`Person`, `Student`, `HospitalPatient`); an organisation's name is told by its legal form
(GmbH, Inc, Ltd, …, case as written) or an institution's word (University, School, Bank, …).
Living memory bounds the birth of the people a model is about, not of those it may hold from
history: a class named for a role people of the past fill (`Author`, `Composer`) or with a
death feature (`deathYear`) may hold births of any past year.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from instancegen.service.core.checks import Context
from instancegen.service.core.checks.base import TEXT, ValueCheck, Words, words
from instancegen.service.core.metamodel import Attribute, EClassView, TypeKind
from instancegen.service.core.values import parse_date

LIVING_MEMORY_YEARS = 110
PLAUSIBLE_AGE = 100  # what a value generation writes freely is held to (`_birth_shape`)

PERSON_NOUNS = frozenset({
    "person", "people", "human", "individual", "student", "pupil", "lecturer", "teacher",
    "professor", "tutor", "instructor", "employee", "worker", "staff", "manager", "engineer",
    "developer", "researcher", "scientist", "patient", "doctor", "physician", "nurse", "author",
    "writer", "artist", "musician", "singer", "actor", "athlete", "player", "coach", "referee",
    "driver", "passenger", "traveller", "traveler", "tenant", "resident", "citizen", "guest",
    "visitor", "child", "parent", "mother", "father", "son", "daughter", "man", "woman",
    "volunteer", "applicant", "candidate", "voter", "librarian", "borrower", "speaker",
    "supervisor"
})  # fmt: skip
_NAME_WORDS = frozenset({"first", "last", "full", "given", "family", "middle", "nick"})
_SINGLE_NAMES = frozenset({"surname", "forename", "firstname", "lastname", "fullname"})
LEGAL_FORMS = frozenset({
    "GmbH", "AG", "KG", "OHG", "UG", "Inc", "INC", "Ltd", "LTD", "LLC", "LLP", "PLC", "plc",
    "Corp", "Co", "SA", "SARL", "SAS", "BV", "NV", "Pty", "AB", "Oy", "SpA", "Srl", "eV"
})  # fmt: skip
INSTITUTION_WORDS = frozenset({
    "university", "universität", "college", "school", "schule", "hochschule", "institute",
    "institut", "academy", "bank", "hospital", "clinic", "foundation", "stiftung",
    "association", "society", "gesellschaft", "verein", "department", "ministry", "agency",
    "company", "corporation", "incorporated", "limited", "group", "holding", "holdings",
    "partners", "enterprises", "industries", "solutions", "technologies", "consulting",
    "laboratories", "labs", "club", "council", "committee", "faculty", "museum", "library",
    "hotel", "restaurant", "airlines"
})  # fmt: skip
HISTORICAL_ROLES = frozenset({
    "author", "writer", "poet", "artist", "painter", "sculptor", "composer", "philosopher",
    "scientist", "inventor", "ancestor", "monarch", "king", "queen", "emperor", "saint"
})  # fmt: skip
_TOKEN = re.compile(r"[^\W\d_]+", re.UNICODE)
NOT_IN_NAMES = "0123456789@_"  # characters no person's name holds
LONGEST_NAME = 64  # characters of a name written freely: a small model's run ends there
_NOT_IN_NAMES = re.compile(f"[{NOT_IN_NAMES}]")
_BIRTH_KINDS: frozenset[TypeKind] = frozenset({"date", "string", "int"})
_DATE_WORDS = frozenset({"date", "day", "dob", "birthday"})


def _roles(owner: EClassView) -> set[str]:
    """The last words of its name and its supertypes' (keys may be `package.Class`)."""
    names = (words(key.rsplit(".", 1)[-1]) for key in (owner.key, *owner.all_supertypes))
    return {w[-1] for w in names if w}


def _person_like(owner: EClassView) -> bool:
    return bool(_roles(owner) & PERSON_NOUNS)


def _historical(owner: EClassView) -> bool:
    """People of the past may be its objects: a role of history, or a death feature."""
    died = any({"death", "died", "deceased"} & set(words(a.name)) for a in owner.attributes)
    return died or bool(_roles(owner) & HISTORICAL_ROLES)


def _name_named(w: Words, owner: EClassView) -> bool:
    is_name = w == ("name",) or (len(w) == 2 and w[1] == "name" and w[0] in _NAME_WORDS)
    return (is_name or (len(w) == 1 and w[0] in _SINGLE_NAMES)) and _person_like(owner)


def _person_name(value: Any, _: Context) -> str | None:
    if not isinstance(value, str):
        return None
    for token in _TOKEN.findall(value):
        if token in LEGAL_FORMS or token.casefold() in INSTITUTION_WORDS:
            return f"{token!r} makes it an organisation's name, not a person's"
    if odd := _NOT_IN_NAMES.search(value):
        return f"{odd.group()!r} has no place in a person's name"
    return None


def _name_shape(owner: EClassView, attribute: Attribute, today: date) -> dict[str, Any]:
    """A person's name, written freely, holds letters and the marks between them, and
    ends (a grammar follows the pattern, not a separate length bound)."""
    return {"pattern": f"^[^{NOT_IN_NAMES}]{{1,{LONGEST_NAME}}}$"}


class _BirthDate(ValueCheck):
    """By name: a birth word, and for a string a date word, for a whole number a year."""

    def applies(self, owner: EClassView, attribute: Attribute) -> bool:
        w, kind = set(words(attribute.name)), attribute.type.kind
        fits = {"string": bool(_DATE_WORDS & w), "int": "year" in w}.get(kind, True)
        return fits and super().applies(owner, attribute)


def _birth_day(value: Any, attribute_kind: TypeKind) -> date | int | None:
    """The date (or, for a whole-number feature, the year) a birth value says; None if none."""
    if attribute_kind == "int":
        return value if type(value) is int else None
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value).date()
    except ValueError:
        return None


def _birth_shape(owner: EClassView, attribute: Attribute, today: date) -> dict[str, Any] | None:
    """Years a living person is born in (PLAUSIBLE_AGE years back, to last year): a whole
    number's range, or a date's pattern over the whole decades in it; None for people of
    history, whose years the check leaves open."""
    if _historical(owner):
        return None
    first, last = today.year - PLAUSIBLE_AGE, today.year - 1
    if attribute.type.kind == "int":
        return {"minimum": first, "maximum": last}
    decades = range(-(-first // 10), last // 10)  # whole decades only: 193 … 201
    years = "|".join(f"{d}[0-9]" for d in decades)
    return {"pattern": f"^({years})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])$"}


def _birth_date(value: Any, context: Context) -> str | None:
    born = _birth_day(value, context.attribute.type.kind)
    if born is None:
        return None
    today = context.today
    if isinstance(born, int):
        future, year = born > today.year, born
    else:
        future, year = born > today, born.year
    if future:
        return f"{value} is in the future"
    if year < today.year - LIVING_MEMORY_YEARS and not _historical(context.owner):
        return f"{value} is more than {LIVING_MEMORY_YEARS} years ago"
    return None


person_name = ValueCheck(
    "person-name",
    "a person's name, not an organisation's (no GmbH, Inc, University, School, …), without "
    "digits, @ or _",
    TEXT,
    _name_named,
    _person_name,
    shape=_name_shape,
)
birth_date = _BirthDate(
    "birth-date",
    f"a birth date (or year) within the last {LIVING_MEMORY_YEARS} years (any past one for "
    "people of history: authors, composers, …), not in the future",
    _BIRTH_KINDS,
    lambda w, _: bool({"birth", "born", "dob", "birthday"} & set(w)),
    _birth_date,
    shape=lambda owner, attribute, today: _birth_shape(owner, attribute, today),
)
