"""OCL's run-time values, and the equality and ordering OCL gives them.

Primitive values are plain Python (`None` is OCL's null, `bool`, `int`, `float`, `str`);
objects, enum literals, types, collections and `invalid` get small immutable wrappers.
`bool` is never treated as a number here, although Python would.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

SET_KINDS = frozenset({"Set", "OrderedSet"})
ORDERED_KINDS = frozenset({"Sequence", "OrderedSet"})


@dataclass(frozen=True, slots=True)
class Invalid:
    """OCL's `invalid`, with why it arose (navigation from null, division by zero, ...)."""

    reason: str


@dataclass(frozen=True, slots=True)
class Obj:
    """An object of the instance model, by its position in the CIM."""

    index: int


@dataclass(frozen=True, slots=True)
class EnumValue:
    enum: str
    literal: str


@dataclass(frozen=True, slots=True)
class TypeValue:
    """A type named in an expression: a class key, an enum name or a primitive type name."""

    name: str
    kind: str  # "class" | "enum" | "primitive"


@dataclass(frozen=True, slots=True)
class Collection:
    kind: str  # Set, OrderedSet, Bag, Sequence
    items: tuple[Value, ...]


Value = None | bool | int | float | str | Obj | EnumValue | TypeValue | Collection | Invalid


def is_number(v: Value) -> bool:
    return type(v) is int or type(v) is float


def key(v: Value) -> Any:
    """A hashable stand-in with OCL's equality: 1 = 1.0, true <> 1, sets ignore order."""
    t = type(v)
    if v is None:
        return ("null",)
    if t is bool:
        return ("b", v)
    if t is int or t is float or t is str:
        return ("v", v)
    if isinstance(v, Collection):
        keys = [key(i) for i in v.items]
        if v.kind == "Set":
            return ("c", "Set", frozenset(keys))
        if v.kind == "Bag":
            return ("c", "Bag", frozenset(Counter(keys).items()))
        return ("c", v.kind, tuple(keys))
    return v  # Obj, EnumValue, TypeValue compare as dataclasses


def make(kind: str, items: Sequence[Value]) -> Collection:
    """A collection of `kind`, duplicates dropped for the set kinds (first occurrence kept)."""
    if kind in SET_KINDS:
        seen: set[Any] = set()
        unique = []
        for item in items:
            k = key(item)
            if k not in seen:
                seen.add(k)
                unique.append(item)
        return Collection(kind, tuple(unique))
    return Collection(kind, tuple(items))


def type_name(v: Value) -> str:
    """OCL's name for a value's type, for messages."""
    if v is None:
        return "null"
    if type(v) is bool:
        return "Boolean"
    if type(v) is int:
        return "Integer"
    if type(v) is float:
        return "Real"
    if type(v) is str:
        return "String"
    if isinstance(v, Collection):
        return v.kind
    if isinstance(v, EnumValue):
        return v.enum
    if isinstance(v, Invalid):
        return "invalid"
    if isinstance(v, TypeValue):
        return "a type"
    return "an object"


def show(v: Value, name_of: Callable[[int], str] | None = None, limit: int = 60) -> str:
    """A value as OCL would write it, shortened for messages; objects by their CIM id."""
    if v is None:
        text = "null"
    elif type(v) is bool:
        text = "true" if v else "false"
    elif type(v) is str:
        text = "'" + v.replace("'", "\\'") + "'"
    elif isinstance(v, EnumValue):
        text = f"{v.enum}::{v.literal}"
    elif isinstance(v, Collection):
        text = f"{v.kind}{{{', '.join(show(i, name_of, limit) for i in v.items[:6])}"
        text += ", …}" if len(v.items) > 6 else "}"
    elif isinstance(v, Invalid):
        text = "invalid"
    elif isinstance(v, TypeValue):
        text = v.name
    elif isinstance(v, Obj):
        text = name_of(v.index) if name_of else f"object #{v.index}"
    else:
        text = repr(v)
    return text if len(text) <= limit else text[: limit - 1] + "…"
