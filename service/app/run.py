"""`run(request, on_event)`: the one application function behind every entry point.

The CLI, the HTTP API (embedded threads or Celery workers), batches, eval and the Python API
all hand a `GenerationRequest` here; it reads the metamodel with the request's constraints
(`request.resolve`), asks the model's backend what it can do, and generates one model or a
set of distinct ones. An entry point only builds the request and shows the outcome. `edit`
is its counterpart for a change request on an existing model: the same LLM options, the same
engine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from instancegen.service import backends
from instancegen.service.app.instance_sets import Draw, InstanceSet, generate_set
from instancegen.service.app.request import (
    GenerationRequest,
    LlmOptions,
    Lookup,
    check,
    resolve,
)
from instancegen.service.backends import Backend, Capabilities
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import InputError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.editing import EditResult, ModelSource, edit_model
from instancegen.service.generation.generating import generate_model
from instancegen.service.generation.options import Options
from instancegen.service.generation.result import Event, GenerationResult

Outcome = GenerationResult | InstanceSet
"""What a generation request answers: one model, or a set (`count`, `kind`)."""


def run(
    request: GenerationRequest,
    on_event: Callable[[Event], None] | None = None,
    *,
    metamodel: Metamodel | None = None,
    lookup: Lookup | None = None,
    backend: Backend | None = None,
) -> Outcome:
    """What `request` asks for, generated. `metamodel` is the one it names, already read
    with its constraints (`resolve`); without it, it is read here, references found with
    `lookup` (a service's registry). `backend` replaces the one the model string picks
    (tests, a custom client). Raises InputError for bad input and BackendError when the LLM
    fails."""
    check(request)
    mm = metamodel if metamodel is not None else resolve(request, lookup)
    caps, chosen = _model(request, backend)
    options = Options(
        strategy=request.strategy,
        mode=request.mode,
        max_repairs=request.max_repairs,
        samples=request.samples,
        formats=request.formats(),
        realism=request.realism,
        scopes=request.scopes(),
    )
    if not request.wants_set():
        return generate_model(
            mm, request.spec, chosen, caps, options, model=request.model, on_event=on_event
        )

    def member(note: str | None, draw: Draw) -> GenerationResult:
        asked = dataclasses.replace(
            options,
            note=note,
            named_entries=False,
            warmth=draw.warmth,
            draws=draw.seeds,
            avoid=draw.avoid,
        )
        return generate_model(
            mm, request.spec, chosen, caps, asked, model=request.model, on_event=on_event
        )

    return generate_set(
        mm,
        member,
        count=request.count,
        kind=request.kind,
        model=request.model,
        formats=request.formats(),
        spec=request.spec,
    )


def _model(request: LlmOptions, backend: Backend | None) -> tuple[Capabilities, Backend]:
    """What the request's model can do (its limits as given), and its backend. A model
    string that cannot work (unknown, its key missing) is refused before a backend is made."""
    if backend is None:
        backends.check_model(request.model, request.api_base, api_key_env=request.api_key_env)
    caps = backends.capabilities(
        request.model,
        request.api_base,
        max_output_tokens=request.max_output_tokens,
        context_tokens=request.context_tokens,
    )
    chosen = backend or backends.create_backend(
        request.model, request.api_base, api_key_env=request.api_key_env
    )
    return caps, chosen


def edit(
    metamodel: Metamodel,
    source: ModelSource | Cim,
    change: str,
    *,
    on_event: Callable[[Event], None] | None = None,
    backend: Backend | None = None,
    formats: Sequence[str] | None = None,
    **fields: Any,
) -> EditResult:
    """The Python API: carry out a change request on a model (the LLM writes edits, on the
    engine generation uses). `fields` are a request's LLM options: `model`, `api_base`,
    `api_key_env`, `strategy`, `max_output_tokens`, `context_tokens`, `max_repairs`,
    `realism`;
    `formats` the request's `format`. Raises InputError for bad arguments and BackendError
    when the LLM fails."""
    options = LlmOptions.of(**_formats(formats, fields))
    caps, chosen = _model(options, backend)
    return edit_model(
        metamodel,
        source,
        change,
        chosen,
        caps,
        model=options.model,
        strategy=options.strategy,
        formats=options.formats(),
        max_repairs=options.max_repairs,
        realism=options.realism,
        on_event=on_event,
    )


def generate(
    metamodel: Metamodel,
    spec: str,
    *,
    on_event: Callable[[Event], None] | None = None,
    backend: Backend | None = None,
    formats: Sequence[str] | None = None,
    **fields: Any,
) -> GenerationResult:
    """The Python API: generate an instance model of `metamodel` for `spec`. `fields` are
    those of a `GenerationRequest`: `model`, `api_base`, `api_key_env`, `strategy`,
    `max_output_tokens`, `context_tokens`, `samples`, `max_repairs`, `mode`, `constraints`
    (a set of models: `run` a request with `count` or `kind`); `formats` the request's
    `format`. Raises InputError for bad arguments and BackendError when the LLM fails."""
    request = GenerationRequest.of(spec=spec, **_formats(formats, fields))
    if request.wants_set():
        raise InputError("generate makes one model; for a set, run a request with count/kind.")
    outcome = run(request, on_event, metamodel=resolve(request, loaded=metamodel), backend=backend)
    assert isinstance(outcome, GenerationResult)
    return outcome


def _formats(formats: Sequence[str] | None, fields: dict[str, Any]) -> dict[str, Any]:
    """The Python API's `formats` (a sequence, its documented word) as the request's `format`."""
    return fields if formats is None else {**fields, "format": list(formats)}


def parse_outcome(data: dict[str, Any]) -> Outcome:
    """A stored outcome read back (a set has `members`)."""
    if "members" in data:
        return InstanceSet.model_validate(data)
    return GenerationResult.model_validate(data)
