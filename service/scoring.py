"""How close a candidate instance model is to a reference one: precision, recall and F1.

Ids are names a producer chose, so they carry no meaning here: objects are aligned by an optimal
one-to-one assignment (`scipy.optimize.linear_sum_assignment`) on class compatibility, attribute
agreement and, in a few refinement rounds, agreement of their edges under the alignment so far.

Rules (documented in README "## Evaluation"):
- Class compatibility: the same class scores 1.0; a pair where one class inherits from the
  other scores 0.5 (a half-right object); unrelated classes never match. The matching first
  maximises the number of matched pairs, then their similarity.
- objects: a matched pair contributes its class score. P = that sum / candidate objects,
  R = that sum / reference objects.
- attributes: every (class, feature, normalised value) triple, one per value of a many-valued
  feature; a triple is right when the matched counterpart has the same feature and value.
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
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
from scipy.optimize import linear_sum_assignment

from service.cim import Cim, CimObject
from service.metamodel import Attribute, DataType, Metamodel, Reference

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
    """An ISO 8601 date or date-time as the UTC instant it names (naive = UTC)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat()


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
    if kind in _NUMERIC_KINDS and (number := _number(value)) is not None:
        return ("number", number)
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
                if opposite:
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


def _structure(
    ref_hood: Counter[tuple[str, str, str]],
    cand_hood: Counter[tuple[str, str, str]],
    matching: dict[str, str],
) -> float:
    """Share of edges two objects agree on when their neighbours are renamed by `matching`."""
    size = max(sum(ref_hood.values()), sum(cand_hood.values()))
    if not size or not matching:
        return 0.0
    renamed = Counter(
        {(d, f, matching[o]): n for (d, f, o), n in ref_hood.items() if o in matching}
    )
    return _overlap(renamed, cand_hood) / size


def _align(
    mm: Metamodel,
    ref: list[CimObject],
    cand: list[CimObject],
    ref_edges: set[Edge],
    cand_edges: set[Edge],
    ref_triples: list[Counter[Triple]],
    cand_triples: list[Counter[Triple]],
) -> list[tuple[int, int]]:
    """Maximum-cardinality, then maximum-similarity one-to-one pairs (reference, candidate)."""
    if not ref or not cand:
        return []
    classes = np.array([[_class_score(mm, r.class_, c.class_) for c in cand] for r in ref])
    attrs = np.zeros(classes.shape)
    for i, rt in enumerate(ref_triples):
        for j, ct in enumerate(cand_triples):
            total = max(sum(rt.values()), sum(ct.values()))
            attrs[i, j] = _overlap(rt, ct) / total if total else 1.0
    ref_hoods, cand_hoods = _neighbourhoods(ref_edges), _neighbourhoods(cand_edges)
    empty: Counter[tuple[str, str, str]] = Counter()
    # Every compatible pair outweighs any sum of similarities (each <= 1), so the number of
    # matched pairs is maximised first.
    bonus = min(len(ref), len(cand)) + 1.0
    matching: dict[str, str] = {}
    pairs: list[tuple[int, int]] = []
    for _ in range(REFINEMENT_ROUNDS):
        struct = np.array(
            [
                [
                    _structure(ref_hoods.get(r.id, empty), cand_hoods.get(c.id, empty), matching)
                    for c in cand
                ]
                for r in ref
            ]
        )
        weights = np.where(classes > 0, bonus + classes * (1 + attrs + struct) / 3, 0.0)
        rows, cols = linear_sum_assignment(weights, maximize=True)
        new_pairs = [(int(i), int(j)) for i, j in zip(rows, cols, strict=True) if classes[i, j]]
        if new_pairs == pairs:
            break
        pairs = new_pairs
        matching = {ref[i].id: cand[j].id for i, j in pairs}
    return pairs


def score(metamodel: Metamodel, reference: Cim, candidate: Cim) -> Score:
    """Compare `candidate` with `reference` (both of `metamodel`); ids are ignored."""
    ref, cand = reference.objects, candidate.objects
    ref_triples = [_triples(metamodel, o) for o in ref]
    cand_triples = [_triples(metamodel, o) for o in cand]
    ref_edges, cand_edges = edges(metamodel, reference), edges(metamodel, candidate)
    pairs = _align(metamodel, ref, cand, ref_edges, cand_edges, ref_triples, cand_triples)
    matching = {ref[i].id: cand[j].id for i, j in pairs}

    object_hits = sum(_class_score(metamodel, ref[i].class_, cand[j].class_) for i, j in pairs)
    attr_hits = sum(_overlap(ref_triples[i], cand_triples[j]) for i, j in pairs)
    renamed = {
        (matching[s], f, matching[t]) for s, f, t in ref_edges if s in matching and t in matching
    }
    return Score(
        objects=metric(object_hits, len(cand), len(ref)),
        attributes=metric(attr_hits, _size(cand_triples), _size(ref_triples)),
        references=metric(len(renamed & cand_edges), len(cand_edges), len(ref_edges)),
        matching=matching,
    )


def _size(counters: Iterable[Counter[Triple]]) -> int:
    return sum(sum(c.values()) for c in counters)
