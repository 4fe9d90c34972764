"""How a specification's words refer to a metamodel's classes: the nouns that stand for each,
where they stand, and the counts it states of a class ("two ferries", "fourteen pilots", "no
tugs"), over the word matching of `generation.naming`. Shared by the value reading
(`two_phase.spec_values`) and the spec's facts (`two_phase.spec_facts`); nothing here knows a
metamodel's names beyond what it is given.
"""

from __future__ import annotations

import re

from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.naming import cue_words, same_word, singular

WORD_NUMBERS = (  # "fourteen pilots": counts a spec spells out
    *"one two three four five six seven eight nine ten eleven twelve thirteen".split(),  # noqa: SIM905
    *"fourteen fifteen sixteen seventeen eighteen nineteen twenty".split(),  # noqa: SIM905
)
# Function words and titles ("Dr. Moss") that open a sentence or a phrase without being
# part of a name.
_FUNCTION_WORDS = (
    "a an the this that these those each every its their his her our my your it he she they we "
    "i in on at of for to from by with and or but as is are was were be has have had no not "
    "there here when where which who whose both all some any also then after before "
    "dr mr mrs ms prof"
)
STOP = frozenset(_FUNCTION_WORDS.split()) | frozenset(WORD_NUMBERS[:10])
PREPOSITIONS = frozenset("by of from to with for at in on into onto under over via".split())  # noqa: SIM905
COUNT = re.compile(
    r"(?<![\w\-/.:])(\d+|no|" + "|".join(WORD_NUMBERS) + r")\s+(?=[a-z])", re.IGNORECASE
)
# A key and a number as its whole value: "Ferries: 2." (a count when the key names a class).
_KEYED = re.compile(
    r"(?<![\w-])([A-Za-z][A-Za-z ]{0,30}):\s*(\d+|" + "|".join(WORD_NUMBERS) + r")\s*(?=[.,;\n]|$)",
    re.IGNORECASE,
)
_ORDINALS = tuple("second third fourth fifth sixth seventh eighth ninth tenth".split())  # noqa: SIM905
_ORDINAL = re.compile(r"\b(" + "|".join(_ORDINALS) + r")\s+(?=[a-z])", re.IGNORECASE)
_RELATIVE = re.compile(r"\b(who|which|whose|whom)\b", re.IGNORECASE)
PHRASE_WORD = re.compile(r"\s*([A-Za-z][\w-]*)")
# A number after these is no count of its own: it refers back ("the two crews") or bounds
# ("at most 3 crossings", "up to 4 berths").
_ANAPHORA = re.compile(
    r"\b(the|these|those|both|all|other|of|most|least|than|to|max|maximum|min|minimum)\s+$",
    re.IGNORECASE,
)


def class_cues(mm: Metamodel) -> list[tuple[list[str], str]]:
    """The words that name each concrete class: its own name, a containment reference's name
    for its single concrete target, an abstract class's name for its single subclass."""
    return [(cue_words(noun), key) for noun, key in class_nouns(mm, raw=True).items()]


def cue_positions(words: list[tuple[int, int, str]], cue: list[str]) -> dict[int, int]:
    """Where a class's name stands in the spec's words: first word index → words long."""
    n = len(cue)
    return {
        i: n
        for i in range(len(words) - n + 1)
        if all(same_word(c, words[i + j][2], True) for j, c in enumerate(cue))
    }


def class_counts(mm: Metamodel, spec: str) -> dict[str, int]:
    """Objects per concrete class that `spec` states: "two ferries", "three pilots" (a
    containment reference's name), "no tugs". Counts of one class in several sentences
    add up ("Vik Line has two ferries ... Ostby Line has two ferries"); a number after
    "the", "these", "both", "other" or "of" refers back to a count already given, one after
    "at most", "up to" and the like is a bound, and a "no" in a relative clause ("who has no
    licence") or after a preposition ("on no route") is one object's: all are skipped. An
    ordinal beyond a class's count ("one crossing ... a second crossing") shows the
    counts were not totals: that class's is dropped. A class's name as a key with a number
    as its value ("Ferries: 2", "ports: four") is a count too. A count of a class with several
    concrete subclasses says nothing about each and is left out."""
    nouns = class_nouns(mm)
    counts: dict[str, int] = {}
    for m in COUNT.finditer(spec):
        if _ANAPHORA.search(spec[max(0, m.start() - 10) : m.start()]):
            continue
        word = m.group(1).lower()
        clause = re.split(r"[,;:.()]", spec[max(0, m.start() - 40) : m.start()])[-1]
        last = clause.split()[-1].lower() if clause.split() else ""
        if word == "no" and (_RELATIVE.search(clause) or last in PREPOSITIONS):
            continue  # "Ida, who has no licence", "a crossing on no route": one object's
        n = 0 if word == "no" else int(word) if word.isdigit() else WORD_NUMBERS.index(word) + 1
        key = _noun_class(nouns, phrase_words(spec, m.end()))
        if key is not None:
            counts[key] = counts.get(key, 0) + n
    for m in _KEYED.finditer(spec):  # "Ferries: 2", "ports: four"
        words = m.group(1).split()
        key = next(
            (k for i in range(len(words)) if (k := _noun_class(nouns, ["".join(words[i:])]))),
            None,
        )
        if key is not None:
            word = m.group(2).lower()
            n = int(word) if word.isdigit() else WORD_NUMBERS.index(word) + 1
            counts[key] = counts.get(key, 0) + n
    for m in _ORDINAL.finditer(spec):  # "a second crossing" after "one crossing"
        key = _noun_class(nouns, phrase_words(spec, m.end()))
        if key in counts and counts[key] < _ORDINALS.index(m.group(1).lower()) + 2:
            del counts[key]
    return counts


def phrase_words(spec: str, at: int) -> list[str]:
    """Up to four words from `at`, ending before punctuation or a function word."""
    words: list[str] = []
    while len(words) < 4:
        m = PHRASE_WORD.match(spec, at)
        if m is None or m.group(1).lower() in STOP:
            break
        words.append(m.group(1))
        at = m.end()
    return words


def _noun_class(nouns: dict[str, str], words: list[str]) -> str | None:
    """The class the first noun phrase in `words` names (the phrase ends at the first word
    that, alone or with those before it, names a class)."""
    for end in range(1, len(words) + 1):
        for start in range(end):
            key = nouns.get(singular("".join(words[start:end]).lower()))
            if key is not None:
                return key
    return None


def class_nouns(mm: Metamodel, *, raw: bool = False) -> dict[str, str]:
    """Names → the one concrete class they stand for: a concrete class's name, a containment
    reference's name for its single concrete target, an abstract class's name for its single
    concrete subclass. Lower-case and singular, or as declared when `raw`."""
    named: list[tuple[str, str]] = [(c.name, c.key) for c in mm.concrete_classes]
    for cls in mm.classes.values():
        for ref in cls.references:
            subs = mm.concrete_subtypes(ref.target)
            if ref.containment and len(subs) == 1:
                named.append((ref.name, subs[0]))
    for cls in mm.classes.values():
        subs = mm.concrete_subtypes(cls.key)
        if len(subs) == 1:
            named.append((cls.name, subs[0]))
    nouns: dict[str, str] = {}
    for name, key in named:
        nouns.setdefault(name if raw else singular(name.lower()), key)
    return nouns
