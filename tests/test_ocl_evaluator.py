"""The OCL evaluator, one construct at a time, on the clinic suite case's reference model.

Each expression is parsed by the real grammar and evaluated on a real CIM (objects, enums,
references with implied opposite ends); null and invalid follow OCL's rules.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from instancegen import load_metamodel
from instancegen.service.core.cim import parse_cim
from instancegen.service.core.ocl.budget import Budget, Exhausted, Unsupported
from instancegen.service.core.ocl.evaluator import Evaluator
from instancegen.service.core.ocl.parser import MAX_DEPTH, OclSyntaxError, parse_expression
from instancegen.service.core.ocl.values import Collection, EnumValue, Invalid, Obj, Value
from instancegen.service.core.ocl.world import World

CASE = Path(__file__).resolve().parent.parent / "metamodels" / "suite" / "clinic-scheduling"
MM = load_metamodel([CASE / "clinic.ecore"])
CIM = parse_cim((CASE / "reference.json").read_text())


def ev(expr: str, context: str = "riverside", steps: int = 200_000, objects: Any = None) -> Value:
    world = World(MM, objects if objects is not None else CIM.objects)
    evaluator = Evaluator(world, Budget(steps, time.monotonic() + 30))
    return evaluator.evaluate(parse_expression(expr), Obj(world.index[context]))


def ids(value: Value) -> list[str]:
    assert isinstance(value, Collection)
    return [CIM.objects[o.index].id for o in value.items if isinstance(o, Obj)]


@pytest.mark.parametrize(
    ("expr", "context", "expected"),
    [
        # literals and arithmetic
        ("1 + 2 * 3", "riverside", 7),
        ("(1 + 2) * 3", "riverside", 9),
        ("7 / 2", "riverside", 3.5),
        ("7 div 2", "riverside", 3),
        ("-7 div 2", "riverside", -3),
        ("-7 mod 2", "riverside", -1),
        ("- (2 - 5)", "riverside", 3),
        ("2.5 * 2", "riverside", 5.0),
        ("(-3).abs() + 2.7.floor() + 2.5.round()", "riverside", 8),
        ("3.max(5) + 3.min(5)", "riverside", 8),
        # comparison and equality (1 = 1.0, true <> 1)
        ("1 = 1.0", "riverside", True),
        ("true = 1", "riverside", False),
        ("'abc' < 'abd'", "riverside", True),
        ("2 <> 3 and 2 <= 2 and 3 >= 2 and 3 > 2", "riverside", True),
        # Boolean operators
        ("true xor true", "riverside", False),
        ("false implies (1 / 0 > 0)", "riverside", True),
        ("not false", "riverside", True),
        ("true or false and false", "riverside", True),
        # if, let
        ("if 1 > 2 then 'a' else 'b' endif", "riverside", "b"),
        ("let x = 2, y : Integer = x * 3 in x + y", "riverside", 8),
        # navigation: attributes, single and many references, implicit self, defaults
        ("self.name", "riverside", "Riverside Clinic"),
        ("name", "riverside", "Riverside Clinic"),
        ("self.doctor.name", "a002", "Anna Berg"),
        ("self.patient.age + 1", "a002", 55),
        ("self.appointments->size()", "berg", 2),
        ("self.guardian", "jonas", None),
        ("self.insured", "omar", False),
        # enum literals
        ("self.specialty = Specialty::SURGEON", "berg", True),
        ("self.status = clinic::AppointmentStatus::CANCELLED", "a004", True),
        ("self.kind <> AppointmentKind::SURGERY", "a001", True),
        # collection operations
        ("self.patients->size()", "riverside", 4),
        ("self.patients->isEmpty()", "riverside", False),
        ("self.doctors->notEmpty()", "riverside", True),
        ("self.patients->collect(age)->sum()", "riverside", 170),
        ("self.patients.age->sum()", "riverside", 170),
        ("self.patients->collect(p | p.age)->max()", "riverside", 71),
        ("self.patients.age->min()", "riverside", 8),
        ("self.patients->select(p | p.age > 40)->size()", "riverside", 2),
        ("self.patients->reject(p | p.insured)->size()", "riverside", 1),
        ("self.patients->forAll(p | p.age >= 0)", "riverside", True),
        ("self.patients->forAll(a, b | a <> b implies a.name <> b.name)", "riverside", True),
        ("self.patients->exists(p | p.age < 18)", "riverside", True),
        ("self.patients->exists(a, b | a <> b and a.age = b.age)", "riverside", False),
        ("self.patients->isUnique(p | p.name)", "riverside", True),
        ("self.patients->isUnique(insured)", "riverside", False),
        ("self.patients->any(p | p.age < 18).name", "riverside", "Sara Lindqvist"),
        ("self.patients->one(p | p.age < 18)", "riverside", True),
        ("self.appointments->count(self.appointments->first())", "riverside", 1),
        ("self.patients->includes(self.patients->last())", "riverside", True),
        ("self.patients->excludes(self)", "riverside", True),
        ("self.appointments.kind->asSet()->size()", "riverside", 3),
        ("self.appointments.status->count(AppointmentStatus::SCHEDULED)", "riverside", 5),
        ("Sequence{1..4}->iterate(i; acc : Integer = 0 | acc + i)", "riverside", 10),
        ("Set{1, 2, 2, 3}->size()", "riverside", 3),
        ("Bag{1, 2, 2}->size()", "riverside", 3),
        ("Set{1, 2} = Set{2, 1}", "riverside", True),
        ("Sequence{1, 2} = Sequence{2, 1}", "riverside", False),
        ("Sequence{3, 1, 2}->sortedBy(x | x)->first()", "riverside", 1),
        ("Set{1, 2}->union(Set{3})->size()", "riverside", 3),
        ("Set{1, 2}->intersection(Set{2, 5})->size()", "riverside", 1),
        ("Sequence{1, 2}->including(5)->at(3)", "riverside", 5),
        ("Sequence{1, 2, 1}->excluding(1)->size()", "riverside", 1),
        ("Sequence{Sequence{1}, Sequence{2, 3}}->flatten()->size()", "riverside", 3),
        ("Set{1, 2}->includesAll(Set{2}) and Set{1}->excludesAll(Set{2})", "riverside", True),
        ("self.doctor->size()", "a001", 1),
        ("self.guardian->isEmpty()", "jonas", True),
        # types
        ("self.oclIsKindOf(Clinic)", "riverside", True),
        ("self.oclIsTypeOf(Doctor)", "riverside", False),
        ("self.doctor.oclAsType(Doctor).maxAppointments", "a001", 4),
        ("Patient.allInstances()->size()", "riverside", 4),
        ("Appointment.allInstances()->select(kind = AppointmentKind::SURGERY)->size()",
         "riverside", 2),
        ("self.oclContainer().name", "berg", "Riverside Clinic"),
        ("self.oclContainer().oclIsUndefined()", "riverside", True),
        ("1.oclIsKindOf(Real) and 1.oclIsTypeOf(Integer)", "riverside", True),
        ("self.appointments->selectByKind(Appointment)->size()", "riverside", 7),
        # strings
        ("self.name.size()", "riverside", 16),
        ("self.name.toUpper()", "riverside", "RIVERSIDE CLINIC"),
        ("self.name.substring(1, 5)", "riverside", "River"),
        ("self.name.concat('!')", "riverside", "Riverside Clinic!"),
        ("'ab' + 'cd'", "riverside", "abcd"),
        ("self.name.indexOf('side')", "riverside", 6),
        ("self.name.startsWith('River') and self.name.endsWith('Clinic')", "riverside", True),
        ("'  x '.trim() = 'x' and 'AbC'.equalsIgnoreCase('aBc')", "riverside", True),
        ("'42'.toInteger() + 1", "riverside", 43),
        ("'it\\'s'.size()", "riverside", 4),
        ("5.toString()", "riverside", "5"),
        ("-- a comment\n 1 /* another */ + 1", "riverside", 2),
    ],
)  # fmt: skip
def test_construct(expr: str, context: str, expected: Value) -> None:
    result = ev(expr, context)
    assert result == expected and type(result) is type(expected), result


def test_select_keeps_the_collection_and_its_order() -> None:
    assert ids(ev("self.patients->select(p | p.insured)")) == ["jonas", "sara", "clara"]
    assert ids(ev("self.patients->sortedBy(p | p.age)")) == ["sara", "omar", "jonas", "clara"]
    assert ev("self.appointments.kind->asSet()") == Collection(
        "Set",
        tuple(EnumValue("AppointmentKind", k) for k in ("CHECKUP", "SURGERY", "FOLLOW_UP")),
    )


def test_implied_opposite_end_is_navigable() -> None:
    """berg.appointments left out: implied by the appointments' `doctor` ends."""
    data = CIM.model_dump(by_alias=True)
    for o in data["objects"]:
        if o["class"] == "Doctor":
            o["references"] = {}
    assert ids(ev("self.appointments", "berg", objects=parse_cim(data).objects)) == [
        "a002",
        "a006",
    ]


