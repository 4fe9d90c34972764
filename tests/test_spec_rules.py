"""The spec-reading rules (`two_phase.spec_facts.RULES`), each against its own table of
sentences (`spec_rule_corpus`): a rule adds exactly the facts its table expects, and run over
every other rule's table it adds nothing the row does not expect (a rule firing wrongly on
another's sentences fails here)."""

from __future__ import annotations

import inspect

import pytest

from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.two_phase.spec_facts import RULES, SpecFacts, read_facts
from tests.spec_rule_corpus import ECORE, LAYOUT_OF, TABLES, Fact, Row

MM: Metamodel = load_metamodel({"ferry.ecore": ECORE})


def facts_of(f: SpecFacts) -> set[Fact]:
    """Every fact `f` holds, as comparable tuples."""
    found: set[Fact] = {("text", f.spec)} | {(m.kind, m.value) for m in f.mentions}
    found |= {("feature", k, m.value) for k, ms in f.by_feature.items() for m in ms}
    found |= {("class", k, m.value) for k, ms in f.by_class.items() for m in ms}
    found |= {("count", k, n) for k, n in f.counts.items()}
    found |= {("inner", v, owner) for v, owner in f.inner.items()}
    found |= {("break", " ".join(f.spec[b:].split()[:3])) for b in f.breaks}
    found |= {("spoken", k) for k in f.spoken}
    found |= {("described", v, tuple(sorted(ks))) for v, ks in f.described.items()}
    found |= {("pair", k, p.source, p.target) for k, ps in f.pairs.items() for p in ps}
    found |= {("absent", k) for k in f.absent}
    found |= {("claimed", v, k) for v, k in f.claimed.items()}
    found |= {("size", n) for n in f.sizes}
    return found


def added(text: str) -> dict[str, set[Fact]]:
    """What each rule adds to what the rules before it found, by rule name."""
    result: dict[str, set[Fact]] = {}
    before = read_facts(MM, text, ())
    for rule in RULES:
        after = rule.read(MM, before)
        result[rule.name] = facts_of(after) - facts_of(before)
        before = after
    return result


def _cases(rows: list[tuple[str, int, Row]]) -> list[object]:
    return [
        pytest.param(
            name,
            r,
            id=f"{name}-{i}",
            marks=[pytest.mark.xfail(reason=r.known, strict=True)] if r.known else [],
        )
        for name, i, r in rows
    ]


OWN = [(name, i, r) for name, rows in TABLES.items() for i, r in enumerate(rows)]


def test_every_rule_is_named_documented_and_tabled() -> None:
    names = [rule.name for rule in RULES]
    assert len(set(names)) == len(names)
    assert set(TABLES) == set(names)
    for rule in RULES:
        doc = inspect.getdoc(rule.read) or ""
        assert len(doc.split()) >= 8, rule.name
        assert any(not r.known for r in TABLES[rule.name]), rule.name  # one row it reads


@pytest.mark.parametrize(("name", "row"), _cases(OWN))
def test_a_rule_adds_what_its_table_says_and_no_rule_more(name: str, row: Row) -> None:
    found = added(row.text)
    assert found[name] == set(row.adds)
    expected = row.adds | row.also | {("text", LAYOUT_OF.get(row.text, row.text))}
    wrong = {rule: sorted(map(repr, facts - expected)) for rule, facts in found.items()}
    assert not {rule: facts for rule, facts in wrong.items() if facts}
