"""The one truth about attribute values, for the validator, the schema, the compilers, the
importers and the scorer alike: what a CIM value of each EDataType may be (`accepts`), how EMF
spells it (`to_lexical`, `from_lexical`), when two values are the same to EMF (`same_key`),
and EMF's idea of a default (`default_of`, `is_default`).

XMI and EMF-JSON both spell values the way `EcoreUtil.convertToString` does (Java's
`Double.toString`, `EChar` as its code point, EDate as `yyyy-MM-dd'T'HH:mm:ss.SSSZ`, enum
literals by their literal string). EMF does not save a feature whose value equals its default,
so compilers ask `is_default` before writing one, and the scorer counts an attribute set to its
default as unset.

Anything `accepts` lets through, every compiler can write and EMF can load: that is the
contract the value property tests of the test suite hold the modules to.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from instancegen.service.core import xsd_types
from instancegen.service.core.cim import Scalar, Value
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import INT_RANGES, Attribute, DataType

_INTRINSIC: dict[str, Scalar] = {"bool": False, "int": 0, "float": 0.0, "char": "\x00"}
# A date, or a date-time with an optional zone (RFC 3339 and EMF's own EDate forms): nothing
# else, whatever `datetime.fromisoformat` would take (week dates, `19751210`, a space for T).
_EMF_DATE = re.compile(
    r"^([0-9]{4}-[0-9]{2}-[0-9]{2})"
    r"(?:[Tt]([0-9]{2}:[0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?([Zz]|[+-][0-9]{2}:?[0-9]{2})?)?$"
)
DATE_EXAMPLE = "2024-05-17T09:30:00Z"
# Characters XML 1.0 cannot hold (control characters, U+FFFE/U+FFFF, lone surrogates, which
# UTF-8 cannot encode): no compiler can write a string holding one.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_BREAKS_FRAGMENT = re.compile(r"[^\S\0]|#")  # whitespace (as str.split sees it) or `#`
_JAVA_STREAM = b"\xac\xed\x00\x05"  # ObjectOutputStream's magic and version


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
    """A CIM date (see `parse_date`) in EMF's EDate form, in UTC, to the millisecond."""
    dt = parse_date(str(value))
    return f"{dt.year:04d}" + dt.strftime("-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+0000"


def parse_date(text: str) -> datetime:
    """A date (`2024-05-17`, midnight UTC) or a date-time (`2024-05-17T09:30`, seconds and
    fraction optional, zone `Z`/`+01:00`/`+0100` optional, UTC assumed), as an aware datetime
    in UTC; a ValueError for anything else, or an instant outside years 1 to 9999 in UTC."""
    m = _EMF_DATE.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a date")
    day, hm, sec, frac, zone = m.groups()
    stamp = f"{day}T{hm or '00:00'}:{sec or '00'}.{(frac or '0')[:6].ljust(6, '0')}"
    if zone and zone not in "Zz":
        zone = zone.replace(":", "")
        stamp += f"{zone[:3]}:{zone[3:]}"
    try:
        dt = datetime.fromisoformat(stamp)
        return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None


def iso_date(dt: datetime) -> str:
    """The CIM's ISO 8601 spelling of a date-time read from a model."""
    spec = "milliseconds" if dt.microsecond else "seconds"
    return dt.astimezone(UTC).isoformat(timespec=spec).replace("+00:00", "Z")


def java_serialized(text: str) -> str:
    """A string as EMF writes an EJavaObject holding it: Java's serialization of a
    `java.lang.String` (modified UTF-8 over UTF-16 units), in hexadecimal."""
    units = text.encode("utf-16-be", "surrogatepass")
    out = bytearray()
    for k in range(0, len(units), 2):
        c = (units[k] << 8) | units[k + 1]
        if 0 < c < 0x80:
            out.append(c)
        elif c < 0x800:
            out += bytes((0xC0 | c >> 6, 0x80 | c & 0x3F))
        else:
            out += bytes((0xE0 | c >> 12, 0x80 | c >> 6 & 0x3F, 0x80 | c & 0x3F))
    n = len(out)
    head = b"\x74" + n.to_bytes(2, "big") if n < 0x10000 else b"\x7c" + n.to_bytes(8, "big")
    return (_JAVA_STREAM + head + out).hex().upper()


def java_deserialized(text: str) -> str:
    """The string an EJavaObject's text holds (see `java_serialized`); a ValueError for any
    other serialized object, which a CIM cannot hold."""
    data = bytes.fromhex(text.strip())
    if data[:4] != _JAVA_STREAM or len(data) < 7 or data[4] not in (0x74, 0x7C):
        raise ValueError(f"{text[:40]!r} is not a serialized Java string")
    start = 7 if data[4] == 0x74 else 13
    body = data[start : start + int.from_bytes(data[5:start], "big")]
    units = bytearray()
    k = 0
    while k < len(body):
        b = body[k]
        if b < 0x80:
            c, k = b, k + 1
        elif b >> 5 == 0b110:
            c, k = (b & 0x1F) << 6 | body[k + 1] & 0x3F, k + 2
        else:
            c, k = (b & 0x0F) << 12 | (body[k + 1] & 0x3F) << 6 | body[k + 2] & 0x3F, k + 3
        units += c.to_bytes(2, "big")
    return units.decode("utf-16-be", "surrogatepass")


def to_lexical(value: Any, dtype: DataType) -> str:
    """A CIM value as EMF writes it in XMI (`EcoreUtil.convertToString`)."""
    kind = dtype.kind
    if isinstance(value, list | dict):
        raise InputError(f"a single {dtype.name} was expected, not {value!r}.")
    try:
        if dtype.xsd is not None:
            return _xsd_lexical(value, dtype)
        if kind == "string" or kind == "other":
            return str(value)
        if kind == "bool":
            return "true" if value is True or str(value).lower() == "true" else "false"
        if kind in ("int", "bigint"):
            return str(int(value))
        if kind == "float":
            number = float(value)
            return java_float(number) if is_single_float(dtype) else java_double(number)
        if kind == "decimal":
            return str(Decimal(str(value)))
        if kind == "char":
            return str(ord(str(value)[0])) if not isinstance(value, int) else str(value)
        if kind == "date":
            return emf_date(value)
        if kind == "enum":
            return enum_literal(str(value), dtype)
        if kind == "object" and isinstance(value, str):
            return java_serialized(value)
    except (TypeError, ValueError, ArithmeticError, IndexError):
        pass
    raise InputError(f"the value {value!r} is not a valid {dtype.name}.")


def is_single_float(dtype: DataType) -> bool:
    """A 32-bit float (Java's float): EFloat, or XML Schema's float."""
    return dtype.name in ("EFloat", "EFloatObject") or (
        dtype.xsd is not None and xsd_types.base_name(dtype.xsd) == "float"
    )


def _xsd_lexical(value: Any, dtype: DataType) -> str:
    """A value of an XML Schema type as EMF writes it once loaded (`xsd_types`)."""
    kind = dtype.kind
    if kind == "bool":
        return "true" if value is True else "false"
    if kind in ("int", "bigint"):
        return str(int(str(value).strip()))
    if kind == "float":
        number = float(value)
        return java_float(number) if is_single_float(dtype) else java_double(number)
    if kind == "decimal":
        return xsd_types.decimal_text(value)
    if kind == "enum":
        return enum_literal(str(value), dtype)
    if dtype.xsd == "#wildcard":
        return xsd_types.element_text(str(value))
    return xsd_types.canonical_text(dtype.xsd or "string", str(value))


def as_list(value: Value | None) -> list[Scalar]:
    """A many-valued attribute's values (a lone scalar, though invalid, counts as one)."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def lexical(dtype: DataType) -> Callable[[Any], str]:
    """A fast `to_lexical` for one type (compilers call it once per value)."""
    if dtype.xsd is not None:
        return lambda v: to_lexical(v, dtype)
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
    if dtype.xsd is not None:
        return _xsd_value(text, dtype)
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
    if kind == "object":
        return java_deserialized(s)
    if kind == "enum":
        if s in dtype.literal_values:
            return dtype.literals[dtype.literal_values.index(s)]
        if s in dtype.literals:
            return s
        raise ValueError(text)
    return text


def _xsd_value(text: str, dtype: DataType) -> Scalar:
    """A value of an XML Schema type read from a document, as the CIM holds it."""
    kind = dtype.kind
    s = xsd_types.normalized(text, "collapse")
    if kind == "bool":
        if s not in ("true", "false", "1", "0"):
            raise ValueError(text)
        return s in ("true", "1")
    if kind in ("int", "bigint"):
        if not _WHOLE.fullmatch(s):
            raise ValueError(text)
        return int(s)
    if kind == "float":
        return float(s)
    if kind == "decimal":
        if not xsd_types.DECIMAL.fullmatch(s):
            raise ValueError(text)
        return decimal_value(xsd_types.decimal_text(s))
    if kind == "enum":
        return from_lexical(s, replace(dtype, xsd=None))
    return text if dtype.xsd == "#wildcard" else xsd_types.canonical_text(dtype.xsd or "", text)


def reader(dtype: DataType) -> Callable[[str], Scalar] | None:
    """A fast `from_lexical` for one type (importers call it once per value); None where the
    text is the value itself (strings)."""
    kind = dtype.kind
    if dtype.xsd is not None:
        return lambda text: _xsd_value(text, dtype)
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
    if attr.type.xsd is not None and attr.type.kind == "string":
        key = same_key(attr.type)
        return isinstance(value, str) and key(value) == key(default)
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


# --- what a CIM value may be -------------------------------------------------------------

_WHOLE = re.compile(r"[+-]?[0-9]{1,4000}")  # Python's int() takes at most 4300 digits
_DECIMAL = re.compile(
    r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,9})?"
)  # Java's scale is an int


def accepts(dtype: DataType) -> Callable[[Any], bool]:
    """Whether one JSON value (never a list) is a value of `dtype`: exactly what every compiler
    writes and EMF loads back as the same value."""
    if dtype.xsd is not None:
        return _xsd_accepts(dtype)
    return _accepts(dtype)


def _accepts(dtype: DataType) -> Callable[[Any], bool]:
    kind = dtype.kind
    if kind == "string":
        return is_xml_text
    if kind == "bool":
        return lambda v: isinstance(v, bool)
    if kind == "int":
        lo, hi = INT_RANGES[dtype.int_size or "long"]
        return lambda v: type(v) is int and lo <= v <= hi
    if kind == "float":
        if is_single_float(dtype):
            return lambda v: is_number(v) and _fits_float32(v)
        return is_number
    if kind == "bigint":
        return lambda v: type(v) is int or (isinstance(v, str) and bool(_WHOLE.fullmatch(v)))
    if kind == "decimal":
        return lambda v: is_number(v) or (isinstance(v, str) and bool(_DECIMAL.fullmatch(v)))
    if kind == "char":
        return lambda v: isinstance(v, str) and len(v) == 1 and is_xml_text(v)
    if kind == "date":
        return _is_date
    if kind == "enum":
        literals = frozenset(dtype.literals)
        return lambda v: isinstance(v, str) and v in literals
    if kind == "object":
        return lambda v: isinstance(v, str) and _encodable(v)
    return lambda v: is_xml_text(v) or is_number(v)


def _xsd_accepts(dtype: DataType) -> Callable[[Any], bool]:
    """A value of an XML Schema type: the JSON type of its kind, in the type's lexical space
    and value range, and within the facets a derived type adds."""
    xsd = dtype.xsd or ""
    facets = dict(dtype.facets)
    if xsd == "#wildcard":
        return lambda v: is_xml_text(v) and xsd_types.element_fits(v, facets)
    if xsd == "#text":
        return is_xml_text
    ranged = _xsd_lexical_space(dtype, xsd)
    extra = xsd_types.facet_check(xsd, facets, dtype.kind)
    if extra is None:
        return ranged
    return lambda v: ranged(v) and extra(v)


def _xsd_lexical_space(dtype: DataType, xsd: str) -> Callable[[Any], bool]:
    """The check of an XML Schema type before facets: JSON type, lexical space, range."""
    kind = dtype.kind
    if kind in ("int", "bigint"):
        lo, hi = xsd_types.INTEGER_RANGES.get(xsd_types.base_name(xsd), (None, None))
        base = _accepts(replace(dtype, xsd=None))

        def in_range(v: Any) -> bool:
            return base(v) and (lo is None or int(v) >= lo) and (hi is None or int(v) <= hi)

        return in_range
    if kind == "decimal":
        return lambda v: (
            is_number(v) or (isinstance(v, str) and xsd_types.DECIMAL.fullmatch(v) is not None)
        )
    if kind == "string":
        return lambda v: is_xml_text(v) and xsd_types.text_fits(xsd, v)
    return _accepts(dtype)


def _encodable(v: str) -> bool:
    try:
        v.encode("utf-16-be", "surrogatepass")
    except UnicodeEncodeError:
        return False
    return True


def is_xml_text(v: Any) -> bool:
    """A string XML 1.0 can hold (and UTF-8 encode); printable text needs no closer look."""
    return type(v) is str and (v.isprintable() or NOT_XML.search(v) is None)


def is_number(v: Any) -> bool:
    """A finite JSON number (booleans are not numbers)."""
    t = type(v)
    if t is float:
        return math.isfinite(v)
    return t is int and -sys.float_info.max <= v <= sys.float_info.max


def _fits_float32(v: float) -> bool:
    """Whether a 32-bit float holds `v` (rounded to the nearest, as Java's cast does)."""
    try:
        return math.isfinite(struct.unpack("f", struct.pack("f", v))[0])
    except OverflowError:
        return False


def _is_date(v: Any) -> bool:
    if not isinstance(v, str):
        return False
    if len(v) == 10 and v[4] == v[7] == "-" and v.isascii():  # a plain date, the usual case
        try:
            return v[:4].isdigit() and bool(date.fromisoformat(v))
        except ValueError:
            return False
    try:
        parse_date(v)
    except ValueError:
        return False
    return True


def same_key(dtype: DataType) -> Callable[[Any], Any]:
    """What makes two accepted values the same value to EMF (`1` and `1.0` for an EDouble,
    two spellings of one instant for an EDate): their text as EMF writes it; for the types
    whose JSON values are equal exactly when EMF's are, the value itself (cheaper)."""
    if dtype.kind in ("string", "int", "bool", "char") and dtype.xsd is None:
        return _itself
    return lexical(dtype)


def _itself(v: Any) -> Any:
    return v


# --- iD values and references ------------------------------------------------------------


def resolvable_fragment(text: str) -> bool:
    """Whether EMF's `Resource.getEObject` finds an object by `text` as its URI fragment and
    XMI's IDREFS keep it whole: not empty, no whitespace (IDREFS split there), no `#` (a link
    into another document), no leading `/` (a path) and no trailing `?` (a query EMF strips).
    Compilers point at an object whose iD value breaks this by its containment path instead."""
    return (
        bool(text)
        and text.split() == [text]
        and "#" not in text
        and text[0] != "/"
        and text[-1] != "?"
    )


def all_resolvable(texts: list[str]) -> bool:
    """`resolvable_fragment` of every text, in a few passes over one joined string (compilers
    ask it of every iD value in a model)."""
    joined = "\0" + "\0".join(texts) + "\0"
    return (
        "\0\0" not in joined
        and _BREAKS_FRAGMENT.search(joined) is None
        and "\0/" not in joined
        and "?\0" not in joined
    )


def id_value_problem(text: str) -> str | None:
    """Why EMF cannot look an object up by this iD value (`Resource.getEObject`, which its
    Diagnostician calls for every object with an ID), or None when it can: a leading `/`
    reads as a containment path, and `…?…?` loses its tail as a query."""
    if text.startswith("/"):
        return "it starts with '/', so EMF reads it as a containment path"
    if text.endswith("?") and text.rfind("?", 0, len(text) - 1) > 0:
        return "it ends in '?' after another '?', so EMF cuts it there as a query"
    return None


def is_external(target: str) -> bool:
    """A reference target naming an object in another document (`other.xmi#frag`, optionally
    after the target's class and a space), not a CIM object id."""
    return "#" in target


def external_parts(target: str) -> tuple[str | None, str]:
    """An external target split into (class key or None, URI)."""
    head, _, uri = target.rpartition(" ")
    return (head or None), uri
