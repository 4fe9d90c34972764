"""The paper's experiment, repeatable: generate every case of a suite and grade the results.

A suite is a folder of case folders, each holding its `.ecore` file(s), `spec.txt` and a
`reference.json` (CIM) or `reference.xmi`, and optionally a `case.json` whose `"frozen": true`
marks a case held out from tuning: its means are also reported apart from the old cases', so a
change tuned to the old cases shows up as a gap between the two. Its `"style"` names how the spec
is written (`plain`, the suite's own declarative sentences, when absent) and `"rewrite_of"` the
case whose facts a rewrite restates in that style; every style present gets means of its own, so
a reading of the spec that holds only for one way of writing shows up too. For every case × model ×
mode × run this records the validator's verdict, optionally EMF's (through a caller-supplied
hook, since the EMF harness needs Java and lives with the tests), the scores against the
reference, attempts, tokens and seconds. A backend failure is a failed run with zero scores,
charged the tokens its calls before the failure spent; the eval goes on. Optional Complete OCL
`.ocl` files in a case folder add invariants to the metamodel's.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from statistics import fmean, median
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, ValidationError

from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.checks.audit import audit
from instancegen.service.core.cim import Cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.input_files import read_input_text
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.check import check_invariants
from instancegen.service.eval.scoring import ZERO_SCORE, score
from instancegen.service.generation.options import Mode
from instancegen.service.generation.profile import PhaseTime, summed
from instancegen.service.generation.result import GenerationFailed, GenerationResult, Usage
from instancegen.service.resources.model_io import read_model_file

ASPECTS = ("objects", "attributes", "references")
REFERENCE_NAMES = ("reference.json", "reference.xmi")
CASE_META = "case.json"
Group = Literal["all", "old", "frozen"]
"""Which cases a mean is over: all of them, the old (tunable) ones, or the frozen ones."""
GROUPS: tuple[Group, ...] = ("old", "frozen")
PLAIN = "plain"
"""The suite's own spec style (plain declarative sentences): a case's style when it names none."""
CaseName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]
StyleName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]


class CaseMeta(BaseModel):
    """A case's optional `case.json`."""

    model_config = ConfigDict(extra="forbid")
    frozen: StrictBool = False  # held out from tuning; reported apart
    style: StyleName = PLAIN  # how the spec is written; reported per style
    rewrite_of: CaseName | None = None  # the suite case whose facts this spec restates


@dataclass(frozen=True)
class Case:
    """One suite case, loaded and checked before any LLM call is made."""

    name: str
    ecore: tuple[Path, ...]
    spec: str
    metamodel: Metamodel
    reference: Cim
    frozen: bool = False
    style: str = PLAIN
    rewrite_of: str | None = None


Generate = Callable[..., GenerationResult]
"""`instancegen.generate` or a stand-in: (metamodel, spec, *, model, mode, **options), the
options a `GenerationRequest`'s fields."""


EmfHook = Callable[[Case, GenerationResult], bool]
"""Does real EMF load this result's model without errors? False when there is no model."""


class RunRecord(BaseModel):
    """One generation of one case, graded."""

    case: str
    model: str
    mode: Mode
    run: int
    frozen: bool = False  # the case is a frozen one
    style: str = PLAIN  # the case's spec style
    status: Literal["valid", "invalid", "failed"]
    valid: bool
    emf_valid: bool | None = None  # None: not checked
    error: str | None = None  # the backend failure of a failed run
    issue_codes: list[str] = Field(default_factory=list)
    normalised: int = 0  # `normalised` warnings: changes generation made to the LLM's answers
    # Of the metamodel's evaluated OCL invariants, the share the generated model satisfies on
    # every object; None when there are none, or no model was produced.
    invariant_rate: float | None = None
    # Of the generated model's values that realism checks judge (`service.core.checks`), the
    # share that pass them all; None when no model was produced or no value was checked.
    realism_rate: float | None = None
    objects: int = 0  # objects in the generated model
    samples: int = 1  # first answers drawn and voted (`--samples`); tokens and seconds cover all
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    seconds: float = 0.0  # wall clock of the whole generation
    llm_seconds: float = 0.0  # of that, waiting for the LLM
    reused_prompt_tokens: int = 0  # prompt tokens the backend took from its cache
    profile: list[PhaseTime] = Field(default_factory=list)  # where the seconds went
    scores: dict[str, dict[str, float]]


