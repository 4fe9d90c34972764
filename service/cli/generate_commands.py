"""`instancegen generate` (spec → valid instance model) and `instancegen prompt` (the messages)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.markup import escape

from instancegen import compilers
from instancegen.service.app.instance_sets import MAX_COUNT, InstanceSet
from instancegen.service.app.request import GenerationRequest, MetamodelPaths, resolve
from instancegen.service.app.run import run
from instancegen.service.app.set_files import write_set
from instancegen.service.backends import DEFAULT_MODEL
from instancegen.service.cli.app import (
    EXIT_BACKEND,
    EXIT_INVALID,
    ConstraintsOption,
    MetamodelOption,
    RealismOption,
    ScopeOption,
    app,
    err,
    fail,
    out,
)
from instancegen.service.cli.compile_commands import (
    IdsOption,
    SchemaLocationOption,
    check_ids,
    compile_options,
)
from instancegen.service.cli.progress import Progress, say_written
from instancegen.service.core.atomic import write_atomic
from instancegen.service.core.cim import Cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.input_files import read_input_text
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.direct import direct_messages
from instancegen.service.generation.options import MAX_SAMPLES, MODES, SAMPLE_TEMPERATURE
from instancegen.service.generation.profile import describe
from instancegen.service.generation.result import GenerationResult
from instancegen.service.generation.strategy import plan_for

NOT_WRITTEN = "the model is invalid (--allow-invalid writes it anyway)"

SpecOption = Annotated[
    str | None, typer.Option("--spec", help="The specification text.", show_default=False)
]
SpecFileOption = Annotated[
    Path | None,
    typer.Option("--spec-file", help="A file holding the specification.", show_default=False),
]
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        help="The LLM: `local` (bundled SmolLM2-135M, offline) or a LiteLLM model string "
        "such as openai/gpt-4o (keys from the provider's usual environment variables).",
    ),
]
ApiBaseOption = Annotated[
    str | None,
    typer.Option(
        "--api-base",
        help="The server URL of an OpenAI-compatible endpoint (llama.cpp, vLLM, Ollama). "
        "Without a key in the environment, a placeholder key is sent.",
    ),
]
ApiKeyEnvOption = Annotated[
    str | None,
    typer.Option(
        "--api-key-env",
        help="The environment variable holding the API key, when not the provider's usual one.",
        show_default=False,
    ),
]
StrategyOption = Annotated[
    str,
    typer.Option(
        "--strategy",
        help="How the LLM is asked. auto: two-phase for the bundled model, strict for "
        "OpenAI, typed for other models, generic when the typed schema is too large; "
        "typed: the whole model in one answer, objects grouped by class; strict: the same "
        "for OpenAI's strict structured outputs; generic: the CIM with free feature maps; "
        "two-phase: objects, then links.",
    ),
]
MaxOutputOption = Annotated[
    int | None,
    typer.Option(
        "--max-output-tokens",
        min=256,
        help="Most tokens one answer may hold, for a model LiteLLM does not know (default "
        "4096; LiteLLM's figure for a known one). Longer answers come in parts. At most 3072 "
        "marks a small model: two-phase then bounds its schemas as for the bundled one.",
        show_default=False,
    ),
]
ContextOption = Annotated[
    int | None,
    typer.Option(
        "--context-tokens",
        min=256,
        help="The model's context window, for a model LiteLLM does not know (default 32768). "
        "No call asks past it; a metamodel whose whole prompt leaves the answer too little "
        "room is sliced to what the spec needs.",
        show_default=False,
    ),
]
SamplesOption = Annotated[
    int,
    typer.Option(
        "--samples",
        min=1,
        max=MAX_SAMPLES,
        help=f"Self-consistency: draw this many first answers at temperature "
        f"{SAMPLE_TEMPERATURE} and keep the "
        "objects, values and links most of them agree on, then validate and repair as usual. "
        "Costs about this many times the first answer's tokens and time.",
    ),
]
ModeOption = Annotated[
    str,
    typer.Option(
        "--mode",
        help="two-step: the LLM fills a typed CIM (the paper's method); "
        "direct: it writes XMI itself (the baseline).",
    ),
]


@app.command("generate")
def generate_command(
    metamodel: MetamodelOption,
    spec: SpecOption = None,
    spec_file: SpecFileOption = None,
    model: ModelOption = DEFAULT_MODEL,
    api_base: ApiBaseOption = None,
    api_key_env: ApiKeyEnvOption = None,
    strategy: StrategyOption = "auto",
    max_output_tokens: MaxOutputOption = None,
    context_tokens: ContextOption = None,
    formats: Annotated[
        list[str] | None,
        typer.Option(
            "--format",
            "-f",
            help="Output format; repeat for several. Default: xmi.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            help="Output file. With several formats: this name's stem plus each format's "
            "extension. Without it, the one format goes to stdout.",
            show_default=False,
        ),
    ] = None,
    max_repairs: Annotated[
        int, typer.Option("--max-repairs", min=0, help="Repair rounds after the first attempt.")
    ] = 3,
    report: Annotated[
        Path | None,
        typer.Option(
            "--report",
            help="Write a JSON report: status, CIM, issues, attempts, tokens, cost.",
            show_default=False,
        ),
    ] = None,
    mode: ModeOption = "two-step",
    allow_invalid: Annotated[
        bool, typer.Option("--allow-invalid", help="Write the output even if it is invalid.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    constraints: ConstraintsOption = None,
    count: Annotated[
        int,
        typer.Option(
            "--count",
            min=1,
            max=MAX_COUNT,
            help="Write this many distinct models (no two isomorphic) as OUT-001.xmi, "
            "OUT-002.xmi, … plus OUT-manifest.json with their diversity; needs -o.",
        ),
    ] = 1,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="typical; boundary (multiplicities and values at their limits); edge "
            "(minimal, degenerate); invalid (exactly one rule broken, the expected finding "
            "in the manifest). Any kind but typical writes a set, like --count.",
        ),
    ] = "typical",
    samples: SamplesOption = 1,
    ids: IdsOption = None,
    schema_location: SchemaLocationOption = False,
    scope: ScopeOption = None,
    realism: RealismOption = "warn",
) -> None:
    """Generate an instance model from a natural-language specification.

    The LLM fills a typed conceptual model, the validator checks it against the metamodel,
    and the issues go back to the LLM until the model is valid or --max-repairs runs out.
    Output is written (atomically) only when valid, unless --allow-invalid. [bold]--scope[/]
    counts are held by the answer's form where it can and checked otherwise; realism
    warnings (--realism warn) are still sent back for repair while repairs are left,
    --realism strict makes them errors; a value the spec states is never changed.

    Exit code 0: valid · 1: still invalid after all attempts (issues on stderr) · 2: bad
    input · 3: the LLM backend failed (refused, timed out, unauthorised, unusable output).

    Examples:

      [bold]instancegen generate -m bank.ecore --spec-file spec.txt -o bank.xmi[/]

      [bold]instancegen generate -m bank.ecore --spec 'A bank' --model openai/gpt-4o \\
        -f xmi -f svg -o out/bank[/]

      (writes out/bank.xmi and out/bank.svg)

      [bold]instancegen generate -m bank.ecore --spec 'A bank' --count 5 \\
        --kind boundary -o out/bank[/]

      (writes out/bank-001.xmi … out/bank-005.xmi, out/bank-manifest.json)

      [bold]instancegen generate -m bank.ecore --spec-file spec.txt \\
        --model openai/llama-3.1-70b --api-base http://127.0.0.1:8080/v1 \\
        --max-output-tokens 8192 --context-tokens 32768[/]

      (a local OpenAI-compatible server: no key needed; answers longer
      than 8,192 tokens come in parts)

      [bold]instancegen generate -m bank.ecore --spec-file spec.txt \\
        --samples 3 -o bank.xmi[/]

      (three answers drawn, voted into one: "consensus of 3 samples: kept 5
      of 7 objects")

      [bold]instancegen generate -m bank.ecore --spec-file spec.txt -o bank.xmi \\
        --schema-location --ids xmi[/]

      (Eclipse's reflective editor opens bank.xmi without the metamodel
      registered)
    """
    try:
        check_ids(ids)
        text = read_spec(spec, spec_file)
        chosen = formats or ["xmi"]
        wants_set = count > 1 or kind != "typical"
        if wants_set and output is None:
            raise InputError("--count and --kind write several files: name them with -o OUT.")
        targets = _targets(chosen, output)
        request = GenerationRequest.of(
            metamodel=MetamodelPaths(paths=[str(p) for p in metamodel]),
            constraints=read_constraints(constraints),
            spec=text,
            **llm_options(
                model, api_base, api_key_env, strategy, max_output_tokens, context_tokens
            ),
            **{"format": chosen, "max_repairs": max_repairs, "mode": mode},
            **{"samples": samples, "count": count, "kind": kind},
            **{"scope": scope or [], "realism": realism},
        )
        mm = resolve(request)  # here, for the output options too
        progress = None if quiet else Progress(err)
        try:
            outcome = run(request, progress.on_event if progress else None, metamodel=mm)
        finally:
            if progress:
                progress.stop()
    except InputError as exc:
        raise fail(exc.message) from None
    except BackendError as exc:
        raise fail(f"LLM backend failed: {exc.message}", EXIT_BACKEND) from None
    options = compile_options(mm, ids, schema_location, metamodel, output)
    if isinstance(outcome, InstanceSet):
        assert output is not None
        _finish_set(outcome, mm, output, text, quiet, options)
        return
    if report is not None:
        write_atomic(report, outcome.model_dump_json(by_alias=True, indent=2).encode("utf-8"))
    valid = outcome.status == "valid"
    _print_issues(outcome.issues)  # a valid model's warnings too (`normalised`: what was changed)
    written = []
    if valid or allow_invalid:
        written = _write(_recompiled(outcome.artifacts, outcome.cim, mm, options), targets)
    if not quiet:
        _summary(outcome)
        say_written(err, written, NOT_WRITTEN)
    if not valid:
        raise typer.Exit(EXIT_INVALID)


def llm_options(
    model: str,
    api_base: str | None,
    api_key_env: str | None,
    strategy: str,
    max_output_tokens: int | None,
    context_tokens: int | None,
) -> dict[str, Any]:
    """The options every command calling an LLM takes, as a request's fields."""
    return {
        "model": model,
        "api_base": api_base,
        "api_key_env": api_key_env,
        "strategy": strategy,
        "max_output_tokens": max_output_tokens,
        "context_tokens": context_tokens,
    }


def read_constraints(paths: list[Path] | None) -> dict[str, str] | None:
    """`--constraints` files as the request carries them: text by file name."""
    read = {str(p): read_input_text(p, what="a Complete OCL file") for p in paths or ()}
    return read or None


@app.command("prompt")
def prompt_command(
    metamodel: MetamodelOption,
    spec: SpecOption = None,
    spec_file: SpecFileOption = None,
    mode: ModeOption = "two-step",
    model: ModelOption = DEFAULT_MODEL,
    api_base: ApiBaseOption = None,
    strategy: StrategyOption = "auto",
    max_output_tokens: MaxOutputOption = None,
    context_tokens: ContextOption = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the messages as a JSON list.")
    ] = False,
    constraints: ConstraintsOption = None,
) -> None:
    """Print the exact messages the first LLM call gets from --model; no LLM is called.

    The strategy chosen for that model (and why, its token budget, any metamodel slice) is
    printed on stderr. For two-phase that is the objects phase; the links phase's messages
    depend on the objects the LLM declares. The schema sent with them:
    [bold]instancegen schema --model M[/].

    Examples:

      [bold]instancegen prompt -m metamodels/bank/bank.ecore --spec 'A bank'[/]

      [bold]instancegen prompt -m bank.ecore --spec 'A bank' --model openai/gpt-4o[/]
    """
    try:
        mm = load_metamodel(metamodel, constraints or ())
        text = read_spec(spec, spec_file)
        if mode not in MODES:
            raise InputError(f"unknown --mode {mode!r}; use two-step or direct.")
        if mode == "direct":
            messages = direct_messages(mm, text.strip())
        else:
            chosen = plan_for(
                mm,
                text,
                model,
                api_base=api_base,
                strategy=strategy,
                max_output_tokens=max_output_tokens,
                context_tokens=context_tokens,
            )
            messages = chosen.first_request()[0]
            err.print(escape(chosen.describe()), highlight=False)
    except InputError as exc:
        raise fail(exc.message) from None
    if as_json:
        typer.echo(json.dumps(messages, indent=2, ensure_ascii=False))
        return
    for m in messages:
        out.print(f"[bold cyan]── {m['role']} ──[/]")
        out.print(escape(m["content"]), highlight=False)


