"""GGUF models run in-process by llama-cpp-python, under grammar-constrained decoding.

`local` runs the default offline model, `local:NAME` a model a known package installs,
`local:PATH.gguf` any GGUF file (`local_models.py` says which file a string names). What the
model can do comes from the file's header: its trained context length, its size (a small
model gets short, bounded answers) and its chat template; the strategy is then chosen from
those capabilities as for any backend, never from the model's name.

The JSON schema is turned into a GBNF grammar with `LlamaGrammar.from_json_schema` and applied
by our own logits processor (`local_grammar`, which tests the greedy choice first):
llama-cpp-python's own `response_format` path silently falls back to "any JSON" when the
conversion fails, and instructor's patching did not pass the schema on at all, so neither
would guarantee the constraint is applied.
"""

from __future__ import annotations

import atexit
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from instancegen.service.backends import (
    local_loops,
    local_models,
    local_state,
    local_steering,
    local_threads,
)
from instancegen.service.backends.base import (
    SMALL_OUTPUT,
    Backend,
    Capabilities,
    Message,
    Reply,
    TokenCounter,
)
from instancegen.service.backends.local_gguf import GgufInfo
from instancegen.service.backends.local_patterns import grammar_ready
from instancegen.service.backends.local_templates import fallback_template
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.generation.schema import model_schema

NAME = local_models.PREFIX
# The KV cache grows with the context: a file trained on more is run with this much, which
# holds every bundled case's longest prompt several times over.
MAX_CONTEXT = 16384
DEFAULT_CONTEXT = 4096  # for a file that does not state its trained context length
SMALL_PARAMETERS = 3_000_000_000  # below this a model gets short, bounded answers
LARGE_OUTPUT = 8192  # the most one answer of a larger model may hold
# Tokens per o200k token for a tokenizer not measured on the bundled cases: a margin above
# the most measured on one (1.25).
UNMEASURED_TOKEN_SCALE = 1.5
_INSTALL = (
    "install the `local` extra (pip install 'instancegen[local]', llama.cpp built with "
    "CMAKE_ARGS=-DGGML_NATIVE=OFF)"
)
_lock = threading.Lock()  # llama.cpp contexts: one generation at a time
SLOTS = 2  # llama.cpp contexts per model file (each holds a KV cache of the whole context)
SIMILAR = 0.5  # the share of a prompt a context's last one must share for the call to go there


def weights_path() -> Path:
    """The default offline model's GGUF file; a BackendError saying how to install it."""
    try:
        return local_models.model_file(NAME).path
    except InputError as exc:
        raise BackendError(exc.message) from None


def context_for(info: GgufInfo) -> int:
    """The context a file is run with: its trained length, at most MAX_CONTEXT."""
    return min(info.context_length or DEFAULT_CONTEXT, MAX_CONTEXT)


