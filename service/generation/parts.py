"""Large answers in parts: what a cut-off answer still holds, and how parts are merged.

An answer that stops at max_tokens is not thrown away: every object completed before the cut
is kept (`salvage`), and the next call asks to continue, seeing the ids already written
(`written_ids`), until an answer ends on its own. So a 500-object model comes out of a model
whose answers hold 8k tokens, on every backend that reports a cut (finish reason `length`).
A repair answer is merged the same way: an object written replaces the one with its id, and
whatever the answer leaves out stays as it was.
"""

from __future__ import annotations

import json
from typing import Any

from instancegen.service.core.cim import Cim, CimObject

_CLOSE = {"{": "}", "[": "]"}


def salvage(text: str, *, nested: bool = False) -> dict[str, Any] | None:
    """The objects a cut-off answer completed: the text up to the last list element closed
    inside a top-level list (`{"Class": [{...}, {...` or `{"objects": [{...}, {...`), or
    with `nested` inside any list (`{"Class": [{..., "held": [{...}, {...`: the objects in
    place completed, and their containers as far as written), with the brackets still open
    closed. None when not even one element was completed."""
    stack: list[str] = []
    in_string = escaped = False
    cut: tuple[int, list[str]] | None = None
    for i, ch in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if not stack:
                return None
            stack.pop()
            if ch == "}" and (stack == ["{", "["] or (nested and stack and stack[-1] == "[")):
                cut = (i + 1, list(stack))
    if cut is None:
        return None
    end, open_ = cut
    closing = "".join(_CLOSE[c] for c in reversed(open_))
    try:
        data = json.loads(text[:end] + closing)
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def written_ids(cim: Cim) -> str:
    """The ids already written, one line per class (`Account: a1, a2`), for a continuation."""
    by_class: dict[str, list[str]] = {}
    for o in cim.objects:
        by_class.setdefault(o.class_, []).append(o.id)
    return "\n".join(f"{key}: {', '.join(ids)}" for key, ids in by_class.items())


def merge(base: Cim, part: Cim, deleted: list[str] | tuple[str, ...] = ()) -> Cim:
    """`base` with `part`'s objects in place of those with the same id (new ones appended),
    then `deleted` ids removed together with every reference to them."""
    objects: dict[str, CimObject] = {o.id: o for o in base.objects}
    for o in part.objects:
        objects[o.id] = o
    gone = set(deleted)
    if not gone:
        return Cim(objects=list(objects.values()))
    kept = []
    for o in objects.values():
        if o.id in gone:
            continue
        refs = {k: [t for t in v if t not in gone] for k, v in o.references.items()}
        kept.append(o.model_copy(update={"references": {k: v for k, v in refs.items() if v}}))
    return Cim(objects=kept)