def _finish_set(
    result: InstanceSet,
    mm: Metamodel,
    output: Path,
    spec: str,
    quiet: bool,
    options: dict[str, Any],
) -> None:
    """A set's members (compiled again with `--ids`/`--schema-location`) and manifest
    written; what could not be made said."""
    for member in result.members:
        member.artifacts = _recompiled(member.artifacts, member.cim, mm, options)
    manifest = write_set(result, output, spec)[0]
    for problem in result.problems:
        err.print(f"[yellow]note:[/] {escape(problem)}", highlight=False)
    if not quiet:
        spread = f", diversity {result.diversity:.3f}" if result.diversity is not None else ""
        err.print(
            f"{len(result.members)} of {result.count} {result.kind} model(s) written{spread}; "
            f"manifest {manifest}",
            highlight=False,
        )
    if result.status != "complete":
        raise typer.Exit(EXIT_INVALID)


def read_spec(spec: str | None, spec_file: Path | None) -> str:
    if (spec is None) == (spec_file is None):
        raise InputError("give the specification with exactly one of --spec or --spec-file.")
    if spec_file is None:
        return cast(str, spec)
    return read_input_text(spec_file, what="a specification file")


def _targets(formats: list[str], output: Path | None) -> dict[str, Path | None]:
    """Where each format goes: OUT itself for one format; OUT's stem + each extension for
    several (two formats sharing an extension are refused); stdout without -o."""
    if len(set(formats)) != len(formats):
        raise InputError("each --format may be given once.")
    if len(formats) == 1:
        compilers.get(formats[0])
        return {formats[0]: output}
    if output is None:
        raise InputError("several --format values need -o to name the output files.")
    paths: dict[str, Path | None] = {
        f: output.with_suffix(f".{compilers.get(f).extension}") for f in formats
    }
    if len(set(paths.values())) != len(paths):
        raise InputError(f"formats {', '.join(formats)} share a file extension; ask one at a time.")
    return paths


