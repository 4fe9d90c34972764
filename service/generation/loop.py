"""The generate → validate → repair loop behind `service.generate(...)`, the CLI and the API.

It knows no strategy's internals: the plan (`strategy.py`) says how to ask, the asker answers
with a CIM (or, in direct mode, XMI), the validator judges it against the whole metamodel,
and while errors remain and repairs are left, the asker gets its previous answer and the
issues. With `samples` k > 1 the first attempt draws k answers warm and votes them into one
(`consensus.py`); repairs are asked as usual. Direct mode (the paper's baseline) asks for XMI
itself and imports it; XMI that cannot be read is an issue to repair, not a crash. An answer
that never parses is the backend's failure: BackendError.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from instancegen import compilers
from instancegen.service.backends import Backend
from instancegen.service.core import limits as limits_mod
from instancegen.service.core.checks.audit import GENERATION_REALISM
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.issues import Issue, has_errors
from instancegen.service.core.json_text import check_sendable
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.search import search
from instancegen.service.core.validator import validate
from instancegen.service.generation import consensus
from instancegen.service.generation.budget import prompt_tokens
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.prompting import direct_messages
from instancegen.service.generation.result import (
    Attempt,
    Event,
    EventType,
    GenerationFailed,
    GenerationResult,
    Usage,
)
from instancegen.service.generation.slicing import widen
from instancegen.service.generation.strategy import Plan, plan_for
from instancegen.service.generation.two_phase.objects_schema import spec_choices
from instancegen.service.generation.two_phase.spec_facts import ground
from instancegen.service.resources.model_io import read_model

Mode = Literal["two-step", "direct"]
MODES: tuple[Mode, ...] = ("two-step", "direct")
MAX_SAMPLES = 9  # each sample costs a whole first answer: one request's cost stays bounded
SAMPLE_TEMPERATURE = 0.7
"""What self-consistency samples at: warm enough that a small model's slips differ between
draws (so the vote can outvote them), cool enough that what the spec states still recurs.
Repairs stay at the caller's usual temperature 0."""


def run(
    metamodel: Metamodel,
    spec: str,
    backend: Backend,
    *,
    model: str = "local",
    api_base: str | None = None,
    formats: Sequence[str] = ("xmi",),
    max_repairs: int = 3,
    mode: Mode = "two-step",
    on_event: Callable[[Event], None] | None = None,
    strategy: str = "auto",
    max_output_tokens: int | None = None,
    context_tokens: int | None = None,
    samples: int = 1,
) -> GenerationResult:
    """Generate an instance model of `metamodel` for `spec` with `backend`, repairing up to
    `max_repairs` times; with `samples` k > 1 the first answer is the vote of k drawn ones.
    Raises InputError for bad arguments and BackendError when the LLM fails."""
    spec = spec.strip()
    if not spec:
        raise InputError("the specification is empty.")
    limits_mod.current().check("max_spec_chars", len(spec), "the specification's length")
    check_sendable(spec, "the specification")
    if max_repairs < 0:
        raise InputError(f"max_repairs must be 0 or more, not {max_repairs}.")
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}; use two-step or direct.")
    if not 1 <= samples <= MAX_SAMPLES:
        raise InputError(f"samples must be between 1 and {MAX_SAMPLES}, not {samples}.")
    if samples > 1 and mode == "direct":
        raise InputError("samples above 1 need mode two-step: direct answers are not voted.")
    for fmt in formats:
        compilers.get(fmt)  # an unknown format fails before any LLM call
    chosen = plan_for(
        metamodel,
        spec,
        model,
        api_base=api_base,
        strategy=strategy,
        max_output_tokens=max_output_tokens,
        context_tokens=context_tokens,
    )
    return _Run(metamodel, spec, Caller(backend), on_event, chosen, samples).loop(
        model, mode, max_repairs + 1, formats
    )


@dataclass
class _Outcome:
    cim: Cim | None
    issues: list[Issue]
    previous: Any  # what the next repair shows the LLM: the CIM, or the XMI text


