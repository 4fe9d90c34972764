"""Edit an existing model: `edit_model(...)` (a change request in words, the LLM writes the
edits, on the same engine as a generation) and `apply_to(...)` (edits given as data, no LLM),
behind `instancegen edit` and `POST /v1/edit`.

The LLM answers with CIM edits (`service.core.edits`), never a whole new model, so whatever the
request does not touch stays exactly as it was. The edits are applied to the original model,
the result validated, and while errors remain and repairs are left, the LLM sees its edits and
the issues and answers with corrected edits (the engine: tokens, limits, events). For a model
decoding under a grammar (or asked `two-phase`) the answer's ids, classes and features are
enums of what exists, so constrained decoding cannot invent them. An XMI input keeps its
xmi:ids (`service.core.xmi_identity`), so untouched elements compile to the same bytes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Self, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from instancegen import compilers
from instancegen.service.backends import Backend, Capabilities, Message
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.cim import Cim, Scalar, describe_validation_error
from instancegen.service.core.edits import Edit, EditList, apply_edits
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue, has_errors
from instancegen.service.core.json_text import check_sendable
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.model_diff import ModelDiff, diff_models
from instancegen.service.core.validator import validate
from instancegen.service.core.xmi_identity import carry_xmi_ids, document_xmi_ids
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.engine import Engine, Outcome
from instancegen.service.generation.judging import Judge
from instancegen.service.generation.prompting import (
    WHOLE,
    Fit,
    conversation,
    render,
    worked_example,
)
from instancegen.service.generation.result import Attempt, Event, Usage
from instancegen.service.resources.model_io import read_model

# Attempt n is asked at the n-th temperature (the last repeats): a repair asked as coldly as
# the answer it repairs tends to repeat it word for word. An answer that does not parse is
# asked once more, warmer.
ATTEMPT_TEMPERATURES = (0.0, 0.4, 0.7, 0.9)
UNPARSED_RETRY_TEMPERATURE = 0.9
MAX_ID_ENUM = 1000  # above this many objects, ids are plain strings in the schema
_CLAUSES = re.compile(r"[.;,\n]+\s*|\s+and\s+|\s+then\s+", re.IGNORECASE)


@dataclass
class ModelSource:
    """A model to edit: its CIM, and the xmi:ids of the XMI document it came from (if any)."""

    cim: Cim
    xmi_ids: dict[str, str] = field(default_factory=dict)


def read_source(data: bytes, name: str, metamodel: Metamodel) -> ModelSource:
    """A model document (CIM JSON, XMI or EMF-JSON) as a ModelSource."""
    cim = read_model(data, name, metamodel)
    is_xml = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<"
    return ModelSource(cim, document_xmi_ids(data, cim, metamodel, name) if is_xml else {})


class EditResult(BaseModel):
    """The edited model, what changed, and what is still wrong."""

    status: Literal["valid", "invalid"]
    model: str | None = Field(None, description="The LLM that wrote the edits; null: given.")
    edits: list[Edit] = Field(default_factory=list)
    cim: Cim
    diff: ModelDiff
    issues: list[Issue] = Field(default_factory=list)
    artifacts: dict[str, str] = Field(default_factory=dict)
    attempts: list[Attempt] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)


def apply_to(
    metamodel: Metamodel,
    source: ModelSource | Cim,
    edits: EditList | list[Edit],
    *,
    formats: Sequence[str] = ("xmi",),
) -> EditResult:
    """Apply `edits` (no LLM), validate, and compile the result into `formats`."""
    source = _as_source(source)
    for fmt in formats:
        compilers.get(fmt)
    items = edits.edits if isinstance(edits, EditList) else list(edits)
    cim, issues = _applied(metamodel, source.cim, items)
    return _result(metamodel, source, cim, issues, items, formats, None, [], Usage())


def edit_model(
    metamodel: Metamodel,
    source: ModelSource | Cim,
    request: str,
    backend: Backend,
    caps: Capabilities,
    *,
    model: str,
    strategy: str = "auto",
    formats: Sequence[str] = ("xmi",),
    max_repairs: int = 3,
    realism: Realism = "warn",
    on_event: Callable[[Event], None] | None = None,
) -> EditResult:
    """Carry out a change request on a model with `backend` (a model that can do `caps`,
    named `model` in the result): the LLM writes edits, they are applied and validated, and
    issues go back for repair up to `max_repairs` times. `realism` judges the values the
    edits write (the model's own and those the request states are kept). `strategy`
    two-phase (or auto, for a model decoding under a grammar) asks with ids, classes and
    features as enums. Raises InputError for bad arguments and BackendError when the LLM
    fails."""
    request = request.strip()
    if not request:
        raise InputError("the change request is empty.")
    limits_mod.current().check("max_spec_chars", len(request), "the change request's length")
    check_sendable(request, "the change request")
    for fmt in formats:
        compilers.get(fmt)
    source = _as_source(source)
    enum_ids = strategy == "two-phase" or (strategy == "auto" and caps.grammar)
    schema = edit_answer_model(
        metamodel,
        source.cim,
        enum_ids=enum_ids,
        max_edits=edit_cap(request) if caps.small else None,
    )
    engine = Engine(Caller(backend, caps), on_event)
    judge = Judge(metamodel, request, realism, known=_given(source.cim))
    last = engine.run(_Editing(metamodel, source.cim, request, schema, judge), max_repairs + 1)
    result = _result(
        metamodel,
        source,
        last.cim or source.cim,
        last.issues,
        last.answer or [],
        formats,
        model,
        engine.attempts,
        engine.usage(),
    )
    engine.finish(result.status, len(result.issues))
    return result


def _as_source(source: ModelSource | Cim) -> ModelSource:
    return source if isinstance(source, ModelSource) else ModelSource(source)


def _applied(
    mm: Metamodel, cim: Cim, edits: list[Edit], judge: Judge | None = None
) -> tuple[Cim, list[Issue]]:
    """`edits` applied to `cim`, and the result's findings: `judge`'s (an LLM's edits), or
    without realism checks (edits as given: nothing would repair a value)."""
    outcome = apply_edits(cim, edits, mm)
    found = judge.issues(outcome.cim) if judge else validate(mm, outcome.cim, realism="off")
    return outcome.cim, [*outcome.issues, *found]


def _given(cim: Cim) -> frozenset[Any]:
    """The model's own values: an edit keeps them as they are, realistic or not (only the
    values the LLM writes are its to make realistic)."""
    found: set[Any] = set()
    for o in cim.objects:
        for value in o.attributes.values():
            listed = value if isinstance(value, list) else [value]
            found.update(v for v in listed if isinstance(v, str | int | float))
    return frozenset(found)


def _result(
    mm: Metamodel,
    source: ModelSource,
    cim: Cim,
    issues: list[Issue],
    edits: list[Edit],
    formats: Sequence[str],
    model: str | None,
    attempts: list[Attempt],
    usage: Usage,
) -> EditResult:
    valid = not has_errors(issues)
    xmi_ids = carry_xmi_ids(source.xmi_ids, source.cim, cim)
    artifacts = {}
    for fmt in formats:
        options: dict[str, Any] = {"xmi_ids": xmi_ids} if fmt == "xmi" and xmi_ids else {}
        try:
            artifacts[fmt] = compilers.get(fmt).compile(cim, mm, **options).decode("utf-8")
        except InputError:
            if valid:
                raise
    return EditResult(
        status="valid" if valid else "invalid",
        model=model,
        edits=edits,
        cim=cim,
        diff=diff_models(source.cim, cim),
        issues=issues,
        artifacts=artifacts,
        attempts=attempts,
        usage=usage,
    )


# --- asking the LLM -----------------------------------------------------------------------------


class EditAnswer(BaseModel):
    """What the LLM answers: a list of edits (the schema narrows each field per model)."""

    model_config = ConfigDict(extra="forbid")

    edits: list[Any]

    @model_validator(mode="after")
    def _applicable(self) -> Self:
        """An answer whose edits are not CIM edits does not parse (it is asked again)."""
        try:
            self.to_edits()
        except ValidationError as exc:
            raise ValueError(describe_validation_error(exc)) from None
        return self

    def to_edits(self) -> list[Edit]:
        data = self.model_dump(by_alias=True, exclude_none=True)
        for item in data["edits"]:
            where = item.get("container")
            if isinstance(where, dict):  # asked as an object (clearer to an LLM than a pair)
                item["container"] = [where.get("owner"), where.get("feature")]
        return EditList.model_validate(data).edits


def edit_cap(request: str) -> int:
    """How many edits a request plausibly asks for: one per clause (sentences, `;`, `,`,
    `and`), doubled for the references a change may need to follow. A bound for small models,
    which otherwise keep appending edits nobody asked for."""
    clauses = len([c for c in _CLAUSES.split(request) if c.strip()])
    return max(1, clauses) * 2 - 1


def edit_answer_model(
    mm: Metamodel,
    cim: Cim,
    *,
    enum_ids: bool,
    max_edits: int | None = None,
) -> type[EditAnswer]:
    """The schema of the answer: add/set/delete edits with classes, features and (for
    `enum_ids`) existing ids as enums; at most `max_edits` of them when given. With `enum_ids`,
    a `set` is held to each class's own features."""
    ids = [o.id for o in cim.objects]
    id_type: Any = Literal[tuple(ids)] if enum_ids and 0 < len(ids) <= MAX_ID_ENUM else str
    features = sorted({f.name for c in mm.concrete_classes for f in c.features})
    feature_type: Any = Literal[tuple(features)] if features else str
    containments = sorted(
        {r.name for c in mm.concrete_classes for r in c.references if r.containment}
    )
    class_type: Any = Literal[tuple(c.key for c in mm.concrete_classes)]
    config = ConfigDict(extra="forbid", populate_by_name=True)
    value_type = Scalar | list[Scalar]
    new_object = create_model(
        "NewObject",
        __config__=config,
        id=(str, ...),
        class_=(class_type, Field(alias="class")),
        attributes=(dict[str, value_type], ...),
        references=(dict[str, list[str]], ...),
    )
    container_feature: Any = Literal[tuple(containments)] if containments else str
    container = create_model(
        "Container", __config__=config, owner=(id_type, ...), feature=(container_feature, ...)
    )
    add = create_model(
        "Add",
        __config__=config,
        op=(_op("add"), ...),
        object=(new_object, ...),
        container=(container | None, None),
    )
    sets = _set_models(mm, cim, config, value_type) if id_type is not str else []
    if not sets:
        sets = [
            create_model(
                "Set",
                __config__=config,
                op=(_op("set"), ...),
                id=(id_type, ...),
                feature=(feature_type, ...),
                value=(value_type, ...),
            )
        ]
    delete = create_model("Delete", __config__=config, op=(_op("delete"), ...), id=(id_type, ...))
    return create_model(
        "Edits",
        __base__=EditAnswer,
        edits=(_list_of(add, *sets, delete), Field(max_length=max_edits)),
    )


def _set_models(mm: Metamodel, cim: Cim, config: ConfigDict, value_type: Any) -> list[Any]:
    """One `set` variant per class in the model: its objects' ids with its own features, so
    a constrained answer cannot set a feature on an object whose class lacks it."""
    by_class: dict[str, list[str]] = {}
    for o in cim.objects:
        if o.class_ in mm.classes:
            by_class.setdefault(o.class_, []).append(o.id)
    models = []
    for n, (key, ids) in enumerate(by_class.items()):
        names = tuple(f.name for f in mm.classes[key].features)
        if names:
            models.append(
                create_model(
                    f"Set{n}",
                    __config__=config,
                    op=(_op("set"), ...),
                    id=(_enum(*ids), ...),
                    feature=(_enum(*names), ...),
                    value=(value_type, ...),
                )
            )
    return models


def _op(name: str) -> Any:
    return Literal[name]


def _enum(*values: str) -> Any:
    return Literal[values]


def _list_of(*types: Any) -> Any:
    """`list[A | B | ...]` of types built at run time."""
    return list[Union.__getitem__(types)]  # type: ignore[misc]


def edit_messages(
    mm: Metamodel,
    cim: Cim,
    request: str,
    *,
    previous: list[Edit] | None = None,
    issues: Sequence[Issue] = (),
    fit: Fit = WHOLE,
) -> list[Message]:
    """The change request with the metamodel and the model; a repair round shows the
    previous edits and what was wrong with the result."""
    text = render(
        "edit.md",
        metamodel=render_metamodel(mm),
        model=json.dumps(cim.to_json()["objects"], ensure_ascii=False),
        request=request,
    )
    answer = None
    if previous is not None:
        edits = [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in previous]
        answer = json.dumps({"edits": edits})
    return conversation(
        lambda: _edit_example(mm),
        text,
        fit,
        answer=answer,
        repair="edit_repair.md",
        issues=issues,
    )


def _edit_example(mm: Metamodel) -> list[Message]:
    """A worked example from another bundled metamodel: one string attribute of its reference
    model changed by one `set` (a small model copies a demonstrated answer far more reliably
    than it follows a description)."""
    ex = worked_example(mm)
    if ex is None:
        return []
    for obj in ex.cim.objects:
        for attr in ex.metamodel.classes[obj.class_].attributes:
            old = obj.attributes.get(attr.name)
            if (
                attr.type.kind == "string"
                and not attr.many
                and not attr.is_id
                and isinstance(old, str)
            ):
                new = f"{old} Two"
                request = f"Change the {attr.name} of {old} to {new}."
                answer = {
                    "edits": [{"op": "set", "id": obj.id, "feature": attr.name, "value": new}]
                }
                text = render(
                    "edit.md",
                    metamodel=render_metamodel(ex.metamodel),
                    model=json.dumps(ex.cim.to_json()["objects"], ensure_ascii=False),
                    request=request,
                )
                return [
                    {"role": "user", "content": text},
                    {"role": "assistant", "content": json.dumps(answer, ensure_ascii=False)},
                ]
    return []


@dataclass
class _Editing:
    """One attempt at a change request: edits asked (a repair shows the last ones and their
    findings), applied to the original model, the result validated. Attempt n is asked at
    the n-th of ATTEMPT_TEMPERATURES, an unparsed answer once more warmer."""

    mm: Metamodel
    cim: Cim
    request: str
    schema: type[EditAnswer]
    judge: Judge

    def attempt(self, caller: Caller, last: Outcome | None) -> Outcome:
        previous: list[Edit] | None = last.answer if last is not None else None
        issues = last.issues if last is not None else []
        messages = caller.fitted(
            lambda fit: edit_messages(
                self.mm, self.cim, self.request, previous=previous, issues=issues, fit=fit
            )
        )
        caller.phase = "edits"
        first = ATTEMPT_TEMPERATURES[min(caller.attempt, len(ATTEMPT_TEMPERATURES)) - 1]
        answer = caller.ask(
            messages,
            [self.schema],
            caller.caps.output_tokens,
            temperatures=(first, UNPARSED_RETRY_TEMPERATURE),
        )
        edits = answer.to_edits()
        cim, found = _applied(self.mm, self.cim, edits, self.judge)
        return Outcome(cim, found, edits)