def test_closure_collects_transitively() -> None:
    result = ev("Sequence{1}->closure(i | if i < 5 then i + 1 else null endif)")
    assert result == Collection("OrderedSet", (1, 2, 3, 4, 5))


# --- null and invalid ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "context", "expected"),
    [
        ("self.guardian.oclIsUndefined()", "jonas", True),
        ("self.guardian = null", "jonas", True),
        ("self.guardian <> null", "sara", True),
        ("null.oclIsUndefined()", "riverside", True),
        ("(1 / 0).oclIsUndefined()", "riverside", True),
        ("(1 / 0).oclIsInvalid()", "riverside", True),
        ("invalid.oclIsInvalid()", "riverside", True),
        ("null->isEmpty()", "riverside", True),
        ("null->size()", "riverside", 0),
        # a deciding operand wins over invalid and null
        ("false and (1 / 0 > 0)", "riverside", False),
        ("(1 / 0 > 0) and false", "riverside", False),
        ("true or (1 / 0 > 0)", "riverside", True),
        ("(1 / 0 > 0) or true", "riverside", True),
        ("(1 / 0 > 0) implies true", "riverside", True),
        ("self.guardian.size() > 0 or true", "jonas", True),
        ("Sequence{1, 2}->exists(i | i = 2 or i / 0 > 1)", "riverside", True),
        ("Sequence{0, 1}->forAll(i | i > 0 and 1 / i > 0)", "riverside", False),
    ],
)
def test_null_and_invalid_rules(expr: str, context: str, expected: Value) -> None:
    assert ev(expr, context) == expected


