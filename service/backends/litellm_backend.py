"""Any LiteLLM model string (`openai/gpt-4o`, `anthropic/…`, `ollama/…`, `openai/<name>` with
an `api_base`) through instructor, which sends the response model as a forced tool call.

Keys come from the providers' usual environment variables (LiteLLM reads them), or from the
one `api_key` names; a local server reached by `api_base` with no key gets a placeholder, since
the OpenAI client refuses to send a request without one. Rate limits
and server errors (429, 5xx) are retried with exponential backoff, honouring `Retry-After`;
other client errors (401, 400, …), refused connections and timeouts fail at once: retrying
cannot fix them. Every failure becomes a `BackendError` carrying the provider's message.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import time
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from instancegen.service.backends.base import Message, Reply, StrictAnswer
from instancegen.service.core.errors import BackendError, InputError

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")  # no network fetch at import
import httpx
import instructor
import litellm
import openai
from instructor.core.exceptions import (
    IncompleteOutputException,
    InstructorError,
    InstructorRetryException,
)

litellm.suppress_debug_info = True
logging.getLogger("instructor").addHandler(logging.NullHandler())  # failures are raised
logging.getLogger("instructor").propagate = False

_T = TypeVar("_T")
MAX_RETRY_AFTER = 60.0  # seconds: a longer Retry-After is not worth waiting for here
PLACEHOLDER_KEY = "sk-no-key"  # what a keyless local server gets (the client needs a key)


def api_key_for(model: str, api_base: str | None, api_key_env: str | None = None) -> str | None:
    """The key to send: from the variable `api_key_env` names; else None (LiteLLM reads the
    provider's usual variables), or a placeholder when a server is given by `api_base` and the
    provider's variables hold no key (llama.cpp's server, vLLM and Ollama need none)."""
    if api_key_env is not None:
        key = os.environ.get(api_key_env)
        if not key:
            raise InputError(f"the environment variable {api_key_env} (--api-key-env) is not set.")
        return key
    if api_base is None:
        return None
    try:
        found = litellm.validate_environment(model=model).get("keys_in_environment", False)
    except Exception:  # a model string LiteLLM cannot place: let the request say what is wrong
        return None
    return None if found else PLACEHOLDER_KEY


class LiteLLMBackend:
    """A hosted or self-hosted model reached through LiteLLM."""

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: str | None = None,
        timeout: float = 120.0,
        retries: int = 3,
        backoff: float = 1.0,
        validation_retries: int = 2,
    ) -> None:
        self.model = model
        self.api_base = api_base
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.validation_retries = validation_retries
        # The SDK's own retries are off (ours are only for 429/5xx); bound here because
        # instructor takes `max_retries` for itself (re-asking after a validation failure).
        self._client = instructor.from_litellm(functools.partial(litellm.completion, max_retries=0))
        self.api_key = api_key

    def complete(
        self,
        messages: list[Message],
        *,
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        common: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "timeout": self.timeout,
            "num_retries": 0,  # retries are ours: only for 429/5xx, with Retry-After;
            "max_retries": 0,  # ... neither LiteLLM nor the OpenAI SDK under it retries
        }
        if seed is not None:  # a provider without seeds has it dropped (drop_params)
            common["seed"] = seed
            common["drop_params"] = True
        if self.api_base:
            common["api_base"] = self.api_base
        if self.api_key is not None:
            common["api_key"] = self.api_key
        if schema is None:
            raw = self._with_retries(lambda: litellm.completion(**common))
            choice = raw.choices[0]
            return self._reply(raw, choice.message.content or "", choice.finish_reason)
        del common["max_retries"]  # instructor's own; the SDK's is bound in the client
        if issubclass(schema, StrictAnswer):
            common["strict"] = True  # OpenAI's strict structured outputs

        def structured() -> tuple[str, Any, str | None]:
            try:
                parsed, raw = self._client.chat.completions.create_with_completion(
                    response_model=schema, max_retries=self.validation_retries, **common
                )
            except IncompleteOutputException as exc:  # cut off: the caller keeps what it can
                raw = exc.last_completion
                return _tool_arguments(raw), raw, "length"
            strict = issubclass(schema, StrictAnswer)  # its nulls are required, so kept
            return parsed.model_dump_json(by_alias=True, exclude_none=not strict), raw, None

        text, raw, finish = self._with_retries(structured)
        return self._reply(raw, text, finish)

    def _reply(self, raw: Any, text: str, finish_reason: str | None) -> Reply:
        usage = getattr(raw, "usage", None)
        return Reply(
            text=text,
            prompt_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            completion_tokens=getattr(usage, "completion_tokens", 0) or 0,
            cost=_cost(raw),
            truncated=finish_reason == "length",
        )

    def _with_retries(self, call: Callable[[], _T]) -> _T:
        for attempt in range(self.retries + 1):
            try:
                return call()
            except Exception as exc:  # provider SDKs raise many types; all end up here
                cause = _provider_error(exc)
                if not _retryable(cause) or attempt == self.retries:
                    raise _backend_error(self.model, self.api_base, cause) from None
                time.sleep(_delay(cause, attempt, self.backoff))
        raise AssertionError("unreachable")


def _provider_error(exc: Exception) -> Exception:
    """The provider's own error where instructor wrapped it (its retry wrapper hides the
    status, Retry-After and timeout that decide whether and when to try again)."""
    if isinstance(exc, InstructorError) and isinstance(
        exc.__cause__, litellm.APIError | litellm.Timeout | openai.APIError
    ):
        return exc.__cause__
    return exc


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def _unreachable(exc: BaseException) -> bool:
    """The server could not be reached or did not answer in time (LiteLLM may label this an
    HTTP 500, so look down the exception chain for the SDK's connection error)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, openai.APIConnectionError | httpx.TransportError | ConnectionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retryable(exc: Exception) -> bool:
    """429 and 5xx are worth another try; an unreachable server is not."""
    if isinstance(exc, litellm.Timeout) or _unreachable(exc):
        return False
    status = _status(exc)
    return status is not None and (status == 429 or status >= 500)


def _delay(exc: Exception, attempt: int, backoff: float) -> float:
    """The server's Retry-After when it gives one, else exponential backoff with jitter."""
    for headers in (
        getattr(getattr(exc, "response", None), "headers", None),
        getattr(exc, "litellm_response_headers", None),
    ):
        value = headers.get("retry-after") if headers is not None else None
        if value is not None:
            try:
                return min(max(float(value), 0.0), MAX_RETRY_AFTER)
            except ValueError:
                break  # an HTTP date: fall back to backoff
    return backoff * 2**attempt * (1 + random.random() / 4)


def _backend_error(model: str, api_base: str | None, exc: Exception) -> BackendError:
    if isinstance(exc, IncompleteOutputException):
        return BackendError(f"{model}: the answer was cut off at the max_tokens limit.")
    if isinstance(exc, InstructorRetryException | InstructorError):
        return BackendError(f"{model}: no usable answer after retries ({_short(str(exc))}).")
    timeout = isinstance(exc, litellm.Timeout)
    status = _status(exc)
    if _unreachable(exc) and not timeout:
        where = f" at {api_base}" if api_base else ""
        return BackendError(f"{model}: cannot connect to the server{where} ({_short(str(exc))})")
    code = f" (HTTP {status})" if status else ""
    message = _short(str(exc).strip()) or type(exc).__name__
    return BackendError(f"{model}{code}: {message}", timeout=timeout, status=status)


def _short(text: str, limit: int = 500) -> str:
    """One line (providers' messages may span many), at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + " …"


def _tool_arguments(raw: Any) -> str:
    """The (cut-off) arguments of the forced tool call, or the text when there is none."""
    try:
        message = raw.choices[0].message
    except (AttributeError, IndexError):
        return ""
    calls = getattr(message, "tool_calls", None) or []
    if calls:
        return str(calls[0].function.arguments or "")
    return str(getattr(message, "content", "") or "")


def tool_definition(schema: type[BaseModel]) -> dict[str, Any]:
    """The tool definition instructor sends for `schema` (name, description, parameters)."""
    from instructor.v2.providers.openai.schema import generate_openai_schema

    sent = dict(generate_openai_schema(schema))
    if issubclass(schema, StrictAnswer):
        sent["strict"] = True
    return sent


def _cost(raw: Any) -> float | None:
    """USD cost where LiteLLM knows the model's prices, else None."""
    try:
        return float(litellm.completion_cost(completion_response=raw))
    except Exception:  # unknown model or price: cost is optional
        return None
