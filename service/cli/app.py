"""The Typer application every command module registers on, and its error boundary.

Exit codes (DESIGN.md): 0 ok, 1 model invalid, 2 bad input or usage, 3 LLM/backend failure,
4 internal error (one line; `--debug` anywhere on the command line shows the traceback).
"""

from __future__ import annotations

import inspect
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.version import installed_version

EXIT_OK, EXIT_INVALID, EXIT_INPUT, EXIT_BACKEND, EXIT_INTERNAL = 0, 1, 2, 3, 4
DEBUG_FLAG = "--debug"

app = typer.Typer(
    name="instancegen",
    help=(
        "Turn an Ecore metamodel plus a natural-language spec into an instance model that "
        "Eclipse EMF loads.\n\n"
        "Start with:  instancegen inspect -m model.ecore   then   "
        "instancegen generate -m model.ecore --spec 'A bank with two accounts'\n\n"
        "Exit codes: 0 ok, 1 model invalid, 2 bad input, 3 LLM backend failed, 4 internal "
        "error (add --debug anywhere to see its traceback)."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    context_settings={"help_option_names": ["-h", "--help"]},
)

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _print_version(asked: bool) -> None:
    if asked:
        typer.echo(f"instancegen {installed_version()}")
        raise typer.Exit(EXIT_OK)


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="Print instancegen's version and exit.",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Options that come before the command."""


MetamodelOption = Annotated[
    list[Path],
    typer.Option(
        "-m",
        "--metamodel",
        help="An .ecore file; repeat for metamodels split over several files.",
        show_default=False,
    ),
]

ConstraintsOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--constraints",
        help="A Complete OCL file (context Patient inv AgeInRange: self.age <= 130) whose "
        "invariants are checked as well as the .ecore's own; repeat for several.",
        show_default=False,
    ),
]

RealismOption = Annotated[
    Realism,
    typer.Option(
        "--realism",
        help="What a value failing a realism check is: warn (an `unrealistic` warning), "
        "strict (an error) or off (not checked).",
    ),
]
ScopeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--scope",
        help="Class=N, Class=MIN..MAX, Class=MIN.. or Class=..MAX: how many objects of the "
        "class (its subclasses' included) the model must have; repeatable.",
        show_default=False,
    ),
]


def fail(message: str, code: int = EXIT_INPUT) -> typer.Exit:
    """Print one clear line on stderr and return the Exit to raise (`message` is plain text:
    brackets in it, as in `pip install 'instancegen[local]'`, are printed as they are)."""
    err.print(f"[bold red]error:[/] {escape(message)}", highlight=False, markup=True)
    return typer.Exit(code)


def reflow_help(typer_app: typer.Typer) -> None:
    """Join the lines of each paragraph of every command's help after the first (Typer keeps
    their line breaks, so a terminal narrower than the source wraps mid-sentence); indented
    lines (examples) keep theirs."""
    for command in typer_app.registered_commands:
        text = command.help or inspect.getdoc(command.callback) or ""
        command.help = "\n\n".join(_joined(p) for p in text.split("\n\n"))


def _joined(paragraph: str) -> str:
    lines: list[str] = []
    for line in paragraph.split("\n"):
        kept = not lines or not line or line[0].isspace() or lines[-1][:1].isspace()
        if kept or lines[-1].endswith("\\"):
            lines.append(line)
        else:
            lines[-1] = f"{lines[-1]} {line}"
    return "\n".join(lines)


def main() -> None:
    """Console-script entry point: known failures become one line and an exit code; anything
    else is an internal error, one line and exit 4 (the traceback with --debug)."""
    debug = DEBUG_FLAG in sys.argv[1:]
    if debug:
        sys.argv.remove(DEBUG_FLAG)
    try:
        app()
    except InputError as exc:
        err.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        sys.exit(EXIT_INPUT)
    except BackendError as exc:
        err.print(f"[bold red]LLM backend failed:[/] {escape(exc.message)}", highlight=False)
        sys.exit(EXIT_BACKEND)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as exc:
        if debug:
            traceback.print_exc()
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        hint = "" if debug else f"; rerun with {DEBUG_FLAG} for the traceback"
        err.print(
            f"[bold red]internal error:[/] {escape(f'{type(exc).__name__}: {first}')} "
            f"(a bug in instancegen{hint})",
            highlight=False,
        )
        sys.exit(EXIT_INTERNAL)