class Aggregate(BaseModel):
    """Means over a group of runs (one model × mode, optionally one case or group of cases)."""

    model: str
    mode: Mode
    case: str | None = None  # None: over every case of `group`
    group: Group = "all"  # of one case: the group it belongs to
    style: str | None = None  # None: every style; of one case: its style
    runs: int
    samples: int = 1  # first answers drawn per run
    failed: int
    valid: int = 0  # runs that ended valid
    validity_rate: float
    emf_validity_rate: float | None  # None: EMF never checked
    invariant_rate: float | None = None  # mean over the runs that have one
    realism_rate: float | None = None  # mean over the runs that have one
    f1: dict[str, float]  # mean F1 per aspect
    attempts: float
    normalised: float = 0.0  # mean `normalised` warnings per run
    prompt_tokens: float
    completion_tokens: float
    seconds: float
    median_seconds: float = 0.0
    max_seconds: float = 0.0  # the slowest run
    reused_prompt_tokens: float = 0.0  # mean per run, of `prompt_tokens`
    profile: list[PhaseTime] = Field(default_factory=list)  # the runs' phases, summed
    cost: float | None  # total USD, where the provider's prices are known


class EvalReport(BaseModel):
    """Everything `instancegen eval --report` writes."""

    suite: str
    created: str
    models: list[str]
    modes: list[Mode]
    runs_per_case: int
    samples: int = 1  # first answers drawn and voted per run (`--samples`)
    cases: list[str]
    frozen_cases: list[str] = Field(default_factory=list)
    runs: list[RunRecord]
    per_case: list[Aggregate]
    aggregates: list[Aggregate]  # over all cases
    groups: list[Aggregate] = Field(default_factory=list)  # old and frozen cases apart
    styles: list[Aggregate] = Field(default_factory=list)  # per spec style, `plain` first


def discover(suite: Path, only: Sequence[str] = (), styles: Sequence[str] = ()) -> list[Case]:
    """Load the suite's cases (all, or those named in `only`; of those, the ones written in
    one of `styles`, when given), in name order."""
    suite = Path(suite)
    if not suite.is_dir():
        raise InputError(f"{suite}: no such suite folder.")
    folders = {p.name: p for p in sorted(suite.iterdir()) if p.is_dir()}
    unknown = [name for name in only if name not in folders]
    if unknown:
        raise InputError(f"{suite}: no case named {', '.join(map(repr, unknown))}.")
    chosen = [folders[n] for n in sorted(set(only))] if only else list(folders.values())
    metas = {p: _read_meta(p / CASE_META) for p in chosen}
    for folder, meta in metas.items():
        if meta.rewrite_of is not None and meta.rewrite_of not in folders:
            raise InputError(
                f"{folder / CASE_META}: rewrite_of names {meta.rewrite_of!r}, no case of {suite}."
            )
    if styles:
        present = sorted({m.style for m in metas.values()})
        missing = [s for s in dict.fromkeys(styles) if s not in present]
        if missing and metas:
            among = " among those named" if only else ""
            raise InputError(
                f"{suite}: no case{among} has the style {', '.join(map(repr, missing))} "
                f"(styles there: {', '.join(present)})."
            )
        chosen = [p for p in chosen if metas[p].style in styles]
    cases = [_load_case(p, metas[p]) for p in chosen]
    if not cases:
        raise InputError(f"{suite}: holds no case folders.")
    return cases


def styles_of(cases: Iterable[Case]) -> list[str]:
    """The spec styles of these cases, the suite's own (`plain`) first, then by name."""
    return sorted({c.style for c in cases}, key=lambda s: (s != PLAIN, s))


