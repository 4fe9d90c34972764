"""How a text names a metamodel element: a class or a feature said by the words of its name
("part number" for `partNumber`, "invited papers" for `Invited_Paper`, "a navigator" for
NAVIGATOR, "member no" for `memberNo`), in any case, singular or plural. Plain English word
matching, shared by the metamodel slicing and the two-phase strategy's spec reading.
"""

from __future__ import annotations

import re

# Short last words of a feature's name that are no unit (`memberNo`, `partNr`, `vlanId`).
_NUMBERING = frozenset(("id", "no", "nr"))
_NUMBER_CUES = frozenset(("no", "nr", "number"))  # what a spec says for "no" or "nr"
ALPHA = re.compile(r"[A-Za-z]+")
_NAME_PART = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
ALNUM = re.compile(r"[A-Za-z]+|\d+")  # a name's words and its numbers ("C121": c, 121)


def cue_words(name: str) -> list[str]:
    """A feature's name as the words a spec uses for it: `partNumber` → part number,
    `cycleTimeMs` → cycle time (a trailing unit is dropped; "id", "no" and "nr" are kept:
    `memberNo` is "member no", not any "member")."""
    words = name_words(name)
    while len(words) > 1 and len(words[-1]) <= 2 and words[-1] not in _NUMBERING:
        words = words[:-1]
    return words


def says(text: str, name: str, *, strict: bool = False) -> bool:
    """Whether `text` uses the words of `name` (an enum literal like COASTAL_PILOTAGE, or a
    feature's name) in a row, in any case ("in coastal pilotage", "a navigator"). A literal, or
    any name when `strict`, is said as itself ("manager" is no "management")."""
    cue = name.lower().split("_") if name.isupper() else cue_words(name)
    return said(text, cue, strict=strict or name.isupper())


def name_words(name: str) -> list[str]:
    """Every word and number of a name, lower-case: `Invited_Paper`, `invitedPaper` and
    `INVITED_PAPER` → invited paper, `C121` → c 121, `IfcWall` → ifc wall."""
    return [w.lower() for w in _NAME_PART.findall(name)]


def said(
    text: str, cue: list[str], *, strict: bool = False, tokens: re.Pattern[str] = ALPHA
) -> bool:
    """Whether `text` says the words `cue` in a row (each as in `same_word`; when `strict`,
    as itself, singular or plural, or a word it begins that has four letters or more);
    `tokens` are what counts as a word of `text` (letters; `ALNUM`: numbers too)."""
    literal = strict
    words = [w.lower() for w in tokens.findall(text)]
    return any(
        all(
            same_word(c, words[i + j], literal)
            or (literal and len(c) >= 4 and words[i + j].startswith(c))
            for j, c in enumerate(cue)
        )
        for i in range(len(words) - len(cue) + 1)
    )


def same_word(cue: str, word: str, strict: bool = False) -> bool:
    """Whether spec `word` says cue word `cue` ("named" for name, "weighs" for weight,
    "number" for no);
    `strict`: only as the same word, singular or plural."""
    if singular(word) == singular(cue) or {cue, word} <= _NUMBER_CUES:
        return True
    if strict:
        return False
    if len(cue) >= 4 and word.startswith(cue):
        return True
    return len(cue) >= 5 and len(word) >= 5 and cue[:5] == word[:5]


def singular(word: str) -> str:
    word = word.replace("-", "").replace("_", "")
    for plural, single in (("ies", "y"), ("sses", "ss"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(plural):
            return word[: -len(plural)] + single
    if word.endswith(("xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
