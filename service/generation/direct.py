"""The paper's baseline (`--mode direct`): the LLM writes XMI itself, no schema; what it wrote
is read back into a CIM and validated, and XMI that cannot be read is a finding to repair
(`unparseable-xmi`), not a crash.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from instancegen import compilers
from instancegen.service.backends.base import Message
from instancegen.service.core.errors import InputError
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.engine import Outcome
from instancegen.service.generation.judging import Judge
from instancegen.service.generation.prompting import (
    WHOLE,
    conversation,
    render,
    user,
    worked_example,
)
from instancegen.service.generation.strategy import Plan
from instancegen.service.resources.model_io import read_model


@dataclass
class Direct:
    """The baseline's attempt: XMI written by the LLM, read back and validated."""

    plan: Plan
    judge: Judge

    def attempt(self, caller: Caller, last: Outcome | None) -> Outcome:
        mm = self.plan.full
        previous: str | None = last.answer if last is not None else None
        issues = last.issues if last is not None else []
        text = _direct_text(mm, self.plan.shown)
        messages = caller.fitted(
            lambda fit: conversation(
                lambda: _direct_example(mm),
                text,
                fit,
                answer=previous,
                repair="direct_repair.md",
                issues=issues,
            )
        )
        caller.phase = "xmi"
        xmi = extract_xmi(caller.call(messages, None, caller.caps.output_tokens, 0.0).text)
        try:
            cim = read_model(xmi.encode("utf-8"), "answer.xmi", mm)
        except InputError as exc:
            issue = Issue(
                code="unparseable-xmi",
                message=exc.message,
                hint="Write one complete, well-formed XMI document for this metamodel.",
            )
            return Outcome(None, [issue], xmi)
        with caller.profiler.work("validation", "validation"):
            found = self.judge.issues(cim)
        return Outcome(cim, found, xmi)


def direct_messages(mm: Metamodel, spec: str) -> list[Message]:
    """The first call's messages, asking for XMI itself (`instancegen prompt --mode direct`);
    a repair shows the previous XMI and what was wrong (`Direct.attempt`)."""
    return conversation(lambda: _direct_example(mm), _direct_text(mm, spec), WHOLE)


def _direct_example(mm: Metamodel) -> list[Message]:
    ex = worked_example(mm)
    if ex is None:
        return []
    xmi = compilers.get("xmi").compile(ex.cim, ex.metamodel).decode("utf-8")
    return [user(_direct_text(ex.metamodel, ex.spec)), {"role": "assistant", "content": xmi}]


def _direct_text(mm: Metamodel, spec: str) -> str:
    pkg = mm.packages[0]
    return render(
        "direct.md",
        metamodel=render_metamodel(mm),
        spec=spec,
        ns_uri=pkg.ns_uri,
        ns_prefix=pkg.ns_prefix,
    )


_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


def extract_xmi(text: str) -> str:
    """The XML document in an answer, without Markdown fences or chatter around it."""
    fenced = _FENCE.search(text)
    if fenced:
        text = fenced.group(1)
    start, end = text.find("<"), text.rfind(">")
    return text[start : end + 1] if 0 <= start < end else text.strip()
