"""The engine behind generating and editing: every call fits the model's declared limits, a
repair carries the latest answer and its findings (so its size does not grow with the attempt
number), a prompt that does not fit is cut and the result says so, and one that cannot be cut
to fit fails before any call with a BackendError naming the limit. Driven by a backend that
replays answers (fakes only for the engine's own logic; real servers: test_litellm_server)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from instancegen import edit, generate
from instancegen.service.backends import capabilities
from instancegen.service.backends.base import Message, Reply
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.budget import MARGIN, prompt_tokens
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.encoding import Grouped
from instancegen.service.generation.prompting import Fit

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"
SPEC = "A bank holds two accounts, owned by a person."
SERVED = {"model": "openai/served", "api_base": "http://127.0.0.1:9/v1"}  # typed, 4k/32k


class Replay:
    """Answers the calls with `replies` in turn, over and over, recording each call's
    messages and max_tokens."""

    model = "replay"

    def __init__(self, *replies: str) -> None:
        self.replies = list(replies)
        self.calls: list[dict[str, Any]] = []

    def complete(self, messages: list[Message], **kw: Any) -> Reply:
        self.calls.append({"messages": messages, "max_tokens": kw["max_tokens"]})
        text = self.replies[(len(self.calls) - 1) % len(self.replies)]
        return Reply(text=text, prompt_tokens=prompt_tokens(messages), completion_tokens=10)


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


def _phase_one(balance: float) -> str:
    return json.dumps(
        {
            "Bank": [{"id": "alpha", "attributes": {"name": "Alpha"}}],
            "Account": [
                {"id": "account_1", "attributes": {"iban": "DE01", "balance": balance}},
                {"id": "account_2", "attributes": {"iban": "DE02"}},
            ],
            "Person": [{"id": "ann", "attributes": {"name": "Ann"}}],
        }
    )


LINKS = json.dumps({"account_1": {"owners": ["ann"]}, "account_2": {"owners": ["ann"]}})


def _sizes(backend: Replay, every: int = 1, start: int = 0) -> list[int]:
    return [prompt_tokens(c["messages"]) for c in backend.calls[start::every]]


def test_a_two_phase_repair_does_not_grow_with_the_attempt_number(bank: Metamodel) -> None:
    # The same answer every time: a value no schema rules out, which the validator refuses.
    backend = Replay(_phase_one(float("nan")), LINKS)
    result = generate(bank, SPEC, backend=backend, max_repairs=3)
    assert result.status == "invalid" and len(result.attempts) == 4
    objects_calls = _sizes(backend, every=2)  # phase 1 of attempts 1..4
    assert len(objects_calls) == 4
    assert objects_calls[1] == objects_calls[2] == objects_calls[3] > objects_calls[0]
    # what was sent is the latest answer and its findings, once
    repair = backend.calls[6]["messages"]
    assert sum(m["role"] == "assistant" for m in repair) == 2  # the worked example's, the last
    assert [a.prompt_tokens for a in result.attempts[1:]] == [result.attempts[1].prompt_tokens] * 3


def test_each_two_phase_call_begins_with_what_the_one_before_it_sent(bank: Metamodel) -> None:
    """Links go on from the objects request, and a repair from the request it repairs, so a
    model that keeps its evaluated prompt (llama.cpp, a provider's cache) reads only what
    is new."""
    backend = Replay(_phase_one(float("nan")), LINKS)
    generate(bank, SPEC, backend=backend, max_repairs=1)
    objects, links, repair = (c["messages"] for c in backend.calls[:3])
    assert links[: len(objects)] == objects
    assert links[len(objects)]["role"] == "assistant"  # the objects as declared
    assert "Now connect these objects" in links[-1]["content"]
    assert repair[: len(objects)] == objects


def test_links_show_the_objects_as_the_model_wrote_them_when_that_says_the_same(
    bank: Metamodel,
) -> None:
    """The objects answer in phase 2's conversation is the model's own text (its spacing,
    its order of attributes), so a model that keeps its context reads none of it again;
    when declaring the objects changed them, the conversation shows them as declared."""
    written = _phase_one(100.0).replace(", ", ",").replace("[{", "[ {")
    backend = Replay(written, LINKS)
    generate(bank, SPEC, backend=backend, max_repairs=0)
    objects, links = (c["messages"] for c in backend.calls[:2])
    assert links[len(objects)]["content"] == written

    twice = json.loads(_phase_one(100.0))
    twice["Person"].append(twice["Person"][0])  # the same object twice: one is dropped
    backend = Replay(json.dumps(twice), LINKS)
    result = generate(bank, SPEC, backend=backend, max_repairs=0)
    assert any(i.code == "normalised" for i in result.issues)
    objects, links = (c["messages"] for c in backend.calls[:2])
    shown = json.loads(links[len(objects)]["content"])
    assert shown["Person"] == [{"id": "ann", "attributes": {"name": "Ann"}}]


def test_a_one_shot_repair_does_not_grow_with_the_attempt_number(bank: Metamodel) -> None:
    reference = parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())
    answer = Grouped(bank).encode(reference)
    answer["Bank"][0]["accounts"][0]["balance"] = float("nan")  # refused every time
    backend = Replay(json.dumps(answer))
    result = generate(bank, SPEC, backend=backend, max_repairs=3, **SERVED)
    assert result.status == "invalid" and len(result.attempts) == 4
    sizes = _sizes(backend)
    assert len(sizes) == 4 and sizes[1] == sizes[2] == sizes[3] > sizes[0]


def test_an_edit_repair_does_not_grow_with_the_attempt_number(bank: Metamodel) -> None:
    cim = parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())
    wrong = json.dumps({"edits": [{"op": "set", "id": "acc1", "feature": "balance", "value": "x"}]})
    backend = Replay(wrong)
    result = edit(bank, cim, "Make acc1 rich.", backend=backend, max_repairs=3, **SERVED)
    assert result.status == "invalid" and len(result.attempts) == 4
    sizes = _sizes(backend)
    assert len(sizes) == 4 and sizes[1] == sizes[2] == sizes[3] > sizes[0]
    # the answer is asked what the limits leave, not a fixed cap
    assert backend.calls[0]["max_tokens"] == capabilities(**SERVED).output_tokens


def test_every_call_asks_no_more_than_the_context_leaves(bank: Metamodel) -> None:
    backend = Replay(_phase_one(float("nan")), LINKS)
    limits = {"max_output_tokens": 4096, "context_tokens": 4096}
    generate(bank, SPEC, backend=backend, max_repairs=2, strategy="two-phase", **SERVED, **limits)
    caps = capabilities(**SERVED, **limits)
    for call in backend.calls:
        used = prompt_tokens(call["messages"]) * caps.token_scale + call["max_tokens"] + MARGIN
        assert used <= caps.context_tokens
        assert call["max_tokens"] < caps.output_tokens  # the prompt took its share


def test_a_repair_that_does_not_fit_is_cut_and_the_result_says_so(bank: Metamodel) -> None:
    reference = parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())
    answer = Grouped(bank).encode(reference)
    answer["Bank"][0]["accounts"][0]["balance"] = float("nan")
    roomy = Replay(json.dumps(answer))
    generate(bank, SPEC, backend=roomy, max_repairs=1, **SERVED)
    first, repair = _sizes(roomy)
    # a context the first prompt fits, and the whole repair prompt just does not
    context = math.ceil(repair * capabilities(**SERVED).token_scale) + MARGIN + 255
    tight = Replay(json.dumps(answer))
    result = generate(bank, SPEC, backend=tight, max_repairs=1, context_tokens=context, **SERVED)
    assert _sizes(tight)[0] == first and _sizes(tight)[1] < repair
    assert result.strategy_reason is not None
    assert result.strategy_reason.endswith(
        "prompts cut to fit the context: attempt 2: without the worked example, "
        "findings capped at 20"
    )


def test_a_prompt_is_cut_no_further_than_it_must(bank: Metamodel) -> None:
    caps = capabilities(**SERVED)
    caller = Caller(Replay("{}"), caps)

    def build(fit: Fit) -> list[Message]:
        example = [{"role": "user", "content": "word " * 30_000}] if fit.example else []
        findings = (fit.findings or 500) * 10
        return [*example, {"role": "user", "content": "finding " * findings}]

    messages = caller.fitted(build)
    assert len(messages) == 1 and caller.room(messages) >= 256  # the example went
    assert caller.notes == ["attempt 1: without the worked example, findings capped at 20"]


def test_a_prompt_that_cannot_fit_fails_before_any_call(bank: Metamodel) -> None:
    backend = Replay(_phase_one(1.0), LINKS)
    with pytest.raises(BackendError, match=r"of the model's 512-token context") as failed:
        generate(bank, SPEC, backend=backend, context_tokens=512, **SERVED)
    assert "less than 256 tokens for the answer" in failed.value.message
    assert backend.calls == []


def test_a_sliced_prompt_leaves_room_for_the_answer_it_asks_for() -> None:
    from test_generation_pieces import _conference_ecore

    mm = load_metamodel({"conf.ecore": _conference_ecore(400)})
    backend = Replay("{}")
    limits = {"context_tokens": 2048, "strategy": "typed"}
    result = generate(mm, "A conference hall.", backend=backend, max_repairs=0, **SERVED, **limits)
    assert result.strategy_reason is not None and "metamodel sliced to" in result.strategy_reason
    caps = capabilities(**SERVED, context_tokens=2048)
    (call,) = backend.calls
    used = prompt_tokens(call["messages"]) * caps.token_scale + call["max_tokens"] + MARGIN
    assert call["max_tokens"] >= 256 and used <= caps.context_tokens


class Measured(Replay):
    """Replays answers and reports each call's timings as the in-process backend does."""

    def complete(self, messages: list[Message], **kw: Any) -> Reply:
        reply = super().complete(messages, **kw)
        return Reply(
            text=reply.text,
            prompt_tokens=reply.prompt_tokens,
            completion_tokens=reply.completion_tokens,
            prompt_seconds=0.0,
            grammar_seconds=0.0,
            reused_tokens=reply.prompt_tokens // 2,
        )


def test_the_profile_says_where_each_phase_spent_its_calls(bank: Metamodel) -> None:
    backend = Measured(_phase_one(float("nan")), LINKS)
    result = generate(
        bank, SPEC, backend=backend, max_repairs=1, strategy="two-phase", **SERVED, format="xmi"
    )
    rows = {row.phase: row for row in result.profile}
    assert {"objects", "links", "validation", "compile", "spec reading"} <= set(rows)
    calls = backend.calls
    assert rows["objects"].calls + rows["links"].calls == len(calls)
    halves = sum(prompt_tokens(c["messages"]) // 2 for c in calls)
    assert rows["objects"].reused_tokens + rows["links"].reused_tokens == halves
    for row in (rows["objects"], rows["links"]):
        assert row.prompt_tokens > 0 and row.completion_tokens == 10 * row.calls
        assert row.seconds >= row.call_seconds >= row.prompt_seconds + row.grammar_seconds
    assert result.usage.reused_prompt_tokens == sum(r.reused_tokens for r in result.profile)
    assert result.usage.prompt_tokens == sum(r.prompt_tokens for r in result.profile)
    assert rows["validation"].validation_seconds == rows["validation"].seconds
    assert rows["compile"].compile_seconds == rows["compile"].seconds


def test_a_backend_that_measures_nothing_has_its_calls_counted_whole(bank: Metamodel) -> None:
    backend = Replay(_phase_one(1.0), LINKS)
    result = generate(bank, SPEC, backend=backend, strategy="two-phase", **SERVED)
    asked = [row for row in result.profile if row.calls]
    assert [row.phase for row in asked] == ["objects", "links"]
    for row in asked:
        assert row.seconds >= row.call_seconds and row.prompt_seconds == row.decode_seconds == 0.0
    assert result.usage.reused_prompt_tokens == 0
