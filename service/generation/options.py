"""How one generation asks, as data: what the application's request decides for the engine.

Nothing here is read from a context variable or written into the user's spec: a set's member
gets its `note` shown after the spec in the prompt and `named_entries` off, while the spec
the two-phase strategy reads its facts from stays the user's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from instancegen.service.core.checks.audit import Realism
from instancegen.service.core.scope import Scope

Mode = Literal["two-step", "direct"]
MODES: tuple[Mode, ...] = ("two-step", "direct")
MAX_SAMPLES = 9  # each sample costs a whole first answer: one request's cost stays bounded
SAMPLE_TEMPERATURE = 0.7
"""What self-consistency samples at: warm enough that a small model's slips differ between
draws (so the vote can outvote them), cool enough that what the spec states still recurs.
Repairs stay at the caller's usual temperature 0."""


Avoid = tuple[tuple[str, tuple[str, ...]], ...]
"""Per feature name, values a backend that can steer its decoding should keep away from."""


@dataclass(frozen=True)
class Options:
    """One generation's choices: `strategy` (auto, typed, strict, generic, two-phase), the
    mode, repairs after the first attempt, first answers voted (`samples`), the formats to
    compile; for a member of a set, a `note` on how it should differ (shown after the spec),
    no named entries (they would pin every member to the one model the spec names) and a
    `warmth`: the least temperature its calls are made at, so that a model repeating itself
    varies, `draws`: the seeds its samples start after, so that members draw apart, and
    `avoid`: per feature name, the values the kept members used, which a backend that can
    steer its decoding makes unlikely.
    `realism` and `scopes` are what every attempt is validated with (`judging.Judge`);
    scopes are also held by the answer's schema where it can."""

    strategy: str = "auto"
    mode: Mode = "two-step"
    max_repairs: int = 3
    samples: int = 1
    formats: tuple[str, ...] = ("xmi",)
    note: str | None = None
    named_entries: bool = True
    warmth: float = 0.0
    draws: int = 0
    avoid: Avoid = ()
    realism: Realism = "warn"
    scopes: tuple[Scope, ...] = ()
