"""The bounds of one OCL evaluation, and the two ways it ends without a value.

Metamodels are untrusted, so every node evaluated and every element a collection operation
touches costs a step; a constraint that runs out of steps, or a validation out of time, ends
in `Exhausted`. Something outside the supported subset ends in `Unsupported`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

_CLOCK_EVERY = 4096  # steps between looks at the clock


class Unsupported(Exception):
    """The expression uses something outside the supported subset; `message` says what."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Exhausted(Exception):
    """The evaluation ran out of steps or time, or made a value too large."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Budget:
    """Steps one constraint may take, and the wall-clock deadline of the whole validation."""

    max_steps: int
    deadline: float  # a time.monotonic() value
    steps: int = 0
    _next_clock: int = _CLOCK_EVERY

    def tick(self, count: int = 1) -> None:
        self.steps += count
        if self.steps > self.max_steps:
            raise Exhausted(
                f"it took more than {self.max_steps:,} evaluation steps (INSTANCEGEN_MAX_OCL_STEPS)"
            )
        if self.steps >= self._next_clock:
            self._next_clock = self.steps + _CLOCK_EVERY
            self.check_time()

    def check_time(self) -> None:
        """Raise Exhausted once the validation's deadline has passed."""
        if time.monotonic() > self.deadline:
            raise Exhausted(
                "the validation's time for invariants ran out (INSTANCEGEN_MAX_OCL_MILLIS)"
            )
