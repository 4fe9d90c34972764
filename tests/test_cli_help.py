"""`--help` reads as prose at any terminal width: a paragraph's lines are joined, so the
terminal wraps it, while the indented lines of examples keep their breaks."""

from __future__ import annotations

import inspect
import itertools

from typer.testing import CliRunner

from instancegen.service.cli import app


def test_every_commands_help_has_its_paragraphs_joined() -> None:
    for command in app.registered_commands:
        text = command.help or inspect.getdoc(command.callback) or ""
        for paragraph in text.split("\n\n"):
            lines = paragraph.split("\n")
            for before, after in itertools.pairwise(lines):
                assert before[:1].isspace() or after[:1].isspace() or not after, (
                    command.name or command.callback,
                    before,
                    after,
                )


def test_a_long_description_wraps_at_the_terminals_width_not_at_the_sources() -> None:
    result = CliRunner().invoke(app, ["eval", "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    prose = [line.strip() for line in result.stdout.splitlines()]
    start = next(i for i, line in enumerate(prose) if line.startswith('"OCL inv"'))
    paragraph = prose[start : prose.index("", start)]
    # every line but the paragraph's last is filled close to the width
    assert len(paragraph) > 2 and all(len(line) > 60 for line in paragraph[:-1]), paragraph
