"""How generation judges an answer: the validator over the whole metamodel with the request's
realism level and scopes, and the one rule for what the spec states.

A value the spec states is never changed for realism: an IBAN the user wrote with a wrong
checksum is what they want in the model. `stated_by` says whether a value is one the spec
states (it appears in the spec verbatim, or among the values the two-phase strategy read from
it); the validator keeps the finding on such a value a warning hinted `KEPT_HINT`, so a
repair leaves it alone. Any other `unrealistic` finding is the LLM's to fix: under `strict`
an error, which makes the model invalid until it is fixed; under `warn` a warning, shown with
the errors in a repair (the LLM may fix it then), which alone asks for no repair: a valid
model is not asked again for its values' sake.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.cim import Cim
from instancegen.service.core.issues import Issue
from instancegen.service.core.metamodel import Metamodel
from instancegen.service.core.scope import Scope
from instancegen.service.core.validator import validate

_SPACES = re.compile(r"\s+")


def stated_by(spec: str, value: Any, known: Collection[Any] = ()) -> bool:
    """Whether `spec` states `value`: a string (spaces collapsed) or number found in it as
    written, standing apart from the words around it, or one of the values `known` to be
    read from it. Booleans, empty strings and lists are never stated as a whole."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return False
    if value in known:
        return True
    text = _SPACES.sub(" ", str(value)).strip()
    if not text:
        return False
    said = _SPACES.sub(" ", spec)
    return re.search(rf"(?<![\w]){re.escape(text)}(?![\w])", said) is not None


@dataclass(frozen=True)
class Judge:
    """The validation every attempt of one generation gets."""

    mm: Metamodel  # the whole metamodel, whatever slice was shown
    spec: str
    realism: Realism = "warn"
    scopes: tuple[Scope, ...] = ()
    known: frozenset[Any] = frozenset()  # values read from the spec (two-phase's facts)

    def issues(self, cim: Cim) -> list[Issue]:
        return validate(
            self.mm,
            cim,
            realism=self.realism,
            scopes=self.scopes,
            stated=lambda value: stated_by(self.spec, value, self.known),
        )