def _load_case(folder: Path, meta: CaseMeta) -> Case:
    ecore = tuple(sorted(folder.glob("*.ecore")))
    spec_file = folder / "spec.txt"
    reference = next((folder / n for n in REFERENCE_NAMES if (folder / n).is_file()), None)
    if not ecore:
        raise InputError(f"{folder}: a case needs at least one .ecore file.")
    if not spec_file.is_file():
        raise InputError(f"{folder}: a case needs a spec.txt.")
    if reference is None:
        raise InputError(f"{folder}: a case needs a reference.json or reference.xmi.")
    metamodel = load_metamodel(ecore, sorted(folder.glob("*.ocl")))
    return Case(
        name=folder.name,
        ecore=ecore,
        spec=read_input_text(spec_file, what="a specification file"),
        metamodel=metamodel,
        reference=read_model_file(reference, metamodel),
        frozen=meta.frozen,
        style=meta.style,
        rewrite_of=meta.rewrite_of,
    )


def _read_meta(path: Path) -> CaseMeta:
    if not path.is_file():
        return CaseMeta()
    try:
        return CaseMeta.model_validate_json(read_input_text(path, what="a case.json file"))
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(map(str, error["loc"]))
        raise InputError(
            f"{path}: {where + ': ' if where else ''}{error['msg']} "
            '(expected a JSON object such as {"frozen": true}).'
        ) from None


def run_case(
    case: Case,
    model: str,
    mode: Mode,
    run: int,
    generate: Generate,
    emf_check: EmfHook | None = None,
    **options: Any,
) -> RunRecord:
    """Generate once and grade it; a backend failure becomes a failed run."""
    started = time.perf_counter()
    try:
        result = generate(case.metamodel, case.spec, model=model, mode=mode, **options)
    except BackendError as exc:
        spent = exc.usage if isinstance(exc, GenerationFailed) else Usage()
        return RunRecord(
            case=case.name, model=model, mode=mode, run=run, frozen=case.frozen,
            style=case.style, status="failed", valid=False, samples=options.get("samples", 1),
            error=exc.message, seconds=time.perf_counter() - started,
            prompt_tokens=spent.prompt_tokens, completion_tokens=spent.completion_tokens,
            cost=spent.cost, scores=ZERO_SCORE.to_json(),
        )  # fmt: skip
    seconds = time.perf_counter() - started
    graded = score(case.metamodel, case.reference, result.cim) if result.cim else ZERO_SCORE
    return RunRecord(
        case=case.name,
        model=model,
        mode=mode,
        run=run,
        frozen=case.frozen,
        style=case.style,
        status=result.status,
        valid=result.status == "valid",
        emf_valid=emf_check(case, result) if emf_check else None,
        issue_codes=[i.code for i in result.issues if i.severity == "error"],
        normalised=sum(i.code == "normalised" for i in result.issues),
        invariant_rate=(
            check_invariants(case.metamodel, result.cim.objects).satisfaction_rate
            if result.cim
            else None
        ),
        realism_rate=audit(case.metamodel, result.cim.objects).passed_share if result.cim else None,
        objects=len(result.cim.objects) if result.cim else 0,
        samples=result.samples,
        attempts=len(result.attempts),
        prompt_tokens=result.usage.prompt_tokens,
        completion_tokens=result.usage.completion_tokens,
        cost=result.usage.cost,
        seconds=seconds,
        llm_seconds=sum(a.seconds for a in result.attempts),
        reused_prompt_tokens=result.usage.reused_prompt_tokens,
        profile=result.profile,
        scores=graded.to_json(),
    )


def evaluate(
    suite: Path,
    cases: Sequence[Case],
    models: Sequence[str],
    modes: Sequence[Mode],
    runs: int,
    generate: Generate,
    emf_check: EmfHook | None = None,
    on_run: Callable[[RunRecord], None] | None = None,
    **options: Any,
) -> EvalReport:
    """Every case × model × mode, `runs` times; `options` go to `generate` (e.g. api_base,
    samples)."""
    if runs < 1:
        raise InputError("--runs must be at least 1.")
    records: list[RunRecord] = []
    for model in models:
        for mode in modes:
            for case in cases:
                for n in range(1, runs + 1):
                    record = run_case(case, model, mode, n, generate, emf_check, **options)
                    records.append(record)
                    if on_run:
                        on_run(record)
    pairs = [(m, md) for m in models for md in modes]
    present = [g for g in GROUPS if any(c.frozen == (g == "frozen") for c in cases)]
    return EvalReport(
        suite=str(suite),
        created=datetime.now(UTC).isoformat(timespec="seconds"),
        models=list(models),
        modes=list(modes),
        runs_per_case=runs,
        samples=options.get("samples", 1),
        cases=[c.name for c in cases],
        frozen_cases=[c.name for c in cases if c.frozen],
        runs=records,
        per_case=[
            aggregate(records, m, md, c.name, "frozen" if c.frozen else "old", c.style)
            for m, md in pairs
            for c in cases
        ],
        aggregates=[aggregate(records, m, md) for m, md in pairs],
        groups=[aggregate(records, m, md, group=g) for m, md in pairs for g in present],
        styles=[aggregate(records, m, md, style=s) for m, md in pairs for s in styles_of(cases)],
    )


