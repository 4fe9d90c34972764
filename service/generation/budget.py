"""Output and context budgets from the model in use, never from the smallest one.

The bundled model's figures are its own (a 135M model needs short, bounded answers); a LiteLLM
model's come from LiteLLM's model table; a model LiteLLM does not know (a self-hosted
`openai/<name>`) gets the figures the user gives (`--max-output-tokens`, `--context-tokens`)
or conservative defaults, and an answer cut off anyway is continued in parts (`parts.py`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from instancegen.service.backends import Message
from instancegen.service.core.errors import InputError
from instancegen.service.generation.tokens import count_tokens

LOCAL = "local"
LOCAL_CONTEXT = 8192  # SmolLM2-135M's trained context length
LOCAL_OUTPUT = 3072  # what its phase-1 answers are bounded to fit
DEFAULT_OUTPUT = 4096  # an unknown model: what most servers allow per answer
DEFAULT_CONTEXT = 32768
MARGIN = 256  # tokens kept free between prompt and answer (chat template overhead)
MIN_ANSWER = 256


@dataclass(frozen=True)
class Budget:
    """Most tokens one answer may take, the context window, and where the figures come from.
    `small` marks a model that needs bounded two-phase schemas: the bundled one, or any whose
    answers hold at most LOCAL_OUTPUT tokens (a small model served over HTTP)."""

    output_tokens: int
    context_tokens: int
    source: str
    small: bool = False

    def answer_tokens(self, prompt_tokens: int) -> int:
        """max_tokens for one call whose prompt takes `prompt_tokens`: the output limit, or
        what the context leaves, whichever is less."""
        room = self.context_tokens - prompt_tokens - MARGIN
        return max(MIN_ANSWER, min(self.output_tokens, room))

    def describe(self) -> str:
        return (
            f"{self.output_tokens:,} output tokens per answer, {self.context_tokens:,} context "
            f"tokens ({self.source})"
        )


def budget_for(
    model: str, *, max_output_tokens: int | None = None, context_tokens: int | None = None
) -> Budget:
    """The budget of `model`; given figures override what is known about it."""
    for name, value in (
        ("max_output_tokens", max_output_tokens),
        ("context_tokens", context_tokens),
    ):
        if value is not None and value < MIN_ANSWER:
            raise InputError(f"{name} must be at least {MIN_ANSWER}, not {value}.")
    if model == LOCAL:
        known: tuple[int, int, str] = (LOCAL_OUTPUT, LOCAL_CONTEXT, "the bundled model")
    else:
        known = _litellm_info(model) or (DEFAULT_OUTPUT, DEFAULT_CONTEXT, "defaults: unknown model")
    output, context, source = known
    if max_output_tokens is not None or context_tokens is not None:
        source = "given"
    context = context_tokens or context
    output = min(max_output_tokens or output, context)
    return Budget(output, context, source, small=model == LOCAL or output <= LOCAL_OUTPUT)


def prompt_tokens(messages: Sequence[Message]) -> int:
    """An estimate of a prompt's size (o200k; other tokenizers differ by some percent)."""
    return sum(count_tokens(m["content"]) + 4 for m in messages)


def _litellm_info(model: str) -> tuple[int, int, str] | None:
    """LiteLLM's table entry for `model` (output and context tokens), None when unknown."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch
    import litellm

    litellm.suppress_debug_info = True  # no "Provider List" banner for an unknown model
    try:
        info = litellm.get_model_info(model)
    except Exception:  # LiteLLM raises a bare Exception for a model it does not know
        return None
    output = info.get("max_output_tokens") or info.get("max_tokens")
    context = info.get("max_input_tokens") or info.get("max_tokens")
    if not output or not context:
        return None
    return int(output), int(context), "LiteLLM's model table"
