"""Phase 1 of the two-phase strategy: schemas that let a small model only write objects the
metamodel allows (phase 2, the links between them, is `two_phase.links_schema`).

`objects_model` asks, class by class, for objects with ids and attributes, with every list
bounded (objects per class by `object_cap`, values per many-valued attribute by `MAX_VALUES`)
so that even a small model repeating itself ends within its token budget. What a schema cannot
enforce is normalised deterministically between the phases (`declared_objects`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from types import GenericAlias
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model

from instancegen.service.core.checks import writable
from instancegen.service.core.cim import Cim, CimObject, parse_cim
from instancegen.service.core.issues import Issue, normalised
from instancegen.service.core.metamodel import (
    INT_RANGES,
    Attribute,
    EClassView,
    Metamodel,
    Reference,
)
from instancegen.service.core.scope import Scope, list_bounds
from instancegen.service.generation.naming import says
from instancegen.service.generation.schema import (
    NameAllocator,
    attribute_annotation,
    features_model,
    id_annotation,
)
from instancegen.service.generation.two_phase.spec_facts import SpecFacts
from instancegen.service.generation.two_phase.spec_values import KINDS

ID_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,29}$"
MAX_STRING = 80  # characters per string attribute value
MAX_PER_CLASS = 12  # objects per class: caps a small model that starts repeating itself
MAX_VALUES = 4  # values per many-valued attribute (unbounded lists let it repeat one value)
MAX_CHOICES = 96  # spec values offered per attribute (keeps the grammar small)
MAX_NAME_SEQUENCES = 16  # in-order name selections a grammar may spell out (`_ordered_entries`)
MAX_NAMED = 24  # names offered as entries of their own to a class the spec does not count
WORDS_PER_OBJECT = 20  # a specification describes about one object per this many words
MIN_PER_CLASS = 3  # "a few": what a terse specification still gets room for
_NAME_WORDS = re.compile(r"name|title|label", re.IGNORECASE)  # attributes that name objects
# A person's name kept in two parts: the given name(s) and the family name.
_NAME_PARTS = (
    re.compile(r"(first|given|fore)_?name", re.IGNORECASE),
    re.compile(r"(last|family|sur)_?name", re.IGNORECASE),
)
_CONFIG = ConfigDict(extra="forbid", populate_by_name=True)


# --- phase 1 ---------------------------------------------------------------------------------


class ObjectsRoot(BaseModel):
    """Phase 1's answer: one list of objects per concrete class, keyed by class."""

    model_config = _CONFIG

    def to_cim(self) -> Cim:
        data = self.model_dump(by_alias=True, exclude_none=True)
        objects = [
            {"id": e["id"], "class": key, "attributes": e.get("attributes", {})}
            for key, entries in data.items()
            for e in entries
        ]
        return parse_cim({"objects": objects}, "the answer")


def objects_model(
    mm: Metamodel,
    max_per_class: int | None = MAX_PER_CLASS,
    *,
    bounded: bool = True,
    facts: SpecFacts | None = None,
    named_entries: bool = True,
    scopes: Sequence[Scope] = (),
) -> type[ObjectsRoot]:
    """`{"<Class>": [{"id", "attributes"}], ...}` with a key for every concrete class, in
    containment order (roots first): the grammar walks a small model through every class, and
    a class the model must instantiate (the single root class and what it requires) needs at
    least one entry. `bounded` caps strings, values and ids for a small model; a capable one
    (`max_per_class` None, `bounded` False) may write all the spec asks for. With `facts`
    (what the spec states), a bounded model's values are the spec's (`grounded_annotation`)
    and a class the spec counts gets exactly that many entries; with `named_entries`, the
    names it gives a class's objects pin entries of their own (`_grounded_list`). A set of
    distinct models asks without: they would pin every member to the one model the spec
    names."""
    names = NameAllocator()
    names.allocate("Objects")
    counts = facts.counts if facts is not None and bounded else {}
    needed = required_classes(mm) | _required_by(mm, [k for k, n in counts.items() if n > 0])
    fields: dict[str, Any] = {}
    room = (
        _allotment(mm, facts, max_per_class)
        if facts is not None and bounded and max_per_class is not None
        else {}
    )
    held = list_bounds(mm, scopes)
    roots = [c.key for c in mm.concrete_classes if not mm.containers_of[c.key]]
    sole_root = roots[0] if len(roots) == 1 else None
    for i, cls in enumerate(phase_classes(mm)):
        base = names.allocate(cls.key)
        entry: dict[str, Any] = {"id": (id_annotation(ID_PATTERN if bounded else None), ...)}
        if cls.attributes:
            attrs = [
                (
                    a,
                    grounded_annotation(
                        cls.key, _bounded(a), facts, a.name == naming_attribute(cls, facts), cls
                    ),
                )
                if bounded
                else (a, attribute_annotation(a))
                for a in cls.attributes
            ]
            model = features_model(names.allocate(f"{base}Attributes"), attrs)
            required = any(a.lower > 0 for a in cls.attributes)
            entry["attributes"] = (
                (model, ...) if required else (model, Field(default_factory=model))
            )
        least = 1 if cls.key in needed else 0
        most = room.get(cls.key, max_per_class)
        stated = counts.get(cls.key)
        if cls.key in held:
            least, most = _scoped(held[cls.key], least)
        elif stated is not None and stated >= least:
            least = most = stated if most is None else min(stated, most)
        elif bounded and cls.key == sole_root:
            most = 1  # one root unless the spec (a count) or a scope asks for more
        said = facts if bounded else None  # what a small model is held to
        pinned = (
            _ordered_entries(cls, entry, said, least, names)
            if said is not None and least == most and least >= 2
            else None
        )
        if pinned is not None:  # one entry per stated object: a tuple
            fields[f"c{i}"] = (pinned, Field(alias=cls.key))
            continue
        kind: Any
        if said is not None and named_entries:
            kind, least, most = _grounded_list(cls, base, entry, said, names, least, most, stated)
        else:
            kind = _plain_entry(base, entry)
        fields[f"c{i}"] = (
            GenericAlias(list, (kind,)),
            Field(alias=cls.key, min_length=least, max_length=most),
        )
    return create_model("Objects", __base__=ObjectsRoot, **fields)


