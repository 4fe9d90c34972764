"""End to end with the real bundled model, in-process: spec in, XMI out, judged by real EMF.

Greedy decoding makes each run deterministic; specs are short so the suite stays quick on CI's
two cores (about a minute per case).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from emf_check import EmfModelResult
from typer.testing import CliRunner

from instancegen.service.cli import app

ROOT = Path(__file__).resolve().parent.parent
CASES = {
    "bank": (
        [ROOT / "metamodels" / "bank" / "bank.ecore"],
        "Bank Alpha (BIC ALPHDEFF) has one client, Ann Lee, who owns the account DE01.",
    ),
    "statemachine": (
        [ROOT / "metamodels" / "suite" / "statemachine-turnstile" / "statemachine.ecore"],
        (ROOT / "metamodels" / "suite" / "statemachine-turnstile" / "spec.txt").read_text(),
    ),
}

EmfCheck = Callable[[Sequence[Path], Sequence[Path]], list[EmfModelResult]]


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_local_model_writes_xmi_that_emf_loads(
    case: str, tmp_path: Path, local_model: None, emf: EmfCheck
) -> None:
    ecores, spec = CASES[case]
    out, report = tmp_path / f"{case}.xmi", tmp_path / "report.json"
    args = ["generate", *(a for e in ecores for a in ("-m", str(e))), "--spec", spec]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "--report", str(report), "-q"])
    data = json.loads(report.read_text())
    assert result.exit_code == 0, (result.stderr, data["issues"])
    assert data["status"] == "valid" and data["model"] == "local"
    assert all(a["prompt_tokens"] > 0 and a["completion_tokens"] > 0 for a in data["attempts"])
    assert len(data["cim"]["objects"]) >= 2
    [checked] = emf(ecores, [out])
    assert checked.ok, checked.errors


@pytest.mark.slow
def test_local_model_votes_three_samples(tmp_path: Path, local_model: None) -> None:
    """--samples 3 with the bundled model: three warm first answers (their tokens all
    counted), one consensus, and a result that is valid or says why not."""
    bank = ROOT / "metamodels" / "bank"
    base = ["generate", "-m", str(bank / "bank.ecore"), "--spec-file", str(bank / "spec.txt")]
    reports = {k: tmp_path / f"k{k}.json" for k in (1, 3)}
    for k, report in reports.items():
        args = [*base, "--samples", str(k), "--max-repairs", "0", "--report", str(report)]
        result = CliRunner().invoke(app, [*args, "-o", str(tmp_path / f"k{k}.xmi")])
        assert result.exit_code in (0, 1), result.output
        if k == 3:
            assert "consensus of 3 samples: kept" in result.stderr
    one, three = (json.loads(reports[k].read_text()) for k in (1, 3))
    assert (one["samples"], one["consensus"]) == (1, None)
    assert three["samples"] == 3 and three["consensus"].startswith("consensus of 3 samples")
    assert len(three["attempts"]) == 1 and three["attempts"][0]["kind"] == "generate"
    first = [(d["attempts"][0]["prompt_tokens"], d["attempts"][0]["completion_tokens"])
             for d in (one, three)]  # fmt: skip
    assert first[1][0] > 2 * first[0][0] and first[1][1] > first[0][1]
    # valid, or invalid with its errors reported
    errors = [i for i in three["issues"] if i["severity"] == "error"]
    assert (three["status"] == "valid") == (not errors)
