"""Bundled checks of quantities with natural bounds: ages and percentages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from instancegen.service.core.checks import Context
from instancegen.service.core.checks.base import NUMBERS, ValueCheck, Words, number_of
from instancegen.service.core.metamodel import EClassView

MAX_AGE = 125  # the oldest documented person reached 122
# A percentage named so may leave 0..100: a change, a growth, a difference.
_UNBOUNDED_PERCENT = frozenset({"change", "growth", "delta", "increase", "decrease", "diff"})


def _within(low: int, high: int, what: str) -> Callable[[Any, Context], str | None]:
    def judge(value: Any, _: Context) -> str | None:
        number = number_of(value)
        if number is None or low <= number <= high:
            return None
        return f"{what} of {number} is outside {low} to {high}"

    return judge


def _percent_named(w: Words, _: EClassView) -> bool:
    return bool({"percent", "percentage", "pct"} & set(w)) and not _UNBOUNDED_PERCENT & set(w)


age = ValueCheck(
    "age",
    f"an age in years from 0 to {MAX_AGE}",
    NUMBERS,
    lambda w, _: "age" in w,
    _within(0, MAX_AGE, "an age"),
    shape=lambda *_: {"minimum": 0, "maximum": MAX_AGE},
)
percentage = ValueCheck(
    "percentage",
    "a percentage from 0 to 100",
    NUMBERS,
    _percent_named,
    _within(0, 100, "a percentage"),
    shape=lambda *_: {"minimum": 0, "maximum": 100},
)