def _scoped(bounds: tuple[int, int | None], least: int) -> tuple[int, int | None]:
    """A scoped class's list length: the scope's, at least one where the class is needed
    (unless the scope allows none)."""
    low, high = bounds
    return (max(low, least) if high != 0 else 0), high


def _plain_entry(name: str, entry: dict[str, Any]) -> type[BaseModel]:
    """A phase-1 entry with nothing decided by name: an id and the attributes."""
    return create_model(name, __config__=_CONFIG, **entry)


def _grounded_list(
    cls: EClassView,
    base: str,
    entry: dict[str, Any],
    facts: SpecFacts,
    names: NameAllocator,
    least: int,
    most: int | None,
    stated: int | None,
) -> tuple[Any, int, int | None]:
    """A small model's entry kind and list bounds for `cls` when no stated count of 2 or
    more pins its entries: none of a class the spec speaks only of siblings of, or whose
    every name is another class's; named entries (`_named_entries`) where the spec names
    enough of its objects, no more than it names, and at least as many as it names as this
    class's alone; else the plain entry."""
    if least == 0 and cls.key in facts.absent:
        return _plain_entry(base, entry), 0, 0
    named = _named_entries(cls, entry, facts, names)
    if named is not None and (stated or 0) <= len(named[1]):
        kind, choices = named
        if stated is None:  # more entries than names would only repeat one
            most = len(choices) if most is None else min(most, len(choices))
            # The names the spec gives as this class's alone exist: a small model stops early.
            sure = sum(facts.described.get(v) == {cls.key} for v in choices)
            least = max(least, sure if most is None else min(sure, most))
        return kind, least, most
    if least == 0 and _named_elsewhere(cls, facts):
        return _plain_entry(base, entry), 0, 0
    return _plain_entry(base, entry), least, most


