"""What the engine needs from an LLM: messages in, text and token counts out; and what a
backend plugin declares about the models it serves.

Backends stay thin: they send messages, enforce a JSON schema where they can (grammar for the
local model, instructor for LiteLLM models) and turn provider failures into `BackendError`.
Parsing and validating the answer is the engine's job, so every backend is judged the same way.
A plugin (`BackendPlugin`, entry-point group `instancegen.backends`) says which model strings
it serves, what each can do (`Capabilities`), and how a response model is sent to it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol, TypedDict, runtime_checkable

from pydantic import BaseModel, ConfigDict

SMALL_OUTPUT = 3072  # a model whose answers hold at most this many tokens is a small one


class Message(TypedDict):
    """One chat message, in the OpenAI shape every provider accepts."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Reply:
    """The model's answer: raw text (JSON when a schema was given) and what it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    truncated: bool = False  # stopped at max_tokens: the text is probably cut short
    # What a backend that measures its calls (the in-process one) says about this one: the
    # seconds spent evaluating the prompt and building the grammar (None: not measured), and
    # the prompt tokens it took from its cache instead of evaluating them again.
    prompt_seconds: float | None = None
    grammar_seconds: float = 0.0
    reused_tokens: int = 0


class StrictAnswer(BaseModel):
    """Base of response models built for OpenAI's strict structured outputs (every property
    required, optional ones nullable): a backend that supports strict mode sends them so."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Backend(Protocol):
    """An LLM. `schema` None asks for free text (the direct-XMI baseline). `seed` None keeps
    the backend's own (a fixed one where it has one, so temperature-0 calls repeat); self-
    consistency passes a different seed per sample, or k draws at one temperature from a
    seeded sampler would all be the same answer."""

    model: str

    def complete(
        self,
        messages: list[Message],
        *,
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply: ...


TokenCounter = Callable[[int], None]
"""Told the number of tokens an answer holds so far, as a streaming backend writes it."""


@runtime_checkable
class StreamingBackend(Protocol):
    """A backend that tells how far its answer has got while writing it (optional)."""

    def counting(self, on_tokens: TokenCounter) -> AbstractContextManager[None]:
        """Calls to `complete` made inside tell `on_tokens` their answer's tokens so far."""
        ...


@runtime_checkable
class SteeredBackend(Protocol):
    """A backend that can steer its decoding away from given values (optional): a set's
    next member, away from what the kept members used."""

    def avoiding(self, values: Mapping[str, Sequence[str]]) -> AbstractContextManager[None]:
        """Calls to `complete` made inside make `values` (feature name -> values) unlikely
        where the answer writes that feature's string."""
        ...


@dataclass(frozen=True)
class Capabilities:
    """What a model can do, as its backend declares it: the engine budgets every call with
    these and the strategy is chosen from them, never from the model string."""

    context_tokens: int  # prompt and answer together
    output_tokens: int  # most tokens one answer may hold
    source: str  # where the limits come from ("the bundled model", "given", ...)
    grammar: bool = False  # decodes under a grammar compiled from the JSON schema
    strict_tools: bool = False  # takes strict tool calls (OpenAI's strict structured outputs)
    small: bool = False  # needs short, bounded answers (two-phase schemas are bounded for it)
    # The model's tokens per token of the o200k estimate, at most: prompts are estimated with
    # o200k (offline) and scaled by this before any call is checked against the context.
    token_scale: float = 1.0

    def describe(self) -> str:
        return (
            f"{self.output_tokens:,} output tokens per answer, {self.context_tokens:,} context "
            f"tokens ({self.source})"
        )


class BackendPlugin(Protocol):
    """A family of backends, registered under the entry-point group `instancegen.backends`
    (the bundled `local` and `litellm` are registered there too). The registry asks the
    plugins that are not a `fallback` first, in entry-point name order, which of them
    `accepts` a model string; a fallback (LiteLLM: any provider's string) is asked last."""

    name: str
    fallback: bool
    concurrent: bool  # its backends take overlapping calls (not so one in-process model)

    def accepts(self, model: str) -> bool:
        """Whether this plugin serves `model` (decided from the string alone, offline)."""
        ...

    def capabilities(self, model: str, api_base: str | None) -> Capabilities:
        """What `model` can do, as far as known without calling it."""
        ...

    def create(self, model: str, api_base: str | None, api_key_env: str | None) -> Backend:
        """A backend for `model`; InputError for a missing key or a bad setting."""
        ...

    def sent_schema(self, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
        """The JSON schema `response_model` is sent as, exactly, and how it is sent."""
        ...


@runtime_checkable
class CheckedPlugin(Protocol):
    """A plugin that can tell, offline and before any backend is made, that a model string
    it was handed cannot work: one it does not know, or one whose key is missing. Optional:
    a plugin without these methods is trusted until its first call."""

    def unknown(self, model: str, api_base: str | None) -> str | None:
        """Why `model` cannot be served (one sentence), or None when it can."""
        ...

    def missing_key(self, model: str, api_base: str | None, api_key_env: str | None) -> str | None:
        """Which key `model` needs that the environment lacks (one sentence), or None."""
        ...
