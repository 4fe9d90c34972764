"""Lists that close rather than repeat an element (`backends.local_loops`): which written
elements count as repeats, which leading values a list forced on is steered off, and, with
the bundled model's vocabulary, which tokens are lowered after a copy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from instancegen.service.backends import local_loops
from instancegen.service.backends.local_loops import Elements


def _fed(*parts: str) -> Elements:
    elements = Elements()
    for part in parts:
        elements.feed(part.encode())
    return elements


def test_an_element_written_again_is_a_repeat_once_it_closes() -> None:
    elements = _fed('{"A": [{"id": "a", "n": 1}, {"id": "a", "n": 1}')
    assert elements.repeats_after(0)
    elements.feed(b" ")  # whitespace leaves it so
    assert elements.repeats_after(0)
    elements.feed(b"]")
    assert not elements.repeats_after(0)


def test_whitespace_outside_strings_does_not_tell_copies_apart() -> None:
    assert _fed('[{"id":"a","n":[1,2]},\n  { "id" : "a", "n" : [ 1, 2 ] }').repeats_after(0)


@pytest.mark.parametrize(
    "text",
    [
        '[{"id": "a", "n": 1}, {"id": "a", "n": 2}',  # same id, other values
        '[{"id": "a", "n": "x y"}, {"id": "a", "n": "xy"}',  # spaces inside strings count
        '{"A": {"id": "a"}, "B": {"id": "a"}',  # not elements of a list
        '[{"id": "a"}] [[1], [1]',  # a list's list, not an object element
    ],
)
def test_what_differs_or_is_no_list_element_is_no_repeat(text: str) -> None:
    assert not _fed(text).repeats_after(0)


def test_a_copy_in_another_list_is_a_repeat() -> None:
    assert _fed('{"A": [{"id": "a"}], "B": [{"id": "a"}').repeats_after(0)


def test_braces_still_to_close_are_counted_before_the_comma() -> None:
    elements = _fed('{"A": [{"id": "a", "v": {"n": 1}}, {"id": "a", "v": {"n": 1')
    assert not elements.repeats_after(0)
    assert not elements.repeats_after(1)  # closes the inner object only
    assert elements.repeats_after(2)  # `}},` would end the copy and go on
    assert not elements.repeats_after(3)
    assert not _fed('[{"id": "a"}, {"id": "a').repeats_after(1)  # inside a string


def test_escaped_quotes_keep_the_string_open() -> None:
    elements = _fed(r'[{"s": "a\"}"}, {"s": "a\"}"')
    assert elements.repeats_after(1)


def test_a_list_that_goes_on_after_a_copy_steers_its_next_leading_value() -> None:
    elements = _fed('{"A": [{"id": "a", "n": 1}, {"id": "b"}, {"id": "a", "n": 1}')
    assert elements.leading_to_avoid() is None  # the list may still close
    elements.feed(b', {"id": "x')
    writing = elements.leading_to_avoid()
    assert writing is not None
    assert writing[0] == "x" and sorted(writing[1]) == ["a", "b"]
    elements.feed(b'", "n": "a')
    assert elements.leading_to_avoid() is None  # only the leading value


@pytest.mark.parametrize(
    "text",
    [
        '{"A": [{"id": "a"}, {"id": "b"}, {"id": "',  # no copy: the list went on freely
        '{"A": [{"id": "a"}, {"id": "a"}], "B": [{"id": "',  # another list
        '{"A": [{"id": "a"}, {"id": "a"}, {"n": 1, "id": "',  # not the leading value
    ],
)
def test_only_a_list_forced_on_after_a_copy_is_steered(text: str) -> None:
    assert _fed(text).leading_to_avoid() is None


ASK = [{"role": "user", "content": "List them."}]


def _steered(llm: Any, steer: Any, prompt: list[int], answer: str) -> np.ndarray:
    """The scores `steer` leaves (all zero before) for the token after `answer`, fed to it
    token by token as llama.cpp does."""
    ids = list(prompt)
    steer(np.array(ids), np.zeros(llm.n_vocab(), dtype=np.single))
    for token in llm.tokenize(answer.encode(), add_bos=False, special=False):
        ids.append(token)
        scores = steer(np.array(ids), np.zeros(llm.n_vocab(), dtype=np.single))
    return scores


@pytest.mark.slow
def test_with_the_bundled_models_vocabulary_a_copy_is_followed_by_a_closing_bracket(
    local_model: None,
) -> None:
    from instancegen.service.backends import local

    llm = local._contexts(str(local.weights_path()), 4096).pick(ASK).llm
    prompt = llm.tokenize(b"List them.", add_bos=True, special=False)

    def token(text: str) -> int:
        (only,) = llm.tokenize(text.encode(), add_bos=False, special=False)
        return int(only)

    copy = '{"items": [{"name": "apple"}, {"name": "pear"}, {"name": "apple"}'
    after_copy = _steered(llm, local_loops.closing_repeats(llm), prompt, copy)
    assert after_copy[token(",")] == -local_loops.PENALTY
    assert after_copy[token("]")] == 0.0
    pending = _steered(llm, local_loops.closing_repeats(llm), prompt, copy[:-1])
    assert pending[token("},")] == -local_loops.PENALTY  # the brace and comma in one token
    assert pending[token("}")] == 0.0
    fresh = _steered(llm, local_loops.closing_repeats(llm), prompt, copy[:-3] + 'plum"}')
    assert not fresh.any()  # a new element: nothing lowered