def _ordered_entries(
    cls: EClassView, entry: dict[str, Any], facts: SpecFacts, n: int, names: NameAllocator
) -> Any:
    """When the spec states `n` (2 or more) objects of `cls`: `n` entries that follow the
    spec's order, since specs introduce objects, and their values, in the order they list
    them. A single-valued attribute with exactly `n` values attached to it (or, for the naming
    attribute, to the class), none said of another class's name (`SpecFacts.owner`), gets the
    k-th of them in the k-th entry.
    Otherwise, when its objects have names (`_name_values`; a place or a date may repeat, a
    name does not) and the spec offers at least `n` (those it describes as this class's, if
    `n` are), the entries take `n` of them in order: every such selection as an alternative
    while they are few (MAX_NAME_SEQUENCES), else entry k chooses among choices k to
    k + spare; either way `n` entries cannot all take one name, as a small model repeating
    itself would. An entry with no name gets a fixed id of its own (marriage_1, marriage_2,
    ...): a small model writing the same unnamed entry n times would leave one."""
    naming = naming_attribute(cls, facts)
    per_entry: dict[str, list[tuple[Any, ...]]] = {}
    for a in cls.attributes:
        attached = () if a.many else _typed(a, _attached(cls.key, a, facts, naming))
        if any(facts.owner(v) not in (None, cls.key) for v in attached):
            attached = ()  # an email said of an employee is no department's
        if len(attached) == n:
            per_entry[a.name] = [(v,) for v in attached]
    strings = [a.name for a in cls.attributes if a.type.kind == "string" and a.name in per_entry]
    choices: tuple[Any, ...] = ()
    named = _name_values(cls, facts)
    if named is not None and not strings:  # no name pinned: take names in the spec's order
        choices = _choices(cls.key, named[0], facts, True, least=n)
        own = facts.names(cls.key, choices, only=n)
        choices = own if len(own) >= n else choices  # its own names, when enough
        if len(choices) >= n:
            spare = len(choices) - n
            per_entry[named[0].name] = [choices[k : k + spare + 1] for k in range(n)]
    # Where the spec names entry k: its pinned name, else another pinned string ("NWT").
    anchors = [per_entry[strings[0]][k][0] for k in range(n)] if strings else [None] * n
    made: dict[tuple[int, Any], type[BaseModel]] = {}

    def item(k: int, value: Any) -> type[BaseModel]:
        """Entry k, with `value` as its name when the name is decided per entry. Its id
        (written first) is then that name's id, so what a small model writes first leads it
        to the matching name, not away from it."""
        if (k, value) in made:
            return made[k, value]
        fixed = {a: vs[k] for a, vs in per_entry.items()}
        if value is not None:
            fixed[naming or ""] = (value,)
        anchor = value if value is not None else anchors[k]
        made[k, value] = _entry_about(
            cls,
            entry,
            facts,
            names,
            label=f"{cls.key}{k + 1}{'' if value is None else f'_{len(made)}'}",
            anchor=anchor,
            others=[v for vs in per_entry.get(naming or "", ()) for v in vs] + anchors,
            fixed=fixed,
            ident=id_for(cls.name, f"{cls.name} {k + 1}") if anchor is None else None,
        )
        return made[k, value]

    if naming not in per_entry:
        return GenericAlias(tuple, tuple(item(k, None) for k in range(n)))
    if len(per_entry[naming][0]) > 1 and math.comb(len(choices), n) <= MAX_NAME_SEQUENCES:
        selections = itertools.combinations(choices, n)
        tuples = [
            GenericAlias(tuple, tuple(item(k, v) for k, v in enumerate(c))) for c in selections
        ]
        return Union[tuple(tuples)]  # noqa: UP007
    items = []
    for k in range(n):
        variants = [item(k, v) for v in per_entry[naming][k]]
        items.append(variants[0] if len(variants) == 1 else Union[tuple(variants)])  # noqa: UP007
    return GenericAlias(tuple, tuple(items))


def _entry_about(
    cls: EClassView,
    entry: dict[str, Any],
    facts: SpecFacts,
    names: NameAllocator,
    *,
    label: str,
    anchor: Any,
    others: list[Any],
    fixed: dict[str, tuple[Any, ...]],
    ident: str | None = None,
) -> type[BaseModel]:
    """An entry of `cls` for the object the spec names `anchor` (None: not known): the
    `fixed` attributes hold one of their values, the others choose among what the spec says
    around that name (`_said_annotation`); an optional string, number or date it says none
    of there is left out, others choose among the spec's values. Its id (written first) is
    the name's id, so what a small model writes first leads it to the matching values, not
    away from them; `ident`, when given, instead."""
    naming = naming_attribute(cls, facts)
    fixed = _split_name(cls, naming, fixed)
    rivals = _unattached_rivals(cls, facts)
    attrs: list[tuple[Attribute, Any]] = []
    for a in cls.attributes:
        said = _said_annotation(
            a, facts, cls.key, anchor, others, a.name == naming, rivals.get(a.name)
        )
        if a.name in fixed:
            attrs.append((replace(a, lower=max(a.lower, 1)), Literal[fixed[a.name]]))
        elif said is not None and _said_surely(a, facts):  # written, not skipped
            attrs.append((replace(a, lower=max(a.lower, 1)), said))
        elif said is not None:
            attrs.append((a, said))
        elif anchor is None or a.lower > 0 or a.type.kind not in KINDS:
            grounded = grounded_annotation(cls.key, _bounded(a), facts, a.name == naming, cls)
            attrs.append((a, grounded))
        # else: a string, number or date the spec states nowhere near this object's name is
        # not its: offered, a small model fills it with another object's name or number.
    model = features_model(names.allocate(f"{label}Attributes"), attrs)
    fields = {**entry, "attributes": (model, ...)}
    if anchor is not None or ident is not None:
        fields["id"] = (Literal[ident or id_for(cls.name, str(anchor))], ...)
    return create_model(names.allocate(label), __config__=_CONFIG, **fields)


def _split_name(
    cls: EClassView, naming: str | None, fixed: dict[str, tuple[Any, ...]]
) -> dict[str, tuple[Any, ...]]:
    """`fixed` with a whole name ("Tove Lind") given to one part of a class that keeps a
    person's name in two (firstName, lastName) split between them: the last word is the
    family name, the words before it the given name."""
    value = fixed.get(naming or "", ())
    words = str(value[0]).split() if len(value) == 1 else []
    strings = [a.name for a in cls.attributes if a.type.kind == "string" and not a.many]
    parts = [next((n for n in strings if p.fullmatch(n)), None) for p in _NAME_PARTS]
    given, family = parts
    if len(words) < 2 or given is None or family is None or naming not in parts:
        return fixed
    return {**fixed, given: (" ".join(words[:-1]),), family: (words[-1],)}


