"""Bundled checks of contact details: e-mail addresses (email-validator, syntax only, never
a DNS query), URLs (the standard library's parser, and IDNA for the host name) and phone
numbers (Google's libphonenumber rules, through `phonenumbers`)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from instancegen.service.core.checks import Context
from instancegen.service.core.checks.base import TEXT, ValueCheck, Words, is_date_text, text_of
from instancegen.service.core.metamodel import EClassView

_URL_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp", "ws", "wss"})
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_PHONE_CHARS = re.compile(r"[0-9 ()./-]+(?:\s*(?:ext\.?|x)\s*[0-9]{1,6})?")
_PHONE_DIGITS = (5, 15)  # a national number's digits, at least; E.164 allows 15 at most


def _email(value: Any, _: Context) -> str | None:
    from email_validator import EmailNotValidError, validate_email

    text = text_of(value)
    if text is None:
        return None
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return _clause(str(exc))
    return None


def _clause(sentence: str) -> str:
    """A library's sentence as a clause of ours: lowercase start, no final period."""
    sentence = sentence.strip().rstrip(".")
    return sentence[:1].lower() + sentence[1:]


def _host_problem(host: str) -> str | None:
    if ":" in host or host.replace(".", "").isdigit():
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            return f"its host {host!r} is not an IP address"
        return None
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return f"its host {host!r} is not a valid domain name"
    labels = ascii_host.rstrip(".").split(".")
    if ascii_host != "localhost" and len(labels) < 2:
        return f"its host {host!r} has no domain (such as .org)"
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) for label in labels):
        return f"its host {host!r} is not a valid domain name"
    return None


def _url(value: Any, _: Context) -> str | None:
    text = text_of(value)
    if text is None:
        return None
    if any(c.isspace() for c in text):
        return "it holds spaces"
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (reading it checks the port)
    except ValueError as exc:
        return _clause(str(exc))
    if parts.scheme.lower() not in _URL_SCHEMES:
        return f"its scheme is not one of {', '.join(sorted(_URL_SCHEMES))}"
    if not parts.hostname:
        return "it has no host name"
    return _host_problem(parts.hostname)


def _phone(value: Any, _: Context) -> str | None:
    """An international number (+… or 00…) must be a valid number of its country; a national
    one, whose country is unknown, must look like a number: digits and the usual separators."""
    import phonenumbers

    text = text_of(value)
    if text is None:
        return None
    if text.startswith(("+", "00")):
        international = "+" + text[2:] if text.startswith("00") else text
        try:
            number = phonenumbers.parse(international, None)
        except phonenumbers.NumberParseException as exc:
            return _clause(str(exc).split(") ", 1)[-1])
        if not phonenumbers.is_valid_number(number):
            return f"it is not a valid number for country code +{number.country_code}"
        return None
    if is_date_text(text):
        return "it is a date, not a phone number"
    digits = sum(c.isdigit() for c in text)
    if not _PHONE_CHARS.fullmatch(text) or not _PHONE_DIGITS[0] <= digits <= _PHONE_DIGITS[1]:
        return "it is not shaped like a phone number (5 to 15 digits, spaces, ( ) - . /)"
    return None


def _email_named(w: Words, _: EClassView) -> bool:
    return "email" in w or "mail" in w or "".join(w).startswith("email")


def _phone_named(w: Words, _: EClassView) -> bool:
    return bool({"phone", "telephone", "tel", "fax", "mobile"} & set(w)) or "phone" in "".join(w)


# What a small model is held to: one optional separator per part, never two dots in a row.
_PLAIN_ADDRESS = (
    r"^[a-z0-9]{1,12}([._-][a-z0-9]{1,12})?@[a-z0-9]{1,16}(-[a-z0-9]{1,8})?\.[a-z]{2,6}$"
)
email = ValueCheck(
    "email",
    "an e-mail address such as alice@example.org (syntax only)",
    TEXT,
    _email_named,
    _email,
    needs=("email_validator",),
    shape=lambda *_: {"pattern": _PLAIN_ADDRESS},
)
url = ValueCheck(
    "url",
    "a web address such as https://example.org/path",
    TEXT,
    lambda w, _: bool({"url", "website", "homepage"} & set(w)),
    _url,
)
phone = ValueCheck(
    "phone",
    "a phone number: +country code and a valid number, or a national number's digits",
    TEXT,
    _phone_named,
    _phone,
    needs=("phonenumbers",),
)
