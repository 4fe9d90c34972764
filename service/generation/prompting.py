"""What every strategy's messages are made of: the plain-text templates in `prompts/`, the
worked examples, the findings as the LLM reads them, and how a prompt is cut to fit (`Fit`).
Each strategy builds its own messages from these (`two_phase.prompts`, `one_shot`, `direct`,
`editing`).

Templates are read with importlib.resources so an installed wheel finds them, and filled with
`string.Template` (`$name`), which leaves the JSON braces in them alone. Each request carries
one worked example from a different bundled metamodel, as a user/assistant pair in the same
shape as the real request: a small model copies a demonstrated answer far more reliably than
it follows a description of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from string import Template

from instancegen.service.backends.base import Message
from instancegen.service.core.cim import Cim, parse_cim
from instancegen.service.core.ecore_loader import load_metamodel
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel


@dataclass(frozen=True)
class Example:
    """A bundled case: metamodel, specification and a reference model that fits both."""

    name: str
    metamodel: Metamodel
    spec: str
    cim: Cim


@cache
def template(name: str) -> Template:
    """A template from the `prompts` package (e.g. `generate.md`)."""
    return Template(files("instancegen.prompts").joinpath(name).read_text(encoding="utf-8"))


def render(name: str, **values: str) -> str:
    return template(name).substitute(values).strip()


@cache
def _examples() -> tuple[Example, ...]:
    listed = files("instancegen.prompts").joinpath("examples.txt").read_text(encoding="utf-8")
    cases = [ln.strip() for ln in listed.splitlines() if ln.strip() and not ln.startswith("#")]
    result = []
    for case in cases:
        folder = files("instancegen.metamodels").joinpath(case)
        ecores = {f.name: f.read_bytes() for f in folder.iterdir() if f.name.endswith(".ecore")}
        result.append(
            Example(
                name=case,
                metamodel=load_metamodel(ecores),
                spec=folder.joinpath("spec.txt").read_text(encoding="utf-8").strip(),
                cim=parse_cim(folder.joinpath("reference.json").read_bytes(), case),
            )
        )
    return tuple(result)


def worked_example(mm: Metamodel) -> Example | None:
    """The first listed example whose packages share no namespace with `mm`'s."""
    uris = {p.ns_uri for p in mm.packages}
    for example in _examples():
        if not uris & {p.ns_uri for p in example.metamodel.packages}:
            return example
    return None


@dataclass(frozen=True)
class Fit:
    """How much of a prompt is kept when the whole does not fit the model's context: the
    worked example or not, and every finding or only the first `findings`. The spec, the
    metamodel shown and the latest answer are always kept."""

    example: bool = True
    findings: int | None = None

    def describe(self) -> str:
        cuts = ([] if self.example else ["without the worked example"]) + (
            [] if self.findings is None else [f"findings capped at {self.findings}"]
        )
        return ", ".join(cuts)


WHOLE = Fit()
FITS = (WHOLE, Fit(findings=20), Fit(example=False, findings=20), Fit(example=False, findings=5))
"""What the engine tries, in order, until a prompt leaves room for its answer."""


def render_issues(issues: Sequence[Issue], most: int | None = None) -> str:
    """One line per issue: where, what, and the hint; past `most`, how many more there are."""
    lines = []
    for i in issues[:most]:
        where = ".".join(x for x in (i.object, i.feature) if x)
        hint = f" ({i.hint})" if i.hint else ""
        lines.append(f"- [{i.code}] {where + ': ' if where else ''}{i.message}{hint}")
    if most is not None and len(issues) > most:
        lines.append(f"- … and {len(issues) - most} more, reported again once these are fixed")
    return "\n".join(lines)


def conversation(
    example: Callable[[], list[Message]],
    request: str,
    fit: Fit,
    *,
    answer: str | None = None,
    repair: str = "",
    issues: Sequence[Issue] = (),
) -> list[Message]:
    """One ask: the system message, the worked `example` (unless `fit` leaves it out), the
    `request`; in a repair, the latest `answer` and the `repair` template with its findings
    (never the earlier attempts)."""
    messages = [system(), *(example() if fit.example else []), user(request)]
    if answer is not None:
        messages.append({"role": "assistant", "content": answer})
        messages.append(user(render(repair, issues=render_issues(issues, fit.findings))))
    return messages


def system() -> Message:
    return {"role": "system", "content": render("system.txt")}


def user(text: str) -> Message:
    return {"role": "user", "content": text}
