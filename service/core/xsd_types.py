"""EMF's XMLType data types (`http://www.eclipse.org/emf/2003/XMLType`) and XMLNamespace's,
built in as EMF has them, and the lexical rules of the XML Schema types behind them.

`service.core.values` is the one place the rest of the code asks about values; it hands a data
type with an `xsd` name to the functions here. The rules are XML Schema 1.0's, kept where EMF
and an XSD validator agree: a value `accepts` lets through is written by `lexical` as EMF's
`EcoreUtil.convertToString` writes it after loading it, and an XSD validator (libxml2) takes it.
Where they disagree the rule is the narrower one: names use the XML name characters of Latin-1
only (EMF checks names with XML 1.0 2nd-edition tables), years run from 0001 to 9999, and an hour
of 24 is refused (EMF moves it to the next day).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from lxml import etree

from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import TypeKind
from instancegen.service.core.xmlsafe import parse_xml

XMLTYPE_NS = "http://www.eclipse.org/emf/2003/XMLType"
XMLNAMESPACE_NS = "http://www.w3.org/XML/1998/namespace"
XSD_NS = "http://www.w3.org/2001/XMLSchema"

WhiteSpace = Literal["preserve", "replace", "collapse"]


@dataclass(frozen=True, slots=True)
class XsdType:
    """One XMLType data type: its Ecore name, its XML Schema name, the Java class EMF holds
    its values in, and what a CIM value of it is."""

    name: str  # the Ecore name, e.g. "UnsignedInt"
    xsd: str  # the XML Schema name, e.g. "unsignedInt"
    java: str  # instanceClassName
    kind: TypeKind
    int_size: str | None = None
    primitive: bool = False


_BIG = "java.math.BigInteger"
_CAL = "javax.xml.datatype.XMLGregorianCalendar"
_STR = "java.lang.String"
_LIST = "java.util.List"
_QNAME = "javax.xml.namespace.QName"
# Types held in Java objects: (Ecore name, XML Schema name, instance class, CIM kind).
_OBJECTS: tuple[tuple[str, str, str, TypeKind], ...] = (
    ("AnySimpleType", "anySimpleType", "java.lang.Object", "string"),
    ("AnyURI", "anyURI", _STR, "string"),
    ("Base64Binary", "base64Binary", "byte[]", "string"),
    ("Date", "date", _CAL, "string"),
    ("DateTime", "dateTime", _CAL, "string"),
    ("Decimal", "decimal", "java.math.BigDecimal", "decimal"),
    ("Duration", "duration", "javax.xml.datatype.Duration", "string"),
    ("ENTITIES", "ENTITIES", _LIST, "string"),
    ("ENTITIESBase", "ENTITIES_._base", _LIST, "string"),
    ("ENTITY", "ENTITY", _STR, "string"),
    ("GDay", "gDay", _CAL, "string"),
    ("GMonth", "gMonth", _CAL, "string"),
    ("GMonthDay", "gMonthDay", _CAL, "string"),
    ("GYear", "gYear", _CAL, "string"),
    ("GYearMonth", "gYearMonth", _CAL, "string"),
    ("HexBinary", "hexBinary", "byte[]", "string"),
    ("ID", "ID", _STR, "string"),
    ("IDREF", "IDREF", _STR, "string"),
    ("IDREFS", "IDREFS", _LIST, "string"),
    ("IDREFSBase", "IDREFS_._base", _LIST, "string"),
    ("Integer", "integer", _BIG, "bigint"),
    ("Language", "language", _STR, "string"),
    ("Name", "Name", _STR, "string"),
    ("NCName", "NCName", _STR, "string"),
    ("NegativeInteger", "negativeInteger", _BIG, "bigint"),
    ("NMTOKEN", "NMTOKEN", _STR, "string"),
    ("NMTOKENS", "NMTOKENS", _LIST, "string"),
    ("NMTOKENSBase", "NMTOKENS_._base", _LIST, "string"),
    ("NonNegativeInteger", "nonNegativeInteger", _BIG, "bigint"),
    ("NonPositiveInteger", "nonPositiveInteger", _BIG, "bigint"),
    ("NormalizedString", "normalizedString", _STR, "string"),
    ("NOTATION", "NOTATION", _QNAME, "string"),
    ("PositiveInteger", "positiveInteger", _BIG, "bigint"),
    ("QName", "QName", _QNAME, "string"),
    ("String", "string", _STR, "string"),
    ("Time", "time", _CAL, "string"),
    ("Token", "token", _STR, "string"),
    ("UnsignedLong", "unsignedLong", _BIG, "bigint"),
)
# Types held in Java primitives, each with its `…Object` wrapper: (Ecore name, XML Schema name,
# primitive, wrapper class, CIM kind, integer size).
_PRIMITIVES: tuple[tuple[str, str, str, str, TypeKind, str | None], ...] = (
    ("Boolean", "boolean", "boolean", "java.lang.Boolean", "bool", None),
    ("Byte", "byte", "byte", "java.lang.Byte", "int", "byte"),
    ("Double", "double", "double", "java.lang.Double", "float", None),
    ("Float", "float", "float", "java.lang.Float", "float", None),
    ("Int", "int", "int", "java.lang.Integer", "int", "int"),
    ("Long", "long", "long", "java.lang.Long", "int", "long"),
    ("Short", "short", "short", "java.lang.Short", "int", "short"),
    ("UnsignedByte", "unsignedByte", "short", "java.lang.Short", "int", "short"),
    ("UnsignedInt", "unsignedInt", "long", "java.lang.Long", "int", "long"),
    ("UnsignedShort", "unsignedShort", "int", "java.lang.Integer", "int", "int"),
)
_TYPES: tuple[XsdType, ...] = (
    *(XsdType(n, x, java, kind) for n, x, java, kind in _OBJECTS),
    *(XsdType(n, x, prim, kind, size, primitive=True) for n, x, prim, _, kind, size in _PRIMITIVES),
    *(
        XsdType(f"{n}Object", f"{x}:Object", wrapper, kind, size)
        for n, x, _, wrapper, kind, size in _PRIMITIVES
    ),
)
XMLTYPE: dict[str, XsdType] = {t.name: t for t in _TYPES}
BY_XSD_NAME: dict[str, XsdType] = {t.xsd: t for t in _TYPES}

# XMLNamespace's data types: `xml:lang` (a language or ""), `xml:space` (an enum).
XMLNAMESPACE: dict[str, XsdType] = {
    "LangType": XsdType("LangType", "language", _STR, "string"),
    "LangTypeNull": XsdType("LangTypeNull", "language", _STR, "string"),
}
SPACE_LITERALS = ("default", "preserve")


def base_name(xsd: str) -> str:
    """The XML Schema type whose rules a type follows (`int:Object` and `int` alike)."""
    return xsd.split(":", 1)[0].replace("_._base", "")


def builtin_ecore(ns_uri: str) -> bytes | None:
    """The `.ecore` text of a package EMF builds in (XMLType, XMLNamespace), holding its data
    types, so references into it resolve like references into any given file."""
    if ns_uri == XMLTYPE_NS:
        types = "".join(
            f'<eClassifiers xsi:type="ecore:EDataType" name="{t.name}" '
            f'instanceClassName="{t.java}"/>'
            for t in _TYPES
        )
        return _package("type", XMLTYPE_NS, "ecore.xml.type", types)
    if ns_uri == XMLNAMESPACE_NS:
        types = (
            '<eClassifiers xsi:type="ecore:EDataType" name="LangType" '
            'instanceClassName="java.lang.String"/>'
            '<eClassifiers xsi:type="ecore:EDataType" name="LangTypeNull" '
            'instanceClassName="java.lang.String"/>'
            '<eClassifiers xsi:type="ecore:EEnum" name="SpaceType">'
            + "".join(
                f'<eLiterals name="{lit}" value="{i}"/>' for i, lit in enumerate(SPACE_LITERALS)
            )
            + "</eClassifiers>"
            '<eClassifiers xsi:type="ecore:EDataType" name="SpaceTypeObject" '
            'instanceClassName="org.eclipse.emf.common.util.Enumerator"/>'
        )
        return _package("namespace", XMLNAMESPACE_NS, "xml", types)
    return None


def _package(name: str, ns_uri: str, prefix: str, body: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<ecore:EPackage xmi:version="2.0" '
        'xmlns:xmi="http://www.omg.org/XMI" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
        f'xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="{name}" nsURI="{ns_uri}" '
        f'nsPrefix="{prefix}">{body}</ecore:EPackage>\n'
    ).encode()


# --- whitespace ----------------------------------------------------------------------------

_SPACES = re.compile(r"[ \t\n\r]+")


def whitespace(xsd: str) -> WhiteSpace:
    """The whiteSpace facet of an XML Schema type: how a processor reads its text."""
    name = base_name(xsd)
    if name in ("string", "anySimpleType"):
        return "preserve"
    if name == "normalizedString":
        return "replace"
    return "collapse"


def normalized(text: str, how: WhiteSpace) -> str:
    """`text` after the whiteSpace facet `how`, as a schema processor and EMF read it."""
    if how == "preserve":
        return text
    replaced = text.translate(_REPLACE)
    return replaced if how == "replace" else _SPACES.sub(" ", replaced).strip(" ")


_REPLACE = str.maketrans("\t\n\r", "   ")

# --- lexical spaces ------------------------------------------------------------------------

# XML name characters, kept to Latin-1 (see the module docstring).
_START = "A-Za-z_\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff"
_CHAR = _START + "0-9.\\-\u00b7"
NCNAME = f"[{_START}][{_CHAR}]*"
_NCNAME = re.compile(NCNAME)
_NAME = re.compile(f"[{_START}:][{_CHAR}:]*")
_NMTOKEN = re.compile(f"[{_CHAR}:]+")
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*")
_ZONE = r"(Z|[+-]((0[0-9]|1[0-3]):[0-5][0-9]|14:00))?"
_YEAR = r"(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})"
_TIME = r"([01][0-9]|2[0-3]):([0-5][0-9]):([0-5][0-9])(\.[0-9]+)?"
_DATE_LIKE: dict[str, re.Pattern[str]] = {
    "date": re.compile(f"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]){_ZONE}"),
    "dateTime": re.compile(f"{_YEAR}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T{_TIME}{_ZONE}"),
    "time": re.compile(f"{_TIME}{_ZONE}"),
    "gYear": re.compile(f"{_YEAR}{_ZONE}"),
    "gYearMonth": re.compile(f"{_YEAR}-(0[1-9]|1[0-2]){_ZONE}"),
    "gMonth": re.compile(f"--(0[1-9]|1[0-2]){_ZONE}"),
    "gMonthDay": re.compile(f"--(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]){_ZONE}"),
    "gDay": re.compile(f"---(0[1-9]|[12][0-9]|3[01]){_ZONE}"),
}
_DURATION = re.compile(
    r"-?P(?=[0-9T])([0-9]+Y)?([0-9]+M)?([0-9]+D)?"
    r"(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+(\.[0-9]+)?S)?)?"
)
_HEX = re.compile(r"([0-9a-fA-F]{2})*")
_B64 = re.compile(
    r"([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{3}[A-Za-z0-9+/]|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]="
    r"|[A-Za-z0-9+/][AQgw]==)?"
)
DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)")
_URI_BREAKS = re.compile(r"[\s<>\"{}|\\^`]")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")  # a `%` not starting a %XX escape
_LIST_ITEMS: dict[str, re.Pattern[str]] = {
    "NMTOKENS": _NMTOKEN,
    "IDREFS": _NCNAME,
    "ENTITIES": _NCNAME,
}
_SINGLE_TOKEN: dict[str, re.Pattern[str]] = {
    "Name": _NAME,
    "NCName": _NCNAME,
    "ID": _NCNAME,
    "IDREF": _NCNAME,
    "ENTITY": _NCNAME,
    "NMTOKEN": _NMTOKEN,
    "language": _LANGUAGE,
    "QName": _NCNAME,  # unprefixed: a prefix would need a declaration the document may lack
    "NOTATION": _NCNAME,
}
LIST_TYPES = frozenset(_LIST_ITEMS)


def text_fits(xsd: str, text: str) -> bool:
    """Whether `text`, after the type's whitespace processing, is in the type's lexical space
    (for the types a CIM holds as strings)."""
    name = base_name(xsd)
    value = normalized(text, whitespace(name))
    pattern = _SINGLE_TOKEN.get(name)
    if pattern is not None:
        return pattern.fullmatch(value) is not None
    item = _LIST_ITEMS.get(name)
    if item is not None:
        return bool(value) and all(item.fullmatch(t) for t in value.split(" "))
    dated = _DATE_LIKE.get(name)
    if dated is not None:
        return _real_date(name, dated.fullmatch(value))
    if name == "duration":
        return _DURATION.fullmatch(value) is not None and not value.endswith("T")
    if name == "hexBinary":
        return _HEX.fullmatch(value) is not None
    if name == "base64Binary":
        return _B64.fullmatch(value.replace(" ", "")) is not None
    if name == "anyURI":
        return _URI_BREAKS.search(value) is None and _BAD_ESCAPE.search(value) is None
    return True  # string, normalizedString, token, anySimpleType: any XML text


def json_pattern(xsd: str) -> str | None:
    """The lexical space of a string-held type as an anchored regular expression a JSON schema
    (and a grammar built from it) can hold, or None for free text. Looser than `text_fits`
    where a pattern cannot say it all (days per month, an empty duration)."""
    name = base_name(xsd)
    pattern = _SINGLE_TOKEN.get(name) or _DATE_LIKE.get(name)
    if pattern is not None:
        return f"^{pattern.pattern}$"
    item = _LIST_ITEMS.get(name)
    if item is not None:
        return f"^{item.pattern}( {item.pattern})*$"
    simple = {
        "duration": _DURATION.pattern.replace("(?=[0-9T])", "").replace("(?=[0-9])", ""),
        "hexBinary": _HEX.pattern,
        "base64Binary": _B64.pattern,
    }.get(name)
    return f"^{simple}$" if simple is not None else None


def _real_date(name: str, m: re.Match[str] | None) -> bool:
    """A matched date-like value whose day exists in its month (29 February in leap years)."""
    if m is None:
        return False
    if name in ("date", "dateTime"):
        year, month, day = (int(g) for g in m.groups()[:3])
    elif name == "gMonthDay":
        year, month, day = 2000, int(m.group(1)), int(m.group(2))
    else:
        return True
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def canonical_text(xsd: str, text: str) -> str:
    """A string-held value as EMF writes it once loaded: whitespace processed, hexBinary in
    upper case, base64Binary without spaces."""
    name = base_name(xsd)
    value = normalized(text, whitespace(name))
    if name == "hexBinary":
        return value.upper()
    if name == "base64Binary":
        return value.replace(" ", "")
    if name == "duration":
        return _duration_text(value)
    if name in _DATE_LIKE and value[-6:] in ("+00:00", "-00:00"):
        return value[:-6] + "Z"
    return value


_WHOLE_PART = re.compile(r"(?<![.0-9])[0-9]+")  # a number, not the digits after its point


def _duration_text(value: str) -> str:
    """A duration as EMF writes it: numbers without leading zeros, no sign on a zero."""
    if _DURATION.fullmatch(value) is None:
        return value
    text = _WHOLE_PART.sub(lambda m: m.group().lstrip("0") or "0", value)
    if text.startswith("-") and not any(c in "123456789" for c in text):
        return text[1:]
    return text


def binary_length(xsd: str, text: str) -> int:
    """The number of octets a hexBinary or base64Binary value holds."""
    value = canonical_text(xsd, text)
    if base_name(xsd) == "hexBinary":
        return len(value) // 2
    try:
        return len(base64.b64decode(value, validate=True))
    except binascii.Error:
        return 0


# --- wildcard content ------------------------------------------------------------------------


def parse_element(text: str) -> etree._Element | None:
    """The one XML element a wildcard value holds (declaring the namespaces it uses), or None
    when the text is not exactly one well-formed element."""
    if not text.lstrip().startswith("<"):
        return None
    try:
        return parse_xml(text.encode("utf-8"), "wildcard content").getroot()
    except (InputError, UnicodeEncodeError):
        return None


def element_fits(text: str, facets: Mapping[str, str]) -> bool:
    """Whether `text` is one element of a namespace the wildcard (`facets["wildcards"]`) takes."""
    from instancegen.service.core.extended_metadata import allows

    root = parse_element(text)
    if root is None or not isinstance(root.tag, str):
        return False
    namespace = etree.QName(root).namespace
    wildcards = tuple(facets.get("wildcards", "##any").split())
    return allows(wildcards, facets.get("targetNamespace", ""), namespace)


def element_text(text: str) -> str:
    """A wildcard value as it is written: the element serialized again, unchanged in meaning."""
    root = parse_element(text)
    if root is None:
        raise ValueError(f"{text[:40]!r} is not one XML element")
    return etree.tostring(root, encoding="unicode")


# --- numbers -------------------------------------------------------------------------------

INTEGER_RANGES: dict[str, tuple[int | None, int | None]] = {
    "integer": (None, None),
    "nonNegativeInteger": (0, None),
    "positiveInteger": (1, None),
    "nonPositiveInteger": (None, 0),
    "negativeInteger": (None, -1),
    "unsignedLong": (0, 2**64 - 1),
    "unsignedInt": (0, 2**32 - 1),
    "unsignedShort": (0, 2**16 - 1),
    "unsignedByte": (0, 2**8 - 1),
    "long": (-(2**63), 2**63 - 1),
    "int": (-(2**31), 2**31 - 1),
    "short": (-(2**15), 2**15 - 1),
    "byte": (-(2**7), 2**7 - 1),
}


def decimal_text(value: Any) -> str:
    """A decimal as XML Schema spells it (no exponent) and EMF writes it (`toPlainString`)."""
    d = Decimal(str(value).strip())
    if d == 0:
        d = abs(d)
    return format(d, "f")


# --- facets --------------------------------------------------------------------------------


def facet_check(
    xsd: str, facets: Mapping[str, str], kind: TypeKind
) -> Callable[[Any], bool] | None:
    """A check of the facets a derived simple type adds (`minInclusive`, `maxLength`,
    `pattern`, `enumeration`, …; ExtendedMetaData keeps them on the EDataType), or None when
    it adds none this module knows."""
    checks: list[Callable[[Any], bool]] = []
    for name, literal in facets.items():
        check = _one_facet(xsd, name, literal, kind)
        if check is not None:
            checks.append(check)
    if not checks:
        return None
    return lambda v: all(c(v) for c in checks)


_BOUNDS: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "minInclusive": lambda v, b: v >= b,
    "maxInclusive": lambda v, b: v <= b,
    "minExclusive": lambda v, b: v > b,
    "maxExclusive": lambda v, b: v < b,
}
_LENGTHS: dict[str, Callable[[int, int], bool]] = {
    "length": lambda n, b: n == b,
    "minLength": lambda n, b: n >= b,
    "maxLength": lambda n, b: n <= b,
}


def _one_facet(xsd: str, name: str, literal: str, kind: TypeKind) -> Callable[[Any], bool] | None:
    if name in _BOUNDS and kind in ("int", "bigint", "decimal", "float"):
        bound, test = _decimal(literal), _BOUNDS[name]
        if bound is None:
            return None
        return lambda v: (d := _decimal(v)) is not None and test(d, bound)
    if name in _LENGTHS and literal.strip().isdigit():
        size, test_n = int(literal), _LENGTHS[name]
        return lambda v: test_n(_length(xsd, str(v)), size)
    if name == "enumeration":
        allowed = frozenset(literal.split())
        return lambda v: canonical_text(xsd, str(v)) in allowed
    if name == "pattern":
        pattern = _python_pattern(literal)
        if pattern is None:
            return None
        return lambda v: pattern.fullmatch(canonical_text(xsd, str(v))) is not None
    if name == "totalDigits" and literal.strip().isdigit():
        most = int(literal)
        return lambda v: (d := _decimal(v)) is not None and len(d.as_tuple().digits) <= most
    if name == "fractionDigits" and literal.strip().isdigit():
        most = int(literal)
        return lambda v: (d := _decimal(v)) is not None and _fraction_digits(d) <= most
    return None


def _fraction_digits(d: Decimal) -> int:
    return max(0, -int(d.normalize().as_tuple().exponent))


def _decimal(value: Any) -> Decimal | None:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return d if d.is_finite() else None


def _length(xsd: str, text: str) -> int:
    name = base_name(xsd)
    if name in ("hexBinary", "base64Binary"):
        return binary_length(name, text)
    value = canonical_text(name, text)
    if name in LIST_TYPES:
        return len(value.split(" ")) if value else 0
    return len(value)


# XML Schema regular expressions: implicitly anchored, `\i` and `\c` the name classes.
_XSD_ESCAPES = {
    r"\i": f"[{_START}:]",
    r"\c": f"[{_CHAR}:]",
    r"\I": f"[^{_START}:]",
    r"\C": f"[^{_CHAR}:]",
}


def _python_pattern(xsd_pattern: str) -> re.Pattern[str] | None:
    """An XML Schema pattern as a Python regular expression, or None where Python reads it
    differently (`\\p{…}` classes, subtraction)."""
    if "\\p{" in xsd_pattern or "\\P{" in xsd_pattern or "-[" in xsd_pattern:
        return None
    text = xsd_pattern
    for esc, cls in _XSD_ESCAPES.items():
        text = text.replace(esc, cls)
    try:
        return re.compile(text)
    except re.error:
        return None
