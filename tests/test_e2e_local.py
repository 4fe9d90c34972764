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

from service.cli import app

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
