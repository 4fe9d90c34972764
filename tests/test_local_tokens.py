"""A prompt that repeats what the context holds keeps the context's own tokens
(`backends.local_tokens`), on the bundled model (ChatML, no BOS) and on Gemma 3 270M (a BOS
its template writes): the model's answer, sent back as the assistant's message, is not
evaluated again, and the prompt's text is unchanged."""

from __future__ import annotations

import pytest
from conftest import require
from pydantic import BaseModel, Field

from instancegen.service.backends import local_models
from instancegen.service.backends.base import Message
from instancegen.service.backends.local import LocalBackend, _contexts
from instancegen.service.backends.local_tokens import KeptPrefixTokenizer

ASK: list[Message] = [
    {
        "role": "user",
        "content": "Write two riverside libraries of a small town as JSON, each with a name "
        "and the year it opened.",
    }
]


class Library(BaseModel):
    name: str = Field(max_length=40)
    opened: int


class Town(BaseModel):
    libraries: list[Library] = Field(max_length=2)


@pytest.fixture(params=["local", "local:gemma3-270m"])
def model(request: pytest.FixtureRequest, local_model: None) -> str:
    name: str = request.param
    if name != "local":
        listed = {m.model: m for m in local_models.available()}[name]
        require(listed.info is not None, "Gemma 3 270M (GGUF)", "bash scripts/install.sh")
    return name


@pytest.mark.slow
def test_the_answer_sent_back_is_not_evaluated_again(model: str) -> None:
    backend = LocalBackend(model)
    first = backend.complete(ASK, schema=Town, max_tokens=120)
    then: list[Message] = [
        *ASK,
        {"role": "assistant", "content": first.text},
        {"role": "user", "content": "Now give the first library's name only."},
    ]
    llm = _contexts(backend._path, backend._n_ctx).pick(then).llm
    held = llm.input_ids[: llm.n_tokens].tolist()
    tokenizer = llm.tokenizer_
    assert isinstance(tokenizer, KeptPrefixTokenizer)
    assert held[first.prompt_tokens :], "the answer's tokens are in the context"

    # What the model wrote is cut as it wrote it, and the text is the same, byte for byte.
    answer = llm.detokenize(held[first.prompt_tokens :], special=True)
    text = llm.detokenize(held, special=True) + b" and more."
    spliced = tokenizer.tokenize(text, add_bos=False, special=True)
    assert spliced[: len(held)] == held
    assert llm.detokenize(spliced, special=True) == text
    # Text the context does not begin with, and plain (non-special) text, are cut as usual.
    assert tokenizer.tokenize(answer, add_bos=False, special=True) == llm._model.tokenize(
        answer, add_bos=False, special=True
    )
    assert tokenizer.tokenize(text, add_bos=False, special=False) == llm._model.tokenize(
        text, add_bos=False, special=False
    )

    second = backend.complete(then, schema=None, max_tokens=20)
    # The first prompt and every token of the answer are kept: only the template's end of
    # the assistant's turn and the new request are evaluated.
    assert second.reused_tokens >= first.prompt_tokens + first.completion_tokens - 1, (
        second.reused_tokens,
        first.prompt_tokens,
        first.completion_tokens,
    )
