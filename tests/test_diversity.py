"""Set diversity figures on small sets computed by hand: the study's attribute diversity D,
the Weisfeiler-Lehman structural distance, and the manifest that reports them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from instancegen import load_metamodel, parse_cim
from instancegen.service.app.instance_sets import InstanceSet, Member
from instancegen.service.app.set_files import write_set
from instancegen.service.core.cim import Cim
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.eval.diversity import MEASURE, levenshtein, set_figures

BANK = Path(__file__).resolve().parent.parent / "metamodels" / "bank" / "bank.ecore"


@pytest.fixture(scope="module")
def mm() -> Metamodel:
    return load_metamodel([BANK])


def bank(name: str, *accounts: dict[str, Any], prefix: str = "") -> Cim:
    """A bank holding accounts (attribute maps), ids renamed by `prefix`."""
    ids = [f"{prefix}acc{n}" for n in range(len(accounts))]
    return parse_cim({
        "objects": [
            {"id": f"{prefix}b", "class": "Bank", "attributes": {"name": name},
             "references": {"accounts": ids}},
            *({"id": i, "class": "Account", "attributes": a}
              for i, a in zip(ids, accounts, strict=True)),
        ]
    })  # fmt: skip


@pytest.mark.parametrize(
    ("a", "b", "edits"),
    [("kitten", "sitting", 3), ("", "abc", 3), ("abc", "abc", 0), ("Alpha", "Gamma", 4),
     ("flaw", "lawn", 2), ("ab", "ba", 2)],
)  # fmt: skip
def test_levenshtein(a: str, b: str, edits: int) -> None:
    assert levenshtein(a, b) == levenshtein(b, a) == edits


def test_attribute_diversity_is_the_studys_formula_on_a_hand_computed_set(mm: Metamodel) -> None:
    """Three members, one bank and one account each: every attribute has n = 3 values and
    2/(n(n−1)) · Σ d is the mean of the three pairs' d."""
    members = [
        bank("Alpha", {"iban": "DE1", "balance": 100, "kind": "CHECKING"}, prefix="x"),
        bank("Alphb", {"iban": "DE1", "balance": 100.0, "kind": "SAVINGS"}, prefix="y"),
        bank("Gamma", {"iban": "DE1", "balance": 200, "kind": "SAVINGS"}, prefix="z"),
    ]
    figures = set_figures(mm, members)
    names = (1 / 5 + 4 / 5 + 5 / 5) / 3  # Alpha-Alphb, Alpha-Gamma, Alphb-Gamma
    assert figures.pairs == 3
    assert figures.attribute_diversity.per_attribute == {
        "Account.balance": round(2 / 3, 4),  # 100 and 100.0 are one value
        "Account.iban": 0.0,
        "Account.kind": round(2 / 3, 4),
        "Bank.name": round(names, 4),
    }
    assert figures.attribute_diversity.strings == round((names + 0) / 2, 4)
    assert figures.attribute_diversity.all == round((names + 0 + 4 / 3) / 4, 4)
    assert figures.structural_distance.mean == figures.structural_distance.min == 0.0


def test_copies_have_no_diversity_even_with_varied_objects_inside(mm: Metamodel) -> None:
    """Objects are aligned across members: a member's own variety (two differently named
    accounts) does not count, as pooling the values would have it."""
    accounts = ({"iban": "DE89370400440532013000"}, {"iban": "GB82WEST12345698765432"})
    twins = [bank("Alpha", *accounts), bank("Alpha", *reversed(accounts), prefix="t")]
    figures = set_figures(mm, twins)
    assert figures.scorer_distance == 0.0
    assert set(figures.attribute_diversity.per_attribute.values()) == {0.0}
    assert figures.structural_distance.mean == 0.0


def test_a_value_set_on_one_side_only_differs_fully(mm: Metamodel) -> None:
    figures = set_figures(mm, [bank("A", {"iban": "X", "balance": 1}), bank("A", {"iban": "X"})])
    assert figures.attribute_diversity.per_attribute["Account.balance"] == 1.0


def test_structural_distance_is_one_minus_the_normalised_wl_kernel(mm: Metamodel) -> None:
    """One account against two: of the label counts per round (classes, then 3 relabellings),
    only the classes and the accounts' round-1 label (an account held by a bank) are shared:
    k = (1·1 + 1·2) + 1·2 = 5, k(G,G) = 8, k(H,H) = 4 · (1 + 4) = 20."""
    one, two = bank("A", {"iban": "X"}), bank("A", {"iban": "X"}, {"iban": "Y"})
    figures = set_figures(mm, [one, two])
    assert figures.structural_distance.min == round(1 - 5 / math.sqrt(8 * 20), 4)
    assert figures.structural_distance.measure == MEASURE
    assert set_figures(mm, [one]).structural_distance.mean is None


def test_the_manifest_keeps_its_fields_and_adds_the_figures(mm: Metamodel, tmp_path: Path) -> None:
    cims = [bank("Alpha", {"iban": "X"}), bank("Beta", {"iban": "X"}, {"iban": "Y"})]
    figures = set_figures(mm, cims)
    members = [Member(index=n, cim=c, artifacts={"cim": "{}"}, attempts=1)
               for n, c in enumerate(cims, 1)]  # fmt: skip
    result = InstanceSet(
        status="complete", kind="typical", count=2, model="scripted", members=members,
        diversity=figures.scorer_distance, figures=figures,
    )  # fmt: skip
    manifest_path, *_ = write_set(result, tmp_path / "bank", "A bank.")
    manifest = json.loads(manifest_path.read_text())
    assert {"status", "kind", "count", "written", "model", "spec", "diversity", "usage",
            "models", "problems"} <= set(manifest)  # fmt: skip
    assert manifest["diversity"] == figures.scorer_distance > 0
    assert manifest["attribute_diversity"]["per_attribute"]["Bank.name"] == 4 / 5  # Alph|Bet
    assert manifest["attribute_diversity"]["strings"] == figures.attribute_diversity.strings
    assert manifest["structural_distance"]["measure"] == MEASURE
    assert 0 < manifest["structural_distance"]["mean"] < 1
