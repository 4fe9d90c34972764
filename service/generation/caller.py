"""One conversation with the backend: calls, token accounting, and answers parsed or retried.

Every strategy talks to the LLM through a `Caller`, so tokens and costs are counted in one
place and every backend's answer is judged the same way: an answer that does not parse against
its schema is asked again warmer (RETRY_TEMPERATURES), and a cut-off one is the strategy's to
handle (it shrinks the schema, or keeps what was completed and continues in parts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from instancegen.service.backends import Backend, Message, Reply
from instancegen.service.core.cim import describe_validation_error
from instancegen.service.core.errors import BackendError
from instancegen.service.generation.parts import salvage

RETRY_TEMPERATURES = (0.0, 0.5, 0.9)  # one call per entry while the answer does not parse
_M = TypeVar("_M", bound=BaseModel)


@dataclass
class Caller:
    backend: Backend
    prompt_tokens: int = 0
    completion_tokens: int = 0
    costs: list[float | None] = field(default_factory=list)
    floor: float = 0.0  # the least temperature calls are made at (raised while sampling)
    draws: int = 0  # seeds given out so far while sampling (outside, the backend's own)

    @contextmanager
    def sampling(self, temperature: float) -> Iterator[None]:
        """Calls made inside draw at `temperature` at least, each with a seed of its own
        (1, 2, … over the run): samples of one prompt differ, a retry does not repeat the draw
        that failed, and a rerun asks for the same seeds."""
        self.floor = temperature
        try:
            yield
        finally:
            self.floor = 0.0

    def call(
        self,
        messages: list[Message],
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float,
    ) -> Reply:
        seed = None
        if self.floor > 0:
            self.draws += 1
            seed = self.draws
        reply = self.backend.complete(
            messages,
            schema=schema,
            max_tokens=max_tokens,
            temperature=max(temperature, self.floor),
            seed=seed,
        )
        self.prompt_tokens += reply.prompt_tokens
        self.completion_tokens += reply.completion_tokens
        self.costs.append(reply.cost)
        return reply

    def ask(self, messages: list[Message], schemas: Sequence[type[_M]], max_tokens: int) -> _M:
        """The answer parsed against the first of `schemas`. An answer cut off at `max_tokens`
        is asked again with the next (smaller) schema while there is one; any other answer
        that does not parse is asked again warmer."""
        problem, size, warmth = "", 0, 0
        while warmth < len(RETRY_TEMPERATURES):
            schema = schemas[size]
            reply = self.call(messages, schema, max_tokens, RETRY_TEMPERATURES[warmth])
            try:
                return schema.model_validate_json(reply.text)
            except ValidationError as exc:
                problem = _problem(reply, max_tokens, exc)
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
    ) -> tuple[dict[str, Any], bool]:
        """One part of an answer that may be continued: the parsed answer and False, or, when
        it was cut off at `max_tokens`, what it completed before the cut and True. `complete`
        makes a salvaged prefix whole (keys the answer never reached)."""
        problem = ""
        for temperature in RETRY_TEMPERATURES:
            reply = self.call(messages, schema, max_tokens, temperature)
            if reply.truncated:
                kept = salvage(reply.text)
                if kept is not None:
                    try:
                        parsed = schema.model_validate(complete(kept))
                        return parsed.model_dump(by_alias=True, exclude_none=True), True
                    except ValidationError as exc:
                        problem = f"was cut off and its start {describe_validation_error(exc)}"
                        continue
                problem = f"was cut off at {max_tokens} tokens before one object was complete"
                continue
            try:
                parsed = schema.model_validate_json(reply.text)
                return parsed.model_dump(by_alias=True, exclude_none=True), False
            except ValidationError as exc:
                problem = _problem(reply, max_tokens, exc)
        raise BackendError(
            f"{self.backend.model}: the answer {problem} ({len(RETRY_TEMPERATURES)} tries)."
        )


def _problem(reply: Reply, max_tokens: int, exc: ValidationError) -> str:
    if reply.truncated:
        return f"was cut off at {max_tokens} tokens"
    return f"did not match the schema: {describe_validation_error(exc)}"
