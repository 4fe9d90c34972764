"""JSON Schema patterns as llama-cpp-python's grammar converter reads them.

The converter copies an escaped character it does not know (`\\.`, `\\@`, `\\d`) into a GBNF
string literal as it is; GBNF has no such escapes, llama.cpp then fails to parse the grammar
and the process crashes when it samples. So, before a schema becomes a grammar, each escape
outside a character class is written as a class that means the same (`\\.` as `[.]`, `\\d`
as `[0-9]`), and the shorthand classes inside one are spelled out (`[\\d.]` as `[0-9.]`).
The patterns match exactly what they matched before. A pattern using an escape no class can
say (an anchor such as `\\b`) is left out of the grammar: the value is then free while
decoding, and the validator still holds it to the pattern.

The grammar spells the answer's JSON text, not the decoded value: a negated class or a `.`
as the converter writes them would take a raw `"` as one more character of the value, so
the string never ends (or a `\\` as the start of an escape no rule finishes). Every negated
class and every `.` therefore also leaves out `"` and `\\`: such a value is written without
them.
"""

from __future__ import annotations

from typing import Any

# Escapes the converter itself turns into literals.
_CONVERTER_KNOWS = frozenset("[]()|{}*+?")
_SHORTHAND = {"d": "0-9", "w": "A-Za-z0-9_", "s": " \\t\\n\\r"}
_NEGATED = {"D": "0-9", "W": "A-Za-z0-9_", "S": " \\t\\n\\r"}
_CONTROL = {"n": "\\n", "t": "\\t", "r": "\\r"}
_CLASS_SPECIAL = frozenset("\\]^-")
_NOT_JSON = '"\\\\'  # what a negated class must also leave out: a raw quote and backslash
_ANY = f"[^{_NOT_JSON}\\n\\r]"  # `.`: any character but a line end, as JSON text allows


def grammar_ready(schema: Any) -> Any:
    """`schema` (a JSON Schema as dicts and lists) with every `pattern` rewritten by
    `grammar_pattern`, or left out where it cannot be."""
    if isinstance(schema, dict):
        ready: dict[str, Any] = {}
        for key, value in schema.items():
            if key == "pattern" and isinstance(value, str):
                pattern = grammar_pattern(value)
                if pattern is not None:
                    ready[key] = pattern
            else:
                ready[key] = grammar_ready(value)
        return ready
    if isinstance(schema, list):
        return [grammar_ready(item) for item in schema]
    return schema


def grammar_pattern(pattern: str) -> str | None:
    """`pattern` with its escapes written so that the converter makes valid GBNF of them;
    None when one of them cannot be."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            escaped = _escape(pattern[i + 1], in_class)
            if escaped is None:
                return None
            out.append(escaped)
            i += 2
            continue
        if c == "[" and not in_class:
            in_class = True
            if pattern.startswith("^", i + 1):
                out.append(f"[^{_NOT_JSON}")
                i += 2
                continue
        elif c == "]" and in_class:
            in_class = False
        elif c == "." and not in_class:
            out.append(_ANY)
            i += 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def _escape(x: str, in_class: bool) -> str | None:
    if in_class:
        return _SHORTHAND.get(x) or _CONTROL.get(x) or f"\\{x}"
    if x in _CONVERTER_KNOWS:
        return f"\\{x}"
    if x in _SHORTHAND:
        return f"[{_SHORTHAND[x]}]"
    if x in _NEGATED:
        return f"[^{_NOT_JSON}{_NEGATED[x]}]"
    if x in _CONTROL:
        return f"[{_CONTROL[x]}]"
    if x.isalnum():  # an anchor (\b) or a code point (\x41): no class says it
        return None
    return f"[\\{x}]" if x in _CLASS_SPECIAL else f"[{x}]"
