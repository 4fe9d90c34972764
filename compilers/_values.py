"""Attribute values in EMF's lexical forms, both ways, and EMF's idea of a default.

XMI and EMF-JSON both spell values the way `EcoreUtil.convertToString` does (Java's
`Double.toString`, `EChar` as its code point, EDate as `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, enum
literals by their literal string). EMF does not save a feature whose value equals its default,
so compilers ask `is_default` before writing one.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from service.cim import Scalar, Value
from service.errors import InputError
from service.metamodel import Attribute, DataType

_INTRINSIC: dict[str, Scalar] = {"bool": False, "int": 0, "float": 0.0, "char": "\x00"}
_EMF_DATE = re.compile(
    r"^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$"
)


def java_double(x: float) -> str:
    """Java's `Double.toString`: `100.0`, `0.001`, `1.0E10`, `1.0E-4`, `NaN`, `Infinity`."""
    if 1e-3 <= abs(x) < 1e7:
        shortest = repr(x)
        if "e" not in shortest:
            return shortest  # Python and Java agree here: shortest digits, at least one decimal
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return _java_decimal(repr(float(x)), x)


def java_float(x: float) -> str:
    """Java's `Float.toString`: the shortest digits that survive a round trip through float32."""
    if math.isnan(x) or math.isinf(x):
        return java_double(x)
    f32 = struct.unpack("f", struct.pack("f", x))[0]
    for digits in range(1, 10):
        text = f"{f32:.{digits}g}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            return _java_decimal(text, f32)
    return java_double(f32)


def _java_decimal(shortest: str, x: float) -> str:
    if x == 0:
        return "-0.0" if math.copysign(1.0, x) < 0 else "0.0"
    sign, digits, exp = Decimal(shortest).as_tuple()
    mantissa = "".join(map(str, digits)).rstrip("0") or "0"
    point = len(digits) + int(exp)  # position of the decimal point within `digits`
    neg = "-" if sign else ""
    if 1e-3 <= abs(x) < 1e7:
        whole = mantissa[:point] if point > 0 else "0"
        frac = mantissa[point:] if point >= 0 else "0" * -point + mantissa
        return f"{neg}{whole.ljust(point, '0') if point > 0 else whole}.{frac or '0'}"
    return f"{neg}{mantissa[0]}.{mantissa[1:] or '0'}E{point - 1}"


