"""Where a generation's seconds go: per phase, prompt evaluation, decoding, grammar building,
validation and compiling, and how many prompt tokens were evaluated or reused.

The caller records every call into the phase its strategy named (`objects`, `links`, or
`answer` for a one-shot or direct answer); the generation records spec reading, validation,
the invariant search and compiling as phases of their own. A backend that measures its calls
(the in-process one) says how much of a call was prompt evaluation and grammar building and
how many prompt tokens it took from its cache; the rest of the call is decoding. For a
backend that does not, a call's seconds are all `call_seconds`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal

from pydantic import BaseModel

from instancegen.service.backends.base import Reply

Work = Literal["validation", "compile", "other"]
ANSWER = "answer"  # the phase of calls made outside any a strategy named


class PhaseTime(BaseModel):
    """One phase's seconds and tokens, summed over every attempt and call."""

    phase: str
    seconds: float = 0.0  # wall clock spent in the phase
    calls: int = 0
    call_seconds: float = 0.0  # waiting for the LLM
    prompt_seconds: float = 0.0  # of that, evaluating prompts (where the backend measures it)
    decode_seconds: float = 0.0  # writing the answers, sampling under the grammar included
    grammar_seconds: float = 0.0  # compiling the schema into a grammar
    validation_seconds: float = 0.0
    compile_seconds: float = 0.0
    prompt_tokens: int = 0
    reused_tokens: int = 0  # of those, taken from the backend's cache, not evaluated again
    completion_tokens: int = 0


@dataclass
class Profiler:
    """The phases of one run, in the order they first happened."""

    current: str | None = None  # the phase a strategy named, if any
    phases: dict[str, PhaseTime] = field(default_factory=dict)

    def _row(self, phase: str) -> PhaseTime:
        return self.phases.setdefault(phase, PhaseTime(phase=phase))

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        """Calls made inside count to phase `name`, and so do its seconds."""
        before: str | None
        before, self.current = self.current, name
        started = time.perf_counter()
        try:
            yield
        finally:
            self._row(name).seconds += time.perf_counter() - started
            self.current = before

    @contextmanager
    def work(self, name: str, kind: Work = "other") -> Iterator[None]:
        """Work outside the LLM (validation, compiling, reading the spec) as phase `name`."""
        started = time.perf_counter()
        try:
            yield
        finally:
            spent = time.perf_counter() - started
            row = self._row(name)
            row.seconds += spent
            if kind == "validation":
                row.validation_seconds += spent
            elif kind == "compile":
                row.compile_seconds += spent

    def call(self, reply: Reply, seconds: float) -> None:
        """One LLM call of `seconds`, to the current phase (`answer` outside any)."""
        row = self._row(self.current or ANSWER)
        if self.current is None:
            row.seconds += seconds
        row.calls += 1
        row.call_seconds += seconds
        row.prompt_tokens += reply.prompt_tokens
        row.reused_tokens += reply.reused_tokens
        row.completion_tokens += reply.completion_tokens
        if reply.prompt_seconds is not None:
            row.prompt_seconds += reply.prompt_seconds
            row.grammar_seconds += reply.grammar_seconds
            row.decode_seconds += max(0.0, seconds - reply.prompt_seconds - reply.grammar_seconds)

    def rows(self) -> list[PhaseTime]:
        """The phases, their seconds rounded to milliseconds."""
        return [_rounded(row) for row in self.phases.values()]


def describe(rows: list[PhaseTime]) -> str:
    """One line: each phase's seconds, an LLM phase's split and reused tokens in brackets."""
    parts = []
    for row in rows:
        text = f"{row.phase} {row.seconds:.2f} s"
        if row.prompt_seconds or row.decode_seconds:
            text += (
                f" (prompt {row.prompt_seconds:.2f}, decode {row.decode_seconds:.2f}, grammar "
                f"{row.grammar_seconds:.2f}; {row.reused_tokens:,} of {row.prompt_tokens:,} "
                "prompt tokens reused)"
            )
        parts.append(text)
    return "time: " + ", ".join(parts)


def _rounded(row: PhaseTime) -> PhaseTime:
    return row.model_copy(
        update={k: round(v, 3) for k, v in row.model_dump().items() if isinstance(v, float)}
    )


def summed(profiles: list[list[PhaseTime]]) -> list[PhaseTime]:
    """The phases of several runs added up, phase by phase (for `eval`)."""
    total: dict[str, PhaseTime] = {}
    for rows in profiles:
        for row in rows:
            into = total.setdefault(row.phase, PhaseTime(phase=row.phase))
            for key, value in row.model_dump().items():
                if key != "phase":
                    setattr(into, key, getattr(into, key) + value)
    return [_rounded(row) for row in total.values()]
