"""Token arithmetic over the limits the model's backend declares (`Capabilities`), never
over the smallest model's: how big a prompt is, and how many tokens its answer may ask for.

Prompts are estimated offline with o200k (`tokens.py`) and scaled to the model's own
tokenizer (`Capabilities.token_scale`, what its backend declares).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from instancegen.service.backends.base import Capabilities, Message
from instancegen.service.generation.tokens import count_tokens

MARGIN = 256  # tokens kept free between prompt and answer (chat template overhead)
MIN_ANSWER = 256  # the least an answer is asked for: below, no answer is worth asking


def prompt_tokens(messages: Sequence[Message]) -> int:
    """An estimate of a prompt's size in o200k tokens (other tokenizers differ: scale it)."""
    return sum(count_tokens(m["content"]) + 4 for m in messages)


def room(caps: Capabilities, estimate: int, scale: float | None = None) -> int:
    """Tokens the context leaves for an answer after a prompt estimated at `estimate` o200k
    tokens (scaled by `scale`, else the backend's own), at most the output limit."""
    used = math.ceil(estimate * (caps.token_scale if scale is None else scale))
    return min(caps.output_tokens, caps.context_tokens - used - MARGIN)


def answer_tokens(caps: Capabilities, estimate: int, scale: float | None = None) -> int:
    """max_tokens for one call whose prompt is estimated at `estimate` tokens: the output
    limit, or what the context leaves, whichever is less (at least MIN_ANSWER; the engine
    refuses a call that leaves less)."""
    return max(MIN_ANSWER, room(caps, estimate, scale))
