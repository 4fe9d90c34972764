"""JSON documents as UTF-8 bytes, whatever strings they hold."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_json(text: str) -> bytes:
    """`text` (JSON written with `ensure_ascii=False`) as UTF-8. A lone surrogate, which JSON
    can hold but UTF-8 cannot encode, is written as its escape (`\\ud800`): the document then
    reads back as the same string."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text).encode("utf-8")
