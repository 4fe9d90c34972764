"""The whole CIM in one answer (typed, strict or generic encoding), continued in parts when
the answer does not fit the model's output limit.

A first attempt asks for every object; a repair shows the previous answer and the issues and
asks only for the objects to change, add or delete, so its output grows with the fix, not with
the model, and whatever was right stays as it was (`parts.merge`). Either answer, cut off at
max_tokens, keeps what it completed and is continued (`prompts/continue.md`) until an answer
ends on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial

from instancegen.service.backends import Capabilities, Message
from instancegen.service.core.cim import Cim, CimObject
from instancegen.service.core.errors import BackendError
from instancegen.service.core.issues import Issue, normalised
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.generation.caller import Caller
from instancegen.service.generation.emfatic import render_metamodel
from instancegen.service.generation.encoding import Encoding
from instancegen.service.generation.parts import merge, written_ids
from instancegen.service.generation.prompting import (
    WHOLE,
    Fit,
    conversation,
    render,
    worked_example,
)

MAX_PARTS = 64  # continuations of one answer; each must add an object, so this only bounds cost


@dataclass
class OneShot:
    """Ask for the CIM in `encoding`; the sliced or whole metamodel `mm` is what is shown."""

    mm: Metamodel
    spec: str
    encoding: Encoding
    caps: Capabilities
    example_encoding: Encoding | None = None  # the same form over the worked example's metamodel

    def messages(
        self, previous: Cim | None = None, issues: Sequence[Issue] = (), fit: Fit = WHOLE
    ) -> list[Message]:
        """The first call's messages; in a repair, followed by the previous answer and issues."""
        return conversation(
            self._example,
            self._request(self.mm, self.spec, self.encoding),
            fit,
            answer=(
                json.dumps(self.encoding.encode(previous), ensure_ascii=False)
                if previous is not None
                else None
            ),
            repair="one_shot_repair.md",
            issues=issues,
        )

    def _continued(
        self, previous: Cim | None, issues: Sequence[Issue], more: list[Message], fit: Fit
    ) -> list[Message]:
        return [*self.messages(previous, issues, fit), *more]

    def _example(self) -> list[Message]:
        ex = worked_example(self.mm)
        if ex is None or self.example_encoding is None:
            return []
        answer = json.dumps(self.example_encoding.encode(ex.cim, ids="needed"), ensure_ascii=False)
        return [
            _message("user", self._request(ex.metamodel, ex.spec, self.example_encoding)),
            _message("assistant", answer),
        ]

    @staticmethod
    def _request(mm: Metamodel, spec: str, encoding: Encoding) -> str:
        return render("one_shot.md", metamodel=render_metamodel(mm), spec=spec, form=encoding.form)

    def answer(
        self, caller: Caller, previous: Cim | None, issues: Sequence[Issue], notes: list[Issue]
    ) -> Cim:
        """The new CIM: the whole answer, or `previous` with a repair answer merged in. An
        object written twice under one id keeps its last version, noted in `notes`."""
        repair = previous is not None
        written: Cim = Cim()
        deleted: list[str] = []
        more: list[Message] = []  # after the first part: what is written, and "continue"
        for number in range(1, MAX_PARTS + 1):
            caller.phase = "model" if number == 1 else f"model, part {number}"
            messages = caller.fitted(partial(self._continued, previous, issues, more))
            schema = self.encoding.response_model(repair=repair, whole=not more)
            data, cut = caller.ask_part(
                messages,
                schema,
                self.caps.output_tokens,
                self.encoding.complete,
                nested=self.encoding.nested,
            )
            taken = {o.id for o in written.objects} | {o.id for o in (previous or Cim()).objects}
            part, gone = self.encoding.decode(data, taken)
            notes += _rewritten(written, part)
            before = len(written.objects)
            written, deleted = merge(written, part), deleted + gone
            if not cut:
                break
            if len(written.objects) == before:
                raise BackendError(
                    f"{caller.backend.model}: a continued answer was cut off without adding "
                    "an object."
                )
            more = [_message("user", render("continue.md", ids=written_ids(written)))]
        else:
            raise BackendError(f"{caller.backend.model}: the answer needed over {MAX_PARTS} parts.")
        return merge(previous or Cim(), written, deleted)


def _rewritten(written: Cim, part: Cim) -> list[Issue]:
    """A `normalised` warning for each object of `part` whose id was already written (in an
    earlier part or earlier in this one): only its last version is kept. A container written
    again to hold more (a nested answer cut inside it, continued) is no rewrite."""
    earlier = {o.id: o for o in written.objects}
    seen = set(earlier)
    notes = []
    for o in part.objects:
        if o.id in seen and not (o.id in earlier and _extends(o, earlier[o.id])):
            notes.append(
                normalised(
                    f"the answer wrote {o.id!r} more than once; its last version was kept.", o.id
                )
            )
        seen.add(o.id)
    return notes


def _extends(new: CimObject, old: CimObject) -> bool:
    """Whether `new` is `old` with more: the same class and attributes, each reference of
    `old` a prefix of the same reference in `new`."""
    return (
        new.class_ == old.class_
        and new.attributes == old.attributes
        and all(new.references.get(k, [])[: len(v)] == v for k, v in old.references.items())
    )


def _message(role: str, content: str) -> Message:
    return {"role": role, "content": content}
