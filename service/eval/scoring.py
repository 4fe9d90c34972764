"""How close a candidate instance model is to a reference one: precision, recall and F1.

Ids are names a producer chose, so they carry no meaning here: objects are aligned by an optimal
one-to-one assignment (`eval.assignment`: SciPy when installed) on class compatibility, attribute
agreement and, in a few refinement rounds, agreement of their edges under the alignment so far;
of the alignments found, the one that explains most of the candidate is graded.

Rules (documented in README "## Evaluation"):
- Class compatibility: the same class scores 1.0; a pair where one class inherits from the
  other scores 0.5 (a half-right object); unrelated classes never match. The matching first
  maximises the number of matched pairs, then their similarity.
- objects: a matched pair contributes its class score. P = that sum / candidate objects,
  R = that sum / reference objects.
- attributes: every (class, feature, normalised value) triple, one per value of a many-valued
  feature; a triple is right when the matched counterpart has the same feature and value.
  Values are compared as EMF holds them (`service.core.values`: an EDate to the millisecond, an
  EFloat as a 32-bit float), and a single-valued attribute set to its default counts as
  unset, as EMF reads an absent one as its default (unsettable ones aside).
  Unmatched objects' triples count against P (extra) or R (missing).
- references: every edge (source, feature, target), with the implied eOpposite edge added on
  both sides so listing one end or both makes no difference; an edge is right when the matched
  counterparts have the same edge.
- Both sides empty: 1.0 everywhere. One side empty, the other not: 0.0.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.metamodel import Attribute, DataType, Metamodel, Reference
from instancegen.service.core.values import accepts, emf_date, is_default, is_external, to_lexical
from instancegen.service.eval.assignment import best_assignment

SAME_CLASS, RELATED_CLASS = 1.0, 0.5
REFINEMENT_ROUNDS = 5
_NUMERIC_KINDS = frozenset({"int", "float", "bigint", "decimal"})
_SPACES = re.compile(r"\s+")

Triple = tuple[str, Hashable]  # (feature, normalised value); the class is the object's own
Edge = tuple[str, str, str]  # (source id, feature, target id)


@dataclass(frozen=True, slots=True)
class Metric:
    """Precision, recall and F1 of one aspect."""

    precision: float
    recall: float
    f1: float

    def to_json(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


ZERO = Metric(0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Score:
    """The three aspects, plus the alignment found (reference id -> candidate id)."""

    objects: Metric
    attributes: Metric
    references: Metric
    matching: dict[str, str]

    def to_json(self) -> dict[str, dict[str, float]]:
        return {
            "objects": self.objects.to_json(),
            "attributes": self.attributes.to_json(),
            "references": self.references.to_json(),
        }


ZERO_SCORE = Score(ZERO, ZERO, ZERO, {})


def metric(correct: float, candidate_total: float, reference_total: float) -> Metric:
    """P/R/F1 from a true-positive count; the empty cases as the module docstring says."""
    if candidate_total == 0 and reference_total == 0:
        return Metric(1.0, 1.0, 1.0)
    if candidate_total == 0 or reference_total == 0:
        return ZERO
    p, r = correct / candidate_total, correct / reference_total
    return Metric(p, r, 2 * p * r / (p + r) if p + r else 0.0)


# --- value normalisation -------------------------------------------------------------------


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return None
        return Decimal(repr(value)).normalize()
    if isinstance(value, str):
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            return None
        return d.normalize() if d.is_finite() else None
    return None


def _instant(value: Any) -> str | None:
    """A CIM date as the instant EMF holds (UTC, to the millisecond), in EMF's spelling."""
    if not isinstance(value, str):
        return None
    try:
        return emf_date(value)
    except ValueError:
        return None


def _is_default(attr: Attribute, value: Any) -> bool:
    try:
        return is_default(attr, value)
    except (ValueError, TypeError, ArithmeticError):
        return False


def _boolean(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def normalise(value: Any, type_: DataType | None = None) -> Hashable:
    """One attribute value in a form where equal meanings compare equal (1 == 1.0, etc.).

    The declared type decides how a string is read (a `"1.0"` for an EDouble is a number);
    without one, the Python type does. Strings ignore case and runs of whitespace.
    """
    kind = type_.kind if type_ else None
    if kind == "float" and type_ is not None and accepts(type_)(value):
        return ("number", _number(to_lexical(value, type_)))  # an EFloat as float32 keeps it
    if kind in _NUMERIC_KINDS and (number := _number(value)) is not None:
        return ("number", number)
    if kind == "other" and type_ is not None and accepts(type_)(value):
        return ("text", _SPACES.sub(" ", to_lexical(value, type_).strip()).casefold())
    if kind == "bool" and (flag := _boolean(value)) is not None:
        return ("bool", flag)
    if kind == "date" and (instant := _instant(value)) is not None:
        return ("date", instant)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int | float) and (number := _number(value)) is not None:
        return ("number", number)
    if isinstance(value, str):
        return ("text", _SPACES.sub(" ", value.strip()).casefold())
    return ("other", repr(value))


# --- per-object facts ---------------------------------------------------------------------


