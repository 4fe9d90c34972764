"""A spec's layout as sentences: markdown tables, bullet lists, nested outlines and numbered
requirements become one sentence per record, so that the rules reading prose
(`two_phase.spec_facts`) read them too. Plain prose passes through unchanged.

- A table row is a record of column → value: "| ferry | tonnage |" over "| Aurora | 900 |"
  reads "ferry Aurora tonnage 900."
- An outline item is a record; a nested "key: value" item belongs to the record of its parent
  ("- Ferry: Borea" over "  - tonnage: 1200" reads "Ferry: Borea tonnage: 1200."), and any
  other nested item is a record of its own that inherits its parent's heading ("Ferries:"
  over "- Aurora" reads "Ferries: Aurora.").
- Bullet marks and requirement labels ("R5.", "REQ-2:", "3.") are no values: they go.

A sentence that opens with "he", "she", "his" or "her" right after one that opens with a name
says more of that name: the two are read as one sentence (`with_pronouns`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from instancegen.service.generation.two_phase.spec_words import STOP

_BULLET = re.compile(r"^(\s*)(?:[-*+•]|\d{1,3}[.)]|[a-z][.)])\s+(.*)$")
# A requirement's label where a line or a sentence starts: "R5. ", "REQ-2: ", "FR-1) ".
_LABEL = re.compile(r"(?m)(?:^|(?<=[.!?] ))[ \t]*[A-Z]{1,4}-?\d{1,3}(?:\.\d{1,3})*[.:)][ \t]+")
_KEY_VALUE = re.compile(r"^[A-Za-z][\w ()%/-]{0,40}:\s+\S")
_TABLE_RULE = re.compile(r"^\|?[\s:|-]+\|?$")
_END = re.compile(r"[.!?;:]$")
# A sentence opening with a person's pronoun, and the sentence before it.
_PRONOUN = re.compile(r"(?<=[\w)\"”])\.(?:[ \t]+|[ \t]*\n[ \t]*)(He|She|His|Her)\b")
_SENTENCE_START = re.compile(r"(?:^|(?<=[.!?])\s+|\n)(?=\S)")


@dataclass
class _Item:
    text: str
    depth: int
    children: list[_Item] = field(default_factory=list)


def as_sentences(spec: str) -> str:
    """`spec` with its tables, outlines and labels written as one sentence per record."""
    lines = _LABEL.sub("", spec).split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i].lstrip().startswith("|"):
            j = i
            while j < len(lines) and lines[j].lstrip().startswith("|"):
                j += 1
            out.extend(_table(lines[i:j]))
        elif _BULLET.match(lines[i]):
            j = i
            while j < len(lines) and (_BULLET.match(lines[j]) or _continues(lines, j)):
                j += 1
            heading = out.pop().strip() if out and out[-1].rstrip().endswith(":") else ""
            out.extend(_outline(lines[i:j], heading))
        else:
            out.append(lines[i])
            j = i + 1
        i = j
    return "\n".join(out)


def _continues(lines: list[str], j: int) -> bool:
    """Whether line `j` is an indented continuation of the outline item above it."""
    return bool(lines[j].strip()) and lines[j].startswith((" ", "\t"))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> list[str]:
    """A markdown table's rows, each a sentence of its header's words and its values."""
    rows = [_cells(line) for line in lines if not _TABLE_RULE.match(line.strip())]
    if len(rows) < 2:
        return [" ".join(c for r in rows for c in r)]
    header, body = [h.lower() for h in rows[0]], rows[1:]
    return [
        _sentence(" ".join(f"{h} {v}".strip() for h, v in zip(header, row, strict=False) if v))
        for row in body
    ]


def _outline(lines: list[str], heading: str) -> list[str]:
    """An outline's items as records (see the module's docstring), under `heading` (the line
    ending in ":" above it, or "")."""
    roots: list[_Item] = []
    stack: list[_Item] = []
    for line in lines:
        m = _BULLET.match(line)
        if m is None:  # a continuation of the item above
            if stack:
                stack[-1].text += " " + line.strip()
            continue
        item = _Item(m.group(2).strip(), len(m.group(1).expandtabs(4)))
        while stack and stack[-1].depth >= item.depth:
            stack.pop()
        (stack[-1].children if stack else roots).append(item)
        stack.append(item)
    records: list[str] = []
    for item in roots:
        _records(item, heading, records)
    return records


def _records(item: _Item, heading: str, records: list[str]) -> None:
    """`item`'s record (with its key: value children), then its other children's."""
    own = [c for c in item.children if _KEY_VALUE.match(c.text)]
    text = f"{heading} {item.text}".strip()
    parts = [text.rstrip(":") if own else text, *(_flat(c) for c in own)]
    if not (item.text.endswith(":") and len(own) < len(item.children)):
        records.append(_sentence(" ".join(parts)))
    lead = text if item.text.endswith(":") else ""
    for child in item.children:
        if child not in own:
            _records(child, lead, records)


def _flat(item: _Item) -> str:
    """A key: value item with everything nested under it, as one phrase."""
    return " ".join([item.text.rstrip(".;"), *(_flat(c) for c in item.children)])


def _sentence(text: str) -> str:
    return text if _END.search(text) and not text.endswith(":") else text.rstrip(":") + "."


def with_pronouns(text: str) -> str:
    """`text` with a sentence opening with "he", "she", "his" or "her" joined to the sentence
    before it when that one opens with a name ("Ida Moss joined in 2001. She is a navigator."
    reads "Ida Moss joined in 2001, and she is a navigator."): what it says is the name's.
    Joined sentences chain: a third such sentence joins the two."""
    while True:
        for m in _PRONOUN.finditer(text):
            starts = [s.end() for s in _SENTENCE_START.finditer(text, 0, m.start())]
            first = text[starts[-1] if starts else 0 : m.start()].split()
            if first and first[0][:1].isupper() and first[0].lower() not in STOP:
                text = f"{text[: m.start()]}, and {m.group(1).lower()}{text[m.end() :]}"
                break
        else:
            return text
