"""Every call to the model: checked against its limits, counted, and its answer parsed or retried.

Strategies and editing talk to the LLM through a `Caller`, so tokens and costs are counted in
one place and every backend's answer is judged the same way: an answer that does not parse
against its schema is asked again warmer (RETRY_TEMPERATURES), and a cut-off one is the
strategy's to handle (it shrinks the schema, or keeps what was completed and continues in
parts).

No call is sent that the model's context cannot hold: `max_tokens` is what the context leaves
after the prompt (estimated, scaled to the model's tokenizer), and a prompt that leaves less
than MIN_ANSWER is refused with a BackendError naming the limit, before any server can refuse
it less clearly. `fitted` builds a prompt at the first `Fit` that leaves room: the whole
prompt, or fewer findings, or no worked example; what was cut is noted for the result.

Its `listener` (the engine's events) hears each call start, with the `phase` the strategy
set (objects, links, …), and, from a backend that streams, the answer's tokens so far, at
most every TOKEN_EVENT_SECONDS so that following them stays cheap.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from instancegen.service.backends import Backend, Capabilities, Message, Reply
from instancegen.service.backends.base import SteeredBackend, StreamingBackend, TokenCounter
from instancegen.service.core.cim import describe_validation_error
from instancegen.service.core.errors import BackendError
from instancegen.service.generation.budget import MIN_ANSWER, prompt_tokens, room
from instancegen.service.generation.parts import salvage
from instancegen.service.generation.profile import Profiler
from instancegen.service.generation.prompting import FITS, WHOLE, Fit
from instancegen.service.generation.result import EventType

RETRY_TEMPERATURES = (0.0, 0.5, 0.9)  # one call per entry while the answer does not parse
TOKEN_EVENT_SECONDS = 0.5  # the least time between two `tokens` events of one answer
Listener = Callable[[EventType, dict[str, Any]], None]
_M = TypeVar("_M", bound=BaseModel)


@dataclass
class Caller:
    """The calls of one run to a model that can do `caps`."""

    backend: Backend
    caps: Capabilities
    prompt_tokens: int = 0
    completion_tokens: int = 0
    costs: list[float | None] = field(default_factory=list)
    floor: float = 0.0  # the least temperature calls are made at (raised while sampling)
    draws: int = 0  # seeds given out so far while sampling (outside, the backend's own)
    avoid: Mapping[str, Sequence[str]] = field(default_factory=dict)  # values to steer from
    attempt: int = 1  # the engine's attempt, for the notes
    notes: list[str] = field(default_factory=list)  # what was cut from prompts to fit
    phase: str = "model"  # what the next calls ask for (objects, links, edits, …): the strategy's
    listener: Listener | None = None  # hears `phase_started` and `tokens`
    profiler: Profiler = field(default_factory=Profiler)  # where the run's seconds went

    @contextmanager
    def sampling(self, temperature: float) -> Iterator[None]:
        """Calls made inside draw at `temperature` at least, each with a seed of its own
        (1, 2, … over the run): samples of one prompt differ, a retry does not repeat the draw
        that failed, and a rerun asks for the same seeds. (A run with a `floor` of its own,
        a set's member, draws so throughout.)"""
        before = self.floor
        self.floor = max(temperature, before)
        try:
            yield
        finally:
            self.floor = before

    def room(self, messages: Sequence[Message]) -> int:
        """Tokens the context leaves for the answer to `messages` (at most the output limit)."""
        return room(self.caps, prompt_tokens(messages))

    def fitted(self, build: Callable[[Fit], list[Message]]) -> list[Message]:
        """The messages `build` makes at the first fit (`prompting.FITS`) that leaves room
        for an answer; a cut is noted. A BackendError naming the limit when none does."""
        for fit in FITS:
            messages = build(fit)
            if self.room(messages) >= MIN_ANSWER:
                if fit != WHOLE:
                    note = f"attempt {self.attempt}: {fit.describe()}"
                    if note not in self.notes:
                        self.notes.append(note)
                return messages
        raise self._too_long(messages)

    def call(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float,
    ) -> Reply:
        """One call, its answer asked for at most `max_tokens` and at most what the context
        leaves after the prompt."""
        left = self.room(messages)
        if left < MIN_ANSWER:
            raise self._too_long(messages)
        seed = None
        if self.floor > 0:
            self.draws += 1
            seed = self.draws
        asked = min(max_tokens, left)
        self._tell("phase_started", phase=self.phase, max_tokens=asked)
        counting: AbstractContextManager[None] = nullcontext()
        if self.listener is not None and isinstance(self.backend, StreamingBackend):
            counting = self.backend.counting(self._ticker())
        steering: AbstractContextManager[None] = nullcontext()
        if self.avoid and isinstance(self.backend, SteeredBackend):
            steering = self.backend.avoiding(self.avoid)
        started = time.perf_counter()
        with counting, steering:
            reply = self.backend.complete(
                messages,
                schema=schema,
                max_tokens=asked,
                temperature=max(temperature, self.floor),
                seed=seed,
            )
        self.profiler.call(reply, time.perf_counter() - started)
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens
        self.costs.append(reply.cost)
        return reply

    def _tell(self, type_: EventType, **data: Any) -> None:
        if self.listener is not None:
            self.listener(type_, data)

    def _ticker(self) -> TokenCounter:
        """Tells the answer's tokens so far, at most every TOKEN_EVENT_SECONDS."""
        last = time.monotonic()

        def tick(count: int) -> None:
            nonlocal last
            now = time.monotonic()
            if now - last >= TOKEN_EVENT_SECONDS:
                last = now
                self._tell("tokens", phase=self.phase, answer_tokens=count)

        return tick

    def _too_long(self, messages: Sequence[Message]) -> BackendError:
        caps = self.caps
        estimate = round(prompt_tokens(messages) * caps.token_scale)
        return BackendError(
            f"{self.backend.model}: the prompt takes about {estimate:,} of the model's "
            f"{caps.context_tokens:,}-token context ({caps.source}), leaving less than "
            f"{MIN_ANSWER} tokens for the answer; give a larger --context-tokens if the model "
            "has one, or a shorter spec."
        )

    def ask(
        self,
        messages: list[Message],
        schemas: Sequence[type[_M]],
        max_tokens: int,
        temperatures: Sequence[float] = RETRY_TEMPERATURES,
    ) -> _M:
        """The answer parsed against the first of `schemas`. An answer cut off at `max_tokens`
        is asked again with the next (smaller) schema while there is one; any other answer
        that does not parse is asked again at the next of `temperatures`."""
        return self.ask_text(messages, schemas, max_tokens, temperatures)[0]

    def ask_text(
        self,
        messages: list[Message],
        schemas: Sequence[type[_M]],
        max_tokens: int,
        temperatures: Sequence[float] = RETRY_TEMPERATURES,
    ) -> tuple[_M, str]:
        """`ask`, with the answer's text as the model wrote it (a conversation that goes on
        can show it so, and a model that keeps its context reads none of it again)."""
        problem, size, warmth = "", 0, 0
        while warmth < len(temperatures):
            schema = schemas[size]
            reply = self.call(messages, schema, max_tokens, temperatures[warmth])
            try:
                return schema.model_validate_json(reply.text), reply.text
            except ValidationError as exc:
                problem = _problem(reply, self._asked(messages, max_tokens), exc)
            if reply.truncated and size + 1 < len(schemas):
                size += 1
            else:
                warmth += 1
        raise BackendError(f"{self.backend.model}: the answer {problem} ({size + warmth} tries).")

    def ask_part(
        self,
        messages: list[Message],
        schema: type[BaseModel],
        max_tokens: int,
        complete: Callable[[dict[str, Any]], dict[str, Any]],
        *,
        nested: bool = False,
    ) -> tuple[dict[str, Any], bool]:
        """One part of an answer that may be continued: the parsed answer and False, or, when
        it was cut off at `max_tokens`, what it completed before the cut and True. `complete`
        makes a salvaged prefix whole (keys the answer never reached); `nested`: objects in
        the answer hold objects, and those completed inside one are kept too."""
        problem = ""
        asked = self._asked(messages, max_tokens)
        for temperature in RETRY_TEMPERATURES:
            reply = self.call(messages, schema, max_tokens, temperature)
            if reply.truncated:
                kept = salvage(reply.text, nested=nested)
                if kept is not None:
                    try:
                        parsed = schema.model_validate(complete(kept))
                        return parsed.model_dump(by_alias=True, exclude_none=True), True
                    except ValidationError as exc:
                        problem = f"was cut off and its start {describe_validation_error(exc)}"
                        continue
                problem = f"was cut off at {asked} tokens before one object was complete"
                continue
            try:
                parsed = schema.model_validate_json(reply.text)
                return parsed.model_dump(by_alias=True, exclude_none=True), False
            except ValidationError as exc:
                problem = _problem(reply, asked, exc)
        raise BackendError(
            f"{self.backend.model}: the answer {problem} ({len(RETRY_TEMPERATURES)} tries)."
        )

    def _asked(self, messages: Sequence[Message], max_tokens: int) -> int:
        return min(max_tokens, self.room(messages))


def _problem(reply: Reply, max_tokens: int, exc: ValidationError) -> str:
    if reply.truncated:
        return f"was cut off at {max_tokens} tokens"
    return f"did not match the schema: {describe_validation_error(exc)}"
