"""LLM backends as plugins, found through the entry-point group `instancegen.backends`.

The bundled ones register there like any third-party plugin: `local` (the bundled model run
in-process) and `litellm` (any LiteLLM model string, the fallback). A model string picks the
plugin that accepts it; the plugin declares the model's `Capabilities` and makes its backend.
Plugins import their LLM stack (llama.cpp, LiteLLM) only when a backend is made: the CLI's
other commands need neither.

    from instancegen.service import backends
    caps = backends.capabilities("local")          # limits, grammar, strict tools, small
    backends.check_model("openai/gpt-4o")          # unknown model or missing key: InputError
    backend = backends.create_backend("openai/gpt-4o")
"""

from __future__ import annotations

import dataclasses
import difflib
from functools import cache
from typing import Any

from pydantic import BaseModel

from instancegen.service.backends.base import (
    SMALL_OUTPUT,
    Backend,
    BackendPlugin,
    Capabilities,
    CheckedPlugin,
    Message,
    Reply,
    StrictAnswer,
)
from instancegen.service.core.errors import InputError
from instancegen.service.core.plugins import load_plugins

GROUP = "instancegen.backends"
DEFAULT_MODEL = "local"  # the bundled model: offline, no key
MIN_TOKENS = 256  # the least a given limit may be: below, not even a repair fits


@cache
def plugins() -> tuple[BackendPlugin, ...]:
    """The installed plugins: those serving particular strings first (by entry-point name),
    fallbacks last."""
    found = [plugin for _, plugin in load_plugins(GROUP, "backend plugin")]
    return tuple(sorted(found, key=lambda p: p.fallback))


def plugin_for(model: str) -> BackendPlugin:
    """The plugin that serves `model`; an InputError naming the installed ones otherwise."""
    for plugin in plugins():
        if plugin.accepts(model):
            return plugin
    names = ", ".join(p.name for p in plugins()) or "none (install the package: pip install -e .)"
    raise InputError(f"no backend serves the model {model!r}; installed backends: {names}.")


def check_model(
    model: str,
    api_base: str | None = None,
    *,
    api_key_env: str | None = None,
    keys: bool = True,
) -> None:
    """Refuse at once, with an InputError in one sentence, a model string its plugin knows
    cannot work: an unknown one (a near miss of a plugin's own name is named: `loca`, did
    you mean `local`; else the plugin says why), or, with `keys`, one whose key is missing.
    Offline: no backend is made and nothing is sent. `keys` False where the calls run
    elsewhere (broker workers hold their own keys)."""
    plugin = plugin_for(model)
    if not isinstance(plugin, CheckedPlugin):
        return
    why = plugin.unknown(model, api_base)
    if why is not None:
        near = _near_miss(model) if plugin.fallback else None  # a plugin's own string: its why
        raise InputError(f"unknown model {model!r}; did you mean `{near}`?" if near else why)
    if keys and (missing := plugin.missing_key(model, api_base, api_key_env)) is not None:
        raise InputError(missing)


def _near_miss(model: str) -> str | None:
    """The plugin name `model` is a near miss of (`loca` → `local`), if any."""
    names = [p.name for p in plugins() if not p.fallback]
    close = difflib.get_close_matches(model, names, n=1, cutoff=0.6)
    return close[0] if close else None


def capabilities(
    model: str,
    api_base: str | None = None,
    *,
    max_output_tokens: int | None = None,
    context_tokens: int | None = None,
) -> Capabilities:
    """What `model` can do; given limits (for a model its backend does not know) override
    the known ones, and an output limit of at most SMALL_OUTPUT marks a small model."""
    for name, value in (
        ("max_output_tokens", max_output_tokens),
        ("context_tokens", context_tokens),
    ):
        if value is not None and value < MIN_TOKENS:
            raise InputError(f"{name} must be at least {MIN_TOKENS}, not {value}.")
    caps = plugin_for(model).capabilities(model, api_base)
    if max_output_tokens is None and context_tokens is None:
        return caps
    context = context_tokens or caps.context_tokens
    output = min(max_output_tokens or caps.output_tokens, context)
    return dataclasses.replace(
        caps,
        context_tokens=context,
        output_tokens=output,
        source="given",
        small=caps.small or output <= SMALL_OUTPUT,
    )


def create_backend(
    model: str, api_base: str | None = None, *, api_key_env: str | None = None
) -> Backend:
    """The backend `model` names (`local`, or a LiteLLM string such as `openai/gpt-4o`);
    `api_key_env` names the variable holding the key, when not the provider's usual one."""
    return plugin_for(model).create(model, api_base, api_key_env)


def sent_schema(model: str, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
    """The JSON schema `model` is held to for `response_model`, exactly as sent, and how."""
    return plugin_for(model).sent_schema(response_model)


__all__ = [
    "DEFAULT_MODEL",
    "Backend",
    "BackendPlugin",
    "Capabilities",
    "Message",
    "Reply",
    "StrictAnswer",
    "capabilities",
    "check_model",
    "create_backend",
    "plugin_for",
    "plugins",
    "sent_schema",
]
