"""What the generate/repair loop needs from an LLM: messages in, text and token counts out.

Backends stay thin: they send messages, enforce a JSON schema where they can (grammar for the
local model, instructor for LiteLLM models) and turn provider failures into `BackendError`.
Parsing and validating the answer is the loop's job, so every backend is judged the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, TypedDict

from pydantic import BaseModel, ConfigDict


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