def _class_score(mm: Metamodel, a: str, b: str) -> float:
    if a == b:
        return SAME_CLASS
    if a in mm.classes and b in mm.classes and (mm.is_subtype(a, b) or mm.is_subtype(b, a)):
        return RELATED_CLASS
    return 0.0


def _feature(mm: Metamodel, class_key: str, name: str) -> Attribute | Reference | None:
    view = mm.classes.get(class_key)
    return view.feature_map.get(name) if view else None


def _triples(mm: Metamodel, obj: CimObject) -> Counter[Triple]:
    result: Counter[Triple] = Counter()
    for name, raw in obj.attributes.items():
        feature = _feature(mm, obj.class_, name)
        type_ = feature.type if isinstance(feature, Attribute) else None
        if isinstance(feature, Attribute) and not feature.many and _is_default(feature, raw):
            continue  # unset and set to the default are one state to EMF
        values = raw if isinstance(raw, list) else [raw]
        result.update((name, normalise(v, type_)) for v in values if v is not None)
    return result


def edges(mm: Metamodel, cim: Cim) -> set[Edge]:
    """Every reference edge, closed under eOpposite so either end implies the other."""
    result: set[Edge] = set()
    for obj in cim.objects:
        for name, targets in obj.references.items():
            feature = _feature(mm, obj.class_, name)
            opposite = feature.opposite if isinstance(feature, Reference) else None
            for target in targets:
                result.add((obj.id, name, target))
                if opposite and not is_external(target):
                    result.add((target, opposite, obj.id))
    return result


def _overlap(a: Counter[Any], b: Counter[Any]) -> int:
    return sum((a & b).values())


# --- alignment ----------------------------------------------------------------------------


def _neighbourhoods(edge_set: set[Edge]) -> dict[str, Counter[tuple[str, str, str]]]:
    """Per object: its outgoing and incoming edges as (direction, feature, other end)."""
    result: dict[str, Counter[tuple[str, str, str]]] = {}
    for src, feature, dst in edge_set:
        result.setdefault(src, Counter())[("out", feature, dst)] += 1
        result.setdefault(dst, Counter())[("in", feature, src)] += 1
    return result


Hood = Counter[tuple[str, str, str]]
Block = tuple[list[int], list[int]]  # indices into the reference and the candidate objects
Pairs = list[tuple[int, int]]  # (reference index, candidate index)


@dataclass(frozen=True)
class _Facts:
    """What scoring knows of one model: objects, their attribute triples, its edges."""

    objects: list[CimObject]
    triples: list[Counter[Triple]]
    edges: set[Edge]

    @classmethod
    def of(cls, mm: Metamodel, cim: Cim) -> _Facts:
        return cls(cim.objects, [_triples(mm, o) for o in cim.objects], edges(mm, cim))

    @property
    def triple_count(self) -> int:
        return sum(c.total() for c in self.triples)


def _agreement(a: Counter[Any], b: Counter[Any], empty: float) -> float:
    """Shared share of two multisets (overlap over the larger); `empty` when both are empty."""
    size = max(a.total(), b.total())
    return _overlap(a, b) / size if size else empty


def _renamed(hood: Hood, matching: dict[str, str]) -> Hood:
    """A reference object's edges with its neighbours named as their candidate counterparts."""
    return Counter(
        {
            (d, f, matching.get(o, o)): n
            for (d, f, o), n in hood.items()
            if o in matching or is_external(o)
        }
    )


def _shape(hood: Hood) -> Counter[tuple[str, str]]:
    """An object's edges as (direction, feature) counts, whoever is at the other end."""
    shape: Counter[tuple[str, str]] = Counter()
    for (direction, feature, _), n in hood.items():
        shape[(direction, feature)] += n
    return shape


def _colours(facts: _Facts, hoods: dict[str, Hood], rounds: int = 3) -> list[int]:
    """Per object, a colour that only objects alike in class, attributes and, a few edges
    deep, in their neighbours' colours share (Weisfeiler-Lehman refinement): where two
    models are the same up to ids, corresponding objects get the same colour."""
    index = {o.id: k for k, o in enumerate(facts.objects)}
    colour = [
        hash((o.class_, tuple(sorted(map(repr, t.elements())))))
        for o, t in zip(facts.objects, facts.triples, strict=True)
    ]
    empty: Hood = Counter()
    for _ in range(rounds):
        colour = [
            hash(
                (
                    colour[k],
                    tuple(
                        sorted(
                            (d, f, colour[index[other]] if other in index else hash(other))
                            for (d, f, other) in hoods.get(o.id, empty).elements()
                        )
                    ),
                )
            )
            for k, o in enumerate(facts.objects)
        ]
    return colour


def _blocks(mm: Metamodel, ref: list[CimObject], cand: list[CimObject]) -> list[Block]:
    """Objects split into groups that can only match within: components of class compatibility.

    The assignment decomposes over them exactly, and small matrices keep it fast.
    """
    keys = sorted({o.class_ for o in ref} | {o.class_ for o in cand})
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            k = parent[k]
        return k

    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            if _class_score(mm, a, b):
                parent[root(a)] = root(b)
    groups: dict[str, Block] = {}
    for side, objects in enumerate((ref, cand)):
        for index, obj in enumerate(objects):
            groups.setdefault(root(obj.class_), ([], []))[side].append(index)
    return [g for g in groups.values() if g[0] and g[1]]


