"""Grammar-constrained decoding that checks the model's own choice first.

llama.cpp's grammar sampler, in the chain llama-cpp-python builds, tests every token of the
vocabulary against the grammar before each token is picked: about a quarter of a small
model's decoding time. When decoding is greedy, only one token will be picked, so it is
enough to ask the grammar about the most likely one: if the grammar allows it, it is the
answer greedy decoding under the whole grammar would give too; if not (a few tokens an
answer), the whole vocabulary is tested, as before. Sampling at a temperature picks among
many tokens, so there the whole vocabulary is always tested.

The check runs as the last logits processor, so it sees what the other processors (the
steering of `local_steering`) made of the logits. It follows the answer through the tokens
llama-cpp-python hands it: each call after the first brings the token picked last.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from instancegen.service.core.errors import BackendError

_TOKEN_DATA = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class GrammarCheck:
    """A logits processor that leaves only what `grammar` allows for `llm`'s next token;
    `greedy`: only the most likely token is tested unless the grammar refuses it."""

    def __init__(self, llm: Any, grammar: Any, *, greedy: bool) -> None:
        import llama_cpp

        self._c = llama_cpp
        self._sampler = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode(), grammar._root.encode()
        )
        if not self._sampler:
            raise BackendError("llama.cpp could not parse the grammar made from the schema.")
        self._greedy = greedy
        self._seen: int | None = None  # tokens of the prompt and answer the grammar has seen
        self._one = (llama_cpp.llama_token_data * 1)()
        self._all = (llama_cpp.llama_token_data * llm.n_vocab())()
        self._all_view = np.frombuffer(self._all, dtype=_TOKEN_DATA)
        self._all_view["id"] = np.arange(llm.n_vocab(), dtype=np.intc)
        self.whole_vocabulary = 0  # how many tokens needed the whole vocabulary tested

    def close(self) -> None:
        if self._sampler:
            self._c.llama_sampler_free(self._sampler)
            self._sampler = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        if self._seen is not None:
            for token in input_ids[self._seen :]:
                self._c.llama_sampler_accept(self._sampler, int(token))
        self._seen = len(input_ids)
        if self._greedy:
            best = int(np.argmax(scores))
            self._one[0] = self._c.llama_token_data(best, float(scores[best]), 0.0)
            if self._apply(self._one, 1):
                return scores
        self.whole_vocabulary += 1
        self._all_view["logit"] = scores
        self._apply(self._all, len(scores))
        scores[:] = self._all_view["logit"]
        return scores

    def _apply(self, data: Any, size: int) -> bool:
        """Let the grammar mask `data`; whether its first entry is still allowed."""
        c = self._c
        array = c.llama_token_data_array(
            data=ctypes.cast(data, c.llama_token_data_p), size=size, selected=-1, sorted=False
        )
        c.llama_sampler_apply(self._sampler, ctypes.byref(array))
        return bool(np.isfinite(data[0].logit))


@contextmanager
def checked(llm: Any, grammar: Any, *, greedy: bool) -> Iterator[GrammarCheck]:
    """A `GrammarCheck` for one answer, its llama.cpp sampler freed afterwards."""
    check = GrammarCheck(llm, grammar, greedy=greedy)
    try:
        yield check
    finally:
        check.close()
