"""The pieces of generation on their own: budgets, strategy choice, slicing, salvaging cut-off
answers, merging parts and repairs, and which phase a repair issue goes to."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from instancegen.service.backends import capabilities
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.validator import validate
from instancegen.service.generation.budget import answer_tokens
from instancegen.service.generation.encoding import Grouped
from instancegen.service.generation.parts import merge, salvage, written_ids
from instancegen.service.generation.slicing import slice_for, widen
from instancegen.service.generation.strategy import plan_for
from instancegen.service.generation.two_phase.strategy import split_issues

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.synthetic import synthetic_metamodel  # noqa: E402

BANK = ROOT / "metamodels" / "bank" / "bank.ecore"


@pytest.fixture(scope="module")
def bank() -> Metamodel:
    return load_metamodel([BANK])


@pytest.fixture(scope="module")
def reference() -> Cim:
    return parse_cim((ROOT / "metamodels" / "bank" / "reference.json").read_bytes())


@pytest.fixture(scope="module")
def synthetic() -> Metamodel:
    return load_metamodel({k: v.encode() for k, v in synthetic_metamodel(500).items()})


def test_budgets_come_from_the_model() -> None:
    local = capabilities("local")
    assert (local.output_tokens, local.context_tokens, local.small) == (3072, 8192, True)
    assert local.grammar and not local.strict_tools
    known = capabilities("openai/gpt-4o")
    assert known.output_tokens >= 16_000 and known.context_tokens >= 128_000
    assert known.source == "LiteLLM's model table" and not known.small and known.strict_tools
    unknown = capabilities("openai/my-local-llama", "http://127.0.0.1:1/v1")
    assert (unknown.output_tokens, unknown.context_tokens) == (4096, 32768)
    assert not unknown.strict_tools and not unknown.grammar and not unknown.small
    given = capabilities("openai/my-local-llama", max_output_tokens=8192, context_tokens=65536)
    assert (given.output_tokens, given.context_tokens, given.source) == (8192, 65536, "given")
    # what the context leaves after a prompt, scaled to the model's tokenizer
    assert answer_tokens(given, 60_000, scale=1.0) == 65536 - 60_000 - 256
    assert answer_tokens(given, 48_000, scale=1.25) == 65536 - 60_000 - 256
    assert capabilities("openai/tiny", max_output_tokens=3072).small  # a small served model
    with pytest.raises(InputError, match="max_output_tokens"):
        capabilities("local", max_output_tokens=10)


def test_the_strategy_follows_backend_and_metamodel(bank: Metamodel, synthetic: Metamodel) -> None:
    spec = "A bank with an account."
    assert plan_for(bank, spec, "local").strategy == "two-phase"
    assert plan_for(bank, spec, "openai/gpt-4o").strategy == "strict"
    assert plan_for(bank, spec, "openai/x", api_base="http://127.0.0.1:1/v1").strategy == "typed"
    assert plan_for(bank, spec, "local", strategy="typed").reason == "asked for"
    # ~17k tokens of metamodel: the whole fits 32k with room for a 4k answer, not 16k
    spec = "A C0 holding a C3."
    fits = plan_for(synthetic, spec, "openai/x", api_base="http://h/v1")
    assert fits.slice is None and fits.strategy == "generic"  # too large for a typed schema
    big = plan_for(synthetic, spec, "openai/x", api_base="http://h/v1", context_tokens=16384)
    assert big.slice is not None and big.strategy == "typed"
    assert "sliced to" in big.describe()
    whole = plan_for(synthetic, "A C0.", "openai/x", context_tokens=1_000_000)
    assert whole.slice is None and whole.strategy == "generic"  # beyond schema limits
    assert "beyond provider limits" in whole.reason


def test_a_slice_keeps_what_the_named_classes_need(synthetic: Metamodel) -> None:
    cut = slice_for(synthetic, "A C0 holds three C121 objects and a C377.")
    mm = cut.metamodel
    for key in ("C0", "C121", "C377"):
        assert key in mm.classes
    for key in mm.classes:
        cls = synthetic.classes[key]
        assert cls.all_supertypes <= cut.keys  # supertypes kept
        for ref in cls.references:
            if ref.lower > 0:
                assert ref.target in cut.keys  # required targets kept
        if cls.concrete and synthetic.containers_of[key]:
            assert any(owner in cut.keys for owner, _ in synthetic.containers_of[key])
    for cls in mm.classes.values():
        for ref in cls.references:
            assert any(s in cut.keys for s in mm.concrete_subtypes(ref.target))
    assert cut.sliced_tokens * 10 < cut.full_tokens
    assert widen(cut, {"C499"}).keys >= cut.keys | {"C499"}
    assert widen(cut, {"C0"}) is cut


def test_a_cut_off_answer_keeps_its_complete_objects() -> None:
    text = '{"Bank": [{"id": "b", "name": "B"}], "Account": [{"id": "a1", "iban": "x}"}, {"id"'
    assert salvage(text) == {
        "Bank": [{"id": "b", "name": "B"}],
        "Account": [{"id": "a1", "iban": "x}"}],
    }
    cim = '{"objects": [{"class": "A", "id": "a", "attributes": {"n": 1}}, {"class": "A", "id'
    assert salvage(cim) == {"objects": [{"class": "A", "id": "a", "attributes": {"n": 1}}]}
    assert salvage('{"Bank": [{"id": "b", "attributes": {"na') is None


def test_parts_and_repairs_merge_by_id(bank: Metamodel, reference: Cim) -> None:
    first = Cim(objects=reference.objects[:3])
    rest = Cim(objects=reference.objects[3:])
    whole = merge(first, rest)
    assert [o.id for o in whole.objects] == [o.id for o in reference.objects]
    assert written_ids(first).splitlines()[0].startswith("Bank: ")
    renamed = reference.objects[1].model_copy(update={"attributes": {"iban": "X"}})
    repaired = merge(whole, Cim(objects=[renamed]), ["bob"])
    assert next(o for o in repaired.objects if o.id == renamed.id).attributes == {"iban": "X"}
    assert "bob" not in json.dumps(repaired.to_json())


def test_the_typed_form_decodes_to_the_same_model(bank: Metamodel, reference: Cim) -> None:
    form = Grouped(bank)
    answer = form.encode(reference)
    assert "accounts" not in answer["Bank"][0]["clients"][0]  # the implied end of owners
    model = form.response_model()
    decoded, deleted = form.decode(model.model_validate(answer).model_dump(by_alias=True))
    assert deleted == [] and validate(bank, decoded, realism="off") == []
    strict = Grouped(bank, strict=True)
    whole = strict.complete(strict.encode(reference))
    assert strict.response_model().model_validate(whole)


def test_a_repair_gives_each_phase_only_what_it_can_fix(bank: Metamodel, reference: Cim) -> None:
    attribute = Issue(code="bad-value", object="acc1", feature="balance", message="NaN")
    link = Issue(code="dangling-reference", object="acc1", feature="owners", message="ghost")
    objects, links = split_issues(bank, reference, [attribute, link])
    assert (objects, links) == ([attribute], [link])
    lonely = Cim(objects=[o for o in reference.objects if o.class_ != "Person"])
    missing = Issue(code="multiplicity", object="acc1", feature="owners", message="too few")
    objects, links = split_issues(bank, lonely, [missing])
    assert objects == [missing] and links == [missing]  # no Person to point at: phase 1 adds one


def _conference_ecore(fillers: int) -> bytes:
    """A conference metamodel whose class names are spelt three ways, among `fillers` others."""
    ref = 'xsi:type="ecore:EReference" containment="true" upperBound="-1"'
    others = "".join(
        f'<eClassifiers xsi:type="ecore:EClass" name="Filler{n}" eSuperTypes="#//Thing"/>'
        for n in range(fillers)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ecore:EPackage xmi:version="2.0" xmlns:xmi="http://www.omg.org/XMI"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xmlns:ecore="http://www.eclipse.org/emf/2002/Ecore" name="conf" nsURI="http://t/conf"
    nsPrefix="conf">
  <eClassifiers xsi:type="ecore:EClass" name="Conference">
    <eStructuralFeatures {ref} name="things" eType="#//Thing"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Thing" abstract="true"/>
  <eClassifiers xsi:type="ecore:EClass" name="Paper" abstract="true" eSuperTypes="#//Thing">
    <eStructuralFeatures xsi:type="ecore:EReference" name="venue" lowerBound="1"
        eType="#//Conference_hall"/>
  </eClassifiers>
  <eClassifiers xsi:type="ecore:EClass" name="Invited_Paper" eSuperTypes="#//Paper"/>
  <eClassifiers xsi:type="ecore:EClass" name="silverSupporter" eSuperTypes="#//Thing"/>
  <eClassifiers xsi:type="ecore:EClass" name="Conference_hall" eSuperTypes="#//Thing"/>
  {others}
</ecore:EPackage>""".encode()


def test_a_slice_keeps_the_classes_the_spec_names_in_any_spelling() -> None:
    mm = load_metamodel({"conf.ecore": _conference_ecore(400)})
    spec = "Two invited papers and one silver supporter, in a conference hall."
    cut = slice_for(mm, spec)
    # named (any spelling, plural), their supertypes, required targets and the container
    assert {"Invited_Paper", "silverSupporter", "Conference_hall"} <= cut.keys
    assert {"Paper", "Thing", "Conference"} <= cut.keys
    assert len(cut.keys) < 10
    # the whole metamodel is sliced only when it does not fit
    served = {"api_base": "http://127.0.0.1:9/v1", "strategy": "typed"}
    assert plan_for(mm, spec, "openai/x", **served).slice is None
    small = plan_for(mm, spec, "openai/x", context_tokens=2048, **served)
    assert small.slice is not None and small.slice.keys == cut.keys
