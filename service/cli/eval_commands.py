"""`instancegen score` and `instancegen eval`: measure generated models against references."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated, cast

import typer
from rich.table import Table

from instancegen import compilers
from instancegen.service import backends
from instancegen.service.app.run import generate
from instancegen.service.cli.app import MetamodelOption, app, err, out
from instancegen.service.cli.generate_commands import (
    ApiKeyEnvOption,
    ContextOption,
    MaxOutputOption,
    SamplesOption,
    StrategyOption,
)
from instancegen.service.cli.progress import Progress, say_written
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import InputError
from instancegen.service.eval.evaluation import (
    ASPECTS,
    PLAIN,
    Aggregate,
    Case,
    EmfHook,
    Mode,
    RunRecord,
    discover,
    evaluate,
    write_chart,
)
from instancegen.service.eval.scoring import Score, score
from instancegen.service.generation.options import MODES
from instancegen.service.generation.result import GenerationResult
from instancegen.service.resources.model_io import read_model_file


def _score_table(result: Score) -> Table:
    table = Table(title="candidate vs reference")
    for col in ("aspect", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "aspect" else "right")
    for aspect, m in result.to_json().items():
        table.add_row(aspect, *(f"{m[k]:.3f}" for k in ("precision", "recall", "f1")))
    return table


@app.command("score")
def score_command(
    metamodel: MetamodelOption,
    reference: Annotated[Path, typer.Argument(help="The reference model (CIM .json or .xmi).")],
    candidate: Annotated[Path, typer.Argument(help="The model to grade (CIM .json or .xmi).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Precision, recall and F1 of a candidate model's objects, attributes and references.

    Objects are aligned one-to-one by class and content, never by id.

    Example:  instancegen score -m bank.ecore reference.json generated.xmi
    """
    mm = load_metamodel(metamodel)
    result = score(mm, read_model_file(reference, mm), read_model_file(candidate, mm))
    if as_json:
        out.print_json(json.dumps(result.to_json()))
    else:
        out.print(_score_table(result))


def _emf_hook() -> EmfHook | None:
    """Real EMF's verdict (`eval.emf_judge`); without Java or EMF's jars, EMF validity is
    recorded as null."""
    from instancegen.service.eval import emf_judge

    if not emf_judge.emf_available():
        return None

    def check(case: Case, result: GenerationResult) -> bool:
        # Direct mode is judged on the XMI the LLM wrote, not on our compilation of it.
        xmi, cim = result.answer_xmi or result.artifacts.get("xmi"), result.cim
        try:
            if xmi is not None:
                data = xmi.encode()
            elif cim is not None:
                data = compilers.get("xmi").compile(cim, case.metamodel)
            else:
                return False  # nothing to load
        except InputError:
            return False  # the model cannot even be written as XMI
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"{case.name}.xmi"
            path.write_bytes(data)
            try:
                (verdict,) = emf_judge.emf_check(case.ecore, [path])
            except emf_judge.EmfHarnessError as exc:
                raise InputError(f"the EMF harness failed on {case.name}: {exc}") from None
        return bool(verdict.ok)

    return check


def _run_line(r: RunRecord) -> str:
    f1 = " ".join(f"{a[:3]} {r.scores[a]['f1']:.2f}" for a in ASPECTS)
    what = r.error if r.status == "failed" else f"F1 {f1}"
    return f"{r.case} · {r.model} · {r.mode} · run {r.run}: {r.status}, {what} ({r.seconds:.1f} s)"


