"""OCL's operations on values that need no evaluator: tables of names and argument counts,
and String, number and collection arithmetic, capped in size (metamodels are untrusted)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from instancegen.service.core.ocl import nodes as n
from instancegen.service.core.ocl.budget import Budget, Exhausted
from instancegen.service.core.ocl.values import (
    SET_KINDS,
    Collection,
    Invalid,
    Value,
    is_number,
    make,
    type_name,
)

MAX_STRING_CHARS = 100_000
MAX_INTEGER_BITS = 4096
PRIMITIVE_TYPES = frozenset({"Integer", "Real", "String", "Boolean", "UnlimitedNatural", "OclAny"})

# Operations by name, with the number of arguments they take.
COLLECTION_OPS: dict[str, int | tuple[int, ...]] = {
    **dict.fromkeys(("size", "isEmpty", "notEmpty", "sum", "max", "min", "first", "last"), 0),
    **dict.fromkeys(("asSet", "asOrderedSet", "asBag", "asSequence", "reverse", "flatten"), 0),
    **dict.fromkeys(("includes", "excludes", "includesAll", "excludesAll", "count"), 1),
    **dict.fromkeys(("including", "excluding", "append", "prepend", "union"), 1),
    **dict.fromkeys(("intersection", "at", "indexOf", "selectByKind", "selectByType"), 1),
}
ANY_OPS = frozenset({"oclIsKindOf", "oclIsTypeOf", "oclAsType", "toString", "allInstances"})
DOT_OPS: dict[str, int | tuple[int, ...]] = {
    **dict.fromkeys(("oclIsKindOf", "oclIsTypeOf", "oclAsType"), 1),
    **dict.fromkeys(("allInstances", "oclContainer", "toString", "size", "trim"), 0),
    **dict.fromkeys(("toUpper", "toUpperCase", "toLower", "toLowerCase", "characters"), 0),
    **dict.fromkeys(("toInteger", "toReal", "toBoolean", "abs", "floor", "round"), 0),
    **dict.fromkeys(("concat", "indexOf", "lastIndexOf", "startsWith", "endsWith"), 1),
    **dict.fromkeys(("equalsIgnoreCase", "at", "max", "min", "div", "mod"), 1),
    "substring": 2,
}


def as_collection(value: Value) -> Collection:
    """What `->` sees: a collection as it is, null as Set{}, any other value v as Set{v}."""
    if isinstance(value, Collection):
        return value
    return Collection("Set", () if value is None else (value,))


def primitive_fits(value: Value, type_name_: str) -> tuple[bool, bool]:
    """(oclIsKindOf, oclIsTypeOf) of a value for a primitive type name."""
    if type_name_ == "OclAny":
        return value is not None, False
    exact = {
        "Integer": type(value) is int,
        "Real": type(value) is float,
        "String": type(value) is str,
        "Boolean": type(value) is bool,
        "UnlimitedNatural": type(value) is int and value >= 0,
    }[type_name_]
    return exact or (type_name_ == "Real" and type(value) is int), exact


def checked_string(s: str) -> str:
    if len(s) > MAX_STRING_CHARS:
        raise Exhausted(f"it made a string longer than {MAX_STRING_CHARS:,} characters")
    return s


def checked_number(v: int | float) -> int | float:
    if type(v) is int and v.bit_length() > MAX_INTEGER_BITS:
        raise Exhausted(f"it made an integer larger than 2^{MAX_INTEGER_BITS}")
    return v


def number_op(node: n.Call, x: int | float, args: list[Value]) -> Value:
    name = node.name
    if name == "abs":
        return abs(x)
    if name in ("floor", "round"):
        if not math.isfinite(x):
            return Invalid(f"{name}() of {x} is undefined")
        return math.floor(x) if name == "floor" else math.floor(x + 0.5)
    other = args[0] if args else None
    if not is_number(other):
        return Invalid(f".{name}() needs a number, not {type_name(other)}")
    y: Any = other
    if name == "max":
        return max(x, y)
    if name == "min":
        return min(x, y)
    if name in ("div", "mod"):
        if type(x) is not int or type(y) is not int:
            return Invalid(f".{name}() needs Integers")
        if y == 0:
            return Invalid(f"{name} by zero is undefined")
        quotient = abs(x) // abs(y) * (1 if (x >= 0) == (y >= 0) else -1)
        return quotient if name == "div" else x - quotient * y
    return Invalid(f".{name}() does not apply to a number")


def _parse_string(name: str, s: str) -> Value:
    try:
        if name == "toInteger":
            return int(s.strip()) if len(s) <= 1000 else Invalid("too long for toInteger()")
        if name == "toReal":
            return float(s.strip())
    except ValueError:
        return Invalid(f"'{s[:40]}' is not a number, so {name}() fails")
    if s in ("true", "false"):
        return s == "true"
    return Invalid(f"'{s[:40]}' is not a Boolean, so toBoolean() fails")


def _substring(name: str, s: str, args: list[Value]) -> Value:
    if any(type(a) is not int for a in args):
        return Invalid(f".{name}() needs Integer positions")
    first: Any = args[0]
    last: Any = args[1] if name == "substring" else first
    if not 1 <= first <= last <= len(s):
        return Invalid(f".{name}(): positions out of range for a string of length {len(s)}")
    return s[first - 1 : last]


def aggregate(name: str, items: Iterable[Value]) -> Value:
    values = list(items)
    if any(not is_number(v) for v in values):
        bad = next(v for v in values if not is_number(v))
        return bad if isinstance(bad, Invalid) else Invalid(f"->{name}() needs numbers, "
                                                            f"not {type_name(bad)}")  # fmt: skip
    numbers: list[Any] = values
    if name == "sum":
        total = sum(numbers)
        return checked_number(total)
    if not numbers:
        return Invalid(f"->{name}() of an empty collection is undefined")
    return max(numbers) if name == "max" else min(numbers)


def sorted_by(c: Collection, values: list[Value]) -> Value:
    if all(is_number(v) for v in values) or all(type(v) is str for v in values):
        order = sorted(range(len(values)), key=lambda i: values[i])  # type: ignore[arg-type,return-value]
        kind = "OrderedSet" if c.kind in SET_KINDS else "Sequence"
        return make(kind, [c.items[i] for i in order])
    return Invalid("->sortedBy() needs numbers or strings to sort by")


def string_op(node: n.Call, s: str, args: list[Value], budget: Budget) -> Value:
    """A String operation (`size`, `concat`, `substring`, ...) on `s`."""
    name = node.name
    if name == "size":
        return len(s)
    if name in ("toUpper", "toUpperCase"):
        return s.upper()
    if name in ("toLower", "toLowerCase"):
        return s.lower()
    if name == "trim":
        return s.strip()
    if name == "characters":
        budget.tick(len(s))
        return Collection("Sequence", tuple(s))
    if name in ("toInteger", "toReal", "toBoolean"):
        return _parse_string(name, s)
    if name in ("at", "substring"):
        return _substring(name, s, args)
    other = args[0] if args else None
    if type(other) is not str:
        return Invalid(f".{name}() needs a String argument, not {type_name(other)}")
    if name == "concat":
        return checked_string(s + other)
    if name == "indexOf":
        return s.find(other) + 1
    if name == "lastIndexOf":
        return s.rfind(other) + 1
    if name == "startsWith":
        return s.startswith(other)
    if name == "endsWith":
        return s.endswith(other)
    if name == "equalsIgnoreCase":
        return s.casefold() == other.casefold()
    return Invalid(f".{name}() does not apply to a String")
