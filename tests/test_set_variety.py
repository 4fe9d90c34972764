"""A set's next member is shown the shapes and values the kept members used, but never the
values the spec states (they stay fixed in every member)."""

from __future__ import annotations

import itertools
from pathlib import Path

from instancegen.service.app.instance_sets import (
    MAX_COUNT,
    SEEDS_PER_TRY,
    TRIES_PER_MEMBER,
    Draw,
    draw,
    generate_set,
)
from instancegen.service.app.set_variety import MAX_VALUES, avoided, variety_note
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.generation.result import GenerationResult, Usage

ROOT = Path(__file__).resolve().parent.parent
SPEC = "A bank named Alpha with some clients."


def _bank(bank: str, *people: str) -> Cim:
    ids = [f"p{i}" for i in range(len(people))]
    objects = [
        CimObject(id="b", class_="Bank", attributes={"name": bank}, references={"clients": ids})
    ]
    objects += [
        CimObject(id=i, class_="Person", attributes={"name": n})
        for i, n in zip(ids, people, strict=True)
    ]
    return Cim(objects=objects)


def test_every_unstated_value_is_avoided_by_feature_name_whatever_its_class() -> None:
    kept = [_bank("Alpha", "Ann Lee", "Bo Chen"), _bank("Beta", "Ann Lee", "Cy Diaz")]
    assert avoided([], SPEC) == ()
    # "Alpha" is stated: it stays in every member; "Beta" is the second member's own choice
    assert avoided(kept, SPEC) == (("name", ("Beta", "Ann Lee", "Cy Diaz", "Bo Chen")),)


def test_the_note_shows_shapes_and_unstated_values() -> None:
    assert variety_note([], SPEC) is None
    note = variety_note([_bank("Alpha", "Ann Lee", "Bo Chen"), _bank("Alpha", "Cy Diaz")], SPEC)
    assert note is not None
    assert "- model 1: Bank 1, Person 2" in note and "- model 2: Bank 1, Person 1" in note
    assert '- Person.name: "Cy Diaz", "Ann Lee", "Bo Chen"' in note  # the latest first
    assert "Bank.name" not in note and '"Alpha"' not in note  # stated: kept, not varied
    assert "keep every value the specification states" in note


def test_the_note_is_bounded() -> None:
    many = _bank("Beta", *(f"Person number {i} with a rather long name" for i in range(20)))
    note = variety_note([many], SPEC)
    assert note is not None
    [line] = [x for x in note.splitlines() if x.startswith("- Person.name")]
    assert line.count('"') == 2 * MAX_VALUES and "with a rather long name" not in line


def test_each_next_member_is_asked_with_what_the_kept_ones_used() -> None:
    mm = load_metamodel([ROOT / "metamodels" / "bank" / "bank.ecore"])
    answers = iter([_bank("Alpha", "Ann Lee"), _bank("Alpha", "Bo Chen", "Cy Diaz")])
    notes: list[str | None] = []
    draws: list[Draw] = []

    def run(note: str | None, draw: Draw) -> GenerationResult:
        notes.append(note)
        draws.append(draw)
        cim = next(answers)
        return GenerationResult(
            status="valid", model="m", mode="two-step", cim=cim, usage=Usage(), attempts=[]
        )

    made = generate_set(mm, run, count=2, kind="typical", model="m", formats=(), spec=SPEC)
    assert made.status == "complete"
    assert notes[0] is not None and "Values already used" not in notes[0]
    assert notes[1] is not None and '- Person.name: "Ann Lee"' in notes[1]
    assert draws[0].warmth == 0 < draws[1].warmth  # the first is greedy, the next sampled
    assert draws[0].seeds != draws[1].seeds
    assert draws[0].avoid == () and draws[1].avoid == (("name", ("Ann Lee",)),)


def test_every_try_of_every_member_draws_seeds_no_other_try_draws() -> None:
    tries = [draw(i, a) for i in range(1, MAX_COUNT + 1) for a in range(1, TRIES_PER_MEMBER + 1)]
    starts = sorted(t.seeds for t in tries)
    assert all(b - a >= SEEDS_PER_TRY for a, b in itertools.pairwise(starts))
    assert all(t.warmth >= 0.7 for t in tries[1:])
