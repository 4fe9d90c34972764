"""Phase 2's id lists: a repeat must not cost a lower bound (issue 14's lower-bound case).

A many-valued reference with a lower bound of 2 and exactly two declared candidates once ended
invalid after every repair: the bundled model wrote the same id twice, the repeat was dropped,
one id was left. Where a repeat could break a lower bound, the grammar now offers only
repeat-free lists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from instancegen import generate
from instancegen.service.backends.base import Message, Reply
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.generation.schema import asked_reference, model_schema
from instancegen.service.generation.two_phase.links_schema import MAX_SEQUENCES, plan_links
from instancegen.service.generation.two_phase.objects_schema import declared_objects

ROOT = Path(__file__).resolve().parent.parent
LEAGUE = ROOT / "metamodels" / "suite" / "league-matchday" / "league.ecore"
NETWORK = ROOT / "metamodels" / "suite" / "network-office-lan" / "network.ecore"
SPEC = (
    'The league "Riverside" has two teams, Harbour FC and Millers United, and one match: '
    "Harbour FC hosted Millers United at Fratton Green."
)
OBJECTS = {
    "League": [{"id": "riverside", "attributes": {"name": "Riverside"}}],
    "Team": [
        {"id": "harbour_fc", "attributes": {"name": "Harbour FC"}},
        {"id": "millers_united", "attributes": {"name": "Millers United"}},
    ],
    "Player": [],
    "Match": [{"id": "match1", "attributes": {"venue": "Fratton Green"}}],
}


@pytest.fixture(scope="module")
def league() -> Metamodel:
    return load_metamodel([LEAGUE])


def _declared(mm: Metamodel, objects: list[dict[str, Any]]) -> Cim:
    return parse_cim({"objects": objects})


def _league_objects() -> list[dict[str, Any]]:
    return [{"id": e["id"], "class": k, **e} for k, v in OBJECTS.items() for e in v]


def test_two_candidates_and_a_lower_bound_of_two_admit_no_repeat(league: Metamodel) -> None:
    leo = {"id": "leo", "class": "Player", "attributes": {"name": "Leo"}}
    objects = declared_objects(league, _declared(league, [*_league_objects(), leo]))
    plan = plan_links(league, objects)
    links = plan.model()
    assert links is not None
    for repeated in (["harbour_fc", "harbour_fc"], ["millers_united", "millers_united"]):
        with pytest.raises(ValidationError):
            links.model_validate(
                {"match1": {"teams": repeated, "scorers": []}, "leo": {"container": "harbour_fc"}}
            )
    for order in (
        ["harbour_fc", "millers_united"],
        ["millers_united", "harbour_fc"],
    ):  # the home team first
        answer = links.model_validate(
            {"match1": {"teams": order, "scorers": ["leo"]}, "leo": {"container": "harbour_fc"}}
        )
        match = next(o for o in plan.apply(answer.model_dump(by_alias=True)).objects
                     if o.id == "match1")  # fmt: skip
        assert match.references == {"teams": order, "scorers": ["leo"]}
    schema = model_schema(links)
    match_links = next(d for d in schema["$defs"].values() if "teams" in d["properties"])
    options = match_links["properties"]["teams"]["anyOf"]
    assert [[i["const"] for i in o["prefixItems"]] for o in options] == [
        ["harbour_fc", "millers_united"],
        ["millers_united", "harbour_fc"],
    ]
    # lower bound 0: a plain list, as before (a dropped repeat leaves the bound met)
    scorers = match_links["properties"]["scorers"]
    assert (scorers["type"], scorers["minItems"], scorers["maxItems"]) == ("array", 0, 1)


def test_only_lists_whose_repeats_could_break_a_lower_bound_are_spelled_out() -> None:
    mm = load_metamodel([NETWORK])
    nodes = [("gw1", "Router"), ("sw1", "Switch"), ("web1", "Host"), ("desk7", "Host")]
    objects = [{"id": i, "class": c, "attributes": {"hostname": i}} for i, c in nodes]
    objects += [
        {"id": "net", "class": "Network", "attributes": {"name": "LAN"}},
        {"id": "link", "class": "Link"},
        {"id": "vlan", "class": "Vlan", "attributes": {"vlanId": 20}},
    ]
    plan = plan_links(mm, declared_objects(mm, _declared(mm, objects)))
    links = plan.model()
    assert links is not None
    props = {
        name: prop
        for d in model_schema(links)["$defs"].values()
        for name, prop in d["properties"].items()
    }
    # endpoints [2..2] of 4 nodes: the 12 ordered pairs of distinct nodes
    pairs = [[i["const"] for i in o["prefixItems"]] for o in props["endpoints"]["anyOf"]]
    assert len(pairs) == 12 and all(a != b for a, b in pairs)
    # members [2..*] of 4 nodes: 12 + 24 + 24 = 60 lists, within MAX_SEQUENCES
    assert len(props["members"]["anyOf"]) == 60 <= MAX_SEQUENCES
    with pytest.raises(ValidationError):
        links.model_validate({"link": {"endpoints": ["sw1", "sw1"]}, "vlan": {"members": ["gw1"]}})


def _members(hosts: int) -> dict[str, Any]:
    mm = load_metamodel([NETWORK])
    objects: list[dict[str, Any]] = [{"id": "net", "class": "Network"}]
    objects += [
        {"id": f"h{n}", "class": "Host", "attributes": {"hostname": f"h{n}"}} for n in range(hosts)
    ]
    objects += [{"id": "vlan", "class": "Vlan", "attributes": {"vlanId": 1}}]
    plan = plan_links(mm, declared_objects(mm, _declared(mm, objects)))
    links = plan.model()
    assert links is not None
    vlan = next(d for d in model_schema(links)["$defs"].values() if "members" in d["properties"])
    return dict(vlan["properties"]["members"])


def test_too_many_ordered_lists_offer_them_in_declaration_order() -> None:
    # members [2..*] of 6 hosts: 1,950 ordered lists, but 57 in declaration order
    lists = [[i["const"] for i in o["prefixItems"]] for o in _members(6)["anyOf"]]
    assert len(lists) == 57 and all(ids == sorted(ids) for ids in lists)


def test_too_many_repeat_free_lists_fall_back_to_a_bounded_list() -> None:
    members = _members(10)  # 1,013 lists even in declaration order
    assert (members["type"], members["minItems"], members["maxItems"]) == ("array", 2, 10)


class ScriptedBackend:
    """Phase 1 declares two teams and a match; phase 2 first repeats a team, as SmolLM2 did,
    then names both."""

    model = "scripted"

    def __init__(self) -> None:
        self.replies = [
            json.dumps(OBJECTS),
            json.dumps({"match1": {"teams": ["harbour_fc", "harbour_fc"]}}),
            json.dumps({"match1": {"teams": ["harbour_fc", "millers_united"]}}),
        ]
        self.schemas: list[Any] = []

    def complete(
        self,
        messages: list[Message],
        *,
        schema: Any,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        self.schemas.append(schema)
        return Reply(text=self.replies.pop(0), prompt_tokens=100, completion_tokens=20)


def test_a_repeated_team_is_refused_by_the_schema_not_dropped_into_an_invalid_model(
    league: Metamodel,
) -> None:
    backend = ScriptedBackend()
    result = generate(league, SPEC, backend=backend, max_repairs=0)
    assert result.status == "valid", result.issues
    assert backend.replies == []  # the repeat was asked again, within the same attempt
    assert len(result.attempts) == 1
    assert result.cim is not None
    match = next(o for o in result.cim.objects if o.id == "match1")
    assert match.references["teams"] == ["harbour_fc", "millers_united"]


@pytest.mark.slow
@pytest.mark.usefixtures("local_model")
def test_local_model_ends_valid_with_two_teams_and_a_lower_bound_of_two(
    league: Metamodel,
) -> None:
    result = generate(league, SPEC, model="local", max_repairs=1)
    assert result.status == "valid", result.issues
    assert result.cim is not None
    matches = [o for o in result.cim.objects if o.class_ == "Match"]
    for match in matches:
        teams = match.references["teams"]
        assert len(teams) == len(set(teams)) == 2


def test_of_two_many_valued_ends_the_bounded_one_is_asked() -> None:
    # parents [0..2] and children [0..*]: asking the children would let a small model give a
    # child more than two parents, which the grammar of the parents' list cannot.
    family = load_metamodel(
        sorted((ROOT / "metamodels" / "suite" / "family-small").glob("*.ecore"))
    )
    person = family.classes["Person"].feature_map
    parents, children = person["parents"], person["children"]
    assert isinstance(parents, Reference) and isinstance(children, Reference)
    assert asked_reference(family, parents) and not asked_reference(family, children)
