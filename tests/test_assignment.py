"""The plain Python assignment finds assignments as good as SciPy's, so `score` is the same
with or without the `score` extra."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.eval import assignment, scoring
from instancegen.service.resources.model_io import read_model_file

ROOT = Path(__file__).resolve().parent.parent

matrices = st.integers(1, 7).flatmap(
    lambda n: st.integers(1, 7).flatmap(
        lambda m: st.lists(
            st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.25, 3.0, 7.5]), min_size=m, max_size=m),
            min_size=n,
            max_size=n,
        )
    )
)


@given(matrices)
@settings(max_examples=300, deadline=None)
def test_plain_assignment_is_as_good_as_scipys(weights: list[list[float]]) -> None:
    pairs = assignment.hungarian_max(weights)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    assert len(pairs) == min(len(weights), len(weights[0]))
    assert len({r for r, _ in pairs}) == len({c for _, c in pairs}) == len(pairs)
    ours = sum(weights[r][c] for r, c in pairs)
    theirs = sum(weights[r][c] for r, c in zip(rows, cols, strict=True))
    assert ours == pytest.approx(theirs)


def test_empty_matrix_pairs_nothing() -> None:
    assert assignment.best_assignment([]) == []
    assert assignment.hungarian_max([[1.0, 2.0]]) == [(0, 1)]


@pytest.mark.parametrize("case", ["bank-basic", "library-lending", "petrinet-traffic-light"])
def test_score_is_the_same_without_scipy(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = ROOT / "metamodels" / "suite" / case
    mm = load_metamodel(sorted(folder.glob("*.ecore")))
    ref = read_model_file(folder / "reference.json", mm)
    cand = ref.model_copy(update={"objects": ref.objects[: len(ref.objects) * 2 // 3]})
    with_scipy = scoring.score(mm, ref, cand).to_json()
    monkeypatch.setattr(assignment, "best_assignment", assignment.hungarian_max)
    monkeypatch.setattr(scoring, "best_assignment", assignment.hungarian_max)
    assert scoring.score(mm, ref, cand).to_json() == with_scipy
    assert with_scipy["objects"]["recall"] < 1.0
