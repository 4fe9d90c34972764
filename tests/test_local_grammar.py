"""The grammar check that tests the greedy choice first (`backends.local_grammar`), on the
bundled model: it writes what llama.cpp's own grammar sampler makes it write, token for
token, while testing the whole vocabulary for only a few of the tokens; sampling at a
temperature stays inside the grammar."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field

from instancegen.service.backends.local import LocalBackend, _contexts, _grammar
from instancegen.service.backends.local_grammar import checked

ASK = [
    {
        "role": "user",
        "content": "Write three people of a small sports club as JSON, each with a name, "
        "an age in years and a role (member or coach).",
    }
]


class Person(BaseModel):
    name: str = Field(max_length=30)
    age: int
    role: Literal["member", "coach"]


class Club(BaseModel):
    people: list[Person] = Field(max_length=3)


def _llm(backend: LocalBackend) -> Any:
    return _contexts(backend._path, backend._n_ctx).pick(ASK).llm


@pytest.mark.slow
def test_greedy_answers_equal_llama_cpps_own_grammar_sampling(local_model: None) -> None:
    backend = LocalBackend("local")
    llm, grammar = _llm(backend), _grammar(Club)
    own = llm.create_chat_completion(messages=ASK, grammar=grammar, temperature=0.0, max_tokens=200)
    from llama_cpp import LogitsProcessorList

    with checked(llm, grammar, greedy=True) as check:
        ours = llm.create_chat_completion(
            messages=ASK,
            temperature=0.0,
            max_tokens=200,
            logits_processor=LogitsProcessorList([check]),
        )
    text = ours["choices"][0]["message"]["content"]
    assert text == own["choices"][0]["message"]["content"]
    Club.model_validate_json(text)
    written = ours["usage"]["completion_tokens"]
    assert 0 < check.whole_vocabulary < written / 2  # the greedy choice mostly passes


@pytest.mark.slow
def test_sampling_at_a_temperature_stays_inside_the_grammar(local_model: None) -> None:
    backend = LocalBackend("local")
    for seed in (1, 2, 3):
        reply = backend.complete(ASK, schema=Club, max_tokens=200, temperature=1.2, seed=seed)
        assert not reply.truncated
        club = Club.model_validate(json.loads(reply.text))
        assert all(p.role in ("member", "coach") for p in club.people)
