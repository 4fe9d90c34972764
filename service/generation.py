"""The generate → validate → repair loop behind `service.generate(...)`, the CLI and the API.

Two-step mode (the paper's method): the LLM fills the CIM in two constrained phases
(`service.phased_schema`), the validator checks it, and while errors remain and repairs are
left, the next attempt shows the LLM its previous model with the issue list. Direct mode (the
paper's baseline) asks for XMI itself and imports it; XMI that cannot be read is an issue to
repair, not a crash. An answer that does not parse against the schema (garbage, cut off) is
asked again, warmer each time, except that an answer cut off at the token cap is first asked
again with a smaller phase-1 schema (fewer objects per class); when that keeps failing the
backend is to blame: BackendError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

import compilers
from service import limits as limits_mod
from service.backends import Backend, Message, Reply, create_backend
from service.cim import Cim, describe_validation_error
from service.errors import BackendError, InputError
from service.generation_result import (
    Attempt,
    Event,
    EventType,
    GenerationFailed,
    GenerationResult,
    Usage,
)
from service.issues import Issue, has_errors
from service.metamodel import Metamodel
from service.model_io import read_model
from service.phased_schema import declared_objects, object_cap, objects_model, plan_links
from service.prompting import direct_messages, links_messages, objects_messages
from service.validator import validate

Mode = Literal["two-step", "direct"]
MODES: tuple[Mode, ...] = ("two-step", "direct")
OBJECTS_MAX_TOKENS = 3072  # phase 1's objects per class are bounded to fit this
LINKS_MAX_TOKENS = 1024
DIRECT_MAX_TOKENS = 3072
RETRY_TEMPERATURES = (0.0, 0.5, 0.9)  # one call per entry while the answer does not parse
_M = TypeVar("_M", bound=BaseModel)


def generate(
    metamodel: Metamodel,
    spec: str,
    *,
    model: str = "local",
    api_base: str | None = None,
    formats: Sequence[str] = ("xmi",),
    max_repairs: int = 3,
    mode: Mode = "two-step",
    on_event: Callable[[Event], None] | None = None,
    backend: Backend | None = None,
) -> GenerationResult:
    """Generate an instance model of `metamodel` for `spec`, repairing up to `max_repairs`
    times. Raises InputError for bad arguments and BackendError when the LLM fails."""
    spec = spec.strip()
    if not spec:
        raise InputError("the specification is empty.")
    limits_mod.current().check("max_spec_chars", len(spec), "the specification's length")
    if max_repairs < 0:
        raise InputError(f"max_repairs must be 0 or more, not {max_repairs}.")
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; use two-step or direct.")
    for fmt in formats:
        compilers.get(fmt)  # an unknown format fails before any LLM call
    run = _Run(metamodel, spec, backend or create_backend(model, api_base), on_event)
    return run.loop(model, mode, max_repairs + 1, formats)


@dataclass
class _Outcome:
    cim: Cim | None
    issues: list[Issue]
    previous: Any  # what the next repair shows the LLM: the CIM, or the XMI text


@dataclass
class _Run:
    mm: Metamodel
    spec: str
    backend: Backend
    on_event: Callable[[Event], None] | None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    costs: list[float | None] = field(default_factory=list)

    def loop(
        self, model: str, mode: Mode, max_attempts: int, formats: Sequence[str]
    ) -> GenerationResult:
        step = self._two_step if mode == "two-step" else self._direct
        outcome = _Outcome(None, [], None)
        attempts: list[Attempt] = []
        for n in range(1, max_attempts + 1):
            kind: Literal["generate", "repair"] = "generate" if n == 1 else "repair"
            self._emit("attempt_started", n, kind=kind, of=max_attempts)
            if kind == "repair":
                self._emit("repair_sent", n, issue_count=len(outcome.issues))
            tokens, started = (self.prompt_tokens, self.completion_tokens), time.perf_counter()
            try:
                outcome = step(outcome.previous, outcome.issues)
            except BackendError as exc:
                raise GenerationFailed(exc, self._usage()) from exc
            attempts.append(
                Attempt(
                    number=n,
                    kind=kind,
                    prompt_tokens=self.prompt_tokens - tokens[0],
                    completion_tokens=self.completion_tokens - tokens[1],
                    seconds=round(time.perf_counter() - started, 3),
                    issue_count=len(outcome.issues),
                )
            )
            if outcome.issues:
                self._emit(
                    "issues_found",
                    n,
                    issue_count=len(outcome.issues),
                    issues=[i.model_dump() for i in outcome.issues],
                )
            if outcome.cim is not None and not has_errors(outcome.issues):
                break
        valid = outcome.cim is not None and not has_errors(outcome.issues)
        result = GenerationResult(
            status="valid" if valid else "invalid",
            model=model,
            mode=mode,
            cim=outcome.cim,
            artifacts=self._artifacts(outcome.cim, formats, valid),
            issues=outcome.issues,
            attempts=attempts,
            usage=self._usage(),
            answer_xmi=outcome.previous if mode == "direct" else None,
        )
        self._emit("finished", len(attempts), status=result.status, issue_count=len(result.issues))
        return result

    def _usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost=_total_cost(self.costs),
        )

    # --- the two modes ------------------------------------------------------------------------

    def _two_step(self, previous: Cim | None, issues: list[Issue]) -> _Outcome:
        messages = objects_messages(self.mm, self.spec, previous=previous, issues=issues)
        cap = object_cap(self.mm, self.spec, OBJECTS_MAX_TOKENS)
        caps = dict.fromkeys((cap, max(1, cap // 3), 1))  # smaller schemas for cut-off answers
        schemas = [objects_model(self.mm, c) for c in caps]
        answer = self._ask(messages, schemas, OBJECTS_MAX_TOKENS)
        notes: list[Issue] = []  # what was changed in the answers, as `normalised` warnings
        plan = plan_links(self.mm, declared_objects(self.mm, answer.to_cim(), notes))
        links_model = plan.model()
        links: dict[str, Any] = {}
        if links_model is not None:
            messages = links_messages(self.mm, self.spec, plan, issues=issues)
            reply = self._ask(messages, [links_model], LINKS_MAX_TOKENS)
            links = reply.model_dump(by_alias=True)
        cim = plan.apply(links, notes)
        return _Outcome(cim, validate(self.mm, cim) + notes, cim)

    def _direct(self, previous: str | None, issues: list[Issue]) -> _Outcome:
        messages = direct_messages(self.mm, self.spec, previous=previous, issues=issues)
        xmi = extract_xmi(self._call(messages, None, DIRECT_MAX_TOKENS, 0.0).text)
        try:
            cim = read_model(xmi.encode("utf-8"), "answer.xmi", self.mm)
        except InputError as exc:
            issue = Issue(
                code="unparseable-xmi",
                message=exc.message,
                hint="Write one complete, well-formed XMI document for this metamodel.",
            )
            return _Outcome(None, [issue], xmi)
        return _Outcome(cim, validate(self.mm, cim), xmi)

    # --- talking to the backend ---------------------------------------------------------------

    def _ask(self, messages: list[Message], schemas: Sequence[type[_M]], max_tokens: int) -> _M:
        """The answer parsed against the first of `schemas`. An answer cut off at `max_tokens`
        is asked again with the next (smaller) schema while there is one; any other answer
        that does not parse is asked again warmer."""
        problem, size, warmth = "", 0, 0
        while warmth < len(RETRY_TEMPERATURES):
            schema = schemas[size]
            reply = self._call(messages, schema, max_tokens, RETRY_TEMPERATURES[warmth])
            try:
                return schema.model_validate_json(reply.text)
            except ValidationError as exc:
                problem = (
                    f"was cut off at {max_tokens} tokens"
                    if reply.truncated
                    else f"did not match the schema: {describe_validation_error(exc)}"
                )
            if reply.truncated and size + 1 < len(schemas):
                size += 1
            else:
                warmth += 1
        raise BackendError(f"{self.backend.model}: the answer {problem} ({size + warmth} tries).")

    def _call(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float,
    ) -> Reply:
        reply = self.backend.complete(
            messages, schema=schema, max_tokens=max_tokens, temperature=temperature
        )
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens
        self.costs.append(reply.cost)
        return reply

    def _emit(self, type_: EventType, attempt: int, **data: Any) -> None:
        if self.on_event is None:
            return
        data["prompt_tokens"] = self.prompt_tokens
        data["completion_tokens"] = self.completion_tokens
        self.on_event(Event(type=type_, attempt=attempt, data=data))

    def _artifacts(self, cim: Cim | None, formats: Sequence[str], valid: bool) -> dict[str, str]:
        """Each requested format; for an invalid model, those that can still express it."""
        if cim is None:
            return {}
        artifacts = {}
        for fmt in formats:
            try:
                artifacts[fmt] = compilers.get(fmt).compile(cim, self.mm).decode("utf-8")
            except InputError:
                if valid:
                    raise
        return artifacts


_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


def extract_xmi(text: str) -> str:
    """The XML document in an answer, without Markdown fences or chatter around it."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("<"), text.rfind(">")
    return text[start : end + 1] if 0 <= start < end else text.strip()


def _total_cost(costs: list[float | None]) -> float | None:
    known = [c for c in costs if c is not None]
    return round(sum(known), 6) if known else None
