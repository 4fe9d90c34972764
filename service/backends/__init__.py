"""LLM backends, picked by the model string: `local` runs the bundled model in-process,
anything else is a LiteLLM model string. Each is imported only when used: llama.cpp and
LiteLLM are slow to import, and the CLI's other commands need neither."""

from __future__ import annotations

import os

from instancegen.service.backends.base import Backend, Message, Reply, StrictAnswer
from instancegen.service.core.errors import InputError

LOCAL = "local"


def create_backend(
    model: str, api_base: str | None = None, *, api_key_env: str | None = None
) -> Backend:
    """The backend `model` names (`local`, or a LiteLLM string such as `openai/gpt-4o`);
    `api_key_env` names the variable holding the key, when not the provider's usual one."""
    if model == LOCAL:
        from instancegen.service.backends.local import LocalBackend

        return LocalBackend()
    from instancegen.service.backends.litellm_backend import LiteLLMBackend, api_key_for

    key = api_key_for(model, api_base, api_key_env)
    return LiteLLMBackend(model, api_base=api_base, api_key=key, timeout=_timeout())


def _timeout() -> float:
    """Seconds one LLM request may take: `INSTANCEGEN_LLM_TIMEOUT`, default 120."""
    raw = os.environ.get("INSTANCEGEN_LLM_TIMEOUT", "120")
    try:
        value = float(raw)
    except ValueError:
        raise InputError(
            f"INSTANCEGEN_LLM_TIMEOUT must be a number of seconds, not {raw!r}."
        ) from None
    if value <= 0:
        raise InputError("INSTANCEGEN_LLM_TIMEOUT must be above 0 seconds.")
    return value


__all__ = ["LOCAL", "Backend", "Message", "Reply", "StrictAnswer", "create_backend"]
