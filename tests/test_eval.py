"""`eval.evaluation`: the suite loop, its bookkeeping and its report, with a scripted generator.

The generator stand-in has `instancegen.generate`'s signature and replays scripted
outcomes, so every number in the report can be worked out by hand.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import require
from emf_check import emf_available
from typer.testing import CliRunner

from instancegen import compilers
from instancegen import generate as generate_model
from instancegen.service.backends import Message, Reply
from instancegen.service.cli import app, eval_commands
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Attribute, Metamodel
from instancegen.service.eval.evaluation import (
    ASPECTS,
    PLAIN,
    Case,
    EvalReport,
    Mode,
    RunRecord,
    aggregate,
    discover,
    evaluate,
    write_chart,
)
from instancegen.service.generation.result import Attempt, GenerationResult, Usage

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "metamodels" / "bank" / "bank.ecore"

REFERENCE = {
    "objects": [
        {
            "id": "db",
            "class": "Bank",
            "attributes": {"name": "DB"},
            "references": {"clients": ["al"]},
        },
        {"id": "al", "class": "Person", "attributes": {"name": "Al"}},
    ]
}
# Same objects, "Al" renamed: objects F1 1, attributes 1 of 2 -> F1 0.5, references F1 1.
HALF_RIGHT = {
    "objects": [
        {
            "id": "b",
            "class": "Bank",
            "attributes": {"name": "DB"},
            "references": {"clients": ["p"]},
        },
        {"id": "p", "class": "Person", "attributes": {"name": "Bo"}},
    ]
}


def _suite(tmp_path: Path, names: tuple[str, ...] = ("alpha", "beta")) -> Path:
    for name in names:
        case = tmp_path / "suite" / name
        case.mkdir(parents=True)
        shutil.copy(BANK, case / "bank.ecore")
        (case / "spec.txt").write_text(f"A bank called DB with one client Al ({name}).")
        (case / "reference.json").write_text(json.dumps(REFERENCE))
    return tmp_path / "suite"


def _result(
    status: str, cim: dict[str, Any] | None, attempts: int, tokens: int
) -> GenerationResult:
    """A result with `attempts` attempts of `tokens` prompt and tokens/2 completion tokens each."""
    return GenerationResult(
        status=status,  # type: ignore[arg-type]
        model="fake",
        cim=parse_cim(cim) if cim is not None else None,
        issues=[] if status == "valid" else [Issue(code="multiplicity", message="too few")],
        attempts=[
            Attempt(number=n, kind="generate" if n == 1 else "repair", prompt_tokens=tokens,
                    completion_tokens=tokens // 2, seconds=0.25)
            for n in range(1, attempts + 1)
        ],
        usage=Usage(prompt_tokens=tokens * attempts, completion_tokens=tokens // 2 * attempts),
    )  # fmt: skip


Outcome = GenerationResult | BackendError


class ScriptedGenerate:
    """Replays outcomes in call order and remembers what it was asked."""

    def __init__(self, outcomes: list[Outcome]) -> None:
        self.outcomes = outcomes
        self.calls: list[dict[str, Any]] = []

    def __call__(
        self, metamodel: Metamodel, spec: str, *, model: str, mode: Mode, **options: Any
    ) -> GenerationResult:
        self.calls.append({"spec": spec, "model": model, "mode": mode, **options})
        outcome = self.outcomes[len(self.calls) - 1]
        if isinstance(outcome, BackendError):
            raise outcome
        return outcome


def test_report_records_every_run_and_the_means(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    generate = ScriptedGenerate(
        [
            _result("valid", REFERENCE, attempts=1, tokens=100),  # alpha run 1
            BackendError("server went away"),  # alpha run 2
            _result("invalid", HALF_RIGHT, attempts=3, tokens=200),  # beta run 1
            _result("invalid", None, attempts=2, tokens=50),  # beta run 2
        ]
    )
    seen: list[str] = []
    report = evaluate(
        suite, discover(suite), ["fake"], ["two-step"], 2, generate,
        on_run=lambda r: seen.append(f"{r.case}#{r.run}"), api_base="http://127.0.0.1:1",
    )  # fmt: skip
    assert seen == ["alpha#1", "alpha#2", "beta#1", "beta#2"]
    assert all(c["api_base"] == "http://127.0.0.1:1" for c in generate.calls)
    assert generate.calls[0]["spec"].endswith("(alpha).")
    assert report.cases == ["alpha", "beta"] and report.runs_per_case == 2

    ok, failed, half, empty = report.runs
    assert (ok.status, ok.valid, ok.attempts, ok.prompt_tokens, ok.completion_tokens) == (
        "valid", True, 1, 100, 50,
    )  # fmt: skip
    assert ok.scores["attributes"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert ok.llm_seconds == pytest.approx(0.25) and ok.emf_valid is None
    assert (failed.status, failed.valid, failed.error, failed.attempts) == (
        "failed", False, "server went away", 0,
    )  # fmt: skip
    assert failed.scores["objects"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    assert (half.status, half.issue_codes, half.objects, half.attempts) == (
        "invalid", ["multiplicity"], 2, 3,
    )  # fmt: skip
    assert half.scores["attributes"]["f1"] == pytest.approx(0.5)
    assert empty.scores["references"]["f1"] == 0.0 and empty.objects == 0

    (overall,) = report.aggregates
    assert (overall.runs, overall.failed, overall.validity_rate) == (4, 1, 0.25)
    # objects F1: 1, 0, 1, 0 -> 0.5; attributes: 1, 0, .5, 0 -> 0.375; references 1, 0, 1, 0
    assert overall.f1 == pytest.approx({"objects": 0.5, "attributes": 0.375, "references": 0.5})
    assert overall.attempts == pytest.approx((1 + 0 + 3 + 2) / 4)
    assert overall.prompt_tokens == pytest.approx((100 + 0 + 600 + 100) / 4)
    assert overall.completion_tokens == pytest.approx((50 + 0 + 300 + 50) / 4)
    assert overall.emf_validity_rate is None and overall.cost is None

    alpha, beta = report.per_case
    assert (alpha.case, alpha.validity_rate, alpha.f1["objects"]) == ("alpha", 0.5, 0.5)
    assert (beta.case, beta.validity_rate, beta.f1["attributes"]) == ("beta", 0.0, 0.25)

    again = EvalReport.model_validate_json(report.model_dump_json())
    assert again == report


def test_models_and_modes_are_crossed_and_emf_hook_is_asked(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("only",))
    generate = ScriptedGenerate([_result("valid", REFERENCE, 1, 10) for _ in range(4)])
    asked: list[tuple[str, str]] = []

    def emf(case: Case, result: GenerationResult) -> bool:
        asked.append((case.name, result.status))
        return len(asked) % 2 == 1  # True, False, True, False

    report = evaluate(
        suite, discover(suite), ["m1", "m2"], ["two-step", "direct"], 1, generate, emf
    )
    assert [(c["model"], c["mode"]) for c in generate.calls] == [
        ("m1", "two-step"), ("m1", "direct"), ("m2", "two-step"), ("m2", "direct"),
    ]  # fmt: skip
    assert asked == [("only", "valid")] * 4
    assert [(a.model, a.mode, a.emf_validity_rate) for a in report.aggregates] == [
        ("m1", "two-step", 1.0), ("m1", "direct", 0.0),
        ("m2", "two-step", 1.0), ("m2", "direct", 0.0),
    ]  # fmt: skip


def test_discover_filters_and_orders_cases(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("b", "a", "c"))
    assert [c.name for c in discover(suite)] == ["a", "b", "c"]
    chosen = discover(suite, ["c", "a"])
    assert [c.name for c in chosen] == ["a", "c"]
    assert isinstance(chosen[0].reference, Cim) and len(chosen[0].reference.objects) == 2
    assert chosen[0].ecore == (suite / "a" / "bank.ecore",)


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        (lambda case: (case / "spec.txt").unlink(), "needs a spec.txt"),
        (lambda case: (case / "reference.json").unlink(), "needs a reference.json or"),
        (lambda case: (case / "bank.ecore").unlink(), "at least one .ecore"),
        (lambda case: (case / "reference.json").write_text("{"), r"reference\.json: .*valid JSON"),
    ],
)
def test_broken_case_is_one_clear_input_error(
    tmp_path: Path, breakage: Callable[[Path], None], message: str
) -> None:
    suite = _suite(tmp_path, ("x",))
    breakage(suite / "x")
    with pytest.raises(InputError, match=message):
        discover(suite)


def _freeze(suite: Path, name: str, text: str = '{"frozen": true}') -> None:
    (suite / name / "case.json").write_text(text)


def test_frozen_cases_are_reported_apart_from_the_old_ones(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("alpha", "beta", "gamma"))
    _freeze(suite, "beta")
    _freeze(suite, "gamma")
    (suite / "alpha" / "case.json").write_text('{"frozen": false}')  # same as no case.json
    generate = ScriptedGenerate(
        [
            _result("valid", REFERENCE, attempts=1, tokens=100),  # alpha (old): all right
            _result("invalid", HALF_RIGHT, attempts=3, tokens=200),  # beta (frozen)
            BackendError("server went away"),  # gamma (frozen)
        ]
    )
    cases = discover(suite)
    assert [(c.name, c.frozen) for c in cases] == [
        ("alpha", False), ("beta", True), ("gamma", True),
    ]  # fmt: skip
    report = evaluate(suite, cases, ["fake"], ["two-step"], 1, generate)
    assert report.frozen_cases == ["beta", "gamma"]
    assert [(r.case, r.frozen) for r in report.runs] == [
        ("alpha", False), ("beta", True), ("gamma", True),
    ]  # fmt: skip
    assert [(a.case, a.group) for a in report.per_case] == [
        ("alpha", "old"), ("beta", "frozen"), ("gamma", "frozen"),
    ]  # fmt: skip
    (overall,) = report.aggregates
    assert (overall.group, overall.runs, overall.failed) == ("all", 3, 1)
    assert overall.f1["attributes"] == pytest.approx((1 + 0.5 + 0) / 3)
    old, frozen = report.groups
    assert (old.group, old.runs, old.failed, old.validity_rate) == ("old", 1, 0, 1.0)
    assert old.f1 == pytest.approx({"objects": 1.0, "attributes": 1.0, "references": 1.0})
    assert (frozen.group, frozen.runs, frozen.failed, frozen.validity_rate) == (
        "frozen", 2, 1, 0.0,
    )  # fmt: skip
    # beta: objects 1, attributes .5, references 1; gamma failed: all 0
    assert frozen.f1 == pytest.approx({"objects": 0.5, "attributes": 0.25, "references": 0.5})
    assert frozen.attempts == pytest.approx(1.5) and frozen.prompt_tokens == pytest.approx(300)
    assert EvalReport.model_validate_json(report.model_dump_json()) == report


def test_groups_hold_only_the_kinds_of_case_that_ran(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("alpha", "beta"))
    _freeze(suite, "beta")
    generate = ScriptedGenerate([_result("valid", REFERENCE, 1, 10) for _ in range(2)])
    only_old = evaluate(suite, discover(suite, ["alpha"]), ["m"], ["two-step"], 1, generate)
    assert only_old.frozen_cases == [] and [a.group for a in only_old.groups] == ["old"]
    only_frozen = evaluate(suite, discover(suite, ["beta"]), ["m"], ["two-step"], 1, generate)
    assert only_frozen.frozen_cases == ["beta"]
    assert [a.group for a in only_frozen.groups] == ["frozen"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", r"case\.json: Invalid JSON"),
        ('{"frozen": "yes"}', r"case\.json: frozen: Input should be a valid boolean"),
        ('{"frozen": true, "tuned": 1}', r"case\.json: tuned: Extra inputs"),
        ("[true]", r"case\.json: Input should be an object"),
    ],
)
def test_a_bad_case_json_is_one_clear_input_error(tmp_path: Path, text: str, message: str) -> None:
    suite = _suite(tmp_path, ("x",))
    _freeze(suite, "x", text)
    with pytest.raises(InputError, match=message) as exc:
        discover(suite)
    assert "\n" not in exc.value.message and '{"frozen": true}' in exc.value.message


@pytest.fixture(autouse=True)
def scripted_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI tests here name scripted models ("fake") that no backend plugin knows: eval's
    refusal of unknown models before any case is tested in test_model_refusal.py."""
    monkeypatch.setattr(eval_commands.backends, "check_model", lambda *args, **kwargs: None)


