"""The typed and strict answer form (`encoding.Grouped`): contained objects written in place,
ids only where a reference needs one. Every bundled reference and random valid CIMs go through
the form and back to the same model; a cut-off nested answer keeps what it completed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import metamodels, valid_cims

from instancegen.service.core.cim import Cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel, Reference
from instancegen.service.eval.evaluation import Case, discover
from instancegen.service.eval.scoring import score
from instancegen.service.generation.encoding import Grouped, _edges_with_opposites
from instancegen.service.generation.one_shot import _rewritten
from instancegen.service.generation.parts import merge, salvage

ROOT = Path(__file__).resolve().parent.parent
REFERENCES = [c for c in discover(ROOT / "metamodels" / "suite") if c.rewrite_of is None]


def _model(form: Grouped, cim: Cim) -> tuple[dict[Any, list[str]], dict[str, Any]]:
    """What a CIM says, whichever end of an opposite pair it was written at: each object's
    class and attributes, each reference's targets (in order where the form writes that end,
    else as a set)."""
    edges: dict[Any, list[str]] = {}
    classes = {o.id: o.class_ for o in cim.objects}
    for (oid, name), ids in _edges_with_opposites(form.mm, cim).items():
        cls = form.mm.classes[classes[oid]]
        if name not in cls.feature_map:
            continue  # a container's own end: containment says it
        ordered = cls.feature_map[name] in form.written(cls)
        if ids:  # an empty list is unset
            edges[(oid, name)] = ids if ordered else sorted(ids)
    return edges, {
        o.id: (o.class_, {k: v for k, v in o.attributes.items() if v != []}) for o in cim.objects
    }


def _through(form: Grouped, cim: Cim, ids: str) -> Cim:
    """`cim` encoded, sent as JSON, checked against the form's schema, decoded. (Decoded as
    sent: the schema's own parsing of values, "0" as 0, is not the form's business.)"""
    answer = form.complete(json.loads(json.dumps(form.encode(cim, ids=ids))))  # type: ignore[arg-type]
    form.response_model().model_validate(answer)
    decoded, deleted = form.decode(answer)
    assert deleted == []
    return decoded


@pytest.mark.parametrize("strict", [False, True], ids=["typed", "strict"])
@pytest.mark.parametrize("case", REFERENCES, ids=lambda c: c.name)
def test_every_reference_goes_through_the_form_and_back(case: Case, strict: bool) -> None:
    form = Grouped(case.metamodel, strict=strict)
    assert _model(form, _through(form, case.reference, "all")) == _model(form, case.reference)
    terse = _through(form, case.reference, "needed")  # unnamed objects named by their place
    graded = score(case.metamodel, case.reference, terse)
    assert (graded.objects.f1, graded.attributes.f1, graded.references.f1) == (1.0, 1.0, 1.0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_random_models_go_through_the_form_and_back(data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    cim = data.draw(valid_cims(mm))
    for strict in (False, True):
        form = Grouped(mm, strict=strict)
        assert _model(form, _through(form, cim, "all")) == _model(form, cim)
        terse = _through(form, cim, "needed")
        assert len(terse.objects) == len(cim.objects)
        assert len({o.id for o in terse.objects}) == len(cim.objects)


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([ROOT / "metamodels" / "bank" / "bank.ecore"])


def test_contained_objects_are_written_in_place_and_named_only_when_referred_to(
    bank: Metamodel,
) -> None:
    case = next(c for c in REFERENCES if c.name == "bank-basic")
    form = Grouped(case.metamodel)
    answer = form.encode(case.reference, ids="needed")
    assert list(answer) == ["Bank"]  # the root; every other object inside it
    bank_entry = answer["Bank"][0]
    accounts, clients = bank_entry["accounts"], bank_entry["clients"]
    assert all("id" not in a for a in accounts)  # nothing points at an account by id
    assert all("id" in p for p in clients)  # each client is an account's owner
    decoded, _ = form.decode(answer)
    root = next(o for o in decoded.objects if o.class_ == "Bank")
    assert root.references["accounts"][0] == f"{root.id}.accounts.0"


def test_an_unnamed_object_never_takes_an_id_written_or_taken(bank: Metamodel) -> None:
    form = Grouped(bank)
    answer = {
        "Bank": [
            {"id": "b", "name": "B", "accounts": [{"iban": "X", "owners": ["p"]}, "b.accounts.0"]},
        ],
        "Account": [{"id": "b.accounts.0", "iban": "Y", "owners": ["p"]}],
    }
    cim, _ = form.decode(answer, taken={"b.accounts.0_2"})
    ids = [o.id for o in cim.objects]
    assert len(ids) == len(set(ids)) == 3
    assert cim.objects[0].references["accounts"] == ["b.accounts.0_3", "b.accounts.0"]


def test_a_nested_answer_cut_off_keeps_the_objects_completed_inside(bank: Metamodel) -> None:
    text = (
        '{"Bank": [{"id": "b", "name": "B", "accounts": [{"iban": "A1", "owners": ["p"]}, '
        '{"iban": "A2", "owners": ["p"]}, {"iban": "A'
    )
    assert salvage(text) is None  # no top-level object is complete
    kept = salvage(text, nested=True)
    assert kept is not None
    form = Grouped(bank, strict=True)
    parsed = form.response_model().model_validate(form.complete(kept))
    cim, _ = form.decode(parsed.model_dump(by_alias=True, exclude_none=True))
    assert [o.attributes.get("iban") for o in cim.objects] == [None, "A1", "A2"]
    # The continuation writes the container again with what it holds by id, and more.
    more = {
        "Bank": [
            {
                "id": "b",
                "name": "B",
                "accounts": ["b.accounts.0", "b.accounts.1", {"iban": "A3", "owners": ["p"]}],
                "clients": [{"id": "p", "name": "P"}],
            }
        ]
    }
    part, _ = form.decode(more, {o.id for o in cim.objects})
    assert _rewritten(cim, part) == []  # holding more is no rewrite
    whole = merge(cim, part)
    held = next(o for o in whole.objects if o.id == "b").references["accounts"]
    assert held == ["b.accounts.0", "b.accounts.1", "b.accounts.2"]
    changed = more["Bank"][0] | {"name": "Other"}
    again, _ = form.decode({"Bank": [changed]}, {o.id for o in whole.objects})
    assert len(_rewritten(whole, again)) == 1  # a changed attribute is a rewrite


def test_a_reference_taking_several_classes_wraps_each_object_in_its_class() -> None:
    case = next(c for c in REFERENCES if c.name == "statemachine-turnstile")
    form = Grouped(case.metamodel)
    answer = form.encode(case.reference, ids="needed")
    polymorphic = [
        f
        for c in case.metamodel.concrete_classes
        for f in c.features
        if isinstance(f, Reference) and f.containment and len(form.placed(f)) > 1
    ]
    assert polymorphic
    text = json.dumps(answer)
    assert any(f'"{f.name}": [{{"' in text for f in polymorphic)
    decoded = _through(form, case.reference, "needed")
    graded = score(case.metamodel, case.reference, decoded)
    assert graded.objects.f1 == 1.0
