"""Property tests: random valid CIMs validate clean; each kind of breakage is caught.

Metamodels come from `strategies.metamodels()` (real `.ecore` text through the real loader),
and the bundled bank metamodels; every mutation breaks one rule in a valid CIM and must be
reported with the expected code, object and feature.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import metamodels, valid_cims

from instancegen import load_metamodel, parse_cim, validate
from instancegen.service.core.issues import has_errors
from instancegen.service.core.metamodel import INT_RANGES, Attribute, Metamodel, Reference
from instancegen.service.core.values import default_of

Model = dict[str, Any]
Expected = tuple[str, str | None, str | None]
Mutation = Callable[[Metamodel, Model, st.DataObject], Expected | None]

BUNDLED = ["metamodels/bank/bank.ecore", "metamodels/suite/bank-ledger/ledger.ecore"]


def features(mm: Metamodel, o: Model, kind: type) -> list[Any]:
    view = mm.classes[o["class"]]
    return [f for f in view.features if isinstance(f, kind)]


def pick(data: st.DataObject, options: list[Any]) -> Any:
    return data.draw(st.sampled_from(options)) if options else None


def drop_required_attribute(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [
        (o, a.name)
        for o in m["objects"]
        for a in features(mm, o, Attribute)
        if a.lower >= 1
        and a.name in o["attributes"]
        and (a.many or a.unsettable or default_of(a) is None)  # else EMF reads the default
    ]
    if not (chosen := pick(data, options)):
        return None
    o, name = chosen
    del o["attributes"][name]
    return ("multiplicity", o["id"], name)


def drop_required_reference(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [
        (o, r.name)
        for o in m["objects"]
        for r in features(mm, o, Reference)
        if r.lower >= 1 and r.opposite is None and r.name in o["references"]
    ]
    if not (chosen := pick(data, options)):
        return None
    o, name = chosen
    del o["references"][name]
    return ("multiplicity", o["id"], name)


def point_at_wrong_type(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [
        (o, r.name, t["id"])
        for o in m["objects"]
        for r in features(mm, o, Reference)
        if not r.containment
        for t in m["objects"]
        if not mm.is_subtype(t["class"], r.target)
    ]
    if not (chosen := pick(data, options)):
        return None
    o, name, target = chosen
    o["references"].setdefault(name, []).append(target)
    return ("wrong-target-type", o["id"], name)


def dangle(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [(o, r.name) for o in m["objects"] for r in features(mm, o, Reference)]
    if not (chosen := pick(data, options)):
        return None
    o, name = chosen
    o["references"].setdefault(name, []).append("no-such-object")
    return ("dangling-reference", o["id"], name)


def duplicate_id(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    if not (o := pick(data, m["objects"])):
        return None
    m["objects"].append({"id": o["id"], "class": o["class"], "attributes": {}, "references": {}})
    return ("duplicate-id", o["id"], None)


def add_second_container(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    objects = m["objects"]
    contained = [
        (p, r.name, child)
        for p in objects
        for r in features(mm, p, Reference)
        if r.containment
        for child in p["references"].get(r.name, [])
    ]
    if not (chosen := pick(data, contained)):
        return None
    p, name, child = chosen
    child_class = next(o["class"] for o in objects if o["id"] == child)
    others = [
        (q, r.name)
        for q in objects
        for r in features(mm, q, Reference)
        # another object: on one object, which listing counts as "later" is the validator's
        # reference order, an implementation detail this property does not pin down
        if r.containment and mm.is_subtype(child_class, r.target) and q is not p
    ]
    if not (another := pick(data, others)):
        return None
    q, other = another
    q["references"].setdefault(other, []).append(child)
    later = (q, other) if _position(objects, q) >= _position(objects, p) else (p, name)
    return ("multiple-containers", later[0]["id"], later[1])


def _position(objects: list[Model], o: Model) -> int:
    return next(n for n, x in enumerate(objects) if x is o)


def contain_itself(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    held = {
        c
        for o in m["objects"]
        for r in features(mm, o, Reference)
        if r.containment
        for c in o["references"].get(r.name, [])
    }
    options = [
        (o, r.name)
        for o in m["objects"]
        if o["id"] not in held
        for r in features(mm, o, Reference)
        if r.containment and mm.is_subtype(o["class"], r.target)
    ]
    if not (chosen := pick(data, options)):
        return None
    o, name = chosen
    o["references"].setdefault(name, []).append(o["id"])
    return ("containment-cycle", o["id"], None)


def break_opposite(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    by_id = {o["id"]: o for o in m["objects"]}
    options = [
        (a, x.name, by_id[b], x.opposite)
        for a in m["objects"]
        for x in features(mm, a, Reference)
        if x.opposite and not x.containment
        for b in a["references"].get(x.name, [])
        if a["id"] in by_id[b]["references"].get(x.opposite, [])
    ]
    if not (chosen := pick(data, options)):
        return None
    a, x, b, y = chosen
    b["references"][y].remove(a["id"])
    return ("opposite-mismatch", a["id"], x)


def set_unknown_feature(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    if not (o := pick(data, m["objects"])):
        return None
    o["attributes"]["zzNotAFeature"] = 1
    return ("unknown-feature", o["id"], "zzNotAFeature")


def use_unknown_class(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    if not (o := pick(data, m["objects"])):
        return None
    o["class"] = "NoSuchClass"
    return ("unknown-class", o["id"], None)


def use_abstract_class(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    abstract = [c.key for c in mm.classes.values() if not c.concrete]
    if not (m["objects"] and abstract):
        return None
    o = pick(data, m["objects"])
    o["class"] = pick(data, abstract)
    return ("abstract-class", o["id"], None)


def wrong_shape(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [
        (o, a)
        for o in m["objects"]
        for a in features(mm, o, Attribute)
        if a.name in o["attributes"]
    ]
    if not (chosen := pick(data, options)):
        return None
    o, a = chosen
    value = o["attributes"][a.name]
    o["attributes"][a.name] = (value[0] if value else 0) if a.many else [value]
    return ("bad-value", o["id"], a.name)


def out_of_type(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    options = [
        (o, a)
        for o in m["objects"]
        for a in features(mm, o, Attribute)
        if not a.many and a.type.kind in ("int", "enum", "bool", "char", "date", "string")
    ]
    if not (chosen := pick(data, options)):
        return None
    o, a = chosen
    wrong: dict[str, Any] = {
        "int": INT_RANGES[a.type.int_size or "long"][1] + 1,
        "enum": "NOT_A_LITERAL",
        "bool": "true",
        "char": "two",
        "date": "yesterday",
        "string": 42,
    }
    o["attributes"][a.name] = wrong[a.type.kind]
    return ("bad-value", o["id"], a.name)


def collide_id_attributes(mm: Metamodel, m: Model, data: st.DataObject) -> Expected | None:
    holders = []
    for o in m["objects"]:
        ids = [a for a in features(mm, o, Attribute) if a.is_id and not a.many]
        if ids and ids[0].type.kind == "string" and ids[0].name in o["attributes"]:
            holders.append((o, ids[0].name))
    if len(holders) < 2:
        return None
    first, second = sorted(
        data.draw(
            st.lists(st.sampled_from(range(len(holders))), min_size=2, max_size=2, unique=True)
        )
    )
    (a, a_name), (b, b_name) = holders[first], holders[second]
    b["attributes"][b_name] = a["attributes"][a_name]
    return ("duplicate-id-attribute", b["id"], b_name)


MUTATIONS: list[Mutation] = [
    drop_required_attribute,
    drop_required_reference,
    point_at_wrong_type,
    dangle,
    duplicate_id,
    add_second_container,
    contain_itself,
    break_opposite,
    set_unknown_feature,
    use_unknown_class,
    use_abstract_class,
    wrong_shape,
    out_of_type,
    collide_id_attributes,
]


def found(model: Model, mm: Metamodel) -> list[Expected]:
    return [(i.code, i.object, i.feature) for i in validate(mm, parse_cim(model))]


def check_valid_and_mutations(mm: Metamodel, data: st.DataObject) -> None:
    cim = data.draw(valid_cims(mm))
    issues = validate(mm, cim, realism="off")  # drawn values are valid, not realistic
    assert not has_errors(issues), issues
    assert {i.code for i in issues} <= {"several-roots"}
    for mutation in MUTATIONS:
        model = copy.deepcopy(cim.to_json())
        expected = mutation(mm, model, data)
        if expected is not None:
            assert expected in found(model, mm), (mutation.__name__, expected)


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_random_metamodels_valid_cims_pass_and_mutations_are_caught(data: st.DataObject) -> None:
    check_valid_and_mutations(data.draw(metamodels()), data)


@pytest.mark.parametrize("path", BUNDLED)
def test_bundled_metamodels_valid_cims_pass_and_mutations_are_caught(root: Any, path: str) -> None:
    mm = load_metamodel([root / path])

    @settings(max_examples=30, deadline=None)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        check_valid_and_mutations(mm, data)

    run()


@settings(max_examples=50, deadline=None)
@given(st.data())
def test_validation_does_not_depend_on_object_order(data: st.DataObject) -> None:
    mm = data.draw(metamodels())
    model = data.draw(valid_cims(mm)).to_json()
    MUTATIONS[data.draw(st.integers(0, len(MUTATIONS) - 1))](mm, model, data)
    shuffled = {"objects": data.draw(st.permutations(model["objects"]))}
    assert codes(model, mm) == codes(shuffled, mm)


def codes(model: Model, mm: Metamodel) -> list[str]:
    """Finding codes, less those that depend on order by design: which of two containers
    counts first decides whether an extra listing closes a cycle; roots are a warning."""
    return sorted(
        c for c, _, _ in found(model, mm) if c not in ("containment-cycle", "several-roots")
    )
