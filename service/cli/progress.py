"""What a generation or an edit is doing, on stderr, from the engine's events.

On a terminal a spinner says which attempt runs, what it asks for (the phase: objects,
links, the model, edits), and how many tokens the answer holds so far (`tokens` events from
a streaming backend) and the run has spent; each attempt's verdict stays as one line. Where
stderr is not a terminal (a log, a pipe) there is no spinner: each phase is one line.
Findings to repair are errors; warnings are counted apart and never called findings.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.status import Status

from instancegen.service.generation.result import Event


class Progress:
    """Follows one run's events (give `on_event` to the run); `stop` when it is over."""

    def __init__(self, console: Console) -> None:
        self.console = console
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
            self._print(f"{where}: {d.get('message')} ({spent})")
        elif event.type == "issues_found":
            self._print(f"{where}: {_verdict(d)} ({spent})")

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
        else:
            self._print(text)

    def _print(self, text: str) -> None:
        self.console.print(escape(text), highlight=False)


def _verdict(data: dict[str, object]) -> str:
    """ "2 findings to repair, 1 warning", or "no findings, 1 warning"."""
    total, errors = int(str(data.get("issue_count", 0))), int(str(data.get("error_count", 0)))
    found = f"{_count(errors, 'finding')} to repair" if errors else "no findings"
    warnings = total - errors
    return found + (f", {_count(warnings, 'warning')}" if warnings else "")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def say_written(console: Console, written: list[str], why_not: str) -> None:
    """The last line: where the output went (files, or stdout), or why nothing was written."""
    line = f"written: {', '.join(written)}" if written else f"nothing written: {why_not}"
    console.print(escape(line), highlight=False)
