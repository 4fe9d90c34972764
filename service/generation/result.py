"""What a generation run returns and reports, shared by the loop, the CLI and the HTTP API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import BackendError
from instancegen.service.core.issues import Issue
from instancegen.service.generation.profile import PhaseTime

EventType = Literal[
    "attempt_started",
    "phase_started",  # one call to the model begins: `phase` (objects, links, model, edits, xmi)
    "tokens",  # the answer being written so far (`answer_tokens`), from a streaming backend
    "consensus",
    "issues_found",
    "repair_sent",
    "finished",
]


class Attempt(BaseModel):
    """One LLM call of the generate/repair loop."""

    number: int
    kind: Literal["generate", "repair"]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    issue_count: int = 0


class Usage(BaseModel):
    """Tokens over all attempts, and cost in USD where LiteLLM knows the model's prices."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    # Of the prompt tokens, those the backend took from its cache (a prefix it had evaluated
    # for an earlier call) instead of evaluating them again; 0 where it does not say.
    reused_prompt_tokens: int = 0


class GenerationFailed(BackendError):
    """The backend failed part way through a generation; `usage` is what the calls before
    the failure spent (an evaluation charges it to the failed run)."""

    def __init__(self, cause: BackendError, usage: Usage) -> None:
        super().__init__(cause.message, timeout=cause.timeout, status=cause.status)
        self.usage = usage


class GenerationResult(BaseModel):
    """The outcome: status, the CIM, artifacts per requested format, remaining issues."""

    status: Literal["valid", "invalid"]
    model: str
    mode: Literal["two-step", "direct"] = "two-step"
    # How it was asked (two-step mode): the strategy's name (`two-phase`, `typed`, `strict`,
    # `generic`), and in a sentence why, the model's budget and the metamodel slice if any.
    strategy: str | None = None
    strategy_reason: str | None = None
    cim: Cim | None = None
    artifacts: dict[str, str] = Field(default_factory=dict)
    issues: list[Issue] = Field(default_factory=list)
    attempts: list[Attempt] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    samples: int = 1  # answers drawn for the first attempt (`--samples`), voted into one
    # With samples > 1, what the vote kept: "consensus of 3 samples: kept 5 of 7 objects".
    consensus: str | None = None
    # Where the seconds went, per phase (`objects`, `links`, `answer`, `spec reading`,
    # `validation`, `invariant search`, `compile`): see `generation/profile.py`.
    profile: list[PhaseTime] = Field(default_factory=list)
    # Direct mode: the XMI the LLM last wrote, as written (`artifacts` hold our compilation of
    # what was read from it). For the evaluation's EMF check; not part of the API's JSON.
    answer_xmi: str | None = Field(default=None, exclude=True)


class Event(BaseModel):
    """A progress event (CLI progress display, SSE stream of `/v1/jobs/{id}/events`)."""

    type: EventType
    attempt: int = 0
    data: dict[str, Any] = Field(default_factory=dict)
