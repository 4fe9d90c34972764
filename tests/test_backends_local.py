"""The local backend really constrains decoding: output the model would never write freely
(an invented word, a fixed pattern) comes out exactly as the schema demands."""

from __future__ import annotations

import json
import re
from typing import Annotated, Literal

import pytest
from pydantic import BaseModel, Field, StringConstraints

from instancegen.service.backends.local import LocalBackend


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


@pytest.mark.slow
def test_a_seed_varies_a_warm_draw_and_greedy_stays_fixed(local_model: None) -> None:
    """Self-consistency's samples differ only because each has its own seed: llama.cpp's
    sampler is seeded, and with the one fixed seed of greedy calls every draw would match."""
    backend = LocalBackend()
    ask = [{"role": "user", "content": "Invent a name for a small bakery."}]

    def draw(temperature: float, seed: int | None) -> str:
        return backend.complete(
            ask, schema=None, max_tokens=24, temperature=temperature, seed=seed
        ).text

    draw(1.0, 1)  # the first call evaluates the prompt cold; later ones reuse it (numerics)
    assert draw(1.0, 1) == draw(1.0, 1)  # one seed, one draw
    assert len({draw(1.0, seed) for seed in (1, 2, 3)}) > 1
    assert draw(0.0, None) == draw(0.0, None) == draw(0.0, 7)  # greedy ignores the seed