@pytest.mark.parametrize(
    ("expr", "context", "reason"),
    [
        ("self.guardian.size()", "jonas", "self.guardian is null"),
        ("self.guardian.size() > 0", "jonas", "self.guardian is null"),
        ("1 / 0", "riverside", "is zero"),
        ("1 div 0", "riverside", "is zero"),
        ("5 mod 0", "riverside", "is zero"),
        ("invalid + 1", "riverside", "invalid"),
        ("(1 / 0) = (1 / 0)", "riverside", "is zero"),
        ("null < 5", "riverside", "null is null"),
        ("self.guardian + 'x'", "jonas", "self.guardian is null"),
        ("null and true", "riverside", "'and' needs Booleans"),
        ("not null", "riverside", "'not' needs a Boolean"),
        ("self.guardian.size() > 0 and true", "jonas", "self.guardian is null"),
        ("if null then 1 else 2 endif", "riverside", "not true or false"),
        ("self.oclAsType(Doctor)", "riverside", "not a Doctor"),
        ("Sequence{1}->at(2)", "riverside", "no element at 2"),
        ("Sequence{1}->any(i | i > 1)", "riverside", "no element satisfies"),
        ("Sequence{1, 0}->select(i | 1 / i > 0)", "riverside", "is zero"),
        ("Sequence{1, 0}->collect(i | 1 / i)", "riverside", "is zero"),
        ("Sequence{1, 2}->forAll(i | null)", "riverside", "not true or false"),
        ("Sequence{}->max()", "riverside", "empty collection"),
        ("Set{1, 1 / 0}", "riverside", "is zero"),
        ("'x'.toInteger()", "riverside", "not a number"),
        ("'abc'.substring(2, 9)", "riverside", "out of range"),
        ("'a' < 1", "riverside", "cannot compare"),
        ("1 + true", "riverside", "needs numbers"),
        ("self.doctor.maxAppointments", "riverside", "has no feature doctor"),
    ],
)
def test_invalid_propagates_with_a_reason(expr: str, context: str, reason: str) -> None:
    result = ev(expr, context)
    assert isinstance(result, Invalid), result
    assert reason in result.reason