def _named_entries(
    cls: EClassView, entry: dict[str, Any], facts: SpecFacts, names: NameAllocator
) -> tuple[Any, tuple[Any, ...]] | None:
    """For a class whose objects have names (its naming attribute is an iD or a name, title
    or label): an entry per name the spec may give one of them (`SpecFacts.names`: those it
    describes as this class's, if any), each with that name's id and the values said around
    it, and those names; a small model then picks a name and the rest follows from it. None
    without a name (MAX_NAMED at most, in the spec's order)."""
    named = _name_values(cls, facts)
    if named is None:
        return None
    attr, offered = named
    choices = facts.names(cls.key, offered, only=1)[:MAX_NAMED]
    if not choices:
        return None
    variants = [
        _entry_about(
            cls,
            entry,
            facts,
            names,
            label=f"{cls.key}Named",
            anchor=v,
            others=list(choices),
            fixed={attr.name: (v,)},
        )
        for v in choices
    ]
    return Union[tuple(variants)], choices  # noqa: UP007


def _named_elsewhere(cls: EClassView, facts: SpecFacts) -> bool:
    """Whether objects of `cls` have names (an iD, or a name, title or label) and every name
    the spec gives is another class's (`SpecFacts.names` offers none)."""
    named = _name_values(cls, facts)
    return named is not None and bool(named[1]) and not facts.names(cls.key, named[1])


def _name_values(cls: EClassView, facts: SpecFacts) -> tuple[Attribute, tuple[Any, ...]] | None:
    """The attribute that names objects of `cls` (its naming attribute, when an iD or called
    a name, title or label) and the strings the spec offers it; None when none names them."""
    attr = cls.feature_map.get(naming_attribute(cls, facts) or "")
    if not isinstance(attr, Attribute) or not (attr.is_id or _NAME_WORDS.search(attr.name)):
        return None
    return attr, _typed(attr, facts.choices(cls.key, attr.name, "string", naming=True))


def _unattached_rivals(cls: EClassView, facts: SpecFacts) -> dict[str, tuple[int, int]]:
    """Single-valued number and date attributes of `cls` no value is attached to by name,
    each with its place among those of its kind and how many they are: born and died, loaned
    and due, start and end."""
    rivals: dict[str, list[str]] = {}
    for a in cls.attributes:
        kind = KINDS.get(a.type.kind, "string")
        if kind != "string" and not a.many and not facts.by_feature.get(a.name):
            rivals.setdefault(kind, []).append(a.name)
    return {name: (i, len(ns)) for ns in rivals.values() for i, name in enumerate(ns)}


def _said_annotation(
    attr: Attribute,
    facts: SpecFacts,
    cls_key: str,
    name: Any,
    others: list[Any],
    naming: bool = False,
    rival: tuple[int, int] | None = None,
) -> Any:
    """For a single-valued attribute of the object the spec names `name`, the choice among
    what the spec says around that name: for the naming attribute, or one with values of its
    own ("email eng@x.io"), the string closest to it ("Night Watch (code NWT)");
    the enum literals it uses ("a navigator", "female"), the numbers and dates it states, after
    the name first, else before it (`SpecFacts.segment`); a boolean's name (`_said_flag`).
    Values attached to another feature or class do not count. None when the spec says none
    of them there.

    `rival` (`_unattached_rivals`: the i-th of k attributes of its kind with no values of
    their own): where the spec says no more values than there are such attributes, the i-th
    value is this one's, and none past the last ("born 1950" gives no death date)."""
    kind = attr.type.kind
    if name is not None and kind == "bool" and not attr.many:
        return _said_flag(attr, facts, name, others)
    if name is None or not (kind == "enum" or kind in KINDS):
        return None
    if attr.many:
        return _said_list(attr, facts, name, others)
    skip = facts.elsewhere(cls_key, attr.name)
    if kind == "string":  # the naming attribute, or a feature with values of its own
        own = {m.start for m in facts.by_feature.get(attr.name, ())}
        if not own and not naming:
            return None
        if own:
            skip = {m.start for m in facts.mentions if m.start not in own}
        value = facts.nearest(name, others, "string", skip)
        return None if value is None or len(str(value)) > MAX_STRING else Literal[(value,)]
    own = {m.start for m in facts.by_feature.get(attr.name, ())}
    for text, found in facts.segment(name, others):
        if kind == "enum":
            values: tuple[Any, ...] = tuple(x for x in attr.type.literals if says(text, x))
        else:
            stated = (
                m.value
                for m in found
                if m.kind == KINDS[kind] and m.start not in skip and (not own or m.start in own)
            )
            values = _typed(attr, tuple(dict.fromkeys(stated)))
            if values and rival is not None and rival[1] > 1 and len(values) <= rival[1]:
                values = values[rival[0] : rival[0] + 1]
                return Literal[values] if values else None
        if values:
            return Literal[values]
    return None


