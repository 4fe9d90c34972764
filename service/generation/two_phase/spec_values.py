"""The values a specification states, and where: quoted strings, names and codes, numbers and
dates. A small model copies an offered value far more reliably than it spells one, so these
become phase 1's choices (`two_phase.spec_facts`, `two_phase.objects_schema`). Plain text
analysis of English prose: a metamodel only tells which of its own words are no values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.naming import ALPHA, singular
from instancegen.service.generation.two_phase.spec_words import STOP

Value = str | float
Kind = str  # "string" | "number" | "date"


@dataclass(frozen=True)
class Mention:
    """One value the spec states, where it stands."""

    start: int
    end: int
    value: Value
    kind: Kind


# What a spec value may be for an attribute of each type kind (others are choices already).
KINDS: dict[str, Kind] = {"string": "string", "date": "date", "int": "number"}
_MONTHS = tuple("jan feb mar apr may jun jul aug sep oct nov dec".split())  # noqa: SIM905
_MONTH = r"((?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*)\.?"
# "7 April 1987", "9 June 2025 at 06:45", "April 7, 1987", "2025-06-09", "2025-06-09 06:45"
_DAY_FIRST = re.compile(
    rf"\b(\d{{1,2}})\s+{_MONTH}\s+(\d{{4}})(?:,?\s+(?:at\s+)?(\d{{1,2}}):(\d{{2}}))?"
)
_MONTH_FIRST = re.compile(
    rf"\b{_MONTH}\s+(\d{{1,2}}),?\s+(\d{{4}})(?:,?\s+(?:at\s+)?(\d{{1,2}}):(\d{{2}}))?"
)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?")
_QUOTED = re.compile(r"\"([^\"\n]{1,80})\"|“([^”\n]{1,80})”|(?<![\w])'([^'\n]{1,80})'(?![\w])")
_NUMBER = re.compile(r"(?<![\w.\-/])-?\d+(?:\.\d+)?(?![\w])")
# A token with a digit, an @, an inner capital, an underscore or two capitals: an identifier,
# code or address ("HX-01", "VX-200", "ola@example.org", "dockToSea", "NOK").
_TOKEN = re.compile(r"[\w][\w@.\-/+]*[\w]|\w")
# A number made an adjective ("a 40-minute crossing", "3-day"): a measure, not a code.
_MEASURE = re.compile(r"\d+(?:\.\d+)?-[a-z]+")
CODE = re.compile(r"\d|@|_|[a-z][A-Z]|[A-Z]{2}")
_LEAD_WORD = re.compile(r"([A-Za-z]+)[ \t]+[\"“']?$")  # the word right before a name
_CONNECTORS = frozenset(("of", "for", "the", "de", "von", "van"))
# A capitalised article inside a sentence, right before a name: part of a title.
_TITLE_ARTICLE = re.compile(r"(?<![.!?]\s)(?<=\s)(The|A|An) $")


def introducers(mm: Metamodel) -> frozenset[str]:
    """Class and attribute names, lower-case and singular: the words that say what the name
    after them is ("the port Vik", "city Hamburg"); a reference's name ("holder Ana") speaks
    of an object named already."""
    words = {singular(c.name.lower()) for c in mm.classes.values()}
    return frozenset(
        words | {singular(a.name.lower()) for c in mm.classes.values() for a in c.attributes}
    )


def metamodel_words(mm: Metamodel, *, literals: bool = True) -> set[str]:
    """The metamodel's own words (class and feature names, enum literals unless not
    `literals`): a spec mentions them to say what a thing is ("the ferry", "class B"), not as a
    string value."""
    words = {singular(c.name.lower()) for c in mm.classes.values()}
    for cls in mm.classes.values():
        words.update(singular(f.name.lower()) for f in cls.features)
        for attr in cls.attributes if literals else ():
            words.update(singular(lit.lower()) for lit in attr.type.literals)
    return words


def read_numbers(spec: str) -> list[Mention]:
    return [
        Mention(m.start(), m.end(), float(m.group(0)), "number") for m in _NUMBER.finditer(spec)
    ]


def read_dates(spec: str) -> tuple[list[Mention], list[tuple[int, int]]]:
    """The dates in `spec`, spelt the CIM's way (ISO 8601), and where they stand (their
    numbers are no numbers of their own)."""
    found: list[Mention] = []
    spans: list[tuple[int, int]] = []
    for pattern, order in ((_DAY_FIRST, "dmy"), (_MONTH_FIRST, "mdy"), (_ISO, "iso")):
        for m in pattern.finditer(spec):
            g = m.groups()
            if order == "iso":
                y, mo, d, hh, mm_ = int(g[0]), int(g[1]), int(g[2]), g[3], g[4]
            else:
                day, month, year = (g[0], g[1], g[2]) if order == "dmy" else (g[1], g[0], g[2])
                y, mo, d, hh, mm_ = int(year), _month(month), int(day), g[3], g[4]
            try:
                stamp = datetime(y, mo, d, int(hh or 0), int(mm_ or 0))
            except ValueError:
                continue
            found.append(Mention(m.start(), m.end(), stamp.isoformat(), "date"))
            spans.append(m.span())
    return found, spans


def _month(name: str) -> int:
    return _MONTHS.index(name[:3].lower()) + 1


def read_strings(
    spec: str, vocabulary: set[str], labels: set[str], introducers: frozenset[str] = frozenset()
) -> list[Mention]:
    """Quoted text (as written), capitalised names ("Ola Dahl", "Vik Line") and
    code-like tokens, without the metamodel's own words, also as a label in front ("IMO
    IX-100" → "IX-100"; `labels`: class and feature names, as an enum literal may start a name:
    "Coastal Express"); a name is not repeated as a part of an earlier longer one ("Ola"
    after "Ola Dahl") unless one of `introducers` (class and attribute names) says what it is
    ("the port Vik" after "Vik Line")."""
    found: list[Mention] = []
    quoted: list[tuple[int, int]] = []
    for q in _QUOTED.finditer(spec):
        g = next(i for i, v in enumerate(q.groups(), 1) if v is not None)
        if q.group(g).strip():
            found.append(Mention(q.start(g), q.end(g), q.group(g).strip(), "string"))
            quoted.append(q.span())
    tokens = [t for t in _TOKEN.finditer(spec) if not any(a <= t.start() < b for a, b in quoted)]
    run: list[re.Match[str]] = []
    for i, tok in enumerate([*tokens, None]):
        word = tok.group(0) if tok is not None else ""
        if tok is not None and _code(word):
            found.append(Mention(tok.start(), tok.end(), word, "string"))
        joined = bool(run) and tok is not None and _joins(spec, run[-1], tok)
        if tok is not None and _name_word(word) and (not run or joined):
            run.append(tok)
            continue
        if tok is not None and joined and word.lower() in _CONNECTORS:
            ahead = tokens[i + 1 : i + 3]
            nxt = next((t for t in ahead if t.group(0).lower() not in _CONNECTORS), None)
            if nxt is not None and _name_word(nxt.group(0)):
                run.append(tok)
                continue
        found.extend(_name_phrase(spec, run, labels))
        run = [tok] if tok is not None and _name_word(word) else []
    kept: list[Mention] = []
    for m in sorted(found, key=by_place):
        text = str(m.value)
        after = ALPHA.match(spec[m.end :].lstrip())
        named = singular((text + (after.group(0) if after else "")).lower())
        exempt = any(a <= m.start < b for a, b in quoted)  # quoted text is a value as written
        if not exempt and (singular(text.lower()) in vocabulary or named in vocabulary):
            continue  # the metamodel's own word, or part of one ("Car deck")
        lead = _LEAD_WORD.search(spec, max(0, m.start - 30), m.start)
        introduced = lead is not None and singular(lead.group(1).lower()) in introducers
        if not introduced and any(  # "Ola" after "Ola Dahl", but "the port Vik" after "Vik Line"
            text != k.value and re.search(rf"\b{re.escape(text)}\b", str(k.value)) for k in kept
        ):
            continue
        kept.append(m)
    return kept


def _joins(spec: str, before: re.Match[str], after: re.Match[str]) -> bool:
    """Whether two tokens stand in one name: a space apart, or an initial's dot between
    ("H. C. Andersen")."""
    gap = spec[before.end() : after.start()]
    return gap == " " or (gap == ". " and len(before.group(0)) == 1 and before.group(0).isupper())


def _code(word: str) -> bool:
    """Whether `word` is shaped like a code ("A-001", "de_DE", "eth0"), not a number or a
    measure."""
    return bool(CODE.search(word)) and not _NUMBER.fullmatch(word) and not _MEASURE.fullmatch(word)


def _name_word(word: str) -> bool:
    if _NUMBER.fullmatch(word) or _MEASURE.fullmatch(word):
        return False
    return (word[:1].isupper() and word.lower() not in STOP) or _code(word)


def _name_phrase(spec: str, run: list[re.Match[str]], vocabulary: set[str]) -> list[Mention]:
    """The name a run of capitalised words spells, without leading function words or the
    metamodel's words ("The Ferry", "IMO IX-100") and trailing connectors."""
    stripped = False
    while run and (
        run[0].group(0).lower() in STOP | _CONNECTORS
        or singular(run[0].group(0).lower()) in vocabulary
    ):
        stripped = stripped or singular(run[0].group(0).lower()) in vocabulary
        run = run[1:]
    while run and run[-1].group(0).lower() in _CONNECTORS:
        run = run[:-1]
    if not run:
        return []
    start, end = run[0].start(), run[-1].end()
    article = _TITLE_ARTICLE.search(spec, max(0, start - 12), start)
    if article is not None and not stripped:  # "read The Waves": part of a title
        start = article.start(1)
    if spec[end : end + 1] == "." and len(run[-1].group(0)) == 1:  # an initial keeps its dot
        end += 1
    return [Mention(start, end, spec[start:end], "string")]


def by_place(m: Mention) -> tuple[int, int, str, str]:
    """Where `m` stands, as a total order: mentions starting together ("IMO" and "IMO IX-100")
    sort the same on every run, whatever order a set gave them."""
    return m.start, m.end, m.kind, str(m.value)
