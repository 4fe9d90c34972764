"""The `litellm` backend plugin: any model string no other plugin takes, through LiteLLM.

Its capabilities come from LiteLLM's model table (offline: the table shipped with LiteLLM),
or conservative defaults for a model the table does not know (a self-hosted
`openai/<name>`); the user's `--max-output-tokens`/`--context-tokens` override either. Strict
tool calls are OpenAI's own API's (reached without an `api_base`). LiteLLM itself is imported
only when a backend is made or the table is read: `litellm_backend` holds the client.

A model string LiteLLM cannot place (`get_llm_provider`: a provider prefix it knows, or a
bare name in its table) is refused before any call, and so is a provider's missing API key
(`validate_environment`); both are offline. A server named by `api_base` needs no key.
"""

from __future__ import annotations

import difflib
import os
from typing import Any

from pydantic import BaseModel

from instancegen.service.backends.base import SMALL_OUTPUT, Backend, Capabilities
from instancegen.service.core.errors import InputError

DEFAULT_OUTPUT = 4096  # an unknown model: what most servers allow per answer
DEFAULT_CONTEXT = 32768
# Another provider's tokenizer may take more tokens than o200k for the same text (a small
# model's: up to 1.25x on JSON); OpenAI's own models use o200k or cl100k, within a few
# percent of it.
OTHER_TOKENIZER_SCALE = 1.3
OPENAI_SCALE = 1.05


class LiteLLMPlugin:
    """Hosted or self-hosted models reached through LiteLLM (the fallback plugin)."""

    name = "litellm"
    fallback = True
    concurrent = True

    def accepts(self, model: str) -> bool:
        return True

    def capabilities(self, model: str, api_base: str | None) -> Capabilities:
        known = _table_entry(model)
        output, context, source = known or (
            DEFAULT_OUTPUT,
            DEFAULT_CONTEXT,
            "defaults: unknown model",
        )
        openai = _openai(model, api_base)
        output = min(output, context)
        return Capabilities(
            context_tokens=context,
            output_tokens=output,
            source=source,
            strict_tools=openai,
            small=output <= SMALL_OUTPUT,
            token_scale=OPENAI_SCALE if openai else OTHER_TOKENIZER_SCALE,
        )

    def unknown(self, model: str, api_base: str | None) -> str | None:
        litellm = _litellm()
        try:
            litellm.get_llm_provider(model, api_base=api_base)
            return None
        except Exception:  # LiteLLM raises its BadRequestError, or a bare one, when it cannot
            pass
        provider, slash, name = model.partition("/")
        served = (
            f"a served model needs a provider prefix such as `openai/{name or model}` with "
            "--api-base"
        )
        if slash:
            known = [str(p.value) for p in litellm.provider_list]
            close = difflib.get_close_matches(provider, known, n=1, cutoff=0.75)
            hint = f"did you mean `{close[0]}/{name}`?" if close else f"{served}."
            return f"LiteLLM knows no provider {provider!r} (in the model {model!r}); {hint}"
        if api_base is not None:
            return f"the model {model!r} names no provider: {served}."
        bare = [k for k in litellm.model_cost if "/" not in k]
        close = difflib.get_close_matches(model, bare, n=1, cutoff=0.8)
        if close:
            return f"unknown model {model!r}; did you mean `{close[0]}`?"
        return (
            f"unknown model {model!r}: LiteLLM's model table has no such model; name a hosted "
            f"model with its provider prefix (`openai/gpt-4o`), or a served one as "
            f"`openai/{model}` with --api-base."
        )

    def missing_key(self, model: str, api_base: str | None, api_key_env: str | None) -> str | None:
        if api_key_env is not None:
            if os.environ.get(api_key_env):
                return None
            return f"the environment variable {api_key_env} (--api-key-env) is not set."
        if api_base is not None:
            return None  # a served model: a keyless server gets a placeholder key
        found = _litellm().validate_environment(model=model).get("missing_keys") or []
        needed = [k for k in found if k.endswith("_API_KEY")]  # not cloud credentials' files
        if not needed:
            return None
        return (
            f"the model {model!r} needs an API key: set {' or '.join(needed)}, or name the "
            "variable that holds it with --api-key-env."
        )

    def create(self, model: str, api_base: str | None, api_key_env: str | None) -> Backend:
        from instancegen.service.backends.litellm_backend import LiteLLMBackend, api_key_for

        key = api_key_for(model, api_base, api_key_env)
        return LiteLLMBackend(model, api_base=api_base, api_key=key, timeout=_timeout())

    def sent_schema(self, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
        from instancegen.service.backends.litellm_backend import tool_definition

        tool = tool_definition(response_model)
        strict = " in strict mode" if tool.get("strict") else ""
        return tool["parameters"], f"the parameters of the forced tool call {tool['name']}{strict}"


def _openai(model: str, api_base: str | None) -> bool:
    """OpenAI's own API (strict structured outputs), not an OpenAI-compatible server."""
    if api_base is not None:
        return False
    provider, _, name = model.partition("/")
    return provider == "openai" or (not name and model.startswith(("gpt-", "o1", "o3", "o4")))


def _table_entry(model: str) -> tuple[int, int, str] | None:
    """LiteLLM's table entry for `model` (output and context tokens), None when unknown."""
    try:
        info = _litellm().get_model_info(model)
    except Exception:  # LiteLLM raises a bare Exception for a model it does not know
        return None
    output = info.get("max_output_tokens") or info.get("max_tokens")
    context = info.get("max_input_tokens") or info.get("max_tokens")
    if not output or not context:
        return None
    return int(output), int(context), "LiteLLM's model table"


def _litellm() -> Any:
    """LiteLLM, imported offline (its shipped model table, no fetch) and without banners."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch
    import litellm

    litellm.suppress_debug_info = True  # no "Provider List" banner for an unknown model
    return litellm


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


plugin = LiteLLMPlugin()
