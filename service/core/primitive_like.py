"""Data types named like primitives, declared without an instance class (the KM3 idiom).

Metamodels derived from KM3, most of the public zoos among them, declare their own `String`,
`Integer`, `Boolean`, `Double` … as EDataTypes with no `instanceClassName`. What their authors
mean is plain: Ecore's matching type. So the schema, the validator, the grounding and the
scorer treat such a type as that Ecore type, and the loader says so in a `normalised` warning.

EMF itself cannot: without an instance class its factory turns every text of the type into
`null`, so a value is dropped when the XMI is loaded (the attribute reads as unset) and never
saved again. `emf_note` says so for `inspect`.
"""

from __future__ import annotations

from instancegen.service.core.metamodel import Metamodel

# A lower-case type name -> the Ecore type it stands for. The object (wrapper) types, not the
# Java primitives: a type with no instance class has no intrinsic default, so 0 and false are
# values like any other, as they are for EIntegerObject and EBooleanObject.
ECORE_TYPE_OF = {
    "string": "EString",
    "integer": "EIntegerObject",
    "int": "EIntegerObject",
    "long": "ELongObject",
    "boolean": "EBooleanObject",
    "bool": "EBooleanObject",
    "double": "EDoubleObject",
    "real": "EDoubleObject",
    "float": "EFloatObject",
    "char": "ECharacterObject",
    "date": "EDate",
}


def ecore_type_for(name: str, instance_class: str | None) -> str | None:
    """The Ecore type a data type called `name` stands for when it has no instance class, or
    None (it has one, or its name is not a primitive's)."""
    if instance_class:
        return None
    return ECORE_TYPE_OF.get(name.lower())


def read_as_warning(where: str, name: str, ecore_type: str) -> str:
    """The `normalised` load warning for one such type."""
    return (
        f"normalised: {where}: data type {name!r} has no instance class; read as Ecore's "
        f"{ecore_type}."
    )


def emf_note(mm: Metamodel) -> str | None:
    """What EMF does with the values of `mm`'s primitive-like types in XMI (checked with
    EMF's own jars: its factory converts a text to `null` when the type has no instance
    class), or None when `mm` has no such type."""
    dropped = [t for t in mm.datatypes.values() if t.stands_for is not None]
    if not dropped:
        return None
    names = ", ".join(t.name for t in dropped)
    classes = ", ".join(f"{t.name}: {_JAVA_CLASS[t.stands_for or '']}" for t in dropped)
    return (
        f"EMF drops every value of {names} in XMI: with no instance class it loads each as "
        "unset, and its Diagnostician then reports a required one as missing. Give each an "
        f"instanceClassName ({classes}) to keep them."
    )


_JAVA_CLASS = {
    "EString": "java.lang.String",
    "EIntegerObject": "java.lang.Integer",
    "ELongObject": "java.lang.Long",
    "EBooleanObject": "java.lang.Boolean",
    "EDoubleObject": "java.lang.Double",
    "EFloatObject": "java.lang.Float",
    "ECharacterObject": "java.lang.Character",
    "EDate": "java.util.Date",
}