def _said_flag(attr: Attribute, facts: SpecFacts, name: Any, others: list[Any]) -> Any:
    """A boolean the spec says by its name right after where it names the object: true
    ("Ola Dahl (61, certified)"), false when "not", "no" or "never" comes just before it
    ("Per Moe (40, not certified)"). None when its name is not said there."""
    for text, _ in facts.segment(name, others)[:1]:
        if says(text, attr.name):
            words = re.findall(r"[A-Za-z]+", text.lower())
            negated = any(
                says(" ".join(words[i + 1 : i + 3]), attr.name)
                for i, w in enumerate(words)
                if w in ("not", "no", "never", "without")
            )
            return Literal[(not negated,)]
    return None


def _said_surely(attr: Attribute, facts: SpecFacts) -> bool:
    """Whether what `_said_annotation` finds for `attr` is surely this attribute's: an enum
    literal, a boolean or a string named for it, or a number or date attached to its name
    ("900 t" next to a bare "in 1987" is not)."""
    kind = attr.type.kind
    return kind in ("enum", "string", "bool") or attr.many or bool(facts.by_feature.get(attr.name))


def _said_list(attr: Attribute, facts: SpecFacts, name: Any, others: list[Any]) -> Any:
    """For a many-valued attribute with values of its own ("languages Danish and Dutch"), a
    list of those the spec states around `name`, after it first, else before it."""
    own = {m.start for m in facts.by_feature.get(attr.name, ())}
    for _, found in facts.segment(name, others):
        values = _typed(attr, tuple(dict.fromkeys(m.value for m in found if m.start in own)))
        if values:
            most = len(values) if attr.upper == -1 else min(attr.upper, len(values))
            return Annotated[list[Literal[values]], Field(min_length=1, max_length=most)]  # type: ignore[valid-type]
    return None


def id_for(class_name: str, value: str) -> str:
    """An id made of a name: "Ola Dahl" → ola_dahl, "P-0001" → p_0001, "2025" → x_2025."""
    slug = re.sub(r"[^A-Za-z0-9]+", "_", value).strip("_").lower()
    if not slug[:1].isalpha():
        slug = f"{class_name[:1].lower() or 'x'}_{slug}".rstrip("_")
    return slug[:30]


def grounded_annotation(
    cls_key: str,
    attr: Attribute,
    facts: SpecFacts | None,
    naming: bool = False,
    owner: EClassView | None = None,
) -> Any:
    """A bounded attribute's type; with `facts`, a choice among the values the spec states
    that fit the attribute (its strings, numbers in range, dates). A small model picks a
    value it is offered far more faithfully than it spells one. An attribute the spec offers
    nothing for stays free, but for what its realism checks say of plausible values (with
    `owner`, its class: `_plausible`); enums and booleans already are choices."""
    choices = _choices(cls_key, attr, facts, naming) if facts is not None else ()
    if not choices:
        return (
            _plausible(owner, attr)
            if owner is not None
            else attribute_annotation(attr, max_string=MAX_STRING)
        )
    scalar: Any = Literal[choices]
    if not attr.many:
        return scalar
    return Annotated[
        GenericAlias(list, (scalar,)),
        Field(min_length=attr.lower or None, max_length=None if attr.upper == -1 else attr.upper),
    ]


def _plausible(owner: EClassView, attr: Attribute) -> Any:
    """A free single value held to what its realism checks say only plausible values meet
    (`checks.writable`: a birth year's range, an e-mail's or a code's pattern), so a small
    model writes a plausible one rather than being repaired for it."""
    held = {} if attr.many else writable(owner, attr, datetime.now(UTC).date())
    kind = attr.type.kind
    if "pattern" in held and kind in ("string", "date"):
        return Annotated[str, StringConstraints(max_length=MAX_STRING, pattern=held["pattern"])]
    if ("minimum" in held or "maximum" in held) and kind in ("int", "float", "decimal"):
        base: Any = int if kind == "int" else float
        return Annotated[base, Field(ge=held.get("minimum"), le=held.get("maximum"))]
    return attribute_annotation(attr, max_string=MAX_STRING)


def naming_attribute(cls: EClassView, facts: SpecFacts | None = None) -> str | None:
    """The attribute a spec's name for an object of `cls` goes to ('the ferry "X"'): its
    single-valued string attribute called a name, title or label, else its iD one, else its
    first; with `facts`, the first of those the spec does not already give values of its
    own ("Night Watch (code NWT)": the name, not the code), or codes ("pilot number P-1")."""
    strings = [a for a in cls.attributes if a.type.kind == "string" and not a.many]
    ranked = sorted(strings, key=lambda a: (not _NAME_WORDS.search(a.name), not a.is_id))
    if facts is not None:
        free = [
            a
            for a in ranked
            if not facts.by_feature.get(a.name)
            or (a.name in facts.shared and not facts.coded(a.name))
        ]
        ranked = free or ranked
    return ranked[0].name if ranked else None