def _rate(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def _aggregate_table(title: str, rows: list[Aggregate]) -> Table:
    table = Table(title=title)
    by_case = any(a.case for a in rows)
    by_group = any(a.group == "frozen" for a in rows)
    voted = any(a.samples > 1 for a in rows)
    columns = ["case"] * by_case + ["cases"] * by_group + ["model", "mode", "runs"]
    columns += ["samples"] * voted + ["valid"]
    columns += ["EMF valid", "OCL inv", "realistic", *(f"F1 {a}" for a in ASPECTS)]
    columns += ["attempts", "normalised", "tokens in", "reused", "tokens out"]
    columns += ["seconds", "median s", "slowest s"]
    for col in columns:
        left = col in ("case", "cases", "model", "mode")
        table.add_column(col, justify="left" if left else "right")
    for a in rows:
        cells = [a.case or ""] * by_case + [a.group] * by_group + [a.model, a.mode, str(a.runs)]
        cells += [str(a.samples)] * voted
        cells += [_rate(a.validity_rate), _rate(a.emf_validity_rate), _rate(a.invariant_rate)]
        cells.append(_rate(a.realism_rate))
        cells += [f"{a.f1[x]:.3f}" for x in ASPECTS]
        cells += [f"{a.attempts:.1f}", f"{a.normalised:.1f}"]
        cells += [f"{a.prompt_tokens:.0f}", f"{a.reused_prompt_tokens:.0f}"]
        cells.append(f"{a.completion_tokens:.0f}")
        cells += [f"{a.seconds:.1f}", f"{a.median_seconds:.1f}", f"{a.max_seconds:.1f}"]
        table.add_row(*cells)
    return table


def _style_table(rows: list[Aggregate]) -> Table:
    """Per spec style: valid runs, mean F1 per aspect and the median seconds of a run."""
    table = Table(title="per spec style")
    columns = ["style", "model", "mode", "valid", *(f"F1 {a}" for a in ASPECTS), "median s"]
    columns.append("slowest s")
    for col in columns:
        table.add_column(col, justify="left" if col in ("style", "model", "mode") else "right")
    for a in rows:
        f1 = [f"{a.f1[x]:.3f}" for x in ASPECTS]
        valid = f"{a.valid}/{a.runs}"
        seconds = [f"{a.median_seconds:.1f}", f"{a.max_seconds:.1f}"]
        table.add_row(a.style or "", a.model, a.mode, valid, *f1, *seconds)
    return table


def _profile_table(rows: list[Aggregate]) -> Table:
    """Where the time went, per model × mode: each phase's seconds over all runs, its share,
    and how an LLM phase's seconds split (prompt evaluation, decoding, grammar building)."""
    table = Table(title="time profile (all runs)")
    columns = ["model", "mode", "phase", "seconds", "share", "prompt s", "decode s"]
    columns += ["grammar s", "validation s", "compile s", "calls", "tokens in", "reused"]
    for col in columns:
        table.add_column(col, justify="left" if col in ("model", "mode", "phase") else "right")
    for a in rows:
        total = sum(p.seconds for p in a.profile) or 1.0
        for p in a.profile:
            table.add_row(
                a.model, a.mode, p.phase, f"{p.seconds:.1f}", f"{p.seconds / total:.0%}",
                f"{p.prompt_seconds:.1f}", f"{p.decode_seconds:.1f}", f"{p.grammar_seconds:.2f}",
                f"{p.validation_seconds:.2f}", f"{p.compile_seconds:.2f}", str(p.calls),
                f"{p.prompt_tokens:,}", f"{p.reused_tokens:,}",
            )  # fmt: skip
    return table


@app.command("eval")
def eval_command(
    suite: Annotated[
        Path, typer.Argument(help="A folder of case folders (.ecore, spec.txt, reference).")
    ],
    model: Annotated[
        list[str],
        typer.Option("--model", help="The LLM (`local` or a LiteLLM string); repeatable."),
    ] = ["local"],  # noqa: B006  (typer reads the default; it is never mutated)
    mode: Annotated[
        list[str],
        typer.Option(
            "--mode", help="two-step (CIM, the paper's method) or direct (XMI); repeatable."
        ),
    ] = ["two-step"],  # noqa: B006
    runs: Annotated[int, typer.Option("--runs", min=1, help="Generations per case.")] = 1,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", min=0, help="Repair attempts after the first.")
    ] = 3,
    report: Annotated[
        Path | None, typer.Option("--report", help="Write every run and mean as JSON.")
    ] = None,
    chart: Annotated[
        Path | None, typer.Option("--chart", help="Plot models × modes to a PNG.")
    ] = None,
    api_base: Annotated[
        str | None, typer.Option("--api-base", help="OpenAI-compatible server URL.")
    ] = None,
    cases: Annotated[
        str | None, typer.Option("--cases", help="Only these cases, comma-separated.")
    ] = None,
    style: Annotated[
        list[str] | None,
        typer.Option(
            "--style", help="Only cases whose spec is written in this style (plain, …); repeatable."
        ),
    ] = None,
    emf: Annotated[
        bool, typer.Option("--emf", help="Also ask real EMF (needs Java and the source checkout).")
    ] = False,
    samples: SamplesOption = 1,
    api_key_env: ApiKeyEnvOption = None,
    strategy: StrategyOption = "auto",
    max_output_tokens: MaxOutputOption = None,
    context_tokens: ContextOption = None,
) -> None:
    """Generate every case of a suite and grade it against its reference model.

    "OCL inv" is the invariant-satisfaction rate: of the metamodel's evaluated OCL
    invariants (annotations, and any .ocl file in the case folder), the share the model
    satisfies on every object; "—" where a case has none. "realistic" is the share of the
    model's values that realism checks judge (IBAN, e-mail, dates, names, …; see
    [bold]instancegen inspect[/]) and that pass them; "—" where none is checked.

    A case whose case.json says {"frozen": true} is held out from tuning: besides the
    overall means, the old and the frozen cases get means of their own.

    A case.json may also name the spec's "style" (plain, the suite's own sentences, when
    absent); when any other style runs, each style gets a row of its own: valid runs, mean
    F1 and median seconds. --style selects by style, --cases by name; given both, a case
    must match both.

    Example:  instancegen eval metamodels/suite --mode two-step --mode direct --report r.json

    Self-consistency's cost and gain: run it once per --samples value (1, 3, 5) and compare
    validity, F1, tokens and seconds; tokens and seconds cover every sample.
    """
    bad = [m for m in mode if m not in MODES]
    if bad:
        raise InputError(f"--mode must be two-step or direct, not {bad[0]!r}.")
    for name in model:  # an unknown model or a missing key: refused before any case runs
        backends.check_model(name, api_base, api_key_env=api_key_env)
    only = [c.strip() for c in cases.split(",") if c.strip()] if cases else []
    loaded = discover(suite, only, style or ())
    hook = _emf_hook() if emf else None
    if emf and hook is None:
        err.print("warning: EMF harness or Java not found; emf_valid is recorded as null")
    options: dict[str, object] = {"max_repairs": max_repairs}
    given = {
        "api_base": api_base,
        "api_key_env": api_key_env,
        "strategy": None if strategy == "auto" else strategy,
        "max_output_tokens": max_output_tokens,
        "context_tokens": context_tokens,
        "samples": samples if samples > 1 else None,
    }
    options.update({k: v for k, v in given.items() if v is not None})
    progress = Progress(err, lines=False)  # each run's line is its verdict
    try:
        result = evaluate(
            suite, loaded, model, [cast(Mode, m) for m in mode], runs, generate, hook,
            on_run=lambda r: err.print(_run_line(r), highlight=False),
            on_event=progress.on_event, **options,
        )  # fmt: skip
    finally:
        progress.stop()
    out.print(_aggregate_table("per case", result.per_case))
    out.print(_aggregate_table("overall", result.aggregates))
    if result.frozen_cases:  # frozen cases are held out from tuning: their means stand apart
        out.print(_aggregate_table("old and frozen cases apart", result.groups))
    if any(a.style != PLAIN for a in result.styles):  # other ways of writing the same facts
        out.print(_style_table(result.styles))
    if any(a.profile for a in result.aggregates):
        out.print(_profile_table(result.aggregates))
    if report:
        write_atomic(report, result.model_dump_json(indent=2).encode())
    if chart:
        write_chart(result, chart)
    written = [str(p) for p in (report, chart) if p]
    say_written(err, written, "no --report or --chart asked for")
