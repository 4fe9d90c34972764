"""One generation on the engine: a spec → an instance model, for `app.run` (every entry point).

It knows no strategy's internals: the plan (`strategy.py`) says how to ask, the asker answers
with a CIM (or, in direct mode, XMI), the validator judges it against the whole metamodel,
and the engine repairs while errors remain and attempts are left. With `samples` k > 1 the
first attempt draws k answers warm and votes them into one (`consensus.py`); repairs are
asked as usual. Direct mode (the paper's baseline) asks for XMI itself and imports it; XMI
that cannot be read is an issue to repair, not a crash. An answer that never parses is the
backend's failure: BackendError. Invariants no answer met get a last, bounded search for
single edits (`core.ocl.search`), trying the spec's values first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from instancegen import compilers
from instancegen.service.backends import Backend, Capabilities
from instancegen.service.core.cim import Cim
from instancegen.service.core.errors import BackendError, InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.ocl.search import search
from instancegen.service.generation import consensus
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.direct import Direct
from instancegen.service.generation.engine import Engine, Outcome
from instancegen.service.generation.judging import Judge
from instancegen.service.generation.one_shot import OneShot
from instancegen.service.generation.options import SAMPLE_TEMPERATURE, Options
from instancegen.service.generation.profile import Profiler
from instancegen.service.generation.result import Event, GenerationResult
from instancegen.service.generation.slicing import widen
from instancegen.service.generation.strategy import Plan, plan
from instancegen.service.generation.two_phase.objects_schema import spec_choices
from instancegen.service.generation.two_phase.spec_facts import SpecFacts, read_facts
from instancegen.service.generation.two_phase.strategy import TwoPhase


def generate_model(
    metamodel: Metamodel,
    spec: str,
    backend: Backend,
    caps: Capabilities,
    options: Options,
    *,
    model: str,
    on_event: Callable[[Event], None] | None = None,
) -> GenerationResult:
    """An instance model of `metamodel` for `spec` from `backend` (a model that can do
    `caps`, named `model` in the result), asked as `options` say (the application's request,
    already checked). Raises InputError for a strategy that does not exist and BackendError
    when the LLM fails."""
    spec = spec.strip()
    chosen = plan(
        metamodel, spec, caps, strategy=options.strategy, note=options.note, scopes=options.scopes
    )
    chosen = replace(chosen, named_entries=options.named_entries)
    engine = Engine(
        Caller(backend, caps, floor=options.warmth, draws=options.draws, avoid=dict(options.avoid)),
        on_event,
    )
    profiler = engine.caller.profiler
    reading = _Reading(spec, profiler)
    judge = Judge(metamodel, spec, options.realism, options.scopes, _known(chosen, reading))
    two_step = options.mode == "two-step"
    step: _Modelling | Direct = (
        _Modelling(chosen, reading, options.samples, engine, judge)
        if two_step
        else Direct(chosen, judge)
    )
    last = engine.run(step, options.max_repairs + 1)
    if two_step:
        last = _search_invariants(metamodel, last, reading, judge, profiler)
    valid = last.valid
    fitted = "; prompts cut to fit the context: " + "; ".join(engine.caller.notes)
    result = GenerationResult(
        status="valid" if valid else "invalid",
        model=model,
        mode=options.mode,
        strategy=chosen.strategy if two_step else None,
        strategy_reason=(
            chosen.describe() + fitted * bool(engine.caller.notes) if two_step else None
        ),
        cim=last.cim,
        artifacts=_artifacts(metamodel, last.cim, options.formats, valid, profiler),
        issues=last.issues,
        attempts=engine.attempts,
        usage=engine.usage(),
        samples=options.samples,
        consensus=step.consensus_note if isinstance(step, _Modelling) else None,
        answer_xmi=None if two_step else last.answer,
        profile=profiler.rows(),
    )
    engine.finish(result.status, len(result.issues))
    return result


@dataclass
class _Reading:
    """What the spec states, read once per metamodel shown (the whole one, or a slice)."""

    spec: str
    profiler: Profiler
    read: dict[str, SpecFacts] = field(default_factory=dict)

    def of(self, mm: Metamodel) -> SpecFacts:
        if mm.content_hash not in self.read:
            with self.profiler.work("spec reading"):
                self.read[mm.content_hash] = read_facts(mm, self.spec)
        return self.read[mm.content_hash]


def _known(chosen: Plan, reading: _Reading) -> frozenset[Any]:
    """The values the two-phase strategy read from the spec (its `SpecFacts`): stated, as
    whatever appears in the spec verbatim is (`judging.stated_by`)."""
    if chosen.strategy != "two-phase":
        return frozenset()
    facts = reading.of(chosen.metamodel)
    return frozenset((*facts.strings, *facts.numbers, *facts.dates))


@dataclass
class _Modelling:
    """The two-step method's attempt: the strategy's asker writes a CIM, validated against
    the whole metamodel; a repair first widens a slice to the classes its findings need."""

    plan: Plan
    reading: _Reading
    samples: int
    engine: Engine
    judge: Judge
    consensus_note: str | None = None  # what the vote kept, once it ran
    asker: OneShot | TwoPhase = field(init=False)

    def __post_init__(self) -> None:
        self.asker = self.plan.asker(self.reading.of)

    def attempt(self, caller: Caller, last: Outcome | None) -> Outcome:
        previous: Cim | None = last.answer if last is not None else None
        issues = last.issues if last is not None else []
        if previous is not None and self.plan.slice is not None:
            self._widen(previous, issues)
        notes: list[Issue] = []  # what was changed in the answers, as `normalised` warnings
        if previous is None and self.samples > 1:
            cim = self._vote(caller, notes)
        else:
            cim = self.asker.answer(caller, previous, issues, notes)
        with caller.profiler.work("validation", "validation"):
            found = self.judge.issues(cim)
        return Outcome(cim, found + notes, cim)

    def _vote(self, caller: Caller, notes: list[Issue]) -> Cim:
        """The first answer as the vote of `samples` answers drawn at SAMPLE_TEMPERATURE. What
        the vote drops is the software choosing among the LLM's own answers, so it is one
        `consensus` event and the result's `consensus`, not `normalised` warnings; the pivot
        sample's own warnings are kept, as the consensus is built around its answer. A warm
        draw may ramble past the token cap or never parse: that sample is left out of the
        vote (and said); the provider failing (timeout, HTTP status) or every sample failing
        is the backend's failure, as for one answer."""
        drawn: list[tuple[Cim, list[Issue]]] = []
        failed: list[BackendError] = []
        with caller.sampling(SAMPLE_TEMPERATURE):
            for _ in range(self.samples):
                own: list[Issue] = []
                try:
                    drawn.append((self.asker.answer(caller, None, [], own), own))
                except BackendError as exc:
                    if exc.timeout or exc.status is not None:
                        raise
                    failed.append(exc)
        if not drawn:
            raise failed[0]
        voted = consensus.vote(self.plan.full, [cim for cim, _ in drawn])
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
        self.engine.emit(
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
        full = self.plan.full
        wanted = {o.class_ for o in previous.objects}
        for i in issues:  # messages and hints name the classes they need
            text = f"{i.message} {i.hint or ''}"
            wanted.update(w for w in re.findall(r"[A-Za-z_][\w.]*", text) if w in full.classes)
        wider = widen(self.plan.slice, wanted)
        if wider is not self.plan.slice:
            self.plan = replace(self.plan, slice=wider)
            self.asker = self.plan.asker(self.reading.of)


def _search_invariants(
    mm: Metamodel, last: Outcome, reading: _Reading, judge: Judge, profiler: Profiler
) -> Outcome:
    """The last resort for invariants no answer met: a bounded search for single edits that
    make them hold (`core.ocl.search`), trying the spec's values first. Each kept edit is a
    `normalised` warning; the model is judged again."""
    if last.cim is None or not any(i.code == "invariant" for i in last.issues):
        return last
    stated = reading.of(mm)
    with profiler.work("invariant search"):
        found = search(
            mm, last.cim, offered=lambda key, attr: spec_choices(mm.classes[key], attr, stated)
        )
    if not found.notes:
        return last
    earlier = [i for i in last.issues if i.code == "normalised"]  # the answers' notes
    return Outcome(found.cim, judge.issues(found.cim) + earlier + found.notes, found.cim)


def _artifacts(
    mm: Metamodel, cim: Cim | None, formats: Sequence[str], valid: bool, profiler: Profiler
) -> dict[str, str]:
    """Each requested format; for an invalid model, those that can still express it."""
    if cim is None:
        return {}
    artifacts = {}
    for fmt in formats:
        try:
            with profiler.work("compile", "compile"):
                artifacts[fmt] = compilers.get(fmt).compile(cim, mm).decode("utf-8")
        except InputError:
            if valid:
                raise
    return artifacts
