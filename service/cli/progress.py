"""What a generation or an edit is doing, on stderr, from the engine's events.

On a terminal a spinner says which attempt runs, what it asks for (the phase: objects,
links, the model, edits), and how many tokens the answer holds so far (`tokens` events from
a streaming backend) and the run has spent; each attempt's verdict stays as one line. Where
stderr is not a terminal (a log, a pipe) there is no spinner: each phase is one line. A
caller printing lines of its own (eval) asks for the spinner alone.
Findings to repair are errors; warnings are counted apart and never called findings.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from instancegen.service.generation.result import Event

MOST_NAMED = 10  # files the last line names by name; more are counted


class Progress:
    """Follows one run's events (give `on_event` to the run); `stop` when it is over.
    `lines` False: no line per call without a terminal (a caller printing its own)."""

    def __init__(self, console: Console, *, lines: bool = True) -> None:
        self.console = console
        self.lines = lines
        self.status: Status | None = None
        if console.is_terminal:
            self.status = console.status("starting…")
            self.status.start()
        self.of = 1
        self.doing = "generating"
        self.phase = ""

    def on_event(self, event: Event) -> None:
        d = event.data
        spent = f"{d.get('prompt_tokens', 0):,} in / {d.get('completion_tokens', 0):,} out tokens"
        where = f"attempt {event.attempt} of {self.of}"
        if event.type == "attempt_started":
            self.of = d.get("of", self.of)
            self.doing, self.phase = "generating", ""
            if d.get("kind") != "generate":
                self.doing = "repairing"
            self._show(f"attempt {event.attempt} of {self.of}: {self.doing}")
        elif event.type == "repair_sent":
            self.doing = f"repairing {_count(d.get('error_count', 0), 'finding')}"
            self._show(f"{where}: {self.doing}")
        elif event.type == "phase_started":
            self.phase = str(d.get("phase", ""))
            self._line(f"{where}: {self.doing}, asking for the {self.phase} ({spent})")
        elif event.type == "tokens" and self.status is not None:
            written = f"{d.get('answer_tokens', 0):,} tokens written"
            self._show(f"{where}: {self.doing}, {self.phase}: {written} ({spent})")
        elif event.type == "consensus":
            self._verdict(f"{where}: {d.get('message')} ({spent})")
        elif event.type == "issues_found":
            self._verdict(f"{where}: {_verdict(d)} ({spent})")

    def stop(self) -> None:
        if self.status is not None:
            self.status.stop()

    def _show(self, text: str) -> None:
        """The spinner's text (nothing without a terminal)."""
        if self.status is not None:
            self.status.update(escape(text))

    def _line(self, text: str) -> None:
        """The spinner's text on a terminal, else a line of its own."""
        if self.status is not None:
            self._show(text)
        elif self.lines:
            self._print(text)

    def _verdict(self, text: str) -> None:
        """A line that stays (with `lines`), else the spinner's text."""
        if self.lines:
            self._print(text)
        else:
            self._show(text)

    def _print(self, text: str) -> None:
        self.console.print(escape(text), highlight=False)


def doing(event: Event) -> str | None:
    """What a call event says a run is doing, in brief ("attempt 2, links: 120 tokens
    written"), for a display following several runs at once; None for other events."""
    phase = f"attempt {event.attempt}, {event.data.get('phase', '')}"
    if event.type == "phase_started":
        return phase
    if event.type == "tokens":
        return f"{phase}: {event.data.get('answer_tokens', 0):,} tokens written"
    return None


def _verdict(data: dict[str, object]) -> str:
    """ "2 findings to repair, 1 warning", or "no findings, 1 warning"."""
    total, errors = int(str(data.get("issue_count", 0))), int(str(data.get("error_count", 0)))
    found = f"{_count(errors, 'finding')} to repair" if errors else "no findings"
    warnings = total - errors
    return found + (f", {_count(warnings, 'warning')}" if warnings else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def say_written(console: Console, written: list[str], why_not: str) -> None:
    """The last line: where the output went (files, or stdout; the first MOST_NAMED of many),
    or why nothing was written."""
    named = ", ".join(written[:MOST_NAMED])
    if len(written) > MOST_NAMED:
        named += f" and {len(written) - MOST_NAMED} more"
    line = f"written: {named}" if written else f"nothing written: {why_not}"
    console.print(escape(line), highlight=False)
