"""Lists that do not go round in circles while a GGUF model writes a JSON answer.

A small model that has written a list's element tends to write it again, and again: the
element just written is the likeliest continuation of itself, and the grammar cannot tell a
copy from a new element. A copy carries nothing (it is dropped, or renamed into an object the
spec never described), yet each costs its tokens: a loop can double an answer's length.

So a logits processor follows the answer's JSON and, where a list's object element is about
to end as a byte-for-byte copy of an object element written before (whitespace outside
strings aside), lowers the tokens that would go on to another element (a `,` after the
closing braces): the list closes and the answer moves on. One copy is still written (it is
known to be one only once complete). Where the grammar makes the list go on all the same (it
holds as many elements as the spec states), each later element's leading value (an object's
id, in the answers of this package) is steered off the ones the list already holds, so that
the elements the grammar asks for are new ones. Both are penalties, never bans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from instancegen.service.backends.local_steering import PENALTY, lower_spelling, token_texts

MOST_CLOSED = 4  # braces one token may close before its comma (`}}},` and the like)
_SPACE = frozenset(b" \t\r\n")
_QUOTE, _BACKSLASH, _COLON, _COMMA = 0x22, 0x5C, 0x3A, 0x2C
_OPEN_OBJECT, _OPEN_LIST = 0x7B, 0x5B
_CLOSERS = frozenset(b"}]")


@dataclass
class _Open:
    """An open `{` or `[`: where it began in the text, and for a list, the leading values
    of its elements and whether it went on after a copy; for an object, how many of its
    keys and values have begun."""

    kind: int
    start: int
    leading: set[bytes] = field(default_factory=set)
    forced: bool = False
    parts: int = 0  # 0: before the first key; 1: in it; 2: in its string value; 3+: past


class Elements:
    """A JSON text followed byte by byte: the object elements of lists it holds (whitespace
    outside strings left out), whether closing `k` braces now would end one that repeats an
    earlier one, and the leading value being written in a list that went on after a copy."""

    def __init__(self) -> None:
        self._text = bytearray()  # the text so far without whitespace outside strings
        self._open: list[_Open] = []
        self._string: int | None = None  # where the open string's text began
        self._escaped = False
        self._leading: _Open | None = None  # the list whose element's leading value is open
        self._seen: set[bytes] = set()
        self._last_repeated = False  # the last thing written closed a repeated element

    def feed(self, data: bytes) -> None:
        for byte in data:
            if self._string is not None:
                self._in_string(byte)
            elif byte not in _SPACE:
                self._outside(byte)

    def _in_string(self, byte: int) -> None:
        self._text.append(byte)
        if self._escaped:
            self._escaped = False
        elif byte == _BACKSLASH:
            self._escaped = True
        elif byte == _QUOTE:
            if self._leading is not None:
                self._leading.leading.add(bytes(self._text[self._string : -1]))
            self._string, self._leading = None, None

    def _outside(self, byte: int) -> None:
        repeated, self._last_repeated = self._last_repeated, False
        self._text.append(byte)
        top = self._open[-1] if self._open else None
        if byte == _QUOTE:
            self._string = len(self._text)
            if top is not None and top.kind == _OPEN_OBJECT:
                top.parts += 1
                if top.parts == 2 and self._holder_is_list(1):
                    self._leading = self._open[-2]
        elif byte in (_OPEN_OBJECT, _OPEN_LIST):
            self._open.append(_Open(byte, len(self._text) - 1))
        elif byte == _COMMA and top is not None and top.kind == _OPEN_LIST and repeated:
            top.forced = True
        elif byte in (_COLON, _COMMA):
            if top is not None and top.kind == _OPEN_OBJECT and top.parts < 2:
                top.parts = 1 if byte == _COLON else 3  # a value follows; past the first
        elif byte in _CLOSERS and top is not None:
            self._open.pop()
            if top.kind == _OPEN_OBJECT and self._holder_is_list(0):
                element = bytes(self._text[top.start :])
                self._last_repeated = element in self._seen
                self._seen.add(element)

    def _holder_is_list(self, depth: int) -> bool:
        """Whether the container `depth` places below the innermost open one is a list."""
        return len(self._open) > depth and self._open[-1 - depth].kind == _OPEN_LIST

    def repeats_after(self, closed: int) -> bool:
        """Whether `closed` more `}` (none: what is written already) end a list's object
        element that repeats an earlier one."""
        if closed == 0:
            return self._last_repeated
        if self._string is not None or len(self._open) <= closed:
            return False
        inner = self._open[-closed:]
        if any(o.kind != _OPEN_OBJECT for o in inner) or self._open[-closed - 1].kind != _OPEN_LIST:
            return False
        return bytes(self._text[inner[0].start :]) + b"}" * closed in self._seen

    def leading_to_avoid(self) -> tuple[str, tuple[str, ...]] | None:
        """Inside the leading value of an element of a list that went on after a copy: the
        value so far and the leading values the list's elements already have (as JSON
        spells them)."""
        held = self._leading
        if held is None or not held.forced or self._string is None:
            return None
        so_far = bytes(self._text[self._string :]).decode("utf-8", errors="ignore")
        return so_far, tuple(v.decode("utf-8", errors="ignore") for v in held.leading)


def closing_repeats(llm: Any) -> Any:
    """A logits processor for `llm` that makes a list close after an element repeating an
    earlier one, instead of going on to the next."""
    going_on = _going_on(llm)
    elements = Elements()
    seen: int | None = None  # tokens of the prompt and answer followed so far

    def steer(input_ids: Any, scores: Any) -> Any:
        nonlocal seen
        if seen is not None:
            elements.feed(llm.detokenize([int(t) for t in input_ids[seen:]]))
        seen = len(input_ids)
        for closed, tokens in enumerate(going_on):
            if tokens and elements.repeats_after(closed):
                scores[tokens] -= PENALTY
        writing = elements.leading_to_avoid()
        if writing is not None:
            lower_spelling(llm, scores, *writing)
        return scores

    return steer


@lru_cache(maxsize=4)
def _going_on(llm: Any) -> tuple[list[int], ...]:
    """`llm`'s tokens that go on to a next element, by how many `}` they close first: entry
    `k` holds those whose text is `k` closing braces, then a comma (whitespace allowed)."""
    found: list[list[int]] = [[] for _ in range(MOST_CLOSED + 1)]
    for token, spelled in enumerate(token_texts(llm)):
        text = bytes(b for b in spelled if b not in _SPACE)
        braces = len(text) - len(text.lstrip(b"}"))
        if braces <= MOST_CLOSED and text[braces : braces + 1] == b",":
            found[braces].append(token)
    return tuple(found)