def spec_choices(cls: EClassView, attr: Attribute, facts: SpecFacts) -> tuple[Any, ...]:
    """The spec's values phase 1 offers for `attr` of `cls`, typed: also what the invariant
    search (`service.core.ocl.search`) tries first."""
    return _choices(cls.key, attr, facts, attr.name == naming_attribute(cls, facts))


def _choices(
    cls_key: str, attr: Attribute, facts: SpecFacts, naming: bool = False, least: int = 1
) -> tuple[Any, ...]:
    """The spec's values that fit `attr` (`SpecFacts.choices`), typed for it; for the
    `naming` attribute, those that may name an object of the class (`SpecFacts.names`) when
    at least `least` do."""
    kind = attr.type.kind
    if kind not in KINDS:
        return ()
    found = _typed(attr, facts.choices(cls_key, attr.name, KINDS[kind], naming=naming))
    lone = kind == "string" and len(found) == 1
    if lone and not _attached(cls_key, attr, facts, attr.name if naming else None):
        # The one free string the spec states, said to name an object of another class, is
        # that object's: as the only choice here, every object of this class would repeat it
        found = tuple(v for v in found if cls_key in facts.described.get(v, {cls_key}))
    named = facts.names(cls_key, found) if naming else found
    return named if len(named) >= least else found


def _attached(
    cls_key: str, attr: Attribute, facts: SpecFacts, naming: str | None
) -> tuple[Any, ...]:
    """The spec's values attached to `attr` or (for the naming attribute) its class."""
    if attr.type.kind not in KINDS:
        return ()
    found = facts.attached(cls_key, attr.name, KINDS[attr.type.kind], naming=attr.name == naming)
    return tuple(dict.fromkeys(m.value for m in found))


def _typed(attr: Attribute, values: tuple[Any, ...]) -> tuple[Any, ...]:
    """`values` that fit `attr`'s type, as that type."""
    kind = attr.type.kind
    if kind == "string":
        values = tuple(v for v in values if len(str(v)) <= MAX_STRING)
    elif kind in ("int", "bigint"):
        lo, hi = INT_RANGES[attr.type.int_size or "long"] if kind == "int" else (-(2**63), 2**63)
        values = tuple(int(v) for v in values if float(v) == int(v) and lo <= int(v) <= hi)
    return values[:MAX_CHOICES]


