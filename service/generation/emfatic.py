"""The metamodel as compact Emfatic-like text: what the LLM reads in the prompt.

Far fewer tokens than the `.ecore` XML, and a notation LLMs have seen (Emfatic, Eclipse's
textual Ecore syntax): `val` contains, `ref` refers, `#opp` names the opposite, `[1]`/`[*]`/
`[+]`/`[2..5]` are multiplicities (none means [0..1]), `id` marks the ID attribute,
`invariant Name: expr;` an OCL rule every instance must satisfy (OCLinEcore's form). Classes
are named by their CIM key, so the prompt and the schema agree. Only features a producer may
set are shown (derived, transient, volatile and non-changeable ones are left out). For a
metamodel imported from an XML Schema, `<name>` after a class or feature is its XML element or
attribute name where that differs (`val FormattedText sT <ST>;`), so the LLM reads the domain's
own vocabulary; a comment line says so.
"""

from __future__ import annotations

import re

from instancegen.service.core.metamodel import (
    Attribute,
    DataType,
    EClassView,
    Feature,
    Invariant,
    Metamodel,
    Package,
)

# Emfatic's short names for Ecore's data types.
_ALIASES = {
    "EString": "String",
    "EBoolean": "boolean",
    "EBooleanObject": "Boolean",
    "EInt": "int",
    "EIntegerObject": "Integer",
    "ELong": "long",
    "ELongObject": "Long",
    "EShort": "short",
    "EShortObject": "Short",
    "EByte": "byte",
    "EByteObject": "Byte",
    "EChar": "char",
    "ECharacterObject": "Character",
    "EFloat": "float",
    "EFloatObject": "Float",
    "EDouble": "double",
    "EDoubleObject": "Double",
    "EBigInteger": "BigInteger",
    "EBigDecimal": "BigDecimal",
    "EDate": "Date",
    "EJavaObject": "Object",
}
# How a custom data type's values are written, by kind.
_KIND_WORDS = {
    "string": "String",
    "bool": "boolean",
    "float": "double",
    "bigint": "BigInteger",
    "decimal": "BigDecimal",
    "char": "char",
    "date": "Date",
    "object": "String",
    "other": "String",
}


XML_NOTE = "// <name>: the XML element or attribute name, where it differs"
_XML_TAG = re.compile(r" <[\w.:-]+>[; ]")


def render_metamodel(mm: Metamodel) -> str:
    """The whole metamodel, one package after another; deterministic for a given metamodel."""
    blocks = [_render_package(mm, pkg) for pkg in mm.packages]
    text = "\n\n".join(b for b in blocks if b) + "\n"
    tagged = mm.xml is not None and _XML_TAG.search(text) is not None
    return f"{XML_NOTE}\n{text}" if tagged else text


def _render_package(mm: Metamodel, pkg: Package) -> str:
    lines = [f"package {pkg.path};"]
    lines += [_render_class(mm, c) for c in mm.classes.values() if c.package == pkg]
    lines += [render_datatype(t) for t in mm.datatypes.values() if t.package == pkg.ns_uri]
    return "\n".join(lines)


def _render_class(mm: Metamodel, cls: EClassView) -> str:
    head = "interface" if cls.interface else "abstract class" if cls.abstract else "class"
    extends = f" extends {', '.join(cls.supertypes)}" if cls.supertypes else ""
    inherited = {name for sup in cls.supertypes for name in mm.classes[sup].feature_map}
    own = [
        _with_xml_name(render_feature(f), xml_feature_name(mm, cls, f.name))
        for f in cls.features
        if f.name not in inherited
    ]
    own += [render_invariant(i) for i in mm.invariants_of(cls.key)]
    tag = xml_class_name(mm, cls)
    return f"{head} {cls.key}{f' <{tag}>' if tag else ''}{extends} {{{' '.join(own)}}}"


def _with_xml_name(declaration: str, xml_name: str | None) -> str:
    return f"{declaration[:-1]} <{xml_name}>;" if xml_name else declaration


def xml_feature_name(mm: Metamodel, cls: EClassView, name: str) -> str | None:
    """The XML name of a feature where it differs from the feature's name, else None."""
    xcls = mm.xml.classes.get(cls.key) if mm.xml is not None else None
    xf = xcls.features.get(name) if xcls is not None else None
    return xf.name if xf is not None and xf.name and xf.name != name else None


def with_xml_name(description: str | None, xml_name: str | None) -> str | None:
    """A schema property's description saying the feature's XML name, where it differs."""
    if xml_name is None:
        return description
    note = f"XML name <{xml_name}>"
    return f"{description}; {note}" if description else note


def feature_xml_names(mm: Metamodel, cls: EClassView) -> dict[str, str]:
    """The class's features whose XML names differ, feature name -> XML name."""
    if mm.xml is None:
        return {}
    found = ((f.name, xml_feature_name(mm, cls, f.name)) for f in cls.features)
    return {name: xml for name, xml in found if xml}


def xml_class_name(mm: Metamodel, cls: EClassView) -> str | None:
    """The XML name of a class (an anonymous type's element name, `pou` for `pou_._type`)
    where it differs from the class name beyond letter case, else None."""
    xcls = mm.xml.classes.get(cls.key) if mm.xml is not None else None
    if xcls is None or not xcls.name:
        return None
    name = xcls.name.split("_._")[0]  # `pou_._type`, `action_._1`: anonymous types
    return name if name.lower() != cls.name.lower() else None


def render_feature(f: Feature) -> str:
    """One feature as an Emfatic declaration, e.g. `ref Person[+]#accounts owners;`."""
    if isinstance(f, Attribute):
        marker = "id attr" if f.is_id else "attr"
        default = f" = {_literal(f)}" if f.default is not None else ""
        return f"{marker} {type_name(f.type)}{multiplicity(f)} {f.name}{default};"
    keyword = "val" if f.containment else "ref"
    opposite = f"#{f.opposite}" if f.opposite else ""
    return f"{keyword} {f.target}{multiplicity(f)}{opposite} {f.name};"


def render_invariant(invariant: Invariant) -> str:
    """An OCL invariant the way OCLinEcore writes it inside its class."""
    return f"invariant {invariant.name}: {invariant.one_line};"


def type_name(t: DataType) -> str:
    """Emfatic's name for a data type: its short alias for Ecore's own, else its name."""
    return _ALIASES.get(t.name, t.name)


def _literal(f: Attribute) -> str:
    value = f.default or ""
    if f.type.kind in ("string", "char", "date", "object", "other"):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def multiplicity(f: Feature) -> str:
    """Emfatic's multiplicity: "" for [0..1], `[1]`, `[*]`, `[+]`, `[2..5]`."""
    lower, upper = f.lower, f.upper
    if (lower, upper) == (0, 1):
        return ""
    if upper == -1:
        return "[*]" if lower == 0 else "[+]" if lower == 1 else f"[{lower}..*]"
    return f"[{upper}]" if lower == upper else f"[{lower}..{upper}]"


def render_datatype(t: DataType) -> str:
    """An enum with its literals, or a custom data type with the kind of value it takes."""
    if t.kind == "enum":
        return f"enum {t.name} {{{' '.join(f'{lit};' for lit in t.literals)}}}"
    word = _KIND_WORDS.get(t.kind) or (t.int_size or "long")
    return f"datatype {t.name} : {word};"