def aggregate(
    records: Iterable[RunRecord],
    model: str,
    mode: Mode,
    case: str | None = None,
    group: Group = "all",
    style: str | None = None,
) -> Aggregate:
    """Means over the runs of one model × mode (and one case, group or style, when given)."""
    chosen = [
        r for r in records
        if r.model == model and r.mode == mode and (case is None or r.case == case)
        and (group == "all" or r.frozen == (group == "frozen"))
        and (style is None or r.style == style)
    ]  # fmt: skip
    checked = [r.emf_valid for r in chosen if r.emf_valid is not None]
    rates = [r.invariant_rate for r in chosen if r.invariant_rate is not None]
    realism = [r.realism_rate for r in chosen if r.realism_rate is not None]
    costs = [r.cost for r in chosen if r.cost is not None]

    def mean(values: Iterable[float]) -> float:
        listed = list(values)
        return fmean(listed) if listed else 0.0

    return Aggregate(
        model=model,
        mode=mode,
        case=case,
        group=group,
        style=style,
        runs=len(chosen),
        samples=max((r.samples for r in chosen), default=1),
        failed=sum(r.status == "failed" for r in chosen),
        valid=sum(r.valid for r in chosen),
        validity_rate=mean(float(r.valid) for r in chosen),
        emf_validity_rate=mean(map(float, checked)) if checked else None,
        invariant_rate=mean(rates) if rates else None,
        realism_rate=mean(realism) if realism else None,
        f1={a: mean(r.scores[a]["f1"] for r in chosen) for a in ASPECTS},
        attempts=mean(r.attempts for r in chosen),
        normalised=mean(r.normalised for r in chosen),
        prompt_tokens=mean(r.prompt_tokens for r in chosen),
        completion_tokens=mean(r.completion_tokens for r in chosen),
        seconds=mean(r.seconds for r in chosen),
        median_seconds=median(r.seconds for r in chosen) if chosen else 0.0,
        max_seconds=max((r.seconds for r in chosen), default=0.0),
        reused_prompt_tokens=mean(r.reused_prompt_tokens for r in chosen),
        profile=summed([r.profile for r in chosen]),
        cost=sum(costs) if costs else None,
    )


def write_chart(report: EvalReport, path: Path) -> None:
    """Grouped bars, models × modes: validity rate and mean F1 per aspect (PNG, Agg)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InputError("--chart needs matplotlib: pip install 'instancegen[chart]'.") from None
    panels = ["validity", *ASPECTS]
    fig, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3.6), sharey=True)
    width = 0.8 / len(report.modes)
    by_key = {(a.model, a.mode): a for a in report.aggregates}
    centres = [i + width * (len(report.modes) - 1) / 2 for i in range(len(report.models))]
    for ax, panel in zip(axes, panels, strict=True):
        for k, mode in enumerate(report.modes):
            groups = [by_key[(m, mode)] for m in report.models]
            ys = [g.validity_rate if panel == "validity" else g.f1[panel] for g in groups]
            ax.bar([i + k * width for i in range(len(groups))], ys, width, label=mode)
        ax.set_title("validity rate" if panel == "validity" else f"{panel} F1 (mean)")
        ax.set_xticks(centres, report.models, rotation=15)
        ax.set_ylim(0, 1)
    axes[0].legend()
    cases = f"{len(report.cases)} cases × {report.runs_per_case} run(s)"
    fig.suptitle(f"{Path(report.suite).name}: {cases}")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