def emf_date(value: Any) -> str:
    """ISO 8601 (date or date-time, zone optional, UTC assumed) in EMF's EDate form."""
    dt = parse_date(str(value))
    dt = dt.astimezone(UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_date(text: str) -> datetime:
    """Read ISO 8601 or any form EMF's EDate accepts; naive times are taken as UTC."""
    m = _EMF_DATE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date")
    day, hm, sec, frac, zone = m.groups()
    stamp = f"{day}T{hm or '00:00'}:{sec or '00'}.{(frac or '0')[:6].ljust(6, '0')}"
    if zone and zone != "Z":
        zone = zone.replace(":", "")
        stamp += f"{zone[:3]}:{zone[3:]}"
    dt = datetime.fromisoformat(stamp)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt


def iso_date(dt: datetime) -> str:
    """The CIM's ISO 8601 spelling of a date-time read from a model."""
    spec = "milliseconds" if dt.microsecond else "seconds"
    return dt.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def to_lexical(value: Any, dtype: DataType) -> str:
    """A CIM value as EMF writes it in XMI (`EcoreUtil.convertToString`)."""
    kind = dtype.kind
    if isinstance(value, list | dict):
        raise InputError(f"a single {dtype.name} was expected, not {value!r}.")
    try:
        if kind == "string" or kind == "other":
            return str(value)
        if kind == "bool":
            return "true" if value is True or str(value).lower() == "true" else "false"
        if kind in ("int", "bigint"):
            return str(int(value))
        if kind == "float":
            number = float(value)
            return (
                java_float(number)
                if dtype.name in ("EFloat", "EFloatObject")
                else java_double(number)
            )
        if kind == "decimal":
            return str(Decimal(str(value)))
        if kind == "char":
            return str(ord(str(value)[0])) if not isinstance(value, int) else str(value)
        if kind == "date":
            return emf_date(value)
        if kind == "enum":
            return enum_literal(str(value), dtype)
    except (TypeError, ValueError, OverflowError, InvalidOperation, IndexError):
        pass  # OverflowError: int(inf)
    raise InputError(f"the value {value!r} is not a valid {dtype.name}.")


def as_list(value: Value | None) -> list[Scalar]:
    """A many-valued attribute's values (a lone scalar, though invalid, counts as one)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def lexical(dtype: DataType) -> Callable[[Any], str]:
    """A fast `to_lexical` for one type (compilers call it once per value)."""
    if dtype.kind == "string":
        return lambda v: v if type(v) is str else to_lexical(v, dtype)
    if dtype.kind == "float" and dtype.name not in ("EFloat", "EFloatObject"):
        return lambda v: java_double(v) if type(v) is float else to_lexical(v, dtype)
    return lambda v: to_lexical(v, dtype)


def saved_text(attr: Attribute) -> Callable[[Any], str | None]:
    """EMF's text for a single-valued attribute's value, or None where EMF saves nothing
    (the value is the default, so eIsSet is false)."""
    text = lexical(attr.type)
    default = None if attr.unsettable else default_of(attr)
    if default is None:
        return text
    if attr.type.kind in ("date", "char"):
        return lambda v: None if is_default(attr, v) else text(v)
    is_bool = type(default) is bool
    return lambda v: None if v == default and (type(v) is bool) == is_bool else text(v)


def enum_literal(name: str, dtype: DataType) -> str:
    """The serialized literal of an enum value given by name (or already by literal)."""
    if name in dtype.literals:
        return dtype.literal_values[dtype.literals.index(name)]
    if name in dtype.literal_values:
        return name
    raise ValueError(name)


def from_lexical(text: str, dtype: DataType) -> Scalar:
    """A value as EMF spells it, turned into the CIM's JSON value (ValueError when malformed)."""
    kind = dtype.kind
    if kind == "string" or kind == "other":
        return text
    s = text.strip()
    if kind == "bool":
        if s.lower() not in ("true", "false"):
            raise ValueError(text)
        return s.lower() == "true"
    if kind in ("int", "bigint"):
        return int(s)
    if kind == "float":
        return float(s)
    if kind == "decimal":
        return decimal_value(s)
    if kind == "char":
        return chr(int(s)) if s.isdigit() else text[:1]
    if kind == "date":
        return iso_date(parse_date(s))
    if kind == "enum":
        if s in dtype.literal_values:
            return dtype.literals[dtype.literal_values.index(s)]
        if s in dtype.literals:
            return s
        raise ValueError(text)
    return text


def reader(dtype: DataType) -> Callable[[str], Scalar] | None:
    """A fast `from_lexical` for one type (importers call it once per value); None where the
    text is the value itself (strings)."""
    kind = dtype.kind
    if kind in ("string", "other"):
        return None
    if kind in ("int", "bigint"):
        return int  # like from_lexical, it allows surrounding whitespace
    if kind == "float":
        return float
    if kind == "enum":
        table = enum_names(dtype)
        return lambda text: _enum_name(table, text)
    return lambda text: from_lexical(text, dtype)


def enum_names(dtype: DataType) -> dict[str, str]:
    """An enum's literal names by the texts that spell them: the literal strings EMF writes,
    then the names (a literal's name stands for itself unless it is another's value)."""
    by_value: dict[str, str] = {}
    for name, value in zip(dtype.literals, dtype.literal_values, strict=True):
        by_value.setdefault(value, name)
    return {name: name for name in dtype.literals} | by_value


def _enum_name(table: dict[str, str], text: str) -> str:
    try:
        return table[text.strip()]
    except KeyError:
        raise ValueError(text) from None


def decimal_value(text: str) -> Scalar:
    """A BigDecimal as a JSON number when that spells it exactly, else as its text."""
    d = Decimal(text)
    if not d.is_finite():
        raise ValueError(text)
    if d == d.to_integral_value() and "." not in text and "e" not in text.lower():
        return int(d)
    return float(d) if repr(float(d)) == text else text  # keeps BigDecimal's scale


def default_of(attr: Attribute) -> Scalar:
    """EMF's default value of a single-valued attribute (None when it has none)."""
    dtype = attr.type
    if attr.default is not None:
        try:
            return from_lexical(attr.default, dtype)
        except (ValueError, InvalidOperation):
            return None
    if dtype.kind == "enum":
        return dtype.literals[0] if dtype.literals else None
    return _INTRINSIC.get(dtype.kind) if dtype.primitive else None


def is_default(attr: Attribute, value: Any) -> bool:
    """True when EMF would consider `value` unset (its eIsSet is false) and so not save it."""
    if attr.unsettable:
        return False
    default = default_of(attr)
    if default is None:
        return value is None
    if attr.type.kind == "char" and isinstance(value, str) and isinstance(default, str):
        return value[:1] == default[:1]
    if attr.type.kind == "date":
        try:
            return parse_date(str(value)) == parse_date(str(default))
        except ValueError:
            return False
    if isinstance(default, bool) or isinstance(value, bool):
        return value is default
    if isinstance(default, int | float) and isinstance(value, int | float):
        return float(value) == float(default)
    return value == default