def test_a_value_of_the_wrong_type_reads_as_invalid() -> None:
    data = CIM.model_dump(by_alias=True)
    data["objects"][4]["attributes"]["age"] = "fifty"
    result = ev("self.age >= 0", "jonas", objects=parse_cim(data).objects)
    assert isinstance(result, Invalid) and "jonas.age holds 'fifty'" in result.reason


def test_absent_attributes_read_as_emf_defaults() -> None:
    data = CIM.model_dump(by_alias=True)
    data["objects"][4]["attributes"] = {}  # jonas: age (EInt), insured (EBoolean), name, guardian
    objects = parse_cim(data).objects
    assert ev("self.age", "jonas", objects=objects) == 0
    assert ev("self.insured", "jonas", objects=objects) is False
    assert ev("self.name", "jonas", objects=objects) is None
    data["objects"][8]["attributes"].pop("kind")
    assert ev("self.kind", "a001", objects=parse_cim(data).objects) == EnumValue(
        "AppointmentKind", "CHECKUP"
    )


# --- outside the subset, and hostile expressions ---------------------------------------------


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("self.name.matches('R.*')", "'.matches()'"),
        ("self.patients->product(self.doctors)", "'->product'"),
        ("self.nosuchfeature > 0", "unknown feature 'nosuchfeature'"),
        ("nosuchname > 0", "unknown name 'nosuchname'"),
        ("Specialty::DENTIST", "has no literal DENTIST"),
        ("self.patients->size(1)", "with 1 argument(s)"),
        ("self.patients->select(a, b | true)", "with 2 iterators"),
        ("self.oclIsKindOf(1)", "not a type"),
    ],
)
def test_outside_the_subset_is_unsupported(expr: str, words: str) -> None:
    with pytest.raises(Unsupported) as raised:
        ev(expr)
    assert words in raised.value.message


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("self.age >", "ends in the middle"),
        ("self.age $ 3", "unexpected character '$'"),
        ("self.x->size(a | b)", "not an iterator"),
        ("self.x.size(a | b)", "iterators use '->'"),
        ("->", "unexpected"),
        ("not (" * (MAX_DEPTH + 5) + "true" + ")" * (MAX_DEPTH + 5), "nested more than"),
        ("not " * 4000 + "true", "nested more than"),
        ("1" + " + 1" * 3000, "nested more than"),
        ("'" + "x" * 30_000 + "'", "characters long"),
    ],
    ids=lambda v: str(v)[:24],
)
def test_syntax_errors_are_one_sentence(expr: str, words: str) -> None:
    with pytest.raises(OclSyntaxError) as raised:
        parse_expression(expr)
    assert words in raised.value.message and "\n" not in raised.value.message


@pytest.mark.parametrize(
    ("expr", "words"),
    [
        ("Sequence{1..1000000000}->size()", "evaluation steps"),
        ("Sequence{1..1000}->forAll(a, b, c | true)", "evaluation steps"),
        ("Sequence{1..200}->iterate(i; s : String = 'ab' | s.concat(s))", "string longer"),
        ("Sequence{1..40}->iterate(i; n : Integer = 2 | n * n)", "integer larger"),
        ("Sequence{1..100}->iterate(i; c = Sequence{1} | c->union(c))", "evaluation steps"),
        ("Sequence{1}->closure(i | i + 1)", "evaluation steps"),
    ],
)
def test_hostile_evaluations_stop_within_budget(expr: str, words: str) -> None:
    started = time.monotonic()
    with pytest.raises(Exhausted) as raised:
        ev(expr, steps=100_000)
    assert words in raised.value.message
    assert time.monotonic() - started < 10


def test_time_budget_stops_an_evaluation() -> None:
    world = World(MM, CIM.objects)
    evaluator = Evaluator(world, Budget(10**9, time.monotonic() - 1))
    with pytest.raises(Exhausted) as raised:
        evaluator.evaluate(parse_expression("Sequence{1..100000}->size()"), Obj(0))
    assert "MAX_OCL_MILLIS" in raised.value.message
