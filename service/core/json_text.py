"""Text on its way out as UTF-8: JSON documents whatever strings they hold, and what is sent
to an LLM."""

from __future__ import annotations

import re

from instancegen.service.core.errors import InputError

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_json(text: str) -> bytes:
    """`text` (JSON written with `ensure_ascii=False`) as UTF-8. A lone surrogate, which JSON
    can hold but UTF-8 cannot encode, is written as its escape (`\\ud800`): the document then
    reads back as the same string."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")


def surrogate_problem(text: str) -> str | None:
    """Where `text` holds a lone surrogate, which no request to an LLM can carry (a
    command-line argument holds one for every byte that is not UTF-8), or None."""
    found = _SURROGATE.search(text)
    if found is None:
        return None
    return (
        f"holds a lone surrogate (U+{ord(found.group()):04X}) at character {found.start() + 1}, "
        "which cannot be sent to an LLM; write it as UTF-8 text"
    )


def check_sendable(text: str, what: str) -> None:
    """An InputError when `text` (a spec, a change request) holds a lone surrogate."""
    problem = surrogate_problem(text)
    if problem is not None:
        raise InputError(f"{what} {problem}.")
