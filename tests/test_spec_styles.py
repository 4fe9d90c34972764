"""One ferry line written in five styles (prose, a markdown outline, tables with prose, a
requirements list, narrative with pronouns and relative clauses): the spec's facts
(`two_phase.spec_facts.read_facts`) are the same whichever style states them. Held-out
material of a domain no bundled case has."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.two_phase.spec_facts import SpecFacts, read_facts
from tests.spec_rule_corpus import ECORE

MM: Metamodel = load_metamodel({"ferry.ecore": ECORE})

HERE = Path(__file__).parent / "fixtures" / "spec_styles"
PLAIN = (HERE / "plain.txt").read_text(encoding="utf-8")
STYLES = {
    s: (HERE / f"{s}.txt").read_text(encoding="utf-8")
    for s in ("outline", "table", "requirements", "narrative")
}


def summary(f: SpecFacts) -> dict[str, Any]:
    """What phase 1 and 2 are built on: names per class, values per attribute, counts,
    links stated as pairs, the classes each name is described as, and every string."""
    return {
        "class": {k: sorted(str(m.value) for m in ms) for k, ms in f.by_class.items()},
        "feature": {k: [m.value for m in ms] for k, ms in f.by_feature.items()},
        "counts": f.counts,
        "pairs": {k: [(p.source, p.target) for p in ps] for k, ps in f.pairs.items()},
        "described": {v: sorted(ks) for v, ks in f.described.items()},
        "strings": sorted(f.strings),
    }


def test_the_plain_spec_reads_every_fact() -> None:
    plain = summary(read_facts(MM, PLAIN))
    assert plain["counts"] == {"Ferry": 2, "Tug": 1, "Pilot": 2, "Crossing": 2}
    assert plain["feature"]["tonnage"] == [900, 1200]
    assert plain["feature"]["hullCode"] == ["HX-01", "HX-02", "TG-01"]
    assert plain["feature"]["launched"] == ["1987-04-07T00:00:00", "2001-05-03T00:00:00"]
    assert plain["feature"]["berths"] == [4, 6]
    assert plain["pairs"] == {"Crossing": [("Ostby", "Vik"), ("Vik", "Ostby")]}
    assert plain["class"]["Ferry"] == ["Aurora", "Borea"]
    assert plain["described"]["Ida Moss"] == ["Pilot"]


@pytest.mark.parametrize("style", sorted(STYLES))
def test_every_style_reads_the_same_facts(style: str) -> None:
    plain = summary(read_facts(MM, PLAIN))
    found = summary(read_facts(MM, STYLES[style]))
    if style == "narrative":  # it never says "the pilot Ida Moss": described, not named
        assert found.pop("class") == {k: v for k, v in plain.pop("class").items() if k != "Pilot"}
    assert found == plain
