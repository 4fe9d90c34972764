"""Values to avoid, made unlikely while a GGUF model writes its answer.

A set's next member is told which values the kept members used, but a small model tends to
copy what its prompt shows. In process, decoding can do better than asking: a logits
processor follows the answer's JSON, and where it is writing the string of a feature that
has values to avoid, it lowers the logits of the tokens that would go on spelling one of
them (the canonical first token of what is left of the value, or, once the value is
complete, a closing quote). The model can still write the value where the grammar leaves it
nothing else, or where the value only shares a prefix; it just does not drift into a copy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

PENALTY = 20.0  # logits lowered: far below the usual margins, short of a ban under a grammar
TAIL = 256  # bytes of the answer so far looked at to find the string being written
# The end of an answer that is inside a string value: its key and the string so far (raw,
# as JSON spells it).
_OPEN_STRING = re.compile(r'"((?:[^"\\]|\\.)+)"\s*:\s*"((?:[^"\\]|\\.)*)$')


def spelled(values: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """`values` as JSON spells them inside quotes, the form the answer's text has."""
    return {
        k: tuple(json.dumps(v, ensure_ascii=False)[1:-1] for v in vs) for k, vs in values.items()
    }


def avoiding(llm: Any, values: Mapping[str, Sequence[str]]) -> Any:
    """A logits processor for `llm` that steers away from `values` (feature name -> values)
    where the answer writes that feature's string."""
    avoid = {k: vs for k, vs in spelled(values).items() if vs}
    written = bytearray()
    calls = 0

    def steer(input_ids: Any, scores: Any) -> Any:
        nonlocal calls
        if calls:  # the first call sees the prompt alone; each later one, a new token
            written.extend(llm.detokenize([int(input_ids[-1])]))
        calls += 1
        tail = bytes(written[-TAIL:]).decode("utf-8", errors="ignore")
        found = _OPEN_STRING.search(tail)
        if found is None:
            return scores
        key, so_far = found.group(1), found.group(2)
        lower_spelling(llm, scores, so_far, avoid.get(key, ()))
        return scores

    return steer


def lower_spelling(llm: Any, scores: Any, so_far: str, values: Sequence[str]) -> None:
    """Lower in `scores` the tokens that would go on from the string `so_far` (as JSON
    spells it, quotes left out) to spell one of `values`."""
    for value in values:
        if not value.startswith(so_far):
            continue
        rest = value[len(so_far) :]
        penalised = _closing_quotes(llm) if not rest else (_first_token(llm, rest),)
        for token in penalised:
            scores[token] -= PENALTY


def _first_token(llm: Any, text: str) -> int:
    return int(llm.tokenize(text.encode(), add_bos=False, special=False)[0])


@lru_cache(maxsize=4)
def token_texts(llm: Any) -> tuple[bytes, ...]:
    """What each token of `llm`'s vocabulary spells, by token id: read once per model, for
    the processors that pick tokens by their text."""
    return tuple(llm.detokenize([t]) for t in range(llm.n_vocab()))


@lru_cache(maxsize=4)
def _closing_quotes(llm: Any) -> tuple[int, ...]:
    """The tokens of `llm`'s vocabulary that begin with a double quote: the ones that could
    end a string value."""
    return tuple(t for t, text in enumerate(token_texts(llm)) if text.startswith(b'"'))