def capabilities_of(model: str, info: GgufInfo) -> Capabilities:
    """What the model in `info` can do, from its header (and, for a known model, its
    measured tokenizer scale)."""
    context = context_for(info)
    small = info.parameters < SMALL_PARAMETERS
    known = local_models.known(model)
    scale = known.token_scale if known is not None else None
    return Capabilities(
        context_tokens=context,
        output_tokens=min(SMALL_OUTPUT if small else LARGE_OUTPUT, context // 2),
        source=f"{info.name}, from its GGUF header",
        grammar=True,
        small=small,
        token_scale=scale or UNMEASURED_TOKEN_SCALE,
    )


@dataclass
class _Slot:
    """One llama.cpp context and the prompt it last evaluated (what its cache holds)."""

    llm: Any
    shown: str = ""
    used: int = 0  # when it was last picked, for least-recently-used replacement
    fresh: bool = True  # no call yet: its first one's state is saved for the next process


@dataclass
class _Contexts:
    """A model file's contexts. llama-cpp-python keeps the last prompt's tokens and evaluates
    only what follows the common prefix, so each context is kept for one line of calls:
    a call goes to the context whose last prompt shares at least SIMILAR of it (the next
    phase, a repair or another sample of the same generation), else to a fresh or the least
    recently used one (a generation beside it, another metamodel). A fresh context starts
    from the state the last process saved (`local_state`)."""

    path: str
    n_ctx: int
    slots: list[_Slot] = field(default_factory=list)
    picks: int = 0
    state: Path | None = None  # the evaluated prompt kept between processes (`local_state`)

    def __post_init__(self) -> None:
        self.state = local_state.state_file(self.path, self.n_ctx)

    def done(self, slot: _Slot) -> None:
        """After `slot`'s call: a fresh context's first state is saved for the next process."""
        if slot.fresh:
            slot.fresh = False
            local_state.save(slot.llm, self.state)

    def pick(self, messages: list[Message]) -> _Slot:
        shown = "\0".join(f"{m['role']}\1{m['content']}" for m in messages)
        shared = {id(s): _common_prefix(s.shown, shown) for s in self.slots}
        best = max(self.slots, key=lambda s: shared[id(s)], default=None)
        if best is not None and shared[id(best)] >= SIMILAR * len(shown):
            slot = best
        elif len(self.slots) < SLOTS:
            slot = _Slot(_llama(self.path, self.n_ctx))
            local_state.restore(slot.llm, self.state)
            self.slots.append(slot)
        else:
            slot = min(self.slots, key=lambda s: s.used)
        if best is not None and best is not slot and shared[id(best)] > shared.get(id(slot), 0):
            _copy_cache(best.llm, slot.llm)  # start from the other's prefix (the system text)
        self.picks += 1
        slot.shown, slot.used = shown, self.picks
        return slot


def _copy_cache(source: Any, target: Any) -> None:
    """`source`'s evaluated tokens and their KV cache into `target` (a context of the same
    model and size), so `target` evaluates only what follows the prefix they share. Only
    the sequence is copied, not the logits: llama-cpp-python decodes again before sampling
    from a restored state. Left as it was when llama.cpp cannot copy it."""
    import ctypes

    import llama_cpp

    size = llama_cpp.llama_state_seq_get_size(source.ctx, 0)
    data = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_seq_get_data(source.ctx, data, size, 0)
    target.reset()
    memory = llama_cpp.llama_get_memory(target.ctx)
    llama_cpp.llama_memory_clear(memory, True)
    if written == 0 or llama_cpp.llama_state_seq_set_data(target.ctx, data, written, 0) == 0:
        return
    n = source.n_tokens
    target.input_ids[:n] = source.input_ids[:n]
    target.n_tokens = n


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix of `a` and `b` (bisected: slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        mid = (low + high + 1) // 2
        if a[:mid] == b[:mid]:
            low = mid
        else:
            high = mid - 1
    return low


@cache
def _contexts(path: str, n_ctx: int) -> _Contexts:
    return _Contexts(path, n_ctx)


def _llama(path: str, n_ctx: int) -> Any:
    try:
        from llama_cpp import Llama
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter
    except ImportError:
        raise BackendError(f"llama-cpp-python is not installed; {_INSTALL}.") from None
    try:
        llm = Llama(
            model_path=path,
            n_ctx=n_ctx,
            n_threads=1,  # each call sets its own (`local_threads`)
            n_threads_batch=1,
            seed=0,
            verbose=False,
        )
    except ValueError as exc:  # llama.cpp could not load it (an architecture it lacks)
        raise BackendError(f"llama.cpp cannot load {path}: {exc}") from None
    atexit.register(llm.close)  # freed before interpreter teardown, not in a noisy __del__
    from instancegen.service.backends.local_tokens import KeptPrefixTokenizer

    llm.tokenizer_ = KeptPrefixTokenizer(llm)  # a prompt keeps the tokens its context holds
    if "tokenizer.chat_template" not in llm.metadata:
        template = fallback_template(llm.metadata.get("general.architecture", ""))
        eos = llm.token_eos()
        llm.chat_handler = Jinja2ChatFormatter(
            template.text,
            eos_token=llm._model.token_get_text(eos),
            bos_token=llm._model.token_get_text(llm.token_bos()),
            stop_token_ids=[eos],
        ).to_chat_handler()
    return llm


def _grammar(schema: type[BaseModel]) -> Any:
    # The properties in the schema's order: the grammar makes the model write them so (an
    # entry's id first leads it to the matching values).
    return _compiled(json.dumps(grammar_ready(model_schema(schema))))


@lru_cache(maxsize=64)
def _compiled(schema_json: str) -> Any:
    """The grammar of a JSON schema, kept by the schema's text: repairs and samples ask
    with the same schemas again (a `LlamaGrammar` is only its text: reusing one is safe)."""
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_json_schema(schema_json, verbose=False)
    except Exception as exc:  # the converter raises bare Exceptions on unsupported schemas
        raise BackendError(f"the JSON schema cannot be turned into a grammar: {exc}") from exc


class LocalBackend:
    """A GGUF model, offline, with grammar-constrained decoding; inside `counting`, it tells
    its answer's tokens as they come; inside `avoiding`, it steers away from given values."""

    def __init__(self, model: str = NAME, path: Path | None = None) -> None:
        self.model = model
        try:
            info = local_models.model_file(model if path is None else f"{NAME}:{path}")
        except InputError as exc:
            raise BackendError(exc.message) from None
        self._path, self._n_ctx = str(info.path), context_for(info)
        self._on_tokens: TokenCounter | None = None
        self._avoid: Mapping[str, Sequence[str]] = {}

    @contextmanager
    def avoiding(self, values: Mapping[str, Sequence[str]]) -> Iterator[None]:
        self._avoid = values
        try:
            yield
        finally:
            self._avoid = {}

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
        from llama_cpp import (
            LogitsProcessorList,
            llama_perf_context,
            llama_perf_context_reset,
            llama_set_n_threads,
        )

        started = time.perf_counter()
        grammar = _grammar(schema) if schema is not None else None
        grammar_seconds = time.perf_counter() - started
        with _lock:
            contexts = _contexts(self._path, self._n_ctx)
            slot = contexts.pick(messages)
            llm = slot.llm
            threads = local_threads.for_call()
            llama_set_n_threads(llm.ctx, threads, threads)
            with ExitStack() as stack:
                processors = self._processors(llm, json_answer=schema is not None)
                if grammar is not None:  # last: it sees what the others made of the logits
                    # imported here: it needs numpy, which only the `local` extra brings
                    from instancegen.service.backends.local_grammar import checked

                    started = time.perf_counter()
                    greedy = temperature == 0.0
                    processors.append(stack.enter_context(checked(llm, grammar, greedy=greedy)))
                    grammar_seconds += time.perf_counter() - started
                llama_perf_context_reset(llm.ctx)
                try:
                    out = llm.create_chat_completion(
                        messages=messages,
                        temperature=temperature,
                        max_tokens=max_tokens,
                        seed=0 if seed is None else seed,  # fixed unless a sample asks
                        logits_processor=LogitsProcessorList(processors) if processors else None,
                    )
                except ValueError as exc:  # e.g. the prompt does not fit the context window
                    raise BackendError(f"the local model failed: {exc}") from None
            perf = llama_perf_context(llm.ctx)
            contexts.done(slot)
        choice, usage = out["choices"][0], out["usage"]
        return Reply(
            text=choice["message"]["content"] or "",
            prompt_tokens=usage["prompt_tokens"],
            completion_tokens=usage["completion_tokens"],
            truncated=choice["finish_reason"] == "length",
            prompt_seconds=perf.t_p_eval_ms / 1000,
            grammar_seconds=grammar_seconds,
            # Prompt tokens the context kept from its last call's (a common prefix).
            reused_tokens=max(0, usage["prompt_tokens"] - perf.n_p_eval),
        )

    def _processors(self, llm: Any, *, json_answer: bool) -> list[Any]:
        """What runs before each token is sampled, besides the grammar: the counter inside
        `counting`, the steering inside `avoiding`, and for a JSON answer, lists that close
        rather than repeat an element (`local_loops`)."""
        chosen = []
        if self._on_tokens is not None:
            chosen.append(_counting(self._on_tokens))
        if self._avoid:
            chosen.append(local_steering.avoiding(llm, self._avoid))
        if json_answer:
            chosen.append(local_loops.closing_repeats(llm))
        return chosen


def _counting(on_tokens: TokenCounter) -> Any:
    """A logits processor that leaves the logits as they are: llama.cpp runs it before
    sampling each token, so it counts the answer's tokens for `on_tokens`."""
    written = 0

    def count(input_ids: Any, scores: Any) -> Any:
        nonlocal written
        on_tokens(written)  # the tokens sampled before this one
        written += 1
        return scores

    return count


class LocalPlugin:
    """GGUF models in-process, registered as the `local` backend plugin."""

    name = NAME
    fallback = False
    concurrent = False  # one llama.cpp context per file, one call at a time

    def accepts(self, model: str) -> bool:
        return local_models.is_local(model)

    def capabilities(self, model: str, api_base: str | None) -> Capabilities:
        return capabilities_of(model, local_models.model_file(model))

    def create(self, model: str, api_base: str | None, api_key_env: str | None) -> Backend:
        return LocalBackend(model)

    def unknown(self, model: str, api_base: str | None) -> str | None:
        """Why `model` cannot run here (a missing or broken file, a model not installed,
        llama.cpp absent): said before a run starts, not after the models before it ran."""
        return local_models.local_problem(model)

    def missing_key(self, model: str, api_base: str | None, api_key_env: str | None) -> str | None:
        return None  # in process: no key

    def sent_schema(self, response_model: type[BaseModel]) -> tuple[dict[str, Any], str]:
        return grammar_ready(model_schema(response_model)), "compiled into a llama.cpp grammar"


plugin = LocalPlugin()