def _recompiled(
    artifacts: dict[str, str], cim: Cim | None, mm: Metamodel, options: dict[str, Any]
) -> dict[str, str]:
    """The artifacts compiled again with `--ids` / `--schema-location`, when given. A format
    that cannot write the model so keeps the artifact generation made, and says so."""
    if cim is None or not any(options.values()):
        return artifacts
    again = dict(artifacts)
    for fmt in artifacts:
        try:
            again[fmt] = compilers.get(fmt).compile(cim, mm, **options).decode("utf-8")
        except InputError as exc:
            err.print(
                f"[yellow]warning:[/] {fmt} written without --ids/--schema-location: "
                f"{escape(exc.message)}",
                highlight=False,
            )
    return again


def _write(artifacts: dict[str, str], targets: dict[str, Path | None]) -> list[str]:
    """Each format to its file (or stdout); where each went."""
    written = []
    for fmt, path in targets.items():
        data = artifacts.get(fmt)
        if data is None:
            err.print(f"[yellow]warning:[/] the model cannot be written as {fmt}.")
        elif path is None:
            typer.echo(data, nl=not data.endswith("\n"))
            written.append(f"{fmt} to stdout")
        else:
            write_atomic(path, data.encode("utf-8"))
            written.append(str(path))
    return written


def _print_issues(issues: list[Issue]) -> None:
    for i in issues:
        style = "red" if i.severity == "error" else "yellow"
        where = ".".join(x for x in (i.object, i.feature) if x)
        place = escape(f"[{i.code}] " + (f"{where}: " if where else ""))
        hint = f" [dim]→ {escape(i.hint)}[/]" if i.hint else ""
        err.print(
            f"[{style}]{i.severity}[/] {place}{escape(i.message)}{hint}",
            highlight=False,
        )


def _summary(result: GenerationResult) -> None:
    u = result.usage
    cost = f", ${u.cost:.4f}" if u.cost is not None else ""
    verdict = "[bold green]valid[/]" if result.status == "valid" else "[bold red]invalid[/]"
    objects = len(result.cim.objects) if result.cim else 0
    err.print(
        f"{verdict}: {objects} objects after {len(result.attempts)} attempt(s); "
        f"tokens {u.prompt_tokens:,} in, {u.completion_tokens:,} out{cost}",
        highlight=False,
    )
    if result.strategy_reason:
        err.print(escape(result.strategy_reason), style="dim", highlight=False)
    if result.profile:
        err.print(escape(describe(result.profile)), style="dim", highlight=False)