@dataclass
class _Run:
    mm: Metamodel
    spec: str
    caller: Caller
    on_event: Callable[[Event], None] | None
    plan: Plan
    samples: int = 1
    consensus_note: str | None = None  # what the vote kept, once it ran

    def loop(
        self, model: str, mode: Mode, max_attempts: int, formats: Sequence[str]
    ) -> GenerationResult:
        step = self._ask if mode == "two-step" else self._direct
        outcome = _Outcome(None, [], None)
        attempts: list[Attempt] = []
        for n in range(1, max_attempts + 1):
            kind: Literal["generate", "repair"] = "generate" if n == 1 else "repair"
            self._emit("attempt_started", n, kind=kind, of=max_attempts)
            if kind == "repair":
                self._emit("repair_sent", n, issue_count=len(outcome.issues))
            c = self.caller
            tokens, started = (c.prompt_tokens, c.completion_tokens), time.perf_counter()
            try:
                outcome = step(outcome.previous, outcome.issues)
            except BackendError as exc:
                raise GenerationFailed(exc, self._usage()) from exc
            attempts.append(
                Attempt(
                    number=n,
                    kind=kind,
                    prompt_tokens=c.prompt_tokens - tokens[0],
                    completion_tokens=c.completion_tokens - tokens[1],
                    seconds=round(time.perf_counter() - started, 3),
                    issue_count=len(outcome.issues),
                )
            )
            if outcome.issues:
                self._emit(
                    "issues_found",
                    n,
                    issue_count=len(outcome.issues),
                    issues=[i.model_dump() for i in outcome.issues],
                )
            if outcome.cim is not None and not has_errors(outcome.issues):
                break
        if mode == "two-step":
            outcome = self._search_invariants(outcome)
        valid = outcome.cim is not None and not has_errors(outcome.issues)
        result = GenerationResult(
            status="valid" if valid else "invalid",
            model=model,
            mode=mode,
            strategy=self.plan.strategy if mode == "two-step" else None,
            strategy_reason=self.plan.describe() if mode == "two-step" else None,
            cim=outcome.cim,
            artifacts=self._artifacts(outcome.cim, formats, valid),
            issues=outcome.issues,
            attempts=attempts,
            usage=self._usage(),
            samples=self.samples,
            consensus=self.consensus_note,
            answer_xmi=outcome.previous if mode == "direct" else None,
        )
        self._emit("finished", len(attempts), status=result.status, issue_count=len(result.issues))
        return result

    def _search_invariants(self, outcome: _Outcome) -> _Outcome:
        """The last resort for invariants no answer met: a bounded search for single edits
        that make them hold (`service.core.ocl.search`), trying the spec's values first. Each kept
        edit is a `normalised` warning; the model is validated again."""
        if outcome.cim is None or not any(i.code == "invariant" for i in outcome.issues):
            return outcome
        grounding = ground(self.mm, self.spec)
        found = search(
            self.mm,
            outcome.cim,
            offered=lambda key, attr: spec_choices(self.mm.classes[key], attr, grounding),
        )
        if not found.notes:
            return outcome
        earlier = [i for i in outcome.issues if i.code == "normalised"]  # the answers' notes
        return _Outcome(found.cim, found.issues + earlier + found.notes, found.cim)

    def _usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.caller.prompt_tokens,
            completion_tokens=self.caller.completion_tokens,
            cost=_total_cost(self.caller.costs),
        )

    # --- the two modes ------------------------------------------------------------------------

    def _ask(self, previous: Cim | None, issues: list[Issue]) -> _Outcome:
        if previous is not None and self.plan.slice is not None:
            self._widen(previous, issues)
        notes: list[Issue] = []  # what was changed in the answers, as `normalised` warnings
        if previous is None and self.samples > 1:
            cim = self._vote(notes)
        else:
            cim = self.plan.asker().answer(self.caller, previous, issues, notes)
        return _Outcome(cim, validate(self.mm, cim, realism=GENERATION_REALISM) + notes, cim)

    def _vote(self, notes: list[Issue]) -> Cim:
        """The first answer as the vote of `samples` answers drawn at SAMPLE_TEMPERATURE. What
        the vote drops is the software choosing among the LLM's own answers, so it is one
        `consensus` event and the result's `consensus`, not `normalised` warnings; the pivot
        sample's own warnings are kept, as the consensus is built around its answer. A warm
        draw may ramble past the token cap or never parse: that sample is left out of the
        vote (and said); the provider failing (timeout, HTTP status) or every sample failing
        is the backend's failure, as for one answer."""
        drawn: list[tuple[Cim, list[Issue]]] = []
        failed: list[BackendError] = []
        with self.caller.sampling(SAMPLE_TEMPERATURE):
            for _ in range(self.samples):
                own: list[Issue] = []
                try:
                    drawn.append((self.plan.asker().answer(self.caller, None, [], own), own))
                except BackendError as exc:
                    if exc.timeout or exc.status is not None:
                        raise
                    failed.append(exc)
        if not drawn:
            raise failed[0]
        voted = consensus.vote(self.mm, [cim for cim, _ in drawn])
        notes += drawn[voted.pivot][1]
        self.consensus_note = (
            f"consensus of {voted.samples} samples: kept {voted.objects_kept} of "
            f"{voted.objects_proposed} objects"
        )
        if failed:
            self.consensus_note += (
                f" ({len(failed)} of {self.samples} samples had no usable answer: "
                f"{failed[0].message.rstrip('.')})"
            )
        self._emit(
            "consensus",
            1,
            samples=voted.samples,
            failed_samples=len(failed),
            objects_kept=voted.objects_kept,
            objects_proposed=voted.objects_proposed,
            message=self.consensus_note,
        )
        return voted.cim

    def _widen(self, previous: Cim, issues: list[Issue]) -> None:
        """Add to the slice the classes the issues turn out to need (a required reference's
        target, an object's class the LLM could not have written)."""
        assert self.plan.slice is not None
        wanted = {o.class_ for o in previous.objects}
        for i in issues:  # messages and hints name the classes they need
            text = f"{i.message} {i.hint or ''}"
            wanted.update(w for w in re.findall(r"[A-Za-z_][\w.]*", text) if w in self.mm.classes)
        wider = widen(self.plan.slice, wanted)
        if wider is not self.plan.slice:
            self.plan = Plan(
                self.plan.strategy, self.plan.reason, self.plan.budget, self.mm, wider, self.spec
            )

    def _direct(self, previous: str | None, issues: list[Issue]) -> _Outcome:
        messages = direct_messages(self.mm, self.spec, previous=previous, issues=issues)
        max_tokens = self.plan.budget.answer_tokens(prompt_tokens(messages))
        xmi = extract_xmi(self.caller.call(messages, None, max_tokens, 0.0).text)
        try:
            cim = read_model(xmi.encode("utf-8"), "answer.xmi", self.mm)
        except InputError as exc:
            issue = Issue(
                code="unparseable-xmi",
                message=exc.message,
                hint="Write one complete, well-formed XMI document for this metamodel.",
            )
            return _Outcome(None, [issue], xmi)
        return _Outcome(cim, validate(self.mm, cim, realism=GENERATION_REALISM), xmi)

    def _emit(self, type_: EventType, attempt: int, **data: Any) -> None:
        if self.on_event is None:
            return
        data["prompt_tokens"] = self.caller.prompt_tokens
        data["completion_tokens"] = self.caller.completion_tokens
        self.on_event(Event(type=type_, attempt=attempt, data=data))

    def _artifacts(self, cim: Cim | None, formats: Sequence[str], valid: bool) -> dict[str, str]:
        """Each requested format; for an invalid model, those that can still express it."""
        if cim is None:
            return {}
        artifacts = {}
        for fmt in formats:
            try:
                artifacts[fmt] = compilers.get(fmt).compile(cim, self.mm).decode("utf-8")
            except InputError:
                if valid:
                    raise
        return artifacts


_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


def extract_xmi(text: str) -> str:
    """The XML document in an answer, without Markdown fences or chatter around it."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("<"), text.rfind(">")
    return text[start : end + 1] if 0 <= start < end else text.strip()


def _total_cost(costs: list[float | None]) -> float | None:
    known = [c for c in costs if c is not None]
    return round(sum(known), 6) if known else None
