"""Sets of distinct instance models of one kind (`generate --count N --kind K`).

Each member is one generation; its prompt says, after the spec, what the kind asks for and
the member's place in the set (`member_note`), so the LLM varies names, values and sizes,
while what is read from the spec stays the user's spec. A member isomorphic to an earlier one
(same classes, values and link structure under some renaming of ids) is asked again. Kinds:
- `typical`: ordinary models of the spec;
- `boundary`: many-valued features filled to their upper bounds, values at their limits;
- `edge`: minimal or degenerate models (only what is required, empty or tiny values);
- `invalid`: a valid model with exactly one rule broken on purpose (multiplicity, containment,
  dangling reference, value type); the manifest names the finding `validate` reports for
  it, so the set can test other tools' validators.
`diversity` is the mean pairwise 1 − the scorer's F1 (mean of the objects, attributes and
references F1) over every pair of members; `figures` adds the attribute diversity and the
structural distance (`service.eval.diversity`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, cast

from pydantic import BaseModel, Field

from instancegen import compilers
from instancegen.service.app.set_variety import avoided, variety_note
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.eval.diversity import SetFigures, set_figures
from instancegen.service.generation.options import Avoid
from instancegen.service.generation.result import GenerationResult, Usage

Kind = Literal["typical", "boundary", "edge", "invalid"]
KINDS: tuple[Kind, ...] = ("typical", "boundary", "edge", "invalid")
MAX_COUNT = 50
TRIES_PER_MEMBER = 3

GUIDANCE: dict[Kind, str] = {
    "typical": "",
    "boundary": (
        "Make it a boundary case: fill every many-valued feature up to its upper bound "
        "(at least three values where unbounded), keep single-valued optional features set, "
        "and use values at the edges of their types (0, negative numbers, very long and "
        "one-character strings)."
    ),
    "edge": (
        "Make it an edge case: the smallest model the metamodel allows, with only the "
        "required objects and features, and degenerate values (empty strings, 0, false)."
    ),
    "invalid": "",
}


class Member(BaseModel):
    """One model of the set."""

    index: int
    cim: Cim
    artifacts: dict[str, str] = Field(default_factory=dict)
    attempts: int
    expected: Issue | None = Field(
        default=None, description="`invalid` kind: the one finding `validate` reports."
    )


class InstanceSet(BaseModel):
    """`count` distinct models of one `kind`, their diversity, and what they cost."""

    status: Literal["complete", "incomplete"]
    kind: Kind
    count: int
    model: str
    members: list[Member] = Field(default_factory=list)
    diversity: float | None = Field(
        default=None, description="Mean pairwise 1 − F1 (objects, attributes, references)."
    )
    figures: SetFigures = Field(
        default_factory=SetFigures,
        description="Attribute diversity (per attribute) and structural distance, pairwise.",
    )
    usage: Usage = Field(default_factory=Usage)
    problems: list[str] = Field(default_factory=list)


Generate = Callable[[str | None, "Draw"], GenerationResult]
"""Runs one member's generation: the note to show after the spec (None: none) and how it
draws (`draw`); the caller binds metamodel, spec, model, options and progress events, and
asks without named entries (they would pin every member to the one model the spec names)."""

SEEDS_PER_TRY = 1000  # seeds one try may use: far more than its calls


@dataclass(frozen=True)
class Draw:
    """How one try of one member samples: at `warmth` at least, with seeds after `seeds`,
    steering (where the backend can) away from the values in `avoid` (`set_variety`)."""

    warmth: float
    seeds: int
    avoid: Avoid = ()


def draw(index: int, attempt: int, avoid: Avoid = ()) -> Draw:
    """The first model's first try is the greedy answer (warmth 0); later members and retries
    are sampled at 0.7 and up, so that a model that would repeat itself varies. Each try draws
    seeds of its own: with the same seeds, members whose prompts differ only in their note
    sample alike. `avoid`: the values the kept members used, per feature name."""
    warmth = 0.0 if index == attempt == 1 else min(1.0, 0.7 + 0.15 * (attempt - 1))
    seeds = ((index - 1) * TRIES_PER_MEMBER + attempt - 1) * SEEDS_PER_TRY
    return Draw(warmth, seeds, avoid)


def check_set_request(count: int, kind: str) -> Kind:
    if not 1 <= count <= MAX_COUNT:
        raise InputError(f"count must be between 1 and {MAX_COUNT}, not {count}.")
    if kind not in KINDS:
        raise InputError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}.")
    return cast(Kind, kind)


def generate_set(
    mm: Metamodel,
    run: Generate,
    *,
    count: int,
    kind: Kind,
    model: str,
    formats: Sequence[str],
    spec: str = "",
) -> InstanceSet:
    """`count` pairwise non-isomorphic models of `kind`; fewer (status `incomplete`, with
    `problems`) when the LLM keeps repeating itself or failing. Each next member is shown
    the shapes and values the kept ones used, but for the values `spec` states, and a
    backend that can steer its decoding is kept off those values (`set_variety`)."""
    check_set_request(count, kind)
    members: list[Member] = []
    seen: set[str] = set()
    usage = Usage()
    problems: list[str] = []
    for index in range(1, count + 1):
        for attempt in range(1, TRIES_PER_MEMBER + 1):
            kept = [m.cim for m in members]
            note = member_note(kind, index, count, attempt, variety_note(kept, spec))
            result = run(note, draw(index, attempt, avoided(kept, spec)))
            usage = _add(usage, result.usage)
            if result.status != "valid" or result.cim is None:
                problems.append(f"model {index}, try {attempt}: still invalid after repairs")
                continue
            key = shape_key(result.cim)
            if key in seen:
                problems.append(f"model {index}, try {attempt}: the same as an earlier one")
                continue
            member = _member(mm, result, index, attempt, kind, formats)
            if member is None:
                problems.append(f"model {index}: no rule can be broken alone in it")
                continue
            seen.add(key)
            members.append(member)
            break
    figures = set_figures(mm, [m.cim for m in members])
    return InstanceSet(
        status="complete" if len(members) == count else "incomplete",
        kind=kind,
        count=count,
        model=model,
        members=members,
        diversity=figures.scorer_distance,
        figures=figures,
        usage=usage,
        problems=problems,
    )


def member_note(
    kind: Kind, index: int, count: int, attempt: int, variety: str | None = None
) -> str | None:
    """What one member's prompt says after the spec: the kind's guidance, (in a set) the
    member's place in it and what the kept members used (`variety`), so the LLM writes a
    different model each time; None: nothing."""
    parts = []
    if GUIDANCE[kind]:
        parts.append(GUIDANCE[kind])
    if count > 1 or attempt > 1:
        parts.append(
            f"This is model {index} of {count} in a set of distinct models (variant "
            f"{attempt}): choose other names, other values and other numbers of objects "
            "than a first, obvious model would."
        )
    if variety:
        parts.append(variety)
    return "\n\n".join(parts) or None


def _member(
    mm: Metamodel,
    result: GenerationResult,
    index: int,
    attempt: int,
    kind: Kind,
    formats: Sequence[str],
) -> Member | None:
    assert result.cim is not None
    if kind != "invalid":
        return Member(index=index, cim=result.cim, artifacts=result.artifacts, attempts=attempt)
    broken = break_one_rule(mm, result.cim, start=index - 1)
    if broken is None:
        return None
    cim, expected = broken
    return Member(
        index=index,
        cim=cim,
        artifacts=_compiled(mm, cim, formats),
        attempts=attempt,
        expected=expected,
    )


def _compiled(mm: Metamodel, cim: Cim, formats: Sequence[str]) -> dict[str, str]:
    """Each format that can express the (invalid) model; the CIM when none can."""
    out: dict[str, str] = {}
    for fmt in formats:
        try:
            out[fmt] = compilers.get(fmt).compile(cim, mm).decode("utf-8")
        except InputError:
            continue
    return out or {"cim": compilers.get("cim").compile(cim, mm).decode("utf-8")}


# --- distinctness and diversity ------------------------------------------------------------


def shape_key(cim: Cim, rounds: int = 3) -> str:
    """A fingerprint equal for isomorphic models (ids renamed); Weisfeiler-Lehman refinement
    of (class, attributes) labels along references. Different fingerprints prove two models
    are not isomorphic; equal ones are treated as the same model (WL may rarely merge two
    different ones: then a set asks once more, never keeps a twin)."""
    labels = {
        o.id: _digest([o.class_, json.dumps(o.attributes, sort_keys=True, default=str)])
        for o in cim.objects
    }
    for _ in range(rounds):
        labels = {
            o.id: _digest(
                [
                    labels[o.id],
                    *(
                        f"{feature}:" + ",".join(sorted(labels.get(t, t) for t in targets))
                        for feature, targets in sorted(o.references.items())
                    ),
                ]
            )
            for o in cim.objects
        }
    return _digest(sorted(labels.values()))


def _digest(parts: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _add(a: Usage, b: Usage) -> Usage:
    cost = None if a.cost is None and b.cost is None else (a.cost or 0) + (b.cost or 0)
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cost=cost,
    )


# --- invalid models: one rule broken -------------------------------------------------------

Mutation = Callable[[Metamodel, list[dict[str, Any]]], list[list[dict[str, Any]]]]
MISSING_ID = "no_such_object"


def break_one_rule(mm: Metamodel, cim: Cim, start: int = 0) -> tuple[Cim, Issue] | None:
    """A copy of the valid `cim` with exactly one rule broken, and the one error `validate`
    reports for it; rules are tried from `start` on (members of a set break different
    ones). None if no single change yields exactly one error."""
    objects = [o.model_dump(by_alias=True) for o in cim.objects]
    for offset in range(len(_MUTATIONS)):
        mutation = _MUTATIONS[(start + offset) % len(_MUTATIONS)]
        for candidate in mutation(mm, objects):
            broken = Cim.model_validate({"objects": candidate})
            errors = [i for i in validate(mm, broken) if i.severity == "error"]
            if len(errors) == 1:
                return broken, errors[0]
    return None


def _copy(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return json.loads(json.dumps(objects))


def _missing_required(mm: Metamodel, objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """multiplicity: a required feature emptied."""
    out = []
    for n, o in enumerate(objects):
        for f in mm.get_class(o["class"]).features:
            section = "attributes" if f in mm.get_class(o["class"]).attributes else "references"
            if f.lower >= 1 and f.name in o.get(section, {}):
                copy = _copy(objects)
                del copy[n][section][f.name]
                out.append(copy)
    return out


def _too_many(mm: Metamodel, objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """multiplicity: a bounded non-containment reference given one target too many."""
    ids_by_class: dict[str, list[str]] = {}
    for o in objects:
        ids_by_class.setdefault(o["class"], []).append(o["id"])
    out = []
    for n, o in enumerate(objects):
        for r in mm.get_class(o["class"]).references:
            targets = o.get("references", {}).get(r.name, [])
            if r.containment or r.opposite or r.upper < 1 or len(targets) != r.upper:
                continue
            spare = [
                i
                for c, ids in ids_by_class.items()
                if c == r.target or mm.is_subtype(c, r.target)
                for i in ids
                if i not in targets
            ]
            if spare:
                copy = _copy(objects)
                copy[n]["references"][r.name] = [*targets, spare[0]]
                out.append(copy)
    return out


def _two_containers(mm: Metamodel, objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """containment: an object contained by a second container as well."""
    contained: dict[str, str] = {}
    for o in objects:
        for r in mm.get_class(o["class"]).references:
            if r.containment:
                for t in o.get("references", {}).get(r.name, []):
                    contained[t] = o["id"]
    classes = {o["id"]: o["class"] for o in objects}
    out = []
    for child, parent in contained.items():
        for n, o in enumerate(objects):
            if o["id"] in (parent, child):
                continue
            for r in mm.get_class(o["class"]).references:
                child_class = classes.get(child)
                if not r.containment or r.opposite or child_class is None:
                    continue
                if child_class != r.target and not mm.is_subtype(child_class, r.target):
                    continue
                copy = _copy(objects)
                copy[n].setdefault("references", {})
                copy[n]["references"][r.name] = [*o.get("references", {}).get(r.name, []), child]
                out.append(copy)
    return out


def _dangling(mm: Metamodel, objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """dangling-reference: a reference to an id no object has."""
    out = []
    for n, o in enumerate(objects):
        for name, targets in o.get("references", {}).items():
            if targets:
                copy = _copy(objects)
                copy[n]["references"][name] = [MISSING_ID, *targets[1:]]
                out.append(copy)
    return out


def _bad_value(mm: Metamodel, objects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """bad-value: a number, boolean or date attribute given a word."""
    out = []
    for n, o in enumerate(objects):
        for a in mm.get_class(o["class"]).attributes:
            value = o.get("attributes", {}).get(a.name)
            if value is None or a.many or a.type.kind in ("string", "other"):
                continue
            copy = _copy(objects)
            copy[n]["attributes"][a.name] = "not-a-value"
            out.append(copy)
    return out


_MUTATIONS: tuple[Mutation, ...] = (
    _missing_required,
    _two_containers,
    _dangling,
    _bad_value,
    _too_many,
)
