"""The local backend really constrains decoding: output the model would never write freely
(an invented word, a fixed pattern) comes out exactly as the schema demands."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, StringConstraints

from service.backends.local import LocalBackend


class Odd(BaseModel):
    word: Literal["zyzzyva", "quixotry"]
    code: Annotated[str, StringConstraints(pattern=r"^[QXZ]{3}[0-9]{2}$")]
    items: Annotated[list[int], Field(min_length=3, max_length=3)]


@pytest.mark.slow
def test_schema_is_enforced_by_the_grammar(local_model: None) -> None:
    backend = LocalBackend()
    reply = backend.complete(
        [{"role": "user", "content": "Say hello and tell me about the weather."}],
        schema=Odd,
        max_tokens=60,
    )
    data = json.loads(reply.text)
    assert data["word"] in ("zyzzyva", "quixotry")
    assert re.fullmatch(r"[QXZ]{3}[0-9]{2}", data["code"])
    assert len(data["items"]) == 3
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0 and not reply.truncated


@pytest.mark.slow
def test_max_tokens_cut_is_reported(local_model: None) -> None:
    reply = LocalBackend().complete(
        [{"role": "user", "content": "Write a long story."}], schema=None, max_tokens=4
    )
    assert reply.truncated and reply.completion_tokens == 4