def object_cap(mm: Metamodel, facts: SpecFacts, max_tokens: int) -> int:
    """Objects per class for phase 1: about as many as the spec can describe (one per
    WORDS_PER_OBJECT words, at least MIN_PER_CLASS, or any count up to MAX_PER_CLASS it
    states like "five ferries"), and few enough that an answer filling every list still
    fits in `max_tokens` by a generous estimate. A small model tends to fill a list up to
    its bound, so the bound decides how long (and how slow) its answer is."""
    stated = [n for n in facts.sizes if n <= MAX_PER_CLASS]
    by_spec = max(MIN_PER_CLASS, math.ceil(facts.words / WORDS_PER_OBJECT), *stated)
    per_round = sum(_entry_tokens(c) for c in phase_classes(mm))
    return max(1, min(MAX_PER_CLASS, by_spec, max_tokens // per_round))


def _allotment(mm: Metamodel, facts: SpecFacts, cap: int) -> dict[str, int]:
    """Objects per class within the tokens `cap` objects of every class would take: a class
    the spec counts or names fewer objects of (none, if it never speaks of it) leaves room
    that goes, an object at a time, to classes it names or counts more of, up to
    MAX_PER_CLASS. A spec naming thirteen signals and three buses then gets them, where an
    even cap held every class to three."""
    classes = phase_classes(mm)
    tokens = {c.key: _entry_tokens(c) for c in classes}
    wanted: dict[str, int] = {}
    for c in classes:
        named = _name_values(c, facts)
        offered = len(facts.names(c.key, named[1], only=1)) if named is not None else 0
        if c.key in facts.counts:
            wanted[c.key] = facts.counts[c.key]
        elif c.key in facts.absent:
            wanted[c.key] = 0
        elif offered:
            wanted[c.key] = offered
    room = {c.key: min(cap, wanted.get(c.key, cap)) for c in classes}
    spare = sum(tokens[k] * (cap - n) for k, n in room.items())
    grew = True
    while grew:
        grew = False
        for k, n in room.items():
            if n < min(wanted.get(k, 0), MAX_PER_CLASS) and tokens[k] <= spare:
                room[k], spare, grew = n + 1, spare - tokens[k], True
    return {k: max(n, cap) for k, n in room.items()}  # fewer are held to by their own bounds


def _entry_tokens(cls: EClassView) -> int:
    """About the most tokens one phase-1 entry of `cls` takes: id, every attribute, full lists."""
    values = (_bounded(a).upper if a.many else 1 for a in cls.attributes)
    return 10 + sum(10 + 5 * (n - 1) for n in values)


def _bounded(attr: Attribute) -> Attribute:
    """`attr` with at most MAX_VALUES values (more when its lower bound asks for more)."""
    if not attr.many:
        return attr
    most = max(attr.lower, MAX_VALUES)
    return replace(attr, upper=most if attr.upper == -1 else min(attr.upper, most))


def phase_classes(mm: Metamodel) -> list[EClassView]:
    """Concrete classes, containers before what they contain: roots first, breadth-first."""
    order: dict[str, None] = {}
    todo = [c.key for c in mm.concrete_classes if not mm.containers_of[c.key]]
    while todo:
        key = todo.pop(0)
        if key in order:
            continue
        order[key] = None
        for ref in mm.classes[key].references:
            if ref.containment:
                todo.extend(mm.concrete_subtypes(ref.target))
    for c in mm.concrete_classes:
        order.setdefault(c.key, None)
    return [mm.classes[k] for k in order]


def required_classes(mm: Metamodel) -> set[str]:
    """The one root class (when there is exactly one) and, from it, every class a required
    containment forces (when the reference's type has a single concrete class)."""
    roots = [c.key for c in mm.concrete_classes if not mm.containers_of[c.key]]
    needed: set[str] = set()
    todo = roots if len(roots) == 1 else []
    while todo:
        key = todo.pop()
        if key in needed:
            continue
        needed.add(key)
        for ref in mm.classes[key].references:
            subs = mm.concrete_subtypes(ref.target)
            if ref.containment and ref.lower > 0 and len(subs) == 1:
                todo.append(subs[0])
    return needed


def _required_by(mm: Metamodel, present: list[str]) -> set[str]:
    """The classes objects of `present` classes need, transitively: the single concrete
    target of each required reference ("two ferries", each with a master [1..*]: a master)."""
    needed: set[str] = set()
    todo = list(present)
    while todo:
        key = todo.pop()
        for ref in mm.classes[key].references:
            subs = mm.concrete_subtypes(ref.target)
            if ref.lower > 0 and len(subs) == 1 and subs[0] not in needed:
                needed.add(subs[0])
                todo.append(subs[0])
    return needed


def objects_answer(mm: Metamodel, cim: Cim) -> dict[str, list[dict[str, Any]]]:
    """`cim` in phase 1's answer form (the worked example, the previous answer in a repair)."""
    answer: dict[str, list[dict[str, Any]]] = {c.key: [] for c in phase_classes(mm)}
    for o in cim.objects:
        entry: dict[str, Any] = {"id": o.id}
        if o.attributes:
            entry["attributes"] = o.attributes
        answer.setdefault(o.class_, []).append(entry)
    return answer


def declared_objects(mm: Metamodel, cim: Cim, notes: list[Issue] | None = None) -> list[CimObject]:
    """Phase 1's objects, made usable for phase 2: references dropped, exact repeats removed,
    clashing ids made unique (`x`, `x_2`), since ids carry no meaning of their own, colliding
    iD attribute values told apart (`unique_id_values`), and objects no phase-2 answer could
    complete left out (`completable`). Each change is added to `notes` as a `normalised`
    warning."""
    notes = [] if notes is None else notes
    seen: set[str] = set()
    kept: dict[str, CimObject] = {}
    for obj in cim.objects:
        key = obj.model_dump_json(exclude={"references"})
        if key in seen:
            notes.append(
                normalised(
                    f"{obj.id} ({obj.class_}) was declared twice with the same values; the "
                    "repeat was dropped.",
                    obj.id,
                )
            )
            continue
        seen.add(key)
        new_id, n = obj.id, 1
        while new_id in kept:
            n += 1
            new_id = f"{obj.id}_{n}"
        if new_id != obj.id:
            notes.append(
                normalised(
                    f"Two objects had the id {obj.id!r}; the later one ({obj.class_}) is now "
                    f"{new_id!r}.",
                    new_id,
                )
            )
        attributes = _without_repeats(mm, obj, new_id, notes)
        kept[new_id] = obj.model_copy(
            update={"id": new_id, "references": {}, "attributes": attributes}
        )
    return completable(mm, unique_id_values(mm, list(kept.values()), notes), notes)


def _without_repeats(mm: Metamodel, obj: CimObject, oid: str, notes: list[Issue]) -> dict[str, Any]:
    """`obj`'s attributes with each value of a unique many-valued one kept once (a small model
    choosing from a list repeats a choice; EMF would keep one)."""
    features = mm.classes[obj.class_].feature_map
    attributes = dict(obj.attributes)
    for name, values in obj.attributes.items():
        attr = features.get(name)
        if not (isinstance(attr, Attribute) and attr.many and attr.unique):
            continue
        if isinstance(values, list) and len(set(map(str, values))) < len(values):
            attributes[name] = list({str(v): v for v in values}.values())
            notes.append(
                normalised(
                    f"{oid}.{name} listed a value more than once; each is kept once.", oid, name
                )
            )
    return attributes


def completable(
    mm: Metamodel, objects: list[CimObject], notes: list[Issue] | None = None
) -> list[CimObject]:
    """`objects` without those whose required plain references cannot be filled from the
    declared objects (a Marriage needing two spouses when one Person is declared): no phase-2
    answer could make them valid, and a smaller valid model beats an invalid one. Objects of
    a class the model must have (`required_classes`) stay, for the validator to report. Leaving
    one out can starve another, so this repeats until nothing changes; each one left out is
    added to `notes`."""
    needed = required_classes(mm)
    kept = objects
    while True:
        pool = Counter(o.class_ for o in kept)
        left = [o for o in kept if o.class_ in needed or _fillable(mm, o.class_, pool)]
        if len(left) == len(kept):
            return left
        if notes is not None:
            dropped = [o for o in kept if not (o.class_ in needed or _fillable(mm, o.class_, pool))]
            notes.extend(
                normalised(
                    f"{o.id} ({o.class_}) was left out: its required references need more "
                    "objects than were declared.",
                    o.id,
                )
                for o in dropped
            )
        kept = left


def _fillable(mm: Metamodel, key: str, pool: Counter[str]) -> bool:
    for ref in mm.classes[key].references:
        if ref.lower == 0 or ref.containment or _to_container(mm, ref):
            continue
        if sum(pool[sub] for sub in mm.concrete_subtypes(ref.target)) < ref.lower:
            return False
    return True


def _to_container(mm: Metamodel, ref: Reference) -> bool:
    """Whether `ref` is the opposite of a containment (set by being contained, not asked)."""
    opp = mm.classes[ref.target].feature_map.get(ref.opposite) if ref.opposite else None
    return isinstance(opp, Reference) and opp.containment


def unique_id_values(
    mm: Metamodel, objects: list[CimObject], notes: list[Issue] | None = None
) -> list[CimObject]:
    """`objects` with no two iD attribute values equal: the first object keeps its value, each
    later one gets the nearest unused value of its type (strings `v-2`, `v-3`, ...; numbers the
    next unused one; enums the next unused literal). EMF keeps one ID table per resource, a
    small model often repeats a value, and a schema cannot ask for uniqueness. Values that
    cannot be told apart that way (booleans, dates, characters) are left to the validator."""
    taken: set[str] = set()
    clashes: list[tuple[int, Attribute]] = []
    for i, obj in enumerate(objects):
        features = mm.classes[obj.class_].feature_map
        for name, value in obj.attributes.items():
            attr = features.get(name)
            if not (isinstance(attr, Attribute) and attr.is_id and not attr.many):
                continue
            if _id_text(value) in taken:
                clashes.append((i, attr))
            taken.add(_id_text(value))
    result = list(objects)
    for i, attr in clashes:
        obj = result[i]
        value = next(
            (v for v in _alternatives(attr, obj.attributes[attr.name]) if _id_text(v) not in taken),
            None,
        )
        if value is not None:
            taken.add(_id_text(value))
            result[i] = obj.model_copy(update={"attributes": {**obj.attributes, attr.name: value}})
            if notes is not None:
                notes.append(
                    normalised(
                        f"{obj.id}.{attr.name} was {obj.attributes[attr.name]!r}, an iD value "
                        f"another object already has; it is now {value!r}.",
                        obj.id,
                        attr.name,
                    )
                )
    return result


def _alternatives(attr: Attribute, value: Any) -> Iterable[Any]:
    """Values near `value` for an iD attribute, nearest first (nothing for kinds that have
    no natural neighbour)."""
    kind = attr.type.kind
    if isinstance(value, bool):
        return ()
    if kind == "string" and isinstance(value, str):
        return (f"{value}-{n}" for n in itertools.count(2))
    if kind in ("int", "bigint") and isinstance(value, int):
        if kind == "bigint":
            return itertools.count(value + 1)
        lo, hi = INT_RANGES[attr.type.int_size or "long"]
        return itertools.chain(range(value + 1, hi + 1), range(value - 1, lo - 1, -1))
    if kind in ("float", "decimal") and isinstance(value, int | float):
        return (value + n for n in itertools.count(1))
    if kind == "enum" and value in attr.type.literals:
        start = attr.type.literals.index(value)
        return attr.type.literals[start + 1 :] + attr.type.literals[:start]
    return ()


def _id_text(value: Any) -> str:
    """An iD value the way EMF's ID table (and the validator) compares it."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
