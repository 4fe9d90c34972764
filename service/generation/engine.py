"""The one ask → validate → repair engine, behind generating a model and editing one.

A `Step` (a strategy's attempt: ask the model, build the model from its answer, validate it)
runs up to `max_attempts` times; each repair attempt gets the last outcome, whose `answer` and
`issues` are what its prompt shows (the latest answer and its findings, never the history).
The engine owns what every run shares: the attempt records with their tokens and seconds,
the progress events (`attempt_started`, `repair_sent`, `issues_found`, `finished`, and the
caller's `phase_started` and `tokens`; `error_count` is the findings a repair must fix, the
warnings apart), the usage
over all calls (the `Caller` counts them), and a backend failure part way, raised with what
the calls before it spent (`GenerationFailed`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import BackendError
from instancegen.service.core.issues import Issue, has_errors
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.result import (
    Attempt,
    Event,
    EventType,
    GenerationFailed,
    Usage,
)


@dataclass
class Outcome:
    """One attempt's result: the model (None: nothing could be read from the answer), its
    findings, and what the next repair shows the LLM of this answer."""

    cim: Cim | None
    issues: list[Issue]
    answer: Any = None

    @property
    def valid(self) -> bool:
        return self.cim is not None and not has_errors(self.issues)


class Step(Protocol):
    """One attempt of a strategy: `last` is None for the first, else the latest outcome."""

    def attempt(self, caller: Caller, last: Outcome | None) -> Outcome: ...


@dataclass
class Engine:
    """Runs a `Step` through its attempts, with one caller and one event stream."""

    caller: Caller
    on_event: Callable[[Event], None] | None = None
    attempts: list[Attempt] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.on_event is not None:
            self.caller.listener = lambda type_, data: self.emit(type_, self.caller.attempt, **data)

    def run(self, step: Step, max_attempts: int) -> Outcome:
        """Attempts until one is valid or `max_attempts` ran; the last outcome."""
        last: Outcome | None = None
        for n in range(1, max_attempts + 1):
            kind: Literal["generate", "repair"] = "generate" if last is None else "repair"
            self.emit("attempt_started", n, kind=kind, of=max_attempts)
            if last is not None:
                self.emit(
                    "repair_sent", n, issue_count=len(last.issues), error_count=_errors(last.issues)
                )
            c = self.caller
            c.attempt = n
            tokens, started = (c.prompt_tokens, c.completion_tokens), time.perf_counter()
            try:
                last = step.attempt(c, last)
            except BackendError as exc:
                raise GenerationFailed(exc, self.usage()) from exc
            self.attempts.append(
                Attempt(
                    number=n,
                    kind=kind,
                    prompt_tokens=c.prompt_tokens - tokens[0],
                    completion_tokens=c.completion_tokens - tokens[1],
                    seconds=round(time.perf_counter() - started, 3),
                    issue_count=len(last.issues),
                )
            )
            if last.issues:
                self.emit(
                    "issues_found",
                    n,
                    issue_count=len(last.issues),
                    error_count=_errors(last.issues),
                    issues=[i.model_dump() for i in last.issues],
                )
            if last.valid:
                break
        assert last is not None, "max_attempts is at least 1"
        return last

    def finish(self, status: str, issue_count: int) -> None:
        self.emit("finished", len(self.attempts), status=status, issue_count=issue_count)

    def usage(self) -> Usage:
        known = [c for c in self.caller.costs if c is not None]
        return Usage(
            prompt_tokens=self.caller.prompt_tokens,
            completion_tokens=self.caller.completion_tokens,
            cost=round(sum(known), 6) if known else None,
            reused_prompt_tokens=sum(p.reused_tokens for p in self.caller.profiler.phases.values()),
        )

    def emit(self, type_: EventType, attempt: int, **data: Any) -> None:
        if self.on_event is None:
            return
        data["prompt_tokens"] = self.caller.prompt_tokens
        data["completion_tokens"] = self.caller.completion_tokens
        self.on_event(Event(type=type_, attempt=attempt, data=data))


def _errors(issues: list[Issue]) -> int:
    """The findings a repair must fix: errors, not warnings (`normalised`, realism)."""
    return sum(i.severity == "error" for i in issues)