def _alignments(mm: Metamodel, ref: _Facts, cand: _Facts) -> Iterator[Pairs]:
    """Optimal assignments, first on class and attributes, then also on the edges that agree
    under the previous round's alignment (objects alike in attributes differ in neighbours)."""
    blocks = _blocks(mm, ref.objects, cand.objects)
    classes = [
        [[_class_score(mm, ref.objects[i].class_, cand.objects[j].class_) for j in cs]
         for i in rs]
        for rs, cs in blocks
    ]  # fmt: skip
    attrs = [
        [[_agreement(ref.triples[i], cand.triples[j], 1.0) for j in cs] for i in rs]
        for rs, cs in blocks
    ]
    ref_hoods, cand_hoods = _neighbourhoods(ref.edges), _neighbourhoods(cand.edges)
    empty: Hood = Counter()
    matching: dict[str, str] = {}
    seen: list[Pairs] = []
    # Before any alignment, objects alike in attributes are told apart by the shape of their
    # edges (which features go out and come in, how often), the other ends left aside. Each
    # block's assignment is used by the next at once, so structure propagates within a round.
    ref_shapes = [_shape(ref_hoods.get(o.id, empty)) for o in ref.objects]
    cand_shapes = [_shape(cand_hoods.get(o.id, empty)) for o in cand.objects]
    ref_colours, cand_colours = _colours(ref, ref_hoods), _colours(cand, cand_hoods)
    for round_ in range(REFINEMENT_ROUNDS):
        pairs: Pairs = []
        for (rs, cs), cls, attr in zip(blocks, classes, attrs, strict=True):
            hoods = [cand_hoods.get(cand.objects[j].id, empty) for j in cs]
            if round_:
                renamed = {
                    i: _renamed(ref_hoods.get(ref.objects[i].id, empty), matching) for i in rs
                }
                struct = [[_agreement(renamed[i], hood, 0.0) for hood in hoods] for i in rs]
            else:
                struct = [
                    [
                        1.0
                        if ref_colours[i] == cand_colours[j]
                        else _agreement(ref_shapes[i], cand_shapes[j], 0.0) / 2
                        for j in cs
                    ]
                    for i in rs
                ]
            # Any compatible pair outweighs every sum of similarities (each <= 1), so the
            # number of matched pairs is maximised first. Attributes are facts, structure
            # under a guessed alignment is not: they weigh double.
            bonus = min(len(rs), len(cs)) + 1.0
            weights = [
                [
                    bonus + c * (1 + 2 * a + t) / 4 if c > 0 else 0.0
                    for c, a, t in zip(cls[row], attr[row], struct[row], strict=True)
                ]
                for row in range(len(rs))
            ]
            found = [(rs[a], cs[b]) for a, b in best_assignment(weights) if cls[a][b]]
            matching.update((ref.objects[i].id, cand.objects[j].id) for i, j in found)
            pairs += found
        pairs.sort()
        if pairs in seen:
            return
        seen.append(pairs)
        yield pairs
        matching = {ref.objects[i].id: cand.objects[j].id for i, j in pairs}


def _grade(mm: Metamodel, ref: _Facts, cand: _Facts, pairs: Pairs) -> Score:
    matching = {ref.objects[i].id: cand.objects[j].id for i, j in pairs}
    object_hits = sum(
        _class_score(mm, ref.objects[i].class_, cand.objects[j].class_) for i, j in pairs
    )
    attr_hits = sum(_overlap(ref.triples[i], cand.triples[j]) for i, j in pairs)
    # A target in another document (`other.xmi#frag`) is no object here: it names itself.
    renamed = {
        (matching[s], f, matching.get(t, t))
        for s, f, t in ref.edges
        if s in matching and (t in matching or is_external(t))
    }
    return Score(
        objects=metric(object_hits, len(cand.objects), len(ref.objects)),
        attributes=metric(attr_hits, cand.triple_count, ref.triple_count),
        references=metric(len(renamed & cand.edges), len(cand.edges), len(ref.edges)),
        matching=matching,
    )


def score(metamodel: Metamodel, reference: Cim, candidate: Cim) -> Score:
    """Compare `candidate` with `reference` (both of `metamodel`); ids are ignored.

    Of the alignments the refinement rounds find, the one that explains most of the candidate
    counts (objects first, then attribute and reference hits together).
    """
    ref, cand = _Facts.of(metamodel, reference), _Facts.of(metamodel, candidate)
    graded = [_grade(metamodel, ref, cand, p) for p in _alignments(metamodel, ref, cand)]
    if not graded:  # nothing can match: no objects on a side, or no compatible classes
        return _grade(metamodel, ref, cand, [])

    def key(s: Score) -> tuple[float, float]:
        return (s.objects.f1, s.attributes.f1 + s.references.f1)

    return max(graded, key=key)
