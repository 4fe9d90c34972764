"""Size limits enforced before expensive work, configurable through the environment.

Every limit has an environment variable `INSTANCEGEN_<NAME>` (e.g. `INSTANCEGEN_MAX_XML_BYTES`)
so an operator can tighten or loosen it without code changes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from functools import cache

from instancegen.service.core.errors import InputError, LimitExceeded


@dataclass(frozen=True)
class Limits:
    """What one request or command may hand us at most."""

    max_xml_bytes: int = 50 * 1024 * 1024
    max_objects: int = 1_000_000
    max_spec_chars: int = 100_000
    max_classes: int = 5_000
    max_ocl_steps: int = 2_000_000  # per invariant, over all the objects it is checked on
    max_ocl_millis: int = 10_000  # per validation, all invariants together

    @classmethod
    def from_env(cls) -> Limits:
        """Defaults overridden by `INSTANCEGEN_MAX_*` variables."""
        return _parsed(tuple(map(os.environ.get, _VARIABLES)))

    def check(self, name: str, value: int, what: str) -> None:
        """Raise LimitExceeded naming the limit when `value` is above it."""
        limit = getattr(self, name)
        if value > limit:
            raise LimitExceeded(
                f"{what} is {value:,}, above the limit of {limit:,} (INSTANCEGEN_{name.upper()})."
            )


_VARIABLES = tuple(f"INSTANCEGEN_{f.name.upper()}" for f in fields(Limits))


@cache
def _parsed(raw: tuple[str | None, ...]) -> Limits:
    """The limits these variables' values give (read on every request, so kept: an
    invalid value raises, and is not kept)."""
    values: dict[str, int] = {}
    for f, variable, text in zip(fields(Limits), _VARIABLES, raw, strict=True):
        if text is None:
            continue
        try:
            values[f.name] = int(text)
        except ValueError:
            raise InputError(f"{variable} must be a whole number, not {text!r}.") from None
    return Limits(**values)


def current() -> Limits:
    """The limits in force now (read each time so tests and operators can change them)."""
    return Limits.from_env()
