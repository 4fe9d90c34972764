"""What a specification states, read without an LLM: the values it names and the counts it gives.

A small model copies a value it is offered far more reliably than it spells one: left free, the
bundled model writes "AURORRA" for "Aurora" and its own numbers for the spec's. So phase 1 offers
a small model the spec's strings, numbers and dates as choices (`two_phase.objects_schema`), and a
count the spec states for a class ("two ferries", "three pilots", "no tugs") fixes how many
objects of it are asked for. The values themselves are read by `two_phase.spec_values` and the
words that say a class, a feature or a count by `two_phase.spec_words`; here they are put
together: which value is whose, which class a name names, which links "A to B" states.
Everything here is plain text analysis of English prose: nothing knows any metamodel's names
beyond what it is given.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.generation.naming import ALPHA, cue_words, same_word, says, singular
from instancegen.service.generation.two_phase.spec_layout import as_sentences, with_pronouns
from instancegen.service.generation.two_phase.spec_values import (
    CODE,
    KINDS,
    Kind,
    Mention,
    Value,
    by_place,
    introducers,
    metamodel_words,
    read_dates,
    read_numbers,
    read_strings,
)
from instancegen.service.generation.two_phase.spec_words import (
    COUNT,
    PHRASE_WORD,
    PREPOSITIONS,
    STOP,
    WORD_NUMBERS,
    class_counts,
    class_cues,
    class_nouns,
    cue_positions,
    phrase_words,
)

# Between the two ends of a link: "dock to dockToSea", "from Open back to Shut", "first quay to".
_PAIR_GAP = re.compile(r"\s+(?:[a-z]+\s+)?(?:back\s+)?to\s+(?:the\s+)?|\s*(?:->|→)\s*")
_SOURCE = re.compile(r"source|from|start|origin|tail|src", re.IGNORECASE)
# The end of a lead-in ending in a preposition: "..., a novel by " (to the clause start).
_TIE = re.compile(r"[^,;:()]*\b(?:by|of|from|to|with|for)\s*$", re.IGNORECASE)
# Right before a value said as what someone is or does ('serves aboard as "Chief Navigator"'):
# a title or a role of the one spoken of, not the name of another object.
_OPENS = re.compile(r"\bwith\b", re.IGNORECASE)
_CAPACITY = re.compile(r"\bas\s*[\"“']?\s*$", re.IGNORECASE)
_BOUND = re.compile(r"\b(most|least|max|maximum|min|minimum|than)\b", re.IGNORECASE)
_SIZE_WORDS = WORD_NUMBERS[:12]  # spelt out to twelve: a schema holds no more per class
_SIZE = re.compile(r"(?<![\w.,-])\b(\d+|" + "|".join(_SIZE_WORDS) + r")\s+[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class Pair:
    """A link the spec states between two names ("dock to dockToSea"), and where."""

    source: Value
    target: Value
    at: int


@dataclass(frozen=True)
class SpecFacts:
    """What a spec states: its values in order of first mention, the values it attaches to a
    feature's name ("hull code HX-01", "a tonnage of 900", "launched in 1987", keyed by
    feature name) or to a class's name ('the ferry "Aurora"', keyed by class), and counts
    per class."""

    mentions: tuple[Mention, ...] = ()
    by_feature: dict[str, tuple[Mention, ...]] = field(default_factory=dict)
    by_class: dict[str, tuple[Mention, ...]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)  # class key -> objects stated
    shared: frozenset[str] = frozenset()  # features several concrete classes have ("name")
    spec: str = ""
    described: dict[Value, frozenset[str]] = field(default_factory=dict)  # name -> classes
    claimed: dict[Value, str] = field(default_factory=dict)  # name -> the counted class's
    absent: frozenset[str] = frozenset()  # classes the spec never speaks of (`_absent`)
    inner: dict[Value, Value] = field(default_factory=dict)  # value -> whose (`_inner`)
    breaks: tuple[int, ...] = ()  # where another object comes in (`_breaks`)
    pairs: dict[str, tuple[Pair, ...]] = field(default_factory=dict)  # `_pairs`
    words: int = 0  # how long the spec is, in words
    sizes: tuple[int, ...] = ()  # numbers it puts before a thing ("3 ferries"): `_sizes`
    spoken: frozenset[str] = frozenset()  # classes it speaks of (`_spoken`)

    def names(
        self, class_key: str, values: Sequence[Value], only: int | None = None
    ) -> tuple[Value, ...]:
        """Of `values`, those the spec may name an object of `class_key` with: the ones whose
        sentence describes that class or none (`described`); only the former when there are
        at least `only` of them. A name another class needs for its stated count (`claimed`)
        is not offered, nor one said only inside another's parenthesis (`inner`)."""
        values = [
            v for v in values if self.claimed.get(v, class_key) == class_key and v not in self.inner
        ]
        mine = tuple(v for v in values if class_key in self.described.get(v, ()))
        if only is not None and len(mine) >= only:
            return mine
        return tuple(v for v in values if class_key in self.described.get(v, {class_key}))

    def owner(self, value: Value) -> str | None:
        """The one class the name a value is said of is described as ("Ida Moss (email
        ida@x.io)": a pilot's email); None when not known."""
        kinds = self.described.get(self.inner.get(value, ""), frozenset())
        return next(iter(kinds)) if len(kinds) == 1 else None

    def segment(self, name: Value, others: Sequence[Value]) -> list[tuple[str, list[Mention]]]:
        """What the spec says around where it first names an object `name`: the text after
        it up to the end of its sentence (or `;` clause) or the first of `others` (the other
        objects of its class), then the text before it back to the sentence's start or the
        last of `others` ("the ferry with hull code HX-01"); each with the values stated
        in it, nearest to the name first."""
        around = self._around(name, others)
        if around is None:
            return []
        first, start, end = around
        after = [m for m in self.mentions if first.end <= m.start < end and m is not first]
        before = [m for m in self.mentions if start <= m.start < first.start]
        return [
            (self.spec[first.end : end], after),
            (self.spec[start : first.start], before[::-1]),
        ]

    def nearest(
        self, name: Value, others: Sequence[Value], kind: Kind, skip: set[int]
    ) -> Value | None:
        """The value of `kind` stated closest to where the spec first names `name`, within
        its sentence and before any of `others` ("Night Watch (code NWT)" for NWT); None when
        there is none. Mentions at `skip` do not count."""
        around = self._around(name, others)
        if around is None:
            return None
        first, start, end = around
        near = [
            (_distance(self.spec, m, first), m.value)
            for m in self.mentions
            if start <= m.start < end
            and m is not first
            and m.kind == kind
            and m.start not in skip
            and m.value != name
        ]
        return min(near, key=lambda d: d[0])[1] if near else None

    def _around(self, name: Value, others: Sequence[Value]) -> tuple[Mention, int, int] | None:
        """The first mention of `name`, and the span of its sentence between `others` (up
        to the next of any name `described`, or another object brought in: `breaks`)."""
        starts = [m for m in self.mentions if m.value == name]
        if not starts:
            return None
        first = starts[0]
        rivals = [m for m in self.mentions if m.value in others and m.value != name]
        after = [  # the next object named, of any class, ends what is said of this one
            m for m in self.mentions if m.value in self.described and m.value != name
        ]
        ends = [b.start() for b in _SENTENCE_END.finditer(self.spec)]
        end = min(
            [len(self.spec), *(e for e in ends if e >= first.end)]
            + [r.start for r in rivals + after if r.start >= first.end]
            + [b for b in self.breaks if b >= first.end]
        )
        start = max(
            [0, *(e + 1 for e in ends if e < first.start)]
            + [r.end for r in rivals if r.end <= first.start]
        )
        # a closed parenthesis or a list's comma ends what is said of an earlier thing
        start = max(start, *(self.spec.rfind(c, start, first.start) + 1 for c in "),"))
        return first, start, end

    @property
    def strings(self) -> tuple[str, ...]:
        return _values(self.mentions, "string")  # type: ignore[return-value]

    @property
    def numbers(self) -> tuple[float, ...]:
        return _values(self.mentions, "number")  # type: ignore[return-value]

    @property
    def dates(self) -> tuple[str, ...]:
        return _values(self.mentions, "date")  # type: ignore[return-value]

    def coded(self, feature: str) -> bool:
        """Whether the values attached to `feature` are all codes ("hull code HX-01", "HX-02"): an
        identifier, not a name, whichever classes hold it."""
        own = self.by_feature.get(feature, ())
        return bool(own) and all(_shape(m) is not None for m in own)

    def choices(
        self, class_key: str, feature: str, kind: Kind, *, naming: bool = False
    ) -> tuple[Value, ...]:
        """The values of `kind` the spec offers for `class_key.feature`, in order of mention.
        A feature only one class has gets what is attached to its name (plus, for the
        class's `naming` feature, what is attached to the class's name) when there is any, and
        so does a feature whose attached values are codes ("HX-01" and "HX-02"); otherwise those
        come first among every value not attached to another feature or class."""
        attached = self.attached(class_key, feature, kind, naming=naming)
        own = [m for m in self.by_feature.get(feature, ()) if m.kind == kind]
        codes = len(attached) > 1 and all(_shape(m) is not None for m in attached)
        if codes or (own and feature not in self.shared):
            return _values(attached, kind)
        mine = {m.start for m in attached}
        taken = {m.start for f, ms in self.by_feature.items() if f != feature for m in ms}
        taken -= mine
        taken |= {m.start for ms in self.by_class.values() for m in ms} - mine
        return _values([m for m in self.mentions if m.start not in taken], kind)

    def elsewhere(self, class_key: str, feature: str) -> set[int]:
        """Where the values attached to another feature or another class stand."""
        taken = {m.start for f, ms in self.by_feature.items() if f != feature for m in ms}
        return taken | {m.start for c, ms in self.by_class.items() if c != class_key for m in ms}

    def attached(
        self, class_key: str, feature: str, kind: Kind, *, naming: bool = False
    ) -> list[Mention]:
        """The values of `kind` attached to `feature`'s name (when only one class has it)
        and, for a `naming` feature, to `class_key`'s name, in order of mention: one per
        object, when the spec introduces each object with them."""
        shared = feature in self.shared and not self.coded(feature)
        own = [] if shared else list(self.by_feature.get(feature, ()))
        if naming:
            own += self.by_class.get(class_key, ())
        return sorted((m for m in set(own) if m.kind == kind), key=by_place)


