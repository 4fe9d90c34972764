"""Bundled checks of codes: IBAN, BIC (python-stdnum), ISO 3166 country codes (iso3166),
ISO 4217 currency codes (iso4217), and codes in general (not a timestamp, not a sentence).

The libraries are imported on a check's first use, so loading the plugins costs nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import import_module
from typing import Any

from instancegen.service.core.checks import Context
from instancegen.service.core.checks.base import TEXT, ValueCheck, Words, is_date_text, text_of
from instancegen.service.core.metamodel import EClassView

_CODE_WORDS = frozenset({"code", "sku", "serial", "number", "nr", "id", "identifier", "isbn"})
_SENTENCE_WORDS = 4  # a code of this many space-separated words reads as a sentence


def _stdnum_judge(module: str, what: str) -> Callable[[Any, Context], str | None]:
    """A judge by python-stdnum's `stdnum.<module>`: None when it validates the text; else
    why not, in our words (`what` completes "does not fit …")."""

    def judge(value: Any, _: Context) -> str | None:
        return _stdnum_reason(import_module(f"stdnum.{module}"), value, what)

    return judge


def _stdnum_reason(validator: Any, value: Any, what: str) -> str | None:
    from stdnum import exceptions

    text = text_of(value)
    if text is None:
        return None
    try:
        validator.validate(text)
    except exceptions.InvalidChecksum:
        return "its check digits are wrong (mod 97)"
    except exceptions.InvalidLength:
        return f"its length does not fit {what}"
    except exceptions.InvalidComponent:
        return "its country code is not an ISO 3166 country"
    except exceptions.ValidationError:
        return f"its characters do not fit {what}"
    return None


@cache
def _country_codes() -> frozenset[str]:
    import iso3166

    return frozenset(
        code
        for c in iso3166.countries
        for code in (c.alpha2, c.alpha3, c.numeric)
    )  # fmt: skip


def _country(value: Any, _: Context) -> str | None:
    text = text_of(value)
    if text is None or text.upper() in _country_codes():
        return None
    return "it is not an ISO 3166 country code (alpha-2, alpha-3 or numeric)"


@cache
def _currencies() -> tuple[frozenset[str], frozenset[str]]:
    """ISO 4217's active codes, and its currency names (casefolded)."""
    import iso4217

    codes = frozenset(c.value for c in iso4217.Currency)
    names = frozenset(
        name.casefold()
        for e in iso4217.raw_table.values()
        if isinstance(name := e["CcyNm"], str) and name
    )
    return codes, names


def _currency(value: Any, context: Context) -> str | None:
    text = text_of(value)
    if text is None:
        return None
    codes, names = _currencies()
    if text.upper() in codes:
        return None
    if "code" not in context.attribute.name.lower() and text.casefold() in names:
        return None  # a feature called `currency` may hold "Euro"; a `currencyCode` may not
    return "it is not an ISO 4217 currency code"


def _code(value: Any, _: Context) -> str | None:
    text = text_of(value)
    if text is None:
        return None
    if not text:
        return "it is empty"
    if is_date_text(text):
        return "it is a date or timestamp, not a code"
    if len(text.split()) >= _SENTENCE_WORDS:
        return "it reads as a sentence, not a code"
    return None


def _country_named(w: Words, _: EClassView) -> bool:
    return "country" in w and bool({"code", "iso", "alpha2", "alpha3"} & set(w))


_IBAN = "an IBAN whose check digits and length fit its country (ISO 13616)"
_BIC = "a BIC of 8 or 11 characters with a real country code (ISO 9362)"
iban = ValueCheck("iban", _IBAN, TEXT, lambda w, _: "iban" in w,
                  _stdnum_judge("iban", "an IBAN of its country"), needs=("stdnum",))  # fmt: skip
bic = ValueCheck("bic", _BIC, TEXT, lambda w, _: "bic" in w or "swift" in w,
                 _stdnum_judge("bic", "a BIC"), needs=("stdnum",))  # fmt: skip
country = ValueCheck(
    "country",
    "an ISO 3166 country code such as DE, DEU or 276",
    TEXT,
    _country_named,
    _country,
    needs=("iso3166",),
)
currency = ValueCheck(
    "currency",
    "an ISO 4217 currency code such as EUR (or, unless the feature says code, its name)",
    TEXT,
    lambda w, _: "currency" in w,
    _currency,
    needs=("iso4217",),
)
code = ValueCheck(
    "code",
    "a code: not empty, not a date or timestamp, not a sentence",
    TEXT,
    lambda w, _: bool(_CODE_WORDS & set(w)),
    _code,
    fallback=True,
    # letters, digits and a few separators: never a timestamp's colons or a sentence
    shape=lambda *_: {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,23}$"},
)
