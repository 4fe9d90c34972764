"""Steering the bundled model off given values while it decodes (`backends.local_steering`):
what it wrote greedily, it does not write again when told to avoid it, and a feature with
nothing to avoid is left alone."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from instancegen.service.backends.local import LocalBackend
from instancegen.service.backends.local_steering import spelled

ASK = [{"role": "user", "content": "Write one person as JSON: a name and a home town."}]


class Person(BaseModel):
    name: str
    town: str


def test_values_are_compared_as_json_spells_them() -> None:
    assert spelled({"name": ['Ann "Jo" Lee', "Zoë"]}) == {"name": ('Ann \\"Jo\\" Lee', "Zoë")}


@pytest.mark.slow
def test_the_bundled_model_steers_off_the_values_it_is_told_to_avoid(local_model: None) -> None:
    backend = LocalBackend("local")
    greedy = json.loads(backend.complete(ASK, schema=Person, max_tokens=40).text)
    with backend.avoiding({"name": [greedy["name"]]}):
        steered = json.loads(backend.complete(ASK, schema=Person, max_tokens=40).text)
    assert steered["name"] != greedy["name"]
    again = json.loads(backend.complete(ASK, schema=Person, max_tokens=40).text)
    assert again == greedy  # outside `avoiding`, decoding is as before