def _distance(spec: str, m: Mention, anchor: Mention) -> int:
    """How far `m` stands from `anchor`, in characters; a name right before a parenthesis
    holding the anchor is nearest ("Night Watch (code NWT)"), one past its closing farthest."""
    if m.end <= anchor.start:
        gap = spec[m.end : anchor.start]
        return 0 if re.fullmatch(r"\s*\([^()]*", gap) else len(gap)
    gap = spec[anchor.end : m.start]
    return len(gap) + (len(spec) if ")" in gap else 0)


def _values(mentions: Sequence[Mention], kind: Kind) -> tuple[Value, ...]:
    return tuple(dict.fromkeys(m.value for m in mentions if m.kind == kind))


@dataclass(frozen=True)
class Rule:
    """One named way of reading a spec: `read` takes what the rules before it found and
    returns it with what this one adds (its docstring says what it reads, in general terms)."""

    name: str
    read: Callable[[Metamodel, SpecFacts], SpecFacts]


def _read_layout(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Tables, outlines, bullets and requirement labels written as one sentence per record
    (`spec_layout.as_sentences`); the rules after this one read that text."""
    return replace(f, spec=as_sentences(f.spec))


def _read_pronouns(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """A sentence opening with a person's pronoun says more of the name that opens the
    sentence before it: the two are read as one (`spec_layout.with_pronouns`)."""
    return replace(f, spec=with_pronouns(f.spec))


def _read_dates(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Dates and date-times in any common spelling (day first, month first, ISO 8601), as
    ISO 8601; their digits are no numbers of their own."""
    return replace(f, mentions=_merge(f.mentions, read_dates(f.spec)[0]))


def _read_strings(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Quoted text as written, runs of capitalised words (a person's or a place's name) and
    code-like tokens (with a digit, an @, an underscore, an inner capital or two capitals),
    without the metamodel's own words and without a part of a longer name already read."""
    labels = metamodel_words(mm, literals=False)
    strings = read_strings(_undated(f), metamodel_words(mm), labels, introducers(mm))
    return replace(f, mentions=_merge(f.mentions, strings))


def _read_numbers(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Numbers written in digits, integer or decimal, signed or not, outside dates and codes;
    and numbers written as words ("six") where they give a measure, not a count: before the
    last word of a number attribute's name ("six berths" for `berths`, "twelve knots" for
    `speedKnots`) or as a key's value ("berths: six")."""
    units = {
        cue_words(a.name)[-1]
        for c in mm.classes.values()
        for a in c.attributes
        if KINDS.get(a.type.kind) == "number"
    }
    spoken = [
        Mention(m.start(g), m.end(g), float(WORD_NUMBERS.index(m.group(g).lower()) + 1), "number")
        for m in _NUMBER_WORD.finditer(f.spec)
        for g in [1 if m.group(1) else 2]
        if g == 1 or any(same_word(u, m.group(3).lower(), True) for u in units)
    ]
    return replace(f, mentions=_merge(f.mentions, [*read_numbers(_undated(f)), *spoken]))


def _read_feature_values(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """For each attribute's name the spec says (in words: `serialNo` as "serial no"), the value
    of the attribute's kind it introduces: a number right before it ("4 wheels"), else the
    first value within a few words after it in the same clause; for a many-valued attribute
    also the values listed right after that one ("a, b and c"). A name whose last word is a
    unit (`speedKnots`) is also said as its other words with the unit after the value ("a
    speed of 18.5 knots")."""
    words = _words(f.spec)
    kinds: dict[str, set[Kind]] = {}
    lists: set[str] = set()
    for cls in mm.classes.values():
        for attr in cls.attributes:
            if attr.type.kind in KINDS:
                kinds.setdefault(attr.name, set()).add(KINDS[attr.type.kind])
                if attr.many:
                    lists.add(attr.name)
    mentions = list(f.mentions)
    by_feature: dict[str, tuple[Mention, ...]] = {}
    for name, wanted in sorted(kinds.items()):
        cue = cue_words(name)
        found = _attached(f.spec, words, mentions, cue, set(), wanted, many=name in lists)
        if not found and len(cue) > 1:
            unit = re.compile(r"\s*" + re.escape(cue[-1]) + r"s?\b", re.IGNORECASE)
            found = tuple(
                m
                for m in _attached(f.spec, words, mentions, cue[:-1], set(), wanted & {"number"})
                if unit.match(f.spec, m.end)
            )
        if found:
            by_feature[name] = found
    return replace(f, by_feature=by_feature)


def _read_code_shapes(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """A code shaped like the codes attached to one attribute (letters, digits and marks in
    the same places) is a value of that attribute too, wherever it stands."""
    return replace(f, by_feature=_alike(list(f.mentions), f.by_feature))


def _read_class_names(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """A name right after a class's name ("the vessel Aurora", 'a vessel called "Aurora"')
    names an object of that class, unless an attribute already holds it or the class has no
    string attribute to hold a name ("two crossings: Ostby to Vik" names the crossings'
    ends); a class's name inside a longer class's name counts as the longer one."""
    words = _words(f.spec)
    taken = {m.start for ms in f.by_feature.values() for m in ms}
    cues = class_cues(mm)
    spans = [cue_positions(words, noun) for noun, _ in cues]
    mentions = list(f.mentions)
    by_class: dict[str, tuple[Mention, ...]] = {}
    for noun, key in cues:
        if not _nameable(mm, key):
            continue
        found = _attached(
            f.spec, words, mentions, noun, taken, {"string"}, after_only=True, longer=spans
        )
        if found:
            by_class[key] = tuple(sorted(set(by_class.get(key, ()) + found), key=by_place))
    return replace(f, by_class=by_class)


def _read_name_endings(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """A name of several words whose last word is a class's name ("North Quarry" for a class
    Quarry) names an object of that class; a name attached to two classes is the one's
    whose mention comes first, then whose name is said nearest before it ("the ferry line
    "Nordic Line"" names a line)."""
    nouns = class_nouns(mm)
    taken = {m.start for ms in f.by_feature.values() for m in ms}
    by_class = dict(f.by_class)
    for m in f.mentions:
        parts = str(m.value).split() if m.kind == "string" else []
        named = nouns.get(singular(parts[-1].lower())) if len(parts) > 1 else None
        if named is not None and m.start not in taken:
            by_class[named] = tuple(sorted({*by_class.get(named, ()), m}, key=by_place))
    words = _words(f.spec)
    said = {
        key: [words[i + n - 1][1] for i, n in cue_positions(words, cue).items()]
        for cue, key in class_cues(mm)
    }

    def gap(m: Mention, key: str) -> int:  # from the class's name said last before `m`
        return min((m.start - end for end in said.get(key, ()) if end <= m.start), default=0)

    first: dict[Value, tuple[int, int, str]] = {}
    for key, found in by_class.items():
        for m in found:
            mine = (m.start, gap(m, key), key)
            first[m.value] = min(first.get(m.value, mine), mine)
    return replace(
        f,
        by_class={
            key: kept
            for key, found in by_class.items()
            if (kept := tuple(m for m in found if first[m.value][2] == key))
        },
    )


def _read_counts(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Objects per class the spec states by a number before the class's name (in digits or
    words, or "no"); see `spec_words.class_counts` for the numbers that count none."""
    return replace(f, counts=class_counts(mm, f.spec))


def _read_inner(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Strings said only inside a parenthesis right after another string are values of that
    one, not names of their own (`_inner`)."""
    introduced = {m.start for ms in f.by_class.values() for m in ms}
    return replace(f, inner=_inner(f.spec, f.mentions, introduced))


def _read_breaks(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Where a preposition and a class's name bring in another object (`_breaks`)."""
    return replace(f, breaks=_breaks(f.spec, _words(f.spec), class_cues(mm)))


def _read_spoken(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """The concrete classes the spec speaks of (`_spoken`), outside quoted text (a quoted
    title is a value, whatever words it holds)."""
    return replace(f, spoken=frozenset(_spoken(mm, _unquoted(f.spec), f.counts)))


def _read_described(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """For each free name, the classes the words around it describe (`_described`)."""
    return replace(f, described=_described(mm, f, set(f.spoken)))


def _read_pairs(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Links stated as "A to B" for a class whose objects link two others (`_pairs`); each
    pair counts one object of that class unless the spec states its count."""
    pairs = _pairs(mm, f, f.described)
    return replace(f, pairs=pairs, counts={**{k: len(v) for k, v in pairs.items()}, **f.counts})


def _read_absent(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Classes the spec never speaks of while it speaks of a sibling (`_absent`)."""
    classes = {k for cs in f.described.values() for k in cs}
    return replace(f, absent=_absent(mm, set(f.spoken) | set(f.pairs) | classes))


def _read_claimed(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """Names a counted class needs for its count (`_claimed`)."""
    return replace(f, claimed=_claimed(f.counts, f.described))


def _read_sizes(mm: Metamodel, f: SpecFacts) -> SpecFacts:
    """The numbers the spec puts before a thing, whatever the thing (`_sizes`); a date's
    year is none."""
    return replace(f, sizes=_sizes(_undated(f)))


RULES: tuple[Rule, ...] = (  # in order: each reads what those before it found
    Rule("layout", _read_layout),
    Rule("pronouns", _read_pronouns),
    Rule("dates", _read_dates),
    Rule("strings", _read_strings),
    Rule("numbers", _read_numbers),
    Rule("feature values", _read_feature_values),
    Rule("code shapes", _read_code_shapes),
    Rule("class names", _read_class_names),
    Rule("name endings", _read_name_endings),
    Rule("counts", _read_counts),
    Rule("inner values", _read_inner),
    Rule("breaks", _read_breaks),
    Rule("spoken classes", _read_spoken),
    Rule("described names", _read_described),
    Rule("pairs", _read_pairs),
    Rule("absent classes", _read_absent),
    Rule("claimed names", _read_claimed),
    Rule("sizes", _read_sizes),
)


def read_facts(mm: Metamodel, spec: str, rules: Sequence[Rule] = RULES) -> SpecFacts:
    """What `spec` states of `mm`'s objects: each of `rules` (all, unless told), in order."""
    facts = SpecFacts(spec=spec, words=len(spec.split()), shared=_shared(mm))
    for rule in rules:
        facts = rule.read(mm, facts)
    return facts


def _words(spec: str) -> list[tuple[int, int, str]]:
    """The spec's words: where each starts and ends, lower-case."""
    return [(w.start(), w.end(), w.group(0).lower()) for w in ALPHA.finditer(spec)]


def _unquoted(spec: str) -> str:
    """The spec with its quoted text blanked."""
    return _QUOTES.sub(lambda q: " " * len(q.group(0)), spec)


def _merge(old: Sequence[Mention], new: Sequence[Mention]) -> tuple[Mention, ...]:
    return tuple(sorted({*old, *new}, key=by_place))


def _undated(f: SpecFacts) -> str:
    """The spec with its dates blanked: their digits are read as a date only."""
    spans = [(m.start, m.end) for m in f.mentions if m.kind == "date"]
    return "".join(" " if any(a <= i < b for a, b in spans) else c for i, c in enumerate(f.spec))


def _sizes(spec: str) -> tuple[int, ...]:
    """The numbers `spec` puts before a thing, whatever the thing ("3 ferries", "twelve
    pilots"); a number before a capitalised word ("12 Quay Street", "4 June") is none."""
    found = []
    for m in _SIZE.finditer(spec):
        if m.group(0)[-1].islower():
            word = m.group(1).lower()
            found.append(_SIZE_WORDS.index(word) + 1 if word in _SIZE_WORDS else int(word))
    return tuple(found)


def link_ends(mm: Metamodel, key: str) -> tuple[Reference, Reference] | None:
    """The two ends of a class whose objects link two others (an arc, a transition, a flow):
    its only two single-valued references that are not its container, the source first (by
    name: source, from, start, …, else as declared); None for another class."""
    cls = mm.classes[key]
    ends = []
    for r in cls.references:
        opp = mm.classes[r.target].feature_map.get(r.opposite or "")
        if (
            r.upper == 1
            and not r.containment
            and not (isinstance(opp, Reference) and opp.containment)
        ):
            ends.append(r)
    if len(ends) != 2:
        return None
    first, second = ends
    return (
        (second, first)
        if _SOURCE.search(second.name) and not _SOURCE.search(first.name)
        else (first, second)
    )


def _occurrences(spec: str, values: Sequence[Value]) -> list[Mention]:
    """Every place `spec` says one of the string `values` as a whole word, longest first where
    two overlap: a name quoted once ('quays named "dock"') is also meant where it stands bare
    ("dock to dockToSea")."""
    found = sorted(
        (
            Mention(m.start(), m.end(), v, "string")
            for v in {str(v) for v in values if len(str(v)) >= 2}
            for m in _said(spec, v)
        ),
        key=lambda m: (m.start, -m.end),
    )
    kept: list[Mention] = []
    for m in found:
        if not kept or m.start >= kept[-1].end:
            kept.append(m)
    return kept


def _said(spec: str, value: str) -> Iterator[re.Match[str]]:
    """Where `spec` says `value` as a whole word ("Red" in "Red goes", not in "Red-Line")."""
    return re.finditer(rf"(?<![\w-]){re.escape(value)}(?![\w-])", spec)


def _pairs(
    mm: Metamodel, g: SpecFacts, described: dict[Value, frozenset[str]]
) -> dict[str, tuple[Pair, ...]]:
    """For each concrete class whose objects link two others (`link_ends`) and go unnamed
    (no name is described as that class's alone: "Ida reports to Per" is no link object
    between pilots): the pairs the spec states as "A to B" or "from A (back) to B", in its order,
    where A may be at the source end and B at the target end by what the spec describes
    them as (an undescribed name fits any end). A pair that fits a class and a subclass is
    the subclass's when its name is said just before ("a night crossing ... from Ostby to
    Vik"), else the most general one's; one that fits unrelated classes is left out."""
    named = {k for classes in described.values() if len(classes) == 1 for k in classes}
    linking = {
        c.key: ends
        for c in mm.concrete_classes
        if (ends := link_ends(mm, c.key)) and c.key not in named
    }
    if not linking:
        return {}
    strings = _occurrences(g.spec, [m.value for m in g.mentions if m.kind == "string"])

    def fits(value: Value, ref: Reference) -> bool:
        kinds = described.get(value)
        return kinds is None or bool(kinds & set(mm.concrete_subtypes(ref.target)))

    found: dict[str, list[Pair]] = {}
    for a, b in itertools.pairwise(strings):
        if not _PAIR_GAP.fullmatch(g.spec[a.end : b.start]) or a.value == b.value:
            continue
        keys = [k for k, (src, dst) in linking.items() if fits(a.value, src) and fits(b.value, dst)]
        lead = g.spec[max(0, g.spec.rfind(".", 0, a.start) + 1, a.start - 60) : a.start]
        said = [k for k in keys if says(lead, mm.classes[k].name, strict=True)]
        general = [k for k in keys if not any(o != k and mm.is_subtype(k, o) for o in keys)]
        chosen = said if len(said) == 1 else general
        if len(chosen) == 1:
            found.setdefault(chosen[0], []).append(Pair(a.value, b.value, a.start))
    return {k: tuple(v) for k, v in found.items()}


def _spoken(mm: Metamodel, spec: str, counts: dict[str, int]) -> set[str]:
    """Concrete classes `spec` speaks of by name: their own, or a containment reference's that
    only they fill ("two fleets"), or by a count; and every kind of a general (abstract)
    class whose name it says on its own ("nine crossings", not "a night crossing")."""
    nouns = _nouns_by_class(mm)
    spoken = {
        c.key
        for c in mm.concrete_classes
        if c.key in counts
        or any(says(spec, n, strict=True) for n in [c.name, *nouns.get(c.key, ())])
    }
    words = [(w.start(), w.end(), w.group(0).lower()) for w in ALPHA.finditer(spec)]
    spans = [
        (j, n)
        for c in mm.classes.values()
        for j, n in cue_positions(words, cue_words(c.name)).items()
    ]
    holders = [r for c in mm.classes.values() for r in c.references if r.containment]
    for general in mm.classes.values():  # "nine crossings": of any kind
        kinds = mm.concrete_subtypes(general.key)
        if general.concrete or len(kinds) < 2:
            continue
        names = [general.name, *(r.name for r in holders if r.target == general.key)]
        for cue in map(cue_words, names):
            k = len(cue)
            if any(  # said alone, not inside a kind's longer name ("a night crossing")
                not any(j <= i and i + k <= j + n and n > k for j, n in spans)
                for i in cue_positions(words, cue)
            ):
                spoken.update(kinds)
                break
    return spoken


def _nouns_by_class(mm: Metamodel) -> dict[str, list[str]]:
    """`class_nouns` the other way round: class key → the names that stand for it."""
    nouns: dict[str, list[str]] = {}
    for noun, key in class_nouns(mm, raw=True).items():
        nouns.setdefault(key, []).append(noun)
    return nouns


def _absent(mm: Metamodel, spoken: set[str]) -> frozenset[str]:
    """Concrete classes the spec never speaks of (by name, count or a name described as
    theirs) while it speaks of a sibling (a subclass of a superclass some reference holds):
    a spec about ferries that never says "tug" nor names one describes no tug."""
    slots = {r.target for c in mm.classes.values() for r in c.references}
    absent: set[str] = set()
    for c in mm.concrete_classes:
        siblings = {  # kinds of one thing a reference holds (an Item), not of a NamedElement
            k for sup in c.all_supertypes & slots for k in mm.concrete_subtypes(sup) if k != c.key
        }
        if c.key not in spoken and siblings & spoken:
            absent.add(c.key)
    return frozenset(absent)


def _claimed(counts: dict[str, int], described: dict[Value, frozenset[str]]) -> dict[Value, str]:
    """Names a counted class needs: when the spec states n objects of a class and names at
    most n that may be its, they are its ("two ferries: Aurora and ..." names no tug),
    unless another counted class needs them too."""
    claims: dict[Value, set[str]] = {}
    for key, n in counts.items():
        names = [v for v, classes in described.items() if key in classes]
        if 0 < len(names) <= n:
            for v in names:
                claims.setdefault(v, set()).add(key)
    return {v: key for v, keys in claims.items() if len(keys) == 1 for key in keys}


def _described(mm: Metamodel, g: SpecFacts, spoken: set[str]) -> dict[Value, frozenset[str]]:
    """For each free string the spec states (attached to no feature), the concrete classes it
    names objects of, judged by the words around its first mention up to the next name:
    - a class's name scores 2, its attributes' names and its enum attributes' literals 1
      each ("a navigator"), values attached to its features 2 each: "Tove Lind is a trainee
      from the school Seaways" names a Trainee, and "Per (P-0002)" a pilot after
      "pilot id P-0001"; a reference's name scores 1 for its holder after the name, and
      before it for the classes it points at (`_pointed_at`: "captained by Ola Dahl");
    - classes with at least half the best score are kept, as words may be shared; a subclass
      with no more points than its superclass loses to it, and a class the spec never names
      (`_spoken`) to one it does;
    - a score under 2 counts only when it points to one class (one word many share is no
      clue); a string no class's words stand near is left out (it may name anything), as is
      one said after "as" (`_CAPACITY`: a role or title of the one spoken of);
    - a name attached to a class is that class's, a name listed right after one with a class
      ("A (61, certified), B (40)") and a code shaped like one with a class have its class."""
    taken = {m.start for ms in g.by_feature.values() for m in ms}
    free = [m for m in g.mentions if m.kind == "string" and m.start not in taken]
    rivals = [m.value for m in free if not CODE.search(str(m.value)) and m.value not in g.inner]
    nouns = _nouns_by_class(mm)
    class_words = set(class_nouns(mm))
    result: dict[Value, frozenset[str]] = {}
    for value in dict.fromkeys(m.value for m in free):
        parts = g.segment(value, rivals)
        lead = parts[1][0] if len(parts) > 1 else ""
        if _CAPACITY.search(lead):
            continue
        # "the master of the ferry with hull code HX-01 is Ida": what follows a phrase that
        # brings in another object is that object's, up to the name (unless the name is that
        # object's: "connected to the ferry Aurora")
        at = next(m.start for m in g.mentions if m.value == value) - len(lead)
        cut = [b - at for b in g.breaks if at <= b < at + len(lead)]
        rest = [w.lower() for w in ALPHA.findall(lead[cut[0] :])[1:]] if cut else []
        if cut and singular("".join(w for w in rest if w not in STOP)) not in class_words:
            lead = lead[: cut[0]]
        # "a novel by Ibsen", "is captained by Ola": a phrase ending in a preposition
        # right before the name says what the name is related to, not what it is
        ties = _TIE.search(lead)
        leading = lead[: ties.start()] if ties else lead
        after = parts[0][0] if parts else ""
        text = " ".join([after, leading])
        # "has two decks" speaks of other objects, and so do the classes after "with": "X
        # with a few departments, students and courses" names no student (its features'
        # words after it still count: "X with one initial token")
        opened = _OPENS.search(after)
        own = _uncounted(" ".join([after[: opened.start()] if opened else after, leading]))
        near = {m.start for m in parts[0][1]} if parts else set()
        near |= {m.start for m in parts[1][1] if m.start < at + len(lead)} if parts else set()
        valued = {f for f, ms in g.by_feature.items() if any(m.start in near for m in ms)}
        pointed = _pointed_at(mm, lead)
        points = {
            cls.key: 2 * any(says(own, n, strict=True) for n in nouns.get(cls.key, ()))
            + sum(says(text, a.name) + 2 * (a.name in valued) for a in cls.attributes)
            + sum(says(parts[0][0], r.name) + 2 * (r.name in valued) for r in cls.references)
            + sum(any(says(text, x) for x in a.type.literals) for a in cls.attributes)
            + (cls.key in pointed)
            for cls in mm.concrete_classes
            if _nameable(mm, cls.key)
        }
        best = max(points.values(), default=0)
        top = {k for k, p in points.items() if best and 2 * p >= best}
        top = {
            k
            for k in top
            if not any(o != k and mm.is_subtype(k, o) and points[o] >= points[k] for o in top)
        }
        top = top & spoken or top  # one the spec names wins a tie
        if best >= 2 or len(top) == 1:  # one word shared by several classes is no clue
            result[value] = frozenset(top)
    for key, attached in g.by_class.items():
        for m in attached:
            result[m.value] = frozenset({key})
    kinds: dict[str, set[str]] = {}  # "P-0002" is what "P-0001" is
    for m in free:
        if (shape := _shape(m)) is not None and m.value in result:
            kinds.setdefault(shape, set()).update(result[m.value])
    for m in free:
        if m.value not in result and (classes := kinds.get(_shape(m) or "")):
            result[m.value] = frozenset(classes)
    for before, m in itertools.pairwise(free):  # "A (61, certified), B (40) and C": one list
        gap = re.sub(r"\([^()]*\)|[\"“”']", "", g.spec[before.end : m.start])
        if m.value not in result and before.value in result and _LIST_JOIN.fullmatch(gap):
            result[m.value] = result[before.value]
    return result


def _breaks(
    spec: str, words: list[tuple[int, int, str]], cues: list[tuple[list[str], str]]
) -> tuple[int, ...]:
    """Where a class's name led by a preposition brings in another object ("the master
    of the ferry with hull code HX-01"): what follows is said of that one, not of the
    name before it. A count or a bound in between ("at most 3 crossings") brings in none."""
    found = set()
    for cue, _ in cues:
        for i in cue_positions(words, cue):
            lead = [j for j in range(max(0, i - 3), i) if words[j][2] in PREPOSITIONS]
            between = spec[words[lead[-1]][1] : words[i][0]] if lead else ""
            if lead and not COUNT.search(between + " x") and not _BOUND.search(between):
                found.add(words[lead[-1]][0])
    return tuple(sorted(found))


def _inner(spec: str, mentions: Sequence[Mention], introduced: set[int]) -> dict[Value, Value]:
    """Strings the spec says only inside a parenthesis right after another string, unless
    with a class's name: values of that thing, not names of their own ("Ola (born 1950 in
    Bergen)", "Per (P-0100, "Fleet Captain")", but "(ferry Aurora_2)");
    each with the string it is said of (first)."""
    strings = [m for m in mentions if m.kind == "string"]
    said: dict[Value, Value | None] = {}
    for m in strings:
        opening = spec.rfind("(", 0, m.start)
        inside = opening >= 0 and ")" not in spec[opening : m.start] and m.start not in introduced
        before = [o for o in strings if o.end <= opening]
        inside = inside and bool(before) and not spec[before[-1].end : opening].strip()
        if not inside:
            said[m.value] = None
        elif m.value not in said:
            said[m.value] = before[-1].value
    return {v: owner for v, owner in said.items() if owner is not None}


def _pointed_at(mm: Metamodel, before: str) -> set[str]:
    """The classes a reference said right before a name points at: "is captained by Ola" names
    the captain (a pilot), not the department holding the reference; said after the name,
    a reference is the name's own ("Aurora has the crew ..."). A reference named like a
    class ("novels by Ibsen") names those objects, not the name after it."""
    nouns = class_nouns(mm)
    return {
        sub
        for cls in mm.concrete_classes
        for r in cls.references
        if says(before, r.name) and singular(r.name.lower()) not in nouns
        for sub in mm.concrete_subtypes(r.target)
    }


def _nameable(mm: Metamodel, key: str) -> bool:
    """Whether a string can name an object of class `key`: it has a single-valued string
    attribute."""
    return any(a.type.kind == "string" and not a.many for a in mm.classes[key].attributes)


def _shared(mm: Metamodel) -> frozenset[str]:
    """Attribute names that unrelated concrete classes hold ("name" of a ferry and of a
    pilot): a value next to such a name says nothing of whose it is. A subclass inheriting
    from a concrete holder (a trainee is a pilot) is the same kind of thing."""
    holders: dict[str, list[str]] = {}
    for cls in mm.concrete_classes:
        for attr in cls.attributes:
            holders.setdefault(attr.name, []).append(cls.key)
    return frozenset(
        name
        for name, keys in holders.items()
        if sum(not any(o != k and mm.is_subtype(k, o) for o in keys) for k in keys) > 1
    )


def _alike(
    mentions: list[Mention], by_feature: dict[str, tuple[Mention, ...]]
) -> dict[str, tuple[Mention, ...]]:
    """`by_feature` plus the codes shaped like the codes attached to one feature: after
    "pilot id P101", "P102" and "P103" are pilot ids too, wherever they stand."""
    owners: dict[str, set[str]] = {}
    for feature, found in by_feature.items():
        for m in found:
            if (shape := _shape(m)) is not None:
                owners.setdefault(shape, set()).add(feature)
    taken = {m.start for found in by_feature.values() for m in found}
    result = dict(by_feature)
    for m in mentions:
        features = owners.get(_shape(m) or "", set())
        if m.start not in taken and len(features) == 1:
            (feature,) = features
            result[feature] = tuple(sorted({*result[feature], m}, key=by_place))
    return result


def _shape(m: Mention) -> str | None:
    """A code's shape ("P101" → A999, "HX-0002" → AA-9999, an address → a@a.a); None for a
    string without a digit or an @, and for numbers and dates."""
    text = str(m.value)
    if m.kind != "string" or not re.search(r"[\d@]", text):
        return None
    shape = re.sub(r"[a-z]", "a", re.sub(r"[A-Z]", "A", re.sub(r"\d", "9", text)))
    return re.sub(r"([aA9])\1+", r"\1", shape.lower()) if "@" in text else shape


def _uncounted(text: str) -> str:
    """`text` without its counted phrases ("two fleets")."""
    for m in reversed(list(COUNT.finditer(text))):
        end = m.end()
        for _ in phrase_words(text, m.end()):
            end = PHRASE_WORD.match(text, end).end()  # type: ignore[union-attr]
        text = text[: m.start()] + text[end:]
    return text


# The end of a sentence or `;` clause, not of an abbreviation ("Dr.") or initial ("J.").
_SENTENCE_END = re.compile(r"(?<![A-Z])(?<!\b[A-Z][a-z])(?<!\b[A-Z][a-z][a-z])[.;!?](?=\s)|\n")
KINDS |= {"bigint": "number", "float": "number", "decimal": "number"}
# A number said as a word, before a word or as a key's value ("berths: six.").
_WORDS = "(" + "|".join(WORD_NUMBERS) + ")"
_NUMBER_WORD = re.compile(
    rf"(?<![\w-])(?:(?<=:\s){_WORDS}(?=\s*(?:[.,;\n]|$))|{_WORDS}\s+([a-z]+))", re.IGNORECASE
)
_QUOTES = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”")
_LIST_JOIN = re.compile(r"\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or)\s+)")
_GAP_WORDS = 3  # words allowed between a name and the value it introduces ("tonnage of 900")


def _attached(
    spec: str,
    words: list[tuple[int, int, str]],
    mentions: list[Mention],
    cue: list[str],
    taken: set[int],
    kinds: set[Kind],
    *,
    after_only: bool = False,
    longer: Sequence[dict[int, int]] = (),
    many: bool = False,
) -> tuple[Mention, ...]:
    """For each place the spec says `cue`, the value of each of `kinds` it introduces: the
    number right before it ("2 lifeboats") unless `after_only`, else the first within a few words
    after it, in the same sentence, not already `taken`; for a `many`-valued feature, also
    the values listed right after that one ("languages Danish, Dutch and Welsh")."""
    found: dict[int, Mention] = {}
    n = len(cue)
    for i in range(len(words) - n + 1):
        if not all(same_word(c, words[i + j][2], after_only) for j, c in enumerate(cue)):
            continue
        if any(i in spans and spans[i] > n for spans in longer):
            continue  # "deck" inside "car deck": the longer name is meant
        begin, end = words[i][0], words[i + n - 1][1]
        for kind in sorted(kinds):
            ahead = after_only or kind != "number"  # "4 berths", not "Aurora hull code"
            near = None if ahead else _before(spec, mentions, begin, kind, taken)
            gap = 1 if after_only else _GAP_WORDS  # a class's name comes right before a name
            near = near or _near(spec, mentions, end, kind, taken, gap, after_only)
            while near is not None:
                found[near.start] = near
                near = _listed_after(spec, mentions, near) if many else None
    return tuple(found[k] for k in sorted(found))


def _listed_after(spec: str, mentions: list[Mention], m: Mention) -> Mention | None:
    """The value listed right after `m`, of its kind ("Danish and Dutch", "A, B or C")."""
    later = [x for x in mentions if x.start >= m.end and x.kind == m.kind]
    if not later:
        return None
    nxt = min(later, key=by_place)
    gap = re.sub(r"[\"“”']", "", spec[m.end : nxt.start])  # 'keywords "a", "b" and "c"'
    return nxt if _LIST_JOIN.fullmatch(gap) else None


def _near(
    spec: str,
    mentions: list[Mention],
    end: int,
    kind: Kind,
    taken: set[int],
    gap_words: int,
    naming: bool = False,
) -> Mention | None:
    """The first value of `kind` within `gap_words` words after `end`; for a class's name
    (`naming`), not one a preposition leads to ("novels by Ibsen" names no novel)."""
    for m in mentions:
        if m.start < end or m.kind != kind:
            continue
        gap = spec[end : m.start]
        if naming and any(w.lower() in PREPOSITIONS for w in ALPHA.findall(gap)):
            return None
        if re.search(r"[.;]\s|^[^(]*\)", gap) or len(ALPHA.findall(gap)) > gap_words:
            return None  # past the sentence, the parenthesis, or a few words
        if m.start not in taken:
            return m
    return None


def _before(
    spec: str, mentions: list[Mention], begin: int, kind: Kind, taken: set[int]
) -> Mention | None:
    for m in reversed(mentions):
        if m.end > begin or m.kind != kind:
            continue
        gap = spec[m.end : begin]
        if not re.fullmatch(r"[\sA-Za-z]*", gap) or len(ALPHA.findall(gap)) > 1:
            return None
        return None if m.start in taken else m
    return None


# --- links: which declared objects the spec mentions together -------------------------------


@dataclass(frozen=True)
class Mentions:
    """Where each declared object is named in a spec: the sentences (or `;` clauses) holding
    one of its string values, or a word of one no other object's values share ("Ola" for
    "Ola Dahl", not "Lind" of four Linds)."""

    sentences: dict[str, frozenset[int]]

    def together(self, source: str, candidates: Sequence[str]) -> tuple[str, ...]:
        """The `candidates` named in a sentence that names `source`, in their order."""
        mine = self.sentences.get(source, frozenset())
        return tuple(c for c in candidates if mine & self.sentences.get(c, frozenset()))


def mentions(
    spec: str, names: Mapping[str, Sequence[str]], at: Mapping[str, int] | None = None
) -> Mentions:
    """`names`: object id → its string values. Where in `spec` each object is named; `at`:
    object id → where the spec states an object it does not name (a link's "A to B")."""
    bounds = [0] + [m.end() for m in _SENTENCE_END.finditer(spec)] + [len(spec) + 1]
    words: dict[str, set[str]] = {}
    for oid, values in names.items():
        for value in values:
            for word in re.findall(r"[A-Z][\w-]{2,}", value):
                if word.lower() not in STOP:
                    words.setdefault(word, set()).add(oid)
    found: dict[str, set[int]] = {}
    for oid, values in names.items():
        keys = {v for v in values if len(v) >= 2} | {w for w, ids in words.items() if ids == {oid}}
        for key in keys:
            for m in _said(spec, key):
                sentence = next(i for i, end in enumerate(bounds[1:]) if m.start() < end)
                found.setdefault(oid, set()).add(sentence)
    for oid, place in (at or {}).items():
        found.setdefault(oid, set()).add(next(i for i, end in enumerate(bounds[1:]) if place < end))
    return Mentions({oid: frozenset(s) for oid, s in found.items()})
