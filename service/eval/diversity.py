"""How much the members of an instance set differ: three figures over every pair of members.

- **Scorer distance**: 1 − F1, F1 being the mean of the scorer's objects, attributes and
  references F1 (`eval.scoring`), averaged over the pairs. It says how far one member is from
  being the other, values and links together.
- **Attribute diversity**, the MODELS'25 instance-generation study's measure: per attribute,
  D = 2/(n(n−1)) · Σ_{i<j} d(v_i, v_j), with d = [v_i ≠ v_j] for numbers, enums, booleans
  and dates (compared as EMF holds them, `scoring.normalise`) and the normalised Levenshtein
  distance (edits / the longer length) for strings. Values are paired across members by the
  scorer's optimal assignment of objects: for each pair of members, each matched pair of
  objects gives one d per attribute either of them sets (d = 1 where only one sets it; a
  many-valued attribute's d is whether its values differ). Pooling each class's values per
  set instead would count the variety inside one member: three copies of a model with five
  differently named students would look diverse. With one object per class in each member,
  the pairs are exactly the study's n(n−1)/2.
- **Structural distance**: 1 − the normalised Weisfeiler-Lehman subtree kernel
  (Shervashidze et al., 2011) of the two members' typed object graphs: nodes labelled by
  class, edges by reference name and direction, `WL_ROUNDS` relabelling rounds; the kernel
  is the dot product of the label-count vectors, normalised to k(G,H)/√(k(G,G)·k(H,H)).
  Values play no part: 0 for members of the same shape, towards 1 for unrelated shapes.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Sequence
from statistics import fmean
from typing import Any

from pydantic import BaseModel, Field

from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.metamodel import Attribute, Metamodel
from instancegen.service.eval.scoring import edges, normalise, score

WL_ROUNDS = 3
MEASURE = f"Weisfeiler-Lehman subtree kernel, {WL_ROUNDS} rounds, cosine-normalised"


class AttributeDiversity(BaseModel):
    """The study's D per attribute and its means."""

    per_attribute: dict[str, float] = Field(
        default_factory=dict, description="`Class.feature` -> D over the aligned value pairs."
    )
    strings: float | None = Field(None, description="Mean D over the string attributes.")
    all: float | None = Field(None, description="Mean D over every attribute.")


class StructuralDistance(BaseModel):
    """1 − the normalised Weisfeiler-Lehman subtree kernel, over the pairs of members."""

    measure: str = MEASURE
    mean: float | None = None
    min: float | None = Field(None, description="The closest pair: near-copies show here.")


class SetFigures(BaseModel):
    """Every figure of one set (None where it has fewer than two members)."""

    pairs: int = 0
    scorer_distance: float | None = Field(
        None, description="Mean pairwise 1 − F1 (objects, attributes, references)."
    )
    attribute_diversity: AttributeDiversity = Field(default_factory=AttributeDiversity)
    structural_distance: StructuralDistance = Field(default_factory=StructuralDistance)


def set_figures(mm: Metamodel, cims: Sequence[Cim]) -> SetFigures:
    """The figures of a set of models of `mm` (the scorer runs once per pair)."""
    pairs = list(itertools.combinations(cims, 2))
    if not pairs:
        return SetFigures()
    far: list[float] = []
    d: dict[str, list[float]] = {}
    strings: set[str] = set()
    for a, b in pairs:
        s = score(mm, a, b)
        far.append(1 - (s.objects.f1 + s.attributes.f1 + s.references.f1) / 3)
        index = {o.id: o for o in b.objects}
        for o in a.objects:
            if o.id in s.matching:
                _compare(mm, o, index[s.matching[o.id]], d, strings)
    shapes = [_wl_features(mm, c) for c in cims]
    structural = [
        1 - _cosine(shapes[i], shapes[j]) for i, j in itertools.combinations(range(len(cims)), 2)
    ]
    per = {key: _round(fmean(values)) for key, values in sorted(d.items())}
    return SetFigures(
        pairs=len(pairs),
        scorer_distance=_round(fmean(far)),
        attribute_diversity=AttributeDiversity(
            per_attribute=per,
            strings=_mean([v for k, v in per.items() if k in strings]),
            all=_mean(list(per.values())),
        ),
        structural_distance=StructuralDistance(
            mean=_round(fmean(structural)), min=_round(min(structural))
        ),
    )


def _compare(
    mm: Metamodel, a: CimObject, b: CimObject, d: dict[str, list[float]], strings: set[str]
) -> None:
    """One d per attribute either of two matched objects sets, under `a`'s class."""
    view = mm.classes.get(a.class_)
    if view is None:
        return
    for name in sorted(set(a.attributes) | set(b.attributes)):
        attribute = view.feature_map.get(name)
        if not isinstance(attribute, Attribute):
            continue
        key = f"{a.class_}.{name}"
        d.setdefault(key, []).append(value_distance(attribute, a.attributes.get(name),
                                                    b.attributes.get(name)))  # fmt: skip
        if attribute.type.kind == "string" and not attribute.many:
            strings.add(key)


def value_distance(attribute: Attribute, x: Any, y: Any) -> float:
    """The study's d for two values of one attribute (None: not set)."""
    if x is None or y is None:
        return 0.0 if x is y else 1.0
    if attribute.type.kind == "string" and isinstance(x, str) and isinstance(y, str):
        return levenshtein(x, y) / max(len(x), len(y)) if x or y else 0.0
    if attribute.many and isinstance(x, list) and isinstance(y, list):
        same = Counter(normalise(v, attribute.type) for v in x) == Counter(
            normalise(v, attribute.type) for v in y
        )
        return 0.0 if same else 1.0
    return 0.0 if normalise(x, attribute.type) == normalise(y, attribute.type) else 1.0


def levenshtein(a: str, b: str) -> int:
    """Edits (insert, delete, substitute one character) turning `a` into `b`."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    a, b = a[start:], b[start:]
    while a and b and a[-1] == b[-1]:
        a, b = a[:-1], b[:-1]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _wl_features(mm: Metamodel, cim: Cim) -> Counter[tuple[int, Any]]:
    """The label counts of `WL_ROUNDS` rounds of Weisfeiler-Lehman relabelling, round 0
    being the classes; a label is counted with its round, so rounds never share one. Labels
    are Python hashes: compared within one process, never stored."""
    neighbours: dict[str, list[tuple[str, str]]] = {o.id: [] for o in cim.objects}
    for src, feature, dst in edges(mm, cim):
        if src in neighbours and dst in neighbours:
            neighbours[src].append((f">{feature}", dst))
            neighbours[dst].append((f"<{feature}", src))
    labels: dict[str, Any] = {o.id: o.class_ for o in cim.objects}
    features: Counter[tuple[int, Any]] = Counter((0, label) for label in labels.values())
    for round_ in range(1, WL_ROUNDS + 1):
        labels = {
            oid: hash((labels[oid], tuple(sorted((e, labels[n]) for e, n in near))))
            for oid, near in neighbours.items()
        }
        features.update((round_, label) for label in labels.values())
    return features


def _cosine(a: Counter[tuple[int, Any]], b: Counter[tuple[int, Any]]) -> float:
    """The normalised kernel: 1 for equal label counts (both empty included)."""
    dot = sum(n * b[label] for label, n in a.items())
    norm = math.sqrt(sum(n * n for n in a.values()) * sum(n * n for n in b.values()))
    return dot / norm if norm else float(a == b)


def _mean(values: list[float]) -> float | None:
    return _round(fmean(values)) if values else None


def _round(value: float) -> float:
    return round(value, 4)