@pytest.fixture(scope="module")
def bundled() -> list[Case]:
    return discover(ROOT / "metamodels" / "suite")


def test_bundled_frozen_cases_come_from_domains_the_old_cases_do_not_cover(
    bundled: list[Case],
) -> None:
    """The guard against tuning to the suite: held-out cases, from held-out domains (style
    rewrites aside: they restate old cases' facts and are checked below)."""
    cases = [c for c in bundled if c.rewrite_of is None]
    frozen = [c for c in cases if c.frozen]
    assert len(frozen) >= 6
    old_namespaces = {p.ns_uri for c in cases if not c.frozen for p in c.metamodel.packages}
    for case in frozen:
        assert not {p.ns_uri for p in case.metamodel.packages} & old_namespaces, case.name
        assert case.reference.objects, case.name


def test_cli_eval_prints_old_and_frozen_means_apart(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _suite(tmp_path, ("alpha", "beta"))
    _freeze(suite, "beta")
    generate = ScriptedGenerate(
        [_result("valid", REFERENCE, 1, 10), _result("valid", HALF_RIGHT, 1, 10)]
    )
    monkeypatch.setattr(eval_commands, "generate", generate)
    monkeypatch.setattr(eval_commands.out, "width", 240)  # every column readable
    report_file = tmp_path / "report.json"
    result = CliRunner().invoke(
        app, ["eval", str(suite), "--model", "fake", "--report", str(report_file)]
    )
    assert result.exit_code == 0, result.output
    assert "old and frozen cases apart" in result.output
    per_case, apart = result.output.split("old and frozen cases apart")
    assert re.search(r"beta\s*│\s*frozen\s*│", per_case)
    assert re.search(r"│\s*old\s*│\s*fake\s*│.*│\s*1\.000\s*│", apart)
    assert re.search(r"│\s*frozen\s*│\s*fake\s*│.*│\s*0\.500\s*│", apart)
    report = EvalReport.model_validate_json(report_file.read_text())
    assert [(a.group, a.f1["attributes"]) for a in report.groups] == [
        ("old", 1.0), ("frozen", 0.5),
    ]  # fmt: skip

    monkeypatch.setattr(eval_commands, "generate", ScriptedGenerate([generate.outcomes[0]]))
    plain = CliRunner().invoke(app, ["eval", str(suite), "--model", "fake", "--cases", "alpha"])
    assert plain.exit_code == 0, plain.output
    assert "apart" not in plain.output


def test_discover_rejects_unknown_cases_and_empty_suites(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("x",))
    with pytest.raises(InputError, match="no case named 'y'"):
        discover(suite, ["y"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="holds no case folders"):
        discover(tmp_path / "empty")
    with pytest.raises(InputError, match="no such suite folder"):
        discover(tmp_path / "missing")


def test_chart_is_a_png(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("only",))
    generate = ScriptedGenerate([_result("valid", HALF_RIGHT, 1, 10) for _ in range(2)])
    report = evaluate(suite, discover(suite), ["m"], ["two-step", "direct"], 1, generate)
    chart = tmp_path / "chart.png"
    write_chart(report, chart)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert chart.stat().st_size > 5_000  # four panels of bars, not an empty canvas


class XmiBackend:
    """A backend for direct mode: answers with the given XMI texts in turn, or fails."""

    model = "fake-xmi"

    def __init__(self, replies: list[str | BackendError]) -> None:
        self.replies = replies
        self.calls = 0

    def complete(
        self,
        messages: list[Message],
        *,
        schema: object,
        max_tokens: int,
        temperature: float = 0.0,
        seed: int | None = None,
    ) -> Reply:
        reply = self.replies[self.calls]
        self.calls += 1
        if isinstance(reply, BackendError):
            raise reply
        return Reply(
            text=f"Here it is:\n```xml\n{reply}\n```", prompt_tokens=300, completion_tokens=80
        )


def test_cli_eval_runs_the_real_loop_and_writes_the_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _suite(tmp_path, ("alpha",))
    (case,) = discover(suite)
    xmi = compilers.get("xmi").compile(case.reference, case.metamodel).decode()
    # run 1: unreadable XMI and no repair allowed; run 2: the reference; run 3: a failure
    backend = XmiBackend(["<not-closed>", xmi, BackendError("quota exceeded")])
    monkeypatch.setattr(eval_commands, "generate", partial(generate_model, backend=backend))
    report_file = tmp_path / "out" / "report.json"
    report_file.parent.mkdir()
    result = CliRunner().invoke(
        app,
        ["eval", str(suite), "--model", "fake-xmi", "--mode", "direct", "--runs", "3",
         "--max-repairs", "0", "--report", str(report_file)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "alpha · fake-xmi · direct · run 3: failed, quota exceeded" in result.output
    report = EvalReport.model_validate_json(report_file.read_text())
    broken, good, bad = report.runs
    assert (broken.status, broken.attempts, broken.objects) == ("invalid", 1, 0)
    assert broken.issue_codes == ["unparseable-xmi"]
    assert (good.status, good.attempts, good.prompt_tokens, good.completion_tokens) == (
        "valid", 1, 300, 80,
    )  # fmt: skip
    assert good.scores == {a: {"precision": 1.0, "recall": 1.0, "f1": 1.0} for a in ASPECTS}
    assert (bad.status, bad.error) == ("failed", "quota exceeded")
    (overall,) = report.aggregates
    assert (overall.mode, overall.runs, overall.failed) == ("direct", 3, 1)
    assert overall.validity_rate == pytest.approx(1 / 3)
    assert overall.f1["references"] == pytest.approx(1 / 3)


def test_cli_eval_rejects_an_unknown_mode(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", str(_suite(tmp_path)), "--mode", "three-step"])
    assert isinstance(result.exception, InputError)
    assert "--mode must be two-step or direct" in result.exception.message


def test_emf_hook_asks_real_emf(tmp_path: Path) -> None:
    require(emf_available(), "Java and the EMF jars", "bash scripts/install.sh")
    hook = eval_commands._emf_hook()
    assert hook is not None
    (case,) = discover(_suite(tmp_path, ("x",)))
    assert hook(case, _result("valid", REFERENCE, 1, 1)) is True  # the compiled CIM
    broken = GenerationResult(status="invalid", model="m", artifacts={"xmi": "<bank:Bank/>"})
    assert hook(case, broken) is False  # a model EMF cannot load
    answer = _result("valid", REFERENCE, 1, 1).model_copy(update={"answer_xmi": "<bank:Bank/>"})
    assert hook(case, answer) is False  # direct mode: the answer as written, not our compile
    assert hook(case, GenerationResult(status="invalid", model="m")) is False  # no model


def test_normalised_warnings_are_counted_per_run_and_averaged(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("alpha",))
    noted = _result("valid", REFERENCE, attempts=1, tokens=10)
    noted.issues = [
        Issue(code="normalised", severity="warning", message="a repeat was dropped"),
        Issue(code="normalised", severity="warning", message="an id was renamed"),
        Issue(code="several-roots", severity="warning", message="two roots"),
    ]
    plain = _result("valid", REFERENCE, attempts=1, tokens=10)
    report = evaluate(
        suite, discover(suite), ["fake"], ["two-step"], 2, ScriptedGenerate([noted, plain])
    )
    assert [r.normalised for r in report.runs] == [2, 0]
    assert report.aggregates[0].normalised == 1.0


def test_cli_eval_passes_samples_on_and_shows_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _suite(tmp_path, ("alpha",))
    voted = _result("valid", REFERENCE, 1, 30)
    voted.samples = 3
    generate = ScriptedGenerate([voted, BackendError("refused")])
    monkeypatch.setattr(eval_commands, "generate", generate)
    monkeypatch.setattr(eval_commands.out, "width", 240)
    report_file = tmp_path / "report.json"
    args = ["eval", str(suite), "--model", "fake", "--samples", "3", "--report", str(report_file)]
    result = CliRunner().invoke(app, [*args, "--runs", "2"])
    assert result.exit_code == 0, result.output
    assert generate.calls[0]["samples"] == 3
    assert re.search(r"┃\s*runs\s*┃\s*samples\s*┃\s*valid\s*┃", result.output)
    assert re.search(r"│\s*two-step\s*│\s*2\s*│\s*3\s*│\s*50%\s*│", result.output)
    report = EvalReport.model_validate_json(report_file.read_text())
    assert report.samples == 3 and [r.samples for r in report.runs] == [3, 3]  # failed too
    assert report.aggregates[0].samples == 3
    bad = CliRunner().invoke(app, ["eval", str(suite), "--samples", "0"])
    assert bad.exit_code == 2 and "--samples" in bad.stderr
    monkeypatch.setattr(
        eval_commands, "generate", ScriptedGenerate([_result("valid", REFERENCE, 1, 9)])
    )
    plain = CliRunner().invoke(app, ["eval", str(suite), "--model", "fake"])
    assert "samples" not in plain.output


def _restyle(suite: Path, name: str, style: str, rewrite_of: str | None = None) -> None:
    meta = {"frozen": True, "style": style} | ({"rewrite_of": rewrite_of} if rewrite_of else {})
    (suite / name / "case.json").write_text(json.dumps(meta))


def test_spec_styles_get_means_of_their_own(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("alpha", "beta", "gamma", "delta"))
    _restyle(suite, "beta", "table", "alpha")
    _restyle(suite, "gamma", "narrative", "alpha")
    _restyle(suite, "delta", "narrative", "alpha")
    cases = discover(suite)
    assert [(c.name, c.style, c.rewrite_of, c.frozen) for c in cases] == [
        ("alpha", PLAIN, None, False), ("beta", "table", "alpha", True),
        ("delta", "narrative", "alpha", True), ("gamma", "narrative", "alpha", True),
    ]  # fmt: skip
    generate = ScriptedGenerate(
        [
            _result("valid", REFERENCE, attempts=1, tokens=10),  # alpha
            _result("invalid", HALF_RIGHT, attempts=2, tokens=10),  # beta
            _result("valid", HALF_RIGHT, attempts=1, tokens=10),  # delta
            BackendError("server went away"),  # gamma
        ]
    )
    report = evaluate(suite, cases, ["fake"], ["two-step"], 1, generate)
    assert [r.style for r in report.runs] == [PLAIN, "table", "narrative", "narrative"]
    assert [(a.case, a.style) for a in report.per_case] == [
        ("alpha", PLAIN), ("beta", "table"), ("delta", "narrative"), ("gamma", "narrative"),
    ]  # fmt: skip
    plain, narrative, table = report.styles  # the suite's own style first, then by name
    assert (plain.style, plain.runs, plain.valid, plain.failed) == (PLAIN, 1, 1, 0)
    assert plain.f1 == pytest.approx({"objects": 1.0, "attributes": 1.0, "references": 1.0})
    assert (narrative.style, narrative.runs, narrative.valid, narrative.failed) == (
        "narrative", 2, 1, 1,
    )  # fmt: skip
    # delta: objects 1, attributes .5, references 1; gamma failed: all 0
    assert narrative.f1 == pytest.approx({"objects": 0.5, "attributes": 0.25, "references": 0.5})
    assert (table.style, table.runs, table.valid, table.validity_rate) == ("table", 1, 0, 0.0)
    assert table.f1["attributes"] == pytest.approx(0.5)
    assert all(a.group == "all" for a in report.styles)
    old, frozen = report.groups  # the frozen group still holds every frozen case
    assert (old.runs, frozen.runs) == (1, 3)
    assert EvalReport.model_validate_json(report.model_dump_json()) == report


def test_a_style_mean_reports_the_median_run_time() -> None:
    def run(style: str, seconds: float) -> RunRecord:
        return RunRecord(
            case=f"c{seconds}", model="m", mode="two-step", run=1, style=style,
            status="valid", valid=True, seconds=seconds, scores=ZERO_SCORES,
        )  # fmt: skip

    records = [run("table", 1.0), run("table", 2.0), run("table", 12.0), run(PLAIN, 50.0)]
    table = aggregate(records, "m", "two-step", style="table")
    assert (table.runs, table.valid, table.median_seconds) == (3, 3, 2.0)
    assert table.seconds == pytest.approx(5.0)  # the mean, pulled up by the slow run
    assert aggregate(records, "m", "two-step").median_seconds == pytest.approx(7.0)
    assert aggregate(records, "m", "two-step", style="outline").median_seconds == 0.0


ZERO_SCORES = {a: {"precision": 0.0, "recall": 0.0, "f1": 0.0} for a in ASPECTS}


def test_discover_selects_by_style_and_by_name(tmp_path: Path) -> None:
    suite = _suite(tmp_path, ("alpha", "beta", "gamma"))
    _restyle(suite, "beta", "table", "alpha")
    _restyle(suite, "gamma", "outline", "alpha")
    assert [c.name for c in discover(suite, styles=["table"])] == ["beta"]
    assert [c.name for c in discover(suite, styles=["outline", PLAIN])] == ["alpha", "gamma"]
    assert [c.name for c in discover(suite, ["alpha", "beta"], ["table"])] == ["beta"]
    with pytest.raises(InputError, match=r"no case has the style 'prose' \(styles there: "):
        discover(suite, styles=["table", "prose"])
    with pytest.raises(InputError, match="no case among those named has the style 'outline'"):
        discover(suite, ["alpha", "beta"], ["outline"])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"style": "Narrative prose"}', r"case\.json: style: String should match pattern"),
        ('{"style": 3}', r"case\.json: style: Input should be a valid string"),
        ('{"rewrite_of": "../alpha"}', r"case\.json: rewrite_of: String should match pattern"),
        ('{"rewrite_of": "omega"}', r"case\.json: rewrite_of names 'omega', no case of"),
    ],
)
def test_a_bad_style_or_original_is_one_clear_input_error(
    tmp_path: Path, text: str, message: str
) -> None:
    suite = _suite(tmp_path, ("alpha", "x"))
    _freeze(suite, "x", text)
    with pytest.raises(InputError, match=message) as exc:
        discover(suite)
    assert "\n" not in exc.value.message


def test_cli_eval_prints_the_styles_apart_and_selects_by_style(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = _suite(tmp_path, ("alpha", "beta", "gamma"))
    _restyle(suite, "beta", "table", "alpha")
    _restyle(suite, "gamma", "outline", "alpha")
    generate = ScriptedGenerate(
        [_result("valid", REFERENCE, 1, 10), _result("invalid", HALF_RIGHT, 1, 10)]
    )
    monkeypatch.setattr(eval_commands, "generate", generate)
    monkeypatch.setattr(eval_commands.out, "width", 240)
    report_file = tmp_path / "report.json"
    args = ["eval", str(suite), "--model", "fake", "--report", str(report_file)]
    result = CliRunner().invoke(app, [*args, "--style", "plain", "--style", "table"])
    assert result.exit_code == 0, result.output
    assert [c["spec"].split("(")[-1] for c in generate.calls] == ["alpha).", "beta)."]
    _, styles = result.output.split("per spec style")
    assert re.search(r"┃\s*style\s*┃\s*model\s*┃\s*mode\s*┃\s*valid\s*┃", styles)
    assert re.search(r"│\s*plain\s*│\s*fake\s*│\s*two-step\s*│\s*1/1\s*│\s*1\.000\s*│", styles)
    assert re.search(r"│\s*table\s*│\s*fake\s*│\s*two-step\s*│\s*0/1\s*│.*│\s*0\.500\s*│", styles)
    assert "outline" not in styles
    report = EvalReport.model_validate_json(report_file.read_text())
    assert [(a.style, a.valid) for a in report.styles] == [(PLAIN, 1), ("table", 0)]

    monkeypatch.setattr(eval_commands, "generate", ScriptedGenerate([generate.outcomes[0]]))
    plain = CliRunner().invoke(app, ["eval", str(suite), "--model", "fake", "--style", "plain"])
    assert plain.exit_code == 0, plain.output
    assert "per spec style" not in plain.output  # one style, the suite's own: nothing apart
    bad = CliRunner().invoke(app, ["eval", str(suite), "--style", "prose"])
    assert isinstance(bad.exception, InputError)
    assert "no case has the style 'prose'" in bad.exception.message


def test_bundled_style_rewrites_restate_their_originals(bundled: list[Case]) -> None:
    """Issue 25's style-robust suite: at least 8 old cases, each rewritten in at least 3 other
    styles, frozen, with the original's metamodel and reference, and every string value the
    original's spec writes out written out in the rewrite too."""
    by_name = {c.name: c for c in bundled}
    rewrites = [c for c in bundled if c.rewrite_of is not None]
    styles_per_original: dict[str, set[str]] = {}
    checked = 0
    for case in rewrites:
        original = by_name[case.rewrite_of or ""]
        assert (original.rewrite_of, original.frozen, original.style) == (None, False, PLAIN)
        assert case.frozen and case.style != PLAIN, case.name
        assert case.name == f"{original.name}--{case.style}"
        assert [p.name for p in case.ecore] == [p.name for p in original.ecore]
        for mine, theirs in zip(case.ecore, original.ecore, strict=True):
            assert mine.read_bytes() == theirs.read_bytes(), mine
        assert case.reference == original.reference, case.name
        for obj in original.reference.objects:
            for feature, value in obj.attributes.items():
                attribute = original.metamodel.classes[obj.class_].feature_map[feature]
                stringly = isinstance(attribute, Attribute) and attribute.type.kind == "string"
                for item in value if isinstance(value, list) else [value]:
                    if stringly and isinstance(item, str) and item in original.spec:
                        assert item in case.spec, (case.name, obj.id, feature, item)
                        checked += 1
        styles_per_original.setdefault(original.name, set()).add(case.style)
    assert len(styles_per_original) >= 8
    assert all(len(s) >= 3 for s in styles_per_original.values()), styles_per_original
    assert checked > 10 * len(rewrites)  # names, codes and titles, not an empty check


def test_the_share_of_checked_values_that_pass_realism_is_reported_per_case(
    tmp_path: Path,
) -> None:
    """The bank's realism checks judge people's names, e-mails, IBANs and BICs: the share of
    those values that pass, per run and per case; None where no value is checked."""
    suite = _suite(tmp_path, ("alpha", "beta"))
    realistic = json.loads(json.dumps(REFERENCE))
    realistic["objects"][0]["attributes"]["bic"] = "DEUTDEFF"
    unrealistic = json.loads(json.dumps(realistic))
    unrealistic["objects"][0]["attributes"]["bic"] = "DEUTXXFF"  # no country XX
    unrealistic["objects"][1]["attributes"]["email"] = "al@@example.org"
    unchecked = {"objects": [{"id": "db", "class": "Bank", "attributes": {}}]}
    outcomes: list[Outcome] = [
        _result("valid", realistic, attempts=1, tokens=10),  # DEUTDEFF, Al: 2 of 2 pass
        _result("valid", unrealistic, attempts=1, tokens=10),  # Al passes: 1 of 3
        _result("valid", unchecked, attempts=1, tokens=10),  # nothing checked
        BackendError("server went away"),
    ]
    report = evaluate(suite, discover(suite), ["fake"], ["two-step"], 2, ScriptedGenerate(outcomes))
    assert [r.realism_rate for r in report.runs] == pytest.approx([1.0, 1 / 3, None, None])
    alpha, beta = report.per_case
    assert (alpha.realism_rate, beta.realism_rate) == (pytest.approx(2 / 3), None)
    assert report.aggregates[0].realism_rate == pytest.approx(2 / 3)
