"""`instancegen eval` end to end: two bundled cases, the real bundled model, every report field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from instancegen.service.cli import app
from instancegen.service.eval.evaluation import Aggregate, EvalReport, RunRecord

ROOT = Path(__file__).resolve().parent.parent
CASES = ("bank-basic", "family-small")


@pytest.mark.slow
@pytest.mark.usefixtures("local_model")
def test_eval_two_bundled_cases_with_the_local_model(tmp_path: Path) -> None:
    report_file, chart = tmp_path / "report.json", tmp_path / "chart.png"
    result = CliRunner().invoke(
        app,
        ["eval", str(ROOT / "metamodels" / "suite"), "--model", "local", "--cases",
         ",".join(CASES), "--report", str(report_file), "--chart", str(chart)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(report_file.read_text())
    assert set(data) == set(EvalReport.model_fields)
    report = EvalReport.model_validate(data)
    assert report.cases == list(CASES) and report.models == ["local"]
    assert [(r.case, r.mode, r.run) for r in report.runs] == [(c, "two-step", 1) for c in CASES]
    for run in data["runs"]:
        assert set(run) == set(RunRecord.model_fields)
        assert set(run["scores"]) == {"objects", "attributes", "references"}
        for aspect in run["scores"].values():
            assert set(aspect) == {"precision", "recall", "f1"}
            assert all(0.0 <= v <= 1.0 for v in aspect.values())
    for run in report.runs:
        if run.status != "failed":  # a real generation: the model was called and timed
            assert run.attempts >= 1 and run.prompt_tokens > 0 and run.completion_tokens > 0
            assert run.seconds >= run.llm_seconds > 0
    for agg in data["aggregates"] + data["per_case"]:
        assert set(agg) == set(Aggregate.model_fields)
    assert len(report.per_case) == 2 and len(report.aggregates) == 1
    assert report.aggregates[0].runs == 2
    assert chart.read_bytes()[:4] == b"\x89PNG"
    for case in CASES:
        assert case in result.output
